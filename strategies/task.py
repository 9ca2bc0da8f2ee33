"""What a search optimises and reports on one benchmark, and what each evaluation costs.

A :class:`Task` resolves an :class:`Objective` against a benchmark:

* **search metric** (default ``valid_acc``) at the **search fidelity** (default: its highest
  fidelity). On ``nb201/cifar10`` that is the cifar10-valid validation accuracy after the
  200-epoch schedule; on ``nb201/cifar100`` and ``nb201/imagenet16-120`` the public data has
  validation accuracy only for the 12-epoch schedule, so the default search fidelity there is 12.
  Multi-fidelity strategies may also ask for the lower fidelities of the same metric.
* **report metric** (default ``test_acc``) at the **report fidelity** (default: its highest, 200):
  the test accuracy of the incumbent is reported, never used for search.
* **regret** = best report value over the whole benchmark minus the incumbent's report value
  (percentage points; 0 is the best arch in the table).
* **cost** of one evaluation: :mod:`strategies.cost`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from nasbench.errors import MissingValueError, UnknownNameError, choices_text
from strategies.cost import cost_columns

__all__ = ["Objective", "Task"]


@dataclass(frozen=True)
class Objective:
    """Which metric a search optimises and which it reports.

    Parameters
    ----------
    search_metric : str, default "valid_acc"
    search_fidelity : int or None
        None means the search metric's highest fidelity.
    report_metric : str, default "test_acc"
    report_fidelity : int or None
        None means the report metric's highest fidelity.
    cost_metric : str, default "train_time_s"
        Cost of an evaluation in simulated seconds (see :mod:`strategies.cost`).
    """

    search_metric: str = "valid_acc"
    search_fidelity: int | None = None
    report_metric: str = "test_acc"
    report_fidelity: int | None = None
    cost_metric: str = "train_time_s"

    def to_dict(self) -> dict:
        return asdict(self)


class Task:
    """An objective resolved on a benchmark: value, report and cost arrays by arch index.

    Parameters
    ----------
    benchmark : nasbench.benchmarks.Benchmark
        A tabular benchmark (it must offer ``column``: every arch's value in one array).
    objective : Objective, optional

    Attributes
    ----------
    fidelities : tuple of int
        The search metric's fidelities up to the search fidelity, ascending.
    search_fidelity, report_fidelity : int or None
    values : dict fidelity -> float64 array of shape (n_archs,)
        Search metric (higher is better).
    report : float64 array of shape (n_archs,)
    best_report : float
    best_report_index : int
    costs : dict fidelity -> float64 array of shape (n_archs,)
        Simulated seconds per evaluation.
    cost_info : dict
        How costs were obtained (for the manifest).
    """

    def __init__(self, benchmark, objective: Objective | None = None):
        objective = objective or Objective()
        self.benchmark = benchmark
        self.space = benchmark.space
        self.objective = objective
        if not hasattr(benchmark, "column"):
            raise UnknownNameError(
                f"the simulator needs a benchmark that gives whole columns (a tabular benchmark); "
                f"{benchmark!r} does not. Use a tabular benchmark such as nb201/cifar10."
            )
        for metric in (objective.search_metric, objective.report_metric):
            if metric not in benchmark.metrics:
                raise UnknownNameError(
                    f"{benchmark.name} has no metric {metric!r}; expected one of {choices_text(benchmark.metrics)}."
                )
        sm = objective.search_metric
        self.search_fidelity = (
            benchmark.default_fidelity(sm) if objective.search_fidelity is None else objective.search_fidelity
        )
        all_fids = benchmark.fidelities(sm)
        if all_fids == (None,):
            self.fidelities = (None,)
        else:
            if self.search_fidelity not in all_fids:
                raise UnknownNameError(
                    f"{sm} of {benchmark.name} has no fidelity {self.search_fidelity!r}; expected one of "
                    f"{choices_text(all_fids)}."
                )
            self.fidelities = tuple(sorted(f for f in all_fids if f <= self.search_fidelity))
        rm = objective.report_metric
        self.report_fidelity = (
            benchmark.default_fidelity(rm) if objective.report_fidelity is None else objective.report_fidelity
        )
        self.values = {f: self._full_column(sm, f) for f in self.fidelities}
        self.report = self._full_column(rm, self.report_fidelity)
        self.best_report_index = int(np.argmax(self.report))
        self.best_report = float(self.report[self.best_report_index])
        self.costs, self.cost_info = cost_columns(benchmark, self.fidelities, objective.cost_metric)
        self.n_archs = self.report.shape[0]
        self._value_lists = self._cost_lists = None

    def _full_column(self, metric, fidelity) -> np.ndarray:
        column = self.benchmark.column(metric, fidelity)
        n_missing = int(np.isnan(column).sum())
        if n_missing:
            raise MissingValueError(
                f"{self.benchmark.name} lacks {metric} at fidelity {fidelity} for {n_missing} of "
                f"{column.shape[0]} archs, so a search cannot use it; pick a metric and fidelity with full "
                f"coverage (see `nasbench info {self.benchmark.name}`)."
            )
        return column

    def index_of(self, arch) -> int:
        """Arch index of one arch (the benchmark's row)."""
        try:
            return arch.index
        except AttributeError:
            indices, _ = self.space.to_indices([arch])
            return int(indices[0])

    def value_lists(self) -> dict:
        """:attr:`values` as Python lists of floats (cached; the Python loop indexes them faster)."""
        if self._value_lists is None:
            self._value_lists = {f: v.tolist() for f, v in self.values.items()}
        return self._value_lists

    def cost_lists(self) -> dict:
        """:attr:`costs` as Python lists of floats (cached)."""
        if self._cost_lists is None:
            self._cost_lists = {f: c.tolist() for f, c in self.costs.items()}
        return self._cost_lists

    def describe(self) -> dict:
        """JSON-serialisable summary for manifests."""
        return {
            "benchmark": self.benchmark.name,
            "search_metric": self.objective.search_metric,
            "search_fidelity": self.search_fidelity,
            "fidelities": list(self.fidelities),
            "report_metric": self.objective.report_metric,
            "report_fidelity": self.report_fidelity,
            "best_report_value": self.best_report,
            "best_report_arch_index": self.best_report_index,
            "values": "table means over training seeds (benchmark.column; no per-seed noise is sampled)",
            "regret": f"{self.best_report!r} - {self.objective.report_metric} of the incumbent "
                      f"(incumbent = best {self.objective.search_metric} among evaluations at the highest "
                      f"fidelity evaluated so far)",
            "cost": self.cost_info,
        }
