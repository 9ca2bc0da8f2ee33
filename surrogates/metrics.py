"""Quality of a surrogate's predictions: rank correlations and R2 on held-out archs."""

from __future__ import annotations

import numpy as np

__all__ = ["kendall_tau", "spearman", "r2", "top_kendall_tau", "scores"]


def _pair(y_true, y_pred):
    t = np.asarray(y_true, dtype=np.float64).reshape(-1)
    p = np.asarray(y_pred, dtype=np.float64).reshape(-1)
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred must have the same length; got {t.shape[0]} and {p.shape[0]}")
    if t.shape[0] < 2:
        raise ValueError(f"rank metrics need at least 2 values; got {t.shape[0]}")
    return t, p


def kendall_tau(y_true, y_pred) -> float:
    """Kendall's tau-b between true and predicted values (ties handled as in scipy)."""
    from scipy.stats import kendalltau

    t, p = _pair(y_true, y_pred)
    return float(kendalltau(t, p).statistic)


def spearman(y_true, y_pred) -> float:
    """Spearman's rank correlation between true and predicted values."""
    from scipy.stats import spearmanr

    t, p = _pair(y_true, y_pred)
    return float(spearmanr(t, p).statistic)


def r2(y_true, y_pred) -> float:
    """Coefficient of determination, 1 - SS_res / SS_tot."""
    t, p = _pair(y_true, y_pred)
    ss_tot = float(((t - t.mean()) ** 2).sum())
    return 1.0 - float(((t - p) ** 2).sum()) / ss_tot if ss_tot > 0 else float("nan")


def top_kendall_tau(y_true, y_pred, top: float = 0.1) -> float:
    """Kendall tau among the archs whose *true* value is in the best ``top`` fraction (higher is better)."""
    t, p = _pair(y_true, y_pred)
    k = max(2, int(round(top * t.shape[0])))
    best = np.argsort(-t, kind="stable")[:k]
    return kendall_tau(t[best], p[best])


def scores(y_true, y_pred) -> dict:
    """All four figures as a dict: ``kendall_tau, spearman, r2, top10_kendall_tau, n``."""
    return {
        "kendall_tau": kendall_tau(y_true, y_pred),
        "spearman": spearman(y_true, y_pred),
        "r2": r2(y_true, y_pred),
        "top10_kendall_tau": top_kendall_tau(y_true, y_pred, 0.1),
        "n": int(np.asarray(y_true).size),
    }
