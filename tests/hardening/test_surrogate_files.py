"""Class 4 of issue 13: model files cannot crash the process or serve the wrong thing.

Every tree of a saved xgboost model and every compiled array is validated before the numba walk
(hostile child indices, split features, thresholds: refused in one line, never a segfault or a
silently different prediction); ``noise_std`` must be finite and plausible; metadata is sealed and
bound to its store folder, so a relabelled metric never serves another metric's model; MLP and
latency-model states are checked field by field.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("xgboost")

from nasbench.errors import DataIntegrityError  # noqa: E402
from surrogates import _reference  # noqa: E402
from surrogates.forest import Forest  # noqa: E402
from surrogates.io import load_model, save_model, write_metadata  # noqa: E402
from surrogates.xgb import BaggedXGBSurrogate  # noqa: E402

PARAMS = {"n_estimators": 6, "max_depth": 3}
RNG = np.random.default_rng(0)
X = RNG.random((300, 4)).astype(np.float32)
Y = 50 + 10 * X[:, 0] - 5 * X[:, 1] * X[:, 2]


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("m") / "m"
    return save_model(BaggedXGBSurrogate(PARAMS, n_members=2, noise_std=0.5, seed=0).fit(X, Y), folder)


@pytest.fixture(scope="module")
def forest(saved):
    return load_model(saved)[0].forest_


def _copy(saved, tmp_path):
    folder = tmp_path / "m"
    shutil.copytree(saved, folder)
    return folder


def _edit_tree(folder, model: int, tree: int, field: str, index: int, value):
    path = folder / f"model_{model}.json"
    doc = json.loads(path.read_text())
    nodes = doc["learner"]["gradient_booster"]["model"]["trees"][tree][field]
    nodes[index % len(nodes)] = value
    blob = json.dumps(doc).encode()
    path.write_bytes(blob)
    meta = json.loads((folder / "metadata.json").read_text())
    meta["model"]["files"][model]["sha256"] = hashlib.sha256(blob).hexdigest()
    write_metadata(folder, meta)  # forged consistently: only the validation can stop it


def _reference_predict(forest, X, m):
    out = np.empty(X.shape[0], dtype=np.float32)
    lo, hi = forest.model_start[m], forest.model_start[m + 1]
    _reference.forest_predict_nan(X, forest.feature, forest.threshold, forest.left, forest.default_left,
                                  forest.value, forest.roots, forest.depth, lo, hi, forest.base[m], out)
    return out.astype(np.float64)


hostile = st.one_of(st.sampled_from([10**8, -(10**8), -2, -1, 0, 1, 2**31, 2**63 - 1, 7, 3]),
                    st.integers(-20, 40), st.floats(allow_nan=True, allow_infinity=True), st.just("x"),
                    st.none(), st.just([1, 2]))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(model=st.integers(0, 2), tree=st.integers(0, 5),
       field=st.sampled_from(["left_children", "right_children", "split_indices", "split_conditions",
                              "default_left"]),
       index=st.integers(0, 63), value=hostile)
def test_a_hostile_tree_is_refused_or_predicts_what_its_trees_say(saved, tmp_path_factory, model, tree, field,
                                                                 index, value):
    folder = _copy(saved, tmp_path_factory.mktemp("h"))
    _edit_tree(folder, model, tree, field, index, value)
    try:
        loaded, _ = load_model(folder)
    except DataIntegrityError as exc:
        assert "\n" not in str(exc) and ("re-fit the surrogate" in str(exc) or "not supported" in str(exc))
        return
    # what loads walks in bounds and agrees with the plain-Python walker that follows children to a leaf
    forest = loaded.forest_
    Xq = np.vstack([X[:20], np.full((1, 4), np.inf, np.float32), np.full((1, 4), np.nan, np.float32)])
    for m in range(forest.n_models):
        np.testing.assert_array_equal(forest.predict(Xq, m), _reference_predict(forest, Xq, m))


ARRAYS = ["feature", "threshold", "left", "default_left", "value", "roots", "depth", "model_start", "base"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(ARRAYS), index=st.integers(0, 10**6),
       value=st.one_of(st.integers(-(2**31), 2**31 - 1), st.floats(allow_nan=True, width=32)))
def test_compiled_arrays_that_could_leave_their_bounds_are_refused(forest, name, index, value):
    arrays = {k: getattr(forest, k).copy() for k in ARRAYS}
    target = arrays[name]
    try:
        target[index % target.shape[0]] = value
    except (OverflowError, ValueError):
        return
    if np.array_equal(target, getattr(forest, name), equal_nan=True):
        return
    try:
        edited = Forest(**arrays, n_features=forest.n_features)
    except DataIntegrityError as exc:
        assert "\n" not in str(exc) and "compiled forest" in str(exc)
        return
    Xq = np.vstack([X[:16], np.full((1, 4), np.inf, np.float32)])
    for m in range(edited.n_models):  # accepted edits (a changed leaf value, a threshold) stay in bounds
        np.testing.assert_array_equal(edited.predict(Xq, m), _reference_predict(edited, Xq, m))


@pytest.mark.parametrize("extra", [1, 2**31 - 1 - 64])
def test_a_recorded_depth_beyond_the_deepest_leaf_is_refused(forest, extra):
    """A walk runs depth[t] steps: a huge depth would make every query run for minutes."""
    arrays = {k: getattr(forest, k).copy() for k in ARRAYS}
    arrays["depth"][0] += extra
    with pytest.raises(DataIntegrityError, match="a recorded depth beyond the tree's deepest leaf"):
        Forest(**arrays, n_features=forest.n_features)


def test_the_issue_examples(saved, tmp_path):
    folder = _copy(saved, tmp_path)
    _edit_tree(folder, 0, 0, "split_indices", 0, 10**8)
    with pytest.raises(DataIntegrityError, match=r"model 0 tree 0: expected split_indices in \[0, 3\]"):
        load_model(folder)
    folder = _copy(saved, tmp_path / "b")
    _edit_tree(folder, 1, 2, "left_children", 0, -5)
    with pytest.raises(DataIntegrityError, match="model 1 tree 2: expected left children that are -1 or node ids"):
        load_model(folder)
    with pytest.raises(DataIntegrityError, match=r"compiled forest: expected feature indices in \[0, n_features=0\)"):
        dataclasses.replace(load_model(saved)[0].forest_, n_features=0)


@pytest.mark.parametrize("noise", [float("nan"), float("inf"), 1e300, -1.0, "0.5", True, None])
def test_implausible_noise_std_is_refused(saved, tmp_path, noise):
    folder = _copy(saved, tmp_path)
    meta = json.loads((folder / "metadata.json").read_text())
    meta["model"]["noise_std"] = noise
    write_metadata(folder, meta)
    with pytest.raises(DataIntegrityError, match=r"noise_std must be a finite number in \[0, .*Re-fit"):
        load_model(folder)


def test_infinite_features_predict_as_xgboost_does(saved):
    model, _ = load_model(saved)
    fitted = BaggedXGBSurrogate(PARAMS, n_members=0, seed=0).fit(X, Y)
    Xq = X[:10].copy()
    Xq[:, 0], Xq[3, 1] = np.inf, -np.inf
    np.testing.assert_array_equal(fitted.predict(Xq), fitted.predict_xgboost(Xq))


def test_an_unsealed_metadata_edit_is_refused(saved, tmp_path):
    folder = _copy(saved, tmp_path)
    meta = json.loads((folder / "metadata.json").read_text())
    meta["metric"] = "valid_acc"
    (folder / "metadata.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    with pytest.raises(DataIntegrityError, match="does not match metadata.sha256 \\(it was edited\\)"):
        load_model(folder)
    (folder / "metadata.sha256").unlink()
    with pytest.raises(DataIntegrityError, match="missing: saved by an older nasbench"):
        load_model(folder)


def test_a_relabelled_folder_never_serves_another_metric(tmp_path):
    from nasbench.benchmarks.surrogate import fid_key, load_surrogate, surrogate_dir
    from nasbench.encodings import get_encoding
    from surrogates.io import check_binding

    enc = get_encoding("nb201", "onehot")
    Xe = np.asarray(enc.table[:400], dtype=np.float32)
    model = BaggedXGBSurrogate(PARAMS, n_members=1, seed=0).fit(Xe, RNG.random(400))
    folder = surrogate_dir("nb201", "cifar10", tmp_path) / "test_acc@200"
    save_model(model, folder, {"space": "nb201", "dataset": "cifar10", "metric": "test_acc", "fidelity": 200,
                               "encoding": "onehot"})
    check_binding(folder, load_model(folder)[1], fid_key)  # the honest folder is accepted
    folder.rename(folder.with_name("valid_acc@200"))
    with pytest.raises(DataIntegrityError, match="the folder says 'valid_acc@200' but its model was fit for test_acc "
                                                 "at fidelity 200") as info:
        load_surrogate("nb201", "cifar10", tmp_path)
    assert "\n" not in str(info.value)


def test_a_broken_mlp_state_is_refused(tmp_path):
    torch = pytest.importorskip("torch")
    from surrogates.mlp import MLP_FILE, MLPSurrogate

    folder = save_model(MLPSurrogate({"hidden": [4], "epochs": 1}, n_members=1).fit(X, Y), tmp_path / "m")
    doc = torch.load(folder / MLP_FILE, weights_only=True)
    doc["members"][0]["0.weight"][0, 0] = float("nan")
    doc["x_scale"][0] = 0.0
    import io

    buf = io.BytesIO()
    torch.save(doc, buf)
    blob = buf.getvalue()
    (folder / MLP_FILE).write_bytes(blob)
    meta = json.loads((folder / "metadata.json").read_text())
    meta["model"]["files"][0]["sha256"] = hashlib.sha256(blob).hexdigest()
    write_metadata(folder, meta)
    with pytest.raises(DataIntegrityError, match="holds feature scalers .*; expected finite weights"):
        load_model(folder)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(["n_ops", "reference_op", "intercept_", "alpha_", "op_costs_"]),
       value=st.one_of(st.integers(-3, 300), st.floats(allow_nan=True), st.none(), st.just("x"),
                       st.just([[1.0, 2.0]])))
def test_a_latency_model_state_is_refused_or_sound(tmp_path_factory, key, value):
    from surrogates.latency import AdditiveLatencyModel
    from surrogates.latency.io import load_latency_model, save_latency_model
    from tabular_data.store import sha256_file

    ops = np.array([[0, 1, 2], [1, 0, 2], [2, 2, 1], [0, 0, 0], [1, 1, 1]])
    folder = tmp_path_factory.mktemp("lat") / "m"
    save_latency_model(AdditiveLatencyModel(3).fit(ops, np.array([3.0, 2.0, 4.0, 1.0, 2.5])), folder)
    meta = json.loads((folder / "metadata.json").read_text())
    if key == "op_costs_":
        with open(folder / "state.npz", "wb") as fh:
            np.savez(fh, op_costs_=np.asarray(value if value is not None else np.nan, dtype=object).astype(float)
                     if not isinstance(value, str) else np.array([value]))
        meta["state_sha256"] = sha256_file(folder / "state.npz")
    else:
        meta["params"][key] = value
    (folder / "metadata.json").write_text(json.dumps(meta))
    try:
        model, _ = load_latency_model(folder)
    except DataIntegrityError as exc:
        assert "\n" not in str(exc) and "re-save" in str(exc)
        return
    pred = model.predict(ops[:, : model.n_edges_] if model.n_edges_ <= 3 else np.zeros((1, model.n_edges_), int))
    assert np.all(np.isfinite(pred))
