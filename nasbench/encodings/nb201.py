"""Encodings of NB201 cells: archs in, float32 feature matrices out.

Every NB201 encoding is a deterministic function of the 6 edge ops, so each one is computed once
for all 15625 cells (a read-only table, row = NB201 index) and :meth:`encode` is a row gather.

* ``onehot`` (30 features): one-hot op per edge, edges in arch-string order.
* ``adjacency`` (58 features): the cell as an op-labelled DAG (input, one node per edge, output),
  as in White et al. 2020: the flattened strict upper triangle of its 8x8 adjacency matrix, where
  an edge whose op is ``none`` is disconnected, followed by the one-hot op of each op node.
* ``path`` (84 features): White et al.'s path encoding: the number of input-to-output paths of the
  cell whose op sequence is each of the 4 + 16 + 64 sequences over the 4 non-``none`` ops.
* ``iso`` (122 features): features that respect isomorphism: equal for all cells in one NB201
  isomorphism class (:func:`nasbench.spaces.nb201.canonical_ids`). The one-hot ops of the class's
  representative after *pruning* (an edge that lies on no live input-to-output path is set to
  ``none``: it cannot change the output), the path encoding of the pruned cell, and summary counts
  (live ops of each kind, live paths, depth in convolutions, conv parameters).
"""

from __future__ import annotations

import functools
import itertools

import numpy as np

from nasbench.encodings import Encoding
from nasbench.spaces.nb201 import EDGES, N_ARCHS, N_EDGES, N_OPS, OPS, archs_to_indices, ops_table

__all__ = ["NB201_ENCODINGS", "NB201Encoding", "make_encoding", "nb201_features", "nb201_indices", "prune_ops"]

_NONE, _SKIP, _C1, _C3, _POOL = range(N_OPS)
# The 4 input-to-output routes through the NB201 cell, as edge indices (arch-string order).
_ROUTES = ((3,), (0, 4), (1, 5), (0, 2, 5))
_LIVE_OPS = (_SKIP, _C1, _C3, _POOL)


def prune_ops(ops) -> tuple[int, ...]:
    """Set to ``none`` every edge on no live input-to-output route; other edges are kept.

    Parameters
    ----------
    ops : sequence of 6 int
        Op index per edge (arch-string order).

    Returns
    -------
    tuple of 6 int
    """
    live = set()
    for route in _ROUTES:
        if all(ops[e] != _NONE for e in route):
            live.update(route)
    return tuple(ops[e] if e in live else _NONE for e in range(N_EDGES))


def _onehot(ops) -> list[float]:
    out = [0.0] * (N_EDGES * N_OPS)
    for e, o in enumerate(ops):
        out[e * N_OPS + o] = 1.0
    return out


def _adjacency(ops) -> list[float]:
    # nodes: 0 = input, 1..6 = op node of edge e-1, 7 = output
    adj = np.zeros((8, 8))
    for e, (src, dst) in enumerate(EDGES):
        if ops[e] == _NONE:
            continue
        # the op node of edge e reads cell node src and feeds cell node dst
        if src == 0:
            adj[0, e + 1] = 1
        else:
            for e2, (_, d2) in enumerate(EDGES):
                if d2 == src and ops[e2] != _NONE:
                    adj[e2 + 1, e + 1] = 1
        if dst == 3:
            adj[e + 1, 7] = 1
    return adj[np.triu_indices(8, 1)].tolist() + _onehot(ops)


@functools.cache
def _path_index() -> dict[tuple[int, ...], int]:
    seqs = [s for n in (1, 2, 3) for s in itertools.product(_LIVE_OPS, repeat=n)]
    return {s: i for i, s in enumerate(seqs)}


def _path(ops) -> list[float]:
    index = _path_index()
    out = [0.0] * len(index)
    for route in _ROUTES:
        seq = tuple(ops[e] for e in route)
        if _NONE not in seq:
            out[index[seq]] += 1.0
    return out


