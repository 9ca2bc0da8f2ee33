"""Encodings of cell architectures for latency models (op-index matrices in, float arrays out).

A cell is given by ``ops`` of shape (n_archs, n_edges): the op index on each edge, with edges as
``(source, target)`` node pairs of a DAG whose node 0 is the input and the last node the output.
"""

from __future__ import annotations

import numpy as np

from nasbench.errors import InvalidArchError

# Bumped whenever cell_features' columns change: a saved model's weights are only valid for its version
# (2: the fed and used blocks, 2026-11-29).
CELL_FEATURES_VERSION = 2

__all__ = ["CELL_FEATURES_VERSION", "one_hot", "edge_reach", "live_edges", "degenerate_mask", "pairwise", "check_ops", "cell_features", "twin_pairs"]


def check_ops(ops, n_ops: int, n_edges: int | None = None) -> np.ndarray:
    """Validate an op-index matrix and return it as int64 of shape (n_archs, n_edges)."""
    ops = np.asarray(ops)
    if ops.ndim != 2 or ops.dtype.kind not in "iu" or (n_edges is not None and ops.shape[1] != n_edges):
        raise InvalidArchError(
            f"ops must be an integer array of shape (n_archs, {n_edges or 'n_edges'}); got "
            f"{ops.dtype} of shape {ops.shape}."
        )
    if ops.size and (ops.min() < 0 or ops.max() >= n_ops):
        raise InvalidArchError(f"op indices must be in [0, {n_ops - 1}]; got values in [{ops.min()}, {ops.max()}].")
    return ops.astype(np.int64, copy=False)


def one_hot(ops, n_ops: int) -> np.ndarray:
    """One column per (edge, op): float64 of shape (n_archs, n_edges * n_ops), edge-major."""
    ops = check_ops(ops, n_ops)
    n, n_edges = ops.shape
    out = np.zeros((n, n_edges * n_ops))
    out[np.arange(n)[:, None], np.arange(n_edges) * n_ops + ops] = 1.0
    return out


