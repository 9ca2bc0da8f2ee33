"""Zero-cost proxies: scores of an untrained network that are meant to rank architectures.

The 13 proxies of NASLib / NAS-Bench-Suite-Zero, each written from its paper. ``W`` are the weights
of every :class:`torch.nn.Conv2d` and :class:`torch.nn.Linear` layer (biases and BatchNorm excluded,
as in the papers' reference code), ``L`` the mean cross-entropy of the batch, sums run over those
layers. Every score is "higher predicts better" except where noted.

=========  ==========================================================================  ==========
proxy      score                                                                       input
=========  ==========================================================================  ==========
grad_norm  sum of the layers' gradient norms ``||dL/dW||_2`` (Abdelfattah et al. 2021)  batch
snip       ``sum |W * dL/dW|`` (Lee et al. 2019, connection sensitivity)               batch
grasp      ``sum -W * (H g)``, ``g = dL/dW``, ``H`` the Hessian of L (Wang et al. 2020)  batch
fisher     ``sum_layers sum_channels 0.5 * mean_n (sum_hw a * dL/da)^2`` over the        batch
           outputs ``a`` of every Conv2d / Linear (Theis et al. 2018; Turner et al.
           2020)
synflow    ``sum |W * dR/dW|`` with ``R`` the sum of the outputs for an all-ones input,  none
           all parameters replaced by their absolute values, BatchNorm bypassed, in
           float64 (Tanaka et al. 2020)
jacov      ``-sum_i log(l_i + k) + 1 / (l_i + k)``, ``l_i`` the eigenvalues of the        batch
           correlation matrix of the per-image input Jacobians of the summed logits,
           ``k = 1e-5`` (Mellor et al. 2021, first version)
nwot       ``log |det K|``, ``K = sum_ReLUs c c^T + (1-c)(1-c)^T`` with ``c`` the binary    batch
           codes (input > 0) of the images at every ReLU (Mellor et al. 2021)
epe_nas    ``sum_classes |sum_ij log(|corr_ij| + k)|`` over the Jacobian correlations    batch+labels
           of the images of each class (Lopes et al. 2021)
zen        ``log E_n sum_chw |f(x) - f(x + 0.01 e)| + sum_BN log sqrt(mean_c var_c)``,    noise
           ``f`` the features before global pooling with Zen-NAS's standard normal
           weights, ``x`` and ``e`` standard normal, ``var_c`` the batch variances of
           every BatchNorm on ``x`` that sees a non-zero input (Lin et al. 2021, Eq. 4)
l2_norm    ``sum ||W||_2`` at initialisation                                           none
plain      ``sum W * dL/dW`` (no absolute value)                                        batch
params     trainable parameters (millions)                                             none
flops      multiply-accumulates of one image (millions, :mod:`~nasbench.training.flops`) none
=========  ==========================================================================  ==========

Input: a :class:`ProxyBatch` of images ``x`` (float32, shape (n, channels, height, width)) and
labels ``y`` (int64, shape (n,)) - real images (:func:`batch_from_split`) or standard normal noise
with uniform labels (:func:`noise_batch`). Data-free proxies (:data:`DATA_FREE`) use only its shape;
``zen`` draws its own noise from the seed. Every proxy runs on a fresh copy of the network
initialised from ``seed`` (PyTorch's default initialisation, :func:`~nasbench.training.model.init_parameters`),
in training mode (BatchNorm uses batch statistics, as the reference code does), so proxies never
see each other's changes.

Memory is bounded by one network, its activations for the batch (at most :data:`MAX_BATCH`
images) and, for jacov and epe_nas, an (n, n) correlation matrix. On the CPU, the same seed, batch,
torch version and thread count give the same bits; on CUDA, deterministic kernels are requested
while a proxy runs (:func:`torch.use_deterministic_algorithms` with ``warn_only``).

Undefined values: when the network's output does not depend on its input (an NB201 cell whose
output node is not connected to its input), the Jacobian correlations of jacov and epe_nas are
undefined and the score is ``-inf`` (the worst; NASLib's files store ``-1e8`` there); nwot is then
``log 0 = -inf`` when ``K`` is singular, and zen is ``-inf`` (``log 0``); synflow, snip, grad_norm
are 0.

Examples
--------
>>> from nasbench.training.model import build_network
>>> batch = noise_batch((1, 8, 8), n=16, n_classes=10, seed=0)            # doctest: +SKIP
>>> compute(lambda: build_network(6111, C=8, N=1, in_channels=1), batch, ["synflow", "params"])  # doctest: +SKIP
{'synflow': (..., ...), 'params': (0.01..., ...)}
"""

