import json

import numpy as np
import pytest

from nasbench.encodings import get_encoding
from nasbench.errors import InvalidArchError
from nasbench.spaces.darts import DARTSArch, DARTSSpace

NORMAL = [(0, 0), (1, 5), (1, 1), (0, 1), (1, 3), (0, 3), (1, 3), (3, 2)]
REDUCE = [(1, 0), (0, 2), (1, 3), (0, 3), (3, 0), (0, 1), (2, 0), (3, 6)]


def test_pair_order_within_a_node_does_not_matter():
    swapped = list(NORMAL)
    swapped[0], swapped[1] = swapped[1], swapped[0]
    a, b = DARTSArch(NORMAL, REDUCE), DARTSArch(swapped, REDUCE)
    assert a == b and hash(a) == hash(b)
    enc = get_encoding("darts")
    assert np.array_equal(enc(a), enc(b)) and enc(a).sum() == 16


def test_naslib_roundtrip():
    a = DARTSArch.from_naslib(str([NORMAL, REDUCE]))
    assert DARTSArch.from_naslib(a.to_naslib()) == a


@pytest.mark.parametrize("normal,match", [
    (NORMAL[:7], "has 8 .* pairs; got 7"),
    ([(0, 9)] + NORMAL[1:], r"outside \[0, 6\]"),
    (NORMAL[:6] + [(5, 1), (3, 2)], r"inputs must be in \[0, 4\]; got 5"),
    ([(1, 0), (1, 5)] + NORMAL[2:], "distinct nodes; got 1 twice"),
    ("nonsense", "must be 8 .* pairs of ints"),
])
def test_invalid_genotypes(normal, match):
    with pytest.raises(InvalidArchError, match=match):
        DARTSArch(normal, REDUCE)


def test_naslib_genotype_errors():
    with pytest.raises(InvalidArchError, match=r"genotype looks like '\[\[\(0, 1\), .*; got '\[\[\(0, 1'"):
        DARTSArch.from_naslib("[[(0, 1")
    with pytest.raises(InvalidArchError, match=r"is \[normal, reduce\]; got 3"):
        DARTSArch.from_naslib(3)
    with pytest.raises(AttributeError, match="immutable; use DARTSSpace.mutate"):
        DARTSArch(NORMAL, REDUCE).normal = NORMAL


def test_sample_mutate_neighbors():
    space = DARTSSpace()
    a = space.sample(np.random.default_rng(0))
    assert a == space.sample(np.random.default_rng(0))
    child = space.mutate(a, np.random.default_rng(1))
    assert child != a
    nbrs = space.neighbors(a)
    assert a not in nbrs and len(set(nbrs)) == len(nbrs)
    assert child in nbrs  # one change away
    with pytest.raises(InvalidArchError, match="expected a DARTSArch"):
        space.neighbors(0)


def test_naslib_samples_parse(shared_data):
    doc = json.loads((shared_data / "naslib_zc_benchmarks/zc_nasbench301.json").read_text())["cifar10"]
    archs = [DARTSArch.from_naslib(k) for k in doc]
    assert len(archs) == 725 == len(set(archs))


def test_cellstats_encoding_adds_op_counts_and_depths():
    from nasbench.encodings.darts import cell_statistics

    arch = DARTSArch(NORMAL, REDUCE)
    enc = get_encoding("darts", "cellstats")
    x = enc(arch)[0]
    assert x.shape == (enc.n_features,) == (234,)
    assert np.array_equal(x[:196], get_encoding("darts", "adjacency")(arch)[0])
    stats = cell_statistics(arch).reshape(2, 19)
    # NORMAL: ops 0,5 | 1,1 | 3,3 | 3,2 -> counts per op; node 5 takes node 3 (chain 0/1 -> 3 -> 5: depth 2)
    assert stats[0, :7].tolist() == [1, 2, 1, 3, 0, 1, 0]
    assert stats[0, 7:14].tolist() == [1, 2, 0, 3, 0, 1, 0]  # all but node 5's skip from node 3 come from inputs
    assert stats[0, 14:16].tolist() == [2, 1]  # longest chain of edges; of convolutions (one at most)
    assert stats[0, 18] == 1  # node 3 feeds node 5
    # REDUCE: node 4 takes node 3 (max_pool), node 5 takes node 2 (max_pool) and node 3 (dil_conv_5x5):
    # chains 1 -> 3 -> 5 with a convolution on both edges give a convolution depth of 2
    assert stats[1, 14:16].tolist() == [2, 2] and stats[1, 18] == 2
    swapped = list(NORMAL)
    swapped[6], swapped[7] = swapped[7], swapped[6]
    assert np.array_equal(enc(DARTSArch(swapped, REDUCE))[0], x)


