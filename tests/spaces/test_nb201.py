import csv

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nasbench.errors import InvalidArchError
from nasbench.spaces import NB201Arch, NB201Space, get_space
from nasbench.spaces import nb201
from tests.conftest import require_shared

NATS_CSV = "nb201_nats_bench_landscape/nats_bench.csv"
BEST_C10 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"

ops_lists = st.lists(st.integers(0, 4), min_size=6, max_size=6)


@pytest.fixture(scope="module")
def nats_rows():
    root = require_shared(NATS_CSV)
    with open(root / NATS_CSV, newline="") as fh:
        return list(csv.DictReader(fh))


def test_index_order_matches_every_public_row(nats_rows):
    assert len(nats_rows) == nb201.N_ARCHS
    for i, row in enumerate(nats_rows):
        assert NB201Arch.from_index(i).string == row["ArchitectureString"]


def test_isomorphism_key_matches_nb201_unique_string(nats_rows):
    keys = nb201.unique_strings()
    assert all(k == row["UniqueString"] for k, row in zip(keys, nats_rows))
    assert len(set(keys)) == 6466
    ids = nb201.canonical_ids()
    assert ids.max() + 1 == 6466
    reps = nb201.class_representatives()
    assert (ids[reps] == np.arange(6466)).all()
    _, first = np.unique(ids, return_index=True)
    assert (reps == first).all()  # the representative is the smallest index of its class


def test_best_cifar10_arch_is_index_6111():
    arch = NB201Arch.from_index(6111)
    assert arch.string == BEST_C10
    assert NB201Arch.from_string(BEST_C10).index == 6111
    assert arch.op_names == ("nor_conv_3x3", "nor_conv_3x3", "nor_conv_3x3", "skip_connect", "nor_conv_3x3", "nor_conv_1x1")


def test_all_indices_round_trip():
    table = nb201.ops_table()
    assert table.shape == (15625, 6)
    assert len({tuple(r) for r in table.tolist()}) == 15625
    for i in range(0, 15625, 7):
        arch = NB201Arch(table[i].tolist())
        assert arch.index == i
        assert NB201Arch.from_string(arch.string) == arch
        assert NB201Arch.from_naslib(arch.to_naslib()) == arch


def test_naslib_tuple_uses_naslib_op_and_edge_order():
    arch = NB201Arch.from_naslib((0, 2, 3, 2, 3, 1))
    assert arch.string == "|skip_connect~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_1x1~0|nor_conv_1x1~1|none~2|"
    assert NB201Arch.from_naslib("(0, 2, 3, 2, 3, 1)") == arch
    assert arch.to_naslib() == (0, 2, 3, 2, 3, 1)


@given(ops_lists)
def test_arch_values_are_hashable_and_round_trip(ops):
    arch = NB201Arch(ops)
    assert arch == NB201Arch(arch.op_names)
    assert hash(arch) == hash(NB201Arch.from_string(arch.string))
    assert NB201Arch.from_index(arch.index) == arch
    with pytest.raises(AttributeError, match="immutable"):
        arch.ops = (0,) * 6


@given(ops_lists, st.integers(0, 2**32 - 1))
def test_mutate_changes_exactly_one_edge(ops, seed):
    space = NB201Space()
    arch = NB201Arch(ops)
    child = space.mutate(arch, np.random.default_rng(seed))
    assert sum(a != b for a, b in zip(arch.ops, child.ops)) == 1
    assert child in space.neighbors(arch)


def test_neighbors_are_the_24_single_edge_changes():
    space = NB201Space()
    arch = NB201Arch.from_index(6111)
    neighbors = space.neighbors(arch)
    assert len(neighbors) == len(set(neighbors)) == 24
    assert all(sum(a != b for a, b in zip(arch.ops, n.ops)) == 1 for n in neighbors)