from __future__ import annotations

import copy
import math
import time

import numpy as np

from nasbench.errors import NasbenchError, UnknownNameError, choices_text
from nasbench.training._deps import require_torch
# the input batch is part of this module's API (compute and score take one)
from nasbench.training.proxy_batch import MAX_BATCH, ProxyBatch, batch_from_split, noise_batch

torch = require_torch()
nn = torch.nn
F = torch.nn.functional

__all__ = ["PROXIES", "DATA_FREE", "MAX_BATCH", "ProxyBatch", "noise_batch", "batch_from_split", "compute",
           "score", "check_proxies", "PAPERS"]

PROXIES = ("grad_norm", "snip", "grasp", "fisher", "synflow", "jacov", "nwot", "epe_nas", "zen", "l2_norm",
           "plain", "params", "flops")
# proxies that read nothing of the batch but its shape (zen draws its own noise)
DATA_FREE = ("synflow", "zen", "l2_norm", "params", "flops")
JACOBIAN_EPS = 1e-5  # the k of jacov and epe_nas
ZEN_MIXUP = 1e-2  # the perturbation scale of Zen-NAS

PAPERS = {
    "grad_norm": "Abdelfattah et al., Zero-Cost Proxies for Lightweight NAS, ICLR 2021",
    "snip": "Lee et al., SNIP: Single-shot Network Pruning based on Connection Sensitivity, ICLR 2019",
    "grasp": "Wang et al., Picking Winning Tickets Before Training by Preserving Gradient Flow, ICLR 2020",
    "fisher": "Theis et al., Faster gaze prediction with dense networks and Fisher pruning, 2018; Turner et al., "
              "BlockSwap, ICLR 2020",
    "synflow": "Tanaka et al., Pruning neural networks without any data by iteratively conserving synaptic flow, "
               "NeurIPS 2020",
    "jacov": "Mellor et al., Neural Architecture Search without Training, arXiv:2006.04647v1 (2020)",
    "nwot": "Mellor et al., Neural Architecture Search without Training, ICML 2021",
    "epe_nas": "Lopes et al., EPE-NAS: Efficient Performance Estimation Without Training for NAS, ICANN 2021",
    "zen": "Lin et al., Zen-NAS: A Zero-Shot NAS for High-Performance Image Recognition, ICCV 2021",
    "l2_norm": "Abdelfattah et al., Zero-Cost Proxies for Lightweight NAS, ICLR 2021 (baseline)",
    "plain": "Abdelfattah et al., Zero-Cost Proxies for Lightweight NAS, ICLR 2021 (baseline)",
    "params": "parameter count (NAS-Bench-Suite-Zero baseline)",
    "flops": "FLOPs (NAS-Bench-Suite-Zero baseline)",
}


def check_proxies(names) -> tuple[str, ...]:
    """Validate proxy names (``"all"`` means :data:`PROXIES`); returns them in :data:`PROXIES` order.

    Each name may also be a comma-separated list (``"synflow,zen"``), as the CLI's ``--proxies`` takes.
    """
    names = [names] if isinstance(names, str) else list(names)
    names = [q for n in names for q in ([s.strip() for s in n.split(",")] if isinstance(n, str) else [n]) if q != ""]
    if "all" in names:
        return PROXIES
    bad = [n for n in names if n not in PROXIES]
    if bad or not names:
        raise UnknownNameError(f"unknown proxy {bad[0] if bad else '(none given)'!r}; expected one or more of "
                               f"{choices_text(PROXIES)} or 'all'.")
    return tuple(p for p in PROXIES if p in names)


