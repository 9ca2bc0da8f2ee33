"""Model builder and FLOPs count."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nasbench.errors import InvalidArchError, NasbenchError  # noqa: E402
from nasbench.spaces.nb201 import NB201Arch  # noqa: E402
from nasbench.training.flops import count_flops  # noqa: E402
from nasbench.training.model import (  # noqa: E402
    Cell,
    build_network,
    build_op,
    check_input_shape,
    count_params,
)

BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"


def test_output_shape_and_arch_forms():
    for arch in (6111, BEST, NB201Arch.from_index(6111)):
        net = build_network(arch, C=4, N=1, in_channels=1, n_classes=7)
        assert net.arch.index == 6111
        assert net(torch.zeros(3, 1, 8, 8)).shape == (3, 7)


def test_module_tree_has_nb201_skeleton():
    net = build_network(6111, C=4, N=2)
    # N cells, reduction, N cells, reduction, N cells
    kinds = [type(m).__name__ for m in net.cells]
    assert kinds == ["Cell"] * 2 + ["ResidualReduction"] + ["Cell"] * 2 + ["ResidualReduction"] + ["Cell"] * 2
    assert net.classifier.in_features == 16


def test_same_seed_same_parameters_and_global_rng_untouched():
    state = torch.random.get_rng_state()
    a = build_network(17, C=4, N=1, seed=3)
    b = build_network(17, C=4, N=1, seed=3)
    c = build_network(17, C=4, N=1, seed=4)
    assert torch.equal(torch.random.get_rng_state(), state)
    pa, pb, pc = (torch.cat([p.flatten() for p in m.parameters()]) for m in (a, b, c))
    assert torch.equal(pa, pb) and not torch.equal(pa, pc)


def test_none_node_is_zero_and_none_edges_skipped():
    # node 3 gets only none edges: the cell outputs zeros
    cell = Cell(NB201Arch(["nor_conv_3x3", "skip_connect", "avg_pool_3x3", "none", "none", "none"]), 4)
    assert torch.count_nonzero(cell(torch.randn(2, 4, 8, 8))) == 0
    # skip 0->1, none elsewhere except 1->3 skip: the cell is the identity
    cell = Cell(NB201Arch(["skip_connect", "none", "none", "none", "skip_connect", "none"]), 4)
    x = torch.randn(2, 4, 8, 8)
    assert torch.equal(cell(x), x)


def test_avg_pool_excludes_padding():
    pool = build_op("avg_pool_3x3", 1)
    out = pool(torch.ones(1, 1, 4, 4))
    assert torch.allclose(out, torch.ones(1, 1, 4, 4))


def test_flops_hand_count_for_tiny_network():
    # C=2, N=1, 1x4x4 input, 3 classes, cell with one conv3x3 (0->1), conv1x1 (1->2), skip (2->3).
    arch = NB201Arch(["nor_conv_3x3", "none", "nor_conv_1x1", "none", "none", "skip_connect"])
    net = build_network(arch, C=2, N=1, in_channels=1, n_classes=3)
    stem = 2 * 4 * 4 * 1 * 9  # out_c * H * W * in_c * k*k
    cell = lambda c, hw: c * hw * hw * c * 9 + c * hw * hw * c * 1  # noqa: E731
    red1 = 4 * 2 * 2 * 2 * 9 + 4 * 2 * 2 * 4 * 9 + 4 * 2 * 2 * 2  # conv_a, conv_b, shortcut 1x1
    red2 = 8 * 1 * 1 * 4 * 9 + 8 * 1 * 1 * 8 * 9 + 8 * 1 * 1 * 4
    head = 8 * 3
    expected = stem + cell(2, 4) + red1 + cell(4, 2) + red2 + cell(8, 1) + head
    assert expected == 288 + 640 + 896 + 640 + 896 + 640 + 24 == 4024
    assert count_flops(net, (1, 4, 4)) == expected
    assert net.training  # mode restored


def test_flops_skip_none_edges_and_nb201_size():
    # all-none cells: only stem, reductions and head count
    none = count_flops(build_network(NB201Arch([0] * 6), C=16, N=5), (3, 32, 32))
    conv = count_flops(build_network(NB201Arch([0, 0, 0, 3, 0, 0]), C=16, N=5), (3, 32, 32))
    per_cell_3x3 = sum(c * hw * hw * c * 9 for c, hw in ((16, 32), (32, 16), (64, 8)))
    assert conv - none == 5 * per_cell_3x3


def test_params_count_trainable_only():
    net = build_network(6111, C=4, N=1)
    n_buffers = sum(b.numel() for b in net.buffers())
    assert n_buffers > 0
    assert count_params(net) == sum(p.numel() for p in net.parameters())


@pytest.mark.parametrize("kwargs, match", [
    ({"C": 0}, "C must be an int >= 1; got 0"),
    ({"N": 1.5}, "N must be an int >= 1; got 1.5"),
    ({"n_classes": True}, "n_classes must be an int >= 1"),
    ({"seed": -1}, "seed must be a non-negative int; got -1"),
])
def test_build_network_rejects_bad_sizes(kwargs, match):
    with pytest.raises(NasbenchError, match=match):
        build_network(0, **kwargs)


def test_build_network_takes_numpy_integers_as_ints():
    a = build_network(np.int64(6111), C=np.int64(4), N=np.int32(1), seed=np.int64(3))
    b = build_network(6111, C=4, N=1, seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))


def test_build_network_rejects_bad_arch():
    with pytest.raises(InvalidArchError, match="arch must be an NB201Arch, an NB201 arch string or an NB201 index"):
        build_network(np.float64(3.0))
    with pytest.raises(InvalidArchError, match="index must be an int in"):
        build_network(15625)


def test_build_op_rejects_unknown_op():
    with pytest.raises(InvalidArchError, match="unknown NB201 operation 'conv_5x5'; expected one of"):
        build_op("conv_5x5", 4)


@pytest.mark.parametrize("shape", [(1, 6, 8), (3, 32), (0, 8, 8), "abc", (1, 2, 2)])
def test_check_input_shape_rejects(shape):
    with pytest.raises(NasbenchError, match="input_shape must be"):
        check_input_shape(shape)


def test_check_input_shape_rejects_non_sequence():
    with pytest.raises(NasbenchError, match=r"input_shape must be \(channels, height, width\); got 5"):
        check_input_shape(5)
