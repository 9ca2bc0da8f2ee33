"""Encodings of NB101 cells (pruned, so isomorphism-irrelevant vertices never show).

* ``adjacency`` (36 features): White et al.'s adjacency one-hot: the strict upper triangle of the
  7x7 matrix of the pruned cell, padded to 7 vertices by inserting empty vertices before the
  output (21), then a one-hot of the 3 operations on each of the 5 operation slots (15).
* ``path`` (364 features): the number of input-to-output paths whose operation sequence is each
  of the 1 + 3 + 9 + 27 + 81 + 243 sequences of length 0..5. Isomorphic cells get equal
  encodings.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np

from nasbench.encodings import Encoding
from nasbench.spaces.nb101 import MAX_VERTICES, OPS, NB101Arch

__all__ = ["NB101Encoding", "make_encoding", "adjacency_features", "path_features"]


def adjacency_features(arch: NB101Arch) -> np.ndarray:
    n = arch.n_vertices
    padded = np.zeros((MAX_VERTICES, MAX_VERTICES), dtype=np.float32)
    pos = list(range(n - 1)) + [MAX_VERTICES - 1]  # output moves to the last row/column
    m = arch.array()
    for i in range(n):
        for j in range(n):
            if m[i, j]:
                padded[pos[i], pos[j]] = 1
    onehot = np.zeros((MAX_VERTICES - 2, len(OPS)), dtype=np.float32)
    for v, op in enumerate(arch.ops[1:-1]):
        onehot[v, OPS.index(op)] = 1
    return np.concatenate([padded[np.triu_indices(MAX_VERTICES, 1)], onehot.ravel()])


@functools.cache
def _path_index() -> dict:
    seqs = [s for n in range(MAX_VERTICES - 1) for s in itertools.product(range(len(OPS)), repeat=n)]
    return {s: i for i, s in enumerate(seqs)}


def path_features(arch: NB101Arch) -> np.ndarray:
    index = _path_index()
    out = np.zeros(len(index), dtype=np.float32)
    m = arch.array()
    n = arch.n_vertices
    labels = [OPS.index(op) if 0 < v < n - 1 else -1 for v, op in enumerate(arch.ops)]

    def walk(v, seq):
        if v == n - 1:
            out[index[tuple(seq)]] += 1
            return
        for w in range(v + 1, n):
            if m[v, w]:
                walk(w, seq + [labels[w]] if w < n - 1 else seq)

    walk(0, [])
    return out


_FEATURES = {"adjacency": (adjacency_features, 36), "path": (path_features, 364)}


class NB101Encoding(Encoding):
    """An NB101 encoding; ``encode`` takes one NB101Arch or a sequence of them."""

    space = "nb101"

    def __init__(self, name: str):
        self.name = name
        self._func, self.n_features = _FEATURES[name]

    def encode(self, archs):
        return self._encode_rows(archs, NB101Arch, "NB101Arch(matrix, ops) or NB101Arch.from_naslib(key)",
                                 self._func)


def make_encoding(name: str) -> NB101Encoding:
    return NB101Encoding(name)
