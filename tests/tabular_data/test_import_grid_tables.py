"""Importers of TransNAS-Bench-101 micro and NAS-Bench-Macro: every served value equals its source
file, for every arch, metric and seed (read here independently of the importers)."""

from __future__ import annotations

import ast
import json
import zipfile

import numpy as np
import pytest

from nasbench.errors import DataIntegrityError, MissingDataError
from tests.conftest import data_root_env, require_shared

TNB = "transnas101_micro_naslib_zen/all_benchmarks_zen.zip"
MACRO = "nas_bench_macro/nas-bench-macro_cifar10.json"
TASK_METRIC = {"autoencoder": "valid_ssim", "class_object": "valid_acc", "class_scene": "valid_acc",
               "jigsaw": "valid_acc", "normal": "valid_ssim", "room_layout": "valid_neg_l2_loss",
               "segmentsemantic": "valid_pixel_acc"}


@pytest.fixture(scope="module")
def grid_root(tmp_path_factory):
    from tabular_data.importers.nas_bench_macro import import_nas_bench_macro
    from tabular_data.importers.transnas_micro import import_transnas_micro

    shared = require_shared(TNB, MACRO)
    root = tmp_path_factory.mktemp("grid_data")
    import_transnas_micro(shared, root, log=lambda line: None)
    import_nas_bench_macro(shared, root, log=lambda line: None)
    return root


def _load(root, name):
    import nasbench

    with data_root_env(root):
        return nasbench.load(name)


def test_tnb_every_value_equals_the_zip(grid_root):
    from nasbench.spaces.transnas_micro import TNBMicroArch

    records = {}
    with zipfile.ZipFile(require_shared(TNB) / TNB) as zf:
        for name in zf.namelist():
            if name.endswith(".json"):
                task = name.split("--")[2]
                records.setdefault(task, []).extend(json.loads(zf.read(name)))
    assert sorted(records) == sorted(TASK_METRIC)
    for task, recs in records.items():
        bench = _load(grid_root, f"transnas-micro/{task}")
        assert len(recs) == bench.n_archs == 4096
        archs = [TNBMicroArch.from_naslib(ast.literal_eval(r["arch"])) for r in recs]
        strings = ["64-41414-{}_{}{}_{}{}{}".format(*ast.literal_eval(r["arch"])) for r in recs]
        m = TASK_METRIC[task]
        assert bench.query(strings, m).tolist() == [float(r["val_accuracy"]) for r in recs]
        assert bench.query(archs, "zc_zen_time_s").tolist() == [float(r["zen"]["time"]) for r in recs]
        zen = bench.query(archs, "zc_zen", missing="nan")
        source = np.array([r["zen"]["score"] for r in recs], dtype=np.float64)
        undefined = source == -1e8
        assert np.isnan(zen).tolist() == undefined.tolist() and undefined.sum() == 169
        assert zen[~undefined].tolist() == source[~undefined].tolist()
        assert bench.higher_is_better(m) and bench.higher_is_better("zc_zen")
        assert not bench.higher_is_better("zc_zen_time_s")
        assert bench.noise(m)["n_outcomes"] == 1


def test_macro_every_value_and_seed_equals_the_json(grid_root):
    doc = json.loads((require_shared(MACRO) / MACRO).read_text())
    bench = _load(grid_root, "macro/cifar10")
    keys = list(doc)
    assert bench.query(keys, "test_acc").tolist() == [doc[k]["mean_acc"] for k in keys]
    assert bench.query(keys, "params_m").tolist() == [doc[k]["params"] / 1e6 for k in keys]
    assert bench.query(keys, "flops_m").tolist() == [doc[k]["flops"] / 1e6 for k in keys]
    seeds = bench.column_draws("test_acc")
    idx, _ = bench.space.to_indices(keys)
    assert seeds[idx].tolist() == [[float(v) for v in doc[k]["test_acc"]] for k in keys]
    # a uniform in [j/3, (j+1)/3) draws seed j of the file, for every arch
    for j in range(3):
        drawn = bench.query_draws(keys, "test_acc", None, np.full(len(keys), (j + 0.5) / 3))
        assert drawn.tolist() == [float(doc[k]["test_acc"][j]) for k in keys]
    assert bench.noise("test_acc") == {**bench.noise("test_acc"), "source": "training seeds", "n_outcomes": 3}
    assert not bench.higher_is_better("params_m") and bench.higher_is_better("test_acc")


