"""Spaces that are a full product of independent categorical decisions (a grid).

TransNAS-Bench-101 micro (6 edges x 4 ops) and NAS-Bench-Macro (8 layers x 3 blocks) are grids:
every combination of choices is an arch of the space and of its table. An arch is an immutable
value holding its choice tuple and its **index**, the odometer number of the choices with the
first decision most significant (``index = sum(c[d] * k**(D-1-d))`` for ``k`` options per
decision); tables of these spaces store rows in index order.

A concrete space subclasses :class:`GridArch` (its ``SPACE``, ``N_DECISIONS``, ``N_OPTIONS``,
``to_string``, ``_parse_string``) and :class:`GridSpace` (its ``arch_type`` and ``canonical_key``).
"""

from __future__ import annotations

import numpy as np

from nasbench.checks import check_int, is_int
from nasbench.errors import InvalidArchError
from nasbench.spaces.base import SearchSpace

__all__ = ["GridArch", "GridSpace"]


class GridArch:
    """One arch of a grid space: an immutable, hashable value.

    Parameters
    ----------
    choices : sequence of ``N_DECISIONS`` ints in ``[0, N_OPTIONS)``

    Attributes
    ----------
    choices : tuple of int
    index : int
        Odometer index in ``[0, N_OPTIONS ** N_DECISIONS)`` (the table's row).
    """

    __slots__ = ("choices", "index")
    SPACE = ""
    N_DECISIONS = 0
    N_OPTIONS = 0
    EXAMPLE = ""

    def __init__(self, choices):
        cls = type(self)
        if isinstance(choices, str):
            raise InvalidArchError(
                f"{cls.__name__}(choices) takes {cls.N_DECISIONS} ints; got the string {choices!r}. Use "
                f"{cls.__name__}.from_string for an arch string such as {cls.EXAMPLE!r}."
            )
        try:
            values = tuple(choices)
        except TypeError:
            raise InvalidArchError(
                f"{cls.__name__}(choices) takes a sequence of {cls.N_DECISIONS} ints; got {choices!r}."
            ) from None
        k = cls.N_OPTIONS
        if len(values) != cls.N_DECISIONS or not all(is_int(v) and 0 <= v < k for v in values):
            raise InvalidArchError(
                f"a {cls.SPACE} arch has {cls.N_DECISIONS} choices, each an int in [0, {k - 1}]; got {choices!r}."
            )
        parsed = tuple(int(v) for v in values)
        index = 0
        for v in parsed:
            index = index * k + v
        object.__setattr__(self, "choices", parsed)
        object.__setattr__(self, "index", index)

    @classmethod
    def n_archs(cls) -> int:
        return cls.N_OPTIONS ** cls.N_DECISIONS

    @classmethod
    def from_index(cls, index) -> GridArch:
        """The arch with odometer index ``index``."""
        n = cls.n_archs()
        index = check_int(f"a {cls.SPACE} index", index, 0, n - 1, error=InvalidArchError)
        out = []
        for _ in range(cls.N_DECISIONS):
            index, v = divmod(index, cls.N_OPTIONS)
            out.append(v)
        return cls(out[::-1])

    @classmethod
    def from_string(cls, text) -> GridArch:
        """Parse the space's arch string (see the subclass)."""
        if not isinstance(text, str):
            raise InvalidArchError(f"a {cls.SPACE} arch string must be a str; got {text!r}. Write it like "
                                   f"{cls.EXAMPLE!r}.")
        return cls(cls._parse_string(text.strip()))

    @classmethod
    def _parse_string(cls, text: str) -> tuple:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    @property
    def string(self) -> str:
        return self.to_string()

    def to_string(self) -> str:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable; use the space's mutate to get a new arch")

    def __eq__(self, other):
        return type(other) is type(self) and other.index == self.index

    def __hash__(self):
        return hash((self.SPACE, self.index))

    def __repr__(self):
        return f"{type(self).__name__}({self.to_string()!r})"

    def __reduce__(self):
        return (type(self), (self.choices,))


