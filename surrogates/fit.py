"""Fitting a surrogate model on arrays: feature rows in, a fitted model out (no spaces, no benchmarks).

:func:`fit_on_arrays` is what :mod:`nasbench.benchmarks.surrogate_fit` and the training backend's
surrogate of its own runs (:mod:`nasbench.training.darts_surrogate`) both call.
"""

from __future__ import annotations

import numpy as np

from nasbench.errors import NasbenchError, choices_text

__all__ = ["SurrogateConfigError", "MODELS", "NOISE_MODELS", "check_model", "fit_on_arrays"]


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


def fit_on_arrays(X, y, *, groups=None, params=None, n_members: int = 5, noise_std: float = 0.0, seed: int = 0,
                  model: str = "xgboost"):
    """Fit a surrogate on feature rows ``X`` (n, d) and targets ``y`` (n,).

    ``model="xgboost"`` (default) fits a :class:`surrogates.BaggedXGBSurrogate`; ``model="mlp"`` a
    :class:`surrogates.mlp.MLPSurrogate` (PyTorch, the ``train`` extra) whose mean is the average of
    ``n_members`` networks (``n_members=0``, "no noise model", gives one network).
    ``groups`` (int array of shape (n,), optional) marks rows that are the same function (isomorphic
    archs): their targets are averaged and one row per group is kept, so duplicates neither weigh
    more nor leak between bootstrap members.
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

        members = 1 if n_members == 0 else n_members
        return MLPSurrogate(params=params, n_members=members, noise_std=noise_std, seed=seed).fit(X, y)
    return BaggedXGBSurrogate(params=params, n_members=n_members, noise_std=noise_std, seed=seed).fit(X, y)
