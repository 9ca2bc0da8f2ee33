"""Random search: every proposal is an independent uniform sample of the space (Bergstra & Bengio, 2012).

Samples are drawn with replacement, as in NB201's random-search baseline, so an arch may be
evaluated twice and each evaluation costs its training time.
"""

from __future__ import annotations

from strategies.base import Strategy

__all__ = ["RandomSearch"]


class RandomSearch(Strategy):
    """Uniform random sampling through ``space.sample``.

    Examples
    --------
    >>> from nasbench.spaces import NB201Space
    >>> rs = RandomSearch(NB201Space(), seed=0)
    >>> rs.set_fidelities([200])
    >>> arch, fidelity = rs.ask()
    >>> fidelity
    200
    """

    name = "random_search"

    def ask(self):
        return self.space.sample(self.stream), self.fidelity

    def _tell(self, arch, fidelity, value):
        """Random search ignores results: every proposal is an independent uniform sample."""
