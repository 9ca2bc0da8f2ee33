"""PyTorch model builder for DARTS-space networks, scaled down for small images (digits, 8x8).

The network follows the DARTS evaluation skeleton (Liu et al., 2019, the network NAS-Bench-301
trained), made smaller:

* stem: 3x3 convolution (``in_channels -> 3C``, no bias) followed by BatchNorm (DARTS's stem
  multiplier 3);
* ``N`` normal cells with ``C`` channels per node, one reduction cell (stride 2, ``2C`` channels
  per node), then ``N`` normal cells with ``2C``; so ``2N + 1`` cells and one halving of the
  resolution (8x8 -> 4x4 for digits). DARTS's CIFAR network has 20 cells and two reductions;
  digits' 8x8 images and a ~2 s CPU budget per run leave room for one;
* global average pooling and a linear classifier (with bias). No auxiliary head and no drop-path
  (both are regularisers of long schedules; they only add noise to a few dozen SGD steps).

A cell (DARTS wiring) takes the outputs of the two previous cells, ``s0`` and ``s1``, and
preprocesses them to ``C`` channels (ReLU-Conv1x1-BN; a :class:`FactorizedReduce` for ``s0``
when the previous cell halved the resolution). Intermediate node ``i`` (2..5) is the sum of the two
ops of its two ``(input, op)`` pairs applied to earlier states; the cell's output concatenates the
four intermediate nodes (``4C`` channels). In a reduction cell, ops reading the cell inputs
(nodes 0 and 1) have stride 2. Operations (DARTS's ``OPS``):

* ``max_pool_3x3``, ``avg_pool_3x3`` (padding not counted): pooling, no parameters;
* ``skip_connect``: identity (a :class:`FactorizedReduce` at stride 2);
* ``sep_conv_KxK``: (ReLU, depthwise KxK, pointwise 1x1, BN) twice, the first at the op's stride;
* ``dil_conv_KxK``: ReLU, depthwise KxK with dilation 2, pointwise 1x1, BN.

Every BatchNorm is affine and tracks running statistics. Parameters are initialised from an
explicit :class:`torch.Generator` (:func:`nasbench.training.model.init_parameters`), so building
a network neither depends on nor changes torch's global RNG. Parameters are counted with
:func:`nasbench.training.model.count_params` and FLOPs with
:func:`nasbench.training.flops.count_flops` (conv and linear MACs of one image), as for NB201.

Examples
--------
>>> from nasbench.spaces.darts import DARTSSpace
>>> import numpy as np
>>> arch = DARTSSpace().sample(np.random.default_rng(0))
>>> net = build_darts_network(arch, C=8, N=1, in_channels=1, n_classes=10, seed=0)
>>> net(torch.zeros(2, 1, 8, 8)).shape
torch.Size([2, 10])
"""

from __future__ import annotations

from nasbench.checks import check_int, is_int
from nasbench.errors import InvalidArchError, NasbenchError
from nasbench.spaces.darts import N_NODES, OPS, DARTSArch
from nasbench.training._deps import require_torch
from nasbench.training.model import init_parameters

torch = require_torch()
nn = torch.nn

__all__ = ["FactorizedReduce", "SepConv", "DilConv", "build_darts_op", "DARTSCell", "DARTSNetwork",
           "build_darts_network", "STEM_MULTIPLIER"]

STEM_MULTIPLIER = 3  # DARTS's: the stem has 3C channels


