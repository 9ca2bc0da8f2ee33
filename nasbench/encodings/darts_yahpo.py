"""DARTS genotypes as YAHPO Gym's ``nb301`` configurations, and those as the ONNX model's input codes.

NAS-Bench-301's ConfigSpace (which YAHPO Gym's ``nb301`` scenario reuses, with ``:`` spelled
``_COLON_``) describes a cell by 14 edge parameters and 3 input-pair parameters:

* intermediate node ``k`` (2..5) may read from any earlier node ``0..k-1``; its candidate edges are
  numbered consecutively from ``offset(k)`` = 0, 2, 5, 9, so the edge from node ``src`` into node
  ``k`` is ``edge_{cell}_{offset(k) + src}`` (14 edges per cell);
* ``inputs_node_{cell}_{k}`` (k = 3, 4, 5) names the two inputs node ``k`` uses, ascending, as
  ``"a_b"``; node 2 always reads nodes 0 and 1;
* an edge parameter is *active* (has a value) exactly when its source is one of its node's two
  inputs; its value is the op name (:data:`nasbench.spaces.darts.OPS`, the same 7 names).

A :class:`~nasbench.spaces.darts.DARTSArch` holds the same information as 8 ``(input_node, op)``
pairs per cell, two per intermediate node. The translation is a bijection between DARTS genotypes
up to the order of a node's two pairs (which ``DARTSArch`` equality already ignores) and valid
configurations (NB301's ``convert_genotype_to_config`` follows the same numbering).

YAHPO's ONNX model reads the 34 parameters as int32 codes in the column order of :data:`CAT_NAMES`
(``cat_names`` of ``yahpo_gym/benchmarks/nb301.py``), each coded by ``encoding_v2.json``, with
``"#na#"`` for an inactive edge; the fidelity ``epoch`` is a separate float32 input.
"""

from __future__ import annotations

import numpy as np

from nasbench.errors import DataIntegrityError, InvalidArchError, choices_text
from nasbench.spaces.darts import N_NODES, OPS, DARTSArch, DARTSSpace

__all__ = ["PREFIX", "CELLS", "EDGE_OFFSETS", "N_EDGES", "CAT_NAMES", "NA", "edge_name", "inputs_name",
           "arch_to_config", "config_to_arch", "YahpoCodes", "DARTSChoiceSpace"]

PREFIX = "NetworkSelectorDatasetInfo_COLON_darts_COLON_"
CELLS = ("normal", "reduce")
EDGE_OFFSETS = {2: 0, 3: 2, 4: 5, 5: 9}  # node k has k candidate inputs, numbered after node k-1's
N_EDGES = 14
NA = "#na#"  # YAHPO's code word of an inactive (absent) categorical value


def edge_name(cell: str, index: int) -> str:
    return f"{PREFIX}edge_{cell}_{index}"


def inputs_name(cell: str, node: int) -> str:
    return f"{PREFIX}inputs_node_{cell}_{node}"


# the model's input columns: 14 normal edges, 14 reduce edges, then the 3 + 3 input pairs
CAT_NAMES = (tuple(edge_name(c, i) for c in CELLS for i in range(N_EDGES))
             + tuple(inputs_name(c, k) for c in CELLS for k in (3, 4, 5)))


def arch_to_config(arch) -> dict:
    """The YAHPO ``nb301`` configuration of a DARTS genotype (active parameters only, no ``epoch``).

    Parameters
    ----------
    arch : DARTSArch

    Returns
    -------
    dict
        Full YAHPO parameter name -> value: 8 edge ops and 3 input pairs per cell (22 entries).
    """
    if not isinstance(arch, DARTSArch):
        raise InvalidArchError(f"expected a DARTSArch; got {arch!r} of type {type(arch).__name__}. Build one with "
                               "DARTSArch(normal, reduce) or DARTSArch.from_naslib(text).")
    config = {}
    for cell, pairs in zip(CELLS, arch.cells()):
        for k in range(N_NODES):
            node = 2 + k
            two = pairs[2 * k:2 * k + 2]
            for src, op in two:
                config[edge_name(cell, EDGE_OFFSETS[node] + src)] = OPS[op]
            if node >= 3:
                a, b = sorted(src for src, _ in two)
                config[inputs_name(cell, node)] = f"{a}_{b}"
    return config


