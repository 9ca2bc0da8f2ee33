"""The NAS-Bench-101 cell search space.

A cell is a DAG of at most 7 vertices (input, up to 5 operations, output) with at most 9 edges,
given as an upper-triangular 0/1 adjacency matrix and one label per vertex. Labels:
``input``, ``output`` and the operations ``conv3x3-bn-relu``, ``conv1x1-bn-relu``, ``maxpool3x3``
(:data:`OPS`, in NB101's ``available_ops`` order).

Like NB101, a cell is *pruned* before anything else: vertices that are not on a path from input
to output are removed (they cannot change the output). A cell is valid when, after pruning,
input still reaches output and at most 9 edges remain (NB101 checks the pruned spec).

The canonical key is the NB101 module hash (:func:`nb101_hash`), computed as NB101's
``graph_util.hash_module`` describes: every vertex starts from the md5 of
``str((out_degree, in_degree, label))`` (label -1 for input, -2 for output, else the op's index in
:data:`OPS`); then, as many rounds as there are vertices, each vertex's hash becomes the md5 of the
sorted concatenation of its in-neighbours' hashes, ``'|'``, the sorted concatenation of its
out-neighbours' hashes, ``'|'`` and its own hash; the fingerprint is the md5 of
``str(sorted(hashes))``. Isomorphic cells (vertex relabellings) get the same hash.
"""

from __future__ import annotations

import hashlib
import itertools

import numpy as np

from nasbench.errors import InvalidArchError, choices_text
from nasbench.spaces.base import SearchSpace

__all__ = ["OPS", "INPUT", "OUTPUT", "MAX_VERTICES", "MAX_EDGES", "NASLIB_OPS", "NB101Arch", "NB101Space",
           "nb101_hash", "prune"]

INPUT, OUTPUT = "input", "output"
OPS = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")
MAX_VERTICES = 7
MAX_EDGES = 9
N_UNIQUE_ARCHS = 423624  # unique graphs of the space, as NB101 reports
# NASLib's NB101 tuple: 49 row-major adjacency entries, then 7 op indices into this list
NASLIB_OPS = (INPUT, OUTPUT, "maxpool3x3", "conv1x1-bn-relu", "conv3x3-bn-relu")


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def nb101_hash(matrix, ops) -> str:
    """NB101's module hash of a (pruned) cell: 32 hex characters.

    Parameters
    ----------
    matrix : array-like of int, shape (n, n)
        Upper-triangular 0/1 adjacency matrix.
    ops : sequence of str, length n
        ``input``, the operations, ``output``.
    """
    matrix = np.asarray(matrix, dtype=np.int64)
    n = matrix.shape[0]
    labels = [-1] + [OPS.index(op) for op in ops[1:-1]] + [-2]
    in_deg = [int(v) for v in matrix.sum(axis=0)]
    out_deg = [int(v) for v in matrix.sum(axis=1)]
    hashes = [_md5(str((out_deg[v], in_deg[v], labels[v]))) for v in range(n)]
    for _ in range(n):
        hashes = [
            _md5("".join(sorted(hashes[w] for w in range(n) if matrix[w, v])) + "|"
                 + "".join(sorted(hashes[w] for w in range(n) if matrix[v, w])) + "|" + hashes[v])
            for v in range(n)
        ]
    return _md5(str(sorted(hashes)))


def prune(matrix: np.ndarray, ops: tuple) -> tuple[np.ndarray, tuple] | None:
    """Drop vertices not on an input-to-output path; None when input cannot reach output."""
    n = matrix.shape[0]
    from_input = {0}
    for v in range(1, n):
        if any(matrix[u, v] and u in from_input for u in range(v)):
            from_input.add(v)
    to_output = {n - 1}
    for v in range(n - 2, -1, -1):
        if any(matrix[v, w] and w in to_output for w in range(v + 1, n)):
            to_output.add(v)
    keep = sorted(from_input & to_output)
    if 0 not in keep or n - 1 not in keep:
        return None
    return matrix[np.ix_(keep, keep)], tuple(ops[v] for v in keep)


