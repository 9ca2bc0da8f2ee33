"""Fitting a surrogate model on arrays: feature rows in, a fitted model out (no spaces, no benchmarks).

:func:`fit_on_arrays` is what :mod:`nasbench.benchmarks.surrogate_fit` and the training backend's
surrogate of its own runs (:mod:`nasbench.training.darts_surrogate`) both call.
"""

from __future__ import annotations

import math

import numpy as np

from nasbench.checks import is_number
from nasbench.errors import NasbenchError, choices_text

__all__ = ["SurrogateConfigError", "MODELS", "NOISE_MODELS", "XGB_RANGES", "check_model", "check_params",
           "fit_on_arrays"]


class SurrogateConfigError(NasbenchError, ValueError):
    """A surrogate fitting option is out of range (training fraction, split, members)."""


MODELS = {"xgboost": "bagged XGBoost", "mlp": "MLP ensemble"}
NOISE_MODELS = {"xgboost": "random bagged member + Gaussian seed scatter",
                "mlp": "random ensemble member + Gaussian seed scatter"}


def check_model(model) -> str:
    """Validate a surrogate model name: ``"xgboost"`` (the default) or ``"mlp"``."""
    if model not in MODELS:
        raise SurrogateConfigError(f"model must be one of {choices_text(MODELS)}; got {model!r}.")
    return model


# XGBoost settings a caller may change: (kind, low, high, low inclusive); a value outside would make
# XGBoost fail deep in training (or, for n_estimators < 1, produce no trees at all)
XGB_RANGES = {
    "n_estimators": (int, 1, 100_000, True), "max_depth": (int, 1, 64, True),
    "learning_rate": (float, 0.0, 1.0, False), "subsample": (float, 0.0, 1.0, False),
    "colsample_bytree": (float, 0.0, 1.0, False), "min_child_weight": (float, 0.0, 1e6, True),
    "reg_lambda": (float, 0.0, 1e6, True),
}


def check_params(params, model: str = "xgboost", *, what: str = "params"):
    """Validate model settings before fitting: a dict of known settings in range, or None (defaults).

    ``what`` names the argument in the message (the CLI passes ``"--params"``). XGBoost settings are
    checked against :data:`XGB_RANGES`, MLP settings by :mod:`surrogates.mlp`.

    Raises
    ------
    SurrogateConfigError
        Not a dict, an unknown setting, or a value out of its range (the message gives the range).
    """
    if params is None:
        return None
    if not isinstance(params, dict):
        raise SurrogateConfigError(f"{what} must be a dict of model settings or None; got {type(params).__name__}.")
    if check_model(model) == "mlp":
        from surrogates.mlp import _check_params

        try:
            _check_params(params)
        except ValueError as exc:
            raise SurrogateConfigError(f"{what} for the MLP model: {exc}.") from None
        return params
    for key, v in params.items():
        if key not in XGB_RANGES:
            raise SurrogateConfigError(f"{what}: unknown XGBoost setting {key!r}; expected some of {sorted(XGB_RANGES)}.")
        kind, low, high, low_ok = XGB_RANGES[key]
        number = is_number(v) and math.isfinite(v)
        inside = number and (v >= low if low_ok else v > low) and v <= high and (kind is float or float(v).is_integer())
        if not inside:
            raise SurrogateConfigError(f"{what}: {key} must be {'an int' if kind is int else 'a number'} in "
                                       f"{'[' if low_ok else '('}{low:g}, {high:g}]; got {v!r}.")
    return params


def fit_on_arrays(X, y, *, groups=None, params=None, n_members: int = 5, noise_std: float = 0.0, seed: int = 0,
                  model: str = "xgboost", log_target=None):
    """Fit a surrogate on feature rows ``X`` (n, d) and targets ``y`` (n,).

    ``model="xgboost"`` (default) fits a :class:`surrogates.BaggedXGBSurrogate`; ``model="mlp"`` a
    :class:`surrogates.mlp.MLPSurrogate` (PyTorch, the ``train`` extra) whose mean is the average of
    ``n_members`` networks (``n_members=0``, "no noise model", gives one network).
    ``groups`` (int array of shape (n,), optional) marks rows that are the same function (isomorphic
    archs): their targets are averaged and one row per group is kept, so duplicates neither weigh
    more nor leak between bootstrap members. ``log_target`` (XGBoost only): fit the trees on
    ``log(offset + scale * y)`` (:class:`surrogates.BaggedXGBSurrogate`).
    """
    from surrogates import BaggedXGBSurrogate

    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y, dtype=np.float64)
    if groups is not None:
        _, first, inverse = np.unique(np.asarray(groups), return_index=True, return_inverse=True)
        y = np.bincount(inverse, weights=y) / np.bincount(inverse)
        X = X[first]
    if check_model(model) == "mlp":
        from surrogates.mlp import MLPSurrogate

        if log_target is not None:
            raise SurrogateConfigError(f"log_target is an XGBoost option; got log_target={log_target!r} with "
                                       "model='mlp'. Drop it or use model='xgboost'.")
        members = 1 if n_members == 0 else n_members
        return MLPSurrogate(params=params, n_members=members, noise_std=noise_std, seed=seed).fit(X, y)
    return BaggedXGBSurrogate(params=params, n_members=n_members, noise_std=noise_std, seed=seed,
                              log_target=log_target).fit(X, y)
