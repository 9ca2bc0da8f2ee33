"""Plain-Python twins of :mod:`tabular_data._kernels`, used as oracles in tests."""

import math


def gather_mean(table, col, idx, out):
    first_nan = -1
    for i, a in enumerate(idx):
        if not 0 <= a < len(table):
            return i, first_nan
        v = float(table[a][col])
        if first_nan < 0 and math.isnan(v):
            first_nan = i
        out[i] = v
    return -1, first_nan


def gather_seeded(table, col, idx, uniforms, out):
    first_nan = -1
    for i, a in enumerate(idx):
        if not 0 <= a < len(table):
            return i, first_nan
        present = [float(table[a][s][col]) for s in range(len(table[a])) if not math.isnan(table[a][s][col])]
        if not present:
            out[i] = math.nan
            if first_nan < 0:
                first_nan = i
            continue
        out[i] = present[min(int(uniforms[i] * len(present)), len(present) - 1)]
    return -1, first_nan
