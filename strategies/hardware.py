"""Hardware-aware search: latency constraints, Pareto fronts, hypervolume, constrained strategies.

* :func:`parse_constraint` reads ``"latency_ms@pixel3 <= 10"`` into a :class:`Constraint`.
* :func:`pareto_mask` and :func:`hypervolume_2d` (exact, O(n log n)) work on "higher accuracy,
  lower latency" point sets; :func:`pareto_front_reference` and :func:`hypervolume_2d_reference` are
  their plain-Python twins, checked against each other in the tests.
* :class:`ConstrainedStrategy` wraps any ask/tell strategy so that it only ever proposes archs that
  meet a constraint. Checking the constraint is a table (or latency-model) lookup, which costs no
  training: infeasible proposals are either asked again (``on_infeasible="resample"``, the default)
  or told a penalty value (``"penalize"``) and never evaluated. Wrapping :class:`RandomSearch` gives
  constrained random search (rejection sampling); wrapping :class:`RegularizedEvolution` gives
  constrained regularized evolution.
* :class:`ParetoEvolution` is aging evolution for two objectives (accuracy up, latency down): the
  tournament winner is the sampled member with the lowest non-dominated rank in the population.
* :func:`front_of_history` and :func:`hypervolume_of_history` score a finished search.
"""

from __future__ import annotations

import math
import operator
import re
from collections import deque
from dataclasses import dataclass

import numpy as np

from nasbench.errors import NasbenchError, UnknownNameError, choices_text
from nasbench.spaces.base import SearchSpace
from strategies.base import Strategy, check_int

__all__ = [
    "MO_STRATEGIES",
    "ConstrainedSpace",
    "ConstrainedStrategy",
    "Constraint",
    "HardwareSetup",
    "ParetoEvolution",
    "ParetoObjectives",
    "attainment",
    "constrained_best",
    "front_of_history",
    "hypervolume_2d",
    "hypervolume_2d_reference",
    "hypervolume_of_history",
    "leaderboard_columns",
    "metric_column",
    "non_dominated_ranks",
    "pareto_front_reference",
    "pareto_mask",
    "parse_constraint",
    "parse_objectives",
    "plot_fronts",
    "run_hardware_search",
]

_OPS = {"<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt}
_PATTERN = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:@\s*([A-Za-z0-9_\-]+))?\s*(<=|>=|<|>)\s*"
                      r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


@dataclass(frozen=True)
class Constraint:
    """A bound on one metric of an arch, e.g. ``latency_ms@pixel3 <= 10``.

    Attributes
    ----------
    metric : str
        ``"latency_ms"`` (or any static metric of the benchmark, e.g. ``params_m``).
    device : str or None
        The device of a latency metric.
    op : str
        One of ``<=, <, >=, >``.
    bound : float
    """

    metric: str
    device: str | None
    op: str
    bound: float

    def __str__(self):
        where = f"@{self.device}" if self.device else ""
        return f"{self.metric}{where} {self.op} {self.bound:g}"

    def holds(self, values) -> np.ndarray:
        """Whether ``values`` (scalar or array) meet the bound; NaN never does."""
        values = np.asarray(values, dtype=np.float64)
        return _OPS[self.op](values, self.bound) & ~np.isnan(values)

    def column(self, benchmark) -> np.ndarray:
        """The constrained metric for every arch of ``benchmark``: float64 of shape (n_archs,).

        For ``latency_ms`` this is the device's latency table; otherwise the benchmark's static column.
        """
        return metric_column(benchmark, self.metric, self.device, what=str(self))

    def feasible(self, benchmark) -> np.ndarray:
        """Feasibility of every arch of ``benchmark``: bool of shape (n_archs,)."""
        return self.holds(self.column(benchmark))


def metric_column(benchmark, metric: str, device: str | None = None, *, what: str | None = None) -> np.ndarray:
    """A static per-arch metric of ``benchmark``: float64 of shape (n_archs,).

    ``latency_ms`` (with a ``device``) comes from the latency tables of the benchmark's space (checked to
    match the benchmark); any other metric is the benchmark's fidelity-free column (e.g. ``params_m``).
    """
    if metric == "latency_ms":
        from nasbench.benchmarks.latency import load_latency

        space = getattr(benchmark.space, "name", "nb201")
        if hasattr(benchmark, "table"):  # a tabular benchmark: check the latency data matches it
            benchmark.query(0, "latency_ms", device=device, missing="nan")
        return np.asarray(load_latency(space).column(device))
    if device is not None:
        raise UnknownNameError(f"only latency_ms takes a device; got {what or f'{metric}@{device}'}.")
    return np.asarray(benchmark.column(metric, None))


def parse_constraint(text: str) -> Constraint:
    """Parse ``"METRIC[@DEVICE] OP BOUND"``, e.g. ``"latency_ms@pixel3 <= 10"`` or ``"params_m < 1"``.

    Examples
    --------
    >>> parse_constraint("latency_ms@pixel3 <= 10")
    Constraint(metric='latency_ms', device='pixel3', op='<=', bound=10.0)
    """
    if not isinstance(text, str):
        raise UnknownNameError(f"a constraint is a string like 'latency_ms@pixel3 <= 10'; got {text!r}.")
    match = _PATTERN.match(text)
    if match is None:
        raise UnknownNameError(
            f"cannot parse the constraint {text!r}; write METRIC[@DEVICE] OP NUMBER with OP one of "
            f"{choices_text(_OPS)}, e.g. 'latency_ms@pixel3 <= 10'."
        )
    metric, device, op, bound = match.groups()
    if metric == "latency_ms" and device is None:
        raise UnknownNameError(f"latency_ms needs a device in {text!r}: write e.g. 'latency_ms@pixel3 <= 10'.")
    bound = float(bound)
    if not math.isfinite(bound):
        raise UnknownNameError(f"the bound of {text!r} must be a finite number.")
    return Constraint(metric, device, op, bound)


