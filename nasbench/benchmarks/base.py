"""The benchmark role: architectures in, metric values and simulated cost out.

Every kind (tabular tables, the embedded table, fitted surrogates, latency tables, live training)
answers the same calls, so the simulator, ``compare``, ``validate`` and the CLI never ask which kind
they hold. :class:`Benchmark` declares them; :class:`EnumerableBenchmark` adds the whole-space calls
that only spaces small enough to list offer (``column``, ``best``, ``n_archs``).

Noise
-----
An evaluation in a search draws one *training outcome*: one of the training seeds a table holds, one
sample of a surrogate's noise model, or one seeded training run. Each arch has ``n_outcomes``
equally likely outcomes (:meth:`Benchmark.noise`); :meth:`Benchmark.query_draws` maps one caller-made
uniform ``u`` in [0, 1) per arch to outcome ``floor(u * n)``, where ``n`` counts the outcomes the data
holds for that arch (a table may lack a seed for some archs). The caller owns the random stream: the
simulator spawns it from the run's seed, and every strategy on that seed sees the same uniforms
(common random numbers).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from nasbench.errors import NasbenchError, UnknownNameError, choices_text

__all__ = ["Benchmark", "EnumerableBenchmark", "Cost", "higher_is_better", "check_uniforms"]


MEDIAN_COST_SAMPLE = 256  # archs drawn to estimate a typical evaluation cost where the space is too large to list


@dataclass(frozen=True)
class Cost:
    """Simulated cost of evaluations.

    Attributes
    ----------
    seconds : float64 ndarray of shape (n_archs,)
        Simulated seconds per queried arch (training plus evaluation of the run whose metric is searched).
    provenance : dict
        JSON-serialisable: where the seconds come from (``source``: ``measured``, an estimate's name, or
        ``predicted_by`` a model), for manifests.
    """

    seconds: np.ndarray
    provenance: dict = field(default_factory=dict)


def higher_is_better(info) -> bool:
    """Direction of a metric from its metadata (a ``MetricInfo`` or a dict with ``higher_is_better``).

    Metadata that does not say is read from the unit and name: accuracies and scores (%) are higher-
    is-better; losses, times (s, ms), parameters and FLOPs are lower-is-better.
    """
    stated = info.get("higher_is_better") if isinstance(info, dict) else getattr(info, "higher_is_better", None)
    if stated is not None:
        return bool(stated)
    name = info.get("name", "") if isinstance(info, dict) else getattr(info, "name", "")
    unit = info.get("unit", "") if isinstance(info, dict) else getattr(info, "unit", "")
    if name.endswith(("_loss", "_time_s", "_ms", "_s")) or "loss" in name or unit in ("s", "ms", "M", "MFLOPs"):
        return False
    return True


def check_uniforms(uniforms, n: int) -> np.ndarray:
    """Validate draw uniforms: float64 array of shape (n,) with values in [0, 1)."""
    u = np.asarray(uniforms, dtype=np.float64)
    if u.shape != (n,):
        raise NasbenchError(
            f"uniforms must have shape ({n},) (one per queried arch); got {u.shape}. Draw them with rng.random({n})."
        )
    if not ((u >= 0.0) & (u < 1.0)).all():
        raise NasbenchError("uniforms must lie in [0, 1); draw them with numpy's Generator.random.")
    return u


class Benchmark(ABC):
    """Abstract benchmark: what every kind answers.

    Values are either measured (they equal the source data) or predicted by a named model, which
    ``metrics[m].predicted_by`` says.

    Attributes
    ----------
    name : str
        ``SPACE/DATASET[@KIND]``.
    kind : str
        ``tabular``, ``embedded``, ``surrogate``, ``latency``, ``train``, ...
    space : nasbench.spaces.SearchSpace
    enumerable : bool
        True for :class:`EnumerableBenchmark` (every arch has a row: ``column``, ``best``, ``n_archs``).
    live : bool
        True when a query trains networks (``nb201/digits@train``).
    """

    name: str
    kind: str
    space: object
    enumerable: ClassVar[bool] = False
    # True when answering a query trains networks (live training): callers then never query archs
    # nobody asked for, e.g. to estimate a typical cost
    live: ClassVar[bool] = False

    @property
    @abstractmethod
    def metrics(self) -> dict:
        """Metric name -> description (``MetricInfo``: unit, fidelities, coverage, provenance)."""

    def metric_info(self, metric: str):
        """The description of ``metric``; an unknown name gets an error listing the metrics."""
        try:
            return self.metrics[metric]
        except (KeyError, TypeError):
            raise UnknownNameError(
                f"{self.name} has no metric {metric!r}; expected one of {choices_text(self.metrics)}."
            ) from None

    def higher_is_better(self, metric: str) -> bool:
        """True when larger values of ``metric`` are better (accuracy), False otherwise (loss, time)."""
        return higher_is_better(self.metric_info(metric))

    def default_search_metric(self) -> str | None:
        """The metric a search uses unless told otherwise: ``valid_acc``, else the benchmark's other
        validation metric (``valid_*``: TNB's per-task metrics, NAS-Bench-Graph's ROC-AUC); None when
        it has none (then the caller must choose, knowingly, e.g. a test metric)."""
        if "valid_acc" in self.metrics:
            return "valid_acc"
        return next((m for m in self.metrics if m.startswith("valid_")), None)

    @abstractmethod
    def fidelities(self, metric: str) -> tuple:
        """The fidelities at which ``metric`` is available, ascending (``(None,)`` for a static metric)."""

    def default_fidelity(self, metric: str):
        """The highest fidelity of ``metric`` (None for a static metric)."""
        fids = self.fidelities(metric)
        return None if fids == (None,) else max(fids)

    @abstractmethod
    def query(self, archs, metric: str, fidelity=None, seed=None, *, missing: str = "raise"):
        """Values of ``metric`` at ``fidelity`` for ``archs``.

        Parameters
        ----------
        archs : arch, or sequence / ndarray of archs
            Values of :attr:`space` (for NB201 also indices and arch strings).
        metric : str
            Metric name with its unit in the name, e.g. ``"test_acc"`` (%), ``"train_time_s"``.
        fidelity : int or None
            Training budget; None means the metric's highest fidelity.
        seed : None, int or numpy.random.Generator
            None returns the mean over training outcomes; otherwise one outcome is drawn per queried
            arch, reproducibly.
        missing : {"raise", "nan"}
            What to do where the data has no value: raise MissingValueError, or return NaN. Tables
            also take ``"predicted"``: the gaps get a stored fill's predictions and the result is a
            :class:`nasbench.benchmarks.filled.FilledQuery` that marks them (``predicted_by``).

        Returns
        -------
        numpy.float64 for a single arch, else ndarray of float64 with shape (n_archs,).
        """

    @abstractmethod
    def query_draws(self, archs, metric: str, fidelity, uniforms) -> np.ndarray:
        """One training outcome per arch, chosen by caller-made ``uniforms``.

        Parameters
        ----------
        archs : sequence of archs, length n
        metric : str
        fidelity : int or None
        uniforms : float64 array of shape (n,), values in [0, 1)
            ``uniforms[i]`` picks arch i's outcome ``floor(u * n_i)`` among its ``n_i`` outcomes; the
            same uniform always gives the same value.

        Returns
        -------
        float64 ndarray of shape (n,)
            Without per-outcome data (``noise(metric)["n_outcomes"] == 1``) this equals the mean.
        """

    @abstractmethod
    def noise(self, metric: str, fidelity=None) -> dict:
        """Where :meth:`query_draws` draws come from (JSON-serialisable).

        Keys: ``source`` (``"training seeds"``, ``"surrogate noise model"``, ``"training runs"``,
        ``"none"``), ``n_outcomes`` (equally likely outcomes per arch, at most; 1 without noise), ``about``.
        """

    @abstractmethod
    def cost(self, archs, fidelity=None, *, metric: str | None = None) -> Cost:
        """Simulated seconds of evaluating ``archs`` at ``fidelity``: training (and evaluation) time of
        the run whose ``metric`` is searched (None: the benchmark's main run), with its provenance."""

    def median_cost(self, fidelity, *, metric: str | None, rng: np.random.Generator) -> tuple[float, dict]:
        """Median simulated seconds of one evaluation at ``fidelity``, and the cost's provenance.

        Over every arch of an enumerable benchmark; otherwise over :data:`MEDIAN_COST_SAMPLE` archs drawn
        from ``rng`` (the caller's own stream, so no run's draws are touched). What ``nasbench info``
        reports and what ``nasbench compare`` turns an evaluation budget into under equal cost.
        """
        if self.enumerable:
            archs = np.arange(self.n_archs)
        else:
            archs = [self.space.sample(rng) for _ in range(MEDIAN_COST_SAMPLE)]
        cost = self.cost(archs, fidelity, metric=metric)
        return float(np.median(cost.seconds)), cost.provenance

    @abstractmethod
    def describe(self) -> dict:
        """Facts for ``nasbench info`` and manifests: kind, space, metrics, sources (JSON-serialisable)."""

    def __repr__(self):
        return f"{type(self).__name__}({self.name!r})"


class EnumerableBenchmark(Benchmark):
    """A benchmark over a space small enough to list: every arch has a row index ``0..n_archs-1``.

    Attributes
    ----------
    n_archs : int
    """

    enumerable: ClassVar[bool] = True
    n_archs: int

    @abstractmethod
    def column(self, metric: str, fidelity=None) -> np.ndarray:
        """Mean ``metric`` at ``fidelity`` for every arch: read-only float64 of shape (n_archs,); NaN
        where the data has no value."""

    @abstractmethod
    def column_draws(self, metric: str, fidelity=None):
        """Per-outcome values for compiled code: float64 array (n_archs, n_outcomes) (NaN where an
        outcome is missing), or None when the benchmark has no discrete outcomes (use :meth:`query_draws`)."""

    def best(self, metric: str, fidelity=None, *, maximize: bool | None = None) -> tuple[int, float]:
        """The arch index with the best mean ``metric`` at ``fidelity`` and its value (NaN ignored).
        ``maximize`` defaults to the metric's direction."""
        from nasbench.errors import MissingValueError

        values = self.column(metric, fidelity)
        if np.isnan(values).all():
            raise MissingValueError(
                f"{self.name} has no values of {metric} at fidelity {fidelity}; pick another metric or "
                "fidelity (`nasbench info` lists the coverage)."
            )
        if maximize is None:
            maximize = self.higher_is_better(metric)
        index = int(np.nanargmax(values) if maximize else np.nanargmin(values))
        return index, float(values[index])
