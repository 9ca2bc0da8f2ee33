"""The setup of a hardware-aware comparison: a constraint and/or two objectives added to a task.

``nasbench compare --constraint "latency_ms@pixel3 <= 15" --objectives test_acc,latency_ms@pixel3``
builds one :class:`HardwareSetup` per process from the task and those two strings (and
``--hv-reference``); it builds every strategy of the comparison (:meth:`HardwareSetup.make`) and adds
the hardware figures to each run's score (:meth:`HardwareSetup.score`). The pieces it composes live
in their own modules:

* :mod:`strategies.constraints`: parsing a constraint, the feasible archs, constrained space and
  strategy wrapper;
* :mod:`strategies.pareto`: Pareto fronts, non-dominated ranks, hypervolume, attainment;
* :mod:`strategies.pareto_evolution`: the multi-objective strategy ``pareto_evolution``, registered
  with the others in :mod:`strategies.registry`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from nasbench.checks import is_number
from nasbench.errors import NasbenchError, UnknownNameError
from strategies.constraints import (
    ConstrainedSpace,
    ConstrainedStrategy,
    constrained_best,
    metric_column,
    parse_constraint,
)
from strategies.pareto import hypervolume_2d, hypervolume_of_history, pareto_mask

__all__ = ["HardwareSetup", "ParetoObjectives", "parse_objectives"]

_OBJECTIVE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:@\s*([A-Za-z0-9_\-]+))?\s*$")


@dataclass(frozen=True)
class ParetoObjectives:
    """The two objectives of a multi-objective comparison: accuracy (up) versus a cost (down).

    Attributes
    ----------
    accuracy : str
        The reported accuracy metric on the front (``test_acc``): the comparison's report metric.
    cost : str
        A static per-arch metric, lower is better: ``latency_ms`` (needs ``device``) or e.g. ``params_m``.
    device : str or None
    """

    accuracy: str
    cost: str
    device: str | None

    def __str__(self):
        return f"{self.accuracy},{self.cost}{'@' + self.device if self.device else ''}"

    @property
    def cost_label(self) -> str:
        return f"{self.cost}@{self.device}" if self.device else self.cost


def parse_objectives(spec) -> ParetoObjectives:
    """Parse ``"test_acc,latency_ms@pixel3"`` (or a 2-sequence of those strings).

    The first entry is the accuracy to maximise (the reported metric), the second the cost to minimise.

    Examples
    --------
    >>> parse_objectives("test_acc, latency_ms@pixel3")
    ParetoObjectives(accuracy='test_acc', cost='latency_ms', device='pixel3')
    """
    items = [p.strip() for p in spec.split(",")] if isinstance(spec, str) else list(spec) if isinstance(
        spec, (list, tuple)) else None
    if items is None or len(items) != 2 or not all(isinstance(i, str) for i in items):
        raise UnknownNameError(
            f"objectives are two names, accuracy then cost, like 'test_acc,latency_ms@pixel3'; got {spec!r}."
        )
    acc = _OBJECTIVE.match(items[0])
    cost = _OBJECTIVE.match(items[1])
    if acc is None or cost is None or acc.group(2) is not None:
        raise UnknownNameError(
            f"cannot parse the objectives {spec!r}; write ACCURACY_METRIC,COST_METRIC[@DEVICE], "
            "e.g. 'test_acc,latency_ms@pixel3'."
        )
    if cost.group(1) == "latency_ms" and cost.group(2) is None:
        raise UnknownNameError(f"latency_ms needs a device in the objectives {spec!r}: write e.g. 'latency_ms@pixel3'.")
    return ParetoObjectives(acc.group(1), cost.group(1), cost.group(2))


def _constrained_task(task, feasible):
    """A shallow copy of ``task`` whose best report value (the regret reference) is the best feasible arch's."""
    import copy

    out = copy.copy(task)
    out.best_report_index, out.best_report = constrained_best(task.report, feasible)
    return out


