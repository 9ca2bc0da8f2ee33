"""The TransNAS-Bench-101 **micro** (cell-level) search space: 4 ** 6 = 4096 archs.

A cell has 4 nodes (0 the input, 3 the output) and 6 edges, each carrying one of 4 operations.
Conventions:

* Edges in TNB arch-string order: 0->1 | 0->2, 1->2 | 0->3, 1->3, 2->3 (:data:`EDGES`).
* Operations in TNB's code order: 0 ``none`` (zero), 1 ``skip_connect``, 2 ``nor_conv_1x1``,
  3 ``nor_conv_3x3`` (ReLU-conv-BN) (:data:`OPS`).
* The TNB arch string is ``64-41414-{a}_{bc}_{def}``: base channels 64, the fixed macro skeleton
  ``41414`` of the micro benchmark, then one op code per edge grouped by target node.
* NASLib's 6-tuple holds the same op codes at the same positions: NASLib formats the tuple into
  the TNB string position by position (``transbench101/conversions.py``,
  ``convert_naslib_to_transbench101_micro``), so every value NASLib queried for a tuple is the value
  of that string. (NASLib's ``EDGE_LIST`` labels positions 1-3 as 0->2, 0->3, 1->2; the queried string,
  which decides the values, follows TNB's order.)
* The index (0..4095) is the odometer number of the op codes, first edge most significant; it is
  this project's row order, not TNB's own arch index.

Examples
--------
>>> arch = TNBMicroArch.from_string("64-41414-3_23_232")
>>> arch.to_naslib(), arch.index
((3, 2, 3, 2, 3, 2), 3822)
"""

from __future__ import annotations

import ast
import functools
import re

import numpy as np

from nasbench.errors import InvalidArchError
from nasbench.spaces._grid import GridArch, GridSpace
from nasbench.spaces.nb201 import cell_string

__all__ = ["OPS", "EDGES", "N_ARCHS", "TNBMicroArch", "TNBMicroSpace", "unique_string"]

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3")
EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
N_ARCHS = len(OPS) ** len(EDGES)
PREFIX = "64-41414-"
_STRING = re.compile(r"^64-41414-([0-3])_([0-3]{2})_([0-3]{3})$")


class TNBMicroArch(GridArch):
    """One TNB micro cell; ``choices`` are TNB op codes per edge in string order."""

    __slots__ = ()
    SPACE = "transnas-micro"
    N_DECISIONS = len(EDGES)
    N_OPTIONS = len(OPS)
    EXAMPLE = "64-41414-3_23_232"

    @classmethod
    def _parse_string(cls, text: str) -> tuple:
        match = _STRING.match(text)
        if match is None:
            raise InvalidArchError(
                f"a TransNAS-Bench-101 micro arch string reads '64-41414-a_bc_def' with op codes 0-3 (0 none, "
                f"1 skip, 2 conv1x1, 3 conv3x3), e.g. {cls.EXAMPLE!r}; got {text!r}."
            )
        return tuple(int(c) for c in "".join(match.groups()))

    def to_string(self) -> str:
        a, b, c, d, e, f = self.choices
        return f"{PREFIX}{a}_{b}{c}_{d}{e}{f}"

    @classmethod
    def from_naslib(cls, op_indices) -> TNBMicroArch:
        """NASLib's 6-tuple (a tuple or its text ``'(2, 3, 2, 3, 2, 3)'``) as an arch."""
        if isinstance(op_indices, str):
            try:
                op_indices = ast.literal_eval(op_indices.strip())
            except (ValueError, SyntaxError):
                raise InvalidArchError(
                    f"a NASLib TNB micro tuple looks like '(2, 3, 2, 3, 2, 3)'; got {op_indices!r}."
                ) from None
        if not isinstance(op_indices, (tuple, list)):
            raise InvalidArchError(f"a NASLib TNB micro tuple has 6 op codes in [0, 3]; got {op_indices!r}.")
        return cls(op_indices)

    def to_naslib(self) -> tuple:
        return self.choices

    @property
    def op_names(self) -> tuple:
        return tuple(OPS[c] for c in self.choices)


def unique_string(choices) -> str:
    """Isomorphism string of a cell: equal for cells computing the same function.

    Node ``j`` is the sorted '+'-join of its incoming terms: ``none`` or a source that is exactly
    zero gives '#', ``skip_connect`` passes the source's string, a convolution gives
    ``(source)@op``. This merges cells that differ only by edges carrying zeros or by the order of
    a node's summands.
    """
    return cell_string([OPS[c] for c in choices], _join_nonzero)


def _join_nonzero(terms) -> str:
    nonzero = sorted(t for t in terms if t != "#")
    return "+".join(nonzero) if nonzero else "#"


@functools.cache
def _unique_strings() -> tuple:
    return tuple(unique_string(row) for row in TNBMicroSpace().choice_table().tolist())


class TNBMicroSpace(GridSpace):
    """The TNB micro space (4096 cells); every cell is in the space and in the table.

    Examples
    --------
    >>> space = TNBMicroSpace()
    >>> len(space.neighbors(space.from_index(0)))
    18
    """

    name = "transnas-micro"
    arch_type = TNBMicroArch
    ops = OPS
    edges = EDGES

    def canonical_key(self, arch) -> str:
        """The cell's isomorphism string (:func:`unique_string`)."""
        self._check(arch)
        return _unique_strings()[arch.index]

    def from_naslib(self, op_indices) -> TNBMicroArch:
        return TNBMicroArch.from_naslib(op_indices)

    def _one_index(self, arch) -> int:
        # NASLib tuples given as tuples are accepted beside indices, strings and arch values
        if isinstance(arch, tuple):
            return TNBMicroArch.from_naslib(arch).index
        if isinstance(arch, str) and arch.lstrip().startswith("("):
            return TNBMicroArch.from_naslib(arch).index
        return super()._one_index(arch)


def naslib_tuples() -> np.ndarray:
    """NASLib tuple of every index: int64 of shape (4096, 6) (equal to the choice table)."""
    return TNBMicroSpace().choice_table()
