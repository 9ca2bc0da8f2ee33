"""Leaderboard statistics over seeds: confidence intervals, anytime regret, ranks, Friedman test
with a Nemenyi critical difference, and paired pairwise tests.

All functions are deterministic (no resampling), so the same runs give the same numbers.
Lower regret is better.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

__all__ = ["mean_ci", "regret_on_eval_grid", "regret_on_time_grid", "normalized_auc", "rank_matrix",
           "friedman", "critical_difference", "pairwise_wilcoxon", "holm"]


def mean_ci(x, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of the mean.

    Parameters
    ----------
    x : array-like of shape (n,)
    confidence : float, default 0.95

    Returns
    -------
    mean, low, high : float (low = high = mean when n == 1 or all values are equal)
    """
    x = np.asarray(x, dtype=np.float64)
    mean = float(x.mean())
    if x.shape[0] < 2:
        return mean, mean, mean
    half = float(stats.t.ppf(0.5 + confidence / 2, x.shape[0] - 1) * x.std(ddof=1) / math.sqrt(x.shape[0]))
    return mean, mean - half, mean + half


def regret_on_eval_grid(regret: np.ndarray, n_grid: int) -> np.ndarray:
    """Regret after ``1..n_grid`` evaluations; a shorter run keeps its last value (NaN if empty).

    Parameters
    ----------
    regret : float64 array of shape (n_evals,)
    n_grid : int

    Returns
    -------
    float64 array of shape (n_grid,)
    """
    out = np.full(n_grid, np.nan)
    n = min(regret.shape[0], n_grid)
    out[:n] = regret[:n]
    if 0 < n < n_grid:
        out[n:] = regret[n - 1]
    return out


def regret_on_time_grid(end_s: np.ndarray, regret: np.ndarray, grid_s: np.ndarray) -> np.ndarray:
    """Regret of the incumbent known at each time of ``grid_s`` (NaN before the first result).

    Parameters
    ----------
    end_s : float64 array of shape (n_evals,), non-decreasing completion times
    regret : float64 array of shape (n_evals,)
    grid_s : float64 array of shape (n_grid,)
    """
    k = np.searchsorted(end_s, grid_s, side="right") - 1
    out = np.where(k >= 0, regret[np.maximum(k, 0)] if regret.shape[0] else np.nan, np.nan)
    return out.astype(np.float64)


def normalized_auc(regret_curve: np.ndarray) -> float:
    """Mean of a regret curve on a uniform grid (area under the curve / length of the axis).

    NaN entries at the start (no result yet) take the first defined value; documented in the
    leaderboard so that every strategy is scored on the same axis.
    """
    curve = np.asarray(regret_curve, dtype=np.float64)
    defined = ~np.isnan(curve)
    if not defined.any():
        return math.nan
    first = int(np.argmax(defined))
    curve = curve.copy()
    curve[:first] = curve[first]
    return float(curve.mean())


def rank_matrix(scores: np.ndarray) -> np.ndarray:
    """Ranks of strategies within each seed (1 = lowest score = best; ties get the mean rank).

    Parameters
    ----------
    scores : float64 array of shape (n_seeds, n_strategies)

    Returns
    -------
    float64 array of shape (n_seeds, n_strategies)
    """
    return np.vstack([stats.rankdata(row) for row in scores]) if scores.size else scores.astype(np.float64)


def friedman(scores: np.ndarray) -> dict:
    """Friedman test that all strategies have the same distribution of scores (seeds are blocks).

    Parameters
    ----------
    scores : float64 array of shape (n_seeds, n_strategies), k >= 3 strategies, n >= 2 seeds

    Returns
    -------
    dict with ``statistic`` (chi-square), ``df``, ``p_value``, ``iman_davenport_F`` and its ``p_value_F``
    (or ``{"skipped": reason}`` when it does not apply).
    """
    n, k = scores.shape
    if k < 3 or n < 2:
        return {"skipped": f"the Friedman test needs >= 3 strategies and >= 2 seeds; got {k} and {n}"}
    if np.all(scores == scores[:, :1]):
        return {"statistic": 0.0, "df": k - 1, "p_value": 1.0, "iman_davenport_F": 0.0, "p_value_F": 1.0,
                "note": "all strategies tie on every seed"}
    chi2, p = stats.friedmanchisquare(*scores.T)
    chi2 = float(chi2)
    denom = n * (k - 1) - chi2
    f = (n - 1) * chi2 / denom if denom > 0 else math.inf
    p_f = float(stats.f.sf(f, k - 1, (k - 1) * (n - 1))) if math.isfinite(f) else 0.0
    return {"statistic": chi2, "df": k - 1, "p_value": float(p), "iman_davenport_F": float(f), "p_value_F": p_f}


def critical_difference(n_seeds: int, n_strategies: int, alpha: float = 0.05) -> float:
    """Nemenyi critical difference of mean ranks (Demsar, JMLR 2006):
    ``q_alpha * sqrt(k (k + 1) / (6 N))`` with ``q_alpha`` the studentized range quantile / sqrt(2)."""
    k, n = n_strategies, n_seeds
    if k < 2 or n < 1:
        return math.nan
    q = float(stats.studentized_range.ppf(1 - alpha, k, np.inf)) / math.sqrt(2)
    return q * math.sqrt(k * (k + 1) / (6.0 * n))


def holm(p_values) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the input order."""
    p = np.asarray(p_values, dtype=np.float64)
    order = np.argsort(p, kind="stable")
    m = p.shape[0]
    adjusted = np.empty(m)
    running = 0.0
    for i, j in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[j]))
        adjusted[j] = running
    return adjusted.tolist()


def pairwise_wilcoxon(scores: np.ndarray, names) -> list[dict]:
    """Two-sided Wilcoxon signed-rank test of every pair, paired by seed, Holm-adjusted.

    Seeds pair naturally because every strategy's seed ``i`` uses the same random stream
    (common random numbers). Zero differences are split between ranks (``zero_method="zsplit"``).
    """
    rows = []
    k = scores.shape[1]
    for a in range(k):
        for b in range(a + 1, k):
            d = scores[:, a] - scores[:, b]
            if np.all(d == 0) or scores.shape[0] < 2:
                stat, p = 0.0, 1.0
            else:
                res = stats.wilcoxon(scores[:, a], scores[:, b], zero_method="zsplit")
                stat, p = float(res.statistic), float(res.pvalue)
            rows.append({"a": names[a], "b": names[b], "mean_difference": float(d.mean()),
                         "wilcoxon_W": stat, "p_value": p})
    for row, adj in zip(rows, holm([r["p_value"] for r in rows])):
        row["p_value_holm"] = adj
    return rows
