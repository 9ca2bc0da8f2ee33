"""XGBoost regressors with scikit-learn-style fit/predict, served by compiled numba forests.

:class:`XGBSurrogate` is one boosted model. :class:`BaggedXGBSurrogate` adds a noise model: a
bagged ensemble of members fit on bootstrap resamples, so that a seeded query samples a plausible
outcome (a random member's prediction, plus independent noise of ``noise_std`` for the
training-seed scatter the means hide). Both predict through :class:`surrogates.forest.Forest`, so a
loaded model serves predictions without importing xgboost; xgboost is needed to fit, and for
:meth:`XGBSurrogate.predict_xgboost` (the library's own predict, used to check the forest).
"""

from __future__ import annotations

import numpy as np

from nasbench.checks import check_int
from nasbench.errors import NotFittedError
from nasbench.rng import as_generator, child_seeds
from surrogates._deps import require_xgboost
from surrogates.fit import SurrogateConfigError
from surrogates.forest import compile_models

__all__ = ["XGBSurrogate", "BaggedXGBSurrogate", "NotFittedError", "DEFAULT_PARAMS", "check_log_target"]

# Chosen on nb201/cifar10 test_acc at fidelity 200 with 10% of archs for training and the "iso"
# encoding (held-out Kendall tau 0.874; 1000 trees at learning rate 0.05 gain about 0.007 but
# serve 5x slower).
DEFAULT_PARAMS = {
    "n_estimators": 200,
    "learning_rate": 0.1,
    "max_depth": 6,
    "subsample": 0.8,
    "colsample_bytree": 0.5,
    "min_child_weight": 1.0,
    "reg_lambda": 1.0,
}


def check_is_fitted(model, attribute: str = "forest_") -> None:
    if getattr(model, attribute, None) is None:
        raise NotFittedError(
            f"this {type(model).__name__} is not fitted yet; call fit(X, y) or load a saved model first."
        )


def _check_Xy(X, y=None):
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X must be a non-empty 2-D array of shape (n_samples, n_features); got shape {X.shape}")
    if y is None:
        return np.ascontiguousarray(X), None
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X and y must have the same number of rows; got {X.shape[0]} and {y.shape[0]}")
    if not np.isfinite(y).all():
        raise ValueError(f"y must be finite; got {int((~np.isfinite(y)).sum())} NaN or infinite values. "
                         "Drop the archs without a measured value before fitting.")
    return np.ascontiguousarray(X), y


def check_log_target(value):
    """``None`` or a pair ``(offset, scale)`` of finite floats with ``scale != 0`` (as a tuple)."""
    if value is None:
        return None
    try:
        offset, scale = (float(v) for v in value)
    except (TypeError, ValueError):
        raise SurrogateConfigError(f"log_target must be None or a pair (offset, scale) of numbers; got {value!r}.") from None
    if not (np.isfinite(offset) and np.isfinite(scale) and scale != 0):
        raise SurrogateConfigError(f"log_target needs a finite offset and a finite, non-zero scale; got {value!r}.")
    return (offset, scale)


def _xgb_params(params: dict, seed: int) -> tuple[dict, int]:
    p = dict(params)
    n_rounds = int(p.pop("n_estimators"))
    out = {
        "objective": "reg:squarederror", "tree_method": "hist", "nthread": 1, "seed": int(seed),
        "eta": float(p.pop("learning_rate")), "max_depth": int(p.pop("max_depth")),
        "subsample": float(p.pop("subsample")), "colsample_bytree": float(p.pop("colsample_bytree")),
        "min_child_weight": float(p.pop("min_child_weight")), "lambda": float(p.pop("reg_lambda")),
    }
    if p:
        raise ValueError(f"unknown XGBoost parameters {sorted(p)}; expected {sorted(DEFAULT_PARAMS)}")
    return out, n_rounds


def _fit_booster(X, y, params: dict, seed: int, n_threads: int) -> bytes:
    xgb = require_xgboost()
    xparams, n_rounds = _xgb_params(params, seed)
    xparams["nthread"] = int(n_threads)
    booster = xgb.train(xparams, xgb.DMatrix(X, label=y, nthread=int(n_threads)), num_boost_round=n_rounds)
    return bytes(booster.save_raw("json"))


