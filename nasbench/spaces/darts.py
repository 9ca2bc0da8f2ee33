"""The DARTS cell search space (as used by NAS-Bench-301).

A genotype has a *normal* and a *reduction* cell. Each cell has two input nodes (0, 1: the
outputs of the two previous cells) and four intermediate nodes (2..5); intermediate node ``i``
takes exactly two inputs from distinct earlier nodes (``0..i-1``), each through one of the 7
operations of :data:`OPS`; the cell's output concatenates nodes 2..5. So a cell is 8
``(input_node, op)`` pairs, two per intermediate node in node order, as in NASLib's compact
genotype (op indices into :data:`OPS`, NASLib's order).

The canonical key sorts each node's two pairs, since their order does not change the cell
(full DARTS graph isomorphism, permuting intermediate nodes, is not resolved).
"""

from __future__ import annotations

import ast
import itertools

import numpy as np

from nasbench.errors import InvalidArchError, choices_text
from nasbench.spaces.base import SearchSpace

__all__ = ["OPS", "N_NODES", "DARTSArch", "DARTSSpace"]

OPS = ("max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3",
       "dil_conv_5x5")
N_NODES = 4  # intermediate nodes per cell
N_PAIRS = 2 * N_NODES
CELLS = ("normal", "reduce")
# the unordered input pairs of intermediate node 2 + k, in a fixed order (the categorical view)
INPUT_PAIRS = tuple(tuple(itertools.combinations(range(2 + k), 2)) for k in range(N_NODES))


def _check_cell(cell, which: str) -> tuple[tuple[int, int], ...]:
    try:
        pairs = tuple((int(src), int(op)) for src, op in cell)
    except (TypeError, ValueError):
        raise InvalidArchError(
            f"the {which} cell must be 8 (input_node, op) pairs of ints; got {cell!r}."
        ) from None
    if len(pairs) != N_PAIRS:
        raise InvalidArchError(f"the {which} cell has {N_PAIRS} (input_node, op) pairs; got {len(pairs)}.")
    for k, (src, op) in enumerate(pairs):
        node = 2 + k // 2
        if not 0 <= op < len(OPS):
            raise InvalidArchError(
                f"op index {op} of pair {k} of the {which} cell is outside [0, {len(OPS) - 1}] "
                f"(ops: {choices_text(OPS)})."
            )
        if not 0 <= src < node:
            raise InvalidArchError(
                f"pair {k} of the {which} cell feeds node {node}, whose inputs must be in [0, {node - 1}]; got {src}."
            )
    for node in range(N_NODES):
        a, b = pairs[2 * node][0], pairs[2 * node + 1][0]
        if a == b:
            raise InvalidArchError(
                f"node {node + 2} of the {which} cell takes its two inputs from distinct nodes; got {a} twice."
            )
    return pairs


class DARTSArch:
    """One DARTS genotype: an immutable, hashable value.

    Parameters
    ----------
    normal, reduce : sequence of 8 (input_node, op_index) pairs

    Attributes
    ----------
    normal, reduce : tuple of 8 (int, int) pairs
    key : tuple
        Canonical key (each node's pairs sorted); ``__eq__`` and ``__hash__`` use it.
    """

    __slots__ = ("normal", "reduce", "key")

    def __init__(self, normal, reduce):
        n = _check_cell(normal, "normal")
        r = _check_cell(reduce, "reduce")
        object.__setattr__(self, "normal", n)
        object.__setattr__(self, "reduce", r)
        object.__setattr__(self, "key", (_canonical(n), _canonical(r)))

    @classmethod
    def from_naslib(cls, text) -> DARTSArch:
        """Parse NASLib's compact genotype ``[[(src, op) x 8], [(src, op) x 8]]`` (a str or lists)."""
        if isinstance(text, str):
            try:
                text = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                raise InvalidArchError(
                    f"a NASLib DARTS genotype looks like '[[(0, 1), (1, 3), ...], [...]]'; got {text!r}."
                ) from None
        try:
            normal, reduce = text
        except (TypeError, ValueError):
            raise InvalidArchError(f"a DARTS genotype is [normal, reduce]; got {text!r}.") from None
        return cls(normal, reduce)

    def to_naslib(self) -> str:
        return str([list(self.normal), list(self.reduce)])

    def cells(self) -> tuple:
        return (self.normal, self.reduce)

    def __setattr__(self, name, value):
        raise AttributeError("DARTSArch is immutable; use DARTSSpace.mutate to get a new arch")

    def __eq__(self, other):
        return isinstance(other, DARTSArch) and other.key == self.key

    def __hash__(self):
        return hash(("darts", self.key))

    def __repr__(self):
        return f"DARTSArch(normal={list(self.normal)}, reduce={list(self.reduce)})"

    def __reduce__(self):
        return (DARTSArch, (self.normal, self.reduce))


def _canonical(pairs):
    return tuple(tuple(sorted(pairs[2 * k:2 * k + 2])) for k in range(N_NODES))


# relabellings of the intermediate nodes 2..5 (permutations of 0..3: perm[k] is the new position of
# node 2 + k), each with the bitmask of the edges between intermediate nodes it keeps pointing forward
_INNER_EDGES = tuple((a, b) for b in range(N_NODES) for a in range(b))  # (source, target) positions
_RELABELLINGS = tuple(
    (perm, sum(1 << i for i, (a, b) in enumerate(_INNER_EDGES) if perm[a] < perm[b]))
    for perm in itertools.permutations(range(N_NODES))
)


