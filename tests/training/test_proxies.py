"""Zero-cost proxies on tiny networks: hand-checked values, determinism, undefined cases, errors."""

import math
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nasbench.errors import NasbenchError, UnknownNameError  # noqa: E402
from nasbench.spaces.nb201 import NB201Arch  # noqa: E402
from nasbench.training import proxies as P  # noqa: E402
from nasbench.training.model import build_network  # noqa: E402

ALL_NONE = NB201Arch.from_string("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|").index
ALL_SKIP = NB201Arch.from_string("|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|"
                                 "skip_connect~2|").index


def tiny(arch=6111, seed=0):
    return build_network(arch, C=2, N=1, in_channels=1, n_classes=3, seed=seed)


@pytest.fixture(scope="module")
def batch():
    return P.noise_batch((1, 4, 4), n=8, n_classes=3, seed=0)


class Linear(torch.nn.Module):
    """x (n, 1, 2, 2) -> flatten -> Linear(4, 3, no bias): every quantity has a closed form."""

    def __init__(self, weight):
        super().__init__()
        self.fc = torch.nn.Linear(4, 3, bias=False)
        with torch.no_grad():
            self.fc.weight.copy_(torch.as_tensor(weight, dtype=torch.float32))

    def forward(self, x):
        return self.fc(x.flatten(1))


W = np.array([[0.5, -1.0, 0.25, 2.0], [-0.5, 0.75, 1.5, -0.25], [1.0, 0.5, -2.0, 0.125]], dtype=np.float32)


@pytest.fixture(scope="module")
def linear_batch():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 1, 2, 2)).astype(np.float32)
    y = np.array([0, 1, 2, 0, 1, 2], dtype=np.int64)
    return P.ProxyBatch(x, y, 3, "test")


def _softmax_grad(batch):
    """dL/dlogits of the mean cross-entropy, (n, 3), and the inputs (n, 4), in float64."""
    x = batch.x.reshape(len(batch.x), -1).astype(np.float64)
    logits = x @ W.T.astype(np.float64)
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    p[np.arange(len(x)), batch.y] -= 1.0
    return p / len(x), x


def test_synflow_hand_checked():
    # conv (1x1, weight w) -> flatten -> linear (weights v), input ones (1, 1, 2, 2): after taking absolute
    # values R = |w| * sum|v|, and sum over all weights of theta * dR/dtheta = R per layer, so 2 R in total
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 1, 1, bias=False), torch.nn.Flatten(), torch.nn.Linear(4, 1, bias=False))
    with torch.no_grad():
        net[0].weight.fill_(-0.5)
        net[2].weight.copy_(torch.tensor([[1.0, -2.0, 3.0, 0.5]]))
    batch = P.ProxyBatch(np.zeros((2, 1, 2, 2), dtype=np.float32), np.zeros(2, dtype=np.int64), 1, "shape only")
    assert P.score(net, batch, "synflow") == pytest.approx(2 * 0.5 * 6.5, rel=1e-12)
    assert net[0].weight.item() == -0.5  # the caller's network is untouched


def test_synflow_bypasses_batchnorm_and_counts_paths():
    # with BatchNorm bypassed and all-ones input, the all-skip cell is the identity, so only the stem,
    # the two reduction blocks and the classifier carry weights; an all-none cell cuts every path
    assert P.score(tiny(ALL_NONE), P.noise_batch((1, 4, 4), n=2, n_classes=3), "synflow") == 0.0
    assert P.score(tiny(ALL_SKIP), P.noise_batch((1, 4, 4), n=2, n_classes=3), "synflow") > 0


def test_params_hand_checked(batch):
    # C=2, N=1, 1 input channel, 3 classes, cells without weights:
    # stem 1*2*9 + BN 4 = 22; reduction 2->4: 2*4*9 + 8 + 4*4*9 + 8 + 2*4 = 240;
    # reduction 4->8: 4*8*9 + 16 + 8*8*9 + 16 + 4*8 = 928; last BN 16; classifier 8*3 + 3 = 27
    assert P.score(tiny(ALL_SKIP), batch, "params") == pytest.approx(1233 / 1e6)


def test_flops_and_l2_norm_hand_checked(batch, linear_batch):
    from nasbench.training.flops import count_flops

    net = tiny()
    assert P.score(net, batch, "flops") == count_flops(net, (1, 4, 4)) / 1e6
    assert P.score(Linear(W), linear_batch, "l2_norm") == pytest.approx(np.linalg.norm(W), rel=1e-6)


def test_gradient_proxies_hand_checked(linear_batch):
    g_logits, x = _softmax_grad(linear_batch)
    grad = g_logits.T @ x  # dL/dW, (3, 4)
    net = Linear(W)
    assert P.score(net, linear_batch, "grad_norm") == pytest.approx(np.linalg.norm(grad), rel=1e-5)
    assert P.score(net, linear_batch, "snip") == pytest.approx(np.abs(W * grad).sum(), rel=1e-5)
    assert P.score(net, linear_batch, "plain") == pytest.approx((W * grad).sum(), rel=1e-4)
    a = x @ W.T.astype(np.float64)  # the layer's outputs, (n, 3)
    assert P.score(net, linear_batch, "fisher") == pytest.approx((0.5 * ((a * g_logits) ** 2).mean(0)).sum(), rel=1e-4)


