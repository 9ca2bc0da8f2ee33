"""The NAS-Bench-201 (NATS topology) cell search space.

A cell has 4 nodes and 6 edges; every edge carries one of 5 operations, so there are
5**6 = 15625 architectures. Conventions (the same as the NB201 arch string):

* Edges in string order: 0->1 | 0->2, 1->2 | 0->3, 1->3, 2->3 (see :data:`EDGES`).
* Operations in NB201 order: ``none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3``
  (see :data:`OPS`); an arch's ``ops`` tuple holds one op index per edge, in string order.
* The NB201 / NATS-tss index (0..15624) is the order in which NB201 enumerated the cells
  (odometer order over the edges, first edge most significant) after shuffling that list with
  Python's ``random.Random(88)``; this reproduces the row order of every public NB201 table.
* NASLib's op-index tuple uses another op order (:data:`NASLIB_OPS`) and another edge order
  (0->1, 0->2, 0->3, 1->2, 1->3, 2->3).

Examples
--------
>>> arch = NB201Arch.from_index(6111)
>>> arch.string
'|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|'
>>> NB201Arch.from_string(arch.string).index
6111
"""

from __future__ import annotations

import functools
import random
import re

import numpy as np

from nasbench.checks import check_int, is_int
from nasbench.errors import InvalidArchError, choices_text
from nasbench.spaces.base import SearchSpace

__all__ = ["OPS", "EDGES", "NASLIB_OPS", "N_ARCHS", "NB201Arch", "NB201Space", "archs_to_indices"]

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))  # (source, target), arch-string order
N_OPS = len(OPS)
N_EDGES = len(EDGES)
N_ARCHS = N_OPS**N_EDGES

NASLIB_OPS = ("skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3")
# Position in NASLib's tuple of each edge in arch-string order: NASLib lists 0->3 before 1->2.
_NASLIB_POS = (0, 1, 3, 2, 4, 5)
_NASLIB_TO_OP = tuple(OPS.index(name) for name in NASLIB_OPS)
_OP_TO_NASLIB = tuple(NASLIB_OPS.index(name) for name in OPS)

_NB201_SHUFFLE_SEED = 88  # NB201 shuffled its enumerated cells with random.seed(88)
_RADIX = np.array([N_OPS ** (N_EDGES - 1 - e) for e in range(N_EDGES)], dtype=np.int64)
_GROUP = re.compile(r"\|([^|]*)")


@functools.cache
def _code_of_index() -> np.ndarray:
    """Odometer code (sum of ops[e] * 5**(5-e)) of each NB201 index, int64 of shape (15625,)."""
    codes = list(range(N_ARCHS))
    random.Random(_NB201_SHUFFLE_SEED).shuffle(codes)  # a private generator, not the global one
    out = np.array(codes, dtype=np.int64)
    out.setflags(write=False)
    return out


@functools.cache
def _index_of_code() -> np.ndarray:
    """Inverse of :func:`_code_of_index`, int64 of shape (15625,)."""
    inverse = np.empty(N_ARCHS, dtype=np.int64)
    inverse[_code_of_index()] = np.arange(N_ARCHS)
    inverse.setflags(write=False)
    return inverse


