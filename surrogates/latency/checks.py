"""Sanity checks of latency measurements before they are fit, adapted to or stored.

A latency in milliseconds must be finite, positive and plausible for one inference of a network: the
smallest published NB201 values are ~0.003 ms (HW-NAS-Bench's pixel3 / raspi4 columns for cells a
compiler removes) and the slowest devices take seconds, so values outside
:data:`LATENCY_RANGE_MS` are unit mistakes or corrupt files (1e308 ms is 10^297 years). Repeated
measurements of one arch must agree: a file that gives one arch two conflicting latencies is refused
rather than silently averaged or resolved by position. Saved latency models are checked field by
field (:func:`state_number`, :func:`state_array`) before they can predict.
"""

from __future__ import annotations

import numpy as np

from nasbench.checks import is_int, is_number
from nasbench.errors import InvalidArchError

__all__ = ["LATENCY_RANGE_MS", "DUPLICATE_RTOL", "check_latency_column", "merge_duplicates", "state_number",
           "state_array", "state_error"]

LATENCY_RANGE_MS = (1e-4, 1e6)  # 0.1 microsecond .. 16.7 minutes per inference
DUPLICATE_RTOL = 1e-6  # repeated rows of one arch must carry the same value (a copy), not two measurements


def check_latency_column(values, *, what: str = "latencies", allow_nan: bool = True) -> np.ndarray:
    """Validate latencies in ms: finite (NaN allowed where ``allow_nan``: not measured), within
    :data:`LATENCY_RANGE_MS`.

    Returns
    -------
    ndarray of float64
        ``values`` as an array.

    Raises
    ------
    InvalidArchError
        Naming the first offending position and value.
    """
    values = np.asarray(values, dtype=np.float64)
    low, high = LATENCY_RANGE_MS
    present = ~np.isnan(values) if allow_nan else np.ones(values.shape, dtype=bool)
    bad = present & ~((values >= low) & (values <= high))  # False for NaN and inf, so they count as bad
    if bad.any():
        pos = int(np.flatnonzero(bad.reshape(-1))[0])
        raise InvalidArchError(
            f"{what} must be positive, finite milliseconds in [{low:g}, {high:g}]"
            f"{' (NaN where not measured)' if allow_nan else ''}; got {float(values.reshape(-1)[pos])!r} at position "
            f"{pos} ({int(bad.sum())} such values). Check the unit (ms) and the measurement."
        )
    return values


def merge_duplicates(archs, y, *, what: str = "measurements") -> tuple[np.ndarray, np.ndarray]:
    """Collapse repeated archs whose latencies agree; refuse ones that conflict.

    Parameters
    ----------
    archs : int array of shape (n,)
        Arch indices (table rows).
    y : float array of shape (n,)
        Latency (ms) of each row.

    Returns
    -------
    (archs, y) : the distinct archs in first-seen order and their latency.

    Raises
    ------
    InvalidArchError
        When one arch has two latencies that differ by more than :data:`DUPLICATE_RTOL` (relative).
    """
    archs = np.asarray(archs, dtype=np.int64)
    y = np.asarray(y, dtype=np.float64)
    _, first, inverse = np.unique(archs, return_index=True, return_inverse=True)
    reference = y[first][inverse]  # the first value seen for each row's arch
    conflict = ~np.isclose(y, reference, rtol=DUPLICATE_RTOL, atol=0.0)
    if conflict.any():
        pos = int(np.flatnonzero(conflict)[0])
        arch = int(archs[pos])
        values = y[archs == arch].tolist()
        raise InvalidArchError(
            f"{what}: arch {arch} appears {len(values)} times with conflicting latencies {values} ms; expected "
            "one latency per arch. Give each arch once (e.g. the median of its repeats)."
        )
    keep = np.sort(first)
    return archs[keep], y[keep]


def state_number(params: dict, key: str, *, low: float = -np.inf, high: float = np.inf, integer: bool = False):
    """A scalar of a saved latency model's params: finite, in [low, high], an int where asked.

    Raises
    ------
    DataIntegrityError
        Naming the field, the expected range and the value found.
    """
    value = params.get(key) if isinstance(params, dict) else None
    if not (is_int(value) if integer else is_number(value)) or not np.isfinite(value) or not low <= value <= high:
        raise state_error(key, f"{'an int' if integer else 'a finite number'} in [{low:g}, {high:g}]", value)
    return value


def state_edges(params: dict, max_node: int) -> list[tuple[int, int]]:
    """The ``edges`` of a saved latency model: 1..``max_node`` ``[source, target]`` pairs with
    0 <= source < target <= ``max_node``, as tuples."""
    edges = params.get("edges") if isinstance(params, dict) else None
    if not isinstance(edges, list) or not 1 <= len(edges) <= max_node or not all(
            isinstance(e, list) and len(e) == 2 and all(is_int(v) for v in e)
            and 0 <= e[0] < e[1] <= max_node for e in edges):
        raise state_error("edges", "a list of [source, target] node pairs with source < target", edges)
    return [tuple(e) for e in edges]


def state_array(arrays: dict, key: str, shape: tuple) -> np.ndarray:
    """An array of a saved latency model: float64, finite, of ``shape`` (None entries: any length >= 1)."""
    a = arrays.get(key)
    if not isinstance(a, np.ndarray) or a.dtype.kind != "f" or a.ndim != len(shape) or any(
            (s is None and n < 1) or (s is not None and n != s) for s, n in zip(shape, a.shape)):
        got = f"{a.dtype} array of shape {a.shape}" if isinstance(a, np.ndarray) else type(a).__name__
        raise state_error(key, f"a float array of shape {tuple('n' if s is None else s for s in shape)}", got)
    if not np.all(np.isfinite(a)):
        raise state_error(key, "finite values", "NaN or infinite values")
    return np.asarray(a, dtype=np.float64)


def state_error(key, expected, got):
    """The one-line DataIntegrityError of a saved latency model's field."""
    from nasbench.errors import DataIntegrityError

    text = repr(got)
    return DataIntegrityError(f"saved latency model: {key} must be {expected}; got {text[:60]}. The state does not "
                              "match the model: re-save it (nasbench latency fit --save DIR).")