# ---------------------------------------------------------------- Pareto fronts and hypervolume

def _check_points(accuracy, latency) -> tuple[np.ndarray, np.ndarray]:
    acc = np.asarray(accuracy, dtype=np.float64).reshape(-1)
    lat = np.asarray(latency, dtype=np.float64).reshape(-1)
    if acc.shape != lat.shape:
        raise NasbenchError(f"accuracy and latency must have the same length; got {acc.shape[0]} and {lat.shape[0]}.")
    if np.isnan(acc).any() or np.isnan(lat).any():
        raise NasbenchError("accuracy and latency must not contain NaN; drop those archs first.")
    return acc, lat


def pareto_mask(accuracy, latency) -> np.ndarray:
    """Which points are Pareto-optimal for (accuracy up, latency down).

    A point is dominated when another has accuracy >= and latency <=, with one strict. Duplicated
    optimal points are all kept.

    Parameters
    ----------
    accuracy, latency : array-like of shape (n,)

    Returns
    -------
    ndarray of bool, shape (n,)
    """
    acc, lat = _check_points(accuracy, latency)
    n = acc.shape[0]
    mask = np.zeros(n, dtype=bool)
    if n == 0:
        return mask
    # lowest latency first; among equal latency, highest accuracy first
    order = np.lexsort((-acc, lat))
    lat_s, acc_s = lat[order], acc[order]
    # best accuracy among points strictly faster than each point (groups of equal latency)
    best_before = np.maximum.accumulate(acc_s)
    group_start = np.r_[0, np.flatnonzero(np.diff(lat_s)) + 1]
    starts = np.repeat(group_start, np.diff(np.r_[group_start, n]))
    prior = np.where(starts > 0, best_before[np.maximum(starts - 1, 0)], -np.inf)
    group_best = acc_s[starts]  # the first of each group has the group's highest accuracy
    keep = (acc_s > prior) & (acc_s == group_best)
    mask[order[keep]] = True
    return mask


def pareto_front_reference(accuracy, latency) -> np.ndarray:
    """Plain-Python twin of :func:`pareto_mask` (O(n^2)), for tests."""
    acc, lat = _check_points(accuracy, latency)
    out = np.ones(acc.shape[0], dtype=bool)
    for i in range(acc.shape[0]):
        for j in range(acc.shape[0]):
            if acc[j] >= acc[i] and lat[j] <= lat[i] and (acc[j] > acc[i] or lat[j] < lat[i]):
                out[i] = False
                break
    return out


def non_dominated_ranks(accuracy, latency) -> np.ndarray:
    """Non-dominated sorting: rank 0 is the Pareto front, rank 1 the front without rank 0, ...

    Returns
    -------
    ndarray of int64, shape (n,)
    """
    acc, lat = _check_points(accuracy, latency)
    ranks = np.full(acc.shape[0], -1, dtype=np.int64)
    left = np.arange(acc.shape[0])
    rank = 0
    while left.size:
        front = pareto_mask(acc[left], lat[left])
        ranks[left[front]] = rank
        left = left[~front]
        rank += 1
    return ranks


def hypervolume_2d(accuracy, latency, ref_accuracy: float, ref_latency: float) -> float:
    """Exact area dominated by the points and bounded by a reference point.

    The area is that of the union of the rectangles ``[ref_accuracy, acc] x [lat, ref_latency]`` of
    the points better than the reference in both objectives (others add nothing).

    Parameters
    ----------
    accuracy, latency : array-like of shape (n,)
    ref_accuracy : float
        A lower bound on accuracy (e.g. the worst accuracy considered useful).
    ref_latency : float
        An upper bound on latency (e.g. the latency budget).

    Returns
    -------
    float, in accuracy units x latency units (e.g. %·ms).
    """
    acc, lat = _check_points(accuracy, latency)
    inside = (acc > ref_accuracy) & (lat < ref_latency)
    acc, lat = acc[inside], lat[inside]
    if acc.size == 0:
        return 0.0
    front = pareto_mask(acc, lat)
    acc, lat = acc[front], lat[front]
    order = np.lexsort((-acc, lat))
    acc, lat = acc[order], lat[order]  # along the front: latency and accuracy both increase
    widths = np.diff(np.r_[lat, ref_latency])
    return float(np.sum(widths * (acc - ref_accuracy)))


def hypervolume_2d_reference(accuracy, latency, ref_accuracy: float, ref_latency: float) -> float:
    """Plain-Python twin of :func:`hypervolume_2d`: slabs between consecutive distinct latencies."""
    acc, lat = _check_points(accuracy, latency)
    pts = [(a, t) for a, t in zip(acc.tolist(), lat.tolist()) if a > ref_accuracy and t < ref_latency]
    cuts = sorted({t for _, t in pts} | {ref_latency})
    area = 0.0
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        height = max((a for a, t in pts if t <= lo), default=ref_accuracy) - ref_accuracy
        area += (hi - lo) * height
    return area


