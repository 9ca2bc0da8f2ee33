"""Encodings of DARTS genotypes.

* ``adjacency`` (196 features): for each cell (normal, then reduce), the number of edges with op
  ``o`` from node ``s`` into intermediate node ``d`` for every possible (s < d) edge (14 per cell)
  and op (7): ``2 x 14 x 7``. It ignores the order of a node's two pairs, as the cell does.
"""

from __future__ import annotations

import numpy as np

from nasbench.encodings import Encoding
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
        return self._encode_rows(archs, DARTSArch, "DARTSArch(normal, reduce) or DARTSArch.from_naslib(text)",
                                 adjacency_features)


def make_encoding(name: str) -> DARTSEncoding:
    return DARTSEncoding(name)