def _inputs_of(config: dict, cell: str, node: int) -> tuple[int, int]:
    if node == 2:
        return 0, 1
    name = inputs_name(cell, node)
    value = config.get(name)
    pairs = [f"{a}_{b}" for a in range(node) for b in range(a + 1, node)]
    if value not in pairs:
        raise InvalidArchError(f"{name} must be one of {choices_text(pairs)} (the two inputs of node {node}); "
                               f"got {value!r}.")
    a, b = value.split("_")
    return int(a), int(b)


def config_to_arch(config: dict) -> DARTSArch:
    """The DARTS genotype of a YAHPO ``nb301`` configuration.

    Parameters
    ----------
    config : dict
        Full parameter name -> value, as :func:`arch_to_config` returns it (an ``epoch`` entry, the
        fidelity, is allowed and ignored). Inactive edges must be absent (ConfigSpace's rule).

    Raises
    ------
    InvalidArchError
        For an unknown name, an input pair outside its node's choices, a missing active edge, a value
        on an inactive edge, or an op name outside the 7 DARTS ops.
    """
    if not isinstance(config, dict):
        raise InvalidArchError(f"a YAHPO nb301 configuration is a dict of parameter values; got "
                               f"{type(config).__name__}.")
    unknown = sorted(set(config) - set(CAT_NAMES) - {"epoch"})
    if unknown:
        raise InvalidArchError(f"{unknown[0]!r} is not a YAHPO nb301 parameter; expected names like "
                               f"{CAT_NAMES[0]!r} or {CAT_NAMES[-1]!r}.")
    cells, used = [], set()
    for cell in CELLS:
        pairs = []
        for node in range(2, 2 + N_NODES):
            for src in _inputs_of(config, cell, node):
                name = edge_name(cell, EDGE_OFFSETS[node] + src)
                op = config.get(name)
                if op not in OPS:
                    raise InvalidArchError(f"{name} is active (node {node} reads node {src}) and must be one of "
                                           f"{choices_text(OPS)}; got {op!r}.")
                pairs.append((src, OPS.index(op)))
                used.add(name)
        cells.append(pairs)
    stray = sorted(n for n in config if n.startswith(f"{PREFIX}edge_") and n not in used)
    if stray:
        raise InvalidArchError(f"{stray[0]} is inactive (its source is not one of its node's two inputs) and must "
                               f"be absent; got {config[stray[0]]!r}.")
    return DARTSArch(*cells)


class YahpoCodes:
    """Integer codes of the ONNX model's categorical input, from YAHPO's ``encoding_v2.json``.

    Parameters
    ----------
    encoding : dict
        Parameter name -> {value: int code}, including ``"#na#"``, for every name of :data:`CAT_NAMES`.

    Raises
    ------
    nasbench.errors.DataIntegrityError
        When a parameter, a value or ``"#na#"`` has no code, or codes are not distinct ints.
    """

    def __init__(self, encoding: dict):
        self.n_features = len(CAT_NAMES)
        self.cardinalities = np.zeros(self.n_features, dtype=np.int64)
        # op code of every edge column (28, 7) and its #na# code; pair code per (column, a, b)
        self._op_codes = np.zeros((2 * N_EDGES, len(OPS)), dtype=np.int32)
        self._na = np.zeros(self.n_features, dtype=np.int32)
        self._pair_codes: list = []
        self._by_name: dict = {}
        for col, name in enumerate(CAT_NAMES):
            codes = encoding.get(name) if isinstance(encoding, dict) else None
            is_edge = col < 2 * N_EDGES
            node = None if is_edge else int(name.rsplit("_", 1)[1])
            values = list(OPS) if is_edge else [f"{a}_{b}" for a in range(node) for b in range(a + 1, node)]
            if not isinstance(codes, dict) or any(not isinstance(codes.get(v), int) for v in (NA, *values)):
                raise DataIntegrityError(
                    f"encoding_v2.json must give an int code to {NA!r} and to each of {choices_text(values)} for "
                    f"{name}; got {str(codes)[:120]}. Re-import YAHPO's nb301 files.")
            if len(set(codes.values())) != len(codes):
                raise DataIntegrityError(f"encoding_v2.json codes of {name} are not distinct: {codes}.")
            self._by_name[name] = dict(codes)
            self._na[col] = codes[NA]
            self.cardinalities[col] = max(codes.values()) + 1
            if is_edge:
                self._op_codes[col] = [codes[op] for op in OPS]
            else:
                self._pair_codes.append({(int(v[0]), int(v[2])): codes[v] for v in values})

    def encode(self, archs) -> np.ndarray:
        """Codes of ``archs``: int32 array of shape (n_archs, 34), columns in :data:`CAT_NAMES` order."""
        out = np.tile(self._na, (len(archs), 1))
        for row, arch in enumerate(archs):
            if not isinstance(arch, DARTSArch):
                raise InvalidArchError(f"expected DARTSArch values; got {arch!r} of type {type(arch).__name__}.")
            for c, pairs in enumerate(arch.cells()):
                for k in range(N_NODES):
                    node = 2 + k
                    two = pairs[2 * k:2 * k + 2]
                    for src, op in two:
                        col = c * N_EDGES + EDGE_OFFSETS[node] + src
                        out[row, col] = self._op_codes[col, op]
                    if node >= 3:
                        a, b = sorted(src for src, _ in two)
                        out[row, 2 * N_EDGES + 3 * c + node - 3] = self._pair_codes[3 * c + node - 3][(a, b)]
        return out

    def encode_config(self, config: dict) -> np.ndarray:
        """Codes of one configuration dict, looked up name by name as YAHPO Gym does (an absent
        parameter is ``"#na#"``), after :func:`config_to_arch` has checked it: int32 (34,)."""
        config_to_arch(config)
        return np.array([self._by_name[name][config.get(name, NA)] for name in CAT_NAMES], dtype=np.int32)


