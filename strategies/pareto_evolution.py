"""Aging evolution for two objectives: the search value (up) against a per-arch cost (down).

As :class:`~strategies.evolution.RegularizedEvolution` (Real et al., AAAI 2019, Algorithm 1), except
that the tournament winner is the sampled member with the lowest non-dominated rank (Deb et al.,
NSGA-II, IEEE TEC 2002) in the current population, so the population is pushed towards the whole
value/cost front rather than its most accurate end. The cost of an arch (latency on a device,
parameters, ...) is looked up in a column by arch index, which costs no training.

``nasbench compare --objectives ACC,COST`` passes the cost column (``cost``); the strategy needs it,
so it runs only in such a comparison (:func:`strategies.registry.needs_cost`).
"""

from __future__ import annotations

from collections import deque

import numpy as np

from nasbench.errors import NasbenchError
from strategies.base import Strategy, check_int
from strategies.pareto import non_dominated_ranks

__all__ = ["ParetoEvolution"]


class ParetoEvolution(Strategy):
    """Aging evolution with non-dominated-rank tournaments on (told value up, cost down).

    Parameters
    ----------
    space : SearchSpace
        An enumerable space whose archs have an ``index`` (or ``to_indices``).
    cost : array-like of float, shape (n_archs,)
        Cost by arch index, lower is better (e.g. latency in ms), without NaN.
    seed : int, Generator or None
    population_size : int, default 20
    sample_size : int, default 3
        Tournament size; ties of rank go to the member drawn first.
    """

    name = "pareto_evolution"

    def __init__(self, space, *, cost, seed=None, population_size: int = 20, sample_size: int = 3):
        super().__init__(space, seed=seed)
        self.cost = np.asarray(cost, dtype=np.float64)
        if self.cost.ndim != 1 or np.isnan(self.cost).any():
            raise NasbenchError(f"the cost of pareto_evolution must be a 1-D array by arch index without NaN; "
                                f"got shape {self.cost.shape}{' with NaN' if np.isnan(self.cost).any() else ''}.")
        self.population_size = check_int("population_size", population_size, 1, self.name)
        self.sample_size = check_int("sample_size", sample_size, 1, self.name)
        self.population: deque = deque()  # (arch, value, cost), oldest first
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
        self.population.append((arch, float(value), float(self.cost[index])))
        if len(self.population) > self.population_size:
            self.population.popleft()