# ---- helpers ----------------------------------------------------------------------------------

def _layers(net):
    return [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def _loss_backward(net, x, y):
    net.zero_grad(set_to_none=True)
    loss = F.cross_entropy(net(x), y)
    loss.backward()
    return loss


def _input_jacobians(net, x) -> np.ndarray:
    """d(sum of logits)/dx per image, float64 (n, channels * height * width)."""
    x = x.clone().requires_grad_(True)
    out = net(x)
    (grad,) = torch.autograd.grad(out.sum(), x, allow_unused=True)
    if grad is None:  # the output does not depend on the input (a cell with no path from its input)
        grad = torch.zeros_like(x)
    return grad.reshape(grad.shape[0], -1).double().cpu().numpy()


def _correlation(rows: np.ndarray):
    """Correlation matrix of the rows, or None when a row is constant (correlation undefined)."""
    centred = rows - rows.mean(axis=1, keepdims=True)
    norms = np.sqrt((centred * centred).sum(axis=1))
    if rows.shape[0] < 2 or (norms <= 1e-30 * max(1.0, float(np.abs(rows).max()))).any():
        return None
    unit = centred / norms[:, None]
    return np.clip(unit @ unit.T, -1.0, 1.0)


# ---- the proxies (each takes a fresh network in training mode) ----------------------------------

def _grad_norm(net, x, y, ctx):
    _loss_backward(net, x, y)
    return sum(float(m.weight.grad.norm()) for m in _layers(net) if m.weight.grad is not None)


def _snip(net, x, y, ctx):
    _loss_backward(net, x, y)
    return sum(float((m.weight.grad * m.weight.detach()).abs().sum()) for m in _layers(net) if m.weight.grad is not None)


def _plain(net, x, y, ctx):
    _loss_backward(net, x, y)
    return sum(float((m.weight.grad * m.weight.detach()).sum()) for m in _layers(net) if m.weight.grad is not None)


def _grasp(net, x, y, ctx):
    weights = [m.weight for m in _layers(net)]
    net.zero_grad(set_to_none=True)
    # g = dL/dW, held fixed; then H g = d(g_graph . g)/dW by a second differentiation
    g = torch.autograd.grad(F.cross_entropy(net(x), y), weights, allow_unused=True)
    g_graph = torch.autograd.grad(F.cross_entropy(net(x), y), weights, create_graph=True, allow_unused=True)
    z = sum((a * b.detach()).sum() for a, b in zip(g_graph, g) if a is not None)
    if not torch.is_tensor(z) or not z.requires_grad:
        return 0.0
    hg = torch.autograd.grad(z, weights, allow_unused=True)
    return sum(float((-w.detach() * h).sum()) for w, h in zip(weights, hg) if h is not None)


def _fisher(net, x, y, ctx):
    acts, handles = [], []

    def keep(module, inputs, output):
        if output.requires_grad:
            output.retain_grad()
            acts.append(output)

    for m in _layers(net):
        handles.append(m.register_forward_hook(keep))
    try:
        _loss_backward(net, x, y)
    finally:
        for h in handles:
            h.remove()
    total = 0.0
    for a in acts:
        if a.grad is None:
            continue
        prod = (a * a.grad).detach()
        per_channel = prod.sum(dim=(2, 3)) if prod.ndim == 4 else prod  # (n, channels)
        total += float(0.5 * per_channel.pow(2).mean(dim=0).sum())
    return total


def _synflow(net, x, y, ctx):
    # eval mode: BatchNorm is bypassed anyway, and a batch of one 1x1 map would make it refuse
    net = net.double().eval()
    with torch.no_grad():
        for tensor in net.state_dict().values():
            if tensor.is_floating_point():
                tensor.abs_()
    # Tanaka et al.'s reference bypasses BatchNorm (NASLib's synflow: bn=False): with a positive
    # input and positive weights the network is then a positive multilinear function of its weights.
    handles = [m.register_forward_hook(lambda mod, inp, out: inp[0])
               for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    try:
        net.zero_grad(set_to_none=True)
        net(torch.ones((1, *x.shape[1:]), dtype=torch.float64, device=x.device)).sum().backward()
    finally:
        for h in handles:
            h.remove()
    return sum(float((m.weight.grad * m.weight.detach()).abs().sum()) for m in _layers(net) if m.weight.grad is not None)


def _jacov(net, x, y, ctx):
    corr = _correlation(_input_jacobians(net, x))
    if corr is None:
        return -math.inf
    eig = np.linalg.eigvalsh(corr)
    return float(-np.sum(np.log(eig + JACOBIAN_EPS) + 1.0 / (eig + JACOBIAN_EPS)))


def _epe_nas(net, x, y, ctx):
    jac = _input_jacobians(net, x)
    labels = y.cpu().numpy()
    total = 0.0
    for c in np.unique(labels):
        rows = jac[labels == c]
        if len(rows) < 2:  # a single image's correlation with itself is 1: log(1 + k), kept as in the paper
            total += abs(math.log(1.0 + JACOBIAN_EPS))
            continue
        corr = _correlation(rows)
        if corr is None:
            return -math.inf
        total += abs(float(np.log(np.abs(corr) + JACOBIAN_EPS).sum()))
    return total


def _nwot(net, x, y, ctx):
    n = x.shape[0]
    kernel = torch.zeros((n, n), dtype=torch.float64, device=x.device)

    def count(module, inputs, output):
        codes = (inputs[0].detach().reshape(n, -1) > 0).double()
        kernel.add_(codes @ codes.T).add_((1.0 - codes) @ (1.0 - codes).T)

    handles = [m.register_forward_hook(count) for m in net.modules() if isinstance(m, nn.ReLU)]
    try:
        with torch.no_grad():
            net(x)
    finally:
        for h in handles:
            h.remove()
    sign, logdet = np.linalg.slogdet(kernel.cpu().numpy())
    return float(logdet) if sign != 0 else -math.inf


def _pre_pool_features(net, x):
    """The input of the last global pooling (the features Zen-NAS perturbs), or the output."""
    pools = [m for m in net.modules() if isinstance(m, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d))]
    if not pools:
        return net(x)
    seen = []
    handle = pools[-1].register_forward_hook(lambda mod, inp, out: seen.append(inp[0]))
    try:
        net(x)
    finally:
        handle.remove()
    return seen[-1]


def _gaussian_init(net, gen) -> None:
    """Zen-NAS's initialisation: Conv2d / Linear weights standard normal, biases 0, BatchNorm 1 and 0."""
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen, dtype=m.weight.dtype))
                if m.bias is not None:
                    m.bias.zero_()
            elif isinstance(m, nn.BatchNorm2d) and m.affine:
                m.weight.fill_(1.0)
                m.bias.zero_()


