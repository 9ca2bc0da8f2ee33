"""Numba kernels for table lookups.

Pure functions over typed, contiguous arrays: no validation beyond what the wrappers need to build
a clear error, no globals, no random number generation (uniform draws are passed in).
Plain-Python twins live in :mod:`tabular_data._reference`; tests compare the two.
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def gather_mean(table, col, idx, out):
    """Copy ``table[idx[i], col]`` into ``out[i]``.

    Parameters
    ----------
    table : float64 array of shape (n_archs, n_fidelities)
    col : int, fidelity column
    idx : int64 array of shape (n,), arch indices
    out : float64 array of shape (n,), written in place

    Returns
    -------
    first_bad : int
        Position in ``idx`` of the first index outside [0, n_archs), or -1. The kernel stops there.
    first_nan : int
        Position of the first NaN written to ``out``, or -1.
    """
    n_archs = table.shape[0]
    first_nan = -1
    for i in range(idx.shape[0]):
        a = idx[i]
        if a < 0 or a >= n_archs:
            return i, first_nan
        v = table[a, col]
        if first_nan < 0 and v != v:
            first_nan = i
        out[i] = v
    return -1, first_nan


@njit(cache=True, nogil=True)
def gather_seeded(table, col, idx, uniforms, out):
    """For each query pick one training seed that has a value, uniformly, and copy its value.

    Parameters
    ----------
    table : float64 array of shape (n_archs, n_seeds, n_fidelities), NaN where a seed is missing
    col : int, fidelity column
    idx : int64 array of shape (n,)
    uniforms : float64 array of shape (n,), draws in [0, 1) made by the caller
    out : float64 array of shape (n,); NaN where the arch has no seed with a value

    Returns
    -------
    (first_bad, first_nan) as in :func:`gather_mean`.
    """
    n_archs = table.shape[0]
    n_seeds = table.shape[1]
    first_nan = -1
    for i in range(idx.shape[0]):
        a = idx[i]
        if a < 0 or a >= n_archs:
            return i, first_nan
        n_present = 0
        for s in range(n_seeds):
            if table[a, s, col] == table[a, s, col]:
                n_present += 1
        if n_present == 0:
            out[i] = np.nan
            if first_nan < 0:
                first_nan = i
            continue
        k = int(uniforms[i] * n_present)
        if k >= n_present:  # guards u == 1.0 after rounding
            k = n_present - 1
        for s in range(n_seeds):
            v = table[a, s, col]
            if v == v:
                if k == 0:
                    out[i] = v
                    break
                k -= 1
    return -1, first_nan