class XGBSurrogate:
    """One gradient-boosted tree model (XGBoost), predicting through a compiled forest.

    Parameters
    ----------
    params : dict, optional
        XGBoost hyperparameters; missing keys take :data:`DEFAULT_PARAMS`.
    seed : int
        Seed of XGBoost's row and column subsampling.
    n_threads : int
        Threads XGBoost may use while fitting (1 keeps results identical across machines).

    Attributes
    ----------
    booster_json_ : bytes
        The fitted model in xgboost's own JSON format.
    forest_ : surrogates.forest.Forest
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((200, 3)); y = 3 * X[:, 0] + X[:, 1]
    >>> model = XGBSurrogate({"n_estimators": 50}).fit(X, y)        # doctest: +SKIP
    >>> model.predict(X[:2]).shape                                   # doctest: +SKIP
    (2,)
    """

    def __init__(self, params: dict | None = None, seed: int = 0, n_threads: int = 1):
        self.params = params
        self.seed = seed
        self.n_threads = n_threads

    def full_params(self) -> dict:
        return {**DEFAULT_PARAMS, **(self.params or {})}

    def fit(self, X, y) -> XGBSurrogate:
        """Fit on ``X`` (n_samples, n_features) and finite targets ``y`` (n_samples,); returns self."""
        X, y = _check_Xy(X, y)
        self.booster_json_ = _fit_booster(X, y, self.full_params(), self.seed, self.n_threads)
        self.n_features_in_ = X.shape[1]
        self.forest_ = compile_models([self.booster_json_], self.n_features_in_)
        return self

    def predict(self, X) -> np.ndarray:
        """Predictions for ``X`` of shape (n, n_features): float64 of shape (n,)."""
        check_is_fitted(self)
        return self.forest_.predict(X)

    def predict_xgboost(self, X) -> np.ndarray:
        """The same predictions computed by xgboost's own ``inplace_predict`` (float32 -> float64)."""
        check_is_fitted(self)
        return _xgboost_predict(self.booster_json_, X)


def _xgboost_predict(booster_json: bytes, X) -> np.ndarray:
    xgb = require_xgboost()
    booster = xgb.Booster(model_file=bytearray(booster_json))
    booster.set_param({"nthread": 1})
    X = np.ascontiguousarray(X, dtype=np.float32)
    return np.asarray(booster.inplace_predict(X), dtype=np.float64)


