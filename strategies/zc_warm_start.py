"""Zero-cost warm start: score N random archs by a proxy, start the strategy from the best.

For each seed ``i`` (``SeedSequence(root, spawn_key=(i,))``, the seeds of ``nasbench compare``):

* **cold**: the strategy alone, for ``max_time_s`` simulated seconds on one worker;
* **warm**: ``n_score`` archs drawn uniformly without replacement from the archs with a score
  (a stream of their own, ``spawn_key=(i, 1)``), ranked by the proxy; the ``top_k`` best are the
  first asks of the same strategy with the same seed (:class:`strategies.warm_start.WarmStart`:
  they become its initial population / design). Scoring costs the proxy's compute time of the
  ``n_score`` archs (``zc_<proxy>_time_s`` of the table, or NASLib's recorded seconds), charged on
  the simulated clock: the search starts at that time and stops at ``max_time_s`` like the cold one.

Both runs of a seed share the simulator's noise stream (common random numbers), so the pair is
compared as in the leaderboard: final test regret at ``max_time_s`` and anytime regret (normalized
area under the regret-vs-time curve on a uniform grid of 200 points), each with its mean and 95%
t-interval, the paired difference (warm - cold; negative = warm better) and the two-sided Wilcoxon
signed-rank test (:func:`strategies.leaderboard.pairwise_wilcoxon`).

Only the search values are simulated; the proxy never sees the benchmark's accuracy.
"""

from __future__ import annotations

import numpy as np

from nasbench.errors import MissingValueError, NasbenchError

__all__ = ["proxy_pool", "pick_warm", "warm_cold_pair", "warm_vs_cold", "format_markdown", "plot_curves",
           "N_TIME_GRID"]

N_TIME_GRID = 200
UNDEFINED = -1e8  # NASLib's value of an undefined score


def proxy_pool(bench, proxy: str, *, naslib_dir=None) -> dict:
    """The archs a proxy scored, with their scores and compute seconds.

    Parameters
    ----------
    bench : Benchmark
        An enumerable benchmark.
    proxy : str
        Reads ``zc_<proxy>`` and ``zc_<proxy>_time_s`` of the table, or NASLib's scores of ``proxy``
        when ``naslib_dir`` is given.

    Returns
    -------
    dict
        ``index`` int64 (m,), ``score`` float64 (m,) (-inf: undefined), ``time_s`` float64 (m,),
        ``source`` (text).
    """
    if naslib_dir is not None:
        from strategies.zc_report import naslib_scores

        found = [s for s in naslib_scores(naslib_dir, bench.name) if s["proxy"] == proxy]
        if not found:
            raise NasbenchError(f"NASLib's NB201 file has no scores of {proxy!r}; pick one of grad_norm, snip, grasp, "
                                "fisher, synflow, jacov, nwot, epe_nas, l2_norm, plain, params, flops.")
        index, score, time_s = found[0]["index"], found[0]["score"], found[0]["time"]
        source = f"NASLib's {proxy} scores of its {len(index)} sampled archs (their recorded seconds)"
    else:
        if f"zc_{proxy}" not in bench.metrics or f"zc_{proxy}_time_s" not in bench.metrics:
            raise MissingValueError(f"{bench.name} has no zc_{proxy} with its zc_{proxy}_time_s; run `nasbench zc "
                                    f"compute {bench.name} --proxies {proxy}` first, or pass --naslib DIR.")
        score = np.asarray(bench.column(f"zc_{proxy}"), dtype=np.float64)
        time_s = np.asarray(bench.column(f"zc_{proxy}_time_s"), dtype=np.float64)
        index = np.arange(score.shape[0], dtype=np.int64)
        source = f"zc_{proxy} of {bench.name} (its zc_{proxy}_time_s)"
    keep = ~np.isnan(score) & np.isfinite(time_s)
    score = np.where(score <= UNDEFINED, -np.inf, score)
    return {"index": np.asarray(index, dtype=np.int64)[keep], "score": score[keep],
            "time_s": np.asarray(time_s, dtype=np.float64)[keep], "source": source, "proxy": proxy}


