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
``pareto_fronts.png`` (with a constraint or objectives)
    per strategy, the median attainment front over seeds (best accuracy reached at each cost) with the
    true front of the feasible archs.
``manifest.json``
    package and library versions, benchmark checksums, the config, seeds, the task (metrics,
    fidelities, cost model) and the sha256 of each output; only ``manifest["run"]`` (timestamp,
    wall time) changes between two runs of the same config.

Hardware-aware comparisons (:class:`strategies.hardware.HardwareSetup`):

* ``constraint="latency_ms@pixel3 <= 10"`` runs every strategy on the feasible archs only (none other is
  ever evaluated; the leaderboard counts infeasible evaluations to show it) and measures regret against
  the best *feasible* arch of the table; the leaderboard adds the incumbent's search value (validation
  accuracy) and, when the constraint bounds a static metric, the hypervolume.
* ``objectives="test_acc,latency_ms@pixel3"`` (accuracy up, cost down) adds the hypervolume of each
  run's evaluated archs relative to the table's front (reference point documented in the leaderboard
  and manifest), ranks the leaderboard by it, tests it (Friedman, pairwise Wilcoxon) and allows the
  multi-objective strategy ``pareto_evolution``.

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
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import tomllib

from nasbench.errors import (
    NasbenchError,
    OptionalDependencyError,
    choices_text,
)
from nasbench.benchmarks.registry import default_benchmark
from strategies._json import jsonable
from strategies.report_html import render_report
from strategies import leaderboard as lb
from strategies.history import trajectory
from strategies.registry import STRATEGIES, ensure_importable, import_root, make_strategy, resolve, strategy_class
from strategies.task import Objective, Task

__all__ = [
    "DEFAULT_STRATEGIES",
    "CompareConfig",
    "CompareResult",
    "RunJob",
    "dispatch_runs",
    "run_compare",
    "run_job",
    "seed_of",
    "write_outputs",
]

DEFAULT_STRATEGIES = ("random_search", "regularized_evolution", "local_search", "reinforce", "bohb")
_N_TIME_GRID = 200
_EQUAL_COST_SPAWN_KEY = 0x65716C  # "eql": the stream that draws archs to estimate a typical cost


# CompareConfig field -> the `nasbench compare` flag that sets it (error messages name both)
_FLAGS = {"benchmark": "NAME", "strategies": "--strategies", "n_seeds": "--seeds", "seed": "--seed",
          "max_evals": "--budget", "max_time_s": "--time-budget", "n_workers": "--workers",
          "constraint": "--constraint", "objectives": "--objectives", "hv_reference": "--hv-reference",
          "objective": "--search-metric etc.", "params": "config file only",
          "equal_cost": "--no-equal-cost",
          "search_metric": "--search-metric", "search_fidelity": "--search-fidelity",
          "report_metric": "--report-metric", "report_fidelity": "--report-fidelity", "noise": "--noise"}
