"""numba kernels of the surrogates package. Pure functions over typed, contiguous arrays: no
validation, no globals, no RNG (see :mod:`surrogates._reference` for the plain-Python twins)."""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["forest_predict"]


@njit(cache=True, nogil=True)
def forest_predict(X, feature, threshold, left, right, default_left, value, roots, model_start, base,
                   model_ids, out):
    """Sum of the trees of model ``model_ids[i]`` on row ``X[i]``, into ``out[i]`` (float32).

    X : float32 (n, d); node arrays as in :class:`surrogates.forest.Forest`; model_ids int64 (n,);
    out float32 (n,).
    """
    for i in range(X.shape[0]):
        m = model_ids[i]
        s = base[m]
        for t in range(model_start[m], model_start[m + 1]):
            node = roots[t]
            while left[node] != -1:
                x = X[i, feature[node]]
                if x != x:
                    node = left[node] if default_left[node] else right[node]
                elif x < threshold[node]:
                    node = left[node]
                else:
                    node = right[node]
            s += value[node]
        out[i] = s
