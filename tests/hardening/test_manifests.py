"""Class 3 of issue 13: a table's manifest cannot lie.

The manifest is sealed by ``manifest.sha256``: any edit is refused on load and by ``nasbench data
verify``. Even a re-sealed (deliberately forged) manifest is checked for consistency: every array's
recorded shape must follow from ``n_archs``, the fidelities and the seeds, and every array must have
that shape and dtype on disk, so a lookup never reads another fidelity's column, another row, or
outside an array (the issue's ``6.2e+47``).
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nasbench.errors import DataIntegrityError, NasbenchError
from nasbench.spaces import NB201Space
from tabular_data.store import MANIFEST_SHA256, MetricData, Table, sha256_file, write_manifest, write_table
from tests.hardening.conftest import run_main

N = 6
RNG = np.random.default_rng(0)
MEAN = RNG.random((N, 2)) * 100
SEEDS = RNG.random((N, 3, 2)) * 100


def _write(path):
    metrics = {"acc": MetricData(mean=MEAN, seeds=SEEDS, fidelities=(1, 5), unit="%", description="accuracy"),
               "size_m": MetricData(mean=np.arange(N, dtype=float)[:, None], fidelities=(None,), unit="M",
                                    description="size")}
    write_table(path, name="nb201/toy", space="nb201", dataset="toy", n_archs=N, metrics=metrics, sources={},
                info={})
    return json.loads((path / "manifest.json").read_text())


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 10**6) | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8)
FIELDS = [("n_archs",), ("metrics", "acc", "fidelities"), ("metrics", "acc", "n_seeds"),
          ("metrics", "acc", "coverage"), ("metrics", "acc", "files", "mean", "shape"),
          ("metrics", "acc", "files", "seeds", "shape"), ("metrics", "acc", "files", "mean", "file"),
          ("metrics", "acc", "files", "seeds"), ("metrics", "size_m", "fidelities"), ("metrics", "acc"),
          ("metrics",), ("name",)]
likely = st.sampled_from([[1, 5, 9], [5, 1], [1], [None], [7, 7], [N, 2], [N + 1, 2], [N, 3], [N, 3, 3],
                          "../size_m.mean.npy", "size_m.mean.npy", 0, 2, 4, N - 1, N + 1, -1, 10**12, True])


def _edit(manifest, field, value):
    edited = copy.deepcopy(manifest)
    node = edited
    for key in field[:-1]:
        node = node[key]
    if value is _DELETE:
        node.pop(field[-1], None)
    else:
        node[field[-1]] = value
    return edited


_DELETE = object()
edits = st.tuples(st.sampled_from(FIELDS), st.one_of(likely, json_values, st.just(_DELETE)))


def _served_values_are_stored_values(table):
    """Every value a lookup serves is one of the values stored in that arch's row (no other row, no
    memory past an array); a lookup that cannot be served raises a NasbenchError."""
    from nasbench.benchmarks.tabular import TabularBenchmark

    bench = TabularBenchmark(table, NB201Space())
    rows = np.concatenate([MEAN, SEEDS.reshape(N, -1), np.arange(N, dtype=float)[:, None]], axis=1)
    for metric, info in table.metrics.items():
        for f in info.fidelities:
            for seed in (None, 0):
                try:
                    got = np.atleast_1d(bench.query(np.arange(table.n_archs), metric, f, seed=seed, missing="nan"))
                except NasbenchError:
                    continue
                for i, v in enumerate(got):
                    assert v in rows[i], (metric, f, i, v)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edit=edits)
def test_an_edited_manifest_is_refused_and_a_forged_one_cannot_mislead(tmp_path_factory, edit):
    folder = tmp_path_factory.mktemp("t") / "t"
    manifest = _write(folder)
    edited = _edit(manifest, *edit)
    if edited == manifest:
        return
    (folder / "manifest.json").write_text(json.dumps(edited, indent=1, sort_keys=True))
    with pytest.raises(DataIntegrityError, match="was modified|not valid JSON") as info:
        Table(folder)
    assert "\n" not in str(info.value)
    write_manifest(folder, edited)  # forged: re-sealed by hand
    try:
        table = Table(folder)
    except DataIntegrityError as exc:
        assert "\n" not in str(exc) and "must be" in str(exc)
        return
    # what survives every structural check is at most a relabelling that only the checksum reveals;
    # the arrays themselves are never read past or across rows
    _served_values_are_stored_values(table)


def test_an_extended_fidelity_list_no_longer_reads_past_the_array(tmp_path):
    manifest = _write(tmp_path / "t")
    manifest["metrics"]["acc"]["fidelities"] = [1, 5, 9]
    write_manifest(tmp_path / "t", manifest)
    with pytest.raises(DataIntegrityError, match=r"metrics.acc.coverage must be one \{fidelity"):
        Table(tmp_path / "t")
    manifest["metrics"]["acc"]["coverage"].append({"fidelity": 9, "n_archs_mean": N, "n_archs_seeds": N})
    write_manifest(tmp_path / "t", manifest)
    with pytest.raises(DataIntegrityError, match=r"metrics.acc.files.mean.shape must be \[6, 3\]"):
        Table(tmp_path / "t")
    for kind, shape in (("mean", [N, 3]), ("seeds", [N, 3, 3])):
        manifest["metrics"]["acc"]["files"][kind]["shape"] = shape
    write_manifest(tmp_path / "t", manifest)
    with pytest.raises(DataIntegrityError, match=r"acc.mean.npy has shape \(6, 2\) and dtype float64, expected \(6, 3\)"):
        Table(tmp_path / "t").array("acc")


def test_a_truncated_array_with_a_forged_checksum_is_refused(tmp_path):
    manifest = _write(tmp_path / "t")
    path = tmp_path / "t" / "acc.mean.npy"
    path.write_bytes(path.read_bytes()[:-8])
    manifest["metrics"]["acc"]["files"]["mean"]["sha256"] = sha256_file(path)
    write_manifest(tmp_path / "t", manifest)
    with pytest.raises(DataIntegrityError, match="holds 88 data bytes, expected 96 for shape"):
        Table(tmp_path / "t").array("acc")


@pytest.mark.parametrize("key", ["name", "n_archs", "metrics", "space"])
def test_missing_keys_are_named(tmp_path, key):
    manifest = _write(tmp_path / "t")
    del manifest[key]
    write_manifest(tmp_path / "t", manifest)
    with pytest.raises(DataIntegrityError, match=f"{key} must be .*got nothing \\(missing key\\)"):
        Table(tmp_path / "t")


def test_a_missing_or_malformed_checksum_file_is_refused(tmp_path):
    _write(tmp_path / "t")
    (tmp_path / "t" / MANIFEST_SHA256).write_text("nonsense\n")
    with pytest.raises(DataIntegrityError, match="manifest.sha256 must hold the sha256 of manifest.json"):
        Table(tmp_path / "t", repair_hint="import it again")
    (tmp_path / "t" / MANIFEST_SHA256).unlink()
    with pytest.raises(DataIntegrityError, match="has no manifest.sha256 .*; import it again"):
        Table(tmp_path / "t", repair_hint="import it again")


def test_a_replaced_table_is_reported_as_replaced_not_corrupt(tmp_path):
    _write(tmp_path / "t")
    table = Table(tmp_path / "t")
    write_table(tmp_path / "t", name="nb201/toy", space="nb201", dataset="toy", n_archs=N, sources={}, info={},
                metrics={"acc": MetricData(mean=MEAN + 1, fidelities=(1, 5), unit="%", description="x")})
    with pytest.raises(DataIntegrityError, match="was replaced while it was open .*load it again"):
        table.array("acc")


def test_data_verify_catches_an_edited_manifest(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NASBENCH_DATA", str(tmp_path))
    manifest = _write(tmp_path / "nb201" / "toy")
    status, out, _ = run_main(["data", "verify", "nb201/toy"], capsys)
    assert status == 0 and "4 files match their sha256" in out
    manifest["metrics"]["acc"]["unit"] = "M"
    (tmp_path / "nb201" / "toy" / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
    status, out, err = run_main(["data", "verify", "nb201/toy"], capsys)
    assert status == 2 and out == "" and err.count("\n") == 1 and "manifest.json was modified" in err


def test_the_shipped_table_verifies(capsys):
    status, out, err = run_main(["data", "verify", "nb201/digits"], capsys)
    # 14 files of the trained table, 26 of its zero-cost proxies (13 scores and their compute times)
    assert status == 0 and "nb201/digits: 40 files match their sha256" in out, err