def _checked_pool(pool: dict, bench) -> dict:
    try:
        index = np.asarray(pool["index"], dtype=np.int64)
        score = np.asarray(pool["score"], dtype=np.float64)
        time_s = np.asarray(pool["time_s"], dtype=np.float64)
        source = str(pool["source"])
    except (KeyError, TypeError, ValueError) as exc:
        raise NasbenchError(f"a pool holds index, score, time_s arrays and a source text; got {exc!r}.") from None
    n = bench.n_archs
    if not (index.ndim == score.ndim == time_s.ndim == 1 and index.shape == score.shape == time_s.shape) or (
            index.size and not 0 <= index.min() <= index.max() < n) or np.isnan(score).any() or (
            ~np.isfinite(time_s) | (time_s < 0)).any():
        raise NasbenchError(f"a pool's index (archs 0..{n - 1}), score (no NaN) and time_s (finite, >= 0) must be 1-D "
                            f"arrays of one length; got shapes {index.shape}, {score.shape}, {time_s.shape}.")
    return {"index": index, "score": score, "time_s": time_s, "source": source}


def pick_warm(pool: dict, n_score: int, top_k: int, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """Score ``n_score`` random archs of ``pool``; the ``top_k`` best (ties: first drawn) and the cost.

    Returns
    -------
    best : int64 ndarray, shape (top_k,)
        Arch indices, best first.
    cost_s : float
        Sum of the ``n_score`` archs' proxy seconds.
    """
    m = pool["index"].shape[0]
    for name, value, high in (("n_score", n_score, m), ("top_k", top_k, n_score)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= value <= high:
            raise NasbenchError(f"--{name.replace('_', '-')} must be an int in [1, {high}]; got {value!r}"
                                + (f" ({m} archs have a score)." if name == "n_score" else " (at most --n-score)."))
    chosen = rng.choice(m, size=int(n_score), replace=False)
    order = np.argsort(-pool["score"][chosen], kind="stable")[:top_k]
    return pool["index"][chosen[order]], float(pool["time_s"][chosen].sum())


def _shifted(history, offset: float):
    from strategies.history import History

    return History(history.arch_index, history.fidelity, history.worker, history.start_s + offset,
                   history.end_s + offset, history.value, history.archs)


def warm_cold_pair(task, strategy: str, pool: dict, *, root_seed: int, i: int, n_score: int, top_k: int,
                   max_time_s: float, params: dict | None = None) -> dict:
    """Seed ``i``'s cold and warm runs (module docstring); ``{"cold", "warm"}`` Histories and ``cost_s``."""
    from strategies.registry import make_strategy
    from strategies.simulator import noise_seed_of, simulate
    from strategies.warm_start import WarmStart

    params = params or {}
    seed = np.random.SeedSequence(root_seed, spawn_key=(i,))
    best, cost = pick_warm(pool, n_score, top_k, np.random.default_rng(np.random.SeedSequence(root_seed,
                                                                                              spawn_key=(i, 1))))
    cold = simulate(make_strategy(strategy, task.space, seed=seed, **params), task, max_time_s=max_time_s,
                    noise_seed=noise_seed_of(seed))
    if cost >= max_time_s:
        raise NasbenchError(f"scoring {n_score} archs costs {cost:.3g} s, the whole --time-budget {max_time_s:g} s; "
                            "give a larger --time-budget or a smaller --n-score.")
    inner = make_strategy(strategy, task.space, seed=seed, **params)
    warm = WarmStart(inner, [task.space.from_index(int(a)) for a in best])
    history = simulate(warm, task, max_time_s=max_time_s - cost, noise_seed=noise_seed_of(seed))
    return {"cold": cold, "warm": _shifted(history, cost), "cost_s": cost}


def _scores(history, task, max_time_s: float) -> tuple[float, float, np.ndarray]:
    """Final regret at ``max_time_s``, the normalized area under the regret-vs-time curve, the curve."""
    from strategies.history import trajectory
    from strategies.leaderboard import normalized_auc, regret_on_time_grid

    t = trajectory(history, task)
    grid = np.linspace(max_time_s / N_TIME_GRID, max_time_s, N_TIME_GRID)
    curve = regret_on_time_grid(t["end_s"], t["regret"], grid)
    return float(curve[-1]), normalized_auc(curve), curve


def _strategy_row(task, name: str, pool: dict, *, root_seed: int, n_seeds: int, n_score: int, top_k: int,
                  max_time_s: float, params) -> tuple[dict, dict, dict]:
    """One strategy's paired runs: its result row, per-seed scores and mean regret curves."""
    from strategies.leaderboard import mean_ci, pairwise_wilcoxon
    from strategies.zc_features import paired_effect

    runs = [warm_cold_pair(task, name, pool, root_seed=root_seed, i=i, n_score=n_score, top_k=top_k,
                           max_time_s=max_time_s, params=params) for i in range(n_seeds)]
    if any(len(r[arm]) == 0 for r in runs for arm in ("cold", "warm")):
        raise NasbenchError(f"with --time-budget {max_time_s:g} s a {name} run ends before its first evaluation "
                            f"(scoring {np.mean([r['cost_s'] for r in runs]):.3g} s, then training); give a larger "
                            "--time-budget.")
    got = {arm: [_scores(r[arm], task, max_time_s) for r in runs] for arm in ("cold", "warm")}
    sc = {arm: np.array([g[:2] for g in got[arm]]) for arm in got}
    # mean regret over seeds at each grid time (NaN until every seed has a result)
    curves = {arm: np.mean([g[2] for g in got[arm]], axis=0).tolist() for arm in got}
    row = {"strategy": name, "cost_s": float(np.mean([r["cost_s"] for r in runs])),
           "evals": {arm: float(np.mean([len(r[arm]) for r in runs])) for arm in ("cold", "warm")}}
    for j, key in enumerate(("final", "auc")):
        pair = np.stack([sc["cold"][:, j], sc["warm"][:, j]], axis=1)
        row[key] = {"cold": mean_ci(pair[:, 0]), "warm": mean_ci(pair[:, 1]),
                    "diff": paired_effect(pair[:, 1], pair[:, 0]),
                    "wilcoxon": pairwise_wilcoxon(pair, ["cold", "warm"])[0]}
    return row, {arm: sc[arm].tolist() for arm in sc}, curves


def warm_vs_cold(bench, strategies, proxy: str, *, n_score: int = 100, top_k: int = 10, n_seeds: int = 20,
                 max_time_s: float, root_seed: int = 0, naslib_dir=None, params: dict | None = None,
                 pool: dict | None = None, log=None) -> dict:
    """Cold and zero-cost-warm runs of each strategy over ``n_seeds`` paired seeds.

    Parameters
    ----------
    bench : str or Benchmark
        An enumerable benchmark with ``zc_<proxy>`` (or NB201 CIFAR with ``naslib_dir``).
    strategies : sequence of str
        Strategy names (:func:`strategies.registry.make_strategy`).
    proxy : str
    n_score, top_k : int
        Archs scored by the proxy; the best of them the strategy starts from.
    n_seeds : int
    max_time_s : float
        Simulated seconds of each run, scoring included.
    params : dict, optional
        Strategy name -> its parameters (``--strategy-params STRATEGY.KEY=VALUE``).
    pool : dict, optional
        Scores of one's own instead of the table's or NASLib's: ``index``, ``score``, ``time_s``
        arrays of one length and a ``source`` text, as :func:`proxy_pool` returns them.

    Returns
    -------
    dict
        ``rows``: per strategy ``final`` and ``auc`` dicts (``cold``, ``warm`` as (mean, low, high),
        ``diff`` the paired effect, ``wilcoxon``, ``p_holm``: its p-value Holm-adjusted over all the
        result's tests), ``cost_s`` (mean scoring seconds), ``evals``
        (mean evaluations cold / warm); ``per_seed`` arrays; the settings.
    """
    from nasbench.benchmarks.registry import load
    from strategies.leaderboard import holm
    from strategies.task import Task

    b = load(bench) if isinstance(bench, str) else bench
    unknown = sorted(set(params or {}) - set(strategies))
    if unknown:
        raise NasbenchError(f"--strategy-params name {', '.join(unknown)}, which is not in --strategies "
                            f"{' '.join(strategies)}; give parameters of the compared strategies only.")
    if not getattr(b, "enumerable", hasattr(b, "n_archs")):
        raise NasbenchError(f"the zero-cost warm start needs an enumerable benchmark (a table); got {b.name}.")
    if isinstance(n_seeds, bool) or not isinstance(n_seeds, int) or n_seeds < 2:
        raise NasbenchError(f"the paired statistics need --seeds >= 2; got {n_seeds!r}.")
    pool = proxy_pool(b, proxy, naslib_dir=naslib_dir) if pool is None else _checked_pool(pool, b)
    task = Task(b)
    rows, per_seed, curves = [], {}, {}
    for name in strategies:
        row, per_seed[name], curves[name] = _strategy_row(task, name, pool, root_seed=root_seed, n_seeds=n_seeds,
                                                          n_score=n_score, top_k=top_k, max_time_s=max_time_s,
                                                          params=(params or {}).get(name))
        rows.append(row)
        if log is not None:
            log(f"{name}: final regret cold {row['final']['cold'][0]:.3f}, warm {row['final']['warm'][0]:.3f}")
    # one family of tests: every strategy's final and anytime regret
    adjusted = iter(holm([r[key]["wilcoxon"]["p_value"] for r in rows for key in ("final", "auc")]))
    for r in rows:
        for key in ("final", "auc"):
            r[key]["p_holm"] = next(adjusted)
    return {"bench": b.name, "proxy": proxy, "pool": pool["source"], "pool_size": int(pool["index"].shape[0]),
            "n_score": n_score, "top_k": top_k, "n_seeds": n_seeds, "max_time_s": max_time_s,
            "root_seed": root_seed, "regret": task.describe()["regret"], "rows": rows, "per_seed": per_seed,
            "time_grid_s": np.linspace(max_time_s / N_TIME_GRID, max_time_s, N_TIME_GRID).tolist(), "curves": curves}


def format_markdown(result: dict) -> str:
    """The comparison as a Markdown table (one row per strategy and score)."""
    lines = [f"{result['bench']}: {result['proxy']} warm start ({result['top_k']} best of {result['n_score']} random "
             f"archs, scoring charged) vs cold, {result['max_time_s']:g} simulated s, {result['n_seeds']} paired seeds",
             "", "| strategy | score | cold mean (95% CI) | warm mean (95% CI) | warm - cold (95% CI) | Wilcoxon p "
             "(Holm) | warm better / worse | scoring s | evals cold / warm |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]

    def ci(t):
        return f"{t[0]:.3f} ({t[1]:.3f}, {t[2]:.3f})"

    for r in result["rows"]:
        for key, label in (("final", "final regret"), ("auc", "anytime regret")):
            d = r[key]["diff"]
            lines.append(f"| {r['strategy']} | {label} | {ci(r[key]['cold'])} | {ci(r[key]['warm'])} | "
                         f"{d['mean_diff']:+.3f} ({d['ci95'][0]:+.3f}, {d['ci95'][1]:+.3f}) | "
                         f"{r[key]['wilcoxon']['p_value']:.2g} ({r[key]['p_holm']:.2g}) | {d['losses']} / {d['wins']} | "
                         f"{r['cost_s']:.3g} | "
                         f"{r['evals']['cold']:.0f} / {r['evals']['warm']:.0f} |")
    return "\n".join(lines)


def plot_curves(result: dict, path) -> None:
    """Save a PNG: mean regret vs simulated time of the cold and warm runs, one panel per strategy."""
    from strategies.report import pyplot

    plt = pyplot()
    names = list(result["curves"])
    fig, axes = plt.subplots(1, len(names), figsize=(3.6 * len(names), 3.2), squeeze=False)
    grid = np.asarray(result["time_grid_s"]) / 3600.0
    for ax, name in zip(axes[0], names):
        for arm, style in (("cold", "--"), ("warm", "-")):
            ax.plot(grid, result["curves"][name][arm], style, label=arm)
        ax.set_yscale("log")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("simulated hours (scoring included)", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0][0].set_ylabel("mean test regret (%)", fontsize=8)
    axes[0][0].legend(fontsize=8)
    fig.suptitle(f"{result['bench']}: {result['proxy']} warm start ({result['top_k']} best of {result['n_score']}) vs "
                 f"cold, {result['n_seeds']} seeds", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
