"""Scoring a comparison: regret, the leaderboard (one :class:`~strategies.leaderboard.LeaderboardRow`
per strategy), statistics over seeds and the curves the plots draw.

The score is regret where the optimum is known (enumerable benchmarks); otherwise the incumbent's
report value, negated when higher is better, so that lower is better for sorting, ranks and tests
alike. The leaderboard is sorted by the mean final score (by the mean hypervolume in multi-objective
mode), and that order is the one order of the run: rows, pairwise tests, plot legends and panels.

Intervals are percentile bootstraps of the mean over seeds (:class:`~strategies.leaderboard.Bootstrap`,
10,000 resamples drawn from the root seed's own child stream), so they stay within the range of the
values: a regret interval never goes below 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nasbench.errors import NasbenchError
from nasbench.rng import child_seed
from strategies import leaderboard as lb
from strategies.compare_config import CompareConfig
from strategies.history import trajectory
from strategies.task import Task

__all__ = ["CompareResult", "INTERVAL_TEXT", "bootstrap_of", "score"]

_N_TIME_GRID = 200
_BOOTSTRAP_SPAWN_KEY = 0x626F6F74  # "boot": the resamples' own child of the root seed (runs use (i,))
_N_RESAMPLES = 10_000
INTERVAL_TEXT = ("95% percentile-bootstrap interval of the mean over seeds (10,000 resamples from the root "
                 "seed; it stays within the range of the values, so regret intervals never go below 0)")


@dataclass
class CompareResult:
    """Runs and statistics of one comparison.

    Attributes
    ----------
    config : CompareConfig
    task : Task
    histories : dict strategy -> list of History (one per seed)
    paths : dict strategy -> "numba" or "python"
    summary : pandas.DataFrame, one row per (strategy, seed), in config order
    leaderboard : pandas.DataFrame, one row per strategy (:meth:`LeaderboardRow.record` columns), best first
    order : list of str
        The strategies in leaderboard order: every table, test list and plot of the run uses it.
    stats : dict (Friedman, critical difference, pairwise tests)
    curves : dict with the regret-curve grids and bands used by the plots (strategies in ``order``)
    setup : strategies.hardware.HardwareSetup or None
        The constraint / objectives of a hardware-aware comparison (``task`` is then ``setup.task``:
        regret against the best feasible arch).
    """

    config: CompareConfig
    task: Task
    histories: dict
    paths: dict
    summary: object = None
    leaderboard: object = None
    stats: dict = None
    curves: dict = None
    wall_time_s: float = 0.0
    setup: object = None
    order: list = None


def bootstrap_of(config: CompareConfig) -> lb.Bootstrap:
    """The resamples of a run: drawn from the child ``spawn_key=(0x626F6F74,)`` of the root seed."""
    seed = child_seed(config.seed, _BOOTSTRAP_SPAWN_KEY)
    return lb.Bootstrap(config.n_seeds, seed, n_resamples=_N_RESAMPLES)


def score(result: CompareResult) -> None:
    """Fill ``result``'s trajectories, summary (one row per run), leaderboard, order, statistics and curves."""
    import pandas as pd

    config, task, setup = result.config, result.task, result.setup
    names = list(config.strategies)
    _check_nonempty(result)
    result.trajectories = {n: [trajectory(h, task) for h in result.histories[n]] for n in names}
    known = task.best_report is not None
    sign = 1.0 if (known or not task.report_higher_is_better) else -1.0
    boot = bootstrap_of(config)
    runs = _score_runs(result, known, sign, boot)
    rows = _sorted(result, [_board_row(result, j, runs, known, sign, boot) for j in range(len(names))], runs)
    result.order = [r.strategy for r in rows]
    result.leaderboard = pd.DataFrame([r.record() for r in rows])
    result.summary = pd.DataFrame(runs["rows"])
    result.stats = _statistics(result, runs, known, sign)
    result.curves = runs["curves"]
    for key in ("by_evals", "by_time"):
        result.curves[key] = {n: result.curves[key][n] for n in result.order}
    if setup is not None and setup.cost is not None:
        result.curves["fronts"] = _fronts(result, result.order)


def _sorted(result: CompareResult, rows: list, runs: dict) -> list:
    """``rows`` sorted by the mean final score (lower is better), or by the mean hypervolume (higher is
    better) in multi-objective mode; ties by mean rank, then name. Sets each row's ``rank``."""
    names = list(result.config.strategies)
    setup = result.setup
    if setup is not None and setup.multi_objective:
        hv_ranks = lb.rank_matrix(-runs["hv"])
        for row in rows:
            row.extra["hypervolume_mean_rank"] = float(hv_ranks[:, names.index(row.strategy)].mean())
        key = {r.strategy: -r.extra["hypervolume_mean"] for r in rows}
        tie = {r.strategy: r.extra["hypervolume_mean_rank"] for r in rows}
    else:
        key = {n: float(np.mean(runs["final"][:, j])) for j, n in enumerate(names)}
        tie = {r.strategy: r.mean_rank for r in rows}
    rows = sorted(rows, key=lambda r: (key[r.strategy], tie[r.strategy], r.strategy))
    for row, place in zip(rows, lb.competition_ranks([key[r.strategy] for r in rows])):
        row.rank = place
    return rows


