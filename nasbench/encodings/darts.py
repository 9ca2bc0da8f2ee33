"""Encodings of DARTS genotypes.

* ``adjacency`` (196 features): for each cell (normal, then reduce), the number of edges with op
  ``o`` from node ``s`` into intermediate node ``d`` for every possible (s < d) edge (14 per cell)
  and op (7): ``2 x 14 x 7``. It ignores the order of a node's two pairs, as the cell does.
"""

from __future__ import annotations

import numpy as np

from nasbench.encodings import Encoding
from nasbench.errors import InvalidArchError
from nasbench.spaces.darts import N_NODES, OPS, DARTSArch

__all__ = ["DARTSEncoding", "make_encoding", "adjacency_features"]

_EDGES = [(s, d) for d in range(2, 2 + N_NODES) for s in range(d)]
_EDGE_INDEX = {e: i for i, e in enumerate(_EDGES)}
N_FEATURES = 2 * len(_EDGES) * len(OPS)


def adjacency_features(arch: DARTSArch) -> np.ndarray:
    out = np.zeros((2, len(_EDGES), len(OPS)), dtype=np.float32)
    for c, cell in enumerate(arch.cells()):
        for k, (src, op) in enumerate(cell):
            out[c, _EDGE_INDEX[(src, 2 + k // 2)], op] += 1
    return out.ravel()


class DARTSEncoding(Encoding):
    """A DARTS encoding; ``encode`` takes one DARTSArch or a sequence of them."""

    space = "darts"

    def __init__(self, name: str):
        self.name = name
        self.n_features = N_FEATURES

    def encode(self, archs):
        scalar = isinstance(archs, DARTSArch)
        single = scalar or isinstance(archs, (str, bytes)) or not hasattr(archs, "__iter__")
        items = [archs] if single else list(archs)
        for a in items:
            if not isinstance(a, DARTSArch):
                raise InvalidArchError(
                    f"DARTS encodings take DARTSArch values; got {a!r} of type {type(a).__name__}. "
                    "Build one with DARTSArch(normal, reduce) or DARTSArch.from_naslib(text)."
                )
        X = np.stack([adjacency_features(a) for a in items]) if items else np.zeros((0, N_FEATURES), np.float32)
        return X, scalar


def make_encoding(name: str) -> DARTSEncoding:
    return DARTSEncoding(name)