# ---------------------------------------------------------------- constrained search

class ConstrainedSpace(SearchSpace):
    """A search space restricted to the archs that meet a constraint.

    ``sample`` is rejection sampling (uniform over the feasible archs); ``mutate`` mutates the parent
    again until the child is feasible (after ``max_tries`` failures it takes a uniformly chosen feasible
    neighbour, or a feasible sample when the parent has none); ``neighbors`` keeps the feasible ones.
    A strategy built on this space proposes only feasible archs and spends no asks on rejected ones,
    so for example regularized evolution starts from a full population of feasible archs.
    Every other attribute (``from_index``, ``to_indices`` ...) is the wrapped space's.

    Parameters
    ----------
    space : SearchSpace
        An enumerable space whose archs have an ``index`` (NB201).
    feasible : ndarray of bool, shape (n_archs,)
    max_tries : int, default 1000
    constraint : Constraint, optional
        Only recorded.
    """

    def __init__(self, space, feasible, *, max_tries: int = 1000, repair_steps: int = 0,
                 constraint: Constraint | None = None):
        feasible = np.asarray(feasible)
        if feasible.dtype != bool or feasible.shape != (space.n_archs,):
            raise NasbenchError(
                f"feasible must be a bool array of shape ({space.n_archs},), one per arch index; got "
                f"{feasible.dtype} {feasible.shape}."
            )
        if not feasible.any():
            raise NasbenchError(f"no arch meets the constraint{f' {constraint}' if constraint else ''}; loosen the bound.")
        self.base = space
        self.feasible_mask = feasible
        self.max_tries = check_int("max_tries", max_tries, 1, "ConstrainedSpace")
        self.repair_steps = check_int("repair_steps", repair_steps, 0, "ConstrainedSpace")
        self.constraint = constraint
        self.name = space.name
        self.n_archs = space.n_archs

    def __getattr__(self, name):
        if name == "base":
            raise AttributeError(name)
        return getattr(self.base, name)

    def _categorical(self):
        from strategies._categorical import categorical_of

        try:
            return categorical_of(self.base)
        except NasbenchError:
            raise AttributeError("the wrapped space has no categorical choices") from None

    # categorical view (for predictor-based strategies), the wrapped space's
    choice_sizes = property(lambda self: self._categorical().sizes)
    to_choices = property(lambda self: self._categorical().to_choices)
    from_choices = property(lambda self: self._categorical().from_choices)

    def _ok(self, arch) -> bool:
        return bool(self.feasible_mask[arch.index])

    def sample(self, rng):
        for _ in range(self.max_tries * 10):
            arch = self.base.sample(rng)
            if self._ok(arch):
                return arch
        raise NasbenchError(
            f"{self.max_tries * 10} uniform samples in a row missed the constraint {self.constraint or ''} "
            f"({int(self.feasible_mask.sum())} of {self.n_archs} archs are feasible); loosen the bound."
        )

    def mutate(self, arch, rng):
        for _ in range(self.max_tries):
            child = self.base.mutate(arch, rng)
            # An infeasible child is mutated further (up to repair_steps more edges) before giving up on it:
            # this makes moves such as "put the convolution on another edge" possible when the one-edge
            # intermediate breaks the bound (single-edge moves alone leave the good feasible archs poorly connected).
            for _ in range(self.repair_steps):
                if self._ok(child):
                    break
                child = self.base.mutate(child, rng)
            if self._ok(child) and child != arch:
                return child
        options = self.neighbors(arch)
        if options:
            return options[int(rng.integers(0, len(options)))]
        return self.sample(rng)

    def neighbors(self, arch):
        return [n for n in self.base.neighbors(arch) if self._ok(n)]

    def is_valid(self, arch) -> bool:
        return self.base.is_valid(arch) and self._ok(arch)

    def canonical_key(self, arch):
        return self.base.canonical_key(arch)


