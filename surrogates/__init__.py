"""Surrogate models: fit on (features, target) arrays, predict fast, save without pickles.

This package knows arrays, not search spaces or strategies (``nasbench.benchmarks.surrogate``
wires it to spaces and encodings). xgboost is imported only to fit; a saved model is served by a
compiled numba forest (:mod:`surrogates.forest`). :class:`surrogates.mlp.MLPSurrogate` is the
PyTorch option (an MLP ensemble; torch is imported only to fit and to load, serving is numpy).
"""

from surrogates.forest import Forest, compile_models
from surrogates.metrics import kendall_tau, r2, scores, spearman, top_kendall_tau
from surrogates.mlp import DEFAULT_MLP_PARAMS, MLPSurrogate
from surrogates.xgb import DEFAULT_PARAMS, BaggedXGBSurrogate, NotFittedError, XGBSurrogate

__all__ = [
    "Forest", "compile_models", "kendall_tau", "spearman", "r2", "top_kendall_tau", "scores",
    "DEFAULT_PARAMS", "XGBSurrogate", "BaggedXGBSurrogate", "NotFittedError",
    "DEFAULT_MLP_PARAMS", "MLPSurrogate",
]
