"""Local search (hill climbing with restarts), as in White, Nolen, Ravichandran & Mittal,
"Local Search is State of the Art for Neural Architecture Search Benchmarks" (2020).

* Start from a uniform sample: it becomes the current arch when told.
* Evaluate every neighbour of the current arch (``space.neighbors``) that has not been evaluated
  yet, in a random order (Fisher-Yates on the stream).
* When all of them are told, move to the best neighbour if it is strictly better than the current
  arch (best improvement); otherwise the current arch is a local optimum and the search restarts
  from a new uniform sample.

With asynchronous workers, an ask that finds no neighbour left to propose while results are still
outstanding is a uniform sample; it becomes the current arch only when there is none.
The compiled twin in :mod:`strategies._kernels` makes the same choices from the same uniforms.
"""

from __future__ import annotations

from collections import deque

from strategies.base import Strategy

__all__ = ["LocalSearch"]


class LocalSearch(Strategy):
    """Best-improvement hill climbing over ``space.neighbors`` with random restarts."""

    name = "local_search"

    def __init__(self, space, *, seed=None):
        super().__init__(space, seed=seed)
        self.current = None          # (arch, value) or None
        self.queue: deque = deque()  # neighbours still to propose
        self.pending: set = set()    # neighbours proposed, not told yet
        self.best_neighbor = None    # (arch, value) of the best told neighbour of current
        self.visited: set = set()

    def ask(self):
        if self.queue:
            arch = self.queue.popleft()
            self.pending.add(arch)
            return arch, self.fidelity
        return self.space.sample(self.stream), self.fidelity

    def _tell(self, arch, fidelity, value):
        self.visited.add(arch)
        if arch in self.pending:
            self.pending.discard(arch)
            if self.best_neighbor is None or value > self.best_neighbor[1]:
                self.best_neighbor = (arch, value)
            if not self.queue and not self.pending:
                best = self.best_neighbor
                if best[1] > self.current[1]:
                    self._climb_to(best)
                else:
                    self.current = None  # local optimum: restart from the next sample
        elif self.current is None:
            self._climb_to((arch, value))

    def _climb_to(self, current):
        self.current = current
        self.best_neighbor = None
        fresh = [a for a in self.space.neighbors(current[0]) if a not in self.visited]
        self.stream.shuffle(fresh)
        self.queue = deque(fresh)
        if not fresh:
            self.current = None
