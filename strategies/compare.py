"""Compare strategies over many seeds on one benchmark and write a reproducible leaderboard.

:func:`run_compare` runs every strategy on every seed (compiled fast paths where they exist,
Python ask/tell runs spread over worker processes otherwise), then :func:`write_outputs` writes:

``leaderboard.md`` / ``leaderboard.csv``
    per strategy: mean and 95% t-interval of the final test regret and of the anytime regret
    (normalized area under the regret curve), mean rank over seeds, mean final test metric.
``stats.json``
    Friedman test (+ Iman-Davenport F), Nemenyi critical difference of mean ranks, pairwise
    Wilcoxon signed-rank tests (Holm-adjusted).
``regret_vs_evals.png``, ``regret_vs_time.png``, ``critical_difference.png`` (``nasbench[report]``)
``trajectories.parquet``
    every evaluation of every run (pyarrow, ``nasbench[report]``).
``summary.csv``
    one row per (strategy, seed).
``manifest.json``
    package and library versions, benchmark checksums, the config, seeds, the task (metrics,
    fidelities, cost model) and the sha256 of each output; only ``manifest["run"]`` (timestamp,
    wall time) changes between two runs of the same config.

Seeds: seed ``i`` of every strategy is ``SeedSequence(root_seed, spawn_key=(i,))``; all strategies
share seed ``i`` (common random numbers), which pairs the runs for the Friedman and Wilcoxon tests.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import time
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from nasbench.errors import NasbenchError, OptionalDependencyError, UnknownNameError, choices_text
from strategies import leaderboard as lb
from strategies.history import trajectory
from strategies.registry import STRATEGIES, make_strategy
from strategies.task import Objective, Task

__all__ = ["CompareConfig", "CompareResult", "run_compare", "write_outputs", "seed_of", "DEFAULT_STRATEGIES"]

DEFAULT_STRATEGIES = ("random_search", "regularized_evolution", "local_search", "reinforce", "bohb")
DEFAULT_BENCHMARKS = ("nb201/digits", "nb201/cifar10")
_N_TIME_GRID = 200


@dataclass
class CompareConfig:
    """Everything that defines a comparison (and nothing about where it runs).

    Parameters
    ----------
    benchmark : str
        Benchmark name; default: ``nb201/digits`` when available, else ``nb201/cifar10``.
    strategies : tuple of str
    params : dict
        Strategy name -> hyper-parameters (defaults: each class's, which follow the papers).
    n_seeds : int, default 50
    seed : int, default 0
        Root seed.
    max_evals : int or None, default 100
        Budget in evaluations.
    max_time_s : float or None
        Budget in simulated seconds (with or instead of ``max_evals``).
    n_workers : int, default 1
        Parallel asynchronous workers per run, on the simulated clock.
    objective : dict
        :class:`strategies.task.Objective` fields (search/report metric and fidelity, cost metric).
    """

    benchmark: str | None = None
    strategies: tuple = DEFAULT_STRATEGIES
    params: dict = field(default_factory=dict)
    n_seeds: int = 50
    seed: int = 0
    max_evals: int | None = 100
    max_time_s: float | None = None
    n_workers: int = 1
    objective: dict = field(default_factory=dict)

    def __post_init__(self):
        if isinstance(self.strategies, str):
            self.strategies = tuple(s.strip() for s in self.strategies.split(",") if s.strip())
        self.strategies = tuple(self.strategies)
        if not self.strategies:
            raise NasbenchError(f"give at least one strategy; choose from {choices_text(STRATEGIES)}.")
        for s in self.strategies:
            if s not in STRATEGIES:
                raise UnknownNameError(f"unknown strategy {s!r}; expected one of {choices_text(STRATEGIES)}.")
        if len(set(self.strategies)) != len(self.strategies):
            raise NasbenchError(f"each strategy may appear once; got {list(self.strategies)}.")
        for name in self.params:
            if name not in self.strategies:
                raise NasbenchError(
                    f"params are given for {name!r}, which is not among the strategies {list(self.strategies)}."
                )
        for key, low in (("n_seeds", 1), ("seed", 0)):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise NasbenchError(f"{key} must be an int >= {low}; got {value!r}.")
        try:
            Objective(**self.objective)
        except TypeError:
            raise NasbenchError(
                f"objective keys must be among {[f.name for f in fields(Objective)]}; got {sorted(self.objective)}."
            ) from None
        from strategies.simulator import check_budget

        check_budget(self.n_workers, self.max_evals, self.max_time_s)
        if self.benchmark is None:
            self.benchmark = default_benchmark()

    @classmethod
    def from_file(cls, path, **overrides) -> CompareConfig:
        """Read a JSON or TOML config (keys = this class's fields); ``overrides`` win."""
        path = Path(path)
        try:
            text = path.read_text()
        except OSError as exc:
            raise NasbenchError(f"cannot read the config file {path}: {exc.strerror}.") from None
        try:
            data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
        except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
            raise NasbenchError(f"the config file {path} is not valid {'TOML' if path.suffix == '.toml' else 'JSON'}: {exc}.") from None
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise NasbenchError(f"unknown keys {unknown} in {path}; expected keys among {sorted(known)}.")
        data.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**data)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["strategies"] = list(self.strategies)
        return d


def default_benchmark() -> str:
    """``nb201/digits`` (the embedded default) when it is available here, else ``nb201/cifar10``."""
    from nasbench.benchmarks.registry import table_dir

    for name in DEFAULT_BENCHMARKS:
        if table_dir(name) is not None:
            return name
    return DEFAULT_BENCHMARKS[-1]


def seed_of(root: int, i: int) -> np.random.SeedSequence:
    """Seed ``i`` of a comparison with root seed ``root`` (shared by every strategy)."""
    return np.random.SeedSequence(root, spawn_key=(i,))


@dataclass
class CompareResult:
    """Runs and statistics of one comparison.

    Attributes
    ----------
    config : CompareConfig
    task : Task
    histories : dict strategy -> list of History (one per seed)
    paths : dict strategy -> "numba" or "python"
    summary : pandas.DataFrame, one row per (strategy, seed)
    leaderboard : pandas.DataFrame, one row per strategy, best first
    stats : dict (Friedman, critical difference, pairwise tests)
    curves : dict with the regret-curve grids and bands used by the plots
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


# ---------------------------------------------------------------- running
_TASKS: dict = {}


def _task_for(benchmark: str, objective: dict) -> Task:
    key = (benchmark, json.dumps(objective, sort_keys=True))
    if key not in _TASKS:
        import nasbench

        _TASKS[key] = Task(nasbench.load(benchmark), Objective(**objective))
    return _TASKS[key]


def _python_chunk(benchmark, objective, name, params, root, seed_ids, n_workers, max_evals, max_time_s):
    """Run ``name`` for the given seed ids with the Python simulator (in a worker process)."""
    from strategies.simulator import simulate

    task = _task_for(benchmark, objective)
    return [
        simulate(make_strategy(name, task.space, seed=seed_of(root, i), **params), task,
                 n_workers=n_workers, max_evals=max_evals, max_time_s=max_time_s)
        for i in seed_ids
    ]


def run_compare(config: CompareConfig, *, n_jobs: int | None = None, use_fast: bool = True,
                progress=None, task: Task | None = None) -> CompareResult:
    """Run every strategy on every seed and compute the leaderboard.

    Parameters
    ----------
    config : CompareConfig
    n_jobs : int, optional
        Processes for the Python runs (default: up to 2, the CPUs available). Results do not depend on it.
    use_fast : bool, default True
        Use the compiled paths where they exist. Results do not depend on it (tested).
    progress : callable(str) or None
        Receives one line per finished piece of work.
    task : Task, optional
        A resolved task for ``config.benchmark`` (built from the config when None).
    """
    from strategies.fast import run_fast, supports_fast

    t0 = time.perf_counter()
    say = progress or (lambda line: None)
    if task is None:
        task = _task_for(config.benchmark, config.objective)
    for name in config.strategies:  # validate params and space support before running anything
        make_strategy(name, task.space, seed=0, **config.params.get(name, {}))
    if n_jobs is None:
        n_jobs = max(1, min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))
    budget = dict(n_workers=config.n_workers, max_evals=config.max_evals, max_time_s=config.max_time_s)
    histories, paths = {}, {}
    python_jobs = []
    for name in config.strategies:
        params = config.params.get(name, {})
        if use_fast and supports_fast(name, task):
            t = time.perf_counter()
            seeds = [seed_of(config.seed, i) for i in range(config.n_seeds)]
            histories[name] = run_fast(name, task, seeds, params=params, **budget)
            paths[name] = "numba"
            say(f"{name}: {config.n_seeds} seeds (compiled) in {time.perf_counter() - t:.2f} s")
        else:
            paths[name] = "python"
            n_chunks = max(1, min(config.n_seeds, 2 * n_jobs))
            ids = np.array_split(np.arange(config.n_seeds), n_chunks)
            for c, chunk in enumerate(ids):
                python_jobs.append((name, c, [int(i) for i in chunk]))
    if python_jobs:
        results = {}
        args = lambda job: (config.benchmark, config.objective, job[0], config.params.get(job[0], {}),
                            config.seed, job[2], config.n_workers, config.max_evals, config.max_time_s)
        done_seeds = {}
        if n_jobs > 1 and len(python_jobs) > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor, as_completed

            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=n_jobs, mp_context=ctx) as pool:
                futures = {pool.submit(_python_chunk, *args(job)): job for job in python_jobs}
                for fut in as_completed(futures):
                    job = futures[fut]
                    results[(job[0], job[1])] = fut.result()
                    done_seeds[job[0]] = done_seeds.get(job[0], 0) + len(job[2])
                    say(f"{job[0]}: {done_seeds[job[0]]}/{config.n_seeds} seeds")
        else:
            for job in python_jobs:
                _TASKS.setdefault((config.benchmark, json.dumps(config.objective, sort_keys=True)), task)
                results[(job[0], job[1])] = _python_chunk(*args(job))
                done_seeds[job[0]] = done_seeds.get(job[0], 0) + len(job[2])
                say(f"{job[0]}: {done_seeds[job[0]]}/{config.n_seeds} seeds")
        for name in config.strategies:
            if paths[name] == "python":
                chunks = sorted(k for k in results if k[0] == name)
                histories[name] = [h for k in chunks for h in results[k]]
    result = CompareResult(config, task, histories, paths)
    _score(result)
    result.wall_time_s = time.perf_counter() - t0
    return result


# ---------------------------------------------------------------- scoring
def _score(result: CompareResult) -> None:
    import pandas as pd

    config, task = result.config, result.task
    names = list(config.strategies)
    for name in names:
        for i, h in enumerate(result.histories[name]):
            if len(h) == 0:
                raise NasbenchError(
                    f"{name} finished no evaluation within the budget on seed {i}; raise max_time_s "
                    f"(one evaluation on {task.benchmark.name} takes {float(np.min(task.costs[task.search_fidelity])):.0f} s or more)."
                )
    trajs = {n: [trajectory(h, task) for h in result.histories[n]] for n in names}
    result.trajectories = trajs
    time_axis = config.max_time_s is not None
    t_end = config.max_time_s if time_axis else max(float(t["end_s"][-1]) for n in names for t in trajs[n])
    # the time axis starts when every run has a result, so each band covers all seeds
    t_first = max(float(t["end_s"][0]) for n in names for t in trajs[n])
    log_grid = np.geomspace(t_first, max(t_end, t_first * 1.0001), _N_TIME_GRID)
    lin_grid = np.linspace(0.0, t_end, _N_TIME_GRID + 1)[1:]
    n_eval_grid = config.max_evals if config.max_evals is not None else max(len(t["eval"]) for n in names for t in trajs[n])
    eval_grid = np.arange(1, n_eval_grid + 1)
    rows, final, auc = [], np.empty((config.n_seeds, len(names))), np.empty((config.n_seeds, len(names)))
    curves = {"evals": eval_grid, "time_s": log_grid, "by_evals": {}, "by_time": {}}
    for j, name in enumerate(names):
        ev, tm = [], []
        for i, t in enumerate(trajs[name]):
            e_curve = lb.regret_on_eval_grid(t["regret"], n_eval_grid)
            ev.append(e_curve)
            tm.append(lb.regret_on_time_grid(t["end_s"], t["regret"], log_grid))
            a = lb.normalized_auc(lb.regret_on_time_grid(t["end_s"], t["regret"], lin_grid)) if time_axis \
                else lb.normalized_auc(e_curve)
            final[i, j] = t["regret"][-1]
            auc[i, j] = a
            rows.append({"strategy": name, "seed": i, "n_evals": int(t["eval"][-1]),
                         "sim_time_s": float(t["end_s"][-1]), "final_regret": float(t["regret"][-1]),
                         "final_report": float(t["incumbent_report"][-1]),
                         "final_incumbent_index": int(t["incumbent_index"][-1]), "auc_regret": float(a)})
        curves["by_evals"][name] = _band(np.vstack(ev))
        curves["by_time"][name] = _band(np.vstack(tm))
    ranks = lb.rank_matrix(final)
    board = []
    for j, name in enumerate(names):
        f, a = lb.mean_ci(final[:, j]), lb.mean_ci(auc[:, j])
        board.append({
            "strategy": name, "n_seeds": config.n_seeds,
            "final_regret_mean": f[0], "final_regret_ci_low": f[1], "final_regret_ci_high": f[2],
            "auc_regret_mean": a[0], "auc_regret_ci_low": a[1], "auc_regret_ci_high": a[2],
            "mean_rank": float(ranks[:, j].mean()),
            "final_report_mean": float(np.mean([r["final_report"] for r in rows if r["strategy"] == name])),
            "n_evals_mean": float(np.mean([r["n_evals"] for r in rows if r["strategy"] == name])),
            "sim_time_mean_s": float(np.mean([r["sim_time_s"] for r in rows if r["strategy"] == name])),
        })
    board.sort(key=lambda r: (r["mean_rank"], r["final_regret_mean"], r["strategy"]))
    result.leaderboard = pd.DataFrame(board)
    result.summary = pd.DataFrame(rows)
    cd = lb.critical_difference(config.n_seeds, len(names))
    mean_ranks = {n: float(ranks[:, j].mean()) for j, n in enumerate(names)}
    result.stats = {
        "score": "final_regret",
        "auc_axis": "simulated time (linear, 0..max_time_s)" if time_axis else "evaluations 1..max_evals",
        "friedman": lb.friedman(final),
        "nemenyi_critical_difference": {"alpha": 0.05, "cd": cd, "mean_ranks": mean_ranks,
                                        "not_significantly_different": _cliques(mean_ranks, cd)},
        "pairwise_wilcoxon": lb.pairwise_wilcoxon(final, names),
    }
    result.curves = curves


def _band(matrix: np.ndarray):
    n = matrix.shape[0]
    mean = np.nanmean(matrix, axis=0) if not np.isnan(matrix).all() else np.full(matrix.shape[1], np.nan)
    if n < 2:
        return mean, mean, mean
    from scipy import stats

    count = np.sum(~np.isnan(matrix), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(np.nansum((matrix - mean) ** 2, axis=0) / np.maximum(count - 1, 1))
        half = stats.t.ppf(0.975, np.maximum(count - 1, 1)) * sd / np.sqrt(np.maximum(count, 1))
    return mean, mean - half, mean + half


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


# ---------------------------------------------------------------- output
def leaderboard_markdown(result: CompareResult) -> str:
    """The leaderboard as a Markdown table plus the Friedman line."""
    c, task = result.config, result.task
    budget = " and ".join(
        ([f"{c.max_evals} evaluations"] if c.max_evals is not None else [])
        + ([f"{c.max_time_s:g} simulated s"] if c.max_time_s is not None else []))
    lines = [
        f"## {c.benchmark}: {len(c.strategies)} strategies x {c.n_seeds} seeds, budget {budget}, "
        f"{c.n_workers} worker{'s' if c.n_workers > 1 else ''}",
        "",
        f"Search on {task.objective.search_metric} at fidelity {task.search_fidelity}; regret = "
        f"{task.best_report:.3f} (best {task.objective.report_metric} at fidelity {task.report_fidelity}) "
        f"- {task.objective.report_metric} of the incumbent. Mean [95% t-interval] over seeds; lower is better; "
        f"sorted by mean rank of final regret.",
        "",
        "| # | strategy | final regret | anytime regret (AUC) | mean rank | final test | evals |",
        "|---|---|---|---|---|---|---|",
    ]
    for k, r in enumerate(result.leaderboard.itertuples(), start=1):
        lines.append(
            f"| {k} | {r.strategy} | {r.final_regret_mean:.3f} [{r.final_regret_ci_low:.3f}, {r.final_regret_ci_high:.3f}] "
            f"| {r.auc_regret_mean:.3f} [{r.auc_regret_ci_low:.3f}, {r.auc_regret_ci_high:.3f}] "
            f"| {r.mean_rank:.2f} | {r.final_report_mean:.3f} | {r.n_evals_mean:.0f} |"
        )
    fr = result.stats["friedman"]
    cd = result.stats["nemenyi_critical_difference"]
    lines.append("")
    if "skipped" in fr:
        lines.append(f"Friedman test: skipped ({fr['skipped']}).")
    else:
        lines.append(
            f"Friedman test on final regret: chi2({fr['df']}) = {fr['statistic']:.3f}, p = {fr['p_value']:.3g}; "
            f"Nemenyi critical difference of mean ranks (alpha 0.05) = {cd['cd']:.3f}."
        )
    for p in result.stats["pairwise_wilcoxon"]:
        if len(result.stats["pairwise_wilcoxon"]) <= 10:
            lines.append(
                f"- {p['a']} vs {p['b']}: mean difference {p['mean_difference']:+.3f}, Wilcoxon W = "
                f"{p['wilcoxon_W']:.1f}, p = {p['p_value']:.3g} (Holm {p['p_value_holm']:.3g})"
            )
    return "\n".join(lines) + "\n"


def _trajectory_table(result: CompareResult):
    cols: dict[str, list] = {}
    for name in result.config.strategies:
        for i, t in enumerate(result.trajectories[name]):
            n = len(t["eval"])
            cols.setdefault("strategy", []).append(np.array([name] * n, dtype=object))
            cols.setdefault("seed", []).append(np.full(n, i, dtype=np.int64))
            for k, v in t.items():
                cols.setdefault(k, []).append(v)
    return {k: np.concatenate(v) for k, v in cols.items()}


def write_outputs(result: CompareResult, out_dir, *, plots: bool = True, parquet: bool = True) -> dict:
    """Write the result files into ``out_dir``; returns ``{file: sha256}`` (manifest excluded).

    A missing optional library (matplotlib, pyarrow) skips its files with a note in the manifest.
    """
    import nasbench

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written, skipped = {}, {}

    def put(name, data: bytes):
        (out / name).write_bytes(data)
        written[name] = hashlib.sha256(data).hexdigest()

    put("leaderboard.md", leaderboard_markdown(result).encode())
    put("leaderboard.csv", result.leaderboard.to_csv(index=False, float_format="%.6f", lineterminator="\n").encode())
    put("summary.csv", result.summary.to_csv(index=False, float_format="%.6f", lineterminator="\n").encode())
    put("stats.json", (json.dumps(_jsonable(result.stats), indent=1, sort_keys=True) + "\n").encode())
    if parquet:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            skipped["trajectories.parquet"] = 'pyarrow is not installed: pip install "nasbench[report]"'
        else:
            table = pa.table(_trajectory_table(result))
            buf = io.BytesIO()
            pq.write_table(table, buf, compression="zstd")
            put("trajectories.parquet", buf.getvalue())
    if plots:
        try:
            from strategies import report

            report.pyplot()
        except OptionalDependencyError:
            for f in ("regret_vs_evals.png", "regret_vs_time.png", "critical_difference.png"):
                skipped[f] = 'matplotlib is not installed: pip install "nasbench[report]"'
        else:
            c, task = result.config, result.task
            label = f"regret of {task.objective.report_metric} (pp)"
            title = f"{c.benchmark}, {c.n_seeds} seeds, mean and 95% CI"
            report.plot_curves(out / "regret_vs_evals.png", result.curves["evals"], result.curves["by_evals"],
                               xlabel="evaluations", ylabel=label, title=title)
            report.plot_curves(out / "regret_vs_time.png", result.curves["time_s"], result.curves["by_time"],
                               xlabel="simulated time (s)", ylabel=label, title=title, logx=True)
            cd = result.stats["nemenyi_critical_difference"]
            report.plot_critical_difference(out / "critical_difference.png", cd["mean_ranks"], cd["cd"],
                                            title=f"mean rank of final regret, {c.n_seeds} seeds (Nemenyi, alpha 0.05)")
            for f in ("regret_vs_evals.png", "regret_vs_time.png", "critical_difference.png"):
                written[f] = hashlib.sha256((out / f).read_bytes()).hexdigest()
    manifest = {
        "format": "nasbench-compare",
        "format_version": 1,
        "nasbench_version": nasbench.__version__,
        "versions": _versions(),
        "config": result.config.to_dict(),
        "seeds": {"root": result.config.seed, "n_seeds": result.config.n_seeds,
                  "scheme": "seed i of every strategy = numpy SeedSequence(root, spawn_key=(i,)) "
                            "(common random numbers across strategies)"},
        "benchmark": _benchmark_checksums(result.task),
        "task": _jsonable(result.task.describe()),
        "strategies": {
            n: {"class": STRATEGIES[n], "params": make_strategy(n, result.task.space, seed=0,
                                                                 **result.config.params.get(n, {})).params(),
                "path": result.paths[n]}
            for n in result.config.strategies
        },
        "outputs": dict(sorted(written.items())),
        "skipped": skipped,
        "run": {"created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "wall_time_s": round(result.wall_time_s, 3)},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return written


def _benchmark_checksums(task: Task) -> dict:
    bench = task.benchmark
    info = {"name": bench.name}
    table = getattr(bench, "table", None)
    if table is not None:
        path = Path(table.directory) / "manifest.json"
        info["manifest_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
        used = {task.objective.search_metric, task.objective.report_metric, task.objective.cost_metric}
        info["files_sha256"] = {
            f"{m}.{kind}": entry["sha256"]
            for m in sorted(used) if m in table.metrics
            for kind, entry in sorted(table.metrics[m].files.items())
        }
    return info


def _versions() -> dict:
    import platform

    out = {"python": platform.python_version()}
    for mod in ("numpy", "numba", "scipy", "pandas", "pyarrow", "matplotlib"):
        try:
            out[mod] = __import__(mod).__version__
        except ImportError:
            out[mod] = None
    return out


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        return v if math.isfinite(v) else str(v)
    return obj