class GridSpace(SearchSpace):
    """A product space of ``N_DECISIONS`` decisions with ``N_OPTIONS`` options each.

    Sampling is uniform over the grid; a mutation changes one uniformly chosen decision to another
    option, chosen uniformly; neighbours are the ``N_DECISIONS * (N_OPTIONS - 1)`` archs one change
    away, decision-major, options in cyclic order from the current one.
    """

    arch_type: type = GridArch

    @property
    def n_archs(self) -> int:  # type: ignore[override]
        return self.arch_type.n_archs()

    @property
    def choice_sizes(self) -> tuple:
        """Options per decision (the categorical view used by BOHB, BANANAS, REINFORCE)."""
        return (self.arch_type.N_OPTIONS,) * self.arch_type.N_DECISIONS

    def to_choices(self, arch) -> tuple:
        self._check(arch)
        return arch.choices

    def from_choices(self, choices):
        return self.arch_type([int(c) for c in choices])

    def choice_table(self) -> np.ndarray:
        """Choices of every arch in index order: int64 of shape (n_archs, N_DECISIONS)."""
        k, d = self.arch_type.N_OPTIONS, self.arch_type.N_DECISIONS
        radix = k ** np.arange(d - 1, -1, -1, dtype=np.int64)
        return (np.arange(self.n_archs, dtype=np.int64)[:, None] // radix[None, :]) % k

    def sample(self, rng: np.random.Generator):
        return self.arch_type(rng.integers(0, self.arch_type.N_OPTIONS, size=self.arch_type.N_DECISIONS).tolist())

    def mutate(self, arch, rng: np.random.Generator):
        self._check(arch)
        k = self.arch_type.N_OPTIONS
        choices = list(arch.choices)
        d = int(rng.integers(len(choices)))
        choices[d] = (choices[d] + 1 + int(rng.integers(k - 1))) % k
        return self.arch_type(choices)

    def neighbors(self, arch) -> list:
        self._check(arch)
        k = self.arch_type.N_OPTIONS
        out = []
        for d in range(self.arch_type.N_DECISIONS):
            for step in range(1, k):
                choices = list(arch.choices)
                choices[d] = (choices[d] + step) % k
                out.append(self.arch_type(choices))
        return out

    def is_valid(self, arch) -> bool:
        return isinstance(arch, self.arch_type)

    def canonical_key(self, arch):
        self._check(arch)
        return arch.index

    def from_index(self, index):
        return self.arch_type.from_index(index)

    def from_string(self, text: str):
        return self.arch_type.from_string(text)

    def all_archs(self) -> list:
        """Every arch in index order."""
        return [self.arch_type(row) for row in self.choice_table().tolist()]

    def scalar_index(self, arch) -> int:
        """Index of one int or arch value; -1 for anything else (the general path then checks it)."""
        kind = type(arch)
        if kind is int:
            return arch
        if kind is self.arch_type:
            return arch.index
        return -1

    def to_indices(self, archs) -> tuple[np.ndarray, bool]:
        """Indices of ``archs``: an index, an arch string, an arch value, or a list / 1-D array of these.

        Returns
        -------
        indices : int64 ndarray of shape (n,)
            Not range-checked for an integer ndarray (the table lookup checks the range).
        scalar : bool
            True when a single arch was given.
        """
        if isinstance(archs, np.ndarray):
            if archs.ndim > 1:
                raise InvalidArchError(f"archs as an ndarray must be 1-D; got shape {archs.shape}.")
            if archs.dtype.kind in "iu":
                return np.ascontiguousarray(archs.reshape(-1), dtype=np.int64), archs.ndim == 0
            if archs.dtype.kind not in "OU":
                raise InvalidArchError(f"archs as an ndarray must hold integer {self.name} indices; got dtype "
                                       f"{archs.dtype}.")
            archs = archs.tolist()
        if isinstance(archs, (str, self.arch_type, int, np.integer)):
            return np.array([self._one_index(archs)], dtype=np.int64), True
        if isinstance(archs, (bytes, bytearray, set, frozenset, dict)):
            raise InvalidArchError(
                f"archs must be a {self.name} index, arch string or arch value, or a list of these; got "
                f"{type(archs).__name__}. Pass a list."
            )
        try:
            items = list(archs)
        except TypeError:
            raise InvalidArchError(
                f"archs must be a {self.name} index, arch string or arch value, or a list of these; got "
                f"{archs!r} of type {type(archs).__name__}."
            ) from None
        return np.fromiter((self._one_index(a) for a in items), dtype=np.int64, count=len(items)), False

    def _one_index(self, arch) -> int:
        if isinstance(arch, self.arch_type):
            return arch.index
        if isinstance(arch, str):
            return self.arch_type.from_string(arch).index
        if is_int(arch):
            return self.arch_type.from_index(arch).index
        raise InvalidArchError(
            f"a {self.name} arch is an index, an arch string like {self.arch_type.EXAMPLE!r} or a "
            f"{self.arch_type.__name__}; got {arch!r} of type {type(arch).__name__}."
        )

    def _check(self, arch):
        if not isinstance(arch, self.arch_type):
            raise InvalidArchError(
                f"expected a {self.arch_type.__name__}; got {arch!r} of type {type(arch).__name__}. Convert "
                f"with space.from_index or space.from_string."
            )
