"""Running a comparison: the per-process task cache, run jobs, their dispatch and the equal-cost budget.

Every (strategy, seed) run depends only on names and numbers (:class:`RunJob`), so it can run in
this process, a spawned worker or a Ray task. A worker builds the task and the hardware setup once
per process from their identity (:func:`task_key`: benchmark name, objective, noise mode and data
root), never from an object id, so the same identity gives the same cached objects everywhere.

Seeds: seed ``i`` of every strategy is :func:`seed_of` ``(root, i)``; all strategies share seed ``i``
(common random numbers), which pairs the runs for the Friedman and Wilcoxon tests.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, replace

import numpy as np

from nasbench.errors import NasbenchError
from nasbench.rng import child_seed
from nasbench.timing import Stopwatch
from strategies.compare_config import CompareConfig
from strategies.registry import ensure_importable, import_root, make_strategy, resolve, strategy_class
from strategies.task import Objective, Task

__all__ = ["RunJob", "default_n_jobs", "dispatch_runs", "equal_cost", "hardware_key", "make_for_run",
           "relative_cost", "run_all", "run_job", "seed_of", "setup_for", "task_for", "task_key", "use_task"]

_EQUAL_COST_SPAWN_KEY = 0x65716C  # "eql": the stream that draws archs to estimate a typical cost

# per process: task identity -> Task, and (task identity, hardware) -> HardwareSetup
_TASKS: dict = {}
_SETUPS: dict = {}


def seed_of(root: int, i: int) -> np.random.SeedSequence:
    """Seed ``i`` of a comparison with root seed ``root`` (shared by every strategy)."""
    return child_seed(root, i)


def task_key(benchmark: str, objective: dict, noise: str) -> tuple:
    """The identity of a task: what it is built from, hashable (the cache key in every process)."""
    # the data root is part of the key: one name may be another table after NASBENCH_DATA changes
    from nasbench.paths import data_root

    return (benchmark, json.dumps(objective, sort_keys=True), noise, str(data_root()))


def task_for(benchmark: str, objective: dict, noise: str = "draw") -> Task:
    """The :class:`~strategies.task.Task` of these names, built once per process."""
    key = task_key(benchmark, objective, noise)
    if key not in _TASKS:
        from nasbench.benchmarks.registry import load

        _TASKS[key] = Task(load(benchmark), Objective(**objective), noise=noise)
    return _TASKS[key]


def use_task(config: CompareConfig, task: Task) -> None:
    """Make ``task`` the one this process uses for ``config``'s identity (a cached one of the same name
    may be another table); the hardware setups built on a previous task of that identity are dropped."""
    key = task_key(config.benchmark, config.objective, task.noise)
    if _TASKS.get(key) is not task:
        _TASKS[key] = task
        for stale in [k for k in _SETUPS if k[0] == key]:
            del _SETUPS[stale]


def hardware_key(config: CompareConfig) -> tuple:
    """``(constraint, objectives, hv_reference)`` of ``config``, hashable; all None without hardware."""
    return (config.constraint, config.objectives, None if config.hv_reference is None else tuple(config.hv_reference))


def setup_for(key: tuple, hardware: tuple):
    """The :class:`~strategies.hardware.HardwareSetup` of the task with identity ``key`` (cached per
    process), or None without a constraint or objectives."""
    if hardware == (None, None, None):
        return None
    if (key, hardware) not in _SETUPS:
        from strategies.hardware import HardwareSetup

        _SETUPS[key, hardware] = HardwareSetup(_TASKS[key], *hardware)
    return _SETUPS[key, hardware]


def make_for_run(name: str, task: Task, setup, seed, params: dict):
    """Strategy ``name`` (a name or a :func:`~strategies.registry.resolve` spec) for one run: plain, or
    constrained / multi-objective through ``setup``. Strategies that take a ``cost`` column (Optuna's
    multi-objective samplers, pareto_evolution) get the objectives' cost (:meth:`HardwareSetup.make`)."""
    if setup is None:
        return make_strategy(name, task.space, seed=seed, **params)
    return setup.make(name, seed, params)


