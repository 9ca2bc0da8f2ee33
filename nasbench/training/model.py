"""PyTorch model builder for NAS-Bench-201 cell networks.

The network follows the NB201 macro skeleton (the "tiny network" NB201 trained for its tables):

* stem: 3x3 convolution (``in_channels -> C``, no bias) followed by BatchNorm;
* three stages of ``N`` cells each, with ``C``, ``2C`` and ``4C`` channels; between two stages
  a ResNet basic block with stride 2 (ReLU-Conv3x3-BN, ReLU-Conv3x3-BN, and a shortcut made of a
  2x2 average pool and a 1x1 convolution without bias) halves the resolution and doubles the
  channels;
* BatchNorm + ReLU, global average pooling and a linear classifier (with bias).

Inside a cell, node ``j`` is the sum over its incoming edges ``i -> j`` of ``op(node_i)``:

* ``none``: zeros (no parameters; the builder keeps a module for it, but the forward pass skips
  it since it adds nothing);
* ``skip_connect``: identity;
* ``nor_conv_1x1`` / ``nor_conv_3x3``: ReLU, convolution without bias (padding keeps the size),
  BatchNorm with affine weight and bias;
* ``avg_pool_3x3``: 3x3 average pooling, stride 1, padding 1, padding not counted.

Every BatchNorm is affine and tracks running statistics, as in NB201. With ``C=16, N=5``, a
3-channel input and 10 classes the parameter count equals NB201's published ``params`` column
(see ``tests/training/test_training_params.py``).

Parameters are initialised from an explicit :class:`torch.Generator` (:func:`init_parameters`),
so building a network never depends on, nor changes, torch's global random state.

Examples
--------
>>> from nasbench.spaces.nb201 import NB201Arch
>>> net = build_network(NB201Arch.from_index(6111), C=16, N=5, seed=0)
>>> round(count_params(net) / 1e6, 6)
1.073466
"""

from __future__ import annotations

import math

from nasbench.checks import check_int, is_int
from nasbench.errors import InvalidArchError, NasbenchError
from nasbench.spaces.nb201 import EDGES, OPS, NB201Arch
from nasbench.training._deps import require_torch

torch = require_torch()
nn = torch.nn

__all__ = [
    "ReLUConvBN",
    "Zero",
    "Cell",
    "ResidualReduction",
    "NB201Network",
    "build_network",
    "build_op",
    "init_parameters",
    "count_params",
    "check_input_shape",
]


class ReLUConvBN(nn.Sequential):
    """ReLU, then a ``kernel_size`` x ``kernel_size`` convolution without bias, then affine BatchNorm.

    Parameters
    ----------
    c_in, c_out : int
        Input and output channels.
    kernel_size : int
        Odd kernel size; the padding ``kernel_size // 2`` keeps the spatial size at stride 1.
    stride : int, default 1
    """

    def __init__(self, c_in: int, c_out: int, kernel_size: int, stride: int = 1):
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel_size, stride=stride, padding=kernel_size // 2, bias=False),
            nn.BatchNorm2d(c_out, affine=True, track_running_stats=True),
        )


class Zero(nn.Module):
    """The ``none`` operation: returns zeros shaped like its input (no parameters)."""

    def forward(self, x):
        return x.mul(0.0)


def build_op(name: str, channels: int) -> nn.Module:
    """Build one NB201 cell operation acting on ``channels`` channels at stride 1.

    Parameters
    ----------
    name : str
        One of :data:`nasbench.spaces.nb201.OPS`.
    channels : int
        Input and output channels (equal inside an NB201 cell).

    Returns
    -------
    torch.nn.Module
        Maps a tensor of shape (batch, channels, H, W) to one of the same shape.
    """
    if name == "none":
        return Zero()
    if name == "skip_connect":
        return nn.Identity()
    if name == "nor_conv_1x1":
        return ReLUConvBN(channels, channels, 1)
    if name == "nor_conv_3x3":
        return ReLUConvBN(channels, channels, 3)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    raise InvalidArchError(f"unknown NB201 operation {name!r}; expected one of {', '.join(map(repr, OPS))}.")


