"""The ask/tell strategy role.

A strategy proposes ``(arch, fidelity)`` pairs with :meth:`Strategy.ask` and learns from the
validation value of each with :meth:`Strategy.tell`. It only uses the search space's
``sample(rng)``, ``mutate(arch, rng)`` and ``neighbors(arch)`` (plus, for strategies over
categorical choices, :mod:`strategies._categorical`), so it works on every such space. It owns
its random generator, made once from ``seed``; it never touches global random state.

Values are "higher is better" (validation accuracy in %). Several asks may be outstanding at once
(asynchronous workers): ``tell`` may come in any order.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np

import nasbench.checks as checks
from nasbench.errors import NasbenchError
from nasbench.rng import as_generator
from strategies._stream import UniformStream

__all__ = ["Strategy"]


class Strategy(ABC):
    """Abstract ask/tell strategy.

    Parameters
    ----------
    space : nasbench.spaces.SearchSpace
    seed : int, numpy.random.Generator, numpy.random.SeedSequence or None
        Converted once into :attr:`rng`, which the strategy owns.

    Attributes
    ----------
    name : str
        Registry name (see :mod:`strategies.registry`).
    multi_fidelity : bool
        True when the strategy asks for evaluations below the top fidelity.
    rng : numpy.random.Generator
    stream : UniformStream
        Uniform draws of ``rng``, for strategies with a compiled twin (see :mod:`strategies._stream`).
    fidelities : tuple
        The fidelities the strategy may ask for, ascending; the last is the search fidelity.
        Set by :meth:`set_fidelities` (the simulator calls it before the first ask).
    """

    name: ClassVar[str] = "strategy"
    multi_fidelity: ClassVar[bool] = False

    def __init__(self, space, *, seed=None):
        self.space = space
        self.seed = seed  # kept so a simulator can spawn the run's noise stream from it
        self.rng = as_generator(seed)
        self.stream = UniformStream(self.rng)
        self.fidelities: tuple = (None,)
        self.fidelity = None
        self.best_arch = None
        self.best_value = -np.inf
        self.best_fidelity_rank = -1
        self.n_told = 0

    def set_fidelities(self, fidelities) -> None:
        """Tell the strategy which fidelities exist (ascending); the last one is the search fidelity."""
        fids = tuple(fidelities)
        if not fids:
            raise NasbenchError("a strategy needs at least one fidelity; got an empty list.")
        self.fidelities = fids
        self.fidelity = fids[-1]

    @abstractmethod
    def ask(self) -> tuple[Any, Any]:
        """Propose the next evaluation: ``(arch, fidelity)``."""

    def tell(self, arch, fidelity, value: float) -> None:
        """Report the validation ``value`` (higher is better) of ``arch`` at ``fidelity``."""
        self.n_told += 1
        rank = self.fidelities.index(fidelity) if fidelity != self.fidelity else len(self.fidelities) - 1
        if rank > self.best_fidelity_rank or (rank == self.best_fidelity_rank and value > self.best_value):
            self.best_arch, self.best_value, self.best_fidelity_rank = arch, value, rank
        self._tell(arch, fidelity, value)

    @abstractmethod
    def _tell(self, arch, fidelity, value: float) -> None:
        """Strategy-specific learning from one result."""

    def recommend(self):
        """The arch the strategy would return now: best value at the highest fidelity seen."""
        if self.best_arch is None:
            raise NasbenchError(f"{self.name} has no results yet; call tell() before recommend().")
        return self.best_arch

    def params(self) -> dict:
        """The strategy's hyper-parameters, for manifests (JSON-serialisable)."""
        return {}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{type(self).__name__}({args})"


def check_int(name: str, value, low: int, strategy: str) -> int:
    """Validate an integer hyper-parameter ``>= low``; the error says what was expected and given."""
    return checks.check_int(f"the {name!r} parameter of {strategy}", value, low)


def check_float(name: str, value, low: float, high: float, strategy: str) -> float:
    """Validate a float hyper-parameter in ``[low, high]``."""
    return checks.check_number(f"the {name!r} parameter of {strategy}", value, low, high, finite=False)


def check_bool(name: str, value, strategy: str) -> bool:
    """Validate a true/false hyper-parameter (0 and 1 are refused: a typo, not a choice)."""
    return checks.check_bool(f"the {name!r} parameter of {strategy}", value)