def _zen(net, x, y, ctx):
    gen = torch.Generator(device="cpu")
    gen.manual_seed(ctx["seed"])
    _gaussian_init(net, gen)
    a = torch.randn(x.shape, generator=gen, dtype=torch.float32).to(x.device)
    e = torch.randn(x.shape, generator=gen, dtype=torch.float32).to(x.device)
    variances, handles = [], []
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            handles.append(m.register_forward_hook(
                lambda mod, inp, out: variances.append(inp[0].detach().var(dim=(0, 2, 3), unbiased=False).mean())))
    with torch.no_grad():
        try:
            f_a = _pre_pool_features(net, a)
        finally:
            for h in handles:
                h.remove()
        f_b = _pre_pool_features(net, a + ZEN_MIXUP * e)
    delta = float((f_a - f_b).abs().reshape(f_a.shape[0], -1).sum(dim=1).mean())
    if not delta > 0:  # the features do not depend on the input
        return -math.inf
    # a BatchNorm fed only zeros sits on a dead branch ('none' inputs) that adds nothing to the
    # output; its log(0) would swamp the score, so only layers that carry signal count
    return math.log(delta) + sum(0.5 * math.log(float(v)) for v in variances if float(v) > 0)


def _l2_norm(net, x, y, ctx):
    return sum(float(m.weight.detach().norm()) for m in _layers(net))


