"""Regularized (aging) evolution, Real et al., "Regularized Evolution for Image Classifier
Architecture Search", AAAI 2019, Algorithm 1.

* The first ``population_size`` asks are uniform samples (the initial population).
* Every later ask draws ``sample_size`` members of the current population uniformly *with
  replacement* (Algorithm 1: the candidate stays in the population), takes the one with the best
  validation value (the first drawn wins a tie) and returns ``space.mutate(parent)``.
* Every tell appends the child to the population and, once it holds more than
  ``population_size`` members, removes the oldest (aging).

Defaults follow the NB201 paper's REA baseline (Dong & Yang, ICLR 2020, Sec. 5): population 10,
tournament (sample) size 3, mutation = one edge gets a different op (``NB201Space.mutate``).
With asynchronous workers a parent is picked from the members told so far; an ask that finds the
population empty (more workers than told results) is a uniform sample.

The compiled twin in :mod:`strategies._kernels` makes the same choices from the same uniforms
(:mod:`strategies._stream`).
"""

from __future__ import annotations

from collections import deque

from strategies.base import Strategy, check_int

__all__ = ["RegularizedEvolution"]


class RegularizedEvolution(Strategy):
    """Aging evolution with tournament selection.

    Parameters
    ----------
    space : SearchSpace
    seed : int, Generator or None
    population_size : int, default 10
        Population size P (NB201: 10).
    sample_size : int, default 3
        Tournament size S (NB201: 3); 1 <= S.
    """

    name = "regularized_evolution"

    def __init__(self, space, *, seed=None, population_size: int = 10, sample_size: int = 3):
        super().__init__(space, seed=seed)
        self.population_size = check_int("population_size", population_size, 1, self.name)
        self.sample_size = check_int("sample_size", sample_size, 1, self.name)
        self.population: deque = deque()  # (arch, value), oldest first
        self.n_asked = 0

    def params(self):
        return {"population_size": self.population_size, "sample_size": self.sample_size}

    def ask(self):
        self.n_asked += 1
        population = self.population
        if self.n_asked <= self.population_size or not population:
            return self.space.sample(self.stream), self.fidelity
        n = len(population)
        nxt = self.stream._next
        parent, best = population[int(nxt() * n)]
        for _ in range(self.sample_size - 1):
            arch, value = population[int(nxt() * n)]
            if value > best:
                parent, best = arch, value
        return self.space.mutate(parent, self.stream), self.fidelity

    def _tell(self, arch, fidelity, value):
        population = self.population
        population.append((arch, value))
        if len(population) > self.population_size:
            population.popleft()
