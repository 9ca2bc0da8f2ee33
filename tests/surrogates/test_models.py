"""Estimator conventions, determinism, sampling and save/load of the XGBoost surrogates."""

import json

import numpy as np
import pytest

pytest.importorskip("xgboost")

from nasbench.errors import DataIntegrityError, MissingDataError  # noqa: E402
from surrogates import BaggedXGBSurrogate, NotFittedError, XGBSurrogate  # noqa: E402
from surrogates.io import FORMAT_VERSION, load_model, save_model, write_metadata  # noqa: E402

PARAMS = {"n_estimators": 20, "max_depth": 4}


def _data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 6))
    return X, 70 + 10 * X[:, 0] * X[:, 1] + rng.standard_normal(n) * 0.2


def test_init_stores_only_and_fit_returns_self():
    model = XGBSurrogate(PARAMS, seed=3)
    assert not hasattr(model, "forest_")
    X, y = _data()
    assert model.fit(X, y) is model
    assert model.n_features_in_ == 6


def test_not_fitted_raises():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        XGBSurrogate().predict(np.zeros((1, 3)))
    with pytest.raises(NotFittedError, match="not fitted yet"):
        BaggedXGBSurrogate().sample(np.zeros((1, 3)), 0)


def test_bad_training_data_raises():
    X, y = _data()
    with pytest.raises(ValueError, match="same number of rows"):
        XGBSurrogate(PARAMS).fit(X, y[:-1])
    y = y.copy()
    y[3] = np.nan
    with pytest.raises(ValueError, match="y must be finite"):
        XGBSurrogate(PARAMS).fit(X, y)
    with pytest.raises(ValueError, match="2-D array"):
        XGBSurrogate(PARAMS).fit(X[:, 0], y)
    with pytest.raises(ValueError, match="unknown XGBoost parameters"):
        XGBSurrogate({"depth": 3}).fit(*_data())
    with pytest.raises(ValueError, match="n_members must be an int >= 0"):
        BaggedXGBSurrogate(PARAMS, n_members=-1).fit(*_data())
    with pytest.raises(ValueError, match="noise_std must be a finite number"):
        BaggedXGBSurrogate(PARAMS, noise_std=-1.0).fit(*_data())


def test_same_seed_same_bytes_and_other_seed_differs():
    X, y = _data()
    a = BaggedXGBSurrogate(PARAMS, n_members=2, seed=1).fit(X, y)
    b = BaggedXGBSurrogate(PARAMS, n_members=2, seed=1).fit(X, y)
    c = BaggedXGBSurrogate(PARAMS, n_members=2, seed=2).fit(X, y)
    assert a.booster_jsons_ == b.booster_jsons_
    assert a.booster_jsons_[1] != c.booster_jsons_[1]


def test_sample_is_reproducible_and_spread_is_plausible():
    X, y = _data()
    model = BaggedXGBSurrogate(PARAMS, n_members=4, noise_std=0.3, seed=0).fit(X, y)
    s1, s2 = model.sample(X, 7), model.sample(X, 7)
    np.testing.assert_array_equal(s1, s2)
    assert not np.array_equal(s1, model.sample(X, 8))
    members = model.predict_members(X)
    # every sample is a member's prediction plus noise of 0.3: within 6 sd of some member
    assert np.all(np.min(np.abs(members - s1), axis=0) < 6 * 0.3)
    assert 0.05 < np.std(s1 - model.predict(X)) < 2.0


def test_no_members_cannot_sample():
    X, y = _data()
    model = BaggedXGBSurrogate(PARAMS, n_members=0).fit(X, y)
    with pytest.raises(NotFittedError, match="no ensemble members"):
        model.sample(X, 0)


def test_save_load_roundtrip(tmp_path):
    X, y = _data()
    model = BaggedXGBSurrogate(PARAMS, n_members=2, noise_std=0.1, seed=5).fit(X, y)
    folder = save_model(model, tmp_path / "m", {"space": "nb201"})
    assert sorted(p.name for p in folder.iterdir()) == ["metadata.json", "metadata.sha256", "model_0.json",
                                                        "model_1.json", "model_2.json"]
    loaded, meta = load_model(folder)
    assert meta["space"] == "nb201" and meta["format_version"] == FORMAT_VERSION
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(loaded.sample(X, 1), model.sample(X, 1))


def test_load_rejects_newer_format_tampering_and_absence(tmp_path):
    X, y = _data()
    folder = save_model(BaggedXGBSurrogate(PARAMS, n_members=1).fit(X, y), tmp_path / "m")
    with pytest.raises(MissingDataError, match="no surrogate model at"):
        load_model(tmp_path / "absent")
    meta_path = folder / "metadata.json"
    meta = json.loads(meta_path.read_text())
    write_metadata(folder, {**meta, "format_version": FORMAT_VERSION + 1})
    with pytest.raises(DataIntegrityError, match="newer than this nasbench reads"):
        load_model(folder)
    write_metadata(folder, {**meta, "format": "something-else"})
    with pytest.raises(DataIntegrityError, match="not a nasbench surrogate model"):
        load_model(folder)
    write_metadata(folder, {**meta, "model": {**meta["model"], "kind": "forest"}})
    with pytest.raises(DataIntegrityError, match="unknown surrogate model kind 'forest'; expected 'bagged_xgboost'"):
        load_model(folder)
    meta_path.write_text("{not json")
    with pytest.raises(DataIntegrityError, match="metadata.json is not valid JSON .*; re-fit the surrogate"):
        load_model(folder)
    write_metadata(folder, meta)
    (folder / "model_1.json").write_bytes(b"{}")
    with pytest.raises(DataIntegrityError, match="does not match its sha256"):
        load_model(folder)
    (folder / "model_1.json").unlink()
    with pytest.raises(DataIntegrityError, match="model_1.json is missing; re-fit the surrogate"):
        load_model(folder)


