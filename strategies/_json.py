"""JSON-ready copies of result dicts, shared by the report writers (compare, validate, search)."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["jsonable"]


def jsonable(obj):
    """``obj`` with str keys, lists for tuples, Python numbers for numpy ones, and NaN/inf as strings.

    JSON has no NaN or infinity; writing them as ``"nan"`` / ``"inf"`` keeps the files valid JSON and
    the values readable back with ``float()``.
    """
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        return v if math.isfinite(v) else str(v)
    return obj
