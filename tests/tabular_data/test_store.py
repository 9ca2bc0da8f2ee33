import json

import numpy as np
import pytest

from nasbench.errors import DataIntegrityError, MissingDataError, UnknownNameError
from tabular_data.store import FORMAT_VERSION, MetricData, Table, sha256_file, write_manifest, write_table


def _write(path, n=6):
    rng = np.random.default_rng(0)
    mean = rng.random((n, 2))
    mean[1, 0] = np.nan
    seeds = rng.random((n, 3, 2))
    seeds[2, :, 1] = np.nan
    metrics = {
        "acc": MetricData(mean=mean, seeds=seeds, fidelities=(1, 5), unit="%", description="accuracy"),
        "size_m": MetricData(mean=np.arange(n, dtype=float)[:, None], fidelities=(None,), unit="M",
                             description="size"),
    }
    write_table(path, name="toy/set", space="nb201", dataset="set", n_archs=n, metrics=metrics,
                sources={"src": {"file": "x.csv", "sha256": "0" * 64}}, info={"about": "toy"})
    return mean, seeds


def test_round_trip_is_exact_and_counts_coverage(tmp_path):
    mean, seeds = _write(tmp_path / "t")
    table = Table(tmp_path / "t")
    np.testing.assert_array_equal(table.array("acc"), mean)
    np.testing.assert_array_equal(table.array("acc", "seeds"), seeds)
    assert table.array("size_m", "seeds") is None
    info = table.metric("acc")
    assert info.fidelities == (1, 5) and info.n_seeds == 3 and info.unit == "%"
    assert [c["n_archs_mean"] for c in info.coverage] == [5, 6]
    assert [c["n_archs_seeds"] for c in info.coverage] == [6, 5]
    assert table.metric("size_m").fidelities == (None,)
    assert sorted(table.verify()) == ["acc.mean.npy", "acc.seeds.npy", "manifest.json", "size_m.mean.npy"]
    assert not table.array("acc").flags.writeable


def test_rewrite_replaces_atomically(tmp_path):
    _write(tmp_path / "t", n=6)
    _write(tmp_path / "t", n=4)
    assert Table(tmp_path / "t").n_archs == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == [".t.lock", "t"]  # the writers' lock file stays


def test_corrupt_file_is_detected(tmp_path):
    _write(tmp_path / "t")
    path = tmp_path / "t" / "acc.mean.npy"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(DataIntegrityError, match="acc.mean.npy is corrupt .*re-create"):
        Table(tmp_path / "t").array("acc")


def test_missing_file_is_detected(tmp_path):
    _write(tmp_path / "t")
    (tmp_path / "t" / "acc.seeds.npy").unlink()
    with pytest.raises(DataIntegrityError, match="acc.seeds.npy is missing"):
        Table(tmp_path / "t", repair_hint="run X").array("acc", "seeds")


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda m: m.update(format="other"), "not a nasbench table manifest"),
        (lambda m: m.update(format_version=FORMAT_VERSION + 1), "upgrade nasbench"),
    ],
)
def test_foreign_or_newer_manifest_is_refused(tmp_path, edit, match):
    _write(tmp_path / "t")
    path = tmp_path / "t" / "manifest.json"
    manifest = json.loads(path.read_text())
    edit(manifest)
    path.write_text(json.dumps(manifest))
    with pytest.raises(DataIntegrityError, match=match):
        Table(tmp_path / "t")


def test_bad_manifest_and_missing_table(tmp_path):
    with pytest.raises(MissingDataError, match="no table manifest"):
        Table(tmp_path / "nothing", repair_hint="import it")
    _write(tmp_path / "t")
    (tmp_path / "t" / "manifest.json").write_text("{not json")
    with pytest.raises(DataIntegrityError, match="not valid JSON"):
        Table(tmp_path / "t")


def test_shape_mismatch_against_manifest(tmp_path):
    _write(tmp_path / "t")
    path = tmp_path / "t" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["metrics"]["acc"]["files"]["mean"]["shape"] = [7, 2]
    path.write_text(json.dumps(manifest))
    with pytest.raises(DataIntegrityError, match="manifest.json was modified: .*never edited by hand"):
        Table(tmp_path / "t")
    write_manifest(tmp_path / "t", manifest)  # re-sealed: the inconsistency itself is caught
    with pytest.raises(DataIntegrityError, match=r"metrics.acc.files.mean.shape must be \[6, 2\] .*got \[7, 2\]"):
        Table(tmp_path / "t")


def test_array_shape_or_dtype_unlike_its_manifest_entry(tmp_path):
    _write(tmp_path / "t")
    path = tmp_path / "t" / "manifest.json"
    manifest = json.loads(path.read_text())
    np.save(tmp_path / "t" / "acc.mean.npy", np.zeros((6, 3)))
    manifest["metrics"]["acc"]["files"]["mean"]["sha256"] = sha256_file(tmp_path / "t" / "acc.mean.npy")
    write_manifest(tmp_path / "t", manifest)
    with pytest.raises(DataIntegrityError, match=r"has shape \(6, 3\) and dtype float64, expected \(6, 2\) float64"):
        Table(tmp_path / "t").array("acc")
    np.save(tmp_path / "t" / "acc.mean.npy", np.zeros((6, 2), dtype=np.float32))
    manifest["metrics"]["acc"]["files"]["mean"]["sha256"] = sha256_file(tmp_path / "t" / "acc.mean.npy")
    write_manifest(tmp_path / "t", manifest)
    with pytest.raises(DataIntegrityError, match=r"dtype float32, expected \(6, 2\) float64"):
        Table(tmp_path / "t").array("acc")


def test_unknown_metric_lists_choices(tmp_path):
    _write(tmp_path / "t")
    with pytest.raises(UnknownNameError, match="no metric 'ac'; expected one of 'acc', 'size_m'"):
        Table(tmp_path / "t").metric("ac")


@pytest.mark.parametrize(
    "metrics, match",
    [
        ({"bad name": MetricData(np.zeros((2, 1)), (1,), "%", "x")}, "identifiers"),
        ({"m": MetricData(np.zeros((3, 1)), (1,), "%", "x")}, "mean must have shape"),
        ({"m": MetricData(np.zeros((2, 1)), (1,), "%", "x", seeds=np.zeros((2, 1)))}, "seeds must have shape"),
    ],
)
def test_writer_rejects_malformed_metrics_and_leaves_nothing(tmp_path, metrics, match):
    with pytest.raises(ValueError, match=match):
        write_table(tmp_path / "t", name="a/b", space="nb201", dataset="b", n_archs=2, metrics=metrics,
                    sources={}, info={})
    assert list(tmp_path.iterdir()) == []
