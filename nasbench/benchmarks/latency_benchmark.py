"""Latency tables as a benchmark: ``nb201/cifar10@latency`` with one metric ``latency_ms@DEVICE`` per device."""

from __future__ import annotations

import numpy as np

from nasbench.benchmarks.base import Cost, EnumerableBenchmark, check_uniforms
from nasbench.benchmarks.latency import LATENCY_DATASETS, METRIC, load_latency
from nasbench.errors import UnknownNameError, choices_text

__all__ = ["LatencyBenchmark", "load_latency_benchmark"]


class LatencyBenchmark(EnumerableBenchmark):
    """Latency tables as a benchmark: one static metric per device, ``latency_ms@DEVICE`` (ms, lower
    is better), e.g. ``nasbench.load("nb201/cifar10@latency").query(6111, "latency_ms@pixel3")``.

    A device is a named quantity of its own, never a fidelity. Values are the tables' own (measured
    medians, or predictions labelled ``predicted_by`` their latency model); there is no training
    noise. An evaluation costs the time of measuring it: ``MEASURE_PASSES`` forward passes (the
    warm-up and timed passes of :func:`~nasbench.benchmarks.latency_measure.measure_latency`) at the arch's latency.

    Parameters
    ----------
    space : str
    dataset : str
        A dataset whose network the tables describe (:data:`LATENCY_DATASETS`).
    root : path, optional
    """

    kind = "latency"
    MEASURE_PASSES = 40

    def __init__(self, space: str = "nb201", dataset: str = "cifar10", root=None):
        self.tables = load_latency(space, root)
        self.space = self.tables.space
        self.dataset = dataset
        self.name = f"{space}/{dataset}@latency"
        self.n_archs = self.tables.n_archs
        self._metrics = {f"{METRIC}@{d}": self._metric_info(d) for d in self.tables.devices}

    def _metric_info(self, device: str):
        from tabular_data.store import MetricInfo

        info = self.tables.info(device)
        return MetricInfo(
            name=f"{METRIC}@{device}", unit="ms",
            description=f"inference latency (ms) on {device} ({info.kind}, batch {info.batch_size}; {info.about})",
            fidelities=(None,), fidelity_meaning="none: latency does not depend on training",
            mean_over="as the source gives it (median over timed repeats where measured)", n_seeds=0,
            coverage=({"fidelity": None, "n_archs_mean": info.n_archs, "n_archs_seeds": 0},),
            sources=(info.source,), predicted_by=info.predicted_by, higher_is_better=False)

    @property
    def metrics(self) -> dict:
        return self._metrics

    @property
    def devices(self) -> tuple[str, ...]:
        return self.tables.devices

    def _device(self, metric) -> str:
        self.metric_info(metric)
        return metric.partition("@")[2]

    def fidelities(self, metric: str) -> tuple:
        self.metric_info(metric)
        return (None,)

    def _check_static(self, fidelity, seed=None) -> None:
        if fidelity is not None or seed is not None:
            raise UnknownNameError(
                f"latency does not depend on fidelity or training seed; got fidelity={fidelity!r}, "
                f"seed={seed!r}. Pass neither."
            )

    def query(self, archs, metric: str, fidelity=None, seed=None, *, missing: str = "raise"):
        self._check_static(fidelity, seed)
        return self.tables.query(archs, self._device(metric), missing=missing)

    def query_draws(self, archs, metric: str, fidelity, uniforms) -> np.ndarray:
        self._check_static(fidelity)
        values = np.atleast_1d(self.tables.query(archs, self._device(metric)))
        check_uniforms(uniforms, values.shape[0])
        return values

    def noise(self, metric: str, fidelity=None) -> dict:
        self._device(metric)
        return {"source": "none", "n_outcomes": 1, "about": "one latency per arch and device; no training noise"}

    def column(self, metric: str, fidelity=None) -> np.ndarray:
        self._check_static(fidelity)
        return self.tables.column(self._device(metric))

    def column_draws(self, metric: str, fidelity=None):
        self._device(metric)
        return None

    def cost(self, archs, fidelity=None, *, metric: str | None = None) -> Cost:
        """Seconds of measuring ``metric`` (a ``latency_ms@DEVICE``; default the first device)."""
        device = self._device(metric) if metric is not None else self.devices[0]
        ms = np.atleast_1d(self.tables.query(archs, device, missing="nan"))
        seconds = np.where(np.isnan(ms), 0.0, ms) * self.MEASURE_PASSES / 1000.0
        return Cost(seconds, {"source": "measurement time", "device": device,
                              "rule": f"{self.MEASURE_PASSES} forward passes x the arch's latency"})

    def describe(self) -> dict:
        return {"name": self.name, "kind": self.kind, "space": self.space.name, "dataset": self.dataset,
                "n_archs": self.n_archs, "devices": self.tables.describe()}


def load_latency_benchmark(space: str, dataset: str) -> LatencyBenchmark:
    """The loader of ``SPACE/DATASET@latency`` (registered kind ``latency``)."""
    allowed = LATENCY_DATASETS.get(space, ())
    if dataset not in allowed:
        raise UnknownNameError(
            f"latency tables describe the networks of {choices_text(f'{space}/{d}' for d in allowed) or 'no dataset'} "
            f"of {space}; got {space}/{dataset}. Use e.g. {space}/{allowed[0] if allowed else 'cifar10'}@latency."
        )
    return LatencyBenchmark(space, dataset)
