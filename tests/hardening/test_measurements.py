"""Class 10 of issue 13: measurements get sanity checks before they are adapted to or stored.

Latencies must be finite, positive and plausible milliseconds; an arch measured twice must carry one
value (a copy agrees and counts once; conflicting values are refused, not averaged or resolved by
position). ``nasbench latency adapt`` stores nothing when a check fails and says why in one line.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nasbench.errors import InvalidArchError
from surrogates.latency import CrossDeviceLatencyModel
from surrogates.latency.checks import LATENCY_RANGE_MS, check_latency_column, merge_duplicates
from tests.hardening.conftest import run_main

LOW, HIGH = LATENCY_RANGE_MS
plausible = st.floats(min_value=LOW, max_value=HIGH)
implausible = st.one_of(st.sampled_from([0.0, -1.0, 1e308, float("inf"), float("-inf"), HIGH * 1.01, LOW / 2]),
                        st.floats(max_value=0.0), st.floats(min_value=HIGH * 1.0001, allow_infinity=True))


@given(values=st.lists(plausible, min_size=1, max_size=20), bad=implausible, pos=st.integers(0, 19))
def test_one_implausible_latency_is_refused(values, bad, pos):
    check_latency_column(values, allow_nan=False)
    values[pos % len(values)] = bad
    with pytest.raises(InvalidArchError, match=r"must be positive, finite milliseconds in .*Check the unit"):
        check_latency_column(values, allow_nan=False)


def test_nan_means_not_measured_only_where_allowed():
    check_latency_column([1.0, np.nan], allow_nan=True)
    with pytest.raises(InvalidArchError, match="got nan at position 1"):
        check_latency_column([1.0, np.nan], allow_nan=False)


measurements = st.lists(st.tuples(st.integers(0, 30), plausible), min_size=1, max_size=40)


@given(rows=measurements)
def test_duplicates_agree_and_count_once_or_are_refused(rows):
    archs = np.array([a for a, _ in rows])
    y = np.array([v for _, v in rows])
    first = {}
    for a, v in rows:
        first.setdefault(a, v)
    conflicting = any(not np.isclose(v, first[a], rtol=1e-6, atol=0) for a, v in rows)
    if conflicting:
        with pytest.raises(InvalidArchError, match=r"appears \d+ times with conflicting latencies .*Give each arch once"):
            merge_duplicates(archs, y)
        return
    got_archs, got_y = merge_duplicates(archs, y)
    assert got_archs.tolist() == list(first) and got_y.tolist() == list(first.values())


@settings(max_examples=30, deadline=None)
@given(rows=measurements, repeat=st.integers(0, 3))
def test_adapting_with_copied_rows_equals_adapting_once(rows, repeat):
    rng = np.random.default_rng(0)
    known = rng.uniform(1, 2, size=(31, 1)) * np.array([[1.0, 2.0, 3.0]])
    distinct = {}
    for a, v in rows:
        distinct.setdefault(a, v)
    if len(distinct) < 3:
        return
    archs, y = np.array(list(distinct)), np.array(list(distinct.values()))
    once = CrossDeviceLatencyModel(rank=1).fit(known).adapt(archs, y)
    copies = np.concatenate([archs] + [archs[: repeat]] * repeat), np.concatenate([y] + [y[: repeat]] * repeat)
    twice = CrossDeviceLatencyModel(rank=1).fit(known).adapt(*copies)
    np.testing.assert_array_equal(once.predict(np.arange(31)), twice.predict(np.arange(31)))
    conflicting = copies[1].copy()
    conflicting[-1] = conflicting[-1] / 2 if conflicting[-1] > 2 * LOW else conflicting[-1] * 2  # still plausible
    if repeat:
        with pytest.raises(InvalidArchError, match="conflicting latencies"):
            CrossDeviceLatencyModel(rank=1).fit(known).adapt(copies[0], conflicting)


@pytest.fixture(scope="module")
def latency_store(tmp_path_factory):
    from tabular_data.importers.help_latency import import_help_latency
    from tests.conftest import require_shared

    help_dir = require_shared("nb201_help_latency/help_nb201_latency_ms.csv") / "nb201_help_latency"
    root = tmp_path_factory.mktemp("latency_store")
    import_help_latency(help_dir, root, log=lambda line: None)
    return root


def _csv(path, rows):
    path.write_text("arch,latency_ms\n" + "".join(f"{a},{v}\n" for a, v in rows))
    return str(path)


GOOD = [(6111, 12.5), (0, 9.25), (100, 11.0), (2000, 13.5), (15624, 10.0)]


@pytest.mark.parametrize("rows, match", [
    (GOOD + [(6111, 14.0)], r"arch 6111 appears 2 times with conflicting latencies \[12.5, 14.0\] ms"),
    (GOOD + [(7, 1e308)], r"latency_ms values must be positive, finite milliseconds .*got 1e\+308 at position 5"),
    (GOOD + [(7, "inf")], "got inf at position 5"),
    (GOOD + [(7, "nan")], "got nan at position 5"),
    (GOOD + [(7, 0)], "got 0.0 at position 5"),
    (GOOD + [(7, -3)], "got -3.0 at position 5"),
    (GOOD[:2] + [(6111, 12.5), (6111, 12.5)], r"needs at least 3 distinct (measured )?archs; got 2"),
])
def test_latency_adapt_refuses_and_stores_nothing(latency_store, tmp_path, capsys, monkeypatch, rows, match):
    monkeypatch.setenv("NASBENCH_DATA", str(latency_store))
    argv = ["latency", "adapt", "--measurements", _csv(tmp_path / "m.csv", rows), "--rank", "2",
            "--save-as", "mydev"]
    status, out, err = run_main(argv, capsys)
    assert status == 2 and err.count("\n") == 1, err
    assert __import__("re").search(match, err), err
    from nasbench.benchmarks.latency import LatencyTables

    assert "mydev" not in LatencyTables("nb201", latency_store).devices


def test_latency_adapt_accepts_an_agreeing_copy_and_a_short_row_is_refused(latency_store, tmp_path, capsys,
                                                                          monkeypatch):
    monkeypatch.setenv("NASBENCH_DATA", str(latency_store))
    path = _csv(tmp_path / "m.csv", GOOD + [(6111, 12.5)])
    status, out, err = run_main(["latency", "adapt", "--measurements", path, "--rank", "2", "--json"], capsys)
    assert status == 0, err
    assert __import__("json").loads(out)["n_measured"] == len(GOOD)  # the copy counted once
    (tmp_path / "short.csv").write_text("arch,latency_ms\n6111,12.5\n0\n")
    status, _, err = run_main(["latency", "adapt", "--measurements", str(tmp_path / "short.csv")], capsys)
    assert status == 2 and "line 3 has fewer fields than the header" in err


def test_latency_adapt_refuses_files_that_are_not_a_csv(latency_store, tmp_path, capsys, monkeypatch):
    """A device, pipe, folder or non-UTF-8 file as --measurements is one line (/dev/zero used to be read forever)."""
    monkeypatch.setenv("NASBENCH_DATA", str(latency_store))
    os = __import__("os")
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "latin1.csv").write_bytes("arch,latency_ms\n1,2\xe9\n".encode("latin-1"))
    for path, match in (("/dev/zero", "expected a CSV file below 64 MiB; got a folder, device or pipe"),
                        (tmp_path / "pipe", "got a folder, device or pipe"), (tmp_path, "got a folder, device or pipe"),
                        (tmp_path / "latin1.csv", "expected a UTF-8 CSV file; cannot read it")):
        status, _, err = run_main(["latency", "adapt", "--measurements", str(path), "--save-as", "mydev"], capsys)
        assert status == 2 and err.count("\n") == 1 and match in err, err


def test_save_device_refuses_implausible_columns(tmp_path):
    from nasbench.benchmarks.latency import save_device

    values = np.full(15625, np.nan)
    values[:3] = [1.0, 2.0, 1e308]
    with pytest.raises(InvalidArchError, match="latencies of device 'x' must be positive, finite milliseconds"):
        save_device("x", values, root=tmp_path)
    values[2] = np.inf
    with pytest.raises(InvalidArchError, match="got inf at position 2"):
        save_device("x", values, root=tmp_path)
    assert not (tmp_path / "latency" / "nb201" / "measured").exists()
