"""``darts/cifar10@yahpo``: import, load, query, cost, engines, errors (nasbench/benchmarks/yahpo.py,
tabular_data/importers/yahpo_nb301.py)."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest

from nasbench.errors import DataIntegrityError, MissingDataError, OptionalDependencyError, UnknownNameError
from tests.conftest import data_root_env, require_shared

FOLDER = "yahpo_nb301"


@pytest.fixture(scope="module")
def yahpo_root(tmp_path_factory):
    from tabular_data.importers.yahpo_nb301 import import_yahpo_nb301

    shared = require_shared(f"{FOLDER}/model_v2.onnx", f"{FOLDER}/encoding_v2.json", f"{FOLDER}/config_space_v2.json")
    root = tmp_path_factory.mktemp("yahpo_store")
    import_yahpo_nb301(shared, root, log=lambda line: None)
    return root


@pytest.fixture(scope="module")
def bench(yahpo_root):
    import nasbench

    with data_root_env(yahpo_root):
        return nasbench.load("darts/cifar10@yahpo")


def _archs(bench, n, seed=0):
    rng = np.random.default_rng(seed)
    return [bench.space.sample(rng) for _ in range(n)]


def test_import_copies_the_files_with_their_sha256(yahpo_root):
    from tabular_data.store import sha256_file

    folder = yahpo_root / "darts" / "cifar10@yahpo"
    manifest = json.loads((folder / "manifest.json").read_text())
    shared = require_shared() / FOLDER
    assert set(manifest["files"]) == {"model", "encoding", "config_space", "best_params", "readme", "license"}
    for entry in manifest["files"].values():
        assert (folder / entry["file"]).read_bytes() == (shared / entry["file"]).read_bytes()
        assert sha256_file(folder / entry["file"]) == entry["sha256"] == manifest["sources"][
            next(k for k, e in manifest["files"].items() if e is entry)]["sha256"]


def test_values_are_the_models_outputs(bench):
    """valid_acc = 100 x output 0, valid_loss = output 1, train_time_s = output 2, runtime_increase_s = output 3,
    each equal to a direct evaluation of the stored graph on YAHPO's codes."""
    from nasbench.encodings.darts_yahpo import arch_to_config

    archs = _archs(bench, 50)
    for epoch in (1, 17, 98):
        x_cat = np.stack([bench._codes.encode_config(arch_to_config(a)) for a in archs])
        raw = bench._runner.run({"x_cat": x_cat, "x_cont": np.full((50, 1), epoch, np.float32)})["output"]
        np.testing.assert_array_equal(bench.query(archs, "valid_acc", epoch), raw[:, 0].astype(np.float64) * 100)
        np.testing.assert_array_equal(bench.query(archs, "valid_loss", epoch), raw[:, 1].astype(np.float64))
        np.testing.assert_array_equal(bench.query(archs, "train_time_s", epoch), raw[:, 2].astype(np.float64))
        np.testing.assert_array_equal(bench.query(archs, "runtime_increase_s", epoch), raw[:, 3].astype(np.float64))
    acc = bench.query(archs, "valid_acc")  # default fidelity: epoch 98
    assert 80 < acc.min() and acc.max() < 100
    assert (bench.query(archs, "valid_acc", 98) > bench.query(archs, "valid_acc", 1) + 10).all()


def test_runtime_is_cumulative_and_costs_the_evaluated_epoch(bench):
    archs = _archs(bench, 40, seed=3)
    per_epoch = np.stack([bench.query(archs, "train_time_s", e) for e in (1, 10, 50, 98)], axis=1)
    assert (per_epoch[:, -1] > 10 * per_epoch[:, 0]).all()  # grows with the epochs trained (~50 s each)
    increase = np.median(bench.query(archs, "runtime_increase_s", 50))
    slope = np.median((per_epoch[:, 3] - per_epoch[:, 2]) / 48)
    assert 0.7 < increase / slope < 1.5  # runtime_increase fits the time one more epoch adds
    cost = bench.cost(archs, 10, metric="valid_acc")
    np.testing.assert_array_equal(cost.seconds, per_epoch[:, 1])
    assert cost.provenance["predicted_by"] == "YAHPO Gym NB301 surrogate (ONNX, v2)"
    np.testing.assert_array_equal(bench.cost(archs, None).seconds, per_epoch[:, 3])