# a mean and 95% interval over seeds, ranks and paired tests need two seeds at least
_MIN_SEEDS = 2
# simulated workers per run; far beyond any published setting, and each one is simulator state
_MAX_WORKERS = 65536
_MAX_CONFIG_BYTES = 1 << 20


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


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
        At least 2: the leaderboard reports a mean and 95% interval over seeds and paired tests.
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
    constraint : str or None
        E.g. ``"latency_ms@pixel3 <= 10"``: only archs meeting it are evaluated; regret is measured
        against the best feasible arch (:func:`strategies.hardware.parse_constraint`). A constraint on
        the report metric or a ``test_*`` metric is refused (the test set would steer the search).
    objectives : str or None
        Multi-objective mode, accuracy then cost, e.g. ``"test_acc,latency_ms@pixel3"``; the accuracy is
        the report metric (:func:`strategies.hardware.parse_objectives`).
    hv_reference : list of 2 float or None
        Hypervolume reference point (accuracy, cost); default: see :class:`strategies.hardware.HardwareSetup`.
    equal_cost : bool, default True
        When a multi-fidelity strategy takes part and only ``max_evals`` is given, every strategy gets the
        same simulated time instead: ``max_evals`` times the median cost of one evaluation at the search
        fidelity (cheap low-fidelity evaluations must not buy a multi-fidelity strategy more budget, nor
        cost it less). The manifest and the leaderboard header state the resolved budget.
    noise : {"draw", "mean"}, default "draw"
        ``draw``: each evaluation returns one training outcome drawn from the run's noise stream (common
        random numbers across strategies); ``mean``: the noise-free mean (:class:`strategies.task.Task`).
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
    constraint: str | None = None
    objectives: str | None = None
    hv_reference: list | None = None
    noise: str = "draw"
    equal_cost: bool = True

    def __post_init__(self):
        from strategies import hardware as hw
        from strategies._limits import check_fits

        self._check_types()
        if self.constraint is not None:
            self.constraint = str(hw.parse_constraint(self.constraint))
        if self.objectives is not None:
            parsed = hw.parse_objectives(self.objectives)
            self.objectives = str(parsed)
            given = self.objective.get("report_metric")
            if given is None:
                self.objective = {**self.objective, "report_metric": parsed.accuracy}
            elif given != parsed.accuracy:
                raise NasbenchError(
                    f"the first objective {parsed.accuracy!r} must be the report metric, which is {given!r}; "
                    "make them the same (or drop report_metric)."
                )
        self._check_constraint_leak(hw)
        if self.hv_reference is not None:
            if self.constraint is None and self.objectives is None:
                raise NasbenchError("hv_reference needs objectives (--objectives), or a constraint on a static "
                                    "metric (--constraint); got --hv-reference alone.")
            ref = list(self.hv_reference)
            if len(ref) != 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                                        for v in ref):
                raise NasbenchError(f"hv_reference must be two finite numbers (accuracy, cost; --hv-reference ACC,COST); "
                                    f"got {self.hv_reference!r}.")
            self.hv_reference = [float(v) for v in ref]
        if isinstance(self.strategies, str):
            self.strategies = tuple(s.strip() for s in self.strategies.split(",") if s.strip())
        self.strategies = tuple(self.strategies)
        known = {**STRATEGIES, **hw.MO_STRATEGIES}
        if not self.strategies:
            raise NasbenchError(f"give at least one strategy; choose from {choices_text(known)}.")
        for s in self.strategies:
            if s not in hw.MO_STRATEGIES:  # built-in, entry point, import path or optuna:SAMPLER
                strategy_class(s)
            if s in hw.MO_STRATEGIES and self.objectives is None:
                raise NasbenchError(f"{s} optimises accuracy against a cost: give objectives, e.g. "
                                    "objectives = 'test_acc,latency_ms@pixel3' (--objectives).")
        if len(set(self.strategies)) != len(self.strategies):
            raise NasbenchError(f"each strategy may appear once; got {list(self.strategies)}.")
        for name in self.params:
            if name not in self.strategies:
                raise NasbenchError(
                    f"params are given for {name!r}, which is not among the strategies {list(self.strategies)}."
                )
        try:
            Objective(**self.objective)
        except TypeError:
            raise NasbenchError(
                f"objective keys must be among {[f.name for f in fields(Objective)]}; got {sorted(self.objective)}."
            ) from None
        from strategies.simulator import check_budget

        check_budget(self.n_workers, self.max_evals, self.max_time_s)
        if self.max_evals is not None:  # a time budget alone is sized by the simulator's event count
            check_fits(len(self.strategies), self.n_seeds, self.max_evals)
        if self.benchmark is None:
            self.benchmark = default_benchmark()

    def _check_types(self) -> None:
        """Check every field's type and range, naming the key and its ``nasbench compare`` flag."""
        def bad(key, expected):
            flag = _FLAGS.get(key)
            raise NasbenchError(f"{key}{f' ({flag})' if flag else ''} must be {expected}; got "
                                f"{_shown(getattr(self, key))} of type {type(getattr(self, key)).__name__}.")

        def is_int(v):
            return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))

        if self.benchmark is not None and (not isinstance(self.benchmark, str) or not self.benchmark.strip()):
            bad("benchmark", "a benchmark name such as 'nb201/cifar10'")
        if isinstance(self.strategies, (list, tuple)):
            if not all(isinstance(s, str) for s in self.strategies):
                bad("strategies", "strategy names (strings)")
        elif not isinstance(self.strategies, str):
            bad("strategies", "a list of strategy names or a comma-separated string")
        if not isinstance(self.params, dict) or not all(
                isinstance(k, str) and isinstance(v, dict) and all(isinstance(q, str) for q in v)
                for k, v in self.params.items()):
            bad("params", "a table of strategy name -> {parameter: value}, e.g. "
                          "{\"regularized_evolution\": {\"population_size\": 20}}")
        for key, low, high in (("n_seeds", _MIN_SEEDS, None), ("seed", 0, 2**63 - 1), ("n_workers", 1, _MAX_WORKERS)):
            value = getattr(self, key)
            if not is_int(value) or value < low or (high is not None and value > high):
                bad(key, f"an int >= {low}" if high is None else f"an int in [{low}, {high}]")
            setattr(self, key, int(value))
        if self.max_evals is not None:
            if not is_int(self.max_evals) or self.max_evals < 1:
                bad("max_evals", "an int >= 1 (or None with max_time_s)")
            self.max_evals = int(self.max_evals)
        if self.max_time_s is not None and not (
                isinstance(self.max_time_s, (int, float, np.integer, np.floating))
                and not isinstance(self.max_time_s, (bool, np.bool_)) and math.isfinite(self.max_time_s)
                and self.max_time_s > 0):
            bad("max_time_s", "a finite number of simulated seconds > 0")
        if self.noise not in ("draw", "mean"):
            bad("noise", "'draw' or 'mean'")
        if not isinstance(self.equal_cost, (bool, np.bool_)):
            bad("equal_cost", "true or false")
        if not isinstance(self.objective, dict) or not all(isinstance(k, str) for k in self.objective):
            bad("objective", f"a table with keys among {[f.name for f in fields(Objective)]}")
        for key in ("search_metric", "report_metric", "cost_metric"):
            value = self.objective.get(key)
            if value is not None and (not isinstance(value, str) or not value):
                raise NasbenchError(f"objective.{key} ({_FLAGS.get(key, 'config file')}) must be a metric name; "
                                    f"got {_shown(value)}.")
        for key in ("search_fidelity", "report_fidelity"):
            value = self.objective.get(key)
            if value is not None and not (is_int(value) or isinstance(value, float) and math.isfinite(value)):
                raise NasbenchError(f"objective.{key} ({_FLAGS[key]}) must be a number (or absent for the "
                                    f"highest); got {_shown(value)}.")
        for key in ("constraint", "objectives"):
            if getattr(self, key) is not None and not isinstance(getattr(self, key), str):
                bad(key, "a string such as " + ("'latency_ms@pixel3 <= 10'" if key == "constraint"
                                                else "'test_acc,latency_ms@pixel3'"))
        if self.hv_reference is not None and not isinstance(self.hv_reference, (list, tuple)):
            bad("hv_reference", "two numbers (accuracy, cost)")
        if self.noise not in ("draw", "mean"):
            bad("noise", "'draw' or 'mean'")

    def _check_constraint_leak(self, hw) -> None:
        """Refuse a constraint on the test (report) metric: it would let the test set steer the search."""
        if self.constraint is None:
            return
        metric = hw.parse_constraint(self.constraint).metric
        report = self.objective.get("report_metric") or "test_acc"
        if metric == report or metric.startswith("test_"):
            raise NasbenchError(
                f"the constraint {self.constraint!r} is on {metric}, the {'report' if metric == report else 'test'} "
                "metric: only archs passing it would be evaluated, so the test set would steer the search "
                "(test-set leakage) and the regret would be measured on what it steered. Constrain a validation "
                "or cost metric instead, e.g. 'valid_acc > 90', 'params_m < 1' or 'latency_ms@pixel3 <= 10'.")

    @classmethod
    def from_file(cls, path, **overrides) -> CompareConfig:
        """Read a JSON or TOML config (keys = this class's fields); ``overrides`` win.

        Raises
        ------
        NasbenchError
            If the file cannot be read, is not UTF-8, is larger than 1 MiB, is not valid JSON / TOML
            (or is nested too deeply), is not one table of keys, or holds unknown keys or bad values.
        """
        path = Path(path)
        try:
            import stat

            mode = path.stat().st_mode
            if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):  # a device or pipe may never end (/dev/zero)
                raise NasbenchError(f"the config file {path} is not a regular file (a device, pipe or socket); "
                                    "expected a JSON or TOML file. Check that --config names the right file.")
            with open(path, "rb") as fh:  # read at most the limit: the size on disk may change meanwhile
                blob = fh.read(_MAX_CONFIG_BYTES + 1)
            if len(blob) > _MAX_CONFIG_BYTES:
                raise NasbenchError(f"the config file {path} has more than {_MAX_CONFIG_BYTES} bytes; a compare "
                                    f"config is a few lines. Check that --config names the right file.")
            text = blob.decode("utf-8")
        except OSError as exc:
            raise NasbenchError(f"cannot read the config file {path}: {exc.strerror}.") from None
        except UnicodeDecodeError as exc:
            raise NasbenchError(f"the config file {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8 "
                                "JSON or TOML.") from None
        kind = "TOML" if path.suffix == ".toml" else "JSON"
        try:
            data = tomllib.loads(text) if kind == "TOML" else json.loads(text)
        except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
            raise NasbenchError(f"the config file {path} is not valid {kind}: {exc}.") from None
        except RecursionError:
            raise NasbenchError(f"the config file {path} is nested too deeply to be a compare config; "
                                f"expected one {kind} table of CompareConfig keys.") from None
        if not isinstance(data, dict):
            raise NasbenchError(f"the config file {path} must hold one {kind} object of CompareConfig keys; got a "
                                f"{type(data).__name__}.")
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