def _check_spec(matrix, ops) -> tuple[np.ndarray, tuple]:
    try:
        m = np.asarray(matrix)
    except Exception:  # noqa: BLE001 - any unconvertible input is a user error
        raise InvalidArchError(f"an NB101 matrix must be a square 0/1 array; got {matrix!r}.") from None
    if m.ndim != 2 or m.shape[0] != m.shape[1] or not 2 <= m.shape[0] <= MAX_VERTICES:
        raise InvalidArchError(
            f"an NB101 matrix is square with 2..{MAX_VERTICES} vertices; got shape {getattr(m, 'shape', None)}."
        )
    if m.dtype.kind not in "biu" or not np.isin(m, (0, 1)).all():
        raise InvalidArchError(f"an NB101 matrix holds only 0 and 1; got {m.tolist()!r}.")
    m = m.astype(np.int8)
    if np.tril(m).any():
        raise InvalidArchError(
            "an NB101 matrix must be strictly upper triangular (edges go from lower to higher vertex "
            f"numbers, so the graph is a DAG); got {m.tolist()!r}."
        )
    ops = tuple(ops)
    if len(ops) != m.shape[0]:
        raise InvalidArchError(f"an NB101 cell needs one op per vertex: {m.shape[0]} vertices, {len(ops)} ops.")
    if ops[0] != INPUT or ops[-1] != OUTPUT:
        raise InvalidArchError(f"the first op must be {INPUT!r} and the last {OUTPUT!r}; got {ops!r}.")
    bad = [op for op in ops[1:-1] if op not in OPS]
    if bad:
        raise InvalidArchError(f"unknown NB101 operation {bad[0]!r}; expected one of {choices_text(OPS)}.")
    return m, ops


class NB101Arch:
    """One NB101 cell: an immutable, hashable value.

    Parameters
    ----------
    matrix : array-like of 0/1, shape (n, n), 2 <= n <= 7
        Strictly upper-triangular adjacency matrix (at most 9 edges).
    ops : sequence of str, length n
        ``input``, operations from :data:`OPS`, ``output``.

    Attributes
    ----------
    matrix : tuple of tuples (the pruned matrix)
    ops : tuple of str (the pruned labels)
    hash : str
        NB101 module hash of the pruned cell; equal for isomorphic cells (``__eq__`` uses it).
    spec : tuple (matrix, ops)
        The cell as given, before pruning; mutation and neighbours work on it, so a pruned-away
        vertex can come back, as in NB101's evolution.

    Raises
    ------
    InvalidArchError
        Malformed input, more than 9 edges, or no path from input to output.
    """

    __slots__ = ("matrix", "ops", "hash", "spec")

    def __init__(self, matrix, ops):
        m, ops = _check_spec(matrix, ops)
        pruned = prune(m, ops)
        if pruned is None:
            raise InvalidArchError(
                "this NB101 cell has no path from input to output, so it is outside the space; "
                f"got matrix {m.tolist()!r}."
            )
        pm, pops = pruned
        n_edges = int(pm.sum())
        if n_edges > MAX_EDGES:
            raise InvalidArchError(
                f"an NB101 cell has at most {MAX_EDGES} edges (counted after pruning, as NB101 does); got {n_edges}."
            )
        object.__setattr__(self, "matrix", tuple(tuple(int(v) for v in row) for row in pm))
        object.__setattr__(self, "ops", pops)
        object.__setattr__(self, "hash", nb101_hash(pm, pops))
        object.__setattr__(self, "spec", (tuple(tuple(int(v) for v in row) for row in m), ops))

    @classmethod
    def from_naslib(cls, key) -> NB101Arch:
        """Parse NASLib's 56-tuple (49 adjacency entries, 7 op indices into :data:`NASLIB_OPS`)."""
        if isinstance(key, str):
            try:
                key = tuple(int(t) for t in key.strip("()[] ").split(","))
            except ValueError:
                raise InvalidArchError(f"a NASLib NB101 key is a tuple of 56 ints; got {key!r}.") from None
        key = tuple(key)
        if len(key) != 56 or not all(isinstance(v, (int, np.integer)) for v in key):
            raise InvalidArchError(f"a NASLib NB101 key is a tuple of 56 ints (49 + 7); got {len(key)} values.")
        if not all(0 <= v < len(NASLIB_OPS) for v in key[49:]):
            raise InvalidArchError(f"NASLib NB101 op indices are in [0, {len(NASLIB_OPS) - 1}]; got {key[49:]!r}.")
        return cls(np.array(key[:49]).reshape(7, 7), [NASLIB_OPS[i] for i in key[49:]])

    @property
    def n_vertices(self) -> int:
        return len(self.ops)

    def array(self) -> np.ndarray:
        """The pruned adjacency matrix as an int8 ndarray of shape (n_vertices, n_vertices)."""
        return np.array(self.matrix, dtype=np.int8)

    def spec_array(self) -> np.ndarray:
        """The unpruned matrix as given, int8 ndarray."""
        return np.array(self.spec[0], dtype=np.int8)

    def __setattr__(self, name, value):
        raise AttributeError("NB101Arch is immutable; use NB101Space.mutate to get a new arch")

    def __eq__(self, other):
        return isinstance(other, NB101Arch) and other.hash == self.hash

    def __hash__(self):
        return hash(("nb101", self.hash))

    def __repr__(self):
        return f"NB101Arch(matrix={[list(r) for r in self.matrix]}, ops={list(self.ops)})"

    def __reduce__(self):
        return (NB101Arch, self.spec)


