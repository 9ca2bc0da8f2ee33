"""Tabular benchmarks: exact lookups into a :class:`tabular_data.Table`."""

from __future__ import annotations

import numpy as np

from nasbench.benchmarks.base import Cost, EnumerableBenchmark, check_uniforms
from nasbench.checks import is_number
from nasbench.errors import InvalidArchError, MissingValueError, UnknownNameError, choices_text
from nasbench.rng import as_generator

__all__ = ["TabularBenchmark"]

_MISSING_CHOICES = ("raise", "nan")
# Below this many archs numpy indexing beats loading the compiled kernels (about 1 s per process).
_KERNEL_MIN_BATCH = 256
_kernels = None


def _kernel_module():
    """Import the numba kernels on first batched query, so scalar lookups never pay numba's import."""
    global _kernels
    if _kernels is None:
        from tabular_data import _kernels as module

        _kernels = module
    return _kernels


class TabularBenchmark(EnumerableBenchmark):
    """A benchmark that answers queries by exact lookup in a table.

    Parameters
    ----------
    table : tabular_data.Table
    space : nasbench.spaces.SearchSpace
        The space whose indices are the table's rows.
    name : str, optional
        Defaults to the table's name.

    Examples
    --------
    >>> bench = nasbench.load("nb201/cifar10")                         # doctest: +SKIP
    >>> bench.query([6111, 0], metric="test_acc", fidelity=200)        # doctest: +SKIP
    array([94.37333333, 85.86333333])
    """

    kind = "tabular"

    def __init__(self, table, space, name: str | None = None):
        self.table = table
        self.space = space
        self.name = name or table.name
        self.n_archs = table.n_archs
        # (metric, fidelity) -> (mean table, column, n_archs); filled on first use of each pair
        self._entries: dict = {}
        # arch -> index for one arch of a common type, or -1 (then the general path converts it)
        self._scalar_index = getattr(space, "scalar_index", lambda arch: -1)
        self._costs: dict = {}  # (fidelity, metric) -> (seconds of every arch, provenance)

    @property
    def metrics(self) -> dict:
        return self.table.metrics

    def fidelities(self, metric: str) -> tuple:
        """The fidelities at which ``metric`` is tabulated (``(None,)`` for a static metric)."""
        return self.table.metric(metric).fidelities

    def _column_of(self, metric: str, fidelity) -> int:
        info = self.table.metric(metric)
        fids = info.fidelities
        if fidelity is None:
            fidelity = self.default_fidelity(metric)
        if fids == (None,):
            if fidelity is not None:
                raise UnknownNameError(
                    f"{metric} of {self.name} does not depend on fidelity; got fidelity={fidelity!r}. "
                    "Pass fidelity=None."
                )
            return 0
        if not is_number(fidelity):
            raise UnknownNameError(
                f"fidelity must be a number ({info.fidelity_meaning}); got {fidelity!r}. "
                f"{metric} of {self.name} has fidelities {_fid_text(fids)}."
            )
        for col, f in enumerate(fids):
            if f == fidelity:
                return col
        raise UnknownNameError(
            f"{metric} of {self.name} has no fidelity {fidelity!r} ({info.fidelity_meaning}); "
            f"expected one of {_fid_text(fids)}."
        )

    def _entry(self, metric, fidelity):
        # the types belong to the key: True == 1 and 200+0j == 200 hash alike, and a warm cache must not
        # let them past the checks of _column_of
        key = (metric, fidelity, type(metric), type(fidelity))
        try:
            return self._entries[key]
        except KeyError:
            pass
        except TypeError:
            raise UnknownNameError(
                f"metric must be a str and fidelity a number; got metric={metric!r}, fidelity={fidelity!r}."
            ) from None
        if not isinstance(metric, str):
            raise UnknownNameError(f"metric must be a str; got {metric!r}. {self.name} has {choices_text(self.metrics)}.")
        col = self._column_of(metric, fidelity)
        entry = (self.table.array(metric, "mean"), col, self.n_archs)
        self._entries[key] = entry
        return entry

    def column(self, metric: str, fidelity=None) -> np.ndarray:
        """Mean values of ``metric`` at ``fidelity`` for every arch: read-only float64, shape (n_archs,).

        NaN marks archs without a value. This is a view into the table, meant for vectorised and
        numba code (strategies' fast paths); index it with arch indices.
        """
        mean, col, _ = self._entry(metric, fidelity)
        return mean[:, col]

    def query(self, archs, metric: str, fidelity=None, seed=None, *, missing: str = "raise", device=None):
        if device is not None or metric == "latency_ms":  # per-device latency tables: nasbench.benchmarks.latency
            from nasbench.benchmarks.latency import query_latency

            return query_latency(self, archs, metric, fidelity, seed, device=device, missing=missing)
        mean, col, n = self._entry(metric, fidelity)
        # Fast path for one arch: plain numpy indexing, no conversion to arrays, no kernel dispatch.
        if seed is None and missing == "raise":
            i = archs if type(archs) is int else self._scalar_index(archs)
            if 0 <= i < n:
                value = mean[i, col]
                if value == value:
                    return value
        return self._query(archs, metric, fidelity, seed, missing, mean, col)

    def _query(self, archs, metric, fidelity, seed, missing, mean, col):
        if missing == "predicted":  # measured values, and a stored fill's labelled predictions for the gaps
            from nasbench.benchmarks.filled import query_filled

            return query_filled(self, archs, metric, fidelity, seed)
        if missing not in _MISSING_CHOICES:
            raise UnknownNameError(f"missing must be one of {choices_text(_MISSING_CHOICES + ('predicted',))}; "
                                   f"got {missing!r}.")
        idx, scalar = self._indices(archs)
        out = np.empty(idx.shape[0], dtype=np.float64)
        if seed is None and idx.shape[0] < _KERNEL_MIN_BATCH:
            first_bad, first_nan = _gather_small(mean, col, idx, out)
            what = "value"
        elif seed is None:
            first_bad, first_nan = _kernel_module().gather_mean(mean, col, idx, out)
            what = "value"
        else:
            seeds = self.table.array(metric, "seeds")
            if seeds is None:
                raise MissingValueError(
                    f"{self.name} has no per-seed values of {metric} (the source gives only "
                    f"{self.table.metric(metric).mean_over}); pass seed=None for that value."
                )
            uniforms = as_generator(seed).random(idx.shape[0])
            first_bad, first_nan = _kernel_module().gather_seeded(seeds, col, idx, uniforms, out)
            what = "per-seed value"
        if first_bad >= 0:
            self._raise_bad_index(idx, first_bad)
        if first_nan >= 0 and missing == "raise":
            self._raise_missing(metric, fidelity, idx, out, first_nan, what)
        return out[0] if scalar else out

    def _raise_bad_index(self, idx, position: int):
        raise InvalidArchError(
            f"arch indices of {self.name} must be in [0, {self.n_archs - 1}]; got {idx[position]} "
            f"at position {position}."
        )

    def _indices(self, archs):
        if self.space is not None and hasattr(self.space, "to_indices"):
            return self.space.to_indices(archs)
        raise InvalidArchError(
            f"{self.name} cannot convert {archs!r} to arch indices: it has no search space that maps archs "
            "to indices; pass one with to_indices(), as nasbench.load(NAME) does."
        )

    def _raise_missing(self, metric, fidelity, idx, out, first_nan, what):
        seed_free = what == "value"
        info = self.table.metric(metric)
        fid = self.default_fidelity(metric) if fidelity is None else fidelity
        n_missing = int(np.isnan(out).sum())
        covered = {c["fidelity"]: c for c in info.coverage}
        key = "n_archs_mean" if seed_free else "n_archs_seeds"
        have = covered.get(fid, {}).get(key, 0)
        others = [
            f"{c['fidelity']} ({c[key]} archs)" for c in info.coverage if c["fidelity"] != fid and c[key]
        ]
        hint = f"other fidelities: {', '.join(others)}; " if others else ""
        raise MissingValueError(
            f"{self.name} has no {what} of {metric} at fidelity {fid} for arch {int(idx[first_nan])} "
            f"({n_missing} of {idx.shape[0]} queried archs missing; the data covers {have} of "
            f"{self.n_archs}). Nothing is imputed: {hint}pass missing='nan' to get NaN instead, or "
            f"missing='predicted' for labelled predictions stored by `nasbench surrogate fill`."
        )

    def column_draws(self, metric: str, fidelity=None):
        """Per-seed values of ``metric`` at ``fidelity``: read-only float64 (n_archs, n_seeds), NaN where a
        seed is missing; None when the source gives only means."""
        seeds = self.table.array(metric, "seeds")
        if seeds is None:
            return None
        _, col, _ = self._entry(metric, fidelity)
        return seeds[:, :, col]

    def query_draws(self, archs, metric: str, fidelity, uniforms) -> np.ndarray:
        """One training seed per arch: of the ``k`` seeds the table holds for arch ``i`` (NaN ones
        skipped), seed number ``floor(uniforms[i] * k)``; the mean where the source has no seeds."""
        mean, col, _ = self._entry(metric, fidelity)
        idx, _ = self._indices(archs)
        u = check_uniforms(uniforms, idx.shape[0])
        seeds = self.table.array(metric, "seeds")
        out = np.empty(idx.shape[0], dtype=np.float64)
        if seeds is None:
            first_bad, first_nan = _gather_small(mean, col, idx, out)
        else:
            first_bad, first_nan = _kernel_module().gather_seeded(seeds, col, idx, u, out)
        if first_bad >= 0:
            self._raise_bad_index(idx, first_bad)
        if first_nan >= 0:
            self._raise_missing(metric, fidelity, idx, out, first_nan, "value" if seeds is None else "per-seed value")
        return out

    def noise(self, metric: str, fidelity=None) -> dict:
        info = self.table.metric(metric)
        seeds = self.table.array(metric, "seeds")
        if seeds is None:
            return {"source": "none", "n_outcomes": 1,
                    "about": f"the source gives only {info.mean_over} for {metric}: every draw is that value"}
        return {"source": "training seeds", "n_outcomes": int(seeds.shape[1]),
                "about": f"one of the table's per-seed values ({info.mean_over}), uniformly among the seeds "
                         "present for the arch"}

    def cost(self, archs, fidelity=None, *, metric: str | None = None) -> Cost:
        """Simulated training seconds of ``archs`` at ``fidelity`` for a search on ``metric`` (see
        :mod:`nasbench.benchmarks._cost`): float64 (n,) and the provenance."""
        seconds, info = self.cost_column(fidelity, metric)
        idx, _ = self._indices(archs)
        if idx.size and (idx.min() < 0 or idx.max() >= self.n_archs):
            self._raise_bad_index(idx, int(np.argmax((idx < 0) | (idx >= self.n_archs))))
        return Cost(seconds[idx], info)

    def cost_column(self, fidelity=None, metric: str | None = None):
        """Simulated seconds of every arch (read-only float64 (n_archs,)) and their provenance; cached."""
        from nasbench.benchmarks._cost import cost_column

        if metric is not None:
            self.metric_info(metric)
            if fidelity is None:
                fidelity = self.default_fidelity(metric)
        key = (fidelity, metric)
        if key not in self._costs:
            self._costs[key] = cost_column(self, fidelity, metric)
        return self._costs[key]

    def describe(self) -> dict:
        """Manifest facts for ``nasbench info``: semantics, metrics, coverage, sources."""
        return self.table.manifest


def _gather_small(mean, col, idx, out):
    """numpy twin of ``_kernels.gather_mean`` for small batches (same return convention)."""
    bad = (idx < 0) | (idx >= mean.shape[0])
    if bad.any():
        return int(np.argmax(bad)), -1
    out[:] = mean[idx, col]
    nan = np.isnan(out)
    return -1, (int(np.argmax(nan)) if nan.any() else -1)


def _fid_text(fids) -> str:
    return ", ".join(str(f) for f in fids)
