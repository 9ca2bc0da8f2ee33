"""Surrogate benchmarks: the same ``query`` as a table, answered by fitted models.

A surrogate benchmark ``SPACE/DATASET@surrogate`` is a folder in the data store,
``$NASBENCH_DATA/SPACE/DATASET@surrogate/``, holding one saved model per metric and fidelity
(``<metric>@<fidelity>/``, see :mod:`surrogates.io`). Every value it returns is a prediction, and
says so: ``bench.metrics[m].predicted_by`` names the model. When the store has no models of a name,
the package's folder ``tabular_data/embedded/SPACE/DATASET@surrogate/`` serves (``darts/digits``
ships one, written by :mod:`nasbench.training.darts_ship`), so it works with no import step.

This module serves saved models (``nasbench.load("nb201/cifar10@surrogate")`` calls
:func:`load_surrogate`); :mod:`nasbench.benchmarks.surrogate_fit` fits and saves them, and
:mod:`nasbench.benchmarks.filled` fills a table's gaps with labelled predictions.

* ``seed=None`` returns the mean model's prediction; an int or Generator samples one plausible
  training outcome per arch from the bagged ensemble (a random member plus seed-scatter noise).

Examples
--------
>>> nasbench.load("nb201/cifar10@surrogate").query(6111, "test_acc", 200)                # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nasbench.benchmarks.base import Benchmark, Cost, EnumerableBenchmark, check_uniforms
from nasbench.errors import DataIntegrityError, MissingDataError, UnknownNameError, choices_text
from nasbench.paths import data_root, embedded_root
from surrogates.fit import MODELS, SurrogateConfigError

__all__ = [
    "SurrogateBenchmark",
    "EnumerableSurrogateBenchmark",
    "load_surrogate",
    "surrogate_dir",
    "embedded_surrogate_dir",
    "model_folders",
    "surrogate_from_results",
    "fid_key",
]

KIND = "surrogate"
# Equally likely Gaussian strata of a model's seed-scatter noise: a draw is (member, stratum), so every
# arch has n_members * N_NOISE_STRATA outcomes that can be cached and replayed exactly.
N_NOISE_STRATA = 8


def surrogate_dir(space: str, dataset: str, root=None) -> Path:
    """The store folder of ``SPACE/DATASET@surrogate``."""
    return Path(root or data_root()) / space / f"{dataset}@{KIND}"


def embedded_surrogate_dir(space: str, dataset: str) -> Path:
    """The package's folder of ``SPACE/DATASET@surrogate`` (served when the store has none)."""
    return embedded_root() / space / f"{dataset}@{KIND}"


def model_folders(folder: Path) -> list[Path]:
    """The saved models in a surrogate folder (not a writer's hidden temp folder), sorted."""
    return sorted(p.parent for p in folder.glob("*/metadata.json")
                  if not p.parent.name.startswith(".")) if folder.is_dir() else []


def fid_key(fidelity) -> str:
    """A fidelity as it appears in folder names: ``"static"`` for None, else its text."""
    return "static" if fidelity is None else str(fidelity)


@dataclass
class _Entry:
    model: object
    metadata: dict
    folder: Path
    encoding: object = None


def _fast_indexer(space):
    """A function arch -> row index (or -1 when the slow path must handle it), for NB201."""
    if space.name != "nb201":
        return None
    from nasbench.spaces.nb201 import N_ARCHS, NB201Arch, _index_of_string

    strings = _index_of_string()

    def index_of(arch) -> int:
        t = type(arch)
        if t is int:
            return arch if 0 <= arch < N_ARCHS else -1
        if t is NB201Arch:
            return arch.index
        if t is str:
            return strings.get(arch, -1)
        return -1

    return index_of


def _strata(std: float) -> np.ndarray:
    """Noise values of the equally likely Gaussian strata: midpoint quantiles of N(0, std^2), rescaled
    so their variance is exactly std^2; ``[0.0]`` without noise."""
    if std <= 0.0:
        return np.zeros(1)
    from scipy.special import ndtri

    z = ndtri((np.arange(N_NOISE_STRATA) + 0.5) / N_NOISE_STRATA)
    return z / np.sqrt(np.mean(z**2)) * std