class ReLUConv1x1BN(nn.Sequential):
    """ReLU, 1x1 convolution without bias, affine BatchNorm (a cell's input preprocessing)."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__(nn.ReLU(inplace=False), nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out))


class FactorizedReduce(nn.Module):
    """Halve the resolution with two 1x1 stride-2 convolutions on offset grids, concatenated.

    Maps (batch, c_in, H, W) to (batch, c_out, H/2, W/2); ``c_out`` must be even and H, W even.
    """

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out - c_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x):
        x = self.relu(x)
        # the second grid starts one pixel later, so the two halves see different pixels
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], dim=1))


class DilConv(nn.Sequential):
    """ReLU, depthwise ``k`` x ``k`` convolution (dilation ``d``), pointwise 1x1, BatchNorm."""

    def __init__(self, c_in: int, c_out: int, k: int, stride: int, dilation: int):
        pad = dilation * (k - 1) // 2
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_in, k, stride=stride, padding=pad, dilation=dilation, groups=c_in, bias=False),
            nn.Conv2d(c_in, c_out, 1, bias=False),
            nn.BatchNorm2d(c_out),
        )


class SepConv(nn.Sequential):
    """Two :class:`DilConv` blocks without dilation; only the first has the op's stride (DARTS)."""

    def __init__(self, c_in: int, c_out: int, k: int, stride: int):
        super().__init__(DilConv(c_in, c_in, k, stride, 1), DilConv(c_in, c_out, k, 1, 1))


def build_darts_op(name: str, channels: int, stride: int) -> nn.Module:
    """One DARTS operation on ``channels`` channels.

    Parameters
    ----------
    name : str
        One of :data:`nasbench.spaces.darts.OPS`.
    channels : int
        Input and output channels.
    stride : int
        1, or 2 for an op that reads a cell input inside a reduction cell.

    Returns
    -------
    torch.nn.Module
        Maps (batch, channels, H, W) to (batch, channels, H / stride, W / stride).
    """
    if name == "max_pool_3x3":
        return nn.MaxPool2d(3, stride=stride, padding=1)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)
    if name == "skip_connect":
        return nn.Identity() if stride == 1 else FactorizedReduce(channels, channels)
    if name in ("sep_conv_3x3", "sep_conv_5x5"):
        return SepConv(channels, channels, int(name[-1]), stride)
    if name in ("dil_conv_3x3", "dil_conv_5x5"):
        return DilConv(channels, channels, int(name[-1]), stride, 2)
    raise InvalidArchError(f"unknown DARTS operation {name!r}; expected one of {', '.join(map(repr, OPS))}.")


class DARTSCell(nn.Module):
    """One DARTS cell (normal or reduction) built from 8 ``(input_node, op)`` pairs.

    Parameters
    ----------
    pairs : tuple of 8 (int, int)
        Pair ``k`` feeds intermediate node ``2 + k // 2``.
    c_prev_prev, c_prev : int
        Channels of the two cell inputs (outputs of the cells two back and one back).
    channels : int
        Channels of every node in this cell; the output has ``4 * channels``.
    reduction : bool
        Whether this cell halves the resolution.
    reduction_prev : bool
        Whether the previous cell halved it (then ``s0`` has twice this cell's input resolution).
    """

    def __init__(self, pairs, c_prev_prev: int, c_prev: int, channels: int, reduction: bool, reduction_prev: bool):
        super().__init__()
        self.reduction = reduction
        self.pre0 = FactorizedReduce(c_prev_prev, channels) if reduction_prev else ReLUConv1x1BN(c_prev_prev, channels)
        self.pre1 = ReLUConv1x1BN(c_prev, channels)
        self.sources = tuple(src for src, _ in pairs)
        self.ops = nn.ModuleList(
            build_darts_op(OPS[op], channels, 2 if reduction and src < 2 else 1) for src, op in pairs)

    def forward(self, s0, s1):
        states = [self.pre0(s0), self.pre1(s1)]
        for node in range(N_NODES):
            a, b = 2 * node, 2 * node + 1
            states.append(self.ops[a](states[self.sources[a]]) + self.ops[b](states[self.sources[b]]))
        return torch.cat(states[2:], dim=1)