class ConstrainedStrategy(Strategy):
    """Wrap an ask/tell strategy so that every proposal meets ``constraint``.

    Parameters
    ----------
    base : Strategy
        The strategy to constrain (its own seed drives all its choices).
    feasible : ndarray of bool, shape (n_archs,)
        Feasibility by arch index, e.g. ``constraint.feasible(benchmark)``.
    on_infeasible : {"resample", "penalize"}
        ``"resample"``: ask the base again, telling it nothing (allowed: strategies accept outstanding
        asks). ``"penalize"``: tell the base ``penalty`` for the infeasible arch, then ask again.
    penalty : float
        Value told for an infeasible arch under ``"penalize"`` (lower than any real value).
    max_rejections : int
        Consecutive infeasible proposals after which the search stops with an error.
    constraint : Constraint, optional
        Only recorded (``params``).

    Attributes
    ----------
    n_rejected : int
        Infeasible proposals so far (each cost a lookup, not an evaluation).
    """

    name = "constrained"

    def __init__(self, base: Strategy, feasible, *, on_infeasible: str = "resample", penalty: float = 0.0,
                 max_rejections: int = 10_000, constraint: Constraint | None = None):
        super().__init__(base.space, seed=0)
        feasible = np.asarray(feasible)
        if feasible.dtype != bool or feasible.ndim != 1:
            raise NasbenchError(f"feasible must be a 1-D bool array by arch index; got {feasible.dtype} {feasible.shape}.")
        if not feasible.any():
            raise NasbenchError(
                f"no arch meets the constraint{f' {constraint}' if constraint else ''}; loosen the bound."
            )
        if on_infeasible not in ("resample", "penalize"):
            raise UnknownNameError(f"on_infeasible must be 'resample' or 'penalize'; got {on_infeasible!r}.")
        self.base = base
        self.rng = base.rng
        self.feasible_mask = feasible
        self.on_infeasible = on_infeasible
        self.penalty = float(penalty)
        self.max_rejections = check_int("max_rejections", max_rejections, 1, self.name)
        self.constraint = constraint
        self.name = f"constrained_{base.name}"
        self.multi_fidelity = base.multi_fidelity
        self.n_rejected = 0

    def set_fidelities(self, fidelities) -> None:
        super().set_fidelities(fidelities)
        self.base.set_fidelities(fidelities)

    def _index(self, arch) -> int:
        try:
            return arch.index
        except AttributeError:
            return int(self.space.to_indices([arch])[0][0])

    def ask(self):
        for _ in range(self.max_rejections):
            arch, fidelity = self.base.ask()
            if self.feasible_mask[self._index(arch)]:
                return arch, fidelity
            self.n_rejected += 1
            if self.on_infeasible == "penalize":
                self.base.tell(arch, fidelity, self.penalty)
        raise NasbenchError(
            f"{self.base.name} proposed {self.max_rejections} infeasible archs in a row under "
            f"{self.constraint or 'the constraint'}; loosen the bound or raise max_rejections."
        )

    def _tell(self, arch, fidelity, value) -> None:
        self.base.tell(arch, fidelity, value)

    def params(self) -> dict:
        return {"base": self.base.name, **self.base.params(), "constraint": str(self.constraint),
                "on_infeasible": self.on_infeasible, "penalty": self.penalty}


class ParetoEvolution(Strategy):
    """Aging evolution for accuracy (told value, up) versus latency (looked up, down).

    As :class:`~strategies.evolution.RegularizedEvolution`, except that the tournament winner is the
    sampled member with the lowest non-dominated rank in the current population (ties: the one drawn
    first), so the population is pushed towards the whole accuracy/latency front rather than one end.

    Parameters
    ----------
    space : SearchSpace
    latency : ndarray of float64, shape (n_archs,)
        Latency (ms) by arch index (a free lookup: no training).
    seed : int, Generator or None
    population_size : int, default 20
    sample_size : int, default 3
    """

    name = "pareto_evolution"

    def __init__(self, space, latency, *, seed=None, population_size: int = 20, sample_size: int = 3):
        super().__init__(space, seed=seed)
        self.latency = np.asarray(latency, dtype=np.float64)
        if self.latency.ndim != 1 or np.isnan(self.latency).any():
            raise NasbenchError("latency must be a 1-D array by arch index without NaN.")
        self.population_size = check_int("population_size", population_size, 1, self.name)
        self.sample_size = check_int("sample_size", sample_size, 1, self.name)
        self.population: deque = deque()  # (arch, accuracy, latency), oldest first
        self.n_asked = 0

    def params(self):
        return {"population_size": self.population_size, "sample_size": self.sample_size}

    def ask(self):
        self.n_asked += 1
        if self.n_asked <= self.population_size or not self.population:
            return self.space.sample(self.rng), self.fidelity
        members = list(self.population)
        ranks = non_dominated_ranks([m[1] for m in members], [m[2] for m in members])
        picks = self.rng.integers(0, len(members), size=self.sample_size)
        winner = min(picks.tolist(), key=lambda i: ranks[i])  # min keeps the first of equal ranks
        return self.space.mutate(members[winner][0], self.rng), self.fidelity

    def _tell(self, arch, fidelity, value):
        index = arch.index if hasattr(arch, "index") else int(self.space.to_indices([arch])[0][0])
        self.population.append((arch, float(value), float(self.latency[index])))
        if len(self.population) > self.population_size:
            self.population.popleft()


# ---------------------------------------------------------------- scoring a search

def front_of_history(indices, accuracy_column, latency_column) -> np.ndarray:
    """Distinct arch indices of the Pareto front of the archs a search evaluated.

    Parameters
    ----------
    indices : int array of shape (n_evals,)
        Evaluated arch indices (a History's ``arch`` column).
    accuracy_column, latency_column : float arrays of shape (n_archs,)
        The accuracy reported (e.g. test accuracy) and the latency of every arch.
    """
    unique = np.unique(np.asarray(indices, dtype=np.int64))
    mask = pareto_mask(accuracy_column[unique], latency_column[unique])
    return unique[mask]


def hypervolume_of_history(indices, accuracy_column, latency_column, ref_accuracy, ref_latency) -> float:
    """Hypervolume of the archs a search evaluated (see :func:`hypervolume_2d`)."""
    unique = np.unique(np.asarray(indices, dtype=np.int64))
    return hypervolume_2d(accuracy_column[unique], latency_column[unique], ref_accuracy, ref_latency)