def relabelled_canonical(pairs) -> tuple:
    """The smallest :func:`_canonical` form of a cell over every valid relabelling of its intermediate nodes.

    The cell concatenates nodes 2..5, so a relabelling that keeps each node's inputs on earlier nodes
    gives the same function up to the order of the concatenated channels (which the next 1x1 convolution
    absorbs): a graph isomorphism of DARTS cells. Cells with the same result are isomorphic.
    """
    used = 0
    for k in range(N_PAIRS):
        src = pairs[k][0]
        if src >= 2:
            used |= 1 << _INNER_EDGES.index((src - 2, k // 2))
    best = None
    for perm, forward in _RELABELLINGS:
        if used & ~forward:
            continue
        new = [None] * N_NODES
        for k in range(N_NODES):
            new[perm[k]] = tuple(sorted((src if src < 2 else 2 + perm[src - 2], op)
                                        for src, op in pairs[2 * k:2 * k + 2]))
        key = tuple(new)
        if best is None or key < best:
            best = key
    return best


def _sample_cell(rng) -> list[tuple[int, int]]:
    pairs = []
    for node in range(2, 2 + N_NODES):
        # two distinct inputs, uniformly, with integers() only (strategies' uniform streams offer no choice())
        first = int(rng.integers(node))
        second = int(rng.integers(node - 1))
        second += second >= first
        for src in (first, second):
            pairs.append((src, int(rng.integers(len(OPS)))))
    return pairs


class DARTSSpace(SearchSpace):
    """The DARTS space: uniform sampling (NB301's), one-change mutation and neighbours.

    A sample picks, for each intermediate node, two distinct inputs uniformly and an op uniformly
    for each. A mutation picks a cell, a pair, and either its op or its input (each with
    probability 1/2), changing it to a different valid value uniformly.
    """

    name = "darts"
    n_archs = None
    ops = OPS

    def sample(self, rng: np.random.Generator) -> DARTSArch:
        return DARTSArch(_sample_cell(rng), _sample_cell(rng))

    def mutate(self, arch: DARTSArch, rng: np.random.Generator) -> DARTSArch:
        self._check(arch)
        while True:
            cells = [list(arch.normal), list(arch.reduce)]
            c = int(rng.integers(2))
            k = int(rng.integers(N_PAIRS))
            src, op = cells[c][k]
            if rng.random() < 0.5:
                others = [o for o in range(len(OPS)) if o != op]
                cells[c][k] = (src, others[int(rng.integers(len(others)))])
            else:
                node = 2 + k // 2
                partner = cells[c][k ^ 1][0]
                others = [s for s in range(node) if s != src and s != partner]
                if not others:
                    continue
                cells[c][k] = (others[int(rng.integers(len(others)))], op)
            child = DARTSArch(*cells)
            if child != arch:
                return child

    def neighbors(self, arch: DARTSArch) -> list[DARTSArch]:
        """All genotypes one op change or one input change away (distinct keys), in a fixed order."""
        self._check(arch)
        out, seen = [], {arch.key}
        for c in range(2):
            for k in range(N_PAIRS):
                cells = [list(arch.normal), list(arch.reduce)]
                src, op = cells[c][k]
                node = 2 + k // 2
                partner = cells[c][k ^ 1][0]
                options = [(src, o) for o in range(len(OPS)) if o != op]
                options += [(s, op) for s in range(node) if s != src and s != partner]
                for pair in options:
                    new = [list(arch.normal), list(arch.reduce)]
                    new[c][k] = pair
                    child = DARTSArch(*new)
                    if child.key not in seen:
                        seen.add(child.key)
                        out.append(child)
        return out

    # categorical view (BANANAS' encoding, REINFORCE, BOHB): per cell and node, which unordered input
    # pair, then the op on the lower input and the op on the higher one. It is a bijection onto the
    # canonical keys, so every choice tuple names one genotype and equal genotypes share one tuple.
    @property
    def choice_sizes(self) -> tuple:
        return tuple(size for _ in CELLS for pairs in INPUT_PAIRS for size in (len(pairs), len(OPS), len(OPS)))

    def to_choices(self, arch: DARTSArch) -> tuple:
        """24 ints: for each cell and node, (input-pair index, op of the lower input, op of the higher)."""
        self._check(arch)
        out = []
        for cell in arch.key:
            for k, ((src_lo, op_lo), (src_hi, op_hi)) in enumerate(cell):
                out += [INPUT_PAIRS[k].index((src_lo, src_hi)), op_lo, op_hi]
        return tuple(out)

    def from_choices(self, choices) -> DARTSArch:
        c = [int(v) for v in choices]
        if len(c) != len(self.choice_sizes) or any(not 0 <= v < n for v, n in zip(c, self.choice_sizes)):
            raise InvalidArchError(
                f"a DARTS choice tuple has {len(self.choice_sizes)} ints within the sizes "
                f"{self.choice_sizes}; got {tuple(c)}."
            )
        cells = []
        for cell in range(len(CELLS)):
            pairs = []
            for k in range(N_NODES):
                pair_index, op_lo, op_hi = c[3 * (cell * N_NODES + k):3 * (cell * N_NODES + k) + 3]
                src_lo, src_hi = INPUT_PAIRS[k][pair_index]
                pairs += [(src_lo, op_lo), (src_hi, op_hi)]
            cells.append(pairs)
        return DARTSArch(*cells)

    def is_valid(self, arch) -> bool:
        return isinstance(arch, DARTSArch)

    def canonical_key(self, arch: DARTSArch) -> tuple:
        self._check(arch)
        return arch.key

    @staticmethod
    def _check(arch):
        if not isinstance(arch, DARTSArch):
            raise InvalidArchError(
                f"expected a DARTSArch; got {arch!r} of type {type(arch).__name__}. "
                "Build one with DARTSArch(normal, reduce) or DARTSArch.from_naslib(text)."
            )
