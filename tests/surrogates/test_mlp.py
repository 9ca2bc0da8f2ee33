"""The PyTorch MLP ensemble surrogate: estimator conventions, determinism, numpy serving equal to
torch's forward, saving in torch's format, errors, and its quality on nb201/cifar10."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("torch")

from nasbench.errors import DataIntegrityError, OptionalDependencyError  # noqa: E402
from surrogates import NotFittedError  # noqa: E402
from surrogates.io import load_model, save_model, write_metadata  # noqa: E402
from surrogates.mlp import MLP_FILE, MLPSurrogate  # noqa: E402

TINY = {"hidden": [16, 16], "epochs": 15, "batch_size": 32}


def _data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 5))
    return X, 70 + 10 * X[:, 0] * X[:, 1] - 5 * X[:, 2] + rng.standard_normal(n) * 0.2


def test_init_stores_only_and_fit_returns_self():
    model = MLPSurrogate(TINY, n_members=2, seed=3)
    assert vars(model) == {"params": TINY, "n_members": 2, "noise_std": 0.0, "seed": 3, "n_threads": 1}
    X, y = _data()
    assert model.fit(X, y) is model
    assert model.n_features_in_ == 5 and len(model.weights_) == 2
    assert [w.shape for w, _ in model.weights_[0]] == [(16, 5), (16, 16), (1, 16)]


def test_same_seed_same_bytes_other_seed_differs_and_it_learns():
    X, y = _data()
    a = MLPSurrogate(TINY, n_members=2, seed=1).fit(X, y)
    b = MLPSurrogate(TINY, n_members=2, seed=1).fit(X, y)
    c = MLPSurrogate(TINY, n_members=2, seed=2).fit(X, y)
    assert a.to_bytes() == b.to_bytes()
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    assert not np.array_equal(a.predict(X), c.predict(X))
    # members differ (their spread is the noise model) and the mean beats predicting the mean target
    members = a.predict_members(X)
    assert members.shape == (2, X.shape[0]) and not np.array_equal(members[0], members[1])
    assert np.mean((a.predict(X) - y) ** 2) < 0.5 * np.var(y)


def test_global_rngs_untouched():
    import torch

    X, y = _data()
    torch_state, np_state = torch.get_rng_state(), np.random.get_state()
    MLPSurrogate(TINY, n_members=1).fit(X, y)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.random.get_state()[1].tolist() == np_state[1].tolist()


def test_a_rows_prediction_does_not_depend_on_its_batch():
    X, y = _data()
    model = MLPSurrogate(TINY, n_members=2).fit(X, y)
    Xq = np.random.default_rng(1).random((101, 5))
    full = model.predict(Xq)
    np.testing.assert_array_equal(np.concatenate([model.predict(Xq[i:i + 7]) for i in range(0, 101, 7)]), full)
    np.testing.assert_array_equal([model.predict(Xq[i:i + 1])[0] for i in range(101)], full)


def test_numpy_forward_equals_torch_forward():
    X, y = _data()
    model = MLPSurrogate(TINY, n_members=3, seed=0).fit(X, y)
    Xq = np.random.default_rng(5).random((50, 5)) * 2 - 0.5  # also outside the training range
    np.testing.assert_allclose(model.predict(Xq), model.predict_torch(Xq), rtol=0, atol=1e-5)


def test_sample_is_seeded_member_plus_noise():
    X, y = _data()
    model = MLPSurrogate(TINY, n_members=3, noise_std=0.0, seed=0).fit(X, y)
    s1, s2 = model.sample(X[:40], 7), model.sample(X[:40], 7)
    np.testing.assert_array_equal(s1, s2)
    members = model.predict_members(X[:40])
    assert np.all(np.any(np.isclose(members, s1[None, :], rtol=0, atol=1e-12), axis=0))
    noisy = MLPSurrogate(TINY, n_members=2, noise_std=1.0, seed=0).fit(X, y)
    assert np.std(noisy.sample(X, 1) - noisy.predict_members(X).mean(axis=0)) > 0.5
    single = MLPSurrogate(TINY, n_members=1).fit(X, y)
    with pytest.raises(NotFittedError, match="has one member, so it has no spread to sample from"):
        single.sample(X, 0)


def test_save_load_round_trip_gives_equal_predictions(tmp_path):
    X, y = _data()
    model = MLPSurrogate(TINY, n_members=2, noise_std=0.3, seed=4).fit(X, y)
    folder = save_model(model, tmp_path / "m", {"space": "nb201", "dataset": "cifar10"})
    doc = json.loads((folder / "metadata.json").read_text())
    assert doc["model"]["kind"] == "mlp_ensemble" and doc["model"]["files"][0]["name"] == MLP_FILE
    assert doc["model"]["params"]["hidden"] == [16, 16] and doc["space"] == "nb201"
    loaded, meta = load_model(folder)
    assert isinstance(loaded, MLPSurrogate) and meta["dataset"] == "cifar10"
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(loaded.sample(X, 3), model.sample(X, 3))
    # saving again gives the same bytes
    again = save_model(loaded, tmp_path / "m2", {"space": "nb201", "dataset": "cifar10"})
    assert (again / MLP_FILE).read_bytes() == (folder / MLP_FILE).read_bytes()


def test_load_refuses_newer_tampered_or_missing_files(tmp_path):
    X, y = _data()
    folder = save_model(MLPSurrogate(TINY, n_members=1).fit(X, y), tmp_path / "m")
    meta_path = folder / "metadata.json"
    doc = json.loads(meta_path.read_text())
    write_metadata(folder, {**doc, "model": {**doc["model"], "version": 99}})
    with pytest.raises(DataIntegrityError, match="MLP surrogate version 99 is newer than this nasbench reads"):
        load_model(folder)
    write_metadata(folder, {**doc, "format_version": 99})
    with pytest.raises(DataIntegrityError, match="format version 99, newer than this nasbench reads"):
        load_model(folder)
    write_metadata(folder, doc)
    blob = (folder / MLP_FILE).read_bytes()
    (folder / MLP_FILE).write_bytes(blob[:-1] + bytes([blob[-1] ^ 1]))
    with pytest.raises(DataIntegrityError, match="does not match its sha256"):
        load_model(folder)
    import hashlib

    junk = b"not a torch file"
    (folder / MLP_FILE).write_bytes(junk)
    files = [{"name": MLP_FILE, "sha256": hashlib.sha256(junk).hexdigest()}]
    write_metadata(folder, {**doc, "model": {**doc["model"], "files": files}})
    with pytest.raises(DataIntegrityError, match="cannot read mlp_ensemble.pt .*; re-fit the surrogate") as info:
        load_model(folder)
    assert "\n" not in str(info.value)
    (folder / MLP_FILE).write_bytes(blob)
    write_metadata(folder, {**doc, "model": {**doc["model"], "n_members": 2}})
    with pytest.raises(DataIntegrityError, match="mlp_ensemble.pt does not match metadata.json .*; re-fit it"):
        load_model(folder)
    (folder / MLP_FILE).unlink()
    with pytest.raises(DataIntegrityError, match="mlp_ensemble.pt is missing"):
        load_model(folder)


def test_errors():
    X, y = _data()
    with pytest.raises(NotFittedError, match="not fitted yet"):
        MLPSurrogate().predict(X)
    with pytest.raises(ValueError, match=r"unknown MLP parameters \['depth'\]"):
        MLPSurrogate({"depth": 3}).fit(X, y)
    with pytest.raises(ValueError, match="hidden must be a list of 1 to 4 layer widths"):
        MLPSurrogate({"hidden": [0]}).fit(X, y)
    with pytest.raises(ValueError, match="epochs must be an int >= 1; got 0"):
        MLPSurrogate({"epochs": 0}).fit(X, y)
    with pytest.raises(ValueError, match="learning_rate must be a finite number > 0"):
        MLPSurrogate({"learning_rate": -1.0}).fit(X, y)
    with pytest.raises(ValueError, match="n_members must be an int >= 1; got 0"):
        MLPSurrogate(TINY, n_members=0).fit(X, y)
    with pytest.raises(ValueError, match="noise_std must be a finite number >= 0"):
        MLPSurrogate(TINY, noise_std=float("nan")).fit(X, y)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="X must be finite for an MLP surrogate"):
        MLPSurrogate(TINY).fit(bad, y)
    with pytest.raises(ValueError, match="same number of rows"):
        MLPSurrogate(TINY).fit(X, y[:-1])
    with pytest.raises(ValueError, match="params must be a dict of MLP settings or None; got list"):
        MLPSurrogate([16, 16]).fit(X, y)
    with pytest.raises(ValueError, match="seed must be an int >= 0; got -1"):
        MLPSurrogate(TINY, seed=-1).fit(X, y)
    with pytest.raises(ValueError, match="needs at least 2 training rows; got 1"):
        MLPSurrogate(TINY).fit(X[:1], y[:1])
    model = MLPSurrogate(TINY, n_members=1).fit(X, y)
    with pytest.raises(ValueError, match=r"X must have shape \(n, 5\); got \(3, 4\)"):
        model.predict(np.zeros((3, 4)))


def test_missing_torch_names_the_extra(monkeypatch):
    X, y = _data()
    monkeypatch.setitem(sys.modules, "torch", None)
    import re

    from nasbench.errors import install_hint

    with pytest.raises(OptionalDependencyError, match=re.escape(install_hint("train"))):  # as installed here
        MLPSurrogate(TINY).fit(X, y)


def test_import_nasbench_imports_neither_torch_nor_xgboost():
    code = ("import sys, nasbench, surrogates, surrogates.mlp, surrogates.io, nasbench.benchmarks.surrogate, "
            "nasbench.benchmarks.surrogate_fit, nasbench.benchmarks.filled; "
            "print(sorted(m for m in ('torch', 'xgboost') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# -- on the NB201 table -----------------------------------------------------------------------------

# Measured with default params and 10% of archs: held-out Kendall tau 0.8819 for this fit (split seed 0,
# 2 members); 0.8808 / 0.8818 / 0.8778 with 5 members on split seeds 0 / 1 / 2 (XGBoost default:
# 0.871). The threshold leaves room for other CPUs and BLAS builds, and still fails a model that only
# learns the coarse ordering (a 5-epoch fit scores 0.771).
TAU_MIN = 0.85


def test_mlp_on_nb201_cifar10(nb201_cifar10, tmp_path):
    from nasbench.benchmarks.surrogate import load_surrogate, surrogate_dir
    from nasbench.benchmarks.surrogate_fit import SurrogateConfigError, fit_surrogate, save_surrogate

    result = fit_surrogate("nb201/cifar10", "test_acc", 200, train_fraction=0.1, seed=0, model="mlp", n_members=2)
    assert isinstance(result.model, MLPSurrogate)
    assert result.scores["kendall_tau"] > TAU_MIN, result.scores
    assert result.metadata["model_name"] == "MLP ensemble"
    save_surrogate(result, root=tmp_path)
    bench = load_surrogate("nb201", "cifar10", root=tmp_path)
    test = result.test_indices[:500]
    # served from the table of class predictions: equal to predicting the rows one batch at a time
    np.testing.assert_array_equal(bench.query(test, "test_acc", 200),
                                  result.model.predict(bench.encoding_of("test_acc").encode(test)[0]))
    assert bench.metrics["test_acc"].predicted_by.startswith("MLP ensemble (iso encoding")
    sampled = bench.query(test, "test_acc", 200, seed=1)
    np.testing.assert_array_equal(sampled, bench.query(test, "test_acc", 200, seed=1))
    assert not np.array_equal(sampled, bench.query(test, "test_acc", 200))
    # a model saved for one dataset is refused when loaded as another
    shutil.copytree(surrogate_dir("nb201", "cifar10", tmp_path), surrogate_dir("nb201", "cifar100", tmp_path))
    with pytest.raises(DataIntegrityError, match="was fit for nb201/cifar10, not nb201/cifar100"):
        load_surrogate("nb201", "cifar100", root=tmp_path)
    with pytest.raises(SurrogateConfigError, match="model must be one of .*got 'torch'"):
        fit_surrogate("nb201/cifar10", "test_acc", 200, model="torch")


def test_cli_fit_and_eval_with_mlp(nb201_data_root, capsys):
    from nasbench.benchmarks.surrogate import surrogate_dir
    from nasbench.cli import main

    fast = '{"epochs": 5}'
    try:
        assert main(["surrogate", "fit", "nb201/imagenet16-120", "--model", "mlp", "--members", "2",
                     "--params", fast, "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["model_name"] == "MLP ensemble"
        from pathlib import Path

        doc = json.loads((Path(out["saved_to"]) / "metadata.json").read_text())
        assert doc["model"]["kind"] == "mlp_ensemble" and doc["model"]["n_members"] == 2
        assert main(["surrogate", "eval", "nb201/imagenet16-120", "--saved", "--json"]) == 0
        saved = json.loads(capsys.readouterr().out)
        assert saved["kendall_tau"] == pytest.approx(out["scores_held_out"]["kendall_tau"], abs=1e-9)
        assert main(["surrogate", "eval", "nb201/imagenet16-120", "--model", "mlp", "--params", fast,
                     "--train-fractions", "0.05", "--seeds", "0", "--json"]) == 0
        row = json.loads(capsys.readouterr().out)["rows"][0]
        assert row["model"] == "mlp" and row["params"]["epochs"] == 5 and row["kendall_tau"] > 0.5
    finally:
        shutil.rmtree(surrogate_dir("nb201", "imagenet16-120"), ignore_errors=True)