def constrained_best(values, feasible) -> tuple[int, float]:
    """The feasible arch with the highest value, and that value: the optimum a constrained search seeks."""
    values = np.asarray(values, dtype=np.float64)
    masked = np.where(np.asarray(feasible, dtype=bool), values, -np.inf)
    index = int(np.argmax(masked))
    if not np.isfinite(masked[index]):
        raise NasbenchError("no arch is feasible; loosen the constraint.")
    return index, float(values[index])


# ---------------------------------------------------------------- the hardware-aware search study

def run_hardware_search(benchmark: str = "nb201/cifar10", constraint: str = "latency_ms@pixel3 <= 15", *,
                        n_seeds: int = 100, max_evals: int = 100, seed: int = 0, ref_accuracy: float = 80.0) -> dict:
    """Constrained and multi-objective search on a tabular benchmark, many seeds, paired by seed.

    Constrained part (every strategy proposes only feasible archs): regularized evolution with NB201's
    settings (P=10, S=3) and with P=20, S=5 and two repair steps (:class:`ConstrainedSpace`), both on
    the constrained space, versus random search by rejection sampling; unconstrained random search
    shows how often ignoring the bound returns an infeasible arch. Each run's incumbent (best search
    value, i.e. validation accuracy, among its evaluations) is scored by that search value and by its
    report metric (test accuracy), and by its test regret to the best feasible arch.

    Multi-objective part: random search, regularized evolution (accuracy only) and
    :class:`ParetoEvolution` on (validation accuracy up, latency of the constraint's device down);
    each run is scored by the hypervolume of the archs it evaluated, in (test accuracy, latency) with
    reference point (``ref_accuracy``, the device's largest latency), relative to the hypervolume of
    the whole table's front.

    Run ``r`` of every strategy uses the seed ``SeedSequence(seed).spawn(n_seeds)[r]`` (paired runs).

    Returns
    -------
    dict with ``constrained`` and ``pareto`` summaries, per-run values, the fronts for plotting, and
    ``text`` (the printable report).
    """
    from scipy.stats import wilcoxon

    import nasbench
    from strategies.evolution import RegularizedEvolution
    from strategies.random_search import RandomSearch
    from strategies.simulator import simulate
    from strategies.task import Task

    if isinstance(n_seeds, bool) or not isinstance(n_seeds, int) or n_seeds < 2:
        raise NasbenchError(f"n_seeds must be an int >= 2 (the comparison is paired over seeds); got {n_seeds!r}.")
    check_int("max_evals", max_evals, 1, "run_hardware_search")
    parsed = parse_constraint(constraint)
    bench = nasbench.load(benchmark)
    task = Task(bench)
    feasible = parsed.feasible(bench)
    report = task.report
    search = task.values[task.search_fidelity]
    best_index, best_value = constrained_best(report, feasible)
    seeds = np.random.SeedSequence(seed).spawn(n_seeds)
    plain = ConstrainedSpace(task.space, feasible, constraint=parsed)
    repaired = ConstrainedSpace(task.space, feasible, repair_steps=2, constraint=parsed)

    def wrap(strategy):
        return ConstrainedStrategy(strategy, feasible, constraint=parsed)

    makers = {
        "constrained RE (P=10,S=3)": lambda g: wrap(RegularizedEvolution(plain, seed=g)),
        "constrained RE (P=20,S=5,repair=2)": lambda g: wrap(RegularizedEvolution(repaired, seed=g, population_size=20,
                                                                                 sample_size=5)),
        "constrained random search": lambda g: wrap(RandomSearch(task.space, seed=g)),
        "random search (unconstrained)": lambda g: RandomSearch(task.space, seed=g),
    }
    rows = {k: [] for k in makers}
    violations = {k: 0 for k in makers}
    for s in seeds:
        for name, make in makers.items():
            history = simulate(make(np.random.default_rng(s)), task, max_evals=max_evals)
            violations[name] += int((~feasible[history.arch_index]).sum())
            inc = int(history.arch_index[int(np.argmax(history.value))])  # first best search value wins ties
            rows[name].append((inc, float(search[inc]), float(report[inc]), bool(feasible[inc])))
    val = {k: np.array([r[1] for r in v]) for k, v in rows.items()}
    acc = {k: np.array([r[2] for r in v]) for k, v in rows.items()}
    feas = {k: np.array([r[3] for r in v]) for k, v in rows.items()}

    def mean_se(v):
        return float(v.mean()), float(v.std(ddof=1) / np.sqrt(v.size))

    def paired(a, b):
        d = a - b
        p = float(wilcoxon(a, b).pvalue) if np.any(d != 0) else 1.0
        return {"mean": float(d.mean()), "se": float(d.std(ddof=1) / np.sqrt(d.size)), "wilcoxon_p": p,
                "wins": int((d > 0).sum()), "ties": int((d == 0).sum()), "losses": int((d < 0).sum())}

    tuned, base_re, crs = ("constrained RE (P=20,S=5,repair=2)", "constrained RE (P=10,S=3)",
                           "constrained random search")
    comparisons = {f"{a} - {crs}": {"test": paired(acc[a], acc[crs]), "search": paired(val[a], val[crs])}
                   for a in (tuned, base_re)}

    latency = parsed.column(bench) if parsed.metric == "latency_ms" else None
    pareto = None
    if latency is not None:
        ref_latency = float(np.nanmax(latency))
        full = hypervolume_2d(report, latency, ref_accuracy, ref_latency)
        hv = {"random_search": [], "regularized_evolution": [], "pareto_evolution": []}
        fronts = {k: None for k in hv}
        for s in seeds:
            runs = {
                "random_search": RandomSearch(task.space, seed=np.random.default_rng(s)),
                "regularized_evolution": RegularizedEvolution(task.space, seed=np.random.default_rng(s)),
                "pareto_evolution": ParetoEvolution(task.space, latency, seed=np.random.default_rng(s)),
            }
            for name, strategy in runs.items():
                history = simulate(strategy, task, max_evals=max_evals)
                hv[name].append(hypervolume_of_history(history.arch_index, report, latency, ref_accuracy,
                                                       ref_latency) / full)
                if fronts[name] is None:  # the first seed's front, for the plot
                    fronts[name] = front_of_history(history.arch_index, report, latency).tolist()
        hv = {k: np.array(v) for k, v in hv.items()}
        pareto = {
            "device": parsed.device, "ref_accuracy": ref_accuracy, "ref_latency_ms": ref_latency,
            "full_front_hypervolume": full,
            "true_front": np.flatnonzero(pareto_mask(report, latency)).tolist(),
            "relative_hypervolume": {k: dict(zip(("mean", "se"), mean_se(v))) for k, v in hv.items()},
            "pareto_vs_random": paired(hv["pareto_evolution"], hv["random_search"]),
            "fronts_seed0": fronts,
            "runs": {k: v.tolist() for k, v in hv.items()},
        }

    constrained = {
        "constraint": str(parsed), "n_feasible": int(feasible.sum()), "n_archs": int(feasible.size),
        "best_feasible": {"index": best_index, "report": best_value},
        "best_search_value_feasible_report": float(report[constrained_best(search, feasible)[0]]),
        "best_overall_report": task.best_report,
        "violations": violations,
        "incumbent_search": {k: dict(zip(("mean", "se"), mean_se(v))) for k, v in val.items()},
        "incumbent_report": {k: dict(zip(("mean", "se"), mean_se(v))) for k, v in acc.items()},
        "incumbent_feasible_share": {k: float(v.mean()) for k, v in feas.items()},
        "comparisons": comparisons,
        "runs": {k: [list(r) for r in v] for k, v in rows.items()},
    }
    sm, rm = task.objective.search_metric, task.report_metric
    lines = [
        f"# Hardware-aware search on {benchmark}: {n_seeds} paired seeds x {max_evals} evaluations, "
        f"search on {sm}@{task.search_fidelity}, report {rm}@{task.report_fidelity}",
        f"## Constrained: {parsed}  ({constrained['n_feasible']} of {feasible.size} archs feasible; best feasible "
        f"{rm} {best_value:.3f}; the feasible arch with the best {sm} has {rm} "
        f"{constrained['best_search_value_feasible_report']:.3f}; best overall {task.best_report:.3f})",
        f"{'strategy':<38}{'incumbent ' + sm:>22}{'incumbent ' + rm:>22}{'regret':>8}{'feasible':>10}"
        f"{'infeasible evals':>18}",
    ]
    for k in rows:
        vm, vse = mean_se(val[k])
        m, se = mean_se(acc[k])
        lines.append(f"{k:<38}{vm:>14.3f} +- {vse:<5.3f}{m:>14.3f} +- {se:<5.3f}{best_value - m:>8.3f}"
                     f"{100 * feas[k].mean():>9.0f}%{violations[k]:>18}")
    for name, c in comparisons.items():
        for metric, key in ((rm, "test"), (sm, "search")):
            d = c[key]
            lines.append(f"{name}, {metric}: {d['mean']:+.3f} +- {d['se']:.3f} points (better in {d['wins']}, tied "
                         f"{d['ties']}, worse in {d['losses']} of {n_seeds} seeds; Wilcoxon p = {d['wilcoxon_p']:.2g})")
    if pareto is not None:
        lines.append(f"## Accuracy vs latency@{parsed.device}: hypervolume of the evaluated archs / hypervolume of the "
                     f"whole table's front (reference {ref_accuracy:g}%, {pareto['ref_latency_ms']:.2f} ms)")
        for k, v in pareto["relative_hypervolume"].items():
            lines.append(f"{k:<38}{v['mean']:>12.4f} +- {v['se']:.4f}")
        d = pareto["pareto_vs_random"]
        lines.append(f"pareto_evolution - random_search: {d['mean']:+.4f} +- {d['se']:.4f} (better in {d['wins']} of "
                     f"{n_seeds} seeds; Wilcoxon p = {d['wilcoxon_p']:.2g})")
    return {"constrained": constrained, "pareto": pareto, "benchmark": benchmark, "n_seeds": n_seeds,
            "max_evals": max_evals, "seed": seed, "text": "\n".join(lines), "_report": report.tolist(),
            "_latency": None if latency is None else latency.tolist()}


