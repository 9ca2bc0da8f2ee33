"""The compiled forest against xgboost's own predict and against the plain-Python twin."""

import numpy as np
import pytest

pytest.importorskip("xgboost")

from surrogates import BaggedXGBSurrogate, XGBSurrogate, compile_models  # noqa: E402
from surrogates import _kernels, _reference  # noqa: E402
from surrogates.forest import parse_base_score  # noqa: E402


def _data(n=400, d=8, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    y = 80 + 5 * X[:, 0] + np.sin(6 * X[:, 1]) + 0.1 * rng.standard_normal(n)
    X[::9, 2] = np.nan  # missing values follow each split's default direction
    return X, y


@pytest.mark.parametrize("with_nan", [True, False])
def test_forest_matches_xgboost_predict(with_nan):
    X, y = _data()
    model = XGBSurrogate({"n_estimators": 60, "max_depth": 5}).fit(X, y)
    Xq, _ = _data(303, seed=1)  # 303 rows: the 8-row interleaved walk plus a 7-row tail
    if not with_nan:
        Xq = np.nan_to_num(Xq, nan=0.25)
    np.testing.assert_allclose(model.predict(Xq), model.predict_xgboost(Xq), rtol=1e-5, atol=1e-5)


def test_members_match_xgboost_predict():
    X, y = _data()
    model = BaggedXGBSurrogate({"n_estimators": 20}, n_members=3).fit(X, y)
    members = model.predict_members(X)
    assert members.shape == (3, X.shape[0])
    for k in range(3):
        np.testing.assert_allclose(members[k], model.predict_xgboost(X, k + 1), rtol=1e-5, atol=1e-5)


def test_kernel_equals_reference_twin():
    X, y = _data(200)
    model = BaggedXGBSurrogate({"n_estimators": 15, "max_depth": 4}, n_members=2).fit(X, y)
    forest = model.forest_
    Xc = forest.check_X(X)
    Xfull = np.nan_to_num(Xc, nan=0.5)
    for m in range(forest.n_models):
        lo, hi = forest.model_start[m], forest.model_start[m + 1]
        a, b, c, d = (np.empty(X.shape[0], np.float32) for _ in range(4))
        _kernels.forest_predict_nan(Xc, *forest.nodes_nan(), lo, hi, forest.base[m], a)
        _reference.forest_predict_nan(Xc, *forest.nodes_nan(), lo, hi, forest.base[m], b)
        np.testing.assert_array_equal(a, b)
        _kernels.forest_predict(Xfull, *forest.nodes(), lo, hi, forest.base[m], c)
        _reference.forest_predict(Xfull, *forest.nodes(), lo, hi, forest.base[m], d)
        np.testing.assert_array_equal(c, d)
        _kernels.forest_predict_nan(Xfull, *forest.nodes_nan(), lo, hi, forest.base[m], a)
        np.testing.assert_array_equal(a, c)
    ids = np.random.default_rng(0).integers(0, forest.n_models, X.shape[0])
    mixed = forest.predict(X, ids)
    for m in range(forest.n_models):
        np.testing.assert_array_equal(mixed[ids == m], forest.predict(X, m)[ids == m])


def test_base_score_formats():
    assert parse_base_score("[8.2E1]") == 82.0
    assert parse_base_score("5E-1") == 0.5


def test_compile_rejects_other_objectives():
    import xgboost as xgb

    from nasbench.errors import DataIntegrityError

    X, y = _data(100)
    booster = xgb.train({"objective": "reg:absoluteerror", "nthread": 1}, xgb.DMatrix(X, y > 82), 3)
    with pytest.raises(DataIntegrityError, match="objective"):
        compile_models([bytes(booster.save_raw("json"))], X.shape[1])
    with pytest.raises(DataIntegrityError, match="not an xgboost JSON model"):
        compile_models([{"learner": {}}], 3)


def test_forest_checks_shapes_and_model_ids():
    X, y = _data(100)
    model = XGBSurrogate({"n_estimators": 5}).fit(X, y)
    with pytest.raises(ValueError, match=r"X must have shape \(n, 8\)"):
        model.predict(X[:, :3])
    with pytest.raises(ValueError, match="model must be in"):
        model.forest_.predict(X, 1)
    with pytest.raises(ValueError, match=r"model ids must have shape \(100,\) with values in \[0, 0\]; got shape \(3,\)"):
        model.forest_.predict(X, np.zeros(3, dtype=np.int64))


def test_compile_rejects_unsupported_layouts():
    import json

    from nasbench.errors import DataIntegrityError

    X, y = _data(100)
    blob = XGBSurrogate({"n_estimators": 2, "max_depth": 2}).fit(X, y).booster_json_
    with pytest.raises(ValueError, match="compile_models needs at least one model"):
        compile_models([], X.shape[1])
    with pytest.raises(DataIntegrityError, match="single-target model over 3 features; got .*num_feature=8"):
        compile_models([blob], 3)
    doc = json.loads(blob)
    tree = doc["learner"]["gradient_booster"]["model"]["trees"][0]
    tree["split_type"] = [1] * len(tree["left_children"])
    with pytest.raises(DataIntegrityError, match="categorical splits are not supported; fit on numerical"):
        compile_models([json.dumps(doc).encode()], X.shape[1])
    tree["split_type"] = [0] * len(tree["left_children"])
    tree["right_children"][0] += 1
    with pytest.raises(DataIntegrityError, match="right children are not next to its left children"):
        compile_models([json.dumps(doc).encode()], X.shape[1])
