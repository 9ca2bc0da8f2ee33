"""The configuration of a comparison: :class:`CompareConfig`, its checks and its file forms.

Everything that defines a comparison (and nothing about where it runs) is one dataclass; every
field is checked when it is built, and an error names the key and the ``nasbench compare`` flag
that sets it. :meth:`CompareConfig.from_file` reads the same keys from a JSON or TOML file.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import tomllib

from nasbench.benchmarks.registry import default_benchmark
from nasbench.checks import is_int, is_number
from nasbench.errors import NasbenchError, choices_text
from strategies.registry import STRATEGIES, needs_cost, strategy_class
from strategies.task import Objective

__all__ = ["DEFAULT_STRATEGIES", "CompareConfig"]

DEFAULT_STRATEGIES = ("random_search", "regularized_evolution", "local_search", "reinforce", "bohb")


# CompareConfig field -> the `nasbench compare` flag that sets it (error messages name both)
FIELD_FLAGS = {"benchmark": "NAME", "strategies": "--strategies", "n_seeds": "--seeds", "seed": "--seed",
          "max_evals": "--budget", "max_time_s": "--time-budget", "n_workers": "--workers",
          "constraint": "--constraint", "objectives": "--objectives", "hv_reference": "--hv-reference",
          "objective": "--search-metric etc.", "params": "config file only",
          "equal_cost": "--no-equal-cost",
          "search_metric": "--search-metric", "search_fidelity": "--search-fidelity",
          "report_metric": "--report-metric", "report_fidelity": "--report-fidelity", "noise": "--noise"}
# an interval over seeds, ranks and paired tests need two seeds at least
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
    n_seeds : int, default 100
        At least 2: the leaderboard reports a mean and a 95% bootstrap interval over seeds, ranks and
        paired tests.
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
    n_seeds: int = 100
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
        from strategies._limits import check_fits
        from strategies.constraints import parse_constraint
        from strategies.hardware import parse_objectives

        self._check_types()
        if self.constraint is not None:
            self.constraint = str(parse_constraint(self.constraint))
        if self.objectives is not None:
            parsed = parse_objectives(self.objectives)
            self.objectives = str(parsed)
            given = self.objective.get("report_metric")
            if given is None:
                self.objective = {**self.objective, "report_metric": parsed.accuracy}
            elif given != parsed.accuracy:
                raise NasbenchError(
                    f"the first objective {parsed.accuracy!r} must be the report metric, which is {given!r}; "
                    "make them the same (or drop report_metric)."
                )
        self._check_constraint_leak()
        if self.hv_reference is not None:
            if self.constraint is None and self.objectives is None:
                raise NasbenchError("hv_reference needs objectives (--objectives), or a constraint on a static "
                                    "metric (--constraint); got --hv-reference alone.")
            ref = list(self.hv_reference)
            if len(ref) != 2 or not all(is_number(v) and math.isfinite(v) for v in ref):
                raise NasbenchError(f"hv_reference must be two finite numbers (accuracy, cost; --hv-reference ACC,COST); "
                                    f"got {self.hv_reference!r}.")
            self.hv_reference = [float(v) for v in ref]
        if isinstance(self.strategies, str):
            self.strategies = tuple(s.strip() for s in self.strategies.split(",") if s.strip())
        self.strategies = tuple(self.strategies)
        if not self.strategies:
            raise NasbenchError(f"give at least one strategy; choose from {choices_text(STRATEGIES)}.")
        for s in self.strategies:
            strategy_class(s)  # built-in, entry point, import path or optuna:SAMPLER
            if self.objectives is None and needs_cost(s):
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
            flag = FIELD_FLAGS.get(key)
            raise NasbenchError(f"{key}{f' ({flag})' if flag else ''} must be {expected}; got "
                                f"{_shown(getattr(self, key))} of type {type(getattr(self, key)).__name__}.")

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
                is_number(self.max_time_s) and math.isfinite(self.max_time_s) and self.max_time_s > 0):
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
                raise NasbenchError(f"objective.{key} ({FIELD_FLAGS.get(key, 'config file')}) must be a metric name; "
                                    f"got {_shown(value)}.")
        for key in ("search_fidelity", "report_fidelity"):
            value = self.objective.get(key)
            if value is not None and not (is_int(value) or isinstance(value, float) and math.isfinite(value)):
                raise NasbenchError(f"objective.{key} ({FIELD_FLAGS[key]}) must be a number (or absent for the "
                                    f"highest); got {_shown(value)}.")
        for key in ("constraint", "objectives"):
            if getattr(self, key) is not None and not isinstance(getattr(self, key), str):
                bad(key, "a string such as " + ("'latency_ms@pixel3 <= 10'" if key == "constraint"
                                                else "'test_acc,latency_ms@pixel3'"))
        if self.hv_reference is not None and not isinstance(self.hv_reference, (list, tuple)):
            bad("hv_reference", "two numbers (accuracy, cost)")

    def _check_constraint_leak(self) -> None:
        """Refuse a constraint on the test (report) metric: it would let the test set steer the search."""
        if self.constraint is None:
            return
        from strategies.constraints import parse_constraint

        metric = parse_constraint(self.constraint).metric
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
        if overrides.get("strategies") is not None and isinstance(data.get("params"), dict):
            # --strategies replaces the file's list: the file's params of strategies left out are not run,
            # so they are dropped rather than refused (the file is a protocol, reused for subsets)
            chosen = overrides["strategies"]
            names = {n.strip() for n in (chosen.split(",") if isinstance(chosen, str) else chosen)}
            data["params"] = {name: value for name, value in data["params"].items() if name in names}
        data.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**data)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["strategies"] = list(self.strategies)
        return d
