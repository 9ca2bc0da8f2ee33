"""Encodings: architectures in, float32 feature matrices out.

>>> from nasbench.encodings import get_encoding
>>> enc = get_encoding("nb201", "onehot")
>>> enc.encode([0, 6111]).shape
(2, 30)

Names per space (see each module's docstring for what the features are):

* ``nb201``: ``onehot``, ``adjacency``, ``path``, ``iso`` (isomorphism-respecting; the default for
  surrogates), in :mod:`nasbench.encodings.nb201`.
* ``nb101``: ``adjacency``, ``path`` in :mod:`nasbench.encodings.nb101`.
* ``darts``: ``adjacency`` in :mod:`nasbench.encodings.darts`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import importlib

from nasbench.errors import UnknownNameError, choices_text

__all__ = ["Encoding", "get_encoding", "list_encodings", "DEFAULT_ENCODING"]

# space -> (module, encoding names)
_REGISTRY = {
    "nb201": ("nasbench.encodings.nb201", ("onehot", "adjacency", "path", "iso")),
    "nb101": ("nasbench.encodings.nb101", ("adjacency", "path")),
    "darts": ("nasbench.encodings.darts", ("adjacency", "cellstats", "cellstats_iso")),
}
DEFAULT_ENCODING = {"nb201": "iso", "nb101": "adjacency", "darts": "adjacency"}


class Encoding(ABC):
    """Base class: ``encode(archs)`` returns ``(X, scalar)``.

    Attributes
    ----------
    space : str
    name : str
    n_features : int
    """

    space: str
    name: str
    n_features: int

    @abstractmethod
    def encode(self, archs):
        """Features of ``archs``: (float32 ndarray of shape (n, n_features), scalar flag)."""

    def __call__(self, archs):
        return self.encode(archs)[0]

    def _encode_rows(self, archs, arch_type: type, how_to_build: str, row):
        """``encode`` for spaces whose archs are encoded one at a time by ``row(arch)``.

        Checks that every item is an ``arch_type`` (otherwise InvalidArchError naming
        ``how_to_build``) and stacks the rows; returns ``(X, scalar)`` as :meth:`encode` does.
        """
        import numpy as np

        from nasbench.errors import InvalidArchError

        scalar = isinstance(archs, arch_type)
        single = scalar or isinstance(archs, (str, bytes)) or not hasattr(archs, "__iter__")
        items = [archs] if single else list(archs)
        for a in items:
            if not isinstance(a, arch_type):
                raise InvalidArchError(
                    f"{self.space.upper()} encodings take {arch_type.__name__} values; got {a!r} of type "
                    f"{type(a).__name__}. Build one with {how_to_build}."
                )
        X = np.stack([row(a) for a in items]) if items else np.zeros((0, self.n_features), np.float32)
        return X, scalar

    def __repr__(self):
        return f"{type(self).__name__}({self.space!r}, {self.name!r}, n_features={self.n_features})"


def list_encodings(space: str | None = None) -> dict:
    """Encoding names per space."""
    if space is None:
        return {s: names for s, (_, names) in _REGISTRY.items()}
    _check_space(space)
    return {space: _REGISTRY[space][1]}


def _check_space(space):
    if space not in _REGISTRY:
        raise UnknownNameError(f"no encodings for search space {space!r}; expected one of {choices_text(_REGISTRY)}.")


def get_encoding(space: str, name: str | None = None) -> Encoding:
    """The encoding ``name`` of ``space`` (``None``: the space's default, :data:`DEFAULT_ENCODING`)."""
    _check_space(space)
    module, names = _REGISTRY[space]
    name = DEFAULT_ENCODING[space] if name is None else name
    if name not in names:
        raise UnknownNameError(f"unknown encoding {name!r} for {space}; expected one of {choices_text(names)}.")
    return importlib.import_module(module).make_encoding(name)