class HardwareSetup:
    """What a constrained and/or multi-objective comparison adds to a :class:`~strategies.task.Task`.

    Built once per process from the task and the config's ``constraint``, ``objectives`` and
    ``hv_reference``; it builds the strategies (:meth:`make`) and scores each run (:meth:`score`).

    * **Constraint.** Every strategy searches the :class:`~strategies.constraints.ConstrainedSpace` of
      the feasible archs and is wrapped in a :class:`~strategies.constraints.ConstrainedStrategy`
      (``on_infeasible="resample"``), so only feasible archs are ever evaluated, whatever the strategy
      samples from. :attr:`task` is the task with the regret reference moved to the best *feasible*
      arch: regret = best feasible report value - incumbent's.
    * **Objectives** (accuracy up, cost down). Each run is scored by the hypervolume of the archs it
      evaluated at the search fidelity, in (report accuracy, cost), divided by the hypervolume of the
      front of all (feasible) archs of the table for the same reference point: 1 = the whole front was
      found. Without explicit objectives, a constraint on a static metric gives the objectives
      (report metric, constrained metric), so its hypervolume is still reported. Strategies that take
      a ``cost`` (``pareto_evolution``, Optuna's multi-objective samplers) get the cost column.
    * **Reference point** (``hv_reference``, default): accuracy = the median report value of the
      feasible archs; cost = the constraint's bound when it bounds the cost objective from above, else
      the largest cost of the table. Points worse than the reference add nothing.

    Parameters
    ----------
    task : strategies.task.Task
    constraint : str or None
    objectives : str, sequence of 2 str, or None
    hv_reference : sequence of 2 float or None
        (accuracy, cost) reference point.
    """

    def __init__(self, task, constraint=None, objectives=None, hv_reference=None):
        self.base_task = task
        self.constraint = None if constraint is None else parse_constraint(constraint)
        self.explicit_objectives = objectives is not None
        self.objectives = None if objectives is None else parse_objectives(objectives)
        if self.objectives is not None and self.objectives.accuracy != task.report_metric:
            raise NasbenchError(
                f"the first objective {self.objectives.accuracy!r} must be the report metric "
                f"{task.report_metric!r}; set the report metric to it (or list it first)."
            )
        self._set_feasible(task)
        self.cost = None
        if self.objectives is not None:
            self._set_objectives(task, hv_reference)

    def _set_feasible(self, task) -> None:
        """``feasible`` (bool, shape (n_archs,)), the searched ``space`` and the scored ``task``."""
        bench = task.benchmark
        if self.constraint is None:
            self.feasible = np.ones(task.n_archs, dtype=bool)
            self.space, self.task = task.space, task
            return
        self.feasible = self.constraint.holds(self.constraint.column(bench))
        if not self.feasible.any():
            raise NasbenchError(f"no arch of {bench.name} meets {self.constraint}; loosen the bound.")
        self.space = ConstrainedSpace(task.space, self.feasible, constraint=self.constraint)
        self.task = _constrained_task(task, self.feasible)
        if self.objectives is None and self.constraint.metric != task.report_metric:
            self.objectives = ParetoObjectives(task.report_metric, self.constraint.metric, self.constraint.device)

    def _set_objectives(self, task, hv_reference) -> None:
        """``cost`` (float64, shape (n_archs,)), ``reference`` point, full-table hypervolume and front."""
        bench = task.benchmark
        self.cost = np.asarray(metric_column(bench, self.objectives.cost, self.objectives.device), dtype=np.float64)
        if np.isnan(self.cost[self.feasible]).any():
            raise NasbenchError(f"{self.objectives.cost_label} is missing for some archs of {bench.name}; "
                                "multi-objective scoring needs it for every arch. Pick a cost measured for "
                                "every arch (for example params_m or latency_ms@DEVICE).")
        report = task.report
        self.reference, self.reference_rule = self._reference_point(report, hv_reference)
        f = np.flatnonzero(self.feasible)
        self.full_hypervolume = hypervolume_2d(report[f], self.cost[f], *self.reference)
        if self.full_hypervolume <= 0:
            raise NasbenchError(
                f"no feasible arch is better than the reference point {self.reference} in both objectives; "
                "pick a lower reference accuracy or a higher reference cost."
            )
        self.true_front = f[pareto_mask(report[f], self.cost[f])]

    def _reference_point(self, report, hv_reference) -> tuple[tuple[float, float], str]:
        """The hypervolume reference point (accuracy, cost) and the rule that gave it."""
        if hv_reference is not None:
            ref = list(hv_reference)
            if len(ref) != 2 or not all(is_number(v) and math.isfinite(v) for v in ref):
                raise NasbenchError(f"hv_reference must be two finite numbers (accuracy, cost); got {hv_reference!r}.")
            return (float(ref[0]), float(ref[1])), "given in the config"
        c = self.constraint
        bounds_cost = (c is not None and c.metric == self.objectives.cost and c.device == self.objectives.device
                       and c.op in ("<=", "<"))
        ref_cost = float(c.bound) if bounds_cost else float(np.nanmax(self.cost[self.feasible]))
        which = "feasible archs" if c is not None else "archs"
        rule = (f"accuracy: median report value of the {which}; cost: "
                + ("the constraint's bound" if bounds_cost else f"the largest cost of the {which}"))
        return (float(np.median(report[self.feasible])), ref_cost), rule

    @property
    def multi_objective(self) -> bool:
        """True when objectives were given explicitly (the leaderboard is then ranked by hypervolume)."""
        return self.explicit_objectives

    @property
    def constrained(self) -> bool:
        return self.constraint is not None

    def check_strategy(self, name: str) -> None:
        """Refuse a strategy that needs a cost column (``pareto_evolution``) when there are no objectives."""
        from strategies.registry import needs_cost

        if self.cost is None and needs_cost(name):
            raise NasbenchError(f"{name} optimises accuracy against a cost: give objectives, e.g. "
                                "--objectives test_acc,latency_ms@pixel3.")

    def make(self, name: str, seed, params: dict):
        """Strategy ``name`` for this setup: on the feasible space, wrapped so it proposes only feasible
        archs; a strategy that takes a ``cost`` gets the objectives' cost column unless ``params`` has one."""
        from strategies.registry import make_strategy, takes_cost

        self.check_strategy(name)
        if self.cost is not None and "cost" not in params and takes_cost(name):
            params = {**params, "cost": self.cost}
        strategy = make_strategy(name, self.space, seed=seed, **params)
        if self.constraint is not None:
            strategy = ConstrainedStrategy(strategy, self.feasible, constraint=self.constraint)
        return strategy

    def score(self, history, traj: dict) -> dict:
        """Per-run hardware figures: infeasible evaluations, incumbent search value, hypervolume."""
        task = self.task
        idx = np.asarray(history.arch_index, dtype=np.int64)
        inc = int(traj["incumbent_index"][-1])
        row = {"final_search": float(task.values[task.search_fidelity][inc]),
               "infeasible_evals": int((~self.feasible[idx]).sum())}
        if self.cost is not None:
            top = idx[self._at_search_fidelity(history)]
            hv = hypervolume_of_history(top, task.report, self.cost, *self.reference)
            row["hypervolume"] = hv / self.full_hypervolume
            row["hypervolume_abs"] = hv
        return row

    def evaluated_at_search_fidelity(self, history) -> np.ndarray:
        """Arch indices a run evaluated at the search fidelity (those that count for the front)."""
        return np.asarray(history.arch_index, dtype=np.int64)[self._at_search_fidelity(history)]

    def _at_search_fidelity(self, history) -> np.ndarray:
        from strategies.history import FIDELITY_NONE

        f = self.task.search_fidelity
        return np.asarray(history.fidelity) == (FIDELITY_NONE if f is None else f)

    def describe(self) -> dict:
        """JSON-serialisable summary for the manifest and the leaderboard header."""
        task = self.task
        out = {}
        if self.constraint is not None:
            out["constraint"] = {
                "text": str(self.constraint), "n_feasible": int(self.feasible.sum()), "n_archs": int(self.feasible.size),
                "best_feasible_index": task.best_report_index, "best_feasible_report": task.best_report,
                "best_overall_report": self.base_task.best_report,
                "how": "every strategy searches the feasible archs only (ConstrainedSpace) and is wrapped in "
                       "ConstrainedStrategy(on_infeasible='resample'): infeasible archs are never evaluated",
                "regret": "best feasible report value - report value of the incumbent",
            }
        if self.cost is not None:
            out["objectives"] = {
                "accuracy": self.objectives.accuracy, "cost": self.objectives.cost_label,
                "explicit": self.explicit_objectives,
                "reference_point": list(self.reference), "reference_rule": self.reference_rule,
                "full_front_hypervolume": self.full_hypervolume,
                "true_front_size": int(self.true_front.size),
                "hypervolume": "area dominated by the archs a run evaluated at the search fidelity, in "
                               f"({self.objectives.accuracy} up, {self.objectives.cost_label} down), bounded by the "
                               "reference point, divided by the same area for all feasible archs of the table",
            }
        return out

    def latency_checksums(self) -> dict:
        """sha256 of the latency tables' manifests (when a latency metric is used)."""
        import hashlib
        from pathlib import Path

        devices = {d for d in ((self.constraint.device if self.constraint else None),
                               (self.objectives.device if self.objectives else None)) if d}
        if not devices:
            return {}
        from nasbench.benchmarks.latency import load_latency

        tables = load_latency(self.task.space.name).tables
        return {f"latency/{src}/manifest.json": hashlib.sha256((Path(t.directory) / "manifest.json").read_bytes()).hexdigest()
                for src, t in sorted(tables.items())}