@dataclass(frozen=True)
class RunJob:
    """Runs of one strategy for some seeds with the Python simulator: one unit of dispatched work.

    Picklable and self-contained (it names the benchmark, not a loaded task), so it can run in any
    process; its results depend only on its fields.
    """

    benchmark: str
    objective: dict
    hardware: tuple
    strategy: str
    params: dict
    root_seed: int
    seed_ids: tuple
    n_workers: int
    max_evals: int | None
    max_time_s: float | None
    noise: str = "draw"
    # what the worker builds: the strategy's import path or optuna: spec (strategies.registry.resolve), so a
    # strategy named by an entry point or registered in the parent needs no registry in the worker
    strategy_path: str | None = None
    # the sys.path folder of a strategy module that is not installed (Ray workers do not share sys.path)
    strategy_root: str | None = None




def run_job(job: RunJob) -> list:
    """Run ``job`` (in any process); returns one History per seed id, in order."""
    from strategies.simulator import noise_seed_of, simulate

    task = task_for(job.benchmark, job.objective, job.noise)
    setup = setup_for(task_key(job.benchmark, job.objective, job.noise), job.hardware)
    name = job.strategy_path or job.strategy
    ensure_importable(job.strategy_root)
    return [
        simulate(make_for_run(name, task, setup, seed_of(job.root_seed, i), job.params), task,
                 n_workers=job.n_workers, max_evals=job.max_evals, max_time_s=job.max_time_s,
                 noise_seed=noise_seed_of(seed_of(job.root_seed, i)))
        for i in job.seed_ids
    ]



def dispatch_runs(jobs: list, *, n_jobs: int, say, executor=None) -> list:
    """Run every :class:`RunJob`, serially or over ``n_jobs`` spawned processes; results in job order.

    This is the only place where per-(strategy, seed) runs are handed to workers. With an
    ``executor`` (:mod:`strategies.executors`, e.g. Ray) the jobs go to it instead of ``n_jobs``.
    """
    results: list = [None] * len(jobs)
    advance = getattr(say, "advance", None)  # a progress bar (strategies._progress) counts seeds
    if executor is not None:
        for k, value in enumerate(executor.map(run_job, jobs)):  # in job order, whatever finished first
            results[k] = value
            if advance is not None:
                advance(jobs[k].strategy, len(jobs[k].seed_ids))
            else:
                say(f"{jobs[k].strategy}: seeds {list(jobs[k].seed_ids)} done")
        return results
    done_seeds: dict = {}

    def finished(k, value):
        results[k] = value
        job = jobs[k]
        done_seeds[job.strategy] = done_seeds.get(job.strategy, 0) + len(job.seed_ids)
        if advance is not None:
            advance(job.strategy, len(job.seed_ids))
        else:
            say(f"{job.strategy}: {done_seeds[job.strategy]} seeds done")

    if n_jobs > 1 and len(jobs) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        ctx = multiprocessing.get_context("spawn")
        # the costliest strategies first, so the pool does not end on one long run (order does not change results)
        order = sorted(range(len(jobs)), key=lambda k: -relative_cost(jobs[k].strategy_path or jobs[k].strategy))
        with ProcessPoolExecutor(max_workers=n_jobs, mp_context=ctx) as pool:
            futures = {pool.submit(run_job, jobs[k]): k for k in order}
            for fut in as_completed(futures):
                finished(futures[fut], fut.result())
    else:
        for k, job in enumerate(jobs):
            finished(k, run_job(job))
    return results


def relative_cost(name: str) -> float:
    """Expected cost of one run of strategy ``name`` relative to a plain one (the class's ``relative_cost``)."""
    try:
        return float(getattr(strategy_class(name), "relative_cost", 1.0))
    except NasbenchError:
        return 1.0



