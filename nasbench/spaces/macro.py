"""The NAS-Bench-Macro search space: a chain of 8 searchable layers, 3 ** 8 = 6561 archs.

NAS-Bench-Macro (Su et al., "Prioritized Architecture Sampling with Monte-Carlo Tree Search", CVPR
2021) fixes a CIFAR-10 network's stem and head and searches the block of each of its 8 layers:

* 0 ``identity`` (the layer is skipped),
* 1 ``mbv2_k3_e3``: MobileNetV2 inverted residual block, 3x3 depthwise kernel, expansion ratio 3,
* 2 ``mbv2_k5_e6``: MobileNetV2 inverted residual block, 5x5 depthwise kernel, expansion ratio 6.

An arch string is 8 characters over ``{0, 1, 2}``, one per layer from input to output, as in the
benchmark's JSON keys (``"02012100"``). The index (0..6560) is the base-3 number the string spells,
first layer most significant; it is this project's row order.

Examples
--------
>>> MacroArch.from_string("00000012").index
5
"""

from __future__ import annotations

import re

from nasbench.errors import InvalidArchError
from nasbench.spaces._grid import GridArch, GridSpace

__all__ = ["OPS", "N_LAYERS", "N_ARCHS", "MacroArch", "MacroSpace"]

OPS = ("identity", "mbv2_k3_e3", "mbv2_k5_e6")
N_LAYERS = 8
N_ARCHS = len(OPS) ** N_LAYERS
_STRING = re.compile(r"^[012]{8}$")


class MacroArch(GridArch):
    """One NAS-Bench-Macro network; ``choices`` are the block codes of the 8 layers."""

    __slots__ = ()
    SPACE = "macro"
    N_DECISIONS = N_LAYERS
    N_OPTIONS = len(OPS)
    EXAMPLE = "02012100"

    @classmethod
    def _parse_string(cls, text: str) -> tuple:
        if not _STRING.match(text):
            raise InvalidArchError(
                f"a NAS-Bench-Macro arch string is 8 characters over 0, 1, 2 (0 identity, 1 MBv2 k3 e3, "
                f"2 MBv2 k5 e6), e.g. {cls.EXAMPLE!r}; got {text!r}."
            )
        return tuple(int(c) for c in text)

    def to_string(self) -> str:
        return "".join(str(c) for c in self.choices)

    @property
    def op_names(self) -> tuple:
        return tuple(OPS[c] for c in self.choices)


class MacroSpace(GridSpace):
    """The NAS-Bench-Macro space (6561 chains). No two archs are known to compute the same
    function (layers differ in position, channels and stride), so the canonical key is the index.

    Examples
    --------
    >>> len(MacroSpace().neighbors(MacroArch.from_string("02012100")))
    16
    """

    name = "macro"
    arch_type = MacroArch
    ops = OPS