def edge_reach(ops, edges, none_op: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Which edges read a tensor that depends on the input, and which feed a node that reaches the output.

    Parameters
    ----------
    ops : int array of shape (n_archs, n_edges)
    edges : sequence of (source, target)
        Node pairs in the column order of ``ops``; node 0 is the input, the largest node the output.
    none_op : int
        The op index that cuts an edge (NB201's ``none``).

    Returns
    -------
    (fed, used) : bool arrays of shape (n_archs, n_edges)
        ``fed``: the edge's source node is reached from the input through non-``none`` edges (else the
        edge computes on a constant, which a compiler can fold); ``used``: the edge's target node
        reaches the output through non-``none`` edges (else its result is dead code).
    """
    ops = np.asarray(ops)
    if ops.ndim != 2 or ops.shape[1] != len(edges) or ops.dtype.kind not in "iu":
        raise InvalidArchError(f"ops must be an integer array of shape (n_archs, {len(edges)}); got {ops.dtype} {ops.shape}.")
    n_nodes = max(max(e) for e in edges) + 1
    open_ = ops != none_op
    forward = np.zeros((ops.shape[0], n_nodes), dtype=bool)
    forward[:, 0] = True
    for node in range(1, n_nodes):
        for e, (s, t) in enumerate(edges):
            if t == node:
                forward[:, node] |= forward[:, s] & open_[:, e]
    backward = np.zeros_like(forward)
    backward[:, n_nodes - 1] = True
    for node in range(n_nodes - 2, -1, -1):
        for e, (s, t) in enumerate(edges):
            if s == node:
                backward[:, node] |= backward[:, t] & open_[:, e]
    src = np.array([s for s, _ in edges])
    dst = np.array([t for _, t in edges])
    return forward[:, src], backward[:, dst]


def live_edges(ops, edges, none_op: int = 0) -> np.ndarray:
    """Which edges lie on a path from the input node to the output node through non-``none`` edges.

    Takes the arguments of :func:`edge_reach`; returns bool of shape (n_archs, n_edges): the edges that
    are not ``none``, fed and used.
    """
    fed, used = edge_reach(ops, edges, none_op)
    return (np.asarray(ops) != none_op) & fed & used


def degenerate_mask(ops, edges, none_op: int = 0) -> np.ndarray:
    """True for cells whose output does not depend on the input (no live path): bool of shape (n_archs,).

    Compilers that fold constants (TFLite on pixel3 / raspi4 in HW-NAS-Bench) drop such cells, which
    is why those devices report near-zero latencies for them; relative errors are not meaningful there.
    """
    return ~live_edges(ops, edges, none_op).any(axis=1)


def pairwise(x: np.ndarray, block: int = 1) -> np.ndarray:
    """Products of pairs of columns of ``x`` from different blocks of ``block`` columns.

    With a one-hot encoding (``block = n_ops``), this is one column per pair of (edge, op) choices on
    two different edges: whether both choices are present.

    Parameters
    ----------
    x : ndarray of shape (n, d)
    block : int
        Columns ``i`` and ``j`` are paired only when ``i // block != j // block``.

    Returns
    -------
    ndarray of shape (n, n_pairs), pairs in row-major (i < j) order; the kept pairs depend only on
    ``d`` and ``block``.
    """
    x = np.asarray(x, dtype=np.float64)
    rows, cols = np.triu_indices(x.shape[1], 1)
    keep = rows // block != cols // block
    return x[:, rows[keep]] * x[:, cols[keep]]


def cell_features(ops, edges, n_ops: int, none_op: int = 0) -> np.ndarray:
    """Features of a cell that carry across hardware, for the hierarchical latency model.

    Columns, in order (``k = n_ops - 1`` non-``none`` ops, ``E`` edges, ``V`` intermediate and output nodes):

    * 1 constant (the network skeleton: stem, reductions, head);
    * ``E * k`` one-hot of the op on each edge (what a runtime that executes every op pays);
    * ``E * k`` the same, on live edges only (on an input-to-output path; what a compiler that
      removes dead code and folds constants pays);
    * ``E * k`` the same, on edges fed by the input (what a runtime that folds constant subgraphs but
      keeps dead code pays), and ``E * k`` on edges whose result is used (what a runtime that removes
      dead code but computes constant subgraphs pays) (:func:`edge_reach`). TFLite on HW-NAS-Bench's
      Pixel 3 and Raspberry Pi 4 treats the two kinds of dead edge differently: with these columns a
      linear fit on half of Pixel 3's archs puts 78 % of the others within +-10 % (71 % without);
    * for each node, one indicator per count ``c >= 1`` of live edges entering it (the element-wise
      sums, and the memory traffic of the feature maps they read).

    Where every cell of the network is the same (NB201), the per-stage op counts, FLOPs, parameters
    and memory traffic of the whole network are linear in the live op counts, so the columns span them.

    Parameters
    ----------
    ops : int array of shape (n_archs, n_edges)
    edges : sequence of (source, target)
    n_ops : int
    none_op : int

    Returns
    -------
    ndarray of float64, shape (n_archs, 1 + 4 * E * k + sum over nodes of their in-degree)
    """
    ops = check_ops(ops, n_ops, len(edges))
    n = ops.shape[0]
    keep = np.arange(len(edges) * n_ops) % n_ops != none_op
    x = one_hot(ops, n_ops)
    fed, used = edge_reach(ops, edges, none_op)
    live = (ops != none_op) & fed & used
    blocks = (np.ones_like(live), live, fed, used)
    cols = [np.ones((n, 1))] + [(x * np.repeat(on, n_ops, axis=1))[:, keep] for on in blocks]
    for node in sorted({t for _, t in edges}):
        into = [e for e, (_, t) in enumerate(edges) if t == node]
        degree = live[:, into].sum(axis=1)
        cols.extend((degree == c)[:, None].astype(np.float64) for c in range(1, len(into) + 1))
    return np.hstack(cols)


def twin_pairs(ops, edges, none_op: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of rows whose cells run exactly the same computation (relabelled intermediate nodes).

    Permuting the intermediate nodes maps a cell onto another row when every non-``none`` edge lands on
    an edge of the DAG (NB201: nodes 1 and 2 swap when the edge 1->2 is ``none``). Both rows then
    execute the same ops on the same tensors, so their measured latencies differ only by measurement
    noise: the spread between twins measures that noise.

    Returns
    -------
    (first, second) : int64 arrays of shape (n_pairs,), row indices with ``first < second``.
    """
    from itertools import permutations

    ops = np.asarray(ops)
    edges = [tuple(e) for e in edges]
    n_nodes = max(max(e) for e in edges) + 1
    inner = list(range(1, n_nodes - 1))
    row_of = {tuple(r): i for i, r in enumerate(ops.tolist())}
    first, second = [], []
    for perm in permutations(inner):
        if list(perm) == inner:
            continue
        relabel = dict(zip(inner, perm)) | {0: 0, n_nodes - 1: n_nodes - 1}
        target = [(relabel[s], relabel[t]) for s, t in edges]
        where = [edges.index(e) if e in edges else -1 for e in target]
        for i, row in enumerate(ops.tolist()):
            if any(where[e] < 0 and op != none_op for e, op in enumerate(row)):
                continue
            mapped = [none_op] * len(edges)
            for e, op in enumerate(row):
                if where[e] >= 0:
                    mapped[where[e]] = op
            j = row_of.get(tuple(mapped))
            if j is not None and i < j:
                first.append(i)
                second.append(j)
    pairs = np.unique(np.array([first, second], dtype=np.int64).reshape(2, -1), axis=1)
    return pairs[0], pairs[1]