def _n_members(model) -> int:
    """Ensemble members a draw picks from; a model fitted without members (n_members=0) counts as one:
    its mean prediction."""
    forest = getattr(model, "forest_", None)
    return max(1, forest.n_models - 1 if forest is not None else len(model.weights_))


def _member_predictions(model, X) -> np.ndarray:
    """Every member's prediction, float64 (n, n_members); the mean model's alone when there are no members."""
    if _n_members(model) == 1 and getattr(model, "forest_", None) is not None and model.forest_.n_models < 2:
        return np.asarray(model.predict(X), dtype=np.float64)[:, None]
    return np.asarray(model.predict_members(X), dtype=np.float64).T


class SurrogateBenchmark(Benchmark):
    """Answers ``query`` with predictions of saved surrogate models.

    Parameters
    ----------
    space : nasbench.spaces.SearchSpace
    dataset : str
    entries : dict
        ``{(metric, fidelity): _Entry}``, as :func:`load_surrogate` builds it.
    """

    kind = KIND

    def __init__(self, space, dataset: str, entries: dict):
        self.space = space
        self.dataset = dataset
        self.name = f"{space.name}/{dataset}@{KIND}"
        self._entries = entries
        self.n_archs = getattr(space, "n_archs", None)
        self._columns: dict = {}
        self._metrics = self._describe()
        # enumerable spaces with finite feature tables are served from a table of all predictions
        tables = [getattr(e.encoding, "table", None) for e in entries.values()]
        fast = all(t is not None and np.isfinite(t).all() for t in tables)
        self._fast_index = _fast_indexer(space) if fast else None

    @property
    def encoding(self):
        """The encoding of the first model (each model has its own: ``encoding_of(metric)``)."""
        return next(iter(self._entries.values())).encoding

    def encoding_of(self, metric: str, fidelity=None):
        """The encoding the model of ``metric`` at ``fidelity`` reads."""
        return self._entry(metric, fidelity).encoding

    def _describe(self) -> dict:
        from tabular_data.store import MetricInfo

        by_metric: dict = {}
        for (metric, fid), entry in sorted(self._entries.items(), key=lambda kv: (kv[0][0], fid_key(kv[0][1]))):
            by_metric.setdefault(metric, []).append((fid, entry))
        out = {}
        for metric, items in by_metric.items():
            meta = items[0][1].metadata
            # one model per fidelity: quote each one's held-out tau (they differ, e.g. by epoch)
            taus = [f"{e.metadata['scores_held_out']['kendall_tau']:.3f}" for _, e in items]
            taus = taus[0] if len(items) == 1 else ", ".join(f"{t} at fidelity {f}" for t, (f, _) in zip(taus, items))
            out[metric] = MetricInfo(
                name=metric, unit=meta["unit"],
                description=f"predicted: {meta['description']}",
                fidelities=tuple(f for f, _ in items),
                fidelity_meaning=meta["fidelity_meaning"],
                mean_over=f"predicted {meta.get('target', 'mean over training seeds')}",
                n_seeds=0,
                coverage=tuple({"fidelity": f, "n_archs_mean": self.n_archs, "n_archs_seeds": 0} for f, _ in items),
                sources=(meta["source_benchmark"],),
                predicted_by=(
                    f"{meta.get('model_name', MODELS['xgboost'])} ({meta['encoding']} encoding, "
                    f"{meta['split']['n_train']} training archs of "
                    f"{meta['source_benchmark']}; held-out Kendall tau {taus})"
                ),
            )
        return out

    @property
    def metrics(self) -> dict:
        return self._metrics

    def fidelities(self, metric: str) -> tuple:
        return self._info(metric).fidelities

    def default_fidelity(self, metric: str):
        fids = self.fidelities(metric)
        return None if fids == (None,) else max(fids)

    def _info(self, metric):
        try:
            return self._metrics[metric]
        except (KeyError, TypeError):
            raise UnknownNameError(
                f"{self.name} has no surrogate of metric {metric!r}; expected one of {choices_text(self._metrics)}. "
                f"Fit one with `nasbench surrogate fit {self.space.name}/{self.dataset} --metric {metric}`."
            ) from None

    def _entry(self, metric, fidelity) -> _Entry:
        try:
            return self._entries[(metric, fidelity)]
        except (KeyError, TypeError):
            pass
        fids = self.fidelities(metric)
        if fidelity is None:
            return self._entries[(metric, self.default_fidelity(metric))]
        raise UnknownNameError(
            f"{self.name} has no surrogate of {metric} at fidelity {fidelity!r}; expected one of "
            f"{', '.join(str(f) for f in fids)}."
        )

    def query(self, archs, metric: str, fidelity=None, seed=None, *, missing: str = "raise"):
        """Predicted ``metric`` at ``fidelity`` for ``archs`` (see :meth:`Benchmark.query`).

        ``seed=None`` gives the mean model's prediction; an int or Generator samples one plausible
        outcome per arch (a random bagged member plus seed-scatter noise), reproducibly. Every arch
        of the space has a prediction, so ``missing`` never applies (it is still validated).
        """
        try:
            entry = self._entries[(metric, fidelity)]
        except (KeyError, TypeError):
            entry = self._entry(metric, fidelity)
        # Enumerable space: the mean model's predictions of every arch are computed once (one tree walk
        # per isomorphism class, ~25 ms for NB201), then served by lookup.
        if seed is None and self._fast_index is not None:
            index = self._fast_index(archs)
            if index >= 0:
                return self._mean_table(entry)[index]
        if missing not in ("raise", "nan"):
            raise UnknownNameError(f"missing must be one of 'raise', 'nan'; got {missing!r}.")
        enc = entry.encoding
        if seed is None and self._fast_index is not None:
            idx, scalar = enc.indices(archs)
            values = self._mean_table(entry)[idx]
            return values[0] if scalar else values
        X, scalar = enc.encode(archs)
        values = entry.model.predict(X) if seed is None else entry.model.sample(X, seed)
        return values[0] if scalar else values

    def _outcomes(self, entry, archs) -> np.ndarray:
        """Every outcome of every arch: float64 (n, n_members * strata); see :meth:`query_draws`."""
        return self._outcomes_of_rows(entry, entry.encoding.encode(archs)[0])

    def _outcomes_of_rows(self, entry, X) -> np.ndarray:
        """Outcomes of encoded rows ``X`` (n, n_features): member ``m``'s prediction plus stratum ``s``'s
        noise at column ``m * strata + s``, float64 (n, n_members * strata)."""
        members = _member_predictions(entry.model, X)
        z = _strata(self._noise_std(entry))
        return (members[:, :, None] + z[None, None, :]).reshape(members.shape[0], -1)

    @staticmethod
    def _noise_std(entry) -> float:
        return float(entry.metadata.get("noise", {}).get("seed_scatter_std", 0.0) or 0.0)

    def query_draws(self, archs, metric: str, fidelity, uniforms) -> np.ndarray:
        """One predicted training outcome per arch: outcome ``d = floor(u * n_members * S)`` is member
        ``d // S``'s prediction plus the seed-scatter noise at Gaussian stratum ``d % S`` (S equally
        likely strata; one when the model has no noise)."""
        entry = self._entry(metric, fidelity)
        outcomes = self._outcomes(entry, archs if isinstance(archs, (list, tuple, np.ndarray)) else [archs])
        u = check_uniforms(uniforms, outcomes.shape[0])
        pick = np.minimum((u * outcomes.shape[1]).astype(np.int64), outcomes.shape[1] - 1)
        return outcomes[np.arange(outcomes.shape[0]), pick]

    def noise(self, metric: str, fidelity=None) -> dict:
        entry = self._entry(metric, fidelity)
        std = self._noise_std(entry)
        n_members = _n_members(entry.model)
        strata = len(_strata(std))
        return {"source": "surrogate noise model", "n_outcomes": n_members * strata,
                "about": f"{n_members} ensemble members x {strata} equally likely Gaussian strata of the seed "
                         f"scatter (std {std:.4g}), predicted by {self.metrics[metric].predicted_by}"}

    def cost(self, archs, fidelity=None, *, metric: str | None = None) -> Cost:
        """Predicted ``train_time_s`` where a model of it is fitted (labelled ``predicted_by``); else one
        simulated second times ``fidelity / highest fidelity`` (``unit_cost``)."""
        archs = archs if isinstance(archs, (list, tuple, np.ndarray, range)) else [archs]
        time_fids = self.fidelities("train_time_s") if "train_time_s" in self._metrics else ()
        if time_fids and (fidelity in time_fids or time_fids == (None,)):
            fid = fidelity if fidelity in time_fids else None
            seconds = np.asarray(self.query(list(archs), "train_time_s", fid), dtype=np.float64)
            return Cost(np.maximum(seconds, 0.0), {"source": "predicted", "metric": "train_time_s",
                                                    "predicted_by": self.metrics["train_time_s"].predicted_by})
        top = None if metric is None else self.default_fidelity(metric)
        scale = 1.0 if (fidelity is None or top is None) else float(fidelity) / float(top)
        return Cost(np.full(len(archs), scale), {"source": "unit_cost", "seconds": scale,
                                                 "why": f"{self.name} has no model of train_time_s"})

    def _mean_table(self, entry) -> np.ndarray:
        """Mean-model predictions of every arch of an enumerable space, float64 (n_archs,), computed once."""
        col = self._columns.get(id(entry))
        if col is None:
            enc = entry.encoding
            class_ids = getattr(enc, "class_ids", None)
            if class_ids is not None:  # one model evaluation per isomorphism class
                col = np.asarray(entry.model.predict(enc.class_table), dtype=np.float64)[class_ids]
            else:
                col = np.asarray(entry.model.predict(enc.table), dtype=np.float64)
            col.setflags(write=False)
            self._columns[id(entry)] = col
        return col

    def describe(self) -> dict:
        """Manifest-like facts for ``nasbench info``: space, archs, how each model was fit, its scores."""
        info = {}
        for (metric, fid), e in sorted(self._entries.items(), key=lambda kv: (kv[0][0], fid_key(kv[0][1]))):
            meta = e.metadata
            sc = meta["scores_held_out"]
            info[f"{metric}@{fid_key(fid)}"] = {
                "fit_on": f"{meta['split']['n_train']} archs of {meta['source_benchmark']} "
                          f"({meta['split']['kind']} split, seed {meta['split']['seed']})",
                "encoding": meta["encoding"],
                "held_out": f"{sc['n']} archs: Kendall tau {sc['kendall_tau']:.4f}, Spearman {sc['spearman']:.4f}, "
                            f"R2 {sc['r2']:.4f}, top-10% Kendall tau {sc['top10_kendall_tau']:.4f}",
                "noise": f"{meta['noise']['model']} (seed scatter std {meta['noise']['seed_scatter_std']:.3f})",
                "folder": str(e.folder),
            }
        return {"name": self.name, "kind": KIND, "space": self.space.name, "dataset": self.dataset,
                "n_archs": self.n_archs, "info": info,
                "models": {f"{m}@{fid_key(f)}": e.metadata for (m, f), e in self._entries.items()}}