# ---------------------------------------------------------------- running
_TASKS: dict = {}
_SETUPS: dict = {}


def _task_key(benchmark: str, objective: dict, noise: str) -> tuple:
    # the data root is part of the key: one name may be another table after NASBENCH_DATA changes
    from nasbench.paths import data_root

    return (benchmark, json.dumps(objective, sort_keys=True), noise, str(data_root()))


def _task_for(benchmark: str, objective: dict, noise: str = "draw") -> Task:
    key = _task_key(benchmark, objective, noise)
    if key not in _TASKS:
        from nasbench.benchmarks.registry import load

        _TASKS[key] = Task(load(benchmark), Objective(**objective), noise=noise)
    return _TASKS[key]


def _hardware_key(config: CompareConfig) -> tuple:
    return (config.constraint, config.objectives, None if config.hv_reference is None else tuple(config.hv_reference))


def _setup_for(task: Task, hardware: tuple):
    """The :class:`~strategies.hardware.HardwareSetup` of ``task`` (cached per process), or None."""
    if hardware == (None, None, None):
        return None
    key = (id(task), hardware)
    if key not in _SETUPS:
        from strategies.hardware import HardwareSetup

        _SETUPS[key] = (task, HardwareSetup(task, *hardware))  # keeps task alive, so id() stays unique
    return _SETUPS[key][1]


def _make(name: str, task: Task, setup, seed, params: dict):
    """Strategy ``name`` (a name or a :func:`~strategies.registry.resolve` spec) for one run: plain, or
    constrained / multi-objective through ``setup``. Strategies that take a ``cost`` column (Optuna's
    multi-objective samplers) get the objectives' cost."""
    if setup is None:
        return make_strategy(name, task.space, seed=seed, **params)
    if setup.cost is not None and "cost" not in params and _takes_cost(name):
        params = {**params, "cost": setup.cost}
    return setup.make(name, seed, params)


