"""Cross-task transfer: how archs rank across tasks, and whether the best archs of one task help search
on another.

* :func:`correlation_matrices`: for enumerable benchmarks over one space (the 7 TransNAS-Bench-101
  micro tasks, NB201's 3 datasets, NAS-Bench-Graph's 8 datasets that share the 9-layer space), the
  Spearman and Kendall rank correlations of every pair over all archs, and the overlap of their
  top-k sets. Values are taken in each metric's own direction (a lower-is-better metric is negated),
  so +1 always means "the same archs are good".
* :func:`warm_start_comparison`: each strategy cold against the same strategy warm-started
  (:class:`strategies.warm_start.WarmStart`) with the source task's ``k`` best archs, on the target
  task, at equal target budget (the warm archs are evaluations of the target and count), on paired
  seeds with common random numbers. The gain is cold minus warm regret per seed; a Wilcoxon
  signed-rank test says whether it differs from 0.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from nasbench.errors import NasbenchError
from nasbench.rng import child_seeds

__all__ = ["search_metric_of", "correlation_matrices", "top_archs", "warm_start_comparison",
           "correlation_markdown", "warm_start_markdown"]


def search_metric_of(bench) -> str:
    """The metric a search on ``bench`` uses by default: ``valid_acc`` where present, else the first
    higher-is-better metric of the table (TNB: the task's validation metric)."""
    default = bench.default_search_metric()
    if default is not None:
        return default
    for name in bench.metrics:
        if bench.higher_is_better(name):
            return name
    return next(iter(bench.metrics))


def _oriented_column(bench, metric: str | None, fidelity) -> tuple[np.ndarray, str]:
    metric = metric or search_metric_of(bench)
    column = np.array(bench.column(metric, fidelity), dtype=np.float64)
    if np.isnan(column).any():
        raise NasbenchError(f"{bench.name} lacks {metric} for {int(np.isnan(column).sum())} archs; rank correlations "
                            "need every arch: pick a metric with full coverage (`nasbench info`).")
    return (column if bench.higher_is_better(metric) else -column), metric


def _check_same_space(benches) -> None:
    first = benches[0]
    for b in benches:
        if not getattr(b, "enumerable", False):
            raise NasbenchError(f"transfer needs enumerable benchmarks (every arch has a value); {b.name} is not.")
        if type(b.space) is not type(first.space) or b.n_archs != first.n_archs \
                or getattr(b.space, "ops", None) != getattr(first.space, "ops", None):
            raise NasbenchError(f"transfer compares benchmarks over one space; {b.name} ({b.space.name}, {b.n_archs} "
                                f"archs) differs from {first.name} ({first.space.name}, {first.n_archs} archs).")


def correlation_matrices(benches, *, metric: str | None = None, fidelity=None, top_k: int | None = None) -> dict:
    """Rank correlations and top-k overlap of every pair of ``benches``.

    Parameters
    ----------
    benches : sequence of EnumerableBenchmark over one space, length n
    metric : str, optional
        The metric of every benchmark (default: each one's :func:`search_metric_of`).
    fidelity : optional
        Fidelity of that metric (default: its highest).
    top_k : int, optional
        Size of the top sets compared (default: 1% of the archs, at least 10).

    Returns
    -------
    dict with ``names``, ``metrics`` (per benchmark), ``spearman``, ``kendall``, ``top_k_overlap``
    (float64 (n, n); overlap = |top_k(a) & top_k(b)| / k) and ``top_k``.
    """
    benches = list(benches)
    if len(benches) < 2:
        raise NasbenchError(f"transfer needs at least 2 benchmarks; got {len(benches)}.")
    _check_same_space(benches)
    columns, metrics = zip(*(_oriented_column(b, metric, fidelity) for b in benches))
    n_archs = benches[0].n_archs
    k = max(10, n_archs // 100) if top_k is None else int(top_k)
    if not 1 <= k <= n_archs:
        raise NasbenchError(f"--top-k must be in [1, {n_archs}]; got {top_k}.")
    tops = [set(np.argsort(-c, kind="stable")[:k].tolist()) for c in columns]
    n = len(benches)
    spearman, kendall, overlap = np.eye(n), np.eye(n), np.eye(n)
    for i in range(n):
        for j in range(i + 1, n):
            spearman[i, j] = spearman[j, i] = stats.spearmanr(columns[i], columns[j]).statistic
            kendall[i, j] = kendall[j, i] = stats.kendalltau(columns[i], columns[j]).statistic
            overlap[i, j] = overlap[j, i] = len(tops[i] & tops[j]) / k
    return {"names": [b.name for b in benches], "metrics": list(metrics), "spearman": spearman, "kendall": kendall,
            "top_k_overlap": overlap, "top_k": k}


def top_archs(bench, k: int, *, metric: str | None = None, fidelity=None) -> list:
    """The ``k`` best archs of ``bench`` by the mean of ``metric`` (default its search metric), best first."""
    column, _ = _oriented_column(bench, metric, fidelity)
    return [bench.space.from_index(int(i)) for i in np.argsort(-column, kind="stable")[:k]]


def _run(make, task, seed, budget):
    from strategies.history import trajectory
    from strategies.simulator import simulate

    history = simulate(make(seed), task, max_evals=budget)
    regret = np.asarray(trajectory(history, task)["regret"], dtype=np.float64)
    return float(regret[-1]), float(regret.mean())


def warm_start_comparison(source, target, *, strategies, n_seeds: int, budget: int, k: int = 10, seed: int = 0,
                          noise: str = "draw", search_metric: str | None = None) -> dict:
    """Cold against warm-started search on ``target``, warm archs = the ``k`` best of ``source``.

    Returns
    -------
    dict: ``rows`` (one per strategy: cold and warm final regret and anytime regret (mean over the
    budget's evaluations) per seed, the mean gain with its 95% t-interval, Wilcoxon W and p),
    ``warm_archs`` (their target rank and value), ``task`` (the target task's description).
    """
    from strategies.registry import make_strategy
    from strategies.task import Objective, Task
    from strategies.warm_start import WarmStart

    _check_same_space([source, target])
    if not 1 <= k < budget:
        raise NasbenchError(f"--top-k must be in [1, budget - 1] = [1, {budget - 1}]; got {k}.")
    objective = Objective(search_metric=search_metric or search_metric_of(target))
    task = Task(target, objective, noise=noise)
    warm = top_archs(source, k)
    seeds = child_seeds(seed, n_seeds)
    rows = []
    for name in strategies:
        cold_runs = [_run(lambda s: make_strategy(name, task.space, seed=s), task, s, budget) for s in seeds]
        warm_runs = [_run(lambda s: WarmStart(make_strategy(name, task.space, seed=s), warm), task, s, budget)
                     for s in seeds]
        rows.append(_row(name, np.array(cold_runs), np.array(warm_runs)))
    order = np.argsort(-np.where(task.search_sign > 0, task.values[task.search_fidelity],
                                 -task.values[task.search_fidelity]), kind="stable")
    rank_of = np.empty_like(order)
    rank_of[order] = np.arange(order.shape[0])
    indices = task.space.to_indices(warm)[0]
    return {"source": source.name, "target": target.name, "k": k, "budget": budget, "n_seeds": n_seeds, "seed": seed,
            "rows": rows, "task": task.describe(),
            "warm_archs": [{"arch": a.string, "target_rank": int(rank_of[i]) + 1,
                            "target_report": float(task.report[i])} for a, i in zip(warm, indices.tolist())]}


def _row(name, cold, warm) -> dict:
    from strategies.leaderboard import mean_ci

    out = {"strategy": name}
    for j, what in enumerate(("final", "anytime")):
        gain = cold[:, j] - warm[:, j]
        mean, low, high = mean_ci(gain)
        if np.allclose(gain, 0.0):
            w, p = 0.0, 1.0
        else:
            res = stats.wilcoxon(cold[:, j], warm[:, j], zero_method="wilcox")
            w, p = float(res.statistic), float(res.pvalue)
        out[what] = {"cold": cold[:, j].tolist(), "warm": warm[:, j].tolist(), "cold_mean": float(cold[:, j].mean()),
                     "warm_mean": float(warm[:, j].mean()), "gain_mean": mean, "gain_low": low, "gain_high": high,
                     "wilcoxon_w": w, "p": p}
    return out


def _fmt(x: float) -> str:
    return "nan" if math.isnan(x) else f"{x:+.3f}" if abs(x) < 1e3 else f"{x:+.3g}"


def correlation_markdown(result: dict) -> str:
    """The three matrices as markdown tables."""
    names = [n.split("/", 1)[1] for n in result["names"]]
    lines = [f"Metrics: {', '.join(f'{n} {m}' for n, m in zip(result['names'], result['metrics']))}; "
             f"top-k overlap with k = {result['top_k']}."]
    for key, title in (("spearman", "Spearman rank correlation"), ("kendall", "Kendall tau"),
                       ("top_k_overlap", f"Top-{result['top_k']} overlap")):
        lines += ["", f"**{title}**", "", "| | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
        for name, row in zip(names, result[key]):
            lines.append(f"| {name} | " + " | ".join(f"{v:.3f}" for v in row) + " |")
    return "\n".join(lines)


def warm_start_markdown(result: dict) -> str:
    """The cold-vs-warm leaderboard: mean regret, gain (cold - warm) with its interval, Wilcoxon p."""
    task = result["task"]
    lines = [f"Warm start on {result['target']} with the {result['k']} best archs of {result['source']} "
             f"(search {task['search_metric']}, regret on {task['report_metric']}); budget {result['budget']} "
             f"target evaluations (warm archs included), {result['n_seeds']} paired seeds (root seed {result['seed']}). "
             "Gain = cold regret - warm regret (> 0: warm start helps); Wilcoxon signed-rank test over seeds.", "",
             "| strategy | final regret cold | final regret warm | final gain [95% CI] | W | p "
             "| anytime regret cold | anytime warm | anytime gain [95% CI] | p |", "|---" * 10 + "|"]
    for r in result["rows"]:
        f, a = r["final"], r["anytime"]
        lines.append(f"| {r['strategy']} | {f['cold_mean']:.3f} | {f['warm_mean']:.3f} | {_fmt(f['gain_mean'])} "
                     f"[{_fmt(f['gain_low'])}, {_fmt(f['gain_high'])}] | {f['wilcoxon_w']:.1f} | {f['p']:.3g} | "
                     f"{a['cold_mean']:.3f} | {a['warm_mean']:.3f} | {_fmt(a['gain_mean'])} "
                     f"[{_fmt(a['gain_low'])}, {_fmt(a['gain_high'])}] | {a['p']:.3g} |")
    ranks = ", ".join(str(w["target_rank"]) for w in result["warm_archs"])
    lines += ["", f"Ranks of the warm archs on the target by its search metric (1 = best): {ranks}."]
    return "\n".join(lines)
