"""Class 7 of issue 13: inputs that used to be accepted silently are refused (or answered as asked).

bytes as archs, non-ASCII digits, 2-D index arrays, odd fidelity types on a warm cache, a one-seed
"confidence interval", and a constraint that lets the test metric steer the search.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nasbench
from nasbench.errors import InvalidArchError, NasbenchError, UnknownNameError
from nasbench.spaces.nb201 import N_ARCHS, archs_to_indices
from tests.hardening.conftest import BENCH, run_main, small_config


@pytest.fixture(scope="module")
def bench():
    return nasbench.load(BENCH)


@pytest.mark.parametrize("archs", [b"6111", bytearray(b"61"), memoryview(b"1"), {1, 2}, frozenset({3}), {1: 2}])
def test_unordered_or_byte_containers_are_refused(bench, archs):
    with pytest.raises(InvalidArchError, match="archs must be an NB201 index, an arch string"):
        bench.query(archs, "test_acc")


@pytest.mark.parametrize("shape", [(2, 3), (1, 1), (3, 1, 1)])
def test_two_dimensional_index_arrays_are_refused(bench, shape):
    with pytest.raises(InvalidArchError, match=r"1-D array of them; got shape"):
        bench.query(np.zeros(shape, dtype=np.int64), "test_acc")


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=6))
def test_only_ascii_digits_read_as_an_index(text):
    """Property: a string is an index exactly when it is ASCII digits (optional sign); nothing else is."""
    stripped = text.strip()
    body = stripped[1:] if stripped[:1] in "+-" else stripped
    try:
        (index,), _ = archs_to_indices([text])
    except InvalidArchError:
        assert not (body.isascii() and body.isdigit() and 0 <= int(stripped) < N_ARCHS)
    else:
        assert body.isascii() and body.isdigit() and index == int(stripped)


@pytest.mark.parametrize("text", ["٣", "²", "３", "1٣", "\u0663\u0660"])
def test_non_ascii_digits_are_not_archs(bench, text):
    with pytest.raises(InvalidArchError, match="non-ASCII"):
        bench.query([text], "test_acc")


@pytest.mark.parametrize("fidelity", [True, np.bool_(True), 200 + 0j, complex(12, 0), "200", [200], b"12"])
def test_odd_fidelity_types_are_refused_even_with_a_warm_cache(bench, fidelity):
    for f in bench.fidelities("test_acc"):
        bench.query(1, "test_acc", fidelity=f)  # warm every (metric, fidelity) entry
        bench.query([1, 2], "test_acc", fidelity=f)
    with pytest.raises(UnknownNameError, match="fidelity must be a number|fidelity=|metric must be a str"):
        bench.query(1, "test_acc", fidelity=fidelity)
    with pytest.raises(UnknownNameError):
        bench.query([1, 2], "test_acc", fidelity=fidelity)


def test_numpy_numbers_are_fidelities(bench):
    f = max(bench.fidelities("test_acc"))
    expected = bench.query(5, "test_acc", fidelity=f)
    for same in (np.int64(f), np.float64(f), float(f), np.float32(f)):
        assert bench.query(5, "test_acc", fidelity=same) == expected


def test_one_seed_gives_no_zero_width_interval(capsys):
    with pytest.raises(NasbenchError, match=r"n_seeds \(--seeds\) must be an int >= 2"):
        small_config(n_seeds=1)
    status, _, err = run_main(["compare", BENCH, "--seeds", "1", "--budget", "5"], capsys)
    assert status == 2 and "2 seeds or more" in err


@pytest.mark.parametrize("constraint", ["test_acc > 94", "test_acc >= 1", "test_loss < 3"])
def test_a_constraint_on_the_test_metric_is_refused(constraint, capsys):
    with pytest.raises(NasbenchError, match="test-set leakage"):
        small_config(constraint=constraint)
    status, _, err = run_main(["compare", BENCH, "--constraint", constraint, "--seeds", "2", "--budget", "5"],
                              capsys)
    assert status == 2 and "test-set leakage" in err


def test_a_constraint_on_the_chosen_report_metric_is_refused():
    with pytest.raises(NasbenchError, match="the report metric"):
        small_config(constraint="valid_acc > 50", objective={"report_metric": "valid_acc"})


def test_a_constraint_on_a_cost_metric_is_accepted():
    config = small_config(constraint="params_m < 1")
    assert config.constraint == "params_m < 1"


@pytest.mark.parametrize("value, dtype", [(2**63, np.uint64), (2**64 - 1, np.uint64), (15625, np.uint16)])
def test_unsigned_indices_are_reported_as_given(bench, value, dtype):
    """A uint64 index above int64's range is refused with the value given, not the wrapped negative one."""
    with pytest.raises(InvalidArchError, match=rf"must be an int in \[0, 15624\]; got {value} \(dtype {np.dtype(dtype)}\)"):
        bench.query(np.array([0, value], dtype=dtype), "test_acc")
    assert bench.query(np.array([6111], dtype=np.uint64), "test_acc")[0] == bench.query(6111, "test_acc")