def test_missing_xgboost_names_the_extra(monkeypatch):
    import sys

    from nasbench.errors import OptionalDependencyError

    monkeypatch.setitem(sys.modules, "xgboost", None)  # makes `import xgboost` fail
    import re

    from nasbench.errors import install_hint

    with pytest.raises(OptionalDependencyError, match=re.escape(install_hint("surrogate"))):  # as installed here
        XGBSurrogate(PARAMS).fit(*_data())


def test_loaded_model_serves_without_xgboost(tmp_path, monkeypatch):
    import sys

    X, y = _data()
    model = BaggedXGBSurrogate(PARAMS, n_members=1).fit(X, y)
    save_model(model, tmp_path / "m")
    monkeypatch.setitem(sys.modules, "xgboost", None)
    loaded, _ = load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_same_seed_same_bytes_in_a_fresh_process():
    import hashlib
    import subprocess
    import sys

    code = (
        "import hashlib, numpy as np\n"
        "from surrogates import BaggedXGBSurrogate\n"
        "rng = np.random.default_rng(0); X = rng.random((300, 6))\n"
        "y = 70 + 10 * X[:, 0] * X[:, 1] + rng.standard_normal(300) * 0.2\n"
        "m = BaggedXGBSurrogate({'n_estimators': 20, 'max_depth': 4}, n_members=2, seed=9).fit(X, y)\n"
        "print(hashlib.sha256(b''.join(m.booster_jsons_)).hexdigest())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    X, y = _data()
    here = BaggedXGBSurrogate(PARAMS, n_members=2, seed=9).fit(X, y)
    assert out == hashlib.sha256(b"".join(here.booster_jsons_)).hexdigest()


def test_one_not_fitted_error_everywhere():
    import surrogates
    from nasbench import errors
    from surrogates.latency import additive

    assert surrogates.NotFittedError is errors.NotFittedError is additive.NotFittedError
    for base in (errors.NasbenchError, ValueError, AttributeError):  # scikit-learn's two bases, and ours
        assert issubclass(errors.NotFittedError, base)
    with pytest.raises(errors.NotFittedError, match="AdditiveLatencyModel is not fitted yet; call fit"):
        additive.AdditiveLatencyModel(5).predict([[0] * 6])


def test_log_target_fits_the_log_gap_and_maps_back_everywhere(tmp_path):
    X, y = _data()
    model = BaggedXGBSurrogate(PARAMS, n_members=2, noise_std=0.5, seed=0, log_target=(100.5, -1)).fit(X, y)
    z = model.forest_.predict(X, 0)  # the trees' own output: log(100.5 - accuracy)
    np.testing.assert_allclose(model.predict(X), 100.5 - np.exp(z))
    np.testing.assert_allclose(model.predict_xgboost(X), model.predict(X), rtol=1e-5)
    assert np.abs(model.predict(X) - y).mean() < 1.0  # still a model of y, in y's unit
    members = model.predict_members(X)
    np.testing.assert_allclose(members[0], 100.5 - np.exp(model.forest_.predict(X, 1)))
    loaded, _ = load_model(save_model(model, tmp_path / "m"))
    assert loaded.log_target == (100.5, -1.0)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(loaded.sample(X, 3), model.sample(X, 3))


@pytest.mark.parametrize("log_target, match", [((1.0,), "pair"), ("ab", "pair"), ((1.0, 0.0), "non-zero scale"),
                                               ((float("nan"), 1.0), "finite offset")])
def test_bad_log_targets_are_refused(log_target, match):
    from surrogates.fit import SurrogateConfigError

    with pytest.raises(SurrogateConfigError, match=match):
        BaggedXGBSurrogate(PARAMS, log_target=log_target)


def test_targets_outside_the_log_are_refused_before_fitting():
    X, y = _data()
    with pytest.raises(ValueError, match=r"needs 60.0 \+ -1.0 \* y > 0"):
        BaggedXGBSurrogate(PARAMS, log_target=(60.0, -1)).fit(X, y)


def test_a_tampered_log_target_is_refused(tmp_path):
    X, y = _data()
    folder = save_model(BaggedXGBSurrogate(PARAMS, n_members=1, log_target=(0, 1)).fit(X, y), tmp_path / "m")
    meta = json.loads((folder / "metadata.json").read_text())
    write_metadata(folder, {**meta, "model": {**meta["model"], "log_target": [1.0, 0.0]}})
    with pytest.raises(DataIntegrityError, match="log_target"):
        load_model(folder)


def test_log_target_is_an_xgboost_option_only():
    from surrogates.fit import SurrogateConfigError, fit_on_arrays

    X, y = _data()
    assert fit_on_arrays(X, y, params=PARAMS, n_members=0, log_target=(100.5, -1)).log_target == (100.5, -1.0)
    with pytest.raises(SurrogateConfigError, match="log_target is an XGBoost option"):
        fit_on_arrays(X, y, model="mlp", log_target=(100.5, -1))