def test_sample_is_uniform_and_reproducible():
    space = NB201Space()
    a = [space.sample(np.random.default_rng(3)).index for _ in range(3)]
    assert a[0] == a[1] == a[2]
    rng = np.random.default_rng(0)
    counts = np.bincount([space.sample(rng).ops[0] for _ in range(5000)], minlength=5)
    assert counts.min() > 900  # 1000 expected per op


def test_canonical_key_groups_isomorphic_cells():
    space = NB201Space()
    # a 'none' edge into node 1 makes node 1 zero, so what leaves node 1 does not matter
    a = NB201Arch(["none", "nor_conv_3x3", "nor_conv_3x3", "nor_conv_3x3", "nor_conv_3x3", "nor_conv_3x3"])
    b = NB201Arch(["none", "nor_conv_3x3", "avg_pool_3x3", "nor_conv_3x3", "nor_conv_1x1", "nor_conv_3x3"])
    assert space.canonical_key(a) == space.canonical_key(b)
    assert space.canonical_key(a) != space.canonical_key(NB201Arch.from_index(6111))
    assert space.is_valid(a) and not space.is_valid("x")


def test_to_indices_accepts_every_arch_form():
    space = get_space("nb201")
    idx, scalar = space.to_indices([6111, BEST_C10, NB201Arch.from_index(5), np.int64(7), "8"])
    assert idx.tolist() == [6111, 6111, 5, 7, 8] and not scalar
    assert space.to_indices(np.array([1, 2]))[0].tolist() == [1, 2]
    assert space.to_indices(np.array([BEST_C10]))[0].tolist() == [6111]
    assert space.to_indices(3) == (np.array([3]), True)


@pytest.mark.parametrize(
    "text, match",
    [
        ("|none~0|+|none~0|none~1|", "3 node groups"),
        ("none~0|+|none~0|none~1|+|none~0|none~1|none~2|", "start and end with"),
        ("|none~0|+|none~0|+|none~0|none~1|none~2|", "has 2 incoming"),
        ("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|", "unknown NB201 operation 'conv'"),
        ("|none~1|+|none~0|none~1|+|none~0|none~1|none~2|", "must read 'none~0'"),
        ("|none|+|none~0|none~1|+|none~0|none~1|none~2|", "must read 'none~0'"),
    ],
)
def test_malformed_strings_are_rejected(text, match):
    with pytest.raises(InvalidArchError, match=match):
        NB201Arch.from_string(text)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: NB201Arch.from_index(15625), r"in \[0, 15624\]; got 15625"),
        (lambda: NB201Arch.from_index(-1), r"in \[0, 15624\]; got -1"),
        (lambda: NB201Arch.from_index(1.5), "must be an int"),
        (lambda: NB201Arch.from_index(True), "must be an int"),
        (lambda: NB201Arch([0] * 5), "6 edges; got 5"),
        (lambda: NB201Arch([0, 0, 0, 0, 0, 5]), r"index in \[0, 4\]"),
        (lambda: NB201Arch(["none"] * 5 + ["conv"]), "unknown NB201 operation 'conv'"),
        (lambda: NB201Arch("|none~0|"), "from_string"),
        (lambda: NB201Arch(5), "sequence of 6"),
        (lambda: NB201Arch.from_string(5), "must be a str"),
        (lambda: NB201Arch.from_naslib((0, 1, 2)), "6 op indices"),
        (lambda: NB201Arch.from_naslib("(a, b)"), "looks like"),
        (lambda: NB201Space().mutate(3, np.random.default_rng(0)), "expected an NB201Arch"),
        (lambda: nb201.archs_to_indices(3.5), "sequence of these"),
        (lambda: nb201.archs_to_indices(object()), "sequence of these"),
        (lambda: nb201.archs_to_indices(np.array([1.0])), "integer NB201 indices"),
        (lambda: get_space("nb999"), "unknown search space 'nb999'"),
    ],
)
def test_bad_archs_raise_clear_errors(make, match):
    with pytest.raises(Exception, match=match) as info:
        make()
    assert info.type.__module__.startswith("nasbench")