def _try(matrix, ops):
    try:
        return NB101Arch(matrix, ops)
    except InvalidArchError:
        return None


class NB101Space(SearchSpace):
    """The NB101 space: sampling, mutation, neighbours, validity and the NB101 hash.

    Sampling and mutation follow the NB101 paper's random search and regularized evolution:
    a sample draws every upper-triangular entry of a 7x7 matrix with probability 1/2 and every
    operation uniformly, rejecting invalid cells; a mutation flips each possible edge with
    probability 1/21 and changes each operation with probability 1/5 (to a different one),
    rejecting results that are invalid or equal to the parent.
    """

    name = "nb101"
    n_archs = None  # 423,624 unique cells, not indexed
    n_unique = N_UNIQUE_ARCHS
    ops = OPS

    def sample(self, rng: np.random.Generator) -> NB101Arch:
        while True:
            matrix = np.triu(rng.integers(0, 2, size=(MAX_VERTICES, MAX_VERTICES)), 1)
            ops = [INPUT] + [OPS[i] for i in rng.integers(0, len(OPS), MAX_VERTICES - 2)] + [OUTPUT]
            arch = _try(matrix, ops)
            if arch is not None:
                return arch

    def mutate(self, arch: NB101Arch, rng: np.random.Generator) -> NB101Arch:
        self._check(arch)
        spec_ops = arch.spec[1]
        n = len(spec_ops)
        n_slots = n * (n - 1) // 2
        while True:
            matrix = arch.spec_array()
            for src in range(n - 1):
                for dst in range(src + 1, n):
                    if rng.random() < 1.0 / n_slots:
                        matrix[src, dst] = 1 - matrix[src, dst]
            ops = list(spec_ops)
            for v in range(1, n - 1):
                if rng.random() < 1.0 / len(OPS):
                    others = [op for op in OPS if op != ops[v]]
                    ops[v] = others[int(rng.integers(len(others)))]
            child = _try(matrix, ops)
            if child is not None and child != arch:
                return child

    def neighbors(self, arch: NB101Arch) -> list[NB101Arch]:
        """Valid cells one edge flip or one op change of the unpruned spec away, distinct by hash
        (and from ``arch``), in a fixed order: edges row-major, then ops by vertex."""
        self._check(arch)
        spec_ops = arch.spec[1]
        n = len(spec_ops)
        out, seen = [], {arch.hash}
        for src, dst in itertools.combinations(range(n), 2):
            matrix = arch.spec_array()
            matrix[src, dst] = 1 - matrix[src, dst]
            self._add(out, seen, _try(matrix, spec_ops))
        for v in range(1, n - 1):
            for op in OPS:
                if op != spec_ops[v]:
                    ops = list(spec_ops)
                    ops[v] = op
                    self._add(out, seen, _try(arch.spec_array(), ops))
        return out

    @staticmethod
    def _add(out, seen, child):
        if child is not None and child.hash not in seen:
            seen.add(child.hash)
            out.append(child)

    def is_valid(self, arch) -> bool:
        """True for an NB101Arch (they are validated when built)."""
        return isinstance(arch, NB101Arch)

    def canonical_key(self, arch: NB101Arch) -> str:
        """The NB101 module hash."""
        self._check(arch)
        return arch.hash

    @staticmethod
    def _check(arch):
        if not isinstance(arch, NB101Arch):
            raise InvalidArchError(
                f"expected an NB101Arch; got {arch!r} of type {type(arch).__name__}. "
                "Build one with NB101Arch(matrix, ops) or NB101Arch.from_naslib(key)."
            )
