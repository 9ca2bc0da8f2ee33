"""Categorical view of a search space, for strategies that model or relax the choices.

REINFORCE learns a categorical distribution per decision, BANANAS/BOHB/gradient encode archs as
one-hot vectors, and the cost model fits per-choice coefficients. They all need to turn an arch into
a tuple of choice indices and back. A space provides this by defining ``choice_sizes`` (tuple of ints), ``to_choices(arch)`` and
``from_choices(choices)`` (NB201, the grid spaces).
"""

from __future__ import annotations

import numpy as np

from nasbench.errors import NasbenchError

__all__ = ["Categorical", "categorical_of"]


class Categorical:
    """Choice-index view of a space.

    Attributes
    ----------
    sizes : tuple of int
        Number of options of each decision (NB201: six edges with 5 ops each).
    n_features : int
        Length of the one-hot encoding, ``sum(sizes)``.
    """

    def __init__(self, sizes, to_choices, from_choices):
        self.sizes = tuple(int(s) for s in sizes)
        self.n_features = sum(self.sizes)
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(np.int64)
        self.to_choices = to_choices
        self.from_choices = from_choices

    def one_hot(self, archs) -> np.ndarray:
        """One-hot encoding of ``archs``: float64 of shape (n_archs, n_features)."""
        choices = np.array([self.to_choices(a) for a in archs], dtype=np.int64).reshape(-1, len(self.sizes))
        return self.one_hot_choices(choices)

    def one_hot_choices(self, choices: np.ndarray) -> np.ndarray:
        """One-hot encoding of a (n, n_decisions) int array of choice indices."""
        out = np.zeros((choices.shape[0], self.n_features))
        rows = np.arange(choices.shape[0])[:, None]
        out[rows, choices + self.offsets[None, :]] = 1.0
        return out


def categorical_of(space) -> Categorical:
    """The :class:`Categorical` view of ``space``; a clear error when the space has none."""
    if all(hasattr(space, n) for n in ("choice_sizes", "to_choices", "from_choices")):
        return Categorical(space.choice_sizes, space.to_choices, space.from_choices)
    raise NasbenchError(
        f"this strategy needs a space with categorical choices; {type(space).__name__} has none. "
        "Give the space choice_sizes, to_choices(arch) and from_choices(choices), or pick a strategy "
        "that only uses sample/mutate/neighbors (random_search, regularized_evolution, local_search)."
    )
