"""The benchmark role: architectures in, metric values out."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

__all__ = ["Benchmark"]


class Benchmark(ABC):
    """Abstract benchmark.

    Every kind (tabular, surrogate, latency, live training) answers the same batched call,
    :meth:`query`. Values are either measured (they equal the source data) or predicted by a
    named model, which :attr:`metrics` says.

    Attributes
    ----------
    name : str
        ``SPACE/DATASET[@KIND]``.
    space : nasbench.spaces.SearchSpace
    """

    name: str
    kind: str

    @property
    @abstractmethod
    def metrics(self) -> dict:
        """Metric name -> description (unit, fidelities, coverage, provenance)."""

    @abstractmethod
    def query(self, archs, metric: str, fidelity=None, seed=None, *, missing: str = "raise") -> np.ndarray:
        """Values of ``metric`` at ``fidelity`` for ``archs``.

        Parameters
        ----------
        archs : arch, or sequence / ndarray of archs
            For NB201: indices, arch strings or NB201Arch values.
        metric : str
            Metric name with its unit in the name, e.g. ``"test_acc"`` (%), ``"train_time_s"``.
        fidelity : int or None
            Training budget; None means the metric's highest fidelity.
        seed : None, int or numpy.random.Generator
            None returns the mean over training seeds; otherwise one training seed is sampled
            per queried arch, reproducibly.
        missing : {"raise", "nan"}
            What to do where the data has no value: raise MissingValueError, or return NaN.

        Returns
        -------
        numpy.float64 for a single arch, else ndarray of float64 with shape (n_archs,).
        """

    def __repr__(self):
        return f"{type(self).__name__}({self.name!r})"
