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

from nasbench.checks import is_int
from nasbench.errors import DataIntegrityError

__all__ = ["Forest", "compile_models", "check_forest", "parse_base_score"]

_SUPPORTED_OBJECTIVES = ("reg:squarederror",)


@dataclass(frozen=True)
class Forest:
    """Trees of ``n_models`` boosted models as flat arrays, laid out for a branch-free walk.

    XGBoost allocates the two children of a node next to each other (right = left + 1), which
    the compiler checks; a row steps from ``node`` to ``left[node] + go_right``. A leaf points to
    itself with threshold NaN (so it never moves, whatever the feature, +inf included), which lets
    every walk run exactly ``depth[t]`` steps with no leaf test. :func:`check_forest` validates the
    arrays when a Forest is made, so no kernel can be handed arrays that lead outside them.

    Attributes
    ----------
    feature : ndarray of int32, shape (n_nodes,)
        Split feature of each node (0 at leaves).
    threshold : ndarray of float32, shape (n_nodes,)
        A row goes left when ``x[feature] < threshold``; NaN at leaves (``x >= NaN`` is never true).
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

    def __post_init__(self):
        check_forest(self)

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


def _fail(where: str, expected: str, got) -> None:
    raise DataIntegrityError(f"{where}: expected {expected}; got {got}. The model file is corrupt: re-fit the surrogate.")


def _tree_arrays(tree, n_features: int, where: str) -> tuple:
    """Validated node arrays of one xgboost JSON tree: (lc, cond, split, default_left), all length n."""
    try:
        lc = np.asarray(tree["left_children"], dtype=np.int64)
        rc = np.asarray(tree["right_children"], dtype=np.int64)
        split = np.asarray(tree["split_indices"], dtype=np.int64)
        cond = np.asarray(tree["split_conditions"], dtype=np.float64)
        dleft = np.asarray(tree["default_left"], dtype=np.int64)
        split_type = np.asarray(tree.get("split_type", []), dtype=np.int64)
    except (KeyError, TypeError, ValueError, OverflowError, AttributeError) as exc:
        _fail(where, "an xgboost tree with integer children/split_indices and numeric split_conditions",
              f"unreadable arrays ({' '.join(str(exc).split())[:120]})")
    n = lc.shape[0]
    if lc.ndim != 1 or n < 1 or n >= 1 << 30 or any(a.ndim != 1 or a.shape[0] != n for a in (rc, split, cond, dleft)):
        _fail(where, "1-D node arrays of one common length >= 1",
              f"lengths {[int(a.size) for a in (lc, rc, split, cond, dleft)]}")
    if split_type.size and split_type.any():
        raise DataIntegrityError("categorical splits are not supported; fit on numerical features")
    own = np.arange(n, dtype=np.int64)
    leaf = lc == -1
    inner = ~leaf
    if np.any(inner & ((lc <= own) | (lc + 1 >= n))):  # children come after their parent, inside the tree
        _fail(where, f"left children that are -1 or node ids in (parent, {n - 2}]",
              f"{int(lc[inner & ((lc <= own) | (lc + 1 >= n))][0])}")
    if np.any(rc[inner] != lc[inner] + 1) or np.any(rc[leaf] != -1):
        raise DataIntegrityError(f"{where}: a tree's right children are not next to its left children; this "
                                 "xgboost layout is not supported (re-fit the surrogate)")
    if np.any(inner & ((split < 0) | (split >= n_features))):
        _fail(where, f"split_indices in [0, {n_features - 1}] (n_features)", f"{int(split[inner & ((split < 0) | (split >= n_features))][0])}")
    if not np.all(np.isfinite(cond)) or np.any(np.abs(cond) > np.finfo(np.float32).max):
        _fail(where, "finite float32 split_conditions and leaf values", "a NaN, infinite or out-of-range value")
    if np.any((dleft != 0) & (dleft != 1)):
        _fail(where, "default_left values 0 or 1", f"{sorted(set(dleft.tolist()) - {0, 1})[:3]}")
    return lc, cond, split, dleft


def compile_models(models, n_features: int) -> Forest:
    """Compile xgboost JSON models (dicts, JSON bytes or paths) into one :class:`Forest`.

    Every tree is validated before anything is compiled (children inside the tree and after their
    parent, split features below ``n_features``, finite thresholds and leaf values), and the compiled
    :class:`Forest` validates its arrays again, so the numba walk can never leave its arrays.

    Raises
    ------
    DataIntegrityError
        When a model is not a single-target ``reg:squarederror`` gbtree with numerical splits, or is
        malformed.
    """
    if not is_int(n_features) or not 1 <= n_features < 1 << 24:
        _fail("compile_models", "n_features, an int in [1, 2**24)", repr(n_features))
    feature, threshold, left, default_left, value, roots, depth, model_start, base = ([] for _ in range(9))
    offset = 0
    model_start.append(0)
    for m, model in enumerate(models):
        try:
            doc = _model_json(model)
            learner = doc["learner"]
            objective = learner["objective"]["name"]
            booster = learner["gradient_booster"]
            params = learner["learner_model_param"]
            trees = booster["model"]["trees"]
            num_target = int(params.get("num_target", 1))
            num_feature = int(params.get("num_feature", n_features))
            base_score = parse_base_score(params["base_score"])
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
            raise DataIntegrityError(f"model {m} is not an xgboost JSON model (missing or malformed "
                                     f"{' '.join(str(exc).split())[:80]}); re-fit the surrogate") from None
        if booster.get("name") != "gbtree" or objective not in _SUPPORTED_OBJECTIVES:
            raise DataIntegrityError(
                f"only gbtree models with objective {_SUPPORTED_OBJECTIVES} can be compiled; got "
                f"{booster.get('name')!r} with {objective!r}"
            )
        if num_target > 1 or num_feature != n_features:
            raise DataIntegrityError(
                f"expected a single-target model over {n_features} features; got num_target="
                f"{params.get('num_target')} and num_feature={params.get('num_feature')}"
            )
        if not np.isfinite(base_score) or abs(base_score) > np.finfo(np.float32).max:
            _fail(f"model {m}", "a finite base_score", repr(base_score))
        if not isinstance(trees, list):
            _fail(f"model {m}", "a list of trees", type(trees).__name__)
        base.append(base_score)
        for k, tree in enumerate(trees):
            if not isinstance(tree, dict):
                _fail(f"model {m} tree {k}", "an object", type(tree).__name__)
            lc, cond, split, dleft = _tree_arrays(tree, int(n_features), f"model {m} tree {k}")
            leaf = lc == -1
            own = np.arange(lc.shape[0], dtype=np.int64)
            roots.append(offset)
            depth.append(_depth(lc))
            left.append(np.where(leaf, own, lc) + offset)
            feature.append(np.where(leaf, 0, split))
            # A leaf points to itself with a NaN threshold: `x >= NaN` is False for every x, +inf included
            threshold.append(np.where(leaf, np.float32(np.nan), cond.astype(np.float32)))
            value.append(np.where(leaf, cond, 0.0).astype(np.float32))
            default_left.append(np.where(leaf, 1, dleft))
            offset += lc.shape[0]
            if offset >= 1 << 31:
                _fail("compile_models", "fewer than 2**31 nodes in all", offset)
        model_start.append(len(roots))
    if not base:
        raise ValueError("compile_models needs at least one model")
    if not roots:
        _fail("compile_models", "at least one tree", "none")

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


def check_forest(f: Forest) -> None:
    """Validate compiled arrays before any kernel sees them (see :class:`Forest`).

    Guarantees: every walk from a root moves to a child with a larger id inside the same tree or
    stays on a leaf, every feature index is below ``n_features``, ``depth[t]`` is tree ``t``'s
    deepest leaf's depth (so a walk takes no more steps than the tree needs), values and base scores are finite. So the unchecked numba kernels stay in bounds
    and return what the trees say.

    Raises
    ------
    DataIntegrityError
    """
    where = "compiled forest"
    dtypes = {"feature": np.int32, "threshold": np.float32, "left": np.int32, "default_left": np.uint8,
              "value": np.float32, "roots": np.int32, "depth": np.int32, "model_start": np.int64, "base": np.float32}
    for name, dtype in dtypes.items():
        a = getattr(f, name)
        if not isinstance(a, np.ndarray) or a.dtype != dtype or a.ndim != 1 or not a.flags.c_contiguous:
            _fail(where, f"{name} as a C-contiguous 1-D {np.dtype(dtype).name} array",
                  f"{type(a).__name__} {getattr(a, 'dtype', '')} {getattr(a, 'shape', '')}")
    n = f.feature.shape[0]
    if n < 1 or any(getattr(f, k).shape[0] != n for k in ("threshold", "left", "default_left", "value")):
        _fail(where, "node arrays of one common length >= 1", "different lengths")
    n_trees = f.roots.shape[0]
    if n_trees < 1 or f.depth.shape[0] != n_trees:
        _fail(where, "roots and depth of one common length >= 1", f"{n_trees} and {f.depth.shape[0]}")
    ms = f.model_start
    if ms.shape[0] != f.base.shape[0] + 1 or ms.shape[0] < 2 or ms[0] != 0 or ms[-1] != n_trees \
            or np.any(np.diff(ms) < 0):
        _fail(where, f"model_start rising from 0 to {n_trees} with one entry per model plus one", ms[:8].tolist())
    if not np.all(np.isfinite(f.base)) or not np.all(np.isfinite(f.value)):
        _fail(where, "finite base scores and leaf values", "a NaN or infinite value")
    if not is_int(f.n_features) or f.n_features < 1 \
            or np.any(f.feature < 0) or np.any(f.feature >= f.n_features):
        _fail(where, f"feature indices in [0, n_features={f.n_features})", "one outside")
    roots = f.roots.astype(np.int64)
    if roots[0] != 0 or np.any(np.diff(roots) <= 0) or roots[-1] >= n:
        _fail(where, f"tree roots rising from 0, below {n}", roots[:8].tolist())
    ends = np.append(roots[1:], n)
    tree_of = np.repeat(np.arange(n_trees), ends - roots)  # each node's tree (trees are contiguous)
    own = np.arange(n, dtype=np.int64)
    left = f.left.astype(np.int64)
    leaf = left == own
    inner = ~leaf
    if np.any(inner & ((left <= own) | (left + 1 >= ends[tree_of]))):
        _fail(where, "children after their parent and inside its tree (leaves pointing to themselves)",
              "a child index outside")
    if not np.all(np.isnan(f.threshold[leaf])) or np.any(f.default_left[leaf] != 1) \
            or np.any(np.isnan(f.threshold[inner])) or np.any(f.default_left > 1):
        _fail(where, "NaN thresholds and default_left 1 at leaves, numeric thresholds inside", "other values")
    # node depths in one pass: ids are topologically ordered (children after parents, checked above)
    node_depth = np.zeros(n, dtype=np.int64)
    has_parent = np.zeros(n, dtype=bool)
    depth_list = node_depth.tolist()
    for node, child in zip(own[inner].tolist(), left[inner].tolist()):
        d = depth_list[node] + 1
        depth_list[child] = max(depth_list[child], d)
        depth_list[child + 1] = max(depth_list[child + 1], d)
    node_depth = np.asarray(depth_list, dtype=np.int64)
    has_parent[left[inner]] = True
    has_parent[left[inner] + 1] = True
    if np.any(has_parent[roots]):  # (nodes without a parent elsewhere are never visited: harmless)
        _fail(where, "tree roots that are no node's child", "a root with a parent")
    deepest = np.zeros(n_trees, dtype=np.int64)
    np.maximum.at(deepest, tree_of, node_depth)
    # exactly: a walk runs depth[t] steps, so a larger recorded depth only costs time (2**31 would
    # make one query run for minutes)
    if np.any(f.depth != deepest):
        _fail(where, "depth[t] equal to the depth of tree t's deepest leaf",
              "a tree deeper than its recorded depth" if np.any(f.depth < deepest) else
              "a recorded depth beyond the tree's deepest leaf")
