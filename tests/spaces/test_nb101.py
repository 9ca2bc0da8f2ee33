"""NB101 space: validity, pruning, the NB101 hash (properties and the NASLib samples)."""

import ast
import collections
import json

import numpy as np
import pytest

from nasbench.errors import InvalidArchError
from nasbench.spaces.nb101 import OPS, NB101Arch, NB101Space, nb101_hash, prune

INCEPTION = (
    [[0, 1, 1, 1, 0, 1, 0], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 1, 0, 0],
     [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0]],
    ["input", "conv1x1-bn-relu", "conv3x3-bn-relu", "conv3x3-bn-relu", "conv3x3-bn-relu", "maxpool3x3", "output"],
)


def _relabel(matrix, ops, perm):
    """Permute the intermediate vertices by ``perm`` and re-sort topologically (keeps upper-triangular)."""
    n = len(ops)
    order = [0] + [1 + p for p in perm] + [n - 1]
    m = np.asarray(matrix)[np.ix_(order, order)]
    new_ops = [ops[i] for i in order]
    # topological re-sort so the matrix is upper triangular again
    indeg = m.sum(axis=0).tolist()
    topo, ready = [], [v for v in range(n) if indeg[v] == 0]
    while ready:
        v = min(ready, key=lambda u: (u != 0, u == n - 1, u))
        ready.remove(v)
        topo.append(v)
        for w in range(n):
            if m[v, w]:
                indeg[w] -= 1
                if indeg[w] == 0:
                    ready.append(w)
    return m[np.ix_(topo, topo)], [new_ops[i] for i in topo]


def test_hash_is_invariant_under_relabelling():
    rng = np.random.default_rng(0)
    space = NB101Space()
    for _ in range(30):
        arch = space.sample(rng)
        m, ops = arch.array(), list(arch.ops)
        n_mid = len(ops) - 2
        perm = rng.permutation(n_mid).tolist()
        m2, ops2 = _relabel(m, ops, perm)
        assert NB101Arch(m2, ops2).hash == arch.hash


def test_hash_separates_different_cells():
    a = NB101Arch(*INCEPTION)
    ops = list(INCEPTION[1])
    ops[1] = "maxpool3x3"
    assert NB101Arch(INCEPTION[0], ops).hash != a.hash
    m = np.array(INCEPTION[0])
    m[0, 5] = 0  # the max-pool vertex loses its input and is pruned
    assert NB101Arch(m, INCEPTION[1]).hash != a.hash
    assert len(a.hash) == 32 and a.hash == nb101_hash(a.array(), a.ops)


def test_pruning_removes_dangling_vertices():
    m = np.zeros((7, 7), dtype=int)
    m[0, 1] = m[1, 6] = 1  # input -> v1 -> output
    m[0, 2] = 1  # v2 is a dead end
    m[3, 6] = 1  # v3 is unreachable from input
    arch = NB101Arch(m, ["input"] + [OPS[0]] * 5 + ["output"])
    assert arch.n_vertices == 3 and arch == NB101Arch([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", OPS[0], "output"])
    assert prune(np.zeros((3, 3), dtype=int), ("input", OPS[0], "output")) is None


def test_edge_limit_counts_after_pruning():
    m = np.triu(np.ones((7, 7), dtype=int), 1)
    with pytest.raises(InvalidArchError, match="at most 9 edges .*got 21"):
        NB101Arch(m, ["input"] + [OPS[0]] * 5 + ["output"])


@pytest.mark.parametrize("matrix,ops,match", [
    ([[0, 1], [0, 0]], ["input", "conv"], "first op must be 'input' and the last 'output'"),
    ([[0, 1], [1, 0]], ["input", "output"], "strictly upper triangular"),
    ([[0, 2], [0, 0]], ["input", "output"], "only 0 and 1"),
    ([[0, 0], [0, 0]], ["input", "output"], "no path from input to output"),
    ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "conv5x5", "output"], "unknown NB101 operation 'conv5x5'"),
    ([[0, 1], [0, 0]], ["input", "conv1x1-bn-relu", "output"], "one op per vertex"),
    (np.zeros((8, 8), dtype=int), ["input"] * 8, "2..7 vertices"),
])
def test_invalid_cells(matrix, ops, match):
    with pytest.raises(InvalidArchError, match=match):
        NB101Arch(matrix, ops)


def test_ragged_matrix_and_assignment_are_refused():
    with pytest.raises(InvalidArchError, match="must be a square 0/1 array; got"):
        NB101Arch([[0, 1], [0]], ["input", "output"])
    arch = NB101Arch(*INCEPTION)
    with pytest.raises(AttributeError, match="immutable; use NB101Space.mutate"):
        arch.ops = ()


def test_naslib_key_errors():
    with pytest.raises(InvalidArchError, match="56 ints"):
        NB101Arch.from_naslib((0, 1))
    with pytest.raises(InvalidArchError, match="56 ints; got '0, x'"):
        NB101Arch.from_naslib("0, x")
    with pytest.raises(InvalidArchError, match=r"op indices are in \[0, 4\]"):
        NB101Arch.from_naslib((0,) * 49 + (0, 9, 1, 1, 1, 1, 1))


def test_sample_mutate_neighbors_are_valid_and_reproducible():
    space = NB101Space()
    a = space.sample(np.random.default_rng(3))
    assert a == space.sample(np.random.default_rng(3))
    child = space.mutate(a, np.random.default_rng(1))
    assert child != a and space.is_valid(child)
    nbrs = space.neighbors(a)
    assert nbrs and len({n.hash for n in nbrs}) == len(nbrs) and a not in nbrs
    with pytest.raises(InvalidArchError, match="expected an NB101Arch"):
        space.mutate("cell", np.random.default_rng(0))


def test_naslib_samples_agree_with_the_hash():
    """Cells that share our hash must be one NB101 entry: NB101 trained each unique cell 3 times and
    NASLib reports one of the runs, so a hash group holds at most 3 distinct accuracies."""
    from tests.conftest import require_shared

    root = require_shared("naslib_zc_benchmarks/zc_nasbench101.json")
    doc = json.loads((root / "naslib_zc_benchmarks/zc_nasbench101.json").read_text())["nasbench101"]["cifar10"]
    groups = collections.defaultdict(set)
    for key, value in doc.items():
        groups[NB101Arch.from_naslib(ast.literal_eval(key)).hash].add(round(value["val_accuracy"], 6))
    assert len(doc) == 500 and len(groups) == 292
    assert max(len(v) for v in groups.values()) == 3
