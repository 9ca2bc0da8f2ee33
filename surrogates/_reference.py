"""Plain-Python twins of :mod:`surrogates._kernels`, used by the tests as oracles."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["forest_predict", "forest_predict_nan"]


def forest_predict(X, feature, threshold, left, value, roots, depth, tree_lo, tree_hi, base, out):
    """Same contract as :func:`surrogates._kernels.forest_predict` (NaN-free ``X``)."""
    default_left = np.ones(left.shape[0], dtype=np.uint8)
    forest_predict_nan(X, feature, threshold, left, default_left, value, roots, depth, tree_lo, tree_hi, base, out)


def forest_predict_nan(X, feature, threshold, left, default_left, value, roots, depth, tree_lo, tree_hi, base, out):
    """Same contract as :func:`surrogates._kernels.forest_predict_nan`, walked row by row until a leaf."""
    for i in range(X.shape[0]):
        s = np.float32(base)
        for t in range(int(tree_lo), int(tree_hi)):
            node = int(roots[t])
            while int(left[node]) != node:  # a leaf points to itself
                x = float(X[i, feature[node]])
                if math.isnan(x):
                    right = not default_left[node]
                else:
                    right = not x < threshold[node]
                node = int(left[node]) + int(right)
            s = np.float32(s + value[node])
        out[i] = s