def plot_fronts(result: dict, path) -> None:
    """PNG of the accuracy/latency Pareto fronts: every arch, the true front, each strategy's first-seed front."""
    from strategies.report import _METADATA, pyplot

    if result.get("pareto") is None:
        raise NasbenchError("no Pareto result to plot: the constraint is not on latency_ms. Plot a search "
                            "constrained on latency_ms (e.g. 'latency_ms@pixel3 <= 10').")
    plt = pyplot()
    report = np.asarray(result["_report"])
    latency = np.asarray(result["_latency"])
    pareto = result["pareto"]
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    ax.scatter(latency, report, s=2, c="0.8", label="all archs", rasterized=True)
    for name, idx in [("true front", pareto["true_front"])] + list(pareto["fronts_seed0"].items()):
        idx = np.asarray(idx)
        order = np.argsort(latency[idx])
        ax.step(latency[idx][order], report[idx][order], where="post", label=name,
                lw=2 if name == "true front" else 1.2)
    ax.set_xlabel(f"latency on {pareto['device']} (ms)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_ylim(pareto["ref_accuracy"], float(report.max()) + 0.5)
    ax.set_title(f"{result['benchmark']}: Pareto fronts after {result['max_evals']} evaluations (seed 0)")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, metadata=_METADATA)
    plt.close(fig)