def test_categorical_view_is_a_bijection_onto_genotypes():
    space = DARTSSpace()
    assert space.choice_sizes == (1, 7, 7, 3, 7, 7, 6, 7, 7, 10, 7, 7) * 2
    a = DARTSArch(NORMAL, REDUCE)
    # NORMAL node 2: inputs (0, 1) with ops 0 (from 0) and 5 (from 1); node 5: inputs (1, 3) -> pair 5 of 10
    assert space.to_choices(a)[:3] == (0, 0, 5) and space.to_choices(a)[9:12] == (5, 3, 2)
    rng = np.random.default_rng(0)
    for _ in range(300):
        arch = space.sample(rng)
        assert space.from_choices(space.to_choices(arch)) == arch
        choices = tuple(int(rng.integers(n)) for n in space.choice_sizes)
        assert space.to_choices(space.from_choices(choices)) == choices


@pytest.mark.parametrize("choices, match", [((0,) * 23, "24 ints"), ((1,) + (0,) * 23, "within the sizes")])
def test_bad_choice_tuples_are_refused(choices, match):
    with pytest.raises(InvalidArchError, match=match):
        DARTSSpace().from_choices(choices)


def test_isomorphic_cells_encode_alike_under_cellstats_iso():
    from nasbench.encodings.darts import isomorphism_canonical
    from nasbench.spaces.darts import relabelled_canonical

    # nodes 2 and 3 both read only the inputs; swapping them (and node 4's, 5's references) is an isomorphism
    cell = [(0, 3), (1, 4), (0, 6), (1, 0), (2, 3), (3, 1), (2, 5), (4, 2)]
    swapped = [(0, 6), (1, 0), (0, 3), (1, 4), (3, 3), (2, 1), (3, 5), (4, 2)]
    a, b = DARTSArch(cell, REDUCE), DARTSArch(swapped, REDUCE)
    assert a != b  # different genotypes to the space ...
    assert relabelled_canonical(a.normal) == relabelled_canonical(b.normal)  # ... but one cell up to relabelling
    iso, plain = get_encoding("darts", "cellstats_iso"), get_encoding("darts", "cellstats")
    assert np.array_equal(iso(a), iso(b)) and not np.array_equal(plain(a), plain(b))
    assert isomorphism_canonical(isomorphism_canonical(a)) == isomorphism_canonical(a)
    # a chain 2 -> 3 -> 4 -> 5 has only one valid labelling: the canonical form is the cell itself
    chain = [(0, 1), (1, 2), (2, 3), (0, 3), (3, 4), (1, 4), (4, 5), (0, 5)]
    assert relabelled_canonical(chain) == DARTSArch(chain, REDUCE).key[0]


def test_relabelling_never_changes_what_a_cell_computes():
    """Random valid relabellings of sampled cells keep their canonical form, op counts and depths."""
    import itertools

    from nasbench.encodings.darts import cell_statistics
    from nasbench.spaces.darts import relabelled_canonical

    rng = np.random.default_rng(1)
    space = DARTSSpace()
    for _ in range(200):
        arch = space.sample(rng)
        cell = list(arch.normal)
        for perm in itertools.permutations(range(4)):
            nodes = [None] * 4
            for k in range(4):
                nodes[perm[k]] = [(s if s < 2 else 2 + perm[s - 2], op) for s, op in cell[2 * k:2 * k + 2]]
            if any(s >= 2 + n for n, node in enumerate(nodes) for s, _ in node):
                continue  # not a valid cell: an input would come from a later node
            other = DARTSArch([p for node in nodes for p in node], arch.reduce)
            assert relabelled_canonical(other.normal) == relabelled_canonical(arch.normal)
            assert np.array_equal(cell_statistics(other), cell_statistics(arch))
