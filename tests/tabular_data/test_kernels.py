"""Each numba kernel against its plain-Python twin (and its own uncompiled Python body)."""

import numpy as np
import pytest

from tabular_data import _kernels, _reference


def _random_case(rng, n_archs=50, n_seeds=3, n_fid=2, n=400, bad_at=None):
    table3 = rng.normal(size=(n_archs, n_seeds, n_fid))
    table3[rng.random(table3.shape) < 0.3] = np.nan
    table3[:5] = np.nan  # archs with no seed at all
    table2 = table3[:, 0, :].copy()
    idx = rng.integers(0, n_archs, size=n).astype(np.int64)
    if bad_at is not None:
        idx[bad_at] = n_archs + 3
    return table2, table3, idx, rng.random(n)


@pytest.mark.parametrize("bad_at", [None, 0, 123])
@pytest.mark.parametrize("impl", ["jit", "py_func"])
def test_gather_mean_matches_reference(bad_at, impl):
    rng = np.random.default_rng(1)
    table, _, idx, _ = _random_case(rng, bad_at=bad_at)
    kernel = _kernels.gather_mean if impl == "jit" else _kernels.gather_mean.py_func
    for col in range(table.shape[1]):
        out, ref = np.full(len(idx), -7.0), np.full(len(idx), -7.0)
        got = kernel(table, col, idx, out)
        expected = _reference.gather_mean(table.tolist(), col, idx.tolist(), ref)
        assert tuple(got) == tuple(expected)
        stop = len(idx) if got[0] < 0 else got[0]
        np.testing.assert_array_equal(out[:stop], ref[:stop])
        if bad_at is None:
            np.testing.assert_array_equal(out, table[idx, col])


@pytest.mark.parametrize("bad_at", [None, 7])
@pytest.mark.parametrize("impl", ["jit", "py_func"])
def test_gather_seeded_matches_reference(bad_at, impl):
    rng = np.random.default_rng(2)
    _, table, idx, uniforms = _random_case(rng, bad_at=bad_at)
    uniforms[:3] = [0.0, 0.999999999, 1.0]  # the edges of [0, 1], including an out-of-range draw
    kernel = _kernels.gather_seeded if impl == "jit" else _kernels.gather_seeded.py_func
    for col in range(table.shape[2]):
        out, ref = np.full(len(idx), -7.0), np.full(len(idx), -7.0)
        got = kernel(table, col, idx, uniforms, out)
        expected = _reference.gather_seeded(table.tolist(), col, idx.tolist(), uniforms.tolist(), ref)
        assert tuple(got) == tuple(expected)
        stop = len(idx) if got[0] < 0 else got[0]
        np.testing.assert_array_equal(out[:stop], ref[:stop])


def test_gather_seeded_picks_only_present_seeds_uniformly():
    table = np.array([[[1.0], [np.nan], [3.0], [5.0]]])
    idx = np.zeros(30000, dtype=np.int64)
    out = np.empty(30000)
    _kernels.gather_seeded(table, 0, idx, np.random.default_rng(0).random(30000), out)
    values, counts = np.unique(out, return_counts=True)
    assert values.tolist() == [1.0, 3.0, 5.0]
    assert counts.min() > 9500