def _summary(pruned) -> list[float]:
    counts = [float(sum(1 for o in pruned if o == k)) for k in _LIVE_OPS]
    n_paths = 0.0
    depth = 0.0
    for route in _ROUTES:
        seq = [pruned[e] for e in route]
        if _NONE not in seq:
            n_paths += 1
            depth = max(depth, float(sum(1 for o in seq if o in (_C1, _C3))))
    # conv parameters of a cell at unit width: 1x1 has 1 weight per channel pair, 3x3 has 9
    params = counts[1] * 1.0 + counts[2] * 9.0
    return counts + [n_paths, depth, params, float(n_paths > 0)]


@functools.cache
def _iso_rows() -> np.ndarray:
    from nasbench.spaces.nb201 import canonical_ids, class_representatives

    table = ops_table()
    reps = class_representatives()
    rows = []
    for rep in reps.tolist():
        pruned = prune_ops(table[rep].tolist())
        rows.append(_onehot(pruned) + _path(pruned) + _summary(pruned))
    per_class = np.asarray(rows, dtype=np.float32)
    return per_class[canonical_ids()]


_BUILDERS = {
    "onehot": lambda: _rows(_onehot),
    "adjacency": lambda: _rows(_adjacency),
    "path": lambda: _rows(_path),
    "iso": _iso_rows,
}

NB201_ENCODINGS = tuple(_BUILDERS)


def _rows(func) -> np.ndarray:
    return np.asarray([func(row) for row in ops_table().tolist()], dtype=np.float32)


@functools.cache
def nb201_features(name: str) -> np.ndarray:
    """The full feature table of encoding ``name``: read-only float32 of shape (15625, n_features)."""
    table = np.ascontiguousarray(_BUILDERS[name]())
    assert table.shape[0] == N_ARCHS
    table.setflags(write=False)
    return table


def nb201_indices(archs) -> tuple[np.ndarray, bool]:
    """NB201 indices of ``archs`` (range-checked), shape (n,), and whether one arch was given."""
    from nasbench.errors import InvalidArchError

    idx, scalar = archs_to_indices(archs)
    bad = (idx < 0) | (idx >= N_ARCHS)
    if bad.any():
        first = int(np.argmax(bad))
        raise InvalidArchError(
            f"NB201 indices must be in [0, {N_ARCHS - 1}]; got {int(idx[first])} at position {first}. "
            f"The NB201 space has {N_ARCHS} archs ({len(OPS)} ops on {N_EDGES} edges)."
        )
    return idx, scalar


class NB201Encoding(Encoding):
    """An NB201 encoding: a row gather from :func:`nb201_features`.

    ``encode`` accepts what :func:`nasbench.spaces.nb201.archs_to_indices` accepts (indices, arch
    strings, NB201Arch values) and raises InvalidArchError for anything outside the space.
    """

    space = "nb201"

    def __init__(self, name: str):
        self.name = name
        self.table = nb201_features(name)
        self.n_features = int(self.table.shape[1])
        if name == "iso":
            # the encoding is constant on isomorphism classes: rows of one class are equal, so a
            # model of it needs to be evaluated once per class (see ``class_ids``)
            from nasbench.spaces.nb201 import canonical_ids, class_representatives

            self.class_ids = canonical_ids()
            self.class_table = np.ascontiguousarray(self.table[class_representatives()])
        else:
            self.class_ids = None
            self.class_table = None

    def encode(self, archs):
        idx, scalar = nb201_indices(archs)
        return self.table[idx], scalar

    def indices(self, archs) -> tuple[np.ndarray, bool]:
        """Validated NB201 indices of ``archs`` and whether one arch was given."""
        return nb201_indices(archs)

    def rows(self, indices) -> np.ndarray:
        """Features of already-validated NB201 indices (int64 ndarray), shape (n, n_features)."""
        return self.table[indices]


def make_encoding(name: str) -> NB201Encoding:
    return NB201Encoding(name)
