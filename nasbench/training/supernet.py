"""NB201 weight-sharing supernet: every cell edge holds all five operations at once.

The supernet has the macro skeleton of :class:`nasbench.training.model.NB201Network` (stem, three
stages of ``N`` cells with ``C``, ``2C``, ``4C`` channels, residual reduction blocks, BatchNorm-ReLU,
global pooling, linear classifier) and reuses its modules (:func:`~nasbench.training.model.build_op`,
:class:`~nasbench.training.model.ResidualReduction`). Each of the 6 cell edges is a :class:`MixedOp`
holding one module per operation of :data:`nasbench.spaces.nb201.OPS`. All cells share one matrix of
architecture parameters ``alphas`` of shape (6, 5) (edge in arch-string order x operation), as in
NB201's DARTS and GDAS baselines.

Two ways to mix the operations of an edge:

``"darts"`` (Liu et al., 2019)
    ``sum_k softmax(alphas[e])[k] * op_k(x)``: every operation runs.
``"gdas"`` (Dong & Yang, 2019)
    A hard one-hot sample ``h`` of the Gumbel-softmax with temperature ``tau`` (straight-through:
    forward value one-hot, gradient of the soft sample); only the sampled operation runs, and
    ``sum_{k != j} h[k]`` (zero in value) keeps the gradient path to the other alphas.

The final arch is the argmax of ``alphas`` per edge (:meth:`Supernet.derive`), NB201's rule
(``none`` included).

Examples
--------
>>> net = Supernet(C=4, N=1, in_channels=1, n_classes=10, mode="darts", seed=0)   # doctest: +SKIP
>>> net.derive().string                                                            # doctest: +SKIP
"""

from __future__ import annotations

from nasbench.checks import check_int
from nasbench.errors import UnknownNameError, choices_text
from nasbench.spaces.nb201 import EDGES, OPS, NB201Arch
from nasbench.training._deps import require_torch
from nasbench.training.model import ResidualReduction, build_op, init_parameters

torch = require_torch()
nn = torch.nn
F = torch.nn.functional

__all__ = ["MODES", "MixedOp", "SearchCell", "Supernet"]

MODES = ("darts", "gdas")
_NONE = OPS.index("none")


class MixedOp(nn.Module):
    """All NB201 operations on one edge, at stride 1 with ``channels`` channels.

    Notes
    -----
    ``forward_soft(x, weights)`` with weights of shape (5,) returns ``sum_k weights[k] * op_k(x)``
    (the ``none`` term is zero and skipped, which changes neither value nor gradients);
    ``forward_hard(x, hard, index)`` runs only operation ``index``. Both map (batch, channels, H, W)
    to the same shape.
    """

    def __init__(self, channels: int):
        super().__init__()
        self.ops = nn.ModuleList(build_op(name, channels) for name in OPS)

    def forward_soft(self, x, weights):
        out = None
        for k, op in enumerate(self.ops):
            if k == _NONE:
                continue
            y = weights[k] * op(x)
            out = y if out is None else out + y
        return out

    def forward_hard(self, x, hard, index: int):
        # the other entries of `hard` are 0 in value; adding them keeps their straight-through gradient
        rest = hard.sum() - hard[index]
        if index == _NONE:
            return x.mul(0.0) + rest  # the none op: zeros (its own weight gets a zero gradient)
        return hard[index] * self.ops[index](x) + rest


class SearchCell(nn.Module):
    """One NB201 cell whose 6 edges are :class:`MixedOp` modules (node 3 is the output)."""

    def __init__(self, channels: int):
        super().__init__()
        self.edges = nn.ModuleList(MixedOp(channels) for _ in EDGES)

    def forward(self, x, weights, indices=None):
        """``weights``: (6, 5) mixing weights; ``indices``: None (soft) or 6 sampled op indices (hard)."""
        nodes = [x]
        for target in (1, 2, 3):
            out = None
            for e, (source, t) in enumerate(EDGES):
                if t != target:
                    continue
                if indices is None:
                    y = self.edges[e].forward_soft(nodes[source], weights[e])
                else:
                    y = self.edges[e].forward_hard(nodes[source], weights[e], int(indices[e]))
                out = y if out is None else out + y
            nodes.append(out)
        return nodes[3]