def _check_nonempty(result: CompareResult) -> None:
    task = result.task
    for name in result.config.strategies:
        for i, h in enumerate(result.histories[name]):
            if len(h) == 0:
                shortest = (f" (one evaluation on {task.benchmark.name} takes "
                            f"{float(np.min(task.costs[task.search_fidelity])):.0f} s or more)") if task.enumerable else ""
                raise NasbenchError(
                    f"{name} finished no evaluation within the budget on seed {i}; raise max_time_s{shortest}."
                )


def _grids(config: CompareConfig, trajs: dict) -> dict:
    """Evaluation grid, log time grid (from when every run has a result) and linear time grid."""
    every = [t for runs in trajs.values() for t in runs]
    t_end = config.max_time_s if config.max_time_s is not None else max(float(t["end_s"][-1]) for t in every)
    t_first = max(float(t["end_s"][0]) for t in every)  # so each band covers all seeds
    n_eval = config.max_evals if config.max_evals is not None else max(len(t["eval"]) for t in every)
    return {"n_eval": n_eval, "log": np.geomspace(t_first, max(t_end, t_first * 1.0001), _N_TIME_GRID),
            "lin": np.linspace(0.0, t_end, _N_TIME_GRID + 1)[1:]}



def _score_runs(result: CompareResult, known: bool, sign: float, boot: lb.Bootstrap) -> dict:
    """Per run: the summary row, final score, anytime score (AUC), final report, and the curves' bands."""
    config, setup = result.config, result.setup
    names, trajs = list(config.strategies), result.trajectories
    grid = _grids(config, trajs)
    shape = (config.n_seeds, len(names))
    out = {"rows": [], "final": np.empty(shape), "auc": np.empty(shape), "final_report": np.empty(shape),
           "hv": np.full(shape, np.nan),
           "curves": {"evals": np.arange(1, grid["n_eval"] + 1), "time_s": grid["log"], "by_evals": {}, "by_time": {}}}
    for j, name in enumerate(names):
        ev, tm = [], []
        for i, t in enumerate(trajs[name]):
            series = t["regret"] if known else sign * t["incumbent_report"]
            e_curve = lb.regret_on_eval_grid(series, grid["n_eval"])
            ev.append(e_curve * sign)
            tm.append(lb.regret_on_time_grid(t["end_s"], series, grid["log"]) * sign)
            a = lb.normalized_auc(lb.regret_on_time_grid(t["end_s"], series, grid["lin"])) \
                if config.max_time_s is not None else lb.normalized_auc(e_curve)
            out["final"][i, j], out["auc"][i, j], out["final_report"][i, j] = series[-1], a, t["incumbent_report"][-1]
            row = {"strategy": name, "seed": i, "n_evals": int(t["eval"][-1]),
                   "sim_time_s": float(t["end_s"][-1]), "final_regret": float(t["regret"][-1]),
                   "final_report": float(t["incumbent_report"][-1]),
                   "final_incumbent_index": int(t["incumbent_index"][-1]),
                   "auc_regret": float(a) if known else math.nan}
            if not known:
                row.update(final_incumbent_arch=str(t["arch"][t["incumbent_eval"][-1] - 1]), auc_report=float(a * sign))
            if setup is not None:
                row.update(setup.score(result.histories[name][i], t))
                if setup.cost is not None:
                    out["hv"][i, j] = row["hypervolume"]
            out["rows"].append(row)
        out["curves"]["by_evals"][name] = boot.band(np.vstack(ev))
        out["curves"]["by_time"][name] = boot.band(np.vstack(tm))
    out["ranks"] = lb.rank_matrix(out["final"])
    return out


def _board_row(result: CompareResult, j: int, runs: dict, known: bool, sign: float,
               boot: lb.Bootstrap) -> lb.LeaderboardRow:
    """The leaderboard row of strategy ``j`` (config order): means and bootstrap intervals over seeds."""
    name = result.config.strategies[j]
    mine = [r for r in runs["rows"] if r["strategy"] == name]
    row = lb.LeaderboardRow(
        strategy=name, n_seeds=result.config.n_seeds,
        final_report=boot.interval(runs["final_report"][:, j]),
        mean_rank=float(runs["ranks"][:, j].mean()),
        n_evals_mean=float(np.mean([r["n_evals"] for r in mine])),
        sim_time_mean_s=float(np.mean([r["sim_time_s"] for r in mine])))
    if known:
        row.final_regret, row.auc_regret = boot.interval(runs["final"][:, j]), boot.interval(runs["auc"][:, j])
    else:  # report values instead of regret (sign restores the metric's own direction)
        anytime = boot.interval(sign * runs["auc"][:, j])
        row.extra.update(auc_report_mean=anytime.mean, auc_report_ci_low=anytime.low, auc_report_ci_high=anytime.high)
    setup = result.setup
    if setup is not None:
        s = boot.interval([r["final_search"] for r in mine])
        row.extra.update(final_search_mean=s.mean, final_search_ci_low=s.low, final_search_ci_high=s.high,
                         infeasible_evals=int(sum(r["infeasible_evals"] for r in mine)))
        if setup.cost is not None:
            h = boot.interval(runs["hv"][:, j])
            row.extra.update(hypervolume_mean=h.mean, hypervolume_ci_low=h.low, hypervolume_ci_high=h.high)
    return row