class EnumerableSurrogateBenchmark(SurrogateBenchmark, EnumerableBenchmark):
    """A surrogate benchmark over an enumerable space (NB201): every arch has a row, so whole columns
    of predictions (and of predicted outcomes) are offered to vectorised and compiled code."""

    def column(self, metric: str, fidelity=None) -> np.ndarray:
        """Predicted mean of ``metric`` for every arch of an enumerable space: read-only float64 (n_archs,)."""
        return self._mean_table(self._entry(metric, fidelity))

    def best(self, metric: str, fidelity=None, *, maximize: bool | None = None) -> tuple[int, float]:
        """The arch with the best predicted mean and that prediction; ``maximize`` defaults to the
        metric's direction (a time is best at its minimum)."""
        if maximize is None:
            maximize = self.higher_is_better(metric)
        values = self.column(metric, fidelity)
        index = int(np.argmax(values) if maximize else np.argmin(values))
        return index, float(values[index])

    def column_draws(self, metric: str, fidelity=None) -> np.ndarray:
        """Every predicted outcome of every arch: read-only float64 (n_archs, n_outcomes), in the order
        :meth:`query_draws` picks them (computed once per isomorphism class)."""
        entry = self._entry(metric, fidelity)
        key = ("draws", id(entry))
        table = self._columns.get(key)
        if table is None:
            enc = entry.encoding
            class_ids = getattr(enc, "class_ids", None)
            X = enc.class_table if class_ids is not None else enc.table
            table = self._outcomes_of_rows(entry, X)
            table = np.ascontiguousarray(table[class_ids] if class_ids is not None else table)
            table.setflags(write=False)
            self._columns[key] = table
        return table

    def query_draws(self, archs, metric: str, fidelity, uniforms) -> np.ndarray:
        table = self.column_draws(metric, fidelity)
        idx, _ = self._entry(metric, fidelity).encoding.indices(archs)
        u = check_uniforms(uniforms, idx.shape[0])
        pick = np.minimum((u * table.shape[1]).astype(np.int64), table.shape[1] - 1)
        return table[idx, pick]


