"""The scaled-down DARTS network: wiring, determinism, counts, errors, training through train_arch."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nasbench.errors import InvalidArchError, NasbenchError  # noqa: E402
from nasbench.spaces.darts import DARTSArch, DARTSSpace  # noqa: E402
from nasbench.training.darts_archs import (arch_code, arch_from_code, archs_from_array, archs_to_array,  # noqa: E402
                                           sample_distinct)
from nasbench.training.darts_model import DARTSNetwork, FactorizedReduce, SepConv, build_darts_network  # noqa: E402
from nasbench.training.flops import count_flops  # noqa: E402
from nasbench.training.model import count_params  # noqa: E402

ALL_SKIP = DARTSArch([(0, 2), (1, 2)] * 4, [(0, 2), (1, 2)] * 4)


def arch(seed=0):
    return DARTSSpace().sample(np.random.default_rng(seed))


def test_shapes_cells_and_reduction():
    net = build_darts_network(arch(), C=4, N=2, in_channels=1, n_classes=10)
    assert isinstance(net, DARTSNetwork) and len(net.cells) == 5
    assert [c.reduction for c in net.cells] == [False, False, True, False, False]
    x = torch.zeros(3, 1, 8, 8)
    assert net(x).shape == (3, 10)
    # the cell after the reduction reads s0 at twice the resolution: a factorised reduce
    assert isinstance(net.cells[3].pre0, FactorizedReduce) and not isinstance(net.cells[2].pre0, FactorizedReduce)
    assert net.classifier.in_features == 4 * 2 * 4  # 4 intermediate nodes of 2C channels


def test_reduction_cell_strides_only_ops_on_cell_inputs():
    a = DARTSArch([(0, 3), (1, 3)] * 4, [(0, 2), (1, 3), (0, 4), (2, 3), (1, 5), (3, 0), (4, 1), (2, 6)])
    net = build_darts_network(a, C=4, N=1)
    red = net.cells[1]
    assert isinstance(red.ops[0], FactorizedReduce)  # skip from an input at stride 2
    assert red.ops[1][0][1].stride == (2, 2) and red.ops[3][0][1].stride == (1, 1)
    assert isinstance(net.cells[0].ops[0], SepConv)
    s0, s1 = torch.zeros(2, 12, 8, 8), torch.zeros(2, 16, 8, 8)  # stem (3C) and first cell (4C)
    assert red(s0, s1).shape == (2, 4 * 8, 4, 4)


def test_same_seed_same_parameters_and_global_rng_untouched():
    state = torch.random.get_rng_state()
    a, b = (build_darts_network(arch(1), C=4, N=1, seed=3) for _ in range(2))
    c = build_darts_network(arch(1), C=4, N=1, seed=4)
    assert torch.equal(torch.random.get_rng_state(), state)
    pa, pb, pc = (torch.cat([p.flatten() for p in n.parameters()]) for n in (a, b, c))
    assert torch.equal(pa, pb) and not torch.equal(pa, pc)


def test_counts_follow_the_genotype():
    skip = build_darts_network(ALL_SKIP, C=4, N=1)
    convs = build_darts_network(DARTSArch([(0, 4), (1, 4)] * 4, [(0, 4), (1, 4)] * 4), C=4, N=1)
    assert count_params(convs) > count_params(skip) > 0
    assert count_flops(convs, (1, 8, 8)) > count_flops(skip, (1, 8, 8)) > 0
    # the pair order inside a node does not change the network's size
    swapped = DARTSArch([(1, 2), (0, 2)] * 4, [(1, 2), (0, 2)] * 4)
    assert count_params(build_darts_network(swapped, C=4, N=1)) == count_params(skip)


def test_builder_errors():
    with pytest.raises(InvalidArchError, match="arch must be a DARTSArch"):
        build_darts_network(6111)
    with pytest.raises(NasbenchError, match="C must be an int >= 1; got 0"):
        build_darts_network(arch(), C=0)
    with pytest.raises(NasbenchError, match="seed must be a non-negative int"):
        build_darts_network(arch(), seed=-1)
    with pytest.raises(NasbenchError, match="classifier_init must be 'default' or 'zero'; got 'ones'"):
        build_darts_network(arch(), classifier_init="ones")
    zero = build_darts_network(arch(), C=2, classifier_init="zero")
    assert not zero.classifier.weight.any() and not zero.classifier.bias.any()
    from nasbench.training.darts_model import build_darts_op

    with pytest.raises(InvalidArchError, match="unknown DARTS operation 'conv_7x7'"):
        build_darts_op("conv_7x7", 4, 1)


def test_train_arch_trains_a_darts_genotype_reproducibly():
    from nasbench.training.data import load_digits
    from nasbench.training.trainer import TrainConfig, train_arch

    data = load_digits(100, 60, 40)
    config = TrainConfig(C=2, N=1, epochs=2, batch_size=32, device="cpu", latency_repeats=1, latency_warmup=0,
                         bn_recalibration=32)
    r1 = train_arch(arch(2), data, config, seed=0, build=build_darts_network)
    r2 = train_arch(arch(2), data, config, seed=0, build=build_darts_network)
    assert r1.arch_index == -1 and r1.valid_acc.shape == (2,)
    np.testing.assert_array_equal(r1.valid_acc, r2.valid_acc)
    np.testing.assert_array_equal(r1.train_loss, r2.train_loss)
    assert r1.params_m > 0 and r1.flops_m > 0 and r1.latency_ms > 0


def test_codes_and_arrays_round_trip():
    archs = sample_distinct(20, 5)
    assert len({a.key for a in archs}) == 20
    for a in archs:
        back = arch_from_code(arch_code(a))
        assert back.normal == a.normal and back.reduce == a.reduce
    again = archs_from_array(archs_to_array(archs))
    assert [x.normal for x in again] == [x.normal for x in archs]
    # prefix-stable, and exclusion removes exactly the excluded genotypes
    assert sample_distinct(5, 5) == archs[:5]
    assert not {a.key for a in sample_distinct(30, 5, exclude=archs[:3])} & {a.key for a in archs[:3]}


def test_code_and_sample_errors():
    with pytest.raises(InvalidArchError, match="32 decimal digits"):
        arch_from_code("0123")
    with pytest.raises(InvalidArchError, match="takes its two inputs from distinct nodes"):
        arch_from_code("00" * 16)
    with pytest.raises(InvalidArchError, match="expected a DARTSArch"):
        arch_code("x")
    with pytest.raises(NasbenchError, match=r"expected an int array of shape \(n, 2, 8, 2\)"):
        archs_from_array(np.zeros((2, 8, 2), dtype=np.int8))
    with pytest.raises(NasbenchError, match="n must be an int >= 1"):
        sample_distinct(0, 1)