class Supernet(nn.Module):
    """NB201 supernet with shared architecture parameters.

    Parameters
    ----------
    C : int
        Channels of the first stage.
    N : int
        Cells per stage.
    in_channels : int
        Image channels (1 for digits, 3 for CIFAR).
    n_classes : int
    mode : {"darts", "gdas"}
    seed : int, default 0
        Seeds the initial weights and alphas (``alphas = 1e-3 * normal``, as in NB201's code) and,
        for GDAS, the Gumbel noise stream; torch's global RNG is neither used nor changed.

    Attributes
    ----------
    alphas : torch.nn.Parameter of shape (6, 5)
        Architecture parameters: edge (arch-string order) x operation (:data:`OPS` order).
    tau : float
        Gumbel-softmax temperature (GDAS; set by the search driver each epoch).

    Notes
    -----
    ``forward`` maps (batch, in_channels, H, W), H and W multiples of 4, to logits (batch, n_classes).
    """

    def __init__(self, C: int, N: int, in_channels: int, n_classes: int, mode: str = "darts", seed: int = 0):
        super().__init__()
        C, N, in_channels, n_classes = (check_int(name, value, 1, hint=f"Pass for example {name}=8.") for name, value
                                        in (("C", C), ("N", N), ("in_channels", in_channels), ("n_classes", n_classes)))
        seed = check_int("seed", seed, 0, hint="Pass for example seed=0.")
        if mode not in MODES:
            raise UnknownNameError(f"unknown supernet mode {mode!r}; expected one of {choices_text(MODES)}.")
        self.mode = mode
        self.tau = 10.0
        with torch.random.fork_rng(devices=[]):  # constructors draw from the global RNG; keep it untouched
            self.stem = nn.Sequential(nn.Conv2d(in_channels, C, 3, padding=1, bias=False), nn.BatchNorm2d(C))
            layers, channels = [], C
            for stage in range(3):
                if stage > 0:
                    layers.append(ResidualReduction(channels, 2 * channels))
                    channels *= 2
                layers.extend(SearchCell(channels) for _ in range(N))
            self.cells = nn.ModuleList(layers)
            self.lastact = nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU(inplace=False))
            self.global_pooling = nn.AdaptiveAvgPool2d(1)
            self.classifier = nn.Linear(channels, n_classes)
        gen = torch.Generator(device="cpu")
        gen.manual_seed(seed)
        init_parameters(self, gen)
        self.alphas = nn.Parameter(1e-3 * torch.randn(len(EDGES), len(OPS), generator=gen))
        self._gumbel = torch.Generator(device="cpu")
        self._gumbel.manual_seed(seed + 1)

    def weight_parameters(self) -> list:
        """Network weights (everything but :attr:`alphas`)."""
        return [p for name, p in self.named_parameters() if name != "alphas"]

    def arch_parameters(self) -> list:
        """``[alphas]``."""
        return [self.alphas]

    def _gdas_sample(self):
        """Straight-through hard Gumbel-softmax sample of shape (6, 5) and its argmax per edge."""
        while True:  # resample in the (measure-zero) case of infinite noise, as NB201's code does
            u = torch.empty(self.alphas.shape).exponential_(generator=self._gumbel)
            gumbels = -u.log()
            if torch.isfinite(gumbels).all():
                break
        logits = (F.log_softmax(self.alphas, dim=1) + gumbels.to(self.alphas.device)) / self.tau
        probs = F.softmax(logits, dim=1)
        index = probs.argmax(dim=1)
        one_hot = torch.zeros_like(probs).scatter_(1, index[:, None], 1.0)
        hard = one_hot - probs.detach() + probs
        return hard, index.tolist()

    def forward(self, x):
        if self.mode == "darts":
            weights, indices = F.softmax(self.alphas, dim=1), None
        else:
            weights, indices = self._gdas_sample()
        x = self.stem(x)
        for cell in self.cells:
            x = cell(x, weights, indices) if isinstance(cell, SearchCell) else cell(x)
        x = self.lastact(x)
        return self.classifier(self.global_pooling(x).flatten(1))

    def probabilities(self):
        """``softmax(alphas)`` per edge as a (6, 5) float64 numpy array (rows sum to 1)."""
        with torch.no_grad():
            return F.softmax(self.alphas.detach().double().cpu(), dim=1).numpy()

    def derive(self) -> NB201Arch:
        """The final arch: argmax of ``alphas`` on each edge (NB201's rule, ``none`` included)."""
        ops = tuple(int(i) for i in self.alphas.detach().cpu().argmax(dim=1).tolist())
        return NB201Arch(ops)