def test_contract_details(bench):
    arch = _archs(bench, 1)[0]
    from nasbench.encodings.darts_yahpo import arch_to_config

    assert bench.fidelities("valid_acc") == tuple(range(1, 99)) and bench.default_fidelity("valid_acc") == 98
    assert bench.metrics["valid_acc"].predicted_by == "YAHPO Gym NB301 surrogate (ONNX, v2)"
    assert bench.higher_is_better("valid_acc") and not bench.higher_is_better("train_time_s")
    assert not bench.higher_is_better("valid_loss") and bench.default_search_metric() == "valid_acc"
    assert bench.noise("valid_acc")["n_outcomes"] == 1 and bench.noise("valid_acc")["source"] == "none"
    value = bench.query(arch, "valid_acc", 5)
    assert isinstance(value, np.float64)
    assert bench.query(arch_to_config(arch), "valid_acc", 5) == value  # a YAHPO configuration works too
    assert bench.query(arch, "valid_acc", 5, seed=123) == value  # deterministic: the seed changes nothing
    assert bench.query([arch], "valid_acc", np.int64(5))[0] == value
    json.dumps(bench.describe())


@pytest.mark.parametrize("call, error, match", [
    (lambda b, a: b.query([a], "test_acc"), UnknownNameError, "has no metric 'test_acc'"),
    (lambda b, a: b.query([a], "valid_acc", 0), UnknownNameError, r"has no fidelity 0; expected an epoch"),
    (lambda b, a: b.query([a], "valid_acc", 99), UnknownNameError, r"int in \[1, 98\]"),
    (lambda b, a: b.query([a], "valid_acc", 2.5), UnknownNameError, "has no fidelity 2.5"),
    (lambda b, a: b.query([a], "valid_acc", True), UnknownNameError, "has no fidelity True"),
    (lambda b, a: b.query([a], "valid_acc", missing="zero"), UnknownNameError, "missing must be one of"),
    (lambda b, a: b.cost([a], 5, metric="accuracy"), UnknownNameError, "has no metric 'accuracy'"),
])
def test_bad_calls_get_one_line_errors(bench, call, error, match):
    with pytest.raises(error, match=match):
        call(bench, _archs(bench, 1)[0])


def test_engines_agree(yahpo_root):
    pytest.importorskip("onnxruntime", reason="engine='onnxruntime' needs pip install 'nasbench[yahpo]'")
    from nasbench.benchmarks.yahpo import load_yahpo

    ours = load_yahpo("darts", "cifar10", root=yahpo_root)
    theirs = load_yahpo("darts", "cifar10", root=yahpo_root, engine="onnxruntime")
    assert theirs.describe()["engine"] == "onnxruntime"
    archs = _archs(ours, 500, seed=7)
    for epoch in (1, 33, 98):
        np.testing.assert_allclose(ours.outputs(archs, epoch), theirs.outputs(archs, epoch), rtol=1e-5, atol=1e-6)


def test_engine_errors(yahpo_root, monkeypatch):
    import sys

    from nasbench.benchmarks.yahpo import load_yahpo

    with pytest.raises(UnknownNameError, match="engine must be one of 'numpy', 'onnxruntime'; got 'torch'"):
        load_yahpo("darts", "cifar10", root=yahpo_root, engine="torch")
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if not installed
    from nasbench.errors import install_hint

    with pytest.raises(OptionalDependencyError, match=re.escape(install_hint("yahpo"))):
        load_yahpo("darts", "cifar10", root=yahpo_root, engine="onnxruntime")


