"""Gradient-boosted trees compiled into flat arrays, evaluated by numba.

:func:`compile_models` reads xgboost's own JSON model format (as written by
``Booster.save_model("*.json")``), with no xgboost import, and concatenates the trees of one or more
models into a :class:`Forest`. :meth:`Forest.predict` walks them with the numba kernel
:func:`surrogates._kernels.forest_predict`; :func:`surrogates._reference.forest_predict` is its
plain-Python twin. Predictions agree with xgboost's own ``predict`` to float32 rounding (tests check
1e-5 relative): splits compare float32 features with float32 thresholds (``x < t`` goes left, NaN
follows ``default_left``) and leaf values are summed in float32 in tree order, as xgboost does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from nasbench.errors import DataIntegrityError

__all__ = ["Forest", "compile_models", "parse_base_score"]

_SUPPORTED_OBJECTIVES = ("reg:squarederror",)


@dataclass(frozen=True)
class Forest:
    """Trees of ``n_models`` boosted models as flat arrays, laid out for a branch-free walk.

    XGBoost allocates the two children of a node next to each other (right = left + 1), which
    the compiler checks; a row steps from ``node`` to ``left[node] + go_right``. A leaf points to
    itself with threshold +inf (so it never moves), which lets every walk run exactly ``depth[t]``
    steps with no leaf test.

    Attributes
    ----------
    feature : ndarray of int32, shape (n_nodes,)
        Split feature of each node (0 at leaves).
    threshold : ndarray of float32, shape (n_nodes,)
        A row goes left when ``x[feature] < threshold``; +inf at leaves.
    left : ndarray of int32, shape (n_nodes,)
        Absolute id of the left child (the right child is ``left + 1``); a leaf's own id.
    default_left : ndarray of uint8, shape (n_nodes,)
        Where a NaN feature goes (1 at leaves).
    value : ndarray of float32, shape (n_nodes,)
        Leaf value (0 at inner nodes).
    roots : ndarray of int32, shape (n_trees,)
    depth : ndarray of int32, shape (n_trees,)
        Steps from the root to the deepest leaf of each tree.
    model_start : ndarray of int64, shape (n_models + 1,)
        Trees of model ``m`` are ``model_start[m]:model_start[m + 1]``.
    base : ndarray of float32, shape (n_models,)
        Each model's base score (added before the trees).
    n_features : int
    """

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    default_left: np.ndarray
    value: np.ndarray
    roots: np.ndarray
    depth: np.ndarray
    model_start: np.ndarray
    base: np.ndarray
    n_features: int

    @property
    def n_models(self) -> int:
        return int(self.base.shape[0])

    def nodes(self) -> tuple:
        """The node and tree arrays in the argument order of ``_kernels.forest_predict``."""
        return (self.feature, self.threshold, self.left, self.value, self.roots, self.depth)

    def nodes_nan(self) -> tuple:
        """The node and tree arrays in the argument order of ``_kernels.forest_predict_nan``."""
        return (self.feature, self.threshold, self.left, self.default_left, self.value, self.roots, self.depth)

    def _run(self, X, m: int, out) -> None:
        from surrogates import _kernels

        lo, hi, base = self.model_start[m], self.model_start[m + 1], self.base[m]
        if np.isnan(X).any():
            _kernels.forest_predict_nan(X, *self.nodes_nan(), lo, hi, base, out)
        else:
            _kernels.forest_predict(X, *self.nodes(), lo, hi, base, out)

    def predict(self, X, model=0) -> np.ndarray:
        """Predictions of model ``model`` (an int, or one model id per row), float64 of shape (n,).

        Parameters
        ----------
        X : array-like of shape (n, n_features)
            Converted to C-contiguous float32 (as xgboost does).
        model : int or ndarray of int of shape (n,)
        """
        X = self.check_X(X)
        out = np.empty(X.shape[0], dtype=np.float32)
        if np.ndim(model) == 0:
            self._run(X, self.check_model(model), out)
            return out.astype(np.float64)
        ids = self.check_model_ids(model, X.shape[0])
        for m in np.unique(ids).tolist():
            rows = np.flatnonzero(ids == m)
            part = np.empty(rows.shape[0], dtype=np.float32)
            self._run(np.ascontiguousarray(X[rows]), m, part)
            out[rows] = part
        return out.astype(np.float64)

    def check_X(self, X) -> np.ndarray:
        X = np.ascontiguousarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"X must have shape (n, {self.n_features}); got {X.shape}")
        return X

    def check_model(self, model) -> int:
        if not 0 <= int(model) < self.n_models:
            raise ValueError(f"model must be in [0, {self.n_models - 1}]; got {model}")
        return int(model)

    def check_model_ids(self, model, n: int) -> np.ndarray:
        ids = np.ascontiguousarray(model, dtype=np.int64)
        if ids.shape != (n,) or (ids.size and (ids.min() < 0 or ids.max() >= self.n_models)):
            raise ValueError(f"model ids must have shape ({n},) with values in [0, {self.n_models - 1}]; "
                             f"got shape {ids.shape}")
        return ids


def parse_base_score(text) -> float:
    """xgboost writes ``base_score`` as ``'5.2E1'`` (2.x) or ``'[5.2E1]'`` (3.x)."""
    return float(str(text).strip("[] "))


def _model_json(model) -> dict:
    if isinstance(model, (bytes, bytearray)):
        model = json.loads(model)
    elif isinstance(model, str):
        with open(model, encoding="utf-8") as fh:
            model = json.load(fh)
    return model


def compile_models(models, n_features: int) -> Forest:
    """Compile xgboost JSON models (dicts, JSON bytes or paths) into one :class:`Forest`.

    Raises
    ------
    DataIntegrityError
        When a model is not a single-target ``reg:squarederror`` gbtree with numerical splits.
    """
    feature, threshold, left, default_left, value, roots, depth, model_start, base = ([] for _ in range(9))
    offset = 0
    model_start.append(0)
    for model in models:
        doc = _model_json(model)
        try:
            learner = doc["learner"]
            objective = learner["objective"]["name"]
            booster = learner["gradient_booster"]
            params = learner["learner_model_param"]
            trees = booster["model"]["trees"]
        except (KeyError, TypeError) as exc:
            raise DataIntegrityError(f"not an xgboost JSON model (missing {exc}); re-fit the surrogate") from None
        if booster.get("name") != "gbtree" or objective not in _SUPPORTED_OBJECTIVES:
            raise DataIntegrityError(
                f"only gbtree models with objective {_SUPPORTED_OBJECTIVES} can be compiled; got "
                f"{booster.get('name')!r} with {objective!r}"
            )
        if int(params.get("num_target", 1)) > 1 or int(params.get("num_feature", n_features)) != n_features:
            raise DataIntegrityError(
                f"expected a single-target model over {n_features} features; got num_target="
                f"{params.get('num_target')} and num_feature={params.get('num_feature')}"
            )
        base.append(parse_base_score(params["base_score"]))
        for tree in trees:
            if any(tree.get("split_type", [])):
                raise DataIntegrityError("categorical splits are not supported; fit on numerical features")
            lc = np.asarray(tree["left_children"], dtype=np.int64)
            rc = np.asarray(tree["right_children"], dtype=np.int64)
            leaf = lc == -1
            if np.any(rc[~leaf] != lc[~leaf] + 1):
                raise DataIntegrityError("a tree's right children are not next to its left children; "
                                         "this xgboost layout is not supported")
            own = np.arange(lc.shape[0], dtype=np.int64)
            roots.append(offset)
            depth.append(_depth(lc))
            left.append(np.where(leaf, own, lc) + offset)
            feature.append(np.where(leaf, 0, np.asarray(tree["split_indices"], dtype=np.int64)))
            cond = np.asarray(tree["split_conditions"], dtype=np.float32)
            threshold.append(np.where(leaf, np.float32(np.inf), cond))
            value.append(np.where(leaf, cond, np.float32(0)))
            default_left.append(np.where(leaf, 1, np.asarray(tree["default_left"], dtype=np.uint8)))
            offset += lc.shape[0]
        model_start.append(len(roots))
    if not base:
        raise ValueError("compile_models needs at least one model")

    def cat(parts, dtype):
        return np.ascontiguousarray(np.concatenate(parts).astype(dtype))

    return Forest(
        feature=cat(feature, np.int32), threshold=cat(threshold, np.float32), left=cat(left, np.int32),
        default_left=cat(default_left, np.uint8), value=cat(value, np.float32),
        roots=np.asarray(roots, dtype=np.int32), depth=np.asarray(depth, dtype=np.int32),
        model_start=np.asarray(model_start, dtype=np.int64),
        base=np.asarray(base, dtype=np.float32), n_features=int(n_features),
    )


def _depth(left_children: np.ndarray) -> int:
    """Depth of a tree given its left-children array (right child = left + 1)."""
    depth = np.zeros(left_children.shape[0], dtype=np.int64)
    for node in range(left_children.shape[0]):  # children always have larger ids than parents
        child = left_children[node]
        if child != -1:
            depth[child] = depth[child + 1] = depth[node] + 1
    return int(depth.max())