class Cell(nn.Module):
    """One NB201 cell: 4 nodes, 6 edges, node 3 is the output.

    Parameters
    ----------
    arch : NB201Arch
    channels : int
        Channels of the input and of every node.

    Notes
    -----
    Input and output have shape (batch, channels, H, W). ``none`` edges are kept as
    :class:`Zero` modules (so the module tree mirrors the arch) but skipped in ``forward``; a node
    with only ``none`` inputs is a zero tensor.
    """

    def __init__(self, arch: NB201Arch, channels: int):
        super().__init__()
        self.arch_ops = tuple(OPS[o] for o in arch.ops)
        self.edges = nn.ModuleList(build_op(name, channels) for name in self.arch_ops)
        # For each target node, the (edge position, source node) pairs whose op is not 'none'.
        plan = []
        for target in (1, 2, 3):
            plan.append(
                tuple(
                    (e, source)
                    for e, (source, t) in enumerate(EDGES)
                    if t == target and self.arch_ops[e] != "none"
                )
            )
        self._plan = tuple(plan)

    def forward(self, x):
        nodes = [x]
        for terms in self._plan:
            if not terms:
                nodes.append(torch.zeros_like(x))
                continue
            out = None
            for e, source in terms:
                y = self.edges[e](nodes[source])
                out = y if out is None else out + y
            nodes.append(out)
        return nodes[3]


class ResidualReduction(nn.Module):
    """ResNet basic block with stride 2 between two NB201 stages.

    Parameters
    ----------
    c_in, c_out : int
        Input and output channels (NB201 uses ``c_out = 2 * c_in``).

    Notes
    -----
    Maps (batch, c_in, H, W) to (batch, c_out, H / 2, W / 2); H and W must be even.
    """

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride=2)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, stride=1)
        self.shortcut = nn.Sequential(
            nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
            nn.Conv2d(c_in, c_out, kernel_size=1, stride=1, padding=0, bias=False),
        )

    def forward(self, x):
        return self.shortcut(x) + self.conv_b(self.conv_a(x))


class NB201Network(nn.Module):
    """NB201 macro network around one cell architecture.

    Parameters
    ----------
    arch : NB201Arch
    C : int
        Channels of the first stage (16 in NB201).
    N : int
        Cells per stage (5 in NB201).
    in_channels : int
        Channels of the input images (3 for CIFAR, 1 for digits).
    n_classes : int
        Outputs of the linear classifier.

    Notes
    -----
    ``forward`` maps images of shape (batch, in_channels, H, W), with H and W divisible by 4, to
    logits of shape (batch, n_classes).
    """

    def __init__(self, arch: NB201Arch, C: int, N: int, in_channels: int, n_classes: int):
        super().__init__()
        self.arch = arch
        self.C, self.N, self.in_channels, self.n_classes = C, N, in_channels, n_classes
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, C, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(C),
        )
        layers = []
        channels = C
        for stage in range(3):
            if stage > 0:
                layers.append(ResidualReduction(channels, 2 * channels))
                channels *= 2
            layers.extend(Cell(arch, channels) for _ in range(N))
        self.cells = nn.Sequential(*layers)
        self.lastact = nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU(inplace=False))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(channels, n_classes)

    def forward(self, x):
        x = self.lastact(self.cells(self.stem(x)))
        return self.classifier(self.global_pooling(x).flatten(1))


def _as_arch(arch) -> NB201Arch:
    if isinstance(arch, NB201Arch):
        return arch
    if isinstance(arch, str):
        return NB201Arch.from_string(arch)
    if is_int(arch):
        return NB201Arch.from_index(arch)
    raise InvalidArchError(
        f"arch must be an NB201Arch, an NB201 arch string or an NB201 index; got {arch!r} of type "
        f"{type(arch).__name__}. Convert with NB201Arch.from_index or NB201Arch.from_string."
    )


