"""Plain-Python twins of :mod:`surrogates._kernels`, used by the tests as oracles."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["forest_predict"]


def forest_predict(X, feature, threshold, left, right, default_left, value, roots, model_start, base,
                   model_ids, out):
    """Same contract as :func:`surrogates._kernels.forest_predict`."""
    for i in range(X.shape[0]):
        m = int(model_ids[i])
        s = np.float32(base[m])
        for t in range(int(model_start[m]), int(model_start[m + 1])):
            node = int(roots[t])
            while left[node] != -1:
                x = float(X[i, feature[node]])
                if math.isnan(x):
                    node = int(left[node] if default_left[node] else right[node])
                elif x < threshold[node]:
                    node = int(left[node])
                else:
                    node = int(right[node])
            s = np.float32(s + value[node])
        out[i] = s
