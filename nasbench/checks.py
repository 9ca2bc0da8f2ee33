"""Checks of scalar arguments at a boundary: one place for "an int >= 1, not a bool".

``True`` is an ``int`` in Python and ``np.int64`` is not, so a hand-written
``isinstance(x, int)`` both lets ``True`` through as 1 and refuses a numpy integer. The predicates
:func:`is_int` and :func:`is_number` settle both once; the ``check_*`` functions raise one
:class:`~nasbench.errors.NasbenchError` (or the subclass given) whose message reads
``"<name> must be <what was expected>; got <value>. <what to do>"``.

Base layer: standard library and numpy only.
"""

from __future__ import annotations

import math

import numpy as np

from nasbench.errors import NasbenchError, UnknownNameError, choices_text

__all__ = ["check_bool", "check_choice", "check_int", "check_number", "is_int", "is_number", "range_text"]


def is_int(value) -> bool:
    """True for a Python or numpy integer, False for a bool (Python's or numpy's) and everything else."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_number(value) -> bool:
    """True for a Python or numpy int or float (NaN and inf included), False for a bool and everything else."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def range_text(low=None, high=None, *, low_open: bool = False, high_open: bool = False) -> str:
    """The range in words: ``>= 1``, ``> 0``, ``<= 9`` or ``in [0, 1)``; empty without bounds."""
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    if low is not None:
        return f"{'>' if low_open else '>='} {low}"
    if high is not None:
        return f"{'<' if high_open else '<='} {high}"
    return ""


def _fail(error, name: str, expected: str, value, hint: str | None):
    raise error(f"{name} must be {expected}; got {value!r}." + (f" {hint}" if hint else ""))


def check_int(name: str, value, low: int | None = None, high: int | None = None, *,
              error: type[NasbenchError] = NasbenchError, hint: str | None = None) -> int:
    """``value`` as an int when it is a (non-bool) integer in ``[low, high]``; else raise ``error``.

    Parameters
    ----------
    name : str
        How the message names the argument (``"n_workers"``, ``"the 'eta' parameter of Hyperband"``).
    value : object
        What was given.
    low, high : int, optional
        Inclusive bounds; None leaves that side open.
    error : type
        The :class:`NasbenchError` subclass to raise.
    hint : str, optional
        What to do, appended to the message.

    Returns
    -------
    int
        ``int(value)`` (a numpy integer becomes a Python int).
    """
    if not is_int(value) or (low is not None and value < low) or (high is not None and value > high):
        _fail(error, name, f"an int {range_text(low, high)}".rstrip(), value, hint)
    return int(value)


def check_number(name: str, value, low: float | None = None, high: float | None = None, *,
                 low_open: bool = False, high_open: bool = False, finite: bool = True,
                 error: type[NasbenchError] = NasbenchError, hint: str | None = None) -> float:
    """``value`` as a float when it is a (non-bool) number in the range; else raise ``error``.

    Parameters
    ----------
    name, value, error, hint
        As in :func:`check_int`.
    low, high : float, optional
        Bounds; None leaves that side open. ``low_open`` / ``high_open`` make a bound exclusive.
    finite : bool
        Refuse NaN and infinities (default). NaN fails every bound anyway.

    Returns
    -------
    float
    """
    ok = is_number(value) and not (finite and not math.isfinite(value)) and not math.isnan(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        expected = f"a {'finite ' if finite else ''}number {range_text(low, high, low_open=low_open, high_open=high_open)}"
        _fail(error, name, expected.rstrip(), value, hint)
    return float(value)


def check_bool(name: str, value, *, error: type[NasbenchError] = NasbenchError, hint: str | None = None) -> bool:
    """``value`` as a bool when it is ``True`` or ``False`` (Python's or numpy's); 0 and 1 are refused."""
    if not isinstance(value, (bool, np.bool_)):
        _fail(error, name, "true or false", value, hint)
    return bool(value)


def check_choice(name: str, value, choices, *, error: type[NasbenchError] = UnknownNameError,
                 hint: str | None = None):
    """``value`` when it is one of ``choices``; else raise ``error`` listing the choices."""
    choices = tuple(choices)
    try:
        ok = value in choices
    except TypeError:  # an unhashable value against a set-like collection
        ok = False
    if not ok:
        _fail(error, name, f"one of {choices_text(choices)}", value, hint)
    return value