def _in_order(result: CompareResult, matrix: np.ndarray) -> np.ndarray:
    """Columns of ``matrix`` (config order) in leaderboard order."""
    names = list(result.config.strategies)
    return matrix[:, [names.index(n) for n in result.order]]


def _statistics(result: CompareResult, runs: dict, known: bool, sign: float) -> dict:
    """Friedman test, Nemenyi critical difference and Holm-adjusted pairwise Wilcoxon tests (every pair,
    in leaderboard order: ``a`` is placed above ``b``)."""
    config, task, setup = result.config, result.task, result.setup
    names, order = list(config.strategies), result.order
    final = _in_order(result, runs["final"])
    cd = lb.critical_difference(config.n_seeds, len(names))
    mean_ranks = {n: float(runs["ranks"][:, names.index(n)].mean()) for n in order}
    stats = {
        "score": "final_regret" if known else (
            f"final {task.report_metric} of the incumbent (no optimum is known; tests use "
            f"{'its negation' if sign < 0 else 'it'}, lower is better)"),
        "order": list(order),
        "interval": INTERVAL_TEXT,
        "auc_axis": "simulated time (linear, 0..max_time_s)" if config.max_time_s is not None
        else "evaluations 1..max_evals",
        "friedman": lb.friedman(final),
        "nemenyi_critical_difference": {"alpha": 0.05, "cd": cd, "mean_ranks": mean_ranks,
                                        "not_significantly_different": _cliques(mean_ranks, cd)},
        "pairwise_wilcoxon": lb.pairwise_wilcoxon(final, order) if known else [
            {**p, "mean_difference": sign * p["mean_difference"],
             "note": f"mean difference of final {task.report_metric} (a - b)"}
            for p in lb.pairwise_wilcoxon(final, order)],
    }
    if setup is None:
        return stats
    search = np.array([[r["final_search"] for r in runs["rows"] if r["strategy"] == name] for name in names]).T
    # higher search value is better: test its negation, so mean_difference is a - b of the negation
    stats["pairwise_wilcoxon_final_search"] = [
        {**p, "mean_difference": -p["mean_difference"], "note": "mean difference of final search values (a - b)"}
        for p in lb.pairwise_wilcoxon(-_in_order(result, search), order)]
    stats["hardware"] = setup.describe()
    if setup.cost is not None:
        hv = _in_order(result, runs["hv"])
        hv_ranks = lb.rank_matrix(-hv)
        hv_mean_ranks = {n: float(hv_ranks[:, j].mean()) for j, n in enumerate(order)}
        stats["hypervolume"] = {
            "score": "relative hypervolume (higher is better; tests use its negation)",
            "friedman": lb.friedman(-hv),
            "nemenyi_critical_difference": {"alpha": 0.05, "cd": cd, "mean_ranks": hv_mean_ranks,
                                            "not_significantly_different": _cliques(hv_mean_ranks, cd)},
            "pairwise_wilcoxon": [{**p, "mean_difference": -p["mean_difference"]}
                                  for p in lb.pairwise_wilcoxon(-hv, order)],
        }
    return stats


def _fronts(result: CompareResult, names) -> dict:
    """Median attainment fronts over seeds (accuracy reached at each cost), for the Pareto plot."""
    from strategies.pareto import attainment

    setup, task = result.setup, result.task
    f = np.flatnonzero(setup.feasible)
    lo, hi = float(np.min(setup.cost[f])), max(setup.reference[1], float(np.min(setup.cost[f])) * 1.0001)
    grid = np.linspace(lo, hi, 400)
    out = {"grid": grid, "by_strategy": {}}
    for name in names:
        runs = np.vstack([attainment(setup.evaluated_at_search_fidelity(h), task.report, setup.cost, grid)
                          for h in result.histories[name]])
        with np.errstate(all="ignore"):
            enough = np.sum(~np.isnan(runs), axis=0) * 2 > runs.shape[0]  # defined for most seeds
            med = np.where(enough, np.nanmedian(np.where(np.isnan(runs), -np.inf, runs), axis=0), np.nan)
        out["by_strategy"][name] = med
    return out


def _cliques(mean_ranks: dict, cd: float) -> list[list[str]]:
    names = sorted(mean_ranks, key=lambda n: (mean_ranks[n], n))
    out, last = [], -1
    for i in range(len(names)):
        j = i
        while j + 1 < len(names) and mean_ranks[names[j + 1]] - mean_ranks[names[i]] < cd:
            j += 1
        if j > i and j > last:
            out.append(names[i:j + 1])
            last = j
    return out

