"""numba kernels of the surrogates package. Pure functions over typed, contiguous arrays: no
validation, no globals, no RNG (see :mod:`surrogates._reference` for the plain-Python twins).

Tree walks are latency-bound (each step's loads depend on the previous step), so
:func:`forest_predict` walks eight rows through each tree at once (or, for a last few rows, one row
through four trees at once): independent chains keep the load units busy. It assumes a NaN-free
``X``; :func:`forest_predict_nan` handles missing values
with each node's default direction.
"""

from __future__ import annotations

from numba import njit

__all__ = ["forest_predict", "forest_predict_nan"]


@njit(cache=True, nogil=True)
def forest_predict(X, feature, threshold, left, value, roots, depth, tree_lo, tree_hi, base, out):
    """``out[i] = base + sum of trees tree_lo..tree_hi-1 on row X[i]``, summed in float32 in tree order.

    X : float32 (n, d) without NaN; node arrays as in :class:`surrogates.forest.Forest`;
    out : float32 (n,). A step goes to ``left[node] + (x >= threshold)``; leaves point to
    themselves with threshold NaN, so a walk may take more steps than a tree's depth.
    Eight rows walk each tree together; fewer than eight remaining rows walk four trees at once.
    """
    n = X.shape[0]
    i = 0
    while i + 8 <= n:
        x0 = X[i]
        x1 = X[i + 1]
        x2 = X[i + 2]
        x3 = X[i + 3]
        x4 = X[i + 4]
        x5 = X[i + 5]
        x6 = X[i + 6]
        x7 = X[i + 7]
        s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = base
        for t in range(tree_lo, tree_hi):
            a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = roots[t]
            for _ in range(depth[t]):
                a0 = left[a0] + (x0[feature[a0]] >= threshold[a0])
                a1 = left[a1] + (x1[feature[a1]] >= threshold[a1])
                a2 = left[a2] + (x2[feature[a2]] >= threshold[a2])
                a3 = left[a3] + (x3[feature[a3]] >= threshold[a3])
                a4 = left[a4] + (x4[feature[a4]] >= threshold[a4])
                a5 = left[a5] + (x5[feature[a5]] >= threshold[a5])
                a6 = left[a6] + (x6[feature[a6]] >= threshold[a6])
                a7 = left[a7] + (x7[feature[a7]] >= threshold[a7])
            s0 += value[a0]
            s1 += value[a1]
            s2 += value[a2]
            s3 += value[a3]
            s4 += value[a4]
            s5 += value[a5]
            s6 += value[a6]
            s7 += value[a7]
        out[i] = s0
        out[i + 1] = s1
        out[i + 2] = s2
        out[i + 3] = s3
        out[i + 4] = s4
        out[i + 5] = s5
        out[i + 6] = s6
        out[i + 7] = s7
        i += 8
    for j in range(i, n):
        x = X[j]
        s = base
        t = tree_lo
        while t + 4 <= tree_hi:
            a = roots[t]
            b = roots[t + 1]
            c = roots[t + 2]
            d = roots[t + 3]
            steps = max(max(depth[t], depth[t + 1]), max(depth[t + 2], depth[t + 3]))
            for _ in range(steps):
                a = left[a] + (x[feature[a]] >= threshold[a])
                b = left[b] + (x[feature[b]] >= threshold[b])
                c = left[c] + (x[feature[c]] >= threshold[c])
                d = left[d] + (x[feature[d]] >= threshold[d])
            s += value[a]  # added one by one, in tree order, as xgboost sums
            s += value[b]
            s += value[c]
            s += value[d]
            t += 4
        while t < tree_hi:
            a = roots[t]
            for _ in range(depth[t]):
                a = left[a] + (x[feature[a]] >= threshold[a])
            s += value[a]
            t += 1
        out[j] = s


@njit(cache=True, nogil=True)
def forest_predict_nan(X, feature, threshold, left, default_left, value, roots, depth, tree_lo, tree_hi, base, out):
    """As :func:`forest_predict`, for an ``X`` with NaN: a NaN feature goes left when ``default_left``."""
    for j in range(X.shape[0]):
        x = X[j]
        s = base
        for t in range(tree_lo, tree_hi):
            a = roots[t]
            for _ in range(depth[t]):
                v = x[feature[a]]
                if v != v:
                    a = left[a] + (default_left[a] == 0)
                else:
                    a = left[a] + (v >= threshold[a])
            s += value[a]
        out[j] = s