def test_macro_seeded_queries_are_reproducible(grid_root):
    bench = _load(grid_root, "macro/cifar10")
    a = bench.query(np.arange(100), "test_acc", seed=3)
    np.testing.assert_array_equal(a, bench.query(np.arange(100), "test_acc", seed=3))
    rows = bench.column_draws("test_acc")[:100]
    assert all(v in r for v, r in zip(a.tolist(), rows.tolist()))


def test_manifest_records_direction(grid_root):
    bench = _load(grid_root, "transnas-micro/room_layout")
    entry = bench.describe()["metrics"]["valid_neg_l2_loss"]
    assert entry["higher_is_better"] is True and bench.metrics["valid_neg_l2_loss"].higher_is_better is True


def test_importers_refuse_missing_and_broken_files(tmp_path):
    from tabular_data.importers.nas_bench_macro import import_nas_bench_macro, read_macro_json
    from tabular_data.importers.transnas_micro import import_transnas_micro, read_zen_zip

    with pytest.raises(MissingDataError, match="all_benchmarks_zen.zip not found"):
        import_transnas_micro(tmp_path, tmp_path / "store", log=lambda line: None)
    with pytest.raises(MissingDataError, match="not a folder"):
        import_nas_bench_macro(tmp_path / "nope", tmp_path / "store", log=lambda line: None)
    with pytest.raises(MissingDataError, match="nas-bench-macro_cifar10.json not found"):
        import_nas_bench_macro(tmp_path, tmp_path / "store", log=lambda line: None)
    bad = tmp_path / "all_benchmarks_zen.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(DataIntegrityError, match="not a readable zip"):
        read_zen_zip(bad)
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("zen/benchmark--transbench101_micro--jigsaw--0.json",
                    json.dumps([{"idx": "0", "arch": "(0, 0, 0, 0, 0, 0)", "zen": {"score": 1, "time": 1},
                                 "val_accuracy": 1.0}]))
    with pytest.raises(DataIntegrityError, match="covers 0 of 4096"):
        read_zen_zip(bad)
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("zen/benchmark--transbench101_micro--jigsaw--0.json", json.dumps([{"arch": "(9, 0)"}]))
    with pytest.raises(DataIntegrityError, match="lacks arch, val_accuracy"):
        read_zen_zip(bad)
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("zen/benchmark--transbench101_micro--jigsaw--0.json", "{}")
    with pytest.raises(DataIntegrityError, match="must hold a list"):
        read_zen_zip(bad)
    macro = tmp_path / "nas-bench-macro_cifar10.json"
    macro.write_text("[1]")
    with pytest.raises(DataIntegrityError, match="expected a dict of 6561"):
        read_macro_json(macro)
    macro.write_text("{x")
    with pytest.raises(DataIntegrityError, match="not valid JSON"):
        read_macro_json(macro)
    doc = {f"{i:08d}": {} for i in range(6561)}
    macro.write_text(json.dumps(doc))
    with pytest.raises(DataIntegrityError, match="not in NAS-Bench-Macro's format"):
        read_macro_json(macro)


def test_cli_import_sources(tmp_path):
    from nasbench.cli import main

    shared = require_shared(MACRO)
    assert main(["data", "import", "nas-bench-macro", "--from", str(shared), "--to", str(tmp_path)]) == 0
    assert (tmp_path / "macro" / "cifar10" / "manifest.json").is_file()
