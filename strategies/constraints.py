"""Constraints on a static per-arch metric, and constrained search.

* :func:`parse_constraint` reads ``"latency_ms@pixel3 <= 10"`` into a :class:`Constraint`, whose
  :meth:`~Constraint.feasible` looks the metric up for every arch of a benchmark (a latency table or a
  fidelity-free column: no training).
* :class:`ConstrainedSpace` restricts a search space to the feasible archs, so a strategy built on it
  starts from feasible samples and mutates into feasible children.
* :class:`ConstrainedStrategy` wraps any ask/tell strategy so that it only ever proposes archs that
  meet the constraint: infeasible proposals are asked again (``on_infeasible="resample"``, the
  default) or told a penalty value (``"penalize"``) and never evaluated. Wrapping
  :class:`~strategies.random_search.RandomSearch` gives constrained random search (rejection
  sampling); wrapping :class:`~strategies.evolution.RegularizedEvolution` gives constrained
  regularized evolution.
* :func:`constrained_best` is the optimum a constrained search seeks (the regret reference).

``nasbench compare --constraint`` puts these together (:class:`strategies.hardware.HardwareSetup`).
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass

import numpy as np

from nasbench.errors import NasbenchError, UnknownNameError, choices_text
from nasbench.spaces.base import SearchSpace
from strategies.base import Strategy, check_int

__all__ = [
    "ConstrainedSpace",
    "ConstrainedStrategy",
    "Constraint",
    "constrained_best",
    "metric_column",
    "parse_constraint",
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

        space = benchmark.space.name  # every SearchSpace has a name
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



def constrained_best(values, feasible) -> tuple[int, float]:
    """The feasible arch with the highest value, and that value: the optimum a constrained search seeks."""
    values = np.asarray(values, dtype=np.float64)
    masked = np.where(np.asarray(feasible, dtype=bool), values, -np.inf)
    index = int(np.argmax(masked))
    if not np.isfinite(masked[index]):
        raise NasbenchError("no arch is feasible; loosen the constraint.")
    return index, float(values[index])


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
