"""What a search optimises and reports on one benchmark, and what each evaluation costs.

A :class:`Task` resolves an :class:`Objective` against any benchmark (the contract of
:mod:`nasbench.benchmarks.base`):

* **search metric** (default ``valid_acc``) at the **search fidelity** (default: its highest
  fidelity). On ``nb201/cifar10`` that is the cifar10-valid validation accuracy after the
  200-epoch schedule; on ``nb201/cifar100`` and ``nb201/imagenet16-120`` the public data has
  validation accuracy only for the 12-epoch schedule, so the default search fidelity there is 12.
  Multi-fidelity strategies may also ask for the lower fidelities of the same metric.
* **noise**: with ``noise="draw"`` (the default) each evaluation returns one training outcome (a seed
  of the table, a sample of the surrogate's noise model, a seeded training run), picked by a uniform
  of the run's noise stream (:func:`strategies.simulator.noise_seed_of`); ``noise="mean"`` returns the
  mean over outcomes, as the table or model gives it.
* **report metric** (default ``test_acc``, else the search metric where the benchmark has no
  ``test_acc``) at the **report fidelity** (default: its highest): the report value of the
  incumbent, never used for search; always the mean, never a draw.
* **regret** (enumerable benchmarks) = best report value over the whole space minus the incumbent's
  (0 is the best arch). Where the space is too large to list, no optimum is known: the leaderboard
  ranks on the incumbent's report value instead (:attr:`Task.best_report` is None).
* **cost** of one evaluation: the benchmark's :meth:`~nasbench.benchmarks.base.Benchmark.cost` for the
  searched metric (simulated seconds, with provenance).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

from nasbench.errors import MissingValueError, NasbenchError, UnknownNameError, choices_text

__all__ = ["Objective", "Task", "NOISE_MODES"]

NOISE_MODES = ("draw", "mean")


@dataclass(frozen=True)
class Objective:
    """Which metric a search optimises and which it reports.

    Parameters
    ----------
    search_metric : str or None
        None means the benchmark's validation metric (``valid_acc``, else its ``valid_*`` metric;
        :meth:`~nasbench.benchmarks.base.Benchmark.default_search_metric`).
    search_fidelity : int or None
        None means the search metric's highest fidelity.
    report_metric : str or None
        None means ``test_acc`` where the benchmark has it, else the search metric.
    report_fidelity : int or None
        None means the report metric's highest fidelity.
    cost_metric : str, default "train_time_s"
        The benchmark's training-time metric (see :mod:`nasbench.benchmarks._cost`).
    """

    search_metric: str | None = None
    search_fidelity: int | None = None
    report_metric: str | None = None
    report_fidelity: int | None = None
    cost_metric: str = "train_time_s"

    def to_dict(self) -> dict:
        return asdict(self)


class Task:
    """An objective resolved on a benchmark.

    Parameters
    ----------
    benchmark : nasbench.benchmarks.base.Benchmark
    objective : Objective, optional
    noise : {"draw", "mean"}, default "draw"

    Attributes
    ----------
    enumerable : bool
        True when the benchmark lists every arch; then the arrays below exist.
    fidelities : tuple of int
        The search metric's fidelities up to the search fidelity, ascending.
    search_fidelity, report_metric, report_fidelity
    report_higher_is_better : bool
        Direction of the report metric (regret and rankings follow it).
    search_sign : float
        +1 when the search metric is higher-is-better, -1 when lower is better (strategies are told
        ``search_sign * value`` and maximise it).
    values : dict fidelity -> float64 array of shape (n_archs,)
        Mean search metric, in its own direction; enumerable only.
    draws : dict fidelity -> float64 array of shape (n_archs, n_outcomes)
        Training outcomes of the search metric (NaN where missing; one column of means with
        ``noise="mean"``); enumerable only.
    report : float64 array of shape (n_archs,); enumerable only
    best_report : float or None
    best_report_index : int or None
    costs : dict fidelity -> float64 array of shape (n_archs,); enumerable only
        Simulated seconds per evaluation.
    cost_info : dict
        How costs were obtained (for the manifest).
    """

    def __init__(self, benchmark, objective: Objective | None = None, *, noise: str = "draw"):
        objective = objective or Objective()
        if noise not in NOISE_MODES:
            raise UnknownNameError(f"noise must be one of {choices_text(NOISE_MODES)}; got {noise!r}.")
        self.benchmark, self.space, self.noise = benchmark, benchmark.space, noise
        self.enumerable = bool(getattr(benchmark, "enumerable", False))
        if objective.search_metric is None:
            sm = benchmark.default_search_metric()
            if sm is None:
                raise NasbenchError(
                    f"{benchmark.name} has no validation metric to search on (metrics: "
                    f"{choices_text(benchmark.metrics)}); choose one with --search-metric (search_metric). A test "
                    "metric works, but then the search sees the test set and its result is no unbiased estimate."
                )
            objective = replace(objective, search_metric=sm)
        sm = objective.search_metric
        rm = objective.report_metric or ("test_acc" if "test_acc" in benchmark.metrics else sm)
        self.objective = objective
        self.report_metric = rm
        for metric in (sm, rm):
            if metric not in benchmark.metrics:
                raise UnknownNameError(
                    f"{benchmark.name} has no metric {metric!r}; expected one of {choices_text(benchmark.metrics)}."
                )
        if objective.cost_metric != "train_time_s":
            raise NasbenchError(
                f"an evaluation costs the training time of the searched run, so cost_metric must be 'train_time_s'; "
                f"got {objective.cost_metric!r}. Drop cost_metric (hardware costs go in objectives/constraint)."
            )
        # strategies maximise what they are told: a lower-is-better metric is told negated (exact in
        # floating point), while histories and reports keep the metric's own values
        self.search_sign = 1.0 if benchmark.higher_is_better(sm) else -1.0
        self.search_fidelity = benchmark.default_fidelity(sm) if objective.search_fidelity is None \
            else objective.search_fidelity
        self.fidelities = self._fidelities_up_to(sm, self.search_fidelity)
        self.report_fidelity = benchmark.default_fidelity(rm) if objective.report_fidelity is None \
            else objective.report_fidelity
        self.report_higher_is_better = benchmark.higher_is_better(rm)
        self._value_lists = self._cost_lists = self._outcome_lists = None
        self._cache: dict = {}  # non-enumerable: (arch, fidelity, outcome) -> value, (arch, fidelity) -> cost
        if self.enumerable:
            self._tabulate()
        else:
            self.best_report = self.best_report_index = None
            _, self.cost_info = self._cost_of([])  # provenance only: costs come per evaluation

    def _fidelities_up_to(self, metric, top) -> tuple:
        all_fids = self.benchmark.fidelities(metric)
        if all_fids == (None,):
            return (None,)
        if top not in all_fids:
            raise UnknownNameError(
                f"{metric} of {self.benchmark.name} has no fidelity {top!r}; expected one of {choices_text(all_fids)}."
            )
        return tuple(sorted(f for f in all_fids if f <= top))

    def _tabulate(self) -> None:
        bench, sm = self.benchmark, self.objective.search_metric
        self.values = {f: self._full_column(sm, f) for f in self.fidelities}
        self.draws, self._n_mean_only = {}, {}
        for f in self.fidelities:
            table = bench.column_draws(sm, f) if self.noise == "draw" else None
            if table is not None:
                # archs with a mean but no per-seed value (a source that sampled seeds for some archs only)
                # draw their mean: counted in noise_info, never a missing value
                mean_only = np.isnan(table).all(axis=1)
                if mean_only.any():
                    table = np.array(table)
                    table[mean_only, 0] = self.values[f][mean_only]
                self._n_mean_only[f] = int(mean_only.sum())
            self.draws[f] = np.ascontiguousarray(self.values[f][:, None] if table is None else table)
        self.report = self._full_column(self.report_metric, self.report_fidelity)
        pick = np.argmax if self.report_higher_is_better else np.argmin
        self.best_report_index = int(pick(self.report))
        self.best_report = float(self.report[self.best_report_index])
        self.costs, per_fid = {}, {}
        for f in self.fidelities:
            cost = bench.cost(np.arange(bench.n_archs), f, metric=sm)
            self.costs[f] = np.asarray(cost.seconds, dtype=np.float64)
            per_fid[str(f)] = cost.provenance
        self.cost_info = {"metric": self.objective.cost_metric, "per_fidelity": per_fid}
        self.n_archs = self.report.shape[0]

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

    # ------------------------------------------------------------------ per evaluation
    def index_of(self, arch) -> int:
        """Arch index of one arch (the benchmark's row); -1 on a non-enumerable benchmark."""
        if not self.enumerable:
            return -1
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

    def outcome_lists(self) -> dict:
        """Per fidelity, per arch, the list of outcomes present (NaN dropped), for the Python loop;
        the rule ``k = int(u * len(list))`` then equals the compiled one."""
        if self._outcome_lists is None:
            out = {}
            for f, table in self.draws.items():
                if table.shape[1] == 1:
                    out[f] = [[v] for v in table[:, 0].tolist()]
                else:
                    out[f] = [[v for v in row if v == v] for row in table.tolist()]
            self._outcome_lists = out
        return self._outcome_lists

    def evaluate(self, arch, fidelity, u: float) -> tuple[float, float]:
        """(search value, cost in simulated seconds) of one evaluation on a non-enumerable benchmark.

        ``u`` picks the outcome (ignored with ``noise="mean"``). Values are cached per (arch, fidelity,
        outcome) and costs per (arch, fidelity), so revisiting an arch costs a dict lookup.
        """
        cache = self._cache
        if self.noise == "mean":
            key = (arch, fidelity, -1)
            value = cache.get(key)
            if value is None:
                value = cache[key] = float(self.benchmark.query([arch], self.objective.search_metric, fidelity)[0])
        else:
            n = self._n_outcomes(fidelity)
            d = min(int(u * n), n - 1)
            key = (arch, fidelity, d)
            value = cache.get(key)
            if value is None:
                value = cache[key] = float(self.benchmark.query_draws(
                    [arch], self.objective.search_metric, fidelity, np.array([(d + 0.5) / n]))[0])
        # the value first: a live-training benchmark then times the run the draw just trained, if it is the one
        # its cost reads
        cost = cache.get((arch, fidelity))
        if cost is None:
            cost = cache[(arch, fidelity)] = float(self._cost_of([arch], fidelity)[0][0])
        return value, cost

    def _n_outcomes(self, fidelity) -> int:
        key = ("n_outcomes", fidelity)
        if key not in self._cache:
            self._cache[key] = int(self.benchmark.noise(self.objective.search_metric, fidelity)["n_outcomes"])
        return self._cache[key]

    def _cost_of(self, archs, fidelity=None):
        fidelity = self.search_fidelity if fidelity is None else fidelity
        c = self.benchmark.cost(archs, fidelity, metric=self.objective.search_metric)
        return c.seconds, {"metric": self.objective.cost_metric, "per_fidelity": {"any": c.provenance}}

    def report_of(self, archs) -> np.ndarray:
        """Mean report metric of ``archs`` (float64 (n,)); on a non-enumerable benchmark predicted in one
        batch and cached per arch."""
        archs = list(archs)
        missing = [a for a in dict.fromkeys(archs) if ("report", a) not in self._cache]
        if missing:
            values = np.atleast_1d(self.benchmark.query(missing, self.report_metric, self.report_fidelity))
            for a, v in zip(missing, values.tolist()):
                self._cache[("report", a)] = v
        return np.array([self._cache[("report", a)] for a in archs], dtype=np.float64)

    def noise_info(self) -> dict:
        """Per search fidelity, where the draws come from and how many outcomes an arch has."""
        if self.noise == "mean":
            return {"mode": "mean", "about": "every evaluation returns the mean over training outcomes"}
        per_fid = {str(f): self.benchmark.noise(self.objective.search_metric, f) for f in self.fidelities}
        for f, n in getattr(self, "_n_mean_only", {}).items():
            if n:
                per_fid[str(f)]["n_archs_drawing_the_mean"] = n
                per_fid[str(f)]["why_mean"] = "the source has no per-seed value for these archs, only the mean"
        return {"mode": "draw", "per_fidelity": per_fid,
                "stream": "uniform k of the run's noise stream picks the outcome of the k-th started evaluation; "
                          "the stream is spawned from the run's seed, the same for every strategy"}

    def describe(self) -> dict:
        """JSON-serialisable summary for manifests."""
        sm, rm = self.objective.search_metric, self.report_metric
        out = {
            "benchmark": self.benchmark.name,
            "kind": self.benchmark.kind,
            "enumerable": self.enumerable,
            "search_metric": sm,
            "search_fidelity": self.search_fidelity,
            "fidelities": list(self.fidelities),
            "report_metric": rm,
            "report_fidelity": self.report_fidelity,
            "noise": self.noise_info(),
            "cost": self.cost_info,
        }
        predicted_by = getattr(self.benchmark.metrics[rm], "predicted_by", None)
        if predicted_by:
            out["report_predicted_by"] = predicted_by
        if self.enumerable:
            out.update(best_report_value=self.best_report, best_report_arch_index=self.best_report_index,
                       regret=f"{self.best_report!r} - {rm} of the incumbent (incumbent = best {sm} among "
                              "evaluations at the highest fidelity evaluated so far)")
        else:
            out["score"] = (f"no optimum is known ({self.benchmark.name} has no value for every arch): strategies "
                            f"are ranked on the mean {rm} of the incumbent (best {sm} among evaluations at the "
                            "highest fidelity evaluated so far)")
        return out
