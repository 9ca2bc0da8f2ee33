"""Leaderboard statistics over seeds and the one leaderboard-row schema.

Confidence intervals (Student t, or a percentile bootstrap of the mean drawn from a given seed),
anytime regret, ranks, Friedman test with a Nemenyi critical difference, paired pairwise tests,
:class:`Interval` / :class:`LeaderboardRow` (the columns every leaderboard shares: compare and
weight-sharing alike) and :func:`markdown_table` (cells escaped, since NB201 arch strings hold ``|``).

Every function is deterministic: the bootstrap resamples come from the seed it is given, so the
same runs give the same numbers. Lower regret is better.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

__all__ = ["mean_ci", "Bootstrap", "Interval", "LeaderboardRow", "competition_ranks", "markdown_table",
           "escape_cell", "regret_on_eval_grid", "regret_on_time_grid", "normalized_auc", "rank_matrix",
           "friedman", "critical_difference", "pairwise_wilcoxon", "pairwise_summary", "holm"]


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


def _quantiles_of_sorted(rows: np.ndarray, q: float) -> np.ndarray:
    """The ``q`` quantile of each sorted row, interpolated linearly (numpy's default percentile method)."""
    pos = q * (rows.shape[1] - 1)
    lo = int(math.floor(pos))
    hi = min(lo + 1, rows.shape[1] - 1)
    return rows[:, lo] + (pos - lo) * (rows[:, hi] - rows[:, lo])


class Bootstrap:
    """Percentile bootstrap of the mean over seeds, one set of resamples for a whole run.

    The resample weights (how often each seed is drawn) are drawn once from ``seed``; every column
    of a leaderboard and every point of a curve reuses them, so the intervals of one run depend on
    nothing but its values and its root seed. A resampled mean is a weighted mean of the observed
    values, so the interval lies within their range: a regret interval never goes below 0 and an
    accuracy interval never above the best value seen.

    Parameters
    ----------
    n_seeds : int >= 1
        Number of values (seeds) each interval is computed from.
    seed : int or numpy.random.SeedSequence
        Where the resamples come from (a child of the run's root seed).
    n_resamples : int, default 10000
    confidence : float, default 0.95
    """

    def __init__(self, n_seeds: int, seed, *, n_resamples: int = 10_000, confidence: float = 0.95):
        from nasbench.rng import as_generator

        self.n_seeds, self.n_resamples, self.confidence = int(n_seeds), int(n_resamples), float(confidence)
        rng = as_generator(seed)
        # (n_resamples, n_seeds) draw counts; each row sums to n_seeds
        self.weights = rng.multinomial(self.n_seeds, np.full(self.n_seeds, 1.0 / self.n_seeds),
                                       size=self.n_resamples).astype(np.float64)

    def band(self, matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean and interval of each column of ``matrix``, shape (n_seeds, n_points) -> 3 x (n_points,).

        NaN entries (no result yet) are left out of a resample's mean; a column with one defined
        value (or one seed) has low = high = mean.
        """
        m = np.asarray(matrix, dtype=np.float64)
        if m.ndim != 2 or m.shape[0] != self.n_seeds:
            raise ValueError(f"expected an array of shape ({self.n_seeds}, n_points); got {m.shape}")
        defined = ~np.isnan(m)
        count = defined.sum(axis=0)
        filled = np.where(defined, m, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(count > 0, filled.sum(axis=0) / np.maximum(count, 1), np.nan)
        if self.n_seeds < 2:
            return mean, mean.copy(), mean.copy()
        tail = 50.0 * (1.0 - self.confidence)
        if defined.all():  # the common case, fast: (n_points, n_resamples), each row sorted
            means = np.sort((filled.T @ self.weights.T) / self.n_seeds, axis=1)
            low, high = _quantiles_of_sorted(means, tail / 100.0), _quantiles_of_sorted(means, 1.0 - tail / 100.0)
        else:  # NaN entries are left out of each resample's mean
            with np.errstate(invalid="ignore", divide="ignore"):
                means = (self.weights @ filled) / (self.weights @ defined)
            with warnings.catch_warnings():  # an all-NaN column is NaN, said by the value itself
                warnings.simplefilter("ignore", RuntimeWarning)
                low, high = np.nanpercentile(means, [tail, 100.0 - tail], axis=0)
        one = count < 2  # nothing to resample: no spread, not an interval of width zero from noise
        return mean, np.where(one, mean, low), np.where(one, mean, high)

    def interval(self, values) -> "Interval":
        """:class:`Interval` of the mean of ``values``, shape (n_seeds,)."""
        x = np.asarray(values, dtype=np.float64).reshape(self.n_seeds, 1)
        mean, low, high = (float(v[0]) for v in self.band(x))
        return Interval(mean, low, high, int((~np.isnan(x)).sum()))


@dataclass(frozen=True)
class Interval:
    """A mean over ``n`` seeds and its interval (low = high = mean when ``n`` < 2)."""

    mean: float
    low: float
    high: float
    n: int

    @classmethod
    def t(cls, values, confidence: float = 0.95) -> "Interval":
        """Student-t interval (:func:`mean_ci`) of ``values``, shape (n,)."""
        x = np.asarray(values, dtype=np.float64)
        return cls(*mean_ci(x, confidence), int(x.shape[0]))

    def text(self, digits: int = 3) -> str:
        """``"m [low, high]"``, or ``"m (1 seed: no interval)"`` with one seed; ``"n/a"`` for NaN."""
        if math.isnan(self.mean):
            return "n/a"
        if self.n < 2:
            return f"{self.mean:.{digits}f} (1 seed: no interval)"
        return f"{self.mean:.{digits}f} [{self.low:.{digits}f}, {self.high:.{digits}f}]"


NAN_INTERVAL = Interval(math.nan, math.nan, math.nan, 0)


@dataclass
class LeaderboardRow:
    """One strategy's line on a leaderboard: the columns every leaderboard shares.

    Parameters
    ----------
    strategy : str
    n_seeds : int
    final_regret, auc_regret, final_report : Interval
        Final regret (NaN interval where no optimum is known), anytime regret (normalised area under
        the regret curve) and the incumbent's final report value, over seeds.
    mean_rank : float
        Mean rank over paired seeds (NaN where the runs are not paired, e.g. weight sharing).
    n_evals_mean, sim_time_mean_s : float
        Evaluations and simulated seconds per run, mean over seeds.
    rank : int
        Place on the sorted leaderboard (1 = best; ties share the place); set when sorted.
    extra : dict
        Further columns of one kind of leaderboard (hypervolume, search value, ...), in order.
    """

    strategy: str
    n_seeds: int
    final_regret: Interval = NAN_INTERVAL
    auc_regret: Interval = NAN_INTERVAL
    final_report: Interval = NAN_INTERVAL
    mean_rank: float = math.nan
    n_evals_mean: float = math.nan
    sim_time_mean_s: float = math.nan
    rank: int = 0
    extra: dict = field(default_factory=dict)

    def record(self) -> dict:
        """The row as CSV columns: ``rank, strategy, n_seeds``, ``<name>_mean/_ci_low/_ci_high`` for each
        interval, ``mean_rank, n_evals_mean, sim_time_mean_s``, then ``extra``."""
        out = {"rank": self.rank, "strategy": self.strategy, "n_seeds": self.n_seeds}
        for name in ("final_regret", "auc_regret", "final_report"):
            iv = getattr(self, name)
            out.update({f"{name}_mean": iv.mean, f"{name}_ci_low": iv.low, f"{name}_ci_high": iv.high})
        out.update(mean_rank=self.mean_rank, n_evals_mean=self.n_evals_mean, sim_time_mean_s=self.sim_time_mean_s)
        out.update(self.extra)
        return out


def competition_ranks(scores) -> list[int]:
    """Places of sorted scores (lower is better): ties share the better place ("1, 2, 2, 4").

    Parameters
    ----------
    scores : array-like of shape (n_strategies,)
    """
    return [int(r) for r in stats.rankdata(np.asarray(scores, dtype=np.float64), method="min")]


def escape_cell(text) -> str:
    """Text for one Markdown table cell: ``|`` escaped (NB201 arch strings hold it), newlines as spaces."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def markdown_table(head, rows) -> list[str]:
    """Lines of a Markdown pipe table with every cell escaped (:func:`escape_cell`)."""
    out = ["| " + " | ".join(escape_cell(h) for h in head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(escape_cell(c) for c in row) + " |" for row in rows]
    return out


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


def pairwise_summary(rows, alpha: float = 0.05) -> str:
    """One line on a list of :func:`pairwise_wilcoxon` rows: how many pairs differ after Holm."""
    n_sig = sum(r["p_value_holm"] < alpha for r in rows)
    return (f"{len(rows)} pair{'s' if len(rows) != 1 else ''}: {n_sig} significant at {alpha:g} after Holm "
            "correction")