def _surrogate_benchmark(space, dataset: str, entries: dict) -> SurrogateBenchmark:
    """The enumerable variant where every model's encoding tabulates the whole space (NB201)."""
    enumerable = space.n_archs is not None and all(
        getattr(e.encoding, "table", None) is not None for e in entries.values())
    return (EnumerableSurrogateBenchmark if enumerable else SurrogateBenchmark)(space, dataset, entries)


def load_surrogate(space: str, dataset: str, root=None) -> SurrogateBenchmark:
    """Load ``SPACE/DATASET@surrogate`` from the store (the loader registered for the kind)."""
    from nasbench.encodings import get_encoding
    from nasbench.spaces import get_space
    from surrogates.io import check_binding, load_model

    folder = surrogate_dir(space, dataset, root)
    subdirs = model_folders(folder)
    if not subdirs and root is None:  # none in the store: the one shipped with the package (darts/digits)
        shipped = embedded_surrogate_dir(space, dataset)
        if shipped_subdirs := model_folders(shipped):
            folder, subdirs = shipped, shipped_subdirs
    if not subdirs:
        raise MissingDataError(
            f"no surrogate models for {space}/{dataset} in {folder}; fit one with "
            f"`nasbench surrogate fit {space}/{dataset} --metric test_acc --train-fraction 0.1`."
        )
    entries = {}
    for sub in subdirs:
        model, meta = load_model(sub)
        check_binding(sub, meta, fid_key)  # the folder METRIC@FIDELITY must be what the model was fit for
        if meta.get("space") != space or meta.get("dataset") != dataset:
            raise DataIntegrityError(
                f"the surrogate model in {sub} was fit for {meta.get('space')}/{meta.get('dataset')}, not "
                f"{space}/{dataset}; move it to its own folder or re-fit it."
            )
        encoding = get_encoding(space, meta["encoding"])
        if model.n_features_in_ != encoding.n_features:
            raise DataIntegrityError(
                f"{sub}: model expects {model.n_features_in_} features, encoding {encoding.name!r} gives "
                f"{encoding.n_features}; re-fit the surrogate."
            )
        entries[(meta["metric"], meta["fidelity"])] = _Entry(model, meta, sub, encoding)
    return _surrogate_benchmark(get_space(space), dataset, entries)



def surrogate_from_results(results) -> SurrogateBenchmark:
    """An in-memory surrogate benchmark from :class:`FitResult` objects of one space and dataset."""
    from nasbench.encodings import get_encoding
    from nasbench.spaces import get_space

    results = list(results)
    keys = {(r.metadata["space"], r.metadata["dataset"]) for r in results}
    if len(keys) != 1:
        raise SurrogateConfigError(f"the fits must share one space and dataset; got {sorted(keys)}. "
                                   "Build one surrogate benchmark per space and dataset.")
    space, dataset = keys.pop()
    entries = {(r.metadata["metric"], r.metadata["fidelity"]):
               _Entry(r.model, r.metadata, Path("."), get_encoding(space, r.metadata["encoding"])) for r in results}
    return _surrogate_benchmark(get_space(space), dataset, entries)
