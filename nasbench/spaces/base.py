"""The search-space role: what a strategy may do with architectures.

A search space hands out immutable, hashable architecture values. Strategies only use the methods
below, so every strategy works on every space.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable
from typing import Any

import numpy as np

__all__ = ["SearchSpace"]


class SearchSpace(ABC):
    """Abstract search space.

    Attributes
    ----------
    name : str
        Short name used in benchmark names (``"nb201"``).
    n_archs : int or None
        Number of architectures when the space is enumerable, else None.
    """

    name: str
    n_archs: int | None = None

    @abstractmethod
    def sample(self, rng: np.random.Generator) -> Any:
        """Draw one architecture uniformly at random with ``rng``."""

    @abstractmethod
    def mutate(self, arch: Any, rng: np.random.Generator) -> Any:
        """Return a new architecture that differs from ``arch`` in one random choice."""

    @abstractmethod
    def neighbors(self, arch: Any) -> list:
        """Return every architecture that differs from ``arch`` in exactly one choice, in a fixed order."""

    @abstractmethod
    def is_valid(self, arch: Any) -> bool:
        """True when ``arch`` is a well-formed member of this space. Costs no budget."""

    @abstractmethod
    def canonical_key(self, arch: Any) -> Hashable:
        """A key equal for all architectures that compute the same function (isomorphic cells)."""