def _params(net, x, y, ctx):
    from nasbench.training.model import count_params

    return count_params(net) / 1e6


def _flops(net, x, y, ctx):
    from nasbench.training.flops import count_flops

    return count_flops(net, tuple(x.shape[1:])) / 1e6


_IMPL = {"grad_norm": _grad_norm, "snip": _snip, "grasp": _grasp, "fisher": _fisher, "synflow": _synflow,
         "jacov": _jacov, "nwot": _nwot, "epe_nas": _epe_nas, "zen": _zen, "l2_norm": _l2_norm, "plain": _plain,
         "params": _params, "flops": _flops}


def _resolve_device(device):
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise NasbenchError(f"device must be 'cpu', 'cuda', 'cuda:N' or 'auto'; got {device!r}.") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise NasbenchError(f"device {device!r} was asked for but torch sees no CUDA device; pass device='cpu'.")
    return dev


def score(net, batch: ProxyBatch, proxy: str, *, seed: int = 0, device=None) -> float:
    """One proxy of one network (a copy is scored; ``net`` is left unchanged).

    Parameters
    ----------
    net : torch.nn.Module
        Maps (n, channels, height, width) to logits (n, n_classes).
    batch : ProxyBatch
    proxy : str
        One of :data:`PROXIES`.
    seed : int, default 0
        The noise seed of ``zen``.
    device : str or None
        ``None``/``"auto"``: CUDA when present, else CPU.

    Returns
    -------
    float
        The score (``-inf`` where undefined, see the module docstring).
    """
    check_proxies([proxy])
    dev = _resolve_device(device)
    work = copy.deepcopy(net).to(dev).train()
    x = torch.from_numpy(batch.x).to(dev)
    y = torch.from_numpy(batch.y).to(dev)
    deterministic = torch.are_deterministic_algorithms_enabled()
    if dev.type == "cuda":
        torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        return float(_IMPL[proxy](work, x, y, {"seed": int(seed)}))
    finally:
        if dev.type == "cuda":
            torch.use_deterministic_algorithms(deterministic)
        del work
        if dev.type == "cuda":
            torch.cuda.empty_cache()


def compute(build, batch: ProxyBatch, proxies=PROXIES, *, seed: int = 0, device=None) -> dict:
    """Score one network with several proxies, timing each.

    Parameters
    ----------
    build : callable
        ``build()`` returns the network (initialised from its own seed; built once, copied per proxy).
    batch : ProxyBatch
    proxies : sequence of str, default all
    seed : int, default 0
    device : str or None

    Returns
    -------
    dict proxy -> (score, seconds)
        ``seconds``: the cost of that proxy alone (copy to the device included, the network's
        construction not): on the CPU the CPU time of this process (:func:`time.process_time`), so
        other programs sharing the machine do not inflate it (run with one torch thread to read it
        as single-core seconds); on CUDA the wall-clock time after synchronising.
    """
    names = check_proxies(proxies)
    cuda = _resolve_device(device).type == "cuda"
    clock = time.perf_counter if cuda else time.process_time
    net = build()
    out = {}
    for name in names:
        start = clock()
        value = score(net, batch, name, seed=seed, device=device)
        if cuda:
            torch.cuda.synchronize()
        out[name] = (value, clock() - start)
    return out