def leaderboard_columns(histories: dict, task, constraint: str | Constraint, *, ref_accuracy: float = 80.0) -> dict:
    """Hardware columns for a leaderboard: constraint-satisfying accuracy and hypervolume per strategy.

    Scores histories from any runs (infeasible evaluations allowed: the incumbent is then the best
    feasible one). ``nasbench compare --constraint/--objectives`` uses :class:`HardwareSetup` instead,
    whose runs evaluate feasible archs only and whose hypervolume reference point is documented there.

    Parameters
    ----------
    histories : dict
        Strategy name -> list of :class:`~strategies.history.History` (one per seed).
    task : strategies.task.Task
    constraint : str or Constraint
        E.g. ``"latency_ms@pixel3 <= 10"``.
    ref_accuracy : float
        Hypervolume reference accuracy (the reference latency is the device's largest).

    Returns
    -------
    dict strategy -> {
        ``feasible_report_mean``: mean over seeds of the report value of the *feasible incumbent* (the
        evaluated feasible arch with the best search value; NaN for a seed with no feasible evaluation),
        ``feasible_regret_mean``: best feasible report value minus that,
        ``seeds_without_feasible``: how many seeds evaluated no feasible arch,
        ``feasible_eval_share``: share of all evaluations that met the constraint,
        ``hypervolume_mean``: mean relative hypervolume (report metric vs the latency of the
        constraint's device) of the evaluated archs (only for a latency constraint, else absent)}
    """
    parsed = constraint if isinstance(constraint, Constraint) else parse_constraint(constraint)
    bench = task.benchmark
    column = parsed.column(bench)
    feasible = parsed.holds(column)
    report = task.report
    search = task.values[task.search_fidelity]
    _, best_feasible = constrained_best(report, feasible)
    latency = column if parsed.metric == "latency_ms" else None
    if latency is not None:
        ref_latency = float(np.nanmax(latency))
        full = hypervolume_2d(report, latency, ref_accuracy, ref_latency)
    out = {}
    for name, runs in histories.items():
        incumbents, shares, volumes, empty = [], [], [], 0
        for history in runs:
            idx = np.asarray(history.arch_index, dtype=np.int64)
            ok = feasible[idx]
            shares.append(float(ok.mean()) if idx.size else 0.0)
            if ok.any():
                pos = np.flatnonzero(ok)
                values = np.asarray(history.value)[pos] if len(history.value) == idx.size else search[idx[pos]]
                incumbents.append(float(report[idx[pos[int(np.argmax(values))]]]))
            else:
                incumbents.append(float("nan"))
                empty += 1
            if latency is not None:
                volumes.append(hypervolume_of_history(idx, report, latency, ref_accuracy, ref_latency) / full)
        mean = float(np.nanmean(incumbents)) if empty < len(incumbents) else float("nan")
        row = {"feasible_report_mean": mean, "feasible_regret_mean": best_feasible - mean,
               "seeds_without_feasible": empty, "feasible_eval_share": float(np.mean(shares))}
        if latency is not None:
            row["hypervolume_mean"] = float(np.mean(volumes))
        out[name] = row
    return out


# ---------------------------------------------------------------- hardware-aware comparison (nasbench compare)

#: Strategies that exist only in the multi-objective mode of ``nasbench compare`` (they need the cost column).
MO_STRATEGIES = {"pareto_evolution": "strategies.hardware:ParetoEvolution"}

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