def test_missing_wrong_and_corrupt_stores(yahpo_root, tmp_path):
    import nasbench
    from nasbench.benchmarks.yahpo import load_yahpo

    with data_root_env(tmp_path / "empty"):
        with pytest.raises(MissingDataError, match=r"not imported .*nasbench data import yahpo-nb301 --from DIR"):
            nasbench.load("darts/cifar10@yahpo")
        rows = {r["name"]: r for r in nasbench.list_benchmarks()}
        assert rows["darts/cifar10@yahpo"]["kind"] == "yahpo"
        assert rows["darts/cifar10@yahpo"]["status"].startswith("not imported")
    with pytest.raises(UnknownNameError, match="has one benchmark, 'darts/cifar10@yahpo'; got 'nb201/cifar10@yahpo'"):
        load_yahpo("nb201", "cifar10", root=yahpo_root)
    shutil.copytree(yahpo_root / "darts", tmp_path / "store" / "darts")
    model = tmp_path / "store" / "darts" / "cifar10@yahpo" / "model_v2.onnx"
    blob = bytearray(model.read_bytes())
    blob[1000] ^= 1
    model.write_bytes(bytes(blob))
    with pytest.raises(DataIntegrityError, match="does not match the sha256 .*nasbench data import yahpo-nb301"):
        load_yahpo("darts", "cifar10", root=tmp_path / "store")
    model.unlink()
    with pytest.raises(DataIntegrityError, match="lacks the model file 'model_v2.onnx'"):
        load_yahpo("darts", "cifar10", root=tmp_path / "store")
    (model.parent / "manifest.json").write_text("[]")
    with pytest.raises(DataIntegrityError, match="is not a nasbench YAHPO manifest"):
        load_yahpo("darts", "cifar10", root=tmp_path / "store")


def test_importer_refuses_incomplete_or_foreign_files(tmp_path):
    from tabular_data.importers.yahpo_nb301 import import_yahpo_nb301

    shared = require_shared(f"{FOLDER}/model_v2.onnx") / FOLDER
    with pytest.raises(MissingDataError, match="is not a folder"):
        import_yahpo_nb301(tmp_path / "nope", tmp_path / "store", log=lambda line: None)
    with pytest.raises(MissingDataError, match="model_v2.onnx not found under"):
        import_yahpo_nb301(tmp_path, tmp_path / "store", log=lambda line: None)
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(shared / "model_v2.onnx", src)
    with pytest.raises(MissingDataError, match="lacks encoding_v2.json, config_space_v2.json"):
        import_yahpo_nb301(src, tmp_path / "store", log=lambda line: None)
    for name in ("encoding_v2.json", "config_space_v2.json"):
        shutil.copy(shared / name, src)
    doc = json.loads((src / "config_space_v2.json").read_text())
    next(h for h in doc["hyperparameters"] if h["name"] == "epoch")["upper"] = 200
    (src / "config_space_v2.json").write_text(json.dumps(doc))
    with pytest.raises(DataIntegrityError, match=r"expected epoch as an int in \[1, 98\]"):
        import_yahpo_nb301(src, tmp_path / "store", log=lambda line: None)
    (src / "config_space_v2.json").write_text("{not json")
    with pytest.raises(DataIntegrityError, match="is not valid JSON"):
        import_yahpo_nb301(src, tmp_path / "store", log=lambda line: None)
    shutil.copy(shared / "config_space_v2.json", src)
    (src / "model_v2.onnx").write_bytes((shared / "model_v2.onnx").read_bytes()[:5000])
    with pytest.raises(DataIntegrityError, match="truncated"):
        import_yahpo_nb301(src, tmp_path / "store", log=lambda line: None)
    assert not (tmp_path / "store" / "darts" / "cifar10@yahpo").exists()  # nothing written on a failed check


def test_cli_import_verify_and_query(tmp_path, capsys):
    from nasbench.cli import main

    shared = require_shared(f"{FOLDER}/model_v2.onnx")
    assert main(["data", "import", "yahpo-nb301", "--from", str(shared), "--to", str(tmp_path)]) == 0
    with data_root_env(tmp_path):
        assert main(["data", "verify", "darts/cifar10@yahpo"]) == 0
        assert "6 files match their sha256" in capsys.readouterr().out