@functools.cache
def ops_table() -> np.ndarray:
    """Op index per edge of every NB201 index, int8 of shape (15625, 6) (row = NB201 index)."""
    table = ((_code_of_index()[:, None] // _RADIX[None, :]) % N_OPS).astype(np.int8)
    table.setflags(write=False)
    return table


@functools.cache
def _ops_list() -> list[tuple[int, ...]]:
    """:func:`ops_table` as a list of tuples of Python ints."""
    return [tuple(row) for row in ops_table().tolist()]


def _ops_to_string(ops) -> str:
    groups, e = [], 0
    for target in (1, 2, 3):
        groups.append("|" + "|".join(f"{OPS[ops[e + s]]}~{s}" for s in range(target)) + "|")
        e += target
    return "+".join(groups)


@functools.cache
def _string_of_index() -> tuple[str, ...]:
    return tuple(_ops_to_string(row) for row in ops_table().tolist())


@functools.cache
def _index_of_string() -> dict[str, int]:
    return {s: i for i, s in enumerate(_string_of_index())}


def _parse_string(text: str) -> tuple[int, ...]:
    """Parse an NB201 arch string strictly; raise InvalidArchError saying what is wrong."""
    example = "'|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|'"
    groups = text.strip().split("+")
    if len(groups) != 3:
        raise InvalidArchError(
            f"an NB201 arch string has 3 node groups joined by '+'; got {len(groups)} in {text!r}. "
            f"Write it like {example}."
        )
    ops = []
    for target, group in enumerate(groups, start=1):
        if not (group.startswith("|") and group.endswith("|")):
            raise InvalidArchError(
                f"node group {target} of an NB201 arch string must start and end with '|'; got {group!r} "
                f"in {text!r}. Write it like {example}."
            )
        edges = group[1:-1].split("|")
        if len(edges) != target:
            raise InvalidArchError(
                f"node {target} of an NB201 cell has {target} incoming edge(s); got {len(edges)} in {group!r}. "
                f"Write it like {example}."
            )
        for source, edge in enumerate(edges):
            op, sep, src = edge.partition("~")
            if op not in OPS:
                raise InvalidArchError(
                    f"unknown NB201 operation {op!r} in {text!r}; expected one of {choices_text(OPS)}."
                )
            if sep != "~" or src != str(source):
                raise InvalidArchError(
                    f"edge {len(ops)} of {text!r} must read '{op}~{source}' (op~source node, sources in "
                    f"order 0..{target - 1}); got {edge!r}."
                )
            ops.append(OPS.index(op))
    return tuple(ops)


def _check_index(index) -> int:
    return check_int("an NB201 index", index, 0, N_ARCHS - 1, error=InvalidArchError,
                     hint=f"The NB201 space has {N_ARCHS} archs.")


@functools.cache
def _index_of_code_list() -> list[int]:
    """:func:`_index_of_code` as a Python list (indexing it is several times faster)."""
    return _index_of_code().tolist()


def _validate_ops(ops) -> tuple[int, ...]:
    """Check 6 op indices or names; raise InvalidArchError saying what is wrong."""
    if isinstance(ops, str):
        raise InvalidArchError(
            f"NB201Arch(ops) takes 6 op indices or names; got the string {ops!r}. "
            "Use NB201Arch.from_string for an arch string."
        )
    try:
        values = tuple(ops)
    except TypeError:
        raise InvalidArchError(f"NB201Arch(ops) takes a sequence of 6 op indices or names; got {ops!r}.") from None
    if len(values) != N_EDGES:
        raise InvalidArchError(f"an NB201 cell has {N_EDGES} edges; got {len(values)} ops in {ops!r}.")
    parsed = []
    for v in values:
        if isinstance(v, str):
            if v not in OPS:
                raise InvalidArchError(f"unknown NB201 operation {v!r}; expected one of {choices_text(OPS)}.")
            parsed.append(OPS.index(v))
        elif is_int(v) and 0 <= v < N_OPS:
            parsed.append(int(v))
        else:
            raise InvalidArchError(
                f"an NB201 op must be an index in [0, {N_OPS - 1}] or one of {choices_text(OPS)}; got {v!r}."
            )
    return tuple(parsed)


class NB201Arch:
    """One NB201 cell: an immutable, hashable value.

    Parameters
    ----------
    ops : sequence of 6 ints in [0, 5) or of 6 op names
        The operation on each edge, edges in arch-string order (:data:`EDGES`).

    Attributes
    ----------
    ops : tuple of int, length 6
    index : int
        The NB201 / NATS-tss index (0..15624).
    """

    __slots__ = ("ops", "index")

    def __init__(self, ops):
        # Fast path: a tuple/list of 6 valid Python ints, as sample/mutate/neighbors produce.
        if type(ops) in (tuple, list) and len(ops) == N_EDGES and all(type(o) is int and 0 <= o < N_OPS for o in ops):
            parsed = tuple(ops)
        else:
            parsed = _validate_ops(ops)
        code = ((((parsed[0] * 5 + parsed[1]) * 5 + parsed[2]) * 5 + parsed[3]) * 5 + parsed[4]) * 5 + parsed[5]
        object.__setattr__(self, "ops", parsed)
        object.__setattr__(self, "index", _index_of_code_list()[code])

    @classmethod
    def from_index(cls, index) -> NB201Arch:
        """The arch with NB201 / NATS-tss index ``index`` (0..15624)."""
        return cls(_ops_list()[_check_index(index)])

    @classmethod
    def from_string(cls, text: str) -> NB201Arch:
        """Parse an NB201 arch string such as ``'|none~0|+|skip_connect~0|none~1|+|...|'``."""
        if not isinstance(text, str):
            raise InvalidArchError(f"an NB201 arch string must be a str; got {text!r}.")
        index = _index_of_string().get(text)
        if index is not None:
            return cls.from_index(index)
        return cls(_parse_string(text))

    @classmethod
    def from_naslib(cls, op_indices) -> NB201Arch:
        """Convert NASLib's op-index tuple (NASLib op order and edge order) to an arch."""
        if isinstance(op_indices, str):
            try:
                op_indices = tuple(int(t) for t in op_indices.strip("()[] ").split(","))
            except ValueError:
                raise InvalidArchError(
                    f"a NASLib NB201 tuple looks like '(0, 2, 3, 2, 3, 1)'; got {op_indices!r}."
                ) from None
        values = tuple(op_indices)
        if len(values) != N_EDGES or not all(is_int(v) and 0 <= v < N_OPS for v in values):
            raise InvalidArchError(
                f"a NASLib NB201 tuple has 6 op indices in [0, 4]; got {op_indices!r}."
            )
        return cls([_NASLIB_TO_OP[values[p]] for p in _NASLIB_POS])

    def to_naslib(self) -> tuple[int, ...]:
        """NASLib's op-index tuple for this arch."""
        return tuple(_OP_TO_NASLIB[self.ops[p]] for p in _NASLIB_POS)  # the edge swap is its own inverse

    @property
    def string(self) -> str:
        """The NB201 arch string."""
        return _string_of_index()[self.index]

    @property
    def op_names(self) -> tuple[str, ...]:
        """Operation names per edge, in arch-string order."""
        return tuple(OPS[o] for o in self.ops)

    def __setattr__(self, name, value):
        raise AttributeError("NB201Arch is immutable; use NB201Space.mutate to get a new arch")

    def __eq__(self, other):
        return isinstance(other, NB201Arch) and other.index == self.index

    def __hash__(self):
        return hash(("nb201", self.index))

    def __repr__(self):
        return f"NB201Arch({self.string!r})"

    def __reduce__(self):
        return (NB201Arch, (self.ops,))


def cell_string(op_names, join) -> str:
    """Isomorphism string of a 4-node cell with ``op_names`` on its 6 edges (arch-string order).

    ``none``, or a source that is exactly zero ('#'), gives the term '#'; ``skip_connect`` passes the
    source's string; any other op gives '(source)@op'. Node ``j`` is ``join(its incoming terms)``."""
    nodes, e = ["0"], 0
    for target in (1, 2, 3):
        terms = []
        for source in range(target):
            op, e = op_names[e], e + 1
            if op == "none" or nodes[source] == "#":
                terms.append("#")
            elif op == "skip_connect":
                terms.append(nodes[source])
            else:
                terms.append(f"({nodes[source]})@{op}")
        nodes.append(join(terms))
    return nodes[3]


def _unique_string(ops) -> str:
    """NB201's isomorphism string of a cell (the ``UniqueString`` of the public NATS tables): each node
    the sorted '+'-join of all its terms, '#' included. It partitions the space into 6466 classes."""
    return cell_string([OPS[o] for o in ops], lambda terms: "+".join(sorted(terms)))


@functools.cache
def unique_strings() -> tuple[str, ...]:
    """NB201 isomorphism string of every index, a tuple of 15625 str."""
    return tuple(_unique_string(row) for row in ops_table().tolist())


@functools.cache
def canonical_ids() -> np.ndarray:
    """Isomorphism class id of every index, int64 of shape (15625,).

    Class ids run 0..6465 and are numbered by the smallest NB201 index in each class, so the
    representative of class ``c`` is ``class_representatives()[c]``.
    """
    ids: dict[str, int] = {}
    out = np.array([ids.setdefault(key, len(ids)) for key in unique_strings()], dtype=np.int64)
    out.setflags(write=False)
    return out


@functools.cache
def class_representatives() -> np.ndarray:
    """Smallest NB201 index of each isomorphism class, int64 of shape (n_classes,)."""
    ids = canonical_ids()
    rep = np.full(int(ids.max()) + 1, N_ARCHS, dtype=np.int64)
    np.minimum.at(rep, ids, np.arange(N_ARCHS))
    rep.setflags(write=False)
    return rep


def archs_to_indices(archs) -> tuple[np.ndarray, bool]:
    """Convert NB201 archs to an int64 index array.

    Parameters
    ----------
    archs : int, str, NB201Arch, or a sequence / ndarray of these
        NB201 indices, NB201 arch strings or arch values (they may be mixed in a list).

    Returns
    -------
    indices : ndarray of int64, shape (n,)
        Not range-checked when given as an integer ndarray (the lookup kernel checks the range).
    scalar : bool
        True when a single arch was given.
    """
    if isinstance(archs, np.ndarray):
        if archs.ndim > 1:  # flattening would silently turn a (n, k) table into n*k archs
            raise InvalidArchError(
                f"archs as an ndarray must be one index or a 1-D array of them; got shape {archs.shape}. "
                "Pass archs.ravel() if you mean every entry."
            )
        if archs.dtype.kind in "iu":
            if archs.dtype.kind == "u" and archs.size and archs.max() >= N_ARCHS:  # int64 would wrap it negative
                raise InvalidArchError(f"an NB201 index must be an int in [0, {N_ARCHS - 1}]; got {archs.max()} "
                                       f"(dtype {archs.dtype}). The NB201 space has {N_ARCHS} archs.")
            return np.ascontiguousarray(archs.reshape(-1), dtype=np.int64), archs.ndim == 0
        if archs.dtype.kind not in "OU":
            raise InvalidArchError(f"archs as an ndarray must hold integer NB201 indices; got dtype {archs.dtype}.")
        archs = archs.tolist()
    if isinstance(archs, (str, NB201Arch, int, np.integer)):
        return np.array([_one_index(archs)], dtype=np.int64), True
    if isinstance(archs, (bytes, bytearray, memoryview, set, frozenset, dict)):
        # bytes iterate as ints (b'6111' would be four archs); sets and dicts have no order to answer in
        raise InvalidArchError(
            f"archs must be an NB201 index, an arch string, an NB201Arch or a list / 1-D array of these; got "
            f"{type(archs).__name__} {_short(archs)}. Decode bytes first; pass a list instead of a set or dict."
        )
    try:
        items = list(archs)
    except TypeError:
        raise InvalidArchError("archs must be an NB201 index, an arch string, an NB201Arch or a sequence of these; "
                               f"got {archs!r} of type {type(archs).__name__}.") from None
    return np.fromiter((_one_index(a) for a in items), dtype=np.int64, count=len(items)), False


def _one_index(arch) -> int:
    if isinstance(arch, NB201Arch):
        return arch.index
    if isinstance(arch, str):
        index = _index_of_string().get(arch)
        if index is None:
            stripped = arch.strip()
            body = stripped[1:] if stripped[:1] in "+-" else stripped
            # ASCII digits only: str.isdigit() also accepts '²' and '٣', which must not become archs
            if body.isascii() and body.isdigit():
                if len(body) > 18:
                    raise InvalidArchError(f"an NB201 index must be an int in [0, {N_ARCHS - 1}]; got {_short(arch)}.")
                return _check_index(int(stripped))
            if not stripped.isascii():
                raise InvalidArchError(
                    f"an NB201 arch is an index (ASCII digits 0-9) or an arch string like "
                    f"'|nor_conv_3x3~0|+|...|'; got {_short(arch)}, which holds non-ASCII characters."
                )
            index = NB201Arch(_parse_string(arch)).index
        return index
    return _check_index(arch)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class NB201Space(SearchSpace):
    """The NB201 space: sampling, mutation, neighbours, validity and isomorphism keys.

    Examples
    --------
    >>> import numpy as np
    >>> space = NB201Space()
    >>> rng = np.random.default_rng(0)
    >>> arch = space.sample(rng)
    >>> len(space.neighbors(arch))
    24
    """

    name = "nb201"
    n_archs = N_ARCHS
    ops = OPS
    edges = EDGES

    def sample(self, rng: np.random.Generator) -> NB201Arch:
        """Draw an arch uniformly over the 15625 cells (one op per edge, independently)."""
        return NB201Arch(rng.integers(0, N_OPS, size=N_EDGES).tolist())

    def mutate(self, arch: NB201Arch, rng: np.random.Generator) -> NB201Arch:
        """Pick one edge uniformly and give it a different op, chosen uniformly (NB201's mutation)."""
        self._check(arch)
        ops = list(arch.ops)
        edge = int(rng.integers(N_EDGES))
        ops[edge] = (ops[edge] + 1 + int(rng.integers(N_OPS - 1))) % N_OPS
        return NB201Arch(ops)

    def neighbors(self, arch: NB201Arch) -> list[NB201Arch]:
        """The 24 archs that differ from ``arch`` on one edge, edge-major, ops in cyclic order."""
        self._check(arch)
        out = []
        for edge in range(N_EDGES):
            for step in range(1, N_OPS):
                ops = list(arch.ops)
                ops[edge] = (ops[edge] + step) % N_OPS
                out.append(NB201Arch(ops))
        return out

    def is_valid(self, arch) -> bool:
        """True for an NB201Arch. Every one of the 15625 cells is in the space, including cells
        with no path from input to output (they output zeros and score about chance level)."""
        return isinstance(arch, NB201Arch)

    def canonical_key(self, arch: NB201Arch) -> str:
        """NB201's isomorphism string (6466 distinct values over the space)."""
        self._check(arch)
        return unique_strings()[arch.index]

    def from_index(self, index) -> NB201Arch:
        return NB201Arch.from_index(index)

    @staticmethod
    def scalar_index(arch) -> int:
        """Index of one arch given as an int, a known arch string or an NB201Arch; -1 otherwise.

        A fast, non-raising lookup for the single-arch query path; anything else (and any
        malformed input) goes through :meth:`to_indices`, which raises a clear error.
        """
        kind = type(arch)
        if kind is int:
            return arch
        if kind is str:
            return _index_of_string().get(arch, -1)
        if kind is NB201Arch:
            return arch.index
        return -1

    def to_indices(self, archs) -> tuple[np.ndarray, bool]:
        """Indices of ``archs`` (see :func:`archs_to_indices`)."""
        return archs_to_indices(archs)

    def from_string(self, text: str) -> NB201Arch:
        return NB201Arch.from_string(text)

    choice_sizes = (N_OPS,) * N_EDGES  # the categorical view (strategies._categorical): one op per edge
    canonical_ids = staticmethod(canonical_ids)  # isomorphism class of every index (grouped splits, fills)

    def to_choices(self, arch: NB201Arch) -> tuple[int, ...]:
        return self._check(arch) or arch.ops

    def from_choices(self, choices) -> NB201Arch:
        return NB201Arch([int(c) for c in choices])

    def choice_table(self) -> np.ndarray:
        """Op index per edge of every arch in index order: :func:`ops_table`, int8 of shape (15625, 6)."""
        return ops_table()

    def all_archs(self) -> list[NB201Arch]:
        """All 15625 archs in NB201 index order."""
        return [NB201Arch(row) for row in ops_table().tolist()]

    @staticmethod
    def _check(arch):
        if not isinstance(arch, NB201Arch):
            raise InvalidArchError(
                f"expected an NB201Arch; got {arch!r} of type {type(arch).__name__}. "
                "Convert with NB201Arch.from_index or NB201Arch.from_string."
            )