def _pairs_of(node: int) -> list:
    return [(a, b) for a in range(node) for b in range(a + 1, node)]


class DARTSChoiceSpace(DARTSSpace):
    """The DARTS space with a categorical view for model-based strategies (BOHB, BANANAS, REINFORCE).

    The view follows YAHPO's parameters without their conditions, so every tuple of choices is a
    valid genotype: per cell (normal, then reduce), node 2 gives the ops on its edges from nodes 0
    and 1; nodes 3, 4, 5 each give their input pair (index into ``0_1, 0_2, ...`` as YAHPO orders
    them: 3, 6, 10 options) and the ops on the edges from the lower and the higher input. That makes
    22 decisions with sizes ``(7, 7, 3, 7, 7, 6, 7, 7, 10, 7, 7)`` per cell. Sampling, mutation and
    neighbours are :class:`~nasbench.spaces.darts.DARTSSpace`'s.
    """

    choice_sizes = tuple((len(OPS),) * 2 + sum(((len(_pairs_of(k)), len(OPS), len(OPS)) for k in (3, 4, 5)), ())) * 2

    def to_choices(self, arch) -> tuple:
        """Choice indices of ``arch`` (22 ints; the order of a node's two pairs does not matter)."""
        self._check(arch)
        out = []
        for pairs in arch.cells():
            for k in range(N_NODES):
                (lo, op_lo), (hi, op_hi) = sorted(pairs[2 * k:2 * k + 2])
                if k:
                    out.append(_pairs_of(2 + k).index((lo, hi)))
                out += [op_lo, op_hi]
        return tuple(out)

    def from_choices(self, choices) -> DARTSArch:
        """The genotype of 22 choice indices (see :attr:`choice_sizes`)."""
        try:
            values = [int(c) for c in choices]
        except (TypeError, ValueError):
            raise InvalidArchError(f"DARTS choices are {len(self.choice_sizes)} ints; got {choices!r}.") from None
        if len(values) != len(self.choice_sizes) or any(not 0 <= v < s for v, s in zip(values, self.choice_sizes)):
            raise InvalidArchError(f"DARTS choices are {len(self.choice_sizes)} ints below {self.choice_sizes}; "
                                   f"got {values}.")
        it = iter(values)
        cells = []
        for _ in CELLS:
            pairs = []
            for k in range(N_NODES):
                lo, hi = _pairs_of(2 + k)[next(it)] if k else (0, 1)
                pairs += [(lo, next(it)), (hi, next(it))]
            cells.append(pairs)
        return DARTSArch(*cells)
