"""Warm-starting any strategy with archs known to be good elsewhere (e.g. the best of another task).

:class:`WarmStart` wraps a strategy: its first asks are the given archs (at the search fidelity),
then it delegates every ask to the wrapped strategy, and it tells the wrapped strategy **every**
result, its own warm archs included. That is the hook, the same for every strategy:

* strategies that learn from any told result use the warm archs at once: local search climbs
  from the first one told, BANANAS and the gradient strategy fit their models on them, REINFORCE
  updates its policy;
* strategies with an initial phase counted by ``n_asked`` (regularized evolution's initial
  population, BANANAS' and the gradient strategy's ``n_init`` random samples) count each warm arch
  as one of those asks, so the warm archs **are** (part of) the initial population or design instead
  of being aged out by random samples;
* random search only spends budget on them first.

The wrapper keeps the wrapped strategy's seed, so a warm run and a cold run of one seed share the
simulator's noise stream (common random numbers).
"""

from __future__ import annotations

from nasbench.errors import NasbenchError
from strategies.base import Strategy

__all__ = ["WarmStart"]


class WarmStart(Strategy):
    """Propose ``initial`` first, then delegate to ``inner``; tell ``inner`` every result.

    Parameters
    ----------
    inner : strategies.base.Strategy
        A fresh strategy (nothing asked or told yet).
    initial : sequence of archs
        Values of ``inner.space``, proposed in order at the search fidelity.

    Examples
    --------
    >>> from strategies.evolution import RegularizedEvolution              # doctest: +SKIP
    >>> warm = WarmStart(RegularizedEvolution(space, seed=0), best_archs_of_source)  # doctest: +SKIP
    """

    name = "warm_start"

    def __init__(self, inner: Strategy, initial):
        if not isinstance(inner, Strategy):
            raise NasbenchError(f"WarmStart wraps a Strategy; got {type(inner).__name__}.")
        if inner.n_told:
            raise NasbenchError(f"WarmStart needs a fresh {inner.name} (it has been told {inner.n_told} results).")
        initial = list(initial)
        for arch in initial:
            if not inner.space.is_valid(arch):
                raise NasbenchError(f"warm-start archs must be archs of the {inner.space.name} space; got {arch!r}.")
        super().__init__(inner.space, seed=inner.seed)
        self.inner = inner
        self.initial = initial
        self.multi_fidelity = inner.multi_fidelity
        self.n_warm_asked = 0

    @property
    def label(self) -> str:
        return f"{self.inner.name}+warm{len(self.initial)}"

    def set_fidelities(self, fidelities) -> None:
        super().set_fidelities(fidelities)
        self.inner.set_fidelities(fidelities)

    def ask(self):
        if self.n_warm_asked < len(self.initial):
            arch = self.initial[self.n_warm_asked]
            self.n_warm_asked += 1
            if hasattr(self.inner, "n_asked"):  # the warm arch takes the place of one initial ask
                self.inner.n_asked += 1
            return arch, self.fidelity
        return self.inner.ask()

    def _tell(self, arch, fidelity, value):
        self.inner.tell(arch, fidelity, value)

    def params(self) -> dict:
        return {"inner": self.inner.name, "inner_params": self.inner.params(), "n_initial": len(self.initial)}
