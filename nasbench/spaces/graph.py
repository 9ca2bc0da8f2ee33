"""The NAS-Bench-Graph search space: a DAG of 4 GNN layers (26,206 distinct archs; 2,021 on proteins).

NAS-Bench-Graph (Qin et al., NeurIPS 2022 Datasets and Benchmarks) searches the macro structure
and the layers of a graph neural network:

* **link** ``(l1, l2, l3, l4)``: computing node ``i`` (1..4) takes its input from node ``l_i`` (0 is
  the input features, ``j`` computing node ``j``), so every node has exactly one input; nodes
  without descendants are combined into the output. The benchmark reduces every link list to one
  of 9 patterns (:data:`LINKS`) by relabelling nodes.
* **ops**: one layer per node from :data:`OPS` (``gat`` with 2 heads, ``gcn``, ``gin``, ``cheb``,
  ``sage``, ``arma``, ``graph`` (k-GNN), ``fc``, ``skip``); all-``skip`` is not a network. The
  ``proteins`` dataset was run with the 5 layers :data:`PROTEIN_OPS` only.

Two (link, ops) pairs that NAS-Bench-Graph considers the same network (isomorphic DAGs, ``skip``
nodes moved) share one table row: the package's ``Arch.valid_hash`` decides this. The space takes
that function as ``canonical_hash`` (spaces import no third-party code;
:func:`nasbench.benchmarks.graph.graph_space` passes the installed package's); the hash's digits
give the canonical (link, ops) back (``hash = pattern * 10**4 + sum(op_d * 10**(3-d))``).
The index of an arch is its rank among the space's hashes in increasing order.

Arch strings read ``"0,1,2,3|gcn,gat,fc,skip"`` (links, then ops).
"""

from __future__ import annotations

import re

import numpy as np

from nasbench.checks import check_int, is_int
from nasbench.errors import InvalidArchError, choices_text
from nasbench.spaces.base import SearchSpace

__all__ = ["OPS", "PROTEIN_OPS", "LINKS", "GraphArch", "GraphSpace"]

LINKS = ((0, 0, 0, 0), (0, 0, 0, 1), (0, 0, 1, 1), (0, 0, 1, 2), (0, 0, 1, 3), (0, 1, 1, 1), (0, 1, 1, 2),
         (0, 1, 2, 2), (0, 1, 2, 3))
OPS = ("gat", "gcn", "gin", "cheb", "sage", "arma", "graph", "fc", "skip")
PROTEIN_OPS = ("gcn", "sage", "arma", "fc", "skip")
N_NODES = 4
_BASE = len(OPS) + 1  # the package hashes op digits in base 10
_STRING = re.compile(r"^\s*([0-9](?:\s*,\s*[0-9]){3})\s*\|\s*([a-z]+(?:\s*,\s*[a-z]+){3})\s*$")


def _check_link_ops(link, ops) -> tuple[tuple, tuple]:
    try:
        link = tuple(int(v) for v in link)
        ops = tuple(str(o) for o in ops)
    except (TypeError, ValueError):
        raise InvalidArchError(f"a NAS-Bench-Graph arch is 4 links (ints) and 4 op names; got {link!r}, {ops!r}.") \
            from None
    if len(link) != N_NODES or len(ops) != N_NODES:
        raise InvalidArchError(f"a NAS-Bench-Graph arch has {N_NODES} nodes; got {len(link)} links and {len(ops)} ops.")
    for i, src in enumerate(link):
        if not 0 <= src <= i:
            raise InvalidArchError(
                f"node {i + 1} of a NAS-Bench-Graph arch takes its input from a node in [0, {i}] (0 the input); "
                f"got {src} in link {list(link)}."
            )
    for o in ops:
        if o not in OPS:
            raise InvalidArchError(f"unknown NAS-Bench-Graph layer {o!r}; expected one of {choices_text(OPS)}.")
    if all(o == "skip" for o in ops):
        raise InvalidArchError("a NAS-Bench-Graph arch with only skip layers is not a network (the benchmark "
                               "leaves it out); use at least one GNN or fc layer.")
    return link, ops


def _decode(key: int) -> tuple[tuple, tuple]:
    """Canonical (link, ops) of a hash: the pattern, then one base-10 digit per op."""
    pattern, digits = divmod(key, _BASE ** N_NODES)
    ops = []
    for _ in range(N_NODES):
        digits, d = divmod(digits, _BASE)
        ops.append(OPS[d])
    return LINKS[pattern], tuple(ops[::-1])