def test_grasp_matches_an_explicit_hessian(linear_batch):
    net = Linear(W)
    x, y = torch.from_numpy(linear_batch.x).double(), torch.from_numpy(linear_batch.y)
    w0 = torch.from_numpy(W).double()

    def loss(w):
        return torch.nn.functional.cross_entropy(x.flatten(1) @ w.T, y)

    w = w0.clone().requires_grad_(True)
    g = torch.autograd.grad(loss(w), w)[0]
    hessian = torch.autograd.functional.hessian(loss, w0).reshape(12, 12)
    expected = float(-(w0.reshape(-1) * (hessian @ g.reshape(-1))).sum())
    assert P.score(net, linear_batch, "grasp") == pytest.approx(expected, rel=1e-4)


def test_jacobian_proxies_hand_checked(linear_batch):
    # a linear network has the same input Jacobian for every image: all correlations are 1, so the
    # correlation matrix has eigenvalues n (once) and 0 (n - 1 times)
    n, k = len(linear_batch.x), P.JACOBIAN_EPS
    expected = -(math.log(n + k) + 1 / (n + k)) - (n - 1) * (math.log(k) + 1 / k)
    assert P.score(Linear(W), linear_batch, "jacov") == pytest.approx(expected, rel=1e-6)
    # epe_nas: per class (2 images each) sum log(|1| + k) over the 4 entries, absolute, summed
    assert P.score(Linear(W), linear_batch, "epe_nas") == pytest.approx(3 * 4 * math.log(1 + k), rel=1e-6)


def test_nwot_hand_checked(linear_batch):
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.ReLU(), torch.nn.Linear(4, 3))
    c = (linear_batch.x.reshape(len(linear_batch.x), -1) > 0).astype(np.float64)
    kernel = c @ c.T + (1 - c) @ (1 - c).T
    assert P.score(net, linear_batch, "nwot") == pytest.approx(np.linalg.slogdet(kernel)[1], rel=1e-9)


@pytest.mark.parametrize("proxy", P.PROXIES)
def test_every_proxy_is_deterministic_and_finite_on_a_connected_cell(batch, proxy):
    first = P.score(tiny(), batch, proxy, seed=0)
    assert P.score(tiny(), batch, proxy, seed=0) == first
    assert math.isfinite(first)


def test_the_seed_changes_the_initialisation_and_zen_noise(batch):
    assert P.score(tiny(seed=0), batch, "synflow") != P.score(tiny(seed=1), batch, "synflow")
    assert P.score(tiny(), batch, "zen", seed=0) != P.score(tiny(), batch, "zen", seed=1)


def test_data_free_proxies_ignore_the_images(batch):
    other = P.noise_batch((1, 4, 4), n=8, n_classes=3, seed=99)
    for proxy in P.DATA_FREE:
        assert P.score(tiny(), batch, proxy) == P.score(tiny(), other, proxy), proxy


def test_undefined_scores_for_a_cell_without_a_path(batch):
    out = P.compute(lambda: tiny(ALL_NONE), batch)
    for proxy in ("jacov", "epe_nas", "nwot", "zen"):
        assert out[proxy][0] == -math.inf, proxy
    for proxy in ("synflow", "snip", "grad_norm", "grasp", "plain"):
        assert out[proxy][0] == 0.0, proxy
    # fisher keeps the classifier's term: its output is its bias, whose loss gradient is not zero
    assert out["fisher"][0] > 0
    assert all(seconds >= 0 for _, seconds in out.values())


def test_same_scores_in_a_fresh_process(batch):
    code = ("import torch; torch.set_num_threads(1); from nasbench.training import proxies as P; "
            "from nasbench.training.model import build_network as b; "
            "x = P.noise_batch((1, 4, 4), n=8, n_classes=3, seed=0); "
            "print(repr([P.score(b(6111, C=2, N=1, in_channels=1, n_classes=3), x, p) for p in "
            "('synflow', 'snip', 'zen', 'nwot')]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    torch.set_num_threads(1)
    here = [P.score(tiny(), batch, p) for p in ("synflow", "snip", "zen", "nwot")]
    assert eval(out) == here  # repr round-trips floats exactly


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_agrees_with_cpu(batch):
    for proxy in P.PROXIES:
        assert P.score(tiny(), batch, proxy, device="cuda") == pytest.approx(P.score(tiny(), batch, proxy, device="cpu"),
                                                                               rel=1e-3, abs=1e-6), proxy


def test_errors(batch):
    with pytest.raises(UnknownNameError, match="unknown proxy 'snap'; expected one or more of"):
        P.score(tiny(), batch, "snap")
    with pytest.raises(UnknownNameError, match="unknown proxy"):
        P.check_proxies([])
    assert P.check_proxies(["zen", "all"]) == P.PROXIES
    assert P.check_proxies(["zen", "synflow"]) == ("synflow", "zen")
    assert P.check_proxies(["zen,synflow", "params"]) == ("synflow", "zen", "params") == P.check_proxies("params, zen,synflow")
    with pytest.raises(UnknownNameError, match=r"unknown proxy '\(none given\)'"):
        P.check_proxies([","])
    with pytest.raises(UnknownNameError, match="unknown proxy 'snap'"):
        P.check_proxies("synflow,snap")
    with pytest.raises(NasbenchError, match="device must be 'cpu'"):
        P.score(tiny(), batch, "params", device="tpu:x:y")
    if not torch.cuda.is_available():
        with pytest.raises(NasbenchError, match="sees no CUDA device"):
            P.score(tiny(), batch, "params", device="cuda")