class DARTSNetwork(nn.Module):
    """The scaled-down DARTS network around one genotype (see the module docstring).

    Parameters
    ----------
    arch : DARTSArch
    C : int
        Channels per node in the first normal cells (the reduction cell and later ones have 2C).
    N : int
        Normal cells before and after the reduction cell.
    in_channels, n_classes : int

    Notes
    -----
    ``forward`` maps (batch, in_channels, H, W), H and W even, to logits (batch, n_classes).
    """

    def __init__(self, arch: DARTSArch, C: int, N: int, in_channels: int, n_classes: int):
        super().__init__()
        self.arch = arch
        self.C, self.N, self.in_channels, self.n_classes = C, N, in_channels, n_classes
        c_stem = STEM_MULTIPLIER * C
        self.stem = nn.Sequential(nn.Conv2d(in_channels, c_stem, 3, padding=1, bias=False), nn.BatchNorm2d(c_stem))
        cells, c_pp, c_p, reduction_prev = [], c_stem, c_stem, False
        for layer in range(2 * N + 1):
            reduction = layer == N
            channels = 2 * C if layer >= N else C
            cells.append(DARTSCell(arch.reduce if reduction else arch.normal, c_pp, c_p, channels, reduction,
                                   reduction_prev))
            c_pp, c_p, reduction_prev = c_p, 4 * channels, reduction
        self.cells = nn.ModuleList(cells)
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_p, n_classes)

    def forward(self, x):
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.classifier(self.global_pooling(s1).flatten(1))


def build_darts_network(arch, *, C: int = 8, N: int = 1, in_channels: int = 1, n_classes: int = 10, seed: int = 0,
                        classifier_init: str = "default"):
    """Build the DARTS network of ``arch`` with parameters initialised from ``seed``.

    The signature matches :func:`nasbench.training.model.build_network`, so
    :func:`nasbench.training.trainer.train_arch` trains DARTS genotypes with ``build=build_darts_network``.

    Parameters
    ----------
    arch : DARTSArch or str
        A genotype, or NASLib's compact genotype text (:meth:`DARTSArch.from_naslib`).
    C : int, default 8
    N : int, default 1
    in_channels : int, default 1
    n_classes : int, default 10
    seed : int, default 0
        Seeds a private :class:`torch.Generator` for the initial parameters.
    classifier_init : {"default", "zero"}
        ``"zero"`` starts the linear classifier at zero weights and bias, so every seed starts from
        the same (uniform) prediction and only the feature extractor's initialisation differs.

    Returns
    -------
    DARTSNetwork
        On the CPU, in training mode.

    Raises
    ------
    NasbenchError
        If C, N, in_channels or n_classes is not a positive int, or seed not a non-negative int.
    InvalidArchError
        If ``arch`` is not a DARTS genotype.
    """
    if isinstance(arch, str):
        arch = DARTSArch.from_naslib(arch)
    if not isinstance(arch, DARTSArch):
        raise InvalidArchError(f"arch must be a DARTSArch or NASLib genotype text; got {arch!r} of type "
                               f"{type(arch).__name__}. Build one with DARTSArch(normal, reduce).")
    C, N, in_channels, n_classes = (check_int(name, value, 1, hint=f"Pass for example {name}=8.") for name, value in
                                    (("C", C), ("N", N), ("in_channels", in_channels), ("n_classes", n_classes)))
    if not is_int(seed) or seed < 0:
        raise NasbenchError(f"seed must be a non-negative int; got {seed!r}. Pass for example seed=0.")
    with torch.random.fork_rng(devices=[]):  # constructors draw from the global RNG: keep it untouched
        net = DARTSNetwork(arch, C, N, in_channels, n_classes)
    if classifier_init not in ("default", "zero"):
        raise NasbenchError(f"classifier_init must be 'default' or 'zero'; got {classifier_init!r}.")
    generator = torch.Generator(device="cpu")
    generator.manual_seed(int(seed))
    init_parameters(net, generator)
    if classifier_init == "zero":
        with torch.no_grad():
            net.classifier.weight.zero_()
            net.classifier.bias.zero_()
    return net