def _takes_cost(name: str) -> bool:
    import inspect

    from strategies.hardware import MO_STRATEGIES

    return name not in MO_STRATEGIES and "cost" in inspect.signature(strategy_class(name)).parameters


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

    task = _task_for(job.benchmark, job.objective, job.noise)
    setup = _setup_for(task, job.hardware)
    name = job.strategy_path or job.strategy
    ensure_importable(job.strategy_root)
    return [
        simulate(_make(name, task, setup, seed_of(job.root_seed, i), job.params), task,
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
        order = sorted(range(len(jobs)), key=lambda k: -_relative_cost(jobs[k].strategy_path or jobs[k].strategy))
        with ProcessPoolExecutor(max_workers=n_jobs, mp_context=ctx) as pool:
            futures = {pool.submit(run_job, jobs[k]): k for k in order}
            for fut in as_completed(futures):
                finished(futures[fut], fut.result())
    else:
        for k, job in enumerate(jobs):
            finished(k, run_job(job))
    return results


def _relative_cost(name: str) -> float:
    """Expected cost of one run of strategy ``name`` relative to a plain one (the class's ``relative_cost``)."""
    try:
        return float(getattr(strategy_class(name), "relative_cost", 1.0))
    except NasbenchError:
        return 1.0


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
    from strategies.fast import run_fast, supports_fast

    t0 = time.perf_counter()
    say = progress or (lambda line: None)
    if task is None:
        task = _task_for(config.benchmark, config.objective, config.noise)
    else:  # runs in this process use the given task (a cached one of the same name may be another table)
        _TASKS[_task_key(config.benchmark, config.objective, task.noise)] = task
    if executor is not None and hasattr(task.benchmark, "use_executor"):
        task.benchmark.use_executor(executor)  # live training: batches of runs (report values) go there too
    hardware = _hardware_key(config)
    setup = _setup_for(task, hardware)
    for name in config.strategies:  # validate params and space support before running anything
        _make(name, task, setup, 0, config.params.get(name, {}))
    if n_jobs is None:
        n_jobs = max(1, min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))
    config = _equal_cost(config, task, say)
    from strategies._limits import check_time_budget  # a time budget is sized once the costs are known

    check_time_budget(task, len(config.strategies), config.n_seeds, config.n_workers, config.max_evals,
                      config.max_time_s)
    budget = dict(n_workers=config.n_workers, max_evals=config.max_evals, max_time_s=config.max_time_s)
    histories, paths = {}, {}
    jobs = []
    constrained = setup is not None and setup.constrained
    if hasattr(say, "plan"):
        say.plan(list(config.strategies), config.n_seeds)
    from strategies.hardware import MO_STRATEGIES

    for name in config.strategies:
        params = config.params.get(name, {})
        if use_fast and not constrained and supports_fast(name, task):
            t = time.perf_counter()
            seeds = [seed_of(config.seed, i) for i in range(config.n_seeds)]
            histories[name] = run_fast(name, task, seeds, params=params, **budget)
            paths[name] = "numba"
            say(f"{name}: {config.n_seeds} seeds (compiled) in {time.perf_counter() - t:.2f} s")
            if hasattr(say, "advance"):
                say.advance(name, config.n_seeds)
        else:
            paths[name] = "python"
            path = None if name in MO_STRATEGIES else resolve(name)
            root = None if path is None else import_root(name)
            # small chunks keep the pool balanced and the progress bar moving; one seed each for the costly
            # strategies and executors (results do not depend on the chunking)
            per_job = 1 if executor is not None or _relative_cost(path or name) > 1 else 5
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
    result = CompareResult(config, task if setup is None else setup.task, histories, paths, setup=setup)
    _score(result)
    result.wall_time_s = time.perf_counter() - t0
    return result


def _equal_cost(config: CompareConfig, task: Task, say) -> CompareConfig:
    """``config`` with an evaluation budget turned into the equal simulated-time budget (see
    :class:`CompareConfig`, ``equal_cost``) when a multi-fidelity strategy takes part; else unchanged."""
    from dataclasses import replace

    from strategies.registry import strategy_class

    from strategies.hardware import MO_STRATEGIES

    multi = [s for s in config.strategies if s not in MO_STRATEGIES and strategy_class(s).multi_fidelity]
    if not (config.equal_cost and multi and config.max_time_s is None and len(task.fidelities) > 1):
        return config
    if task.enumerable:
        median = float(np.median(task.costs[task.search_fidelity]))
    elif task.benchmark.live:  # estimating a typical cost would train networks nobody asked for
        say(f"equal cost is not applied on {task.benchmark.name} (live training): give --time-budget")
        return config
    else:  # the median cost of 256 archs drawn on a stream of their own (the runs' streams stay untouched)
        rng = np.random.default_rng(np.random.SeedSequence(config.seed, spawn_key=(_EQUAL_COST_SPAWN_KEY,)))
        archs = [task.space.sample(rng) for _ in range(256)]
        seconds = task.benchmark.cost(archs, task.search_fidelity, metric=task.objective.search_metric).seconds
        median = float(np.median(seconds))
    seconds = float(f"{config.max_evals * median:.6g}")
    say(f"equal cost: {', '.join(multi)} evaluate at lower fidelities, so every strategy gets {seconds:g} "
        f"simulated s ({config.max_evals} x the median {median:.4g} s of one evaluation at fidelity "
        f"{task.search_fidelity}) instead of {config.max_evals} evaluations")
    resolved = replace(config, max_evals=None, max_time_s=seconds, equal_cost=False)
    resolved.equal_cost_from = {"max_evals": config.max_evals, "median_cost_s": median,
                                "multi_fidelity_strategies": multi}
    return resolved


# ---------------------------------------------------------------- scoring
def _score(result: CompareResult) -> None:
    """Fill ``result``'s trajectories, summary (one row per run), leaderboard, statistics and curves.

    The score is regret where the optimum is known (enumerable benchmarks); otherwise the incumbent's
    report value, negated when higher is better, so that lower is better for ranks and tests alike.
    """
    import pandas as pd

    config, task, setup = result.config, result.task, result.setup
    names = list(config.strategies)
    _check_nonempty(result)
    result.trajectories = {n: [trajectory(h, task) for h in result.histories[n]] for n in names}
    known = task.best_report is not None
    sign = 1.0 if (known or not task.report_higher_is_better) else -1.0
    runs = _score_runs(result, known, sign)
    board = [_board_row(result, j, runs, known, sign) for j in range(len(names))]
    if setup is not None and setup.multi_objective:
        hv_ranks = lb.rank_matrix(-runs["hv"])
        for j, row in enumerate(board):
            row["hypervolume_mean_rank"] = float(hv_ranks[:, j].mean())
        board.sort(key=lambda r: (r["hypervolume_mean_rank"], -r["hypervolume_mean"], r["strategy"]))
    else:
        board.sort(key=lambda r: (r["mean_rank"], r["final_regret_mean"], r["strategy"]))
    result.leaderboard = pd.DataFrame(board)
    result.summary = pd.DataFrame(runs["rows"])
    result.stats = _statistics(result, runs, known, sign)
    result.curves = runs["curves"]
    if setup is not None and setup.cost is not None:
        result.curves["fronts"] = _fronts(result, names)


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


def _score_runs(result: CompareResult, known: bool, sign: float) -> dict:
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
        out["curves"]["by_evals"][name] = _band(np.vstack(ev))
        out["curves"]["by_time"][name] = _band(np.vstack(tm))
    out["ranks"] = lb.rank_matrix(out["final"])
    return out


def _board_row(result: CompareResult, j: int, runs: dict, known: bool, sign: float) -> dict:
    """The leaderboard row of strategy ``j``: means and 95% intervals over seeds, mean rank."""
    name = result.config.strategies[j]
    mine = [r for r in runs["rows"] if r["strategy"] == name]
    f, a = lb.mean_ci(runs["final"][:, j]), lb.mean_ci(runs["auc"][:, j])
    row = {
        "strategy": name, "n_seeds": result.config.n_seeds,
        "final_regret_mean": f[0], "final_regret_ci_low": f[1], "final_regret_ci_high": f[2],
        "auc_regret_mean": a[0], "auc_regret_ci_low": a[1], "auc_regret_ci_high": a[2],
        "mean_rank": float(runs["ranks"][:, j].mean()),
        "final_report_mean": float(np.mean([r["final_report"] for r in mine])),
        "n_evals_mean": float(np.mean([r["n_evals"] for r in mine])),
        "sim_time_mean_s": float(np.mean([r["sim_time_s"] for r in mine])),
    }
    rep = lb.mean_ci(runs["final_report"][:, j])
    if not known:  # report values instead of regret (sign restores the metric's own direction)
        anytime = sorted((sign * a[1], sign * a[2]))
        row.update({k: math.nan for k in list(row) if k.startswith(("final_regret", "auc_regret"))})
        row.update({"final_report_ci_low": rep[1], "final_report_ci_high": rep[2], "auc_report_mean": sign * a[0],
                    "auc_report_ci_low": anytime[0], "auc_report_ci_high": anytime[1]})
    setup = result.setup
    if setup is not None:
        s = lb.mean_ci([r["final_search"] for r in mine])
        row.update({"final_search_mean": s[0], "final_search_ci_low": s[1], "final_search_ci_high": s[2],
                    "final_report_ci_low": rep[1], "final_report_ci_high": rep[2],
                    "infeasible_evals": int(sum(r["infeasible_evals"] for r in mine))})
        if setup.cost is not None:
            h = lb.mean_ci(runs["hv"][:, j])
            row.update({"hypervolume_mean": h[0], "hypervolume_ci_low": h[1], "hypervolume_ci_high": h[2]})
    return row


def _statistics(result: CompareResult, runs: dict, known: bool, sign: float) -> dict:
    """Friedman test, Nemenyi critical difference and Holm-adjusted pairwise Wilcoxon tests."""
    config, task, setup = result.config, result.task, result.setup
    names, final = list(config.strategies), runs["final"]
    cd = lb.critical_difference(config.n_seeds, len(names))
    mean_ranks = {n: float(runs["ranks"][:, j].mean()) for j, n in enumerate(names)}
    stats = {
        "score": "final_regret" if known else (
            f"final {task.report_metric} of the incumbent (no optimum is known; tests use "
            f"{'its negation' if sign < 0 else 'it'}, lower is better)"),
        "auc_axis": "simulated time (linear, 0..max_time_s)" if config.max_time_s is not None
        else "evaluations 1..max_evals",
        "friedman": lb.friedman(final),
        "nemenyi_critical_difference": {"alpha": 0.05, "cd": cd, "mean_ranks": mean_ranks,
                                        "not_significantly_different": _cliques(mean_ranks, cd)},
        "pairwise_wilcoxon": lb.pairwise_wilcoxon(final, names) if known else [
            {**p, "mean_difference": sign * p["mean_difference"],
             "note": f"mean difference of final {task.report_metric} (a - b)"}
            for p in lb.pairwise_wilcoxon(final, names)],
    }
    if setup is None:
        return stats
    final_search = np.array([[r["final_search"] for r in runs["rows"] if r["strategy"] == name] for name in names]).T
    # higher search value is better: test its negation, so mean_difference is a - b of the negation
    stats["pairwise_wilcoxon_final_search"] = [
        {**p, "mean_difference": -p["mean_difference"], "note": "mean difference of final search values (a - b)"}
        for p in lb.pairwise_wilcoxon(-final_search, names)]
    stats["hardware"] = setup.describe()
    if setup.cost is not None:
        hv = runs["hv"]
        hv_ranks = lb.rank_matrix(-hv)
        hv_mean_ranks = {n: float(hv_ranks[:, j].mean()) for j, n in enumerate(names)}
        stats["hypervolume"] = {
            "score": "relative hypervolume (higher is better; tests use its negation)",
            "friedman": lb.friedman(-hv),
            "nemenyi_critical_difference": {"alpha": 0.05, "cd": cd, "mean_ranks": hv_mean_ranks,
                                            "not_significantly_different": _cliques(hv_mean_ranks, cd)},
            "pairwise_wilcoxon": [{**p, "mean_difference": -p["mean_difference"]}
                                  for p in lb.pairwise_wilcoxon(-hv, names)],
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
    origin = getattr(c, "equal_cost_from", None)
    if origin:
        budget += (f" (equal cost: {origin['max_evals']} x the median {origin['median_cost_s']:.4g} s of one "
                   f"evaluation at fidelity {task.search_fidelity}, as {', '.join(origin['multi_fidelity_strategies'])} "
                   f"{'evaluates' if len(origin['multi_fidelity_strategies']) == 1 else 'evaluate'} at lower "
                   "fidelities)")
    lines = [
        f"## {c.benchmark}: {len(c.strategies)} strategies x {c.n_seeds} seeds, budget {budget}, "
        f"{c.n_workers} worker{'s' if c.n_workers > 1 else ''}{_noise_text(task)}",
        "",
    ]
    if task.best_report is None:
        return _report_markdown(result, lines)
    best = f"{task.best_report:.3f} (best {task.report_metric} at fidelity {task.report_fidelity})"
    regret = f"{best} - {task.report_metric} of the incumbent" if task.report_higher_is_better else \
        f"{task.report_metric} of the incumbent - {best}"
    leak = " (a test-set metric: the search sees the test set, so the result is no unbiased estimate)" \
        if task.objective.search_metric.startswith("test_") else ""
    lines += [
        f"Search on {task.objective.search_metric}{leak} at fidelity {task.search_fidelity}; regret = {regret}. "
        f"Mean [95% t-interval] over seeds; lower is better; sorted by mean rank of final regret.",
        "",
    ]
    if result.setup is not None:
        return _hardware_markdown(result, lines)
    # under a time budget (equal cost included) the simulated seconds each strategy used is a budget
    # column; leaderboard.csv always has it (sim_time_mean_s)
    timed = c.max_time_s is not None
    final = "final test" if task.report_metric == "test_acc" else f"final {task.report_metric}"
    lines += [f"| # | strategy | final regret | anytime regret (AUC) | mean rank | {final} | evals |"
              + (" simulated s |" if timed else ""),
              "|---|---|---|---|---|---|---|" + ("---|" if timed else "")]
    for k, r in enumerate(result.leaderboard.itertuples(), start=1):
        lines.append(
            f"| {k} | {r.strategy} | {r.final_regret_mean:.3f} [{r.final_regret_ci_low:.3f}, {r.final_regret_ci_high:.3f}] "
            f"| {r.auc_regret_mean:.3f} [{r.auc_regret_ci_low:.3f}, {r.auc_regret_ci_high:.3f}] "
            f"| {r.mean_rank:.2f} | {r.final_report_mean:.3f} | {r.n_evals_mean:.0f} |"
            + (f" {r.sim_time_mean_s:.4g} |" if timed else "")
        )
    _stat_lines(result, lines)
    return "\n".join(lines) + "\n"


def _noise_text(task) -> str:
    """Header suffix: what an evaluation returns (nothing for means, so --noise mean files stay as they were)."""
    if task.noise == "mean":
        return ""
    n = {info["n_outcomes"] for info in task.noise_info()["per_fidelity"].values()}
    return f", one drawn training outcome per evaluation (of {max(n)} per arch)" if max(n) > 1 else \
        ", no training noise in the data (means)"


def _report_markdown(result: CompareResult, lines: list) -> str:
    """Leaderboard of a benchmark with no known optimum: ranked on the incumbent's report value."""
    task = result.task
    rm, sm = task.report_metric, task.objective.search_metric
    predicted_by = task.describe().get("report_predicted_by")
    better = "higher" if task.report_higher_is_better else "lower"
    lines += [
        f"No optimum is known ({task.benchmark.name} answers arch by arch, with no value for every arch of "
        f"{task.space.name}), so strategies are ranked on the "
        f"{rm} of the incumbent (best {sm} at fidelity {task.search_fidelity} among the run's evaluations)"
        + (f", predicted by {predicted_by}" if predicted_by else "") + f"; {better} is better. "
        f"Anytime = mean of the incumbent's {rm} over the budget. Mean [95% t-interval] over seeds; sorted by "
        f"mean rank of final {rm}.",
        "",
        f"| # | strategy | final {rm} | anytime {rm} | mean rank | evals | simulated s |",
        "|---|---|---|---|---|---|---|",
    ]
    for k, r in enumerate(result.leaderboard.itertuples(), start=1):
        lines.append(
            f"| {k} | {r.strategy} | {_ci(r.final_report_mean, r.final_report_ci_low, r.final_report_ci_high)} "
            f"| {_ci(r.auc_report_mean, r.auc_report_ci_low, r.auc_report_ci_high)} | {r.mean_rank:.2f} "
            f"| {r.n_evals_mean:.0f} | {r.sim_time_mean_s:.4g} |"
        )
    _stat_lines(result, lines)
    return "\n".join(lines) + "\n"


def _stat_lines(result: CompareResult, lines: list) -> None:
    what = "final regret" if result.task.best_report is not None else f"final {result.task.report_metric}"
    fr = result.stats["friedman"]
    cd = result.stats["nemenyi_critical_difference"]
    lines.append("")
    if "skipped" in fr:
        lines.append(f"Friedman test: skipped ({fr['skipped']}).")
    else:
        lines.append(
            f"Friedman test on {what}: chi2({fr['df']}) = {fr['statistic']:.3f}, p = {fr['p_value']:.3g}; "
            f"Nemenyi critical difference of mean ranks (alpha 0.05) = {cd['cd']:.3f}."
        )
    for p in result.stats["pairwise_wilcoxon"]:
        if len(result.stats["pairwise_wilcoxon"]) <= 10:
            lines.append(
                f"- {p['a']} vs {p['b']}: mean difference {p['mean_difference']:+.3f}, Wilcoxon W = "
                f"{p['wilcoxon_W']:.1f}, p = {p['p_value']:.3g} (Holm {p['p_value_holm']:.3g})"
            )


def _ci(mean, low, high, digits=3) -> str:
    return f"{mean:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def _hardware_markdown(result: CompareResult, lines: list) -> str:
    """Leaderboard of a constrained and/or multi-objective comparison."""
    setup, task = result.setup, result.task
    info = setup.describe()
    rm, sm = task.report_metric, task.objective.search_metric
    lines = lines[:-2]  # replace the generic sentence
    if setup.constrained:
        c = info["constraint"]
        lines += [
            (f"Constraint {c['text']}: {c['n_feasible']} of {c['n_archs']} archs feasible; every strategy evaluates "
             f"feasible archs only. Best feasible {rm} {c['best_feasible_report']:.3f} (arch {c['best_feasible_index']}; "
             f"best overall {c['best_overall_report']:.3f}); regret = best feasible {rm} - {rm} of the incumbent "
             f"(best {sm} at fidelity {task.search_fidelity} among the run's evaluations)."),
            "",
        ]
    else:
        lines += [(f"Regret = best {rm} {task.best_report:.3f} - {rm} of the incumbent (best {sm} at fidelity "
                   f"{task.search_fidelity} among the run's evaluations)."), ""]
    if setup.cost is not None:
        o = info["objectives"]
        ref = o["reference_point"]
        lines += [
            (f"Hypervolume of the evaluated archs in ({o['accuracy']} up, {o['cost']} down) / that of all "
             f"{'feasible ' if setup.constrained else ''}archs of the table ({o['full_front_hypervolume']:.4g}); "
             f"reference point ({o['accuracy']} {ref[0]:.3f}, {o['cost']} {ref[1]:.4g}) = {o['reference_rule']}. "
             f"1 = the whole front found; higher is better."),
            "",
        ]
    lines.append("Mean [95% t-interval] over seeds; sorted by mean rank of "
                 + ("hypervolume." if setup.multi_objective else "final regret."))
    lines.append("")
    head = ["#", "strategy", "final regret", f"final {rm}", f"final {sm}", "anytime regret (AUC)", "mean rank"]
    if setup.cost is not None:
        head += ["hypervolume", "HV rank"] if setup.multi_objective else ["hypervolume"]
    head += (["infeasible evals"] if setup.constrained else []) + ["evals"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for k, r in enumerate(result.leaderboard.itertuples(), start=1):
        cells = [str(k), r.strategy, _ci(r.final_regret_mean, r.final_regret_ci_low, r.final_regret_ci_high),
                 _ci(r.final_report_mean, r.final_report_ci_low, r.final_report_ci_high),
                 _ci(r.final_search_mean, r.final_search_ci_low, r.final_search_ci_high),
                 _ci(r.auc_regret_mean, r.auc_regret_ci_low, r.auc_regret_ci_high), f"{r.mean_rank:.2f}"]
        if setup.cost is not None:
            cells.append(_ci(r.hypervolume_mean, r.hypervolume_ci_low, r.hypervolume_ci_high, 4))
            if setup.multi_objective:
                cells.append(f"{r.hypervolume_mean_rank:.2f}")
        cells += ([str(r.infeasible_evals)] if setup.constrained else []) + [f"{r.n_evals_mean:.0f}"]
        lines.append("| " + " | ".join(cells) + " |")
    _stat_lines(result, lines)
    pairs = result.stats["pairwise_wilcoxon_final_search"]
    if len(pairs) <= 10:
        lines.append(f"Final {sm} (paired Wilcoxon signed-rank, Holm):")
        for p in pairs:
            lines.append(f"- {p['a']} vs {p['b']}: mean difference {p['mean_difference']:+.3f}, W = "
                         f"{p['wilcoxon_W']:.1f}, p = {p['p_value']:.3g} (Holm {p['p_value_holm']:.3g})")
    hv = result.stats.get("hypervolume")
    if hv is not None:
        fr = hv["friedman"]
        lines.append("Hypervolume: " + (f"Friedman skipped ({fr['skipped']})." if "skipped" in fr else
                     f"Friedman chi2({fr['df']}) = {fr['statistic']:.3f}, p = {fr['p_value']:.3g}."))
        if len(hv["pairwise_wilcoxon"]) <= 10:
            for p in hv["pairwise_wilcoxon"]:
                lines.append(f"- {p['a']} vs {p['b']}: mean difference {p['mean_difference']:+.4f}, W = "
                             f"{p['wilcoxon_W']:.1f}, p = {p['p_value']:.3g} (Holm {p['p_value_holm']:.3g})")
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


def write_outputs(result: CompareResult, out_dir, *, plots: bool = True, parquet: bool = True,
                  overwrite: bool = False) -> dict:
    """Write the result files into the folder ``out_dir``, whole; returns ``{file: sha256}`` (manifest excluded).

    The destination is checked before anything is written: it must be missing or an empty folder,
    or (with ``overwrite=True``) a finished compare run, which is then replaced whole. The files go
    into a hidden sibling folder, the manifest last, and move into place in one step, while a lock
    beside ``out_dir`` refuses a second writer: a crash or kill leaves the previous folder or the
    complete new one (:mod:`strategies._outdir`). A missing optional library (matplotlib, pyarrow)
    skips its files with a note in the manifest.

    Raises
    ------
    NasbenchError
        If ``out_dir`` is a file, lies under a file, is not writable, is in use by another process,
        holds something other than a finished compare run, or holds one and ``overwrite`` is False.
    """
    from strategies._outdir import COMPARE_EXTRAS, OutputFolder, is_finished_compare_run

    with OutputFolder(out_dir, flag="out_dir", overwrite=overwrite, is_finished=is_finished_compare_run,
                      extras=COMPARE_EXTRAS) as out:
        return _write_into(result, out, plots=plots, parquet=parquet)


def _write_into(result: CompareResult, out: Path, *, plots: bool, parquet: bool) -> dict:
    """The files of :func:`write_outputs`, written into the staging folder ``out`` (the manifest last)."""
    from nasbench._version import __version__

    written, skipped = {}, {}

    def put(name, data: bytes):
        (out / name).write_bytes(data)
        written[name] = hashlib.sha256(data).hexdigest()

    put("leaderboard.md", leaderboard_markdown(result).encode())
    put("leaderboard.csv", result.leaderboard.to_csv(index=False, float_format="%.6f", lineterminator="\n").encode())
    put("summary.csv", result.summary.to_csv(index=False, float_format="%.6f", lineterminator="\n").encode())
    put("stats.json", (json.dumps(jsonable(result.stats), indent=1, sort_keys=True) + "\n").encode())
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
    pngs: list = []
    if plots:
        try:
            from strategies import report

            report.pyplot()
        except OptionalDependencyError:
            for f in ("regret_vs_evals.png", "regret_vs_time.png", "critical_difference.png") + (
                    ("pareto_fronts.png",) if "fronts" in result.curves else ()):
                skipped[f] = 'matplotlib is not installed: pip install "nasbench[report]"'
        else:
            c, task = result.config, result.task
            label = f"regret of {task.report_metric} (pp)" if task.best_report is not None else \
                f"{task.report_metric} of the incumbent" + (" (predicted)" if getattr(
                    task.benchmark.metrics[task.report_metric], "predicted_by", None) else "")
            title = f"{c.benchmark}, {c.n_seeds} seeds, mean and 95% CI"
            known = task.best_report is not None
            report.plot_curves(out / "regret_vs_evals.png", result.curves["evals"], result.curves["by_evals"],
                               xlabel="evaluations", ylabel=label, title=title, regret=known)
            report.plot_curves(out / "regret_vs_time.png", result.curves["time_s"], result.curves["by_time"],
                               xlabel="simulated time (s)", ylabel=label, title=title, logx=True, regret=known)
            cd = result.stats["nemenyi_critical_difference"]
            report.plot_critical_difference(out / "critical_difference.png", cd["mean_ranks"], cd["cd"],
                                            title=f"mean rank of final regret, {c.n_seeds} seeds (Nemenyi, alpha 0.05)")
            pngs += ["regret_vs_evals.png", "regret_vs_time.png", "critical_difference.png"]
            if "fronts" in result.curves:
                setup = result.setup
                o = setup.describe()["objectives"]
                report.plot_pareto_fronts(
                    out / "pareto_fronts.png", setup.cost, task.report, setup.feasible, setup.true_front,
                    result.curves["fronts"]["grid"], result.curves["fronts"]["by_strategy"], setup.reference,
                    xlabel=o["cost"], ylabel=o["accuracy"],
                    title=f"{c.benchmark}{', ' + str(setup.constraint) if setup.constrained else ''}: median "
                          f"attainment fronts over {c.n_seeds} seeds")
                pngs.append("pareto_fronts.png")
            for f in pngs:
                written[f] = hashlib.sha256((out / f).read_bytes()).hexdigest()
    facts = _provenance(result)
    # which path ran (compiled or Python) gives the same numbers, so the page leaves it to the manifest
    shown = {**facts, "strategies": {n: {k: v for k, v in d.items() if k != "path"}
                                     for n, d in facts["strategies"].items()}}
    put("report.html", render_report(leaderboard_markdown(result), pngs, out, shown))
    manifest = {
        "format": "nasbench-compare",
        "format_version": 1,
        "nasbench_version": __version__,
        **facts,
        "outputs": dict(sorted(written.items())),
        "skipped": skipped,
        "run": {"created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "wall_time_s": round(result.wall_time_s, 3)},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return written


def _provenance(result: CompareResult) -> dict:
    """What a reader needs to trust the numbers (manifest and report.html): versions, config, seeds,
    benchmark checksums, the resolved task and every strategy's parameters. No timestamps."""
    return {
        "versions": _versions(),
        "config": result.config.to_dict(),
        **({"equal_cost_from": result.config.equal_cost_from} if hasattr(result.config, "equal_cost_from") else {}),
        "seeds": {"root": result.config.seed, "n_seeds": result.config.n_seeds,
                  "scheme": "seed i of every strategy = numpy SeedSequence(root, spawn_key=(i,)) "
                            "(common random numbers across strategies)"},
        "benchmark": _benchmark_checksums(result.task),
        "task": jsonable(result.task.describe()),
        "strategies": {
            n: {"class": _mo_class(n) if n in _mo_names() else resolve(n),
                "params": _make(n, result.task, result.setup, 0, result.config.params.get(n, {})).params(),
                "path": result.paths[n]}
            for n in result.config.strategies
        },
        **({"hardware": {**jsonable(result.setup.describe()), "latency_tables_sha256": result.setup.latency_checksums()}}
           if result.setup is not None else {}),
    }


def _mo_names():
    from strategies.hardware import MO_STRATEGIES

    return MO_STRATEGIES


def _mo_class(name: str) -> str:
    from strategies.hardware import MO_STRATEGIES

    return MO_STRATEGIES[name]


def _benchmark_checksums(task: Task) -> dict:
    bench = task.benchmark
    info = {"name": bench.name}
    table = getattr(bench, "table", None)
    if table is None or getattr(table, "directory", None) is None:  # no table folder: the sources it read
        described = bench.describe()
        for key in ("sources", "models"):
            if described.get(key):
                info[f"{key}_sha256"] = hashlib.sha256(
                    json.dumps(jsonable(described[key]), sort_keys=True, default=str).encode()).hexdigest()
        return info
    path = Path(table.directory) / "manifest.json"
    info["manifest_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    used = {task.objective.search_metric, task.report_metric, task.objective.cost_metric}
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
