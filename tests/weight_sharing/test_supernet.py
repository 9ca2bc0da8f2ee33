"""The NB201 supernet: a one-hot supernet is the stand-alone network; GDAS runs its sampled arch."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the training backend needs torch")

from nasbench.errors import NasbenchError, UnknownNameError
from nasbench.spaces.nb201 import OPS, NB201Arch
from nasbench.training.model import Cell, NB201Network, build_network
from nasbench.training.supernet import SearchCell, Supernet

ARCHS = [6111, 0, 15624, NB201Arch.from_string(
    "|none~0|+|skip_connect~0|avg_pool_3x3~1|+|nor_conv_1x1~0|none~1|nor_conv_3x3~2|").index]


def _load_arch_weights(supernet: Supernet, net: NB201Network) -> None:
    """Copy the stand-alone network's weights into the supernet ops that ``net.arch`` selects."""
    with torch.no_grad():
        supernet.stem.load_state_dict(net.stem.state_dict())
        supernet.lastact.load_state_dict(net.lastact.state_dict())
        supernet.classifier.load_state_dict(net.classifier.state_dict())
        for s_cell, n_cell in zip(supernet.cells, net.cells):
            if isinstance(s_cell, SearchCell):
                assert isinstance(n_cell, Cell)
                for e, op in enumerate(net.arch.ops):
                    s_cell.edges[e].ops[op].load_state_dict(n_cell.edges[e].state_dict())
            else:
                s_cell.load_state_dict(n_cell.state_dict())


@pytest.mark.parametrize("index", ARCHS)
def test_darts_supernet_with_one_hot_alphas_is_the_standalone_network(index):
    arch = NB201Arch.from_index(index)
    net = build_network(arch, C=4, N=2, in_channels=1, n_classes=10, seed=3).eval()
    sup = Supernet(C=4, N=2, in_channels=1, n_classes=10, mode="darts", seed=0).eval()
    _load_arch_weights(sup, net)
    with torch.no_grad():
        sup.alphas.zero_()
        sup.alphas[torch.arange(6), torch.tensor(arch.ops)] = 200.0  # softmax is exactly one-hot in float32
    x = torch.randn(5, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        np.testing.assert_allclose(sup(x).numpy(), net(x).numpy(), rtol=1e-5, atol=1e-6)
    assert sup.derive() == arch


def test_gdas_forward_runs_the_sampled_arch_and_reaches_every_alpha():
    sup = Supernet(C=4, N=1, in_channels=1, n_classes=10, mode="gdas", seed=5)
    sup.tau = 1.0
    state = sup._gumbel.get_state()
    _, indices = sup._gdas_sample()
    sup._gumbel.set_state(state)
    arch = NB201Arch(indices)
    net = build_network(arch, C=4, N=1, in_channels=1, n_classes=10, seed=2)
    _load_arch_weights(sup, net)
    sup.eval(), net.eval()
    x = torch.randn(4, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    out = sup(x)
    np.testing.assert_allclose(out.detach().numpy(), net(x).detach().numpy(), rtol=1e-5, atol=1e-6)
    out.sum().backward()
    # straight-through: the soft sample's gradient reaches the alphas of every edge
    assert sup.alphas.grad is not None
    assert (sup.alphas.grad.abs().sum(dim=1) > 0).all()


def test_supernet_is_seeded_and_leaves_global_rng_alone():
    before = torch.random.get_rng_state().clone()
    a = Supernet(C=4, N=1, in_channels=1, n_classes=10, mode="gdas", seed=7)
    b = Supernet(C=4, N=1, in_channels=1, n_classes=10, mode="gdas", seed=7)
    assert torch.equal(torch.random.get_rng_state(), before)
    for (na, pa), (nb, pb) in zip(a.named_parameters(), b.named_parameters()):
        assert na == nb and torch.equal(pa, pb)
    x = torch.ones(2, 1, 8, 8)
    assert torch.equal(a(x), b(x))  # same Gumbel stream too
    assert a.alphas.shape == (6, len(OPS))
    assert {n for n, _ in a.named_parameters()} - {n for n, p in a.named_parameters()
                                                      if any(p is q for q in a.weight_parameters())} == {"alphas"}
    probs = a.probabilities()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)


def test_supernet_errors():
    with pytest.raises(UnknownNameError, match="unknown supernet mode 'enas'; expected one of 'darts', 'gdas'"):
        Supernet(4, 1, 1, 10, mode="enas")
    with pytest.raises(NasbenchError, match="C must be an int >= 1; got 0"):
        Supernet(0, 1, 1, 10)
    with pytest.raises(NasbenchError, match="seed must be an int >= 0; got -1"):
        Supernet(4, 1, 1, 10, seed=-1)