def init_parameters(model: nn.Module, generator) -> nn.Module:
    """(Re)initialise every parameter of ``model`` from ``generator``, in place.

    Uses PyTorch's default initialisation (Kaiming-uniform with ``a = sqrt(5)`` for convolution
    and linear weights, uniform in ``+-1/sqrt(fan_in)`` for linear biases, ones and zeros for
    BatchNorm weight and bias), but draws from ``generator`` instead of the global RNG, so the same
    generator state gives the same parameters. BatchNorm running statistics are reset.

    Parameters
    ----------
    model : torch.nn.Module
    generator : torch.Generator
        A CPU generator; values are drawn on the CPU and copied to the parameters' device.

    Returns
    -------
    torch.nn.Module
        ``model`` itself.
    """
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                weight = torch.empty(module.weight.shape, dtype=module.weight.dtype)
                nn.init.kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)
                module.weight.copy_(weight)
                if module.bias is not None:
                    fan_in = weight[0].numel()
                    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
                    bias = torch.empty(module.bias.shape, dtype=module.bias.dtype)
                    nn.init.uniform_(bias, -bound, bound, generator=generator)
                    module.bias.copy_(bias)
            elif isinstance(module, nn.BatchNorm2d):
                module.reset_parameters()
    return model


def build_network(arch, *, C: int = 16, N: int = 5, in_channels: int = 3, n_classes: int = 10, seed: int = 0):
    """Build an NB201 network for ``arch`` with parameters initialised from ``seed``.

    Parameters
    ----------
    arch : NB201Arch, str or int
        The cell: an arch value, an NB201 arch string or an NB201 index.
    C : int, default 16
        Channels of the first stage; later stages have 2C and 4C.
    N : int, default 5
        Cells per stage.
    in_channels : int, default 3
    n_classes : int, default 10
    seed : int, default 0
        Seeds a private :class:`torch.Generator` for the initial parameters.

    Returns
    -------
    NB201Network
        On the CPU, in training mode.

    Raises
    ------
    NasbenchError
        If C, N, in_channels or n_classes is not a positive int, or seed is not a non-negative int.
    InvalidArchError
        If ``arch`` is not an NB201 arch.
    """
    arch = _as_arch(arch)
    C, N, in_channels, n_classes = (check_int(name, value, 1, hint=f"Pass for example {name}=16.") for name, value in
                                    (("C", C), ("N", N), ("in_channels", in_channels), ("n_classes", n_classes)))
    if not is_int(seed) or seed < 0:
        raise NasbenchError(f"seed must be a non-negative int; got {seed!r}. Pass for example seed=0.")
    # Module constructors draw their default init from the global RNG; fork it so that building a
    # network leaves the global state untouched, then overwrite every parameter from our generator.
    with torch.random.fork_rng(devices=[]):
        net = NB201Network(arch, C, N, in_channels, n_classes)
    generator = torch.Generator(device="cpu")
    generator.manual_seed(int(seed))
    return init_parameters(net, generator)


def count_params(model: nn.Module) -> int:
    """Number of trainable parameters (weights and biases, BatchNorm affine ones included).

    BatchNorm running statistics are buffers, not parameters, and are not counted (NB201's
    convention). Divide by 1e6 for NB201's ``params`` (M).
    """
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))


def check_input_shape(input_shape) -> tuple[int, int, int]:
    """Validate an image shape ``(channels, height, width)`` for an NB201 network.

    Height and width must be positive multiples of 4, because each of the two reduction blocks
    halves them and adds a strided convolution to an average-pooled shortcut.

    Returns
    -------
    tuple of 3 ints
    """
    try:
        shape = tuple(int(s) for s in input_shape)
    except (TypeError, ValueError):
        raise NasbenchError(
            f"input_shape must be (channels, height, width); got {input_shape!r}. Pass for example (3, 32, 32)."
        ) from None
    if len(shape) != 3 or shape[0] < 1 or shape[1] < 4 or shape[2] < 4 or shape[1] % 4 or shape[2] % 4:
        raise NasbenchError(
            "input_shape must be (channels, height, width) with channels >= 1 and height and width "
            f"positive multiples of 4 (two stride-2 reductions); got {input_shape!r}. "
            "Pad or resize the images, e.g. to (1, 8, 8) or (3, 32, 32)."
        )
    return shape