class GraphArch:
    """One NAS-Bench-Graph network in its canonical form: an immutable, hashable value.

    Build one with :meth:`GraphSpace.arch` (any equivalent link list is accepted).

    Attributes
    ----------
    link : tuple of 4 int
    ops : tuple of 4 str
    key : int
        NAS-Bench-Graph's hash (the key of its tables).
    """

    __slots__ = ("link", "ops", "key")

    def __init__(self, key: int):
        link, ops = _decode(int(key))
        object.__setattr__(self, "key", int(key))
        object.__setattr__(self, "link", link)
        object.__setattr__(self, "ops", ops)

    @property
    def string(self) -> str:
        return f"{','.join(map(str, self.link))}|{','.join(self.ops)}"

    def __setattr__(self, name, value):
        raise AttributeError("GraphArch is immutable; use GraphSpace.mutate to get a new arch")

    def __eq__(self, other):
        return isinstance(other, GraphArch) and other.key == self.key

    def __hash__(self):
        return hash(("graph", self.key))

    def __repr__(self):
        return f"GraphArch({self.string!r})"

    def __reduce__(self):
        return (GraphArch, (self.key,))


class GraphSpace(SearchSpace):
    """The NAS-Bench-Graph space over ``ops`` (all 9 layers, or :data:`PROTEIN_OPS` for proteins).

    Sampling is uniform over the distinct archs (the table's rows). A mutation changes one decision
    (the link pattern or one node's layer) to another value, uniformly, and retries while the
    result is the same network; neighbours are all distinct networks one such change away.

    Parameters
    ----------
    canonical_hash : callable (link tuple, ops tuple) -> int
        NAS-Bench-Graph's key of a valid (link, ops) pair (the package's ``Arch.valid_hash``).
    ops : tuple of str, default all 9 layers
    """

    name = "graph"

    def __init__(self, canonical_hash, ops: tuple = OPS):
        self.ops = tuple(ops)
        self._hash = canonical_hash
        self._cache: dict = {}  # (link, ops) -> key; a plain dict keeps the space picklable
        self._keys = None
        self._row = None

    def canonical_hash(self, link: tuple, ops: tuple) -> int:
        pair = (tuple(link), tuple(ops))
        key = self._cache.get(pair)
        if key is None:
            key = self._cache[pair] = int(self._hash(*pair))
        return key

    @property
    def keys(self) -> np.ndarray:
        """Hashes of every arch in index order, int64 (n_archs,) (computed on first use, ~1 s)."""
        if self._keys is None:
            import itertools

            keys = {self.canonical_hash(link, combo) for link in LINKS
                    for combo in itertools.product(self.ops, repeat=N_NODES) if not all(o == "skip" for o in combo)}
            self._keys = np.array(sorted(keys), dtype=np.int64)
            self._keys.setflags(write=False)
            self._row = {int(k): i for i, k in enumerate(self._keys.tolist())}
        return self._keys

    @property
    def n_archs(self) -> int:  # type: ignore[override]
        return int(self.keys.shape[0])

    def arch(self, link, ops) -> GraphArch:
        """The canonical arch of any (link, ops) pair of this space."""
        link, ops = _check_link_ops(link, ops)
        outside = [o for o in ops if o not in self.ops]
        if outside:
            raise InvalidArchError(f"layer {outside[0]!r} is not in this space's layers {choices_text(self.ops)} "
                                   "(NAS-Bench-Graph ran proteins with 5 layers only).")
        return GraphArch(self.canonical_hash(link, ops))

    def from_string(self, text) -> GraphArch:
        match = _STRING.match(text) if isinstance(text, str) else None
        if match is None:
            raise InvalidArchError(f"a NAS-Bench-Graph arch string reads '0,1,2,3|gcn,gat,fc,skip' (4 links, then "
                                   f"4 layers); got {text!r}.")
        return self.arch([int(v) for v in match.group(1).split(",")], [o.strip() for o in match.group(2).split(",")])

    def from_index(self, index) -> GraphArch:
        n = self.n_archs
        index = check_int("a NAS-Bench-Graph index of this space", index, 0, n - 1, error=InvalidArchError)
        return GraphArch(int(self.keys[index]))

    def index_of(self, arch: GraphArch) -> int:
        self._check(arch)
        self.keys  # noqa: B018 - builds the row map
        return self._row[arch.key]

    def sample(self, rng: np.random.Generator) -> GraphArch:
        return self.from_index(int(rng.integers(self.n_archs)))

    def _changes(self, arch, decision: int) -> list:
        if decision == 0:
            return [(link, arch.ops) for link in LINKS if link != arch.link]
        d = decision - 1
        return [(arch.link, arch.ops[:d] + (o,) + arch.ops[d + 1:]) for o in self.ops if o != arch.ops[d]]

    def mutate(self, arch: GraphArch, rng: np.random.Generator) -> GraphArch:
        self._check(arch)
        while True:
            options = self._changes(arch, int(rng.integers(N_NODES + 1)))
            link, ops = options[int(rng.integers(len(options)))]
            if all(o == "skip" for o in ops):
                continue
            child = GraphArch(self.canonical_hash(link, ops))
            if child != arch:
                return child

    def neighbors(self, arch: GraphArch) -> list:
        self._check(arch)
        out, seen = [], {arch.key}
        for decision in range(N_NODES + 1):
            for link, ops in self._changes(arch, decision):
                if all(o == "skip" for o in ops):
                    continue
                key = self.canonical_hash(link, ops)
                if key not in seen:
                    seen.add(key)
                    out.append(GraphArch(key))
        return out

    # categorical view (BOHB, BANANAS, REINFORCE ...): the link pattern, then one layer per node
    @property
    def choice_sizes(self) -> tuple:
        return (len(LINKS),) + (len(self.ops),) * N_NODES

    def to_choices(self, arch: GraphArch) -> tuple:
        self._check(arch)
        return (LINKS.index(arch.link),) + tuple(self.ops.index(o) for o in arch.ops)

    def from_choices(self, choices) -> GraphArch:
        """The arch of a choice tuple. The one combination per link pattern that is no network (every
        layer ``skip``) is read with its last layer ``fc``, so every choice tuple names an arch."""
        c = [int(v) for v in choices]
        ops = [self.ops[v] for v in c[1:]]
        if all(o == "skip" for o in ops):
            ops[-1] = "fc"
        return self.arch(LINKS[c[0]], ops)

    def is_valid(self, arch) -> bool:
        return isinstance(arch, GraphArch) and all(o in self.ops for o in arch.ops)

    def canonical_key(self, arch: GraphArch) -> int:
        self._check(arch)
        return arch.key

    def all_archs(self) -> list:
        return [GraphArch(k) for k in self.keys.tolist()]

    def scalar_index(self, arch) -> int:
        if type(arch) is int:
            return arch
        if type(arch) is GraphArch and self._row is not None:
            return self._row.get(arch.key, -1)
        return -1

    def to_indices(self, archs) -> tuple[np.ndarray, bool]:
        """Indices of archs given as indices, arch strings or GraphArch values (or a list / 1-D array)."""
        if isinstance(archs, np.ndarray):
            if archs.ndim > 1:
                raise InvalidArchError(f"archs as an ndarray must be 1-D; got shape {archs.shape}.")
            if archs.dtype.kind in "iu":
                return np.ascontiguousarray(archs.reshape(-1), dtype=np.int64), archs.ndim == 0
            archs = archs.tolist()
        if isinstance(archs, (str, GraphArch, int, np.integer)):
            return np.array([self._one_index(archs)], dtype=np.int64), True
        try:
            items = list(archs)
        except TypeError:
            raise InvalidArchError(f"archs must be an index, an arch string, a GraphArch or a list of these; got "
                                   f"{archs!r}.") from None
        return np.fromiter((self._one_index(a) for a in items), dtype=np.int64, count=len(items)), False

    def _one_index(self, arch) -> int:
        if isinstance(arch, str):
            arch = self.from_string(arch)
        if isinstance(arch, GraphArch):
            if not self.is_valid(arch):
                raise InvalidArchError(f"{arch!r} uses a layer outside this space's {choices_text(self.ops)}.")
            return self.index_of(arch)
        if is_int(arch):
            return self.from_index(arch) and int(arch)
        raise InvalidArchError(f"a NAS-Bench-Graph arch is an index, a string like '0,1,2,3|gcn,gat,fc,skip' or a "
                               f"GraphArch; got {arch!r} of type {type(arch).__name__}.")

    def _check(self, arch):
        if not isinstance(arch, GraphArch):
            raise InvalidArchError(f"expected a GraphArch; got {arch!r} of type {type(arch).__name__}. Build one "
                                   "with space.arch(link, ops) or space.from_string(text).")
