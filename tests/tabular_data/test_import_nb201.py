"""Every value the API returns for NB201 equals the number in the public source file, for every arch."""

import csv
import json
import shutil

import numpy as np
import pytest

import nasbench
from nasbench.errors import DataIntegrityError, MissingDataError
from nasbench.spaces.nb201 import NB201Arch
from tabular_data.importers.nb201 import import_nb201

ALL = np.arange(15625)
DATASETS = ("cifar10", "cifar100", "imagenet16-120")


def _csv(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _column(rows, key, index_key=None):
    out = np.full(15625, np.nan)
    for i, r in enumerate(rows):
        out[int(r[index_key]) if index_key else i] = float(r[key])
    return out


@pytest.fixture(scope="module")
def benches(nb201_data_root):
    return {ds: nasbench.load(f"nb201/{ds}") for ds in DATASETS}


def _assert_all_equal(bench, metric, fidelity, expected):
    got = bench.query(ALL, metric, fidelity, missing="nan")
    np.testing.assert_array_equal(got, expected)  # exact, NaN where the source has no value


def test_200_epoch_test_accuracy_equals_nats_csv(benches, shared_data):
    rows = _csv(shared_data / "nb201_nats_bench_landscape/nats_bench.csv")
    for ds, col in zip(DATASETS, ("CIFAR10TestAccuracy200Epochs", "CIFAR100TestAccuracy200Epochs",
                                  "ImageNetTestAccuracy200Epochs")):
        _assert_all_equal(benches[ds], "test_acc", 200, _column(rows, col))


def test_cifar10_valid_run_metrics_equal_naswot_file(benches, shared_data):
    rows = _csv(shared_data / "nb201_naswot_bayeswatch/arch_score_acc.csv")
    bench = benches["cifar10"]
    _assert_all_equal(bench, "valid_acc", 200, _column(rows, "valid_top1", "arch"))
    _assert_all_equal(bench, "valid_run_test_acc", 200, _column(rows, "valid_test_top1", "arch"))
    _assert_all_equal(bench, "params_m", None, _column(rows, "params", "arch"))


def test_12_epoch_schedule_equals_minibench(benches, shared_data):
    rows = _csv(shared_data / "nb201_mini_nasbench201/minibench_12epoch.csv")
    for ds, prefix in zip(DATASETS, ("cifar10", "cifar100", "imagenet")):
        _assert_all_equal(benches[ds], "test_acc", 12, _column(rows, f"{prefix}-test", "arch"))
        _assert_all_equal(benches[ds], "valid_acc", 12, _column(rows, f"{prefix}-val", "arch"))


def test_one_seed_metrics_equal_extractor_json(benches, shared_data):
    data = json.loads((shared_data / "nb201_nats_extractor_1000/topology_ss_architectures.json").read_text())
    fields = {"train_loss": 0, "train_acc": 1, "train_time_s": 2, "test_acc": 4, "test_time_s": 5}
    for ds, key in zip(DATASETS, ("cifar10", "cifar100", "ImageNet16-120")):
        for hp in (12, 200):
            expected = {f: np.full(15625, np.nan) for f in fields}
            for arch_str, entry in data.items():
                i = NB201Arch.from_string(arch_str).index
                for f, pos in fields.items():
                    expected[f][i] = entry[key][str(hp)][pos]
            covered = ~np.isnan(expected["train_time_s"])
            assert covered.sum() == 1000
            for f in fields:
                # per-seed queries return the one seed the source has, whatever the sampling seed
                got = benches[ds].query(ALL, f, hp, seed=np.random.default_rng(5), missing="nan")
                np.testing.assert_array_equal(got, expected[f])
                if f != "test_acc":  # test_acc's mean comes from the seed-mean tables instead
                    _assert_all_equal(benches[ds], f, hp, expected[f])


def test_learning_curves_equal_mintal_csv(benches, shared_data):
    rows = _csv(shared_data / "nb201_lc_sample_mintal/_clean_all_merged.csv")
    bench = benches["cifar10"]
    assert bench.fidelities("lc_valid_acc") == tuple(range(1, 201))
    for metric, col in (("lc_valid_acc", "val_accs"), ("lc_train_acc", "train_accs")):
        expected = np.full((15625, 200), np.nan)
        for r in rows:
            expected[int(r["arch_i"])] = json.loads(r[col])
        for epoch in (1, 2, 50, 137, 200):
            _assert_all_equal(bench, metric, epoch, expected[:, epoch - 1])
        np.testing.assert_array_equal(bench.table.array(metric), expected)


def test_reference_bests(benches):
    assert benches["cifar10"].best("test_acc", 200) == (6111, pytest.approx(94.373, abs=5e-4))
    assert benches["cifar100"].best("test_acc", 200) == (9930, pytest.approx(73.513, abs=5e-4))
    assert benches["imagenet16-120"].best("test_acc", 200) == (857, pytest.approx(47.311, abs=5e-4))
    means = [np.mean(benches[ds].column("test_acc", 200)) for ds in DATASETS]
    np.testing.assert_allclose(means, [87.06, 61.41, 33.59], atol=0.01)


def test_manifest_records_sources_and_coverage(benches, shared_data):
    manifest = benches["cifar10"].describe()
    assert set(manifest["sources"]) == {"nats_bench", "naswot", "minibench", "extractor", "curves"}
    src = manifest["sources"]["nats_bench"]
    assert src["file"] == "nb201_nats_bench_landscape/nats_bench.csv" and len(src["sha256"]) == 64
    coverage = {c["fidelity"]: c for c in benches["cifar10"].metrics["train_time_s"].coverage}
    assert coverage[200]["n_archs_mean"] == 1000
    # a schedule no source covers is left out rather than stored as all-NaN
    assert benches["cifar100"].fidelities("valid_acc") == (12,)


def test_partial_source_folder_imports_what_it_has(tmp_path, shared_data):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(shared_data / "nb201_nats_bench_landscape/nats_bench.csv", src)
    lines = []
    import_nb201(src, tmp_path / "store", log=lines.append)
    assert any("not found" in line and "topology_ss_architectures.json" in line for line in lines)
    from tabular_data.store import Table

    table = Table(tmp_path / "store/nb201/cifar10")
    assert set(table.metrics) == {"test_acc"} and table.metric("test_acc").fidelities == (200,)


def test_missing_or_empty_source_folder(tmp_path):
    with pytest.raises(MissingDataError, match="is not a folder"):
        import_nb201(tmp_path / "nope", tmp_path / "store")
    with pytest.raises(MissingDataError, match="no NB201 source file under .*expected any of nats_bench.csv"):
        import_nb201(tmp_path, tmp_path / "store")


def test_source_with_wrong_arch_order_is_refused(tmp_path, shared_data):
    rows = (shared_data / "nb201_nats_bench_landscape/nats_bench.csv").read_text().splitlines()
    rows[1], rows[2] = rows[2], rows[1]
    (tmp_path / "nats_bench.csv").write_text("\n".join(rows) + "\n")
    with pytest.raises(DataIntegrityError, match="row for NB201 index 0 has arch string"):
        import_nb201(tmp_path, tmp_path / "store")


def test_truncated_or_broken_sources_are_refused(tmp_path, shared_data):
    rows = (shared_data / "nb201_nats_bench_landscape/nats_bench.csv").read_text().splitlines()
    (tmp_path / "nats_bench.csv").write_text("\n".join(rows[:100]) + "\n")
    with pytest.raises(DataIntegrityError, match="expected 15625 rows"):
        import_nb201(tmp_path, tmp_path / "store")
    (tmp_path / "nats_bench.csv").unlink()
    (tmp_path / "topology_ss_architectures.json").write_text("{broken")
    with pytest.raises(DataIntegrityError, match="not valid JSON"):
        import_nb201(tmp_path, tmp_path / "store")


def test_non_numeric_value_is_refused(tmp_path, shared_data):
    rows = (shared_data / "nb201_nats_bench_landscape/nats_bench.csv").read_text().splitlines()
    rows[1] = "oops" + rows[1][rows[1].index(","):]
    (tmp_path / "nats_bench.csv").write_text("\n".join(rows) + "\n")
    with pytest.raises(DataIntegrityError, match="CIFAR10TestAccuracy200Epochs' of row 0 is 'oops'"):
        import_nb201(tmp_path, tmp_path / "store")


def test_extractor_entry_with_wrong_field_count_is_refused(tmp_path):
    arch = NB201Arch.from_index(3).string
    (tmp_path / "topology_ss_architectures.json").write_text(json.dumps({arch: {"cifar10": {"12": [1, 2, 3]}}}))
    with pytest.raises(DataIntegrityError, match="has 3 fields, expected 6"):
        import_nb201(tmp_path, tmp_path / "store")


def test_curve_of_wrong_length_is_refused(tmp_path):
    arch = NB201Arch.from_index(0).string
    with open(tmp_path / "_clean_all_merged.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["arch_i", "arch_str", "train_accs", "val_accs"])
        writer.writerow([0, arch, json.dumps([1.0] * 199), json.dumps([1.0] * 199)])
    with pytest.raises(DataIntegrityError, match="has 199 epochs, expected 200"):
        import_nb201(tmp_path, tmp_path / "store")