def attainment(indices, accuracy_column, cost_column, grid) -> np.ndarray:
    """Best accuracy a run reached at a cost of at most each grid value (its front as a step function).

    Parameters
    ----------
    indices : int array of shape (n_evals,)
        Evaluated arch indices.
    accuracy_column, cost_column : float64 arrays of shape (n_archs,)
    grid : float64 array of shape (n_grid,), ascending

    Returns
    -------
    float64 array of shape (n_grid,); NaN below the cheapest evaluated arch.
    """
    unique = np.unique(np.asarray(indices, dtype=np.int64))
    if unique.size == 0:
        return np.full(len(grid), np.nan)
    cost, acc = cost_column[unique], accuracy_column[unique]
    order = np.lexsort((-acc, cost))
    best = np.maximum.accumulate(acc[order])
    k = np.searchsorted(cost[order], grid, side="right") - 1
    return np.where(k >= 0, best[np.maximum(k, 0)], np.nan)


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

    * **Constraint.** Every strategy searches the :class:`ConstrainedSpace` of the feasible archs and
      is wrapped in a :class:`ConstrainedStrategy` (``on_infeasible="resample"``), so only feasible archs
      are ever evaluated, whatever the strategy samples from. :attr:`task` is the task with the regret
      reference moved to the best *feasible* arch: regret = best feasible report value - incumbent's.
    * **Objectives** (accuracy up, cost down). Each run is scored by the hypervolume of the archs it
      evaluated at the search fidelity, in (report accuracy, cost), divided by the hypervolume of the
      front of all (feasible) archs of the table for the same reference point: 1 = the whole front was
      found. Without explicit objectives, a constraint on a static metric gives the objectives
      (report metric, constrained metric), so its hypervolume is still reported.
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
        bench = task.benchmark
        self.base_task = task
        self.constraint = None if constraint is None else parse_constraint(constraint)
        self.explicit_objectives = objectives is not None
        self.objectives = None if objectives is None else parse_objectives(objectives)
        if self.objectives is not None and self.objectives.accuracy != task.report_metric:
            raise NasbenchError(
                f"the first objective {self.objectives.accuracy!r} must be the report metric "
                f"{task.report_metric!r}; set the report metric to it (or list it first)."
            )
        n = task.n_archs
        if self.constraint is not None:
            column = self.constraint.column(bench)
            self.feasible = self.constraint.holds(column)
            if not self.feasible.any():
                raise NasbenchError(f"no arch of {bench.name} meets {self.constraint}; loosen the bound.")
            self.space = ConstrainedSpace(task.space, self.feasible, constraint=self.constraint)
            self.task = _constrained_task(task, self.feasible)
            if self.objectives is None and self.constraint.metric != task.report_metric:
                self.objectives = ParetoObjectives(task.report_metric, self.constraint.metric,
                                                   self.constraint.device)
        else:
            self.feasible = np.ones(n, dtype=bool)
            self.space = task.space
            self.task = task
        self.cost = None
        if self.objectives is not None:
            self.cost = np.asarray(metric_column(bench, self.objectives.cost, self.objectives.device), dtype=np.float64)
            if np.isnan(self.cost[self.feasible]).any():
                raise NasbenchError(f"{self.objectives.cost_label} is missing for some archs of {bench.name}; "
                                    "multi-objective scoring needs it for every arch. Pick a cost measured for "
                                    "every arch (for example params_m or latency_ms@DEVICE).")
            report = task.report
            if hv_reference is None:
                ref_acc = float(np.median(report[self.feasible]))
                c = self.constraint
                bounds_cost = (c is not None and c.metric == self.objectives.cost and c.device == self.objectives.device
                               and c.op in ("<=", "<"))
                ref_cost = float(c.bound) if bounds_cost else float(np.nanmax(self.cost[self.feasible]))
                which = "feasible archs" if self.constraint is not None else "archs"
                self.reference_rule = (f"accuracy: median report value of the {which}; cost: "
                                       + ("the constraint's bound" if bounds_cost else f"the largest cost of the {which}"))
            else:
                ref = list(hv_reference)
                if len(ref) != 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                                            for v in ref):
                    raise NasbenchError(f"hv_reference must be two finite numbers (accuracy, cost); got {hv_reference!r}.")
                ref_acc, ref_cost = float(ref[0]), float(ref[1])
                self.reference_rule = "given in the config"
            self.reference = (ref_acc, ref_cost)
            f = np.flatnonzero(self.feasible)
            self.full_hypervolume = hypervolume_2d(report[f], self.cost[f], ref_acc, ref_cost)
            if self.full_hypervolume <= 0:
                raise NasbenchError(
                    f"no feasible arch is better than the reference point {self.reference} in both objectives; "
                    "pick a lower reference accuracy or a higher reference cost."
                )
            self.true_front = f[pareto_mask(report[f], self.cost[f])]

    @property
    def multi_objective(self) -> bool:
        """True when objectives were given explicitly (the leaderboard is then ranked by hypervolume)."""
        return self.explicit_objectives

    @property
    def constrained(self) -> bool:
        return self.constraint is not None

    def check_strategy(self, name: str) -> None:
        """Refuse a multi-objective-only strategy without objectives."""
        if name in MO_STRATEGIES and self.cost is None:
            raise NasbenchError(f"{name} optimises accuracy against a cost: give objectives, e.g. "
                                "--objectives test_acc,latency_ms@pixel3.")

    def make(self, name: str, seed, params: dict):
        """Strategy ``name`` for this setup: on the feasible space, wrapped so it proposes only feasible archs."""
        from strategies.registry import make_strategy

        self.check_strategy(name)
        if name in MO_STRATEGIES:
            try:
                strategy = ParetoEvolution(self.space, self.cost, seed=seed, **params)
            except TypeError as exc:
                raise NasbenchError(f"bad parameters for {name}: {exc}. Given: {params!r}.") from None
        else:
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

        tables = load_latency(getattr(self.task.space, "name", "nb201")).tables
        return {f"latency/{src}/manifest.json": hashlib.sha256((Path(t.directory) / "manifest.json").read_bytes()).hexdigest()
                for src, t in sorted(tables.items())}
