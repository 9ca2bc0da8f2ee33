"""Compare strategies over many seeds on one benchmark and write a reproducible leaderboard.

:func:`run_compare` runs every strategy on every seed (compiled fast paths where they exist,
Python ask/tell runs spread over worker processes otherwise) and scores the runs; then
:func:`write_outputs` writes the leaderboard, statistics, plots, trajectories, ``report.html`` and
the manifest. The work is split by job:

* :mod:`strategies.compare_config`: :class:`CompareConfig`, everything that defines a comparison;
* :mod:`strategies.compare_run`: the task cache, run jobs and their dispatch, the equal-cost budget;
* :mod:`strategies.compare_score`: regret, the leaderboard rows, statistics and plotted curves;
* :mod:`strategies.compare_markdown` and :mod:`strategies.compare_outputs`: the files.

Hardware-aware comparisons (:class:`strategies.hardware.HardwareSetup`):

* ``constraint="latency_ms@pixel3 <= 10"`` runs every strategy on the feasible archs only (none other is
  ever evaluated; the leaderboard counts infeasible evaluations to show it) and measures regret against
  the best *feasible* arch of the table; the leaderboard adds the incumbent's search value (validation
  accuracy) and, when the constraint bounds a static metric, the hypervolume.
* ``objectives="test_acc,latency_ms@pixel3"`` (accuracy up, cost down) adds the hypervolume of each
  run's evaluated archs relative to the table's front (reference point documented in the leaderboard
  and manifest), sorts the leaderboard by it, tests it (Friedman, pairwise Wilcoxon) and allows the
  multi-objective strategy ``pareto_evolution``.

Seeds: seed ``i`` of every strategy is ``SeedSequence(root_seed, spawn_key=(i,))``; all strategies
share seed ``i`` (common random numbers), which pairs the runs for the Friedman and Wilcoxon tests.
"""

from __future__ import annotations

from nasbench.benchmarks.registry import default_benchmark
from nasbench.timing import Stopwatch
from strategies.compare_config import DEFAULT_STRATEGIES, CompareConfig
from strategies.compare_markdown import leaderboard_markdown
from strategies.compare_outputs import write_outputs
from strategies.compare_run import (
    default_n_jobs,
    equal_cost,
    hardware_key,
    make_for_run,
    run_all,
    seed_of,
    setup_for,
    task_for,
    task_key,
    use_task,
)
from strategies.compare_score import CompareResult, score
from strategies.task import Task

# the names the notebooks and the command line use: one entry point for a comparison
__all__ = ["DEFAULT_STRATEGIES", "CompareConfig", "CompareResult", "default_benchmark", "leaderboard_markdown",
           "run_compare", "seed_of", "write_outputs"]


def run_compare(config: CompareConfig, *, n_jobs: int | None = None, use_fast: bool = True,
                progress=None, task: Task | None = None, executor=None) -> CompareResult:
    """Run every strategy on every seed and compute the leaderboard.

    Parameters
    ----------
    config : CompareConfig
    n_jobs : int, optional
        Processes for the Python runs (default: up to 2, the CPUs available). Results do not depend on it.
    use_fast : bool, default True
        Use the compiled paths where they exist (not under a constraint, nor for multi-objective
        strategies). Results do not depend on it (tested).
    progress : callable(str) or None
        Receives one line per finished piece of work.
    task : Task, optional
        A resolved task for ``config.benchmark`` (built from the config when None).
    executor : strategies.executors.Executor, optional
        Runs the Python (strategy, seed) runs, one job per seed (e.g. a ``RayExecutor``); ``n_jobs``
        is then unused. Compiled runs stay in this process. Results do not depend on it (tested:
        byte-identical outputs with the Ray and local executors).
    """
    from strategies._limits import check_time_budget

    clock = Stopwatch()
    say = progress or (lambda line: None)
    if task is None:
        task = task_for(config.benchmark, config.objective, config.noise)
    else:  # runs in this process use the given task (a cached one of the same name may be another table)
        use_task(config, task)
    if executor is not None and hasattr(task.benchmark, "use_executor"):
        task.benchmark.use_executor(executor)  # live training: batches of runs (report values) go there too
    setup = setup_for(task_key(config.benchmark, config.objective, task.noise), hardware_key(config))
    for name in config.strategies:  # validate params and space support before running anything
        make_for_run(name, task, setup, 0, config.params.get(name, {}))
    config = equal_cost(config, task, say)
    # a time budget is sized once the costs are known
    check_time_budget(task, len(config.strategies), config.n_seeds, config.n_workers, config.max_evals,
                      config.max_time_s)
    if hasattr(say, "plan"):
        say.plan(list(config.strategies), config.n_seeds)
    histories, paths = run_all(config, task, setup, n_jobs=default_n_jobs() if n_jobs is None else n_jobs,
                               use_fast=use_fast, say=say, executor=executor)
    result = CompareResult(config, task if setup is None else setup.task, histories, paths, setup=setup)
    score(result)
    result.wall_time_s = clock.wall_s
    return result