class BaggedXGBSurrogate:
    """A mean model plus a bagged ensemble whose spread is the noise model.

    Parameters
    ----------
    params : dict, optional
        XGBoost hyperparameters of the mean model and of every member (:data:`DEFAULT_PARAMS`).
    n_members : int
        Members, each fit on a bootstrap resample of the training rows.
    noise_std : float
        Standard deviation of the independent noise added to a sampled prediction (in the target's
        unit), e.g. the scatter of single training seeds around their mean. 0 adds none.
    seed : int
        Root seed: the bootstrap draws and each model's XGBoost seed come from it.
    n_threads : int
    log_target : (offset, scale) or None
        Fit the trees on ``log(offset + scale * y)`` and map predictions back with
        ``(exp(z) - offset) / scale``: ``(100.5, -1)`` models the log of an accuracy's distance
        from 100 % (errors shrink multiplicatively near the cap), ``(0, 1)`` the log of a positive
        time. The mean model then estimates that back-transformed log-mean, not the arithmetic
        mean. None (default) fits ``y`` itself. Every ``offset + scale * y`` must be positive.

    Attributes
    ----------
    booster_jsons_ : list of bytes
        ``[mean, member_1, ..., member_K]`` in xgboost's JSON format.
    forest_ : surrogates.forest.Forest
        Model 0 is the mean model, models 1..K the members.
    n_features_in_ : int
    """

    def __init__(self, params: dict | None = None, n_members: int = 5, noise_std: float = 0.0,
                 seed: int = 0, n_threads: int = 1, log_target=None):
        self.params = params
        self.n_members = n_members
        self.noise_std = noise_std
        self.seed = seed
        self.n_threads = n_threads
        self.log_target = check_log_target(log_target)

    def _forward(self, y: np.ndarray) -> np.ndarray:
        if self.log_target is None:
            return y
        offset, scale = self.log_target
        inside = offset + scale * y
        if not (inside > 0).all():
            bad = y[~(inside > 0)][0]
            raise ValueError(f"log_target {self.log_target} needs {offset} + {scale} * y > 0 for every target; "
                             f"got y = {bad}. Pick an offset beyond the targets' range, or log_target=None.")
        return np.log(inside)

    def _backward(self, z: np.ndarray) -> np.ndarray:
        if self.log_target is None:
            return z
        offset, scale = self.log_target
        return (np.exp(np.minimum(z, 700.0)) - offset) / scale

    def full_params(self) -> dict:
        return {**DEFAULT_PARAMS, **(self.params or {})}

    def fit(self, X, y) -> BaggedXGBSurrogate:
        """Fit the mean model on all rows and each member on a bootstrap resample; returns self."""
        check_int("n_members", self.n_members, 0, error=SurrogateConfigError, hint="0 fits no noise model.")
        if not (np.isfinite(self.noise_std) and self.noise_std >= 0):
            raise ValueError(f"noise_std must be a finite number >= 0; got {self.noise_std!r}")
        X, y = _check_Xy(X, y)
        children = child_seeds(int(self.seed), self.n_members + 1)
        seeds = [int(c.generate_state(1)[0] % (2**31 - 1)) for c in children]
        y = self._forward(y)
        jsons = [_fit_booster(X, y, self.full_params(), seeds[0], self.n_threads)]
        for k in range(self.n_members):
            rows = np.random.default_rng(children[k + 1]).integers(0, X.shape[0], X.shape[0])
            jsons.append(_fit_booster(X[rows], y[rows], self.full_params(), seeds[k + 1], self.n_threads))
        self._set_models(jsons, X.shape[1])
        return self

    def _set_models(self, jsons, n_features: int) -> None:
        self.booster_jsons_ = list(jsons)
        self.n_features_in_ = int(n_features)
        self.forest_ = compile_models(self.booster_jsons_, self.n_features_in_)

    def predict(self, X) -> np.ndarray:
        """Mean-model predictions, float64 of shape (n,)."""
        check_is_fitted(self)
        return self._backward(self.forest_.predict(X, 0))

    def predict_members(self, X) -> np.ndarray:
        """Every member's predictions, float64 of shape (n_members, n)."""
        check_is_fitted(self)
        X = self.forest_.check_X(X)
        if self.forest_.n_models < 2:  # no members: shape (0, n), as documented
            return np.empty((0, X.shape[0]))
        return np.stack([self._backward(self.forest_.predict(X, k)) for k in range(1, self.forest_.n_models)])

    def sample(self, X, seed=None) -> np.ndarray:
        """One plausible outcome per row: a uniformly drawn member's prediction plus
        ``noise_std`` Gaussian noise. Same ``seed`` -> same values. float64 of shape (n,)."""
        check_is_fitted(self)
        X = self.forest_.check_X(X)
        if self.forest_.n_models < 2:
            raise NotFittedError(
                "this model has no ensemble members to sample from (n_members=0); re-fit with n_members >= 1 "
                "or query with seed=None for the mean prediction."
            )
        rng = as_generator(seed)
        members = rng.integers(1, self.forest_.n_models, X.shape[0])
        noise = rng.standard_normal(X.shape[0]) * float(self.noise_std)
        return self._backward(self.forest_.predict(X, members)) + noise

    def predict_xgboost(self, X, model: int = 0) -> np.ndarray:
        """Model ``model``'s predictions by xgboost's own predict (0 = mean model), back-transformed."""
        check_is_fitted(self)
        return self._backward(_xgboost_predict(self.booster_jsons_[model], X))