def equal_cost(config: CompareConfig, task: Task, say) -> CompareConfig:
    """``config`` with an evaluation budget turned into the equal simulated-time budget (see
    :class:`CompareConfig`, ``equal_cost``) when a multi-fidelity strategy takes part; else unchanged."""
    multi = [s for s in config.strategies if strategy_class(s).multi_fidelity]
    if not (config.equal_cost and multi and config.max_time_s is None and len(task.fidelities) > 1):
        return config
    if task.enumerable:
        median = float(np.median(task.costs[task.search_fidelity]))
    elif task.benchmark.live:  # estimating a typical cost would train networks nobody asked for
        say(f"equal cost is not applied on {task.benchmark.name} (live training): give --time-budget")
        return config
    else:  # drawn on a stream of its own, so the runs' streams stay untouched
        rng = np.random.default_rng(child_seed(config.seed, _EQUAL_COST_SPAWN_KEY))
        median, _ = task.benchmark.median_cost(task.search_fidelity, metric=task.objective.search_metric, rng=rng)
    seconds = float(f"{config.max_evals * median:.6g}")
    say(f"equal cost: {', '.join(multi)} evaluate at lower fidelities, so every strategy gets {seconds:g} "
        f"simulated s ({config.max_evals} x the median {median:.4g} s of one evaluation at fidelity "
        f"{task.search_fidelity}) instead of {config.max_evals} evaluations")
    resolved = replace(config, max_evals=None, max_time_s=seconds, equal_cost=False)
    resolved.equal_cost_from = {"max_evals": config.max_evals, "median_cost_s": median,
                                "multi_fidelity_strategies": multi}
    return resolved

def default_n_jobs() -> int:
    """Processes for the Python runs when none is given: up to 2, the CPUs this process may use."""
    n_cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(2, n_cpus))


def run_all(config: CompareConfig, task: Task, setup, *, n_jobs: int, use_fast: bool, say,
            executor=None) -> tuple[dict, dict]:
    """Every strategy on every seed: ``(histories, paths)``, strategy -> list of History (seed order)
    and strategy -> ``"numba"`` (compiled, in this process) or ``"python"`` (dispatched jobs).

    ``config`` is resolved (:func:`equal_cost` applied); ``setup`` is the hardware setup or None.
    Results depend neither on ``n_jobs`` nor on ``use_fast`` nor on ``executor``.
    """
    from strategies.fast import run_fast, supports_fast

    budget = dict(n_workers=config.n_workers, max_evals=config.max_evals, max_time_s=config.max_time_s)
    hardware = hardware_key(config)
    constrained = setup is not None and setup.constrained
    histories, paths, jobs = {}, {}, []
    for name in config.strategies:
        params = config.params.get(name, {})
        if use_fast and not constrained and supports_fast(name, task):
            clock = Stopwatch()
            seeds = [seed_of(config.seed, i) for i in range(config.n_seeds)]
            histories[name] = run_fast(name, task, seeds, params=params, **budget)
            paths[name] = "numba"
            say(f"{name}: {config.n_seeds} seeds (compiled) in {clock.wall_s:.2f} s")
            if hasattr(say, "advance"):
                say.advance(name, config.n_seeds)
            continue
        paths[name] = "python"
        path, root = resolve(name), import_root(name)
        # small chunks keep the pool balanced and the progress bar moving; one seed each for the costly
        # strategies and executors (results do not depend on the chunking)
        per_job = 1 if executor is not None or relative_cost(path) > 1 else 5
        n_chunks = max(1, min(config.n_seeds, math.ceil(config.n_seeds / per_job)))
        for chunk in np.array_split(np.arange(config.n_seeds), n_chunks):
            jobs.append(RunJob(config.benchmark, config.objective, hardware, name, params, config.seed,
                               tuple(int(i) for i in chunk), **budget, noise=config.noise, strategy_path=path,
                               strategy_root=root))
    if jobs:
        results = dispatch_runs(jobs, n_jobs=n_jobs, say=say, executor=executor)
        for name in config.strategies:
            if paths[name] == "python":
                histories[name] = [h for job, res in zip(jobs, results) if job.strategy == name for h in res]
    return histories, paths
