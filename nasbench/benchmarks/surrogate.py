"""Surrogate benchmarks: the same ``query`` as a table, answered by fitted models.

A surrogate benchmark ``SPACE/DATASET@surrogate`` is a folder in the data store,
``$NASBENCH_DATA/SPACE/DATASET@surrogate/``, holding one saved model per metric and fidelity
(``<metric>@<fidelity>/``, see :mod:`surrogates.io`). Every value it returns is a prediction, and
says so: ``bench.metrics[m].predicted_by`` names the model.

* :func:`fit_surrogate` fits a model on a random (or given) split of a tabular benchmark and scores
  it on the held-out archs; :func:`save_surrogate` puts it into the store;
  ``nasbench.load("nb201/cifar10@surrogate")`` (:func:`load_surrogate`) serves it.
* ``seed=None`` returns the mean model's prediction; an int or Generator samples one plausible
  training outcome per arch from the bagged ensemble (a random member plus seed-scatter noise).

Examples
--------
>>> result = fit_surrogate("nb201/cifar10", "test_acc", 200, train_fraction=0.1, seed=0)  # doctest: +SKIP
>>> round(result.scores["kendall_tau"], 3)                                              # doctest: +SKIP
0.874
>>> save_surrogate(result)                                                               # doctest: +SKIP
>>> nasbench.load("nb201/cifar10@surrogate").query(6111, "test_acc", 200)                # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nasbench.benchmarks.base import Benchmark, Cost, EnumerableBenchmark, check_uniforms
from nasbench.errors import (
    DataIntegrityError,
    MissingDataError,
    MissingValueError,
    UnknownNameError,
    choices_text,
)
from nasbench.paths import data_root
from surrogates.fit import MODELS, NOISE_MODELS, SurrogateConfigError, check_model, fit_on_arrays

__all__ = [
    "SurrogateConfigError",
    "FitResult",
    "SurrogateBenchmark",
    "fit_surrogate",
    "fit_on_arrays",
    "save_surrogate",
    "load_surrogate",
    "surrogate_dir",
    "split_indices",
    "surrogate_from_results",
    "check_train_fraction",
    "FilledColumn",
    "fill_metric",
    "fill_curves",
    "save_filled",
    "load_filled",
    "read_stored_array",
    "load_train_indices",
]

KIND = "surrogate"
# Equally likely Gaussian strata of a model's seed-scatter noise: a draw is (member, stratum), so every
# arch has n_members * N_NOISE_STRATA outcomes that can be cached and replayed exactly.
N_NOISE_STRATA = 8
# From this many archs on, a batch of an isomorphism-constant encoding is evaluated per class:
# np.unique costs less than the walks it saves once duplicates are likely.


def surrogate_dir(space: str, dataset: str, root=None) -> Path:
    """The store folder of ``SPACE/DATASET@surrogate``."""
    return Path(root or data_root()) / space / f"{dataset}@{KIND}"


def _fid_key(fidelity) -> str:
    return "static" if fidelity is None else str(fidelity)


def check_train_fraction(train_fraction) -> float:
    """Validate a training fraction: a number strictly between 0 and 1."""
    if (isinstance(train_fraction, (bool, np.bool_)) or not isinstance(train_fraction, (int, float, np.floating))
            or not 0.0 < float(train_fraction) < 1.0):
        raise SurrogateConfigError(
            f"train_fraction must be a number strictly between 0 and 1 (the share of archs used for "
            f"training); got {train_fraction!r}. Pass for example 0.1."
        )
    return float(train_fraction)


def split_indices(candidates: np.ndarray, train_fraction: float, seed) -> tuple[np.ndarray, np.ndarray]:
    """Random split of ``candidates`` (arch indices) into sorted train and test index arrays."""
    from nasbench.rng import as_generator

    train_fraction = check_train_fraction(train_fraction)
    n_train = int(round(train_fraction * candidates.shape[0]))
    if not 2 <= n_train <= candidates.shape[0] - 2:
        raise SurrogateConfigError(
            f"train_fraction={train_fraction} of {candidates.shape[0]} archs gives {n_train} training archs; "
            f"both sides of the split need at least 2. Choose a fraction in "
            f"[{2 / candidates.shape[0]:.4f}, {1 - 2 / candidates.shape[0]:.4f}]."
        )
    perm = as_generator(seed).permutation(candidates.shape[0])
    return np.sort(candidates[perm[:n_train]]), np.sort(candidates[perm[n_train:]])


@dataclass
class FitResult:
    """A fitted surrogate with its provenance and held-out scores.

    Attributes
    ----------
    model : surrogates.BaggedXGBSurrogate or surrogates.mlp.MLPSurrogate
    metadata : dict
        Written into ``metadata.json`` (space, dataset, metric, fidelity, encoding, split, scores).
    train_indices, test_indices : ndarray of int64
    scores : dict
        ``kendall_tau, spearman, r2, top10_kendall_tau, n`` on the held-out archs.
    """

    model: object
    metadata: dict
    train_indices: np.ndarray
    test_indices: np.ndarray
    scores: dict = field(default_factory=dict)


def _sha256_arrays(*arrays) -> str:
    digest = hashlib.sha256()
    for a in arrays:
        digest.update(np.ascontiguousarray(a).tobytes())
    return digest.hexdigest()


def _seed_noise_std(table_bench, metric, fidelity, train_idx) -> float:
    """Scatter of single training seeds around the mean, over training archs that have seed values."""
    seeds = table_bench.table.array(metric, "seeds")
    if seeds is None:
        return 0.0
    col = table_bench._column_of(metric, fidelity)
    diff = seeds[train_idx, :, col] - table_bench.column(metric, fidelity)[train_idx, None]
    diff = diff[np.isfinite(diff)]
    return float(np.sqrt(np.mean(diff**2))) if diff.size >= 10 else 0.0


def fit_surrogate(name: str, metric: str, fidelity=None, *, train_fraction: float = 0.1, seed: int = 0,
                  encoding: str | None = None, train_indices=None, dedup: bool = True, params=None,
                  n_members: int = 5, source_dir=None, model: str = "xgboost") -> FitResult:
    """Fit a surrogate of ``metric`` at ``fidelity`` on a split of the tabular benchmark ``name``.

    Parameters
    ----------
    name : str
        A tabular benchmark, e.g. ``"nb201/cifar10"``.
    metric : str
    fidelity : int or None
        None means the metric's highest fidelity.
    train_fraction : float in (0, 1)
        Share of the archs that have a value, drawn at random with ``seed`` (ignored when
        ``train_indices`` is given).
    seed : int
        Root seed of the split and of the models.
    encoding : str, optional
        Encoding name (default: the space's default, ``"iso"`` for NB201).
    train_indices : array-like of int, optional
        A user-given training split; the other archs with values are the test split.
    dedup : bool
        Average isomorphic training archs into one row (needs the space's canonical ids). Cost
        metrics (``*_time_s``) default to the ``onehot`` encoding without dedup.
    params : dict, optional
        Model hyperparameters (XGBoost: :data:`surrogates.DEFAULT_PARAMS`; MLP:
        :data:`surrogates.mlp.DEFAULT_MLP_PARAMS`).
    n_members : int
        Bagged members of the noise model (MLP: networks averaged into the mean; 0 gives one).
    model : {"xgboost", "mlp"}
        The surrogate model (see :func:`fit_on_arrays`).
    source_dir : path, optional
        For spaces known only from samples (``nb101/cifar10``, ``darts/cifar10``): the folder with
        NASLib's zero-cost files (see :func:`fit_samples`).
    """
    import nasbench
    from nasbench.benchmarks.registry import parse_name
    from nasbench.encodings import get_encoding
    from surrogates import scores as score_fn

    space_name, dataset, _ = parse_name(name)
    check_model(model)
    if space_name in SAMPLE_SPACES:
        if fidelity is not None or train_indices is not None:
            raise SurrogateConfigError(
                f"{space_name} samples have one budget and a random split only; got fidelity={fidelity!r}, "
                f"train_indices={'given' if train_indices is not None else None}."
            )
        return fit_samples(space_name, dataset, metric, source_dir, train_fraction=train_fraction, seed=seed,
                           encoding=encoding, params=params, n_members=n_members, model=model)
    bench = nasbench.load(name)
    if getattr(bench, "kind", None) != "tabular":
        raise UnknownNameError(f"surrogates are fit on a tabular benchmark; got {name!r} of kind {bench.kind!r}. "
                               "Pass the tabular name, SPACE/DATASET without '@KIND'.")
    fidelity = bench.default_fidelity(metric) if fidelity is None else fidelity
    values = np.asarray(bench.column(metric, fidelity))
    have = np.flatnonzero(np.isfinite(values))
    if have.size < 4:
        raise MissingValueError(f"{name} has only {have.size} values of {metric} at fidelity {fidelity}; cannot fit "
                                "(needs at least 4). Pick a metric and fidelity with more measured archs.")
    if train_indices is None:
        train_idx, test_idx = split_indices(have, train_fraction, seed)
        split = {"kind": "random", "train_fraction": check_train_fraction(train_fraction), "seed": int(seed)}
    else:
        train_idx = np.unique(np.asarray(train_indices, dtype=np.int64).reshape(-1))
        missing = np.setdiff1d(train_idx, have)
        if missing.size:
            raise SurrogateConfigError(
                f"train_indices must be archs of {name} with a value of {metric} at fidelity {fidelity}; "
                f"{missing.size} are not (first: {int(missing[0])})."
            )
        test_idx = np.setdiff1d(have, train_idx)
        if train_idx.size < 2 or test_idx.size < 2:
            raise SurrogateConfigError(
                f"a user-given split needs at least 2 training and 2 test archs; got {train_idx.size} and {test_idx.size}."
            )
        split = {"kind": "given", "train_fraction": train_idx.size / have.size, "seed": int(seed)}
    if _is_cost(metric) and encoding is None:
        # an op on an edge that cannot reach the output changes nothing in the function but still
        # costs compute: cost models read every edge (onehot) and keep isomorphic cells apart
        encoding, dedup = "onehot", False
    enc = get_encoding(bench.space.name, encoding)
    X, _ = enc.encode(train_idx)
    groups = None
    if dedup and hasattr(bench.space, "canonical_key"):
        from nasbench.spaces.nb201 import canonical_ids

        groups = canonical_ids()[train_idx] if bench.space.name == "nb201" else None
    noise = _seed_noise_std(bench, metric, fidelity, train_idx)
    fitted = fit_on_arrays(X, values[train_idx], groups=groups, params=params, n_members=n_members,
                           noise_std=noise, seed=seed, model=model)
    pred = fitted.predict(enc.encode(test_idx)[0])
    held_out = score_fn(values[test_idx], pred)
    info = bench.metrics[metric]
    metadata = {
        "space": bench.space.name,
        "dataset": name.split("/")[1],
        "source_benchmark": name,
        "metric": metric,
        "fidelity": fidelity,
        "unit": info.unit,
        "description": info.description,
        "fidelity_meaning": info.fidelity_meaning,
        "encoding": enc.name,
        "n_features": enc.n_features,
        "model_name": MODELS[model],
        "dedup_isomorphic": groups is not None,
        "split": {**split, "n_train": int(train_idx.size), "n_test": int(test_idx.size)},
        "training_data_sha256": _sha256_arrays(train_idx, values[train_idx]),
        "noise": {"model": NOISE_MODELS[model], "seed_scatter_std": noise},
        "scores_held_out": held_out,
    }
    return FitResult(fitted, metadata, train_idx, test_idx, held_out)


SAMPLE_SPACES = {
    "nb101": "NB101 validation accuracy after 108 epochs (one of NB101's 3 runs per cell, as NASLib sampled it)",
    "darts": "NB301 validation accuracy (probably NB301 surrogate predictions, obtained through NASLib)",
}


def fit_samples(space: str, dataset: str, metric: str = "valid_acc", source_dir=None, *, train_fraction: float = 0.8,
                seed: int = 0, encoding: str | None = None, params=None, n_members: int = 5,
                model: str = "xgboost") -> FitResult:
    """Fit a surrogate of ``space`` (``nb101`` or ``darts``) on NASLib's sampled archs.

    Duplicates (equal canonical key: the NB101 hash, or the DARTS key) are averaged into one arch
    first, so no cell is on both sides of the split; the split is then random over unique archs.
    """
    from nasbench.encodings import get_encoding
    from nasbench.spaces.darts import DARTSArch
    from nasbench.spaces.nb101 import NB101Arch
    from surrogates import scores as score_fn
    from tabular_data.importers.naslib_zc import read_naslib_samples

    if source_dir is None:
        raise MissingDataError(
            f"{space}/{dataset} surrogates are fit on NASLib's sampled archs; pass the folder holding "
            "zc_nasbench101.json / zc_nasbench301.json (for example --from ../shared/data)."
        )
    samples = read_naslib_samples(source_dir, space, dataset)
    if metric not in samples.values:
        raise UnknownNameError(
            f"the {space} samples have no metric {metric!r}; expected one of {choices_text(sorted(samples.values))}."
        )
    parse = NB101Arch.from_naslib if space == "nb101" else DARTSArch.from_naslib
    archs = [parse(k) for k in samples.keys]
    y = samples.values[metric]
    keep = np.isfinite(y)
    groups: dict = {}
    for arch, value, ok in zip(archs, y, keep):
        if ok:
            groups.setdefault(arch, []).append(value)
    unique = list(groups)
    y_unique = np.array([np.mean(groups[a]) for a in unique])
    train_idx, test_idx = split_indices(np.arange(len(unique)), train_fraction, seed)
    enc = get_encoding(space, encoding)
    X = enc.encode(unique)[0]
    # seed scatter: spread of duplicate entries (NB101: different training runs of one cell)
    dev = [v - np.mean(vals) for a in (unique[i] for i in train_idx) for vals in [groups[a]] if len(vals) > 1
           for v in vals]
    noise = float(np.sqrt(np.mean(np.square(dev)) * 1.0)) if len(dev) >= 10 else 0.0
    fitted = fit_on_arrays(X[train_idx], y_unique[train_idx], params=params, n_members=n_members, noise_std=noise,
                           seed=seed, model=model)
    held_out = score_fn(y_unique[test_idx], fitted.predict(X[test_idx]))
    metadata = {
        "space": space, "dataset": dataset, "source_benchmark": f"NASLib samples {samples.source['file']}",
        "metric": metric, "fidelity": None, "unit": samples.units[metric],
        "description": SAMPLE_SPACES[space] if metric == "valid_acc" else f"{metric} of the NASLib samples",
        "fidelity_meaning": "none: the samples have one training budget",
        "encoding": enc.name, "n_features": enc.n_features, "model_name": MODELS[model], "dedup_isomorphic": True,
        "split": {"kind": "random", "train_fraction": check_train_fraction(train_fraction), "seed": int(seed),
                  "n_train": int(train_idx.size), "n_test": int(test_idx.size),
                  "n_samples": int(keep.sum()), "n_unique": len(unique)},
        "training_data_sha256": samples.source["sha256"],
        "noise": {"model": NOISE_MODELS[model], "seed_scatter_std": noise},
        "scores_held_out": held_out,
    }
    return FitResult(fitted, metadata, train_idx, test_idx, held_out)


def save_surrogate(result: FitResult, root=None) -> Path:
    """Save a fitted surrogate into the store; ``nasbench.load("SPACE/DATASET@surrogate")`` then serves it."""
    from surrogates.io import save_model

    meta = result.metadata
    folder = surrogate_dir(meta["space"], meta["dataset"], root) / f"{meta['metric']}@{_fid_key(meta['fidelity'])}"
    save_model(result.model, folder, meta, arrays={"train_indices.npy": np.asarray(result.train_indices, np.int64)})
    return folder


def load_train_indices(folder, n_archs: int) -> np.ndarray:
    """The archs a saved surrogate was fit on (``train_indices.npy``), checked against the sealed metadata's
    sha256 (models saved before it was recorded: shape and range only), int64 of shape (n,)."""
    from surrogates.io import read_metadata

    folder = Path(folder)
    fix = "re-fit the surrogate with `nasbench surrogate fit`."
    arrays = read_metadata(folder).get("arrays")
    digest = arrays.get("train_indices.npy") if isinstance(arrays, dict) else None
    path = folder / "train_indices.npy"
    if digest is not None and (not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest):
        raise DataIntegrityError(f"{path} does not match its sha256 in metadata.json; {fix}")
    train = read_stored_array(path, "iu", (None,), fix).astype(np.int64)
    if train.size and (train.min() < 0 or train.max() >= n_archs):
        raise DataIntegrityError(f"{path}: expected arch indices in [0, {n_archs}); got values from {train.min()} "
                                 f"to {train.max()}. {fix}")
    return train


@dataclass
class _Entry:
    model: object
    metadata: dict
    folder: Path
    encoding: object = None

    @property
    def mean_args(self) -> tuple:
        """Kernel arguments of the mean model (model 0), built once."""
        args = self.__dict__.get("_mean_args")
        if args is None:
            f = self.model.forest_
            args = (*f.nodes(), f.model_start[0], f.model_start[1], f.base[0])  # NaN-free rows only
            self.__dict__["_mean_args"] = args
        return args


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
        for (metric, fid), entry in sorted(self._entries.items(), key=lambda kv: (kv[0][0], _fid_key(kv[0][1]))):
            by_metric.setdefault(metric, []).append((fid, entry))
        out = {}
        for metric, items in by_metric.items():
            meta = items[0][1].metadata
            sc = meta["scores_held_out"]
            out[metric] = MetricInfo(
                name=metric, unit=meta["unit"],
                description=f"predicted: {meta['description']}",
                fidelities=tuple(f for f, _ in items),
                fidelity_meaning=meta["fidelity_meaning"],
                mean_over="predicted mean over training seeds",
                n_seeds=0,
                coverage=tuple({"fidelity": f, "n_archs_mean": self.n_archs, "n_archs_seeds": 0} for f, _ in items),
                sources=(meta["source_benchmark"],),
                predicted_by=(
                    f"{meta.get('model_name', MODELS['xgboost'])} ({meta['encoding']} encoding, "
                    f"{meta['split']['n_train']} training archs of "
                    f"{meta['source_benchmark']}; held-out Kendall tau {sc['kendall_tau']:.3f})"
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
        for (metric, fid), e in sorted(self._entries.items(), key=lambda kv: (kv[0][0], _fid_key(kv[0][1]))):
            meta = e.metadata
            sc = meta["scores_held_out"]
            info[f"{metric}@{_fid_key(fid)}"] = {
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
                "models": {f"{m}@{_fid_key(f)}": e.metadata for (m, f), e in self._entries.items()}}


class EnumerableSurrogateBenchmark(SurrogateBenchmark, EnumerableBenchmark):
    """A surrogate benchmark over an enumerable space (NB201): every arch has a row, so whole columns
    of predictions (and of predicted outcomes) are offered to vectorised and compiled code."""

    def column(self, metric: str, fidelity=None) -> np.ndarray:
        """Predicted mean of ``metric`` for every arch of an enumerable space: read-only float64 (n_archs,)."""
        return self._mean_table(self._entry(metric, fidelity))

    def best(self, metric: str, fidelity=None, *, maximize: bool = True) -> tuple[int, float]:
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
    subdirs = sorted(p.parent for p in folder.glob("*/metadata.json")
                     if not p.parent.name.startswith(".")) if folder.is_dir() else []  # not a writer's temp folder
    if not subdirs:
        raise MissingDataError(
            f"no surrogate models for {space}/{dataset} in {folder}; fit one with "
            f"`nasbench surrogate fit {space}/{dataset} --metric test_acc --train-fraction 0.1`."
        )
    entries = {}
    for sub in subdirs:
        model, meta = load_model(sub)
        check_binding(sub, meta, _fid_key)  # the folder METRIC@FIDELITY must be what the model was fit for
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


@dataclass
class FilledColumn:
    """A metric for every arch: measured values where the table has them, predictions elsewhere.

    Attributes
    ----------
    values : ndarray of float64, shape (n_archs,) or (n_archs, n_fidelities)
    predicted : ndarray of bool, shape (n_archs,)
        True where the row's values are predictions (False: copied from the table, unchanged).
    predicted_by : str
        The model and what it was fit on.
    fidelities : tuple
        Fidelity of each column of ``values`` (one entry for a 1-D ``values``).
    scores : dict
        Quality on a validation split of the measured archs (fit on the rest).
    """

    values: np.ndarray
    predicted: np.ndarray
    predicted_by: str
    fidelities: tuple
    scores: dict


def _is_cost(metric: str) -> bool:
    return metric.endswith("_time_s")


def fill_metric(name: str, metric: str, fidelity=None, *, seed: int = 0, encoding: str | None = None,
                validation_fraction: float = 0.2, params=None) -> FilledColumn:
    """Fill the gaps of ``metric`` at ``fidelity`` in the table ``name`` with labelled predictions.

    The model is fit on every arch with a measured value (for ``nb201/cifar10`` ``train_time_s``:
    the 1000 archs with NB201 index 0..999); its quality is measured first by fitting on
    ``1 - validation_fraction`` of them and scoring the rest. Measured values are returned
    unchanged; ``predicted`` marks the filled rows.

    Cost metrics (``*_time_s``) use the ``onehot`` encoding and no isomorphism dedup by default:
    an op on an edge that cannot reach the output changes nothing in the function but still costs
    compute, so isomorphic cells need not train equally fast.

    This is what a simulator calls to get a cost for every arch, e.g.
    ``fill_metric("nb201/cifar10", "train_time_s", 200).values``.
    """
    import nasbench
    from nasbench.encodings import get_encoding

    bench = nasbench.load(name)
    fidelity = bench.default_fidelity(metric) if fidelity is None else fidelity
    measured = np.array(bench.column(metric, fidelity), dtype=np.float64)
    have = np.flatnonzero(np.isfinite(measured))
    encoding = encoding or ("onehot" if _is_cost(metric) else None)
    dedup = not _is_cost(metric)
    check = fit_surrogate(name, metric, fidelity, train_fraction=1 - check_train_fraction(validation_fraction),
                          seed=seed, encoding=encoding, dedup=dedup, params=params, n_members=0)
    enc = get_encoding(bench.space.name, check.metadata["encoding"])
    groups = None
    if dedup and bench.space.name == "nb201":
        from nasbench.spaces.nb201 import canonical_ids

        groups = canonical_ids()[have]
    final = fit_on_arrays(enc.encode(have)[0], measured[have], groups=groups, params=params, n_members=0, seed=seed)
    pred = final.predict(enc.encode(np.arange(bench.n_archs))[0])
    values = np.where(np.isfinite(measured), measured, pred)
    label = (f"XGBoost ({enc.name} encoding) fit on the {have.size} archs of {name} with measured {metric}@{fidelity}; "
             f"validation ({check.scores['n']} archs held out): Kendall tau {check.scores['kendall_tau']:.3f}, "
             f"R2 {check.scores['r2']:.3f}")
    return FilledColumn(values, ~np.isfinite(measured), label, (fidelity,), check.scores)


def fill_curves(name: str, metric: str = "lc_valid_acc", *, seed: int = 0,
                condition_on=(("valid_acc", 200), ("valid_acc", 12)), n_components: int = 6,
                validation_fraction: float = 0.2, params=None) -> FilledColumn:
    """Fill the learning curves of ``metric`` (fidelity = epoch) for every arch.

    A :class:`surrogates.curves.CurveModel` is fit on the archs whose curve is measured (for
    ``nb201/cifar10`` ``lc_valid_acc``: 200 archs, NB201 index 0..199), with the arch's encoding
    plus its *measured* values of ``condition_on`` as features (for NB201 the 200-epoch and
    12-epoch validation accuracy, known for every arch; the curve's last point equals the first).
    Validation: fit on ``1 - validation_fraction`` of the measured curves, score the rest
    (RMSE over all epochs, Kendall tau at a few epochs).

    Returns values of shape (n_archs, n_epochs); ``predicted`` marks filled rows.
    """
    import nasbench
    from nasbench.encodings import get_encoding
    from nasbench.rng import as_generator
    from surrogates import kendall_tau
    from surrogates.curves import CurveModel

    bench = nasbench.load(name)
    fids = bench.fidelities(metric)
    curves = np.stack([np.asarray(bench.column(metric, f)) for f in fids], axis=1)
    have = np.flatnonzero(np.isfinite(curves).all(axis=1))
    enc = get_encoding(bench.space.name)
    extra = np.stack([np.asarray(bench.column(m, f), dtype=np.float64) for m, f in condition_on], axis=1) \
        if condition_on else np.zeros((bench.n_archs, 0))
    if not np.isfinite(extra).all():
        raise MissingValueError(f"the features {condition_on} of {name} must be measured for every arch; some are "
                                "NaN. Pass condition_on metrics that cover the whole space.")
    X = np.hstack([enc.encode(np.arange(bench.n_archs))[0], extra.astype(np.float32)])
    params = params or {"n_estimators": 100, "max_depth": 4}
    perm = as_generator(seed).permutation(have)
    n_val = int(round(check_train_fraction(validation_fraction) * have.size))
    val, tr = perm[:n_val], perm[n_val:]
    check = CurveModel(n_components, params, seed).fit(X[tr], curves[tr])
    pred = check.predict(X[val])
    picks = [e for e in (1, 12, 50, len(fids)) if e <= len(fids)]
    scores = {"n_train": int(tr.size), "n_validation": int(val.size),
              "rmse": float(np.sqrt(np.mean((pred - curves[val]) ** 2))),
              "kendall_tau_at_epoch": {str(fids[e - 1]): kendall_tau(curves[val, e - 1], pred[:, e - 1]) for e in picks},
              "explained_variance": check.explained_}
    final = CurveModel(n_components, params, seed).fit(X[have], curves[have])
    values = np.where(np.isfinite(curves).all(axis=1)[:, None], curves, final.predict(X))
    label = (f"curve model ({n_components} principal components, XGBoost per component; {enc.name} encoding plus "
             f"measured {', '.join(f'{m}@{f}' for m, f in condition_on)}) fit on the {have.size} measured curves of "
             f"{name}; validation RMSE {scores['rmse']:.2f} over all epochs")
    return FilledColumn(values, ~np.isfinite(curves).all(axis=1), label, tuple(fids), scores)


FILLED_FORMAT = "nasbench-filled-metric"
FILLED_FORMAT_VERSION = 1


def save_filled(name: str, metric: str, filled: FilledColumn, root=None) -> Path:
    """Store a :class:`FilledColumn` as ``SPACE/DATASET@surrogate/<metric>@filled/``.

    Files: ``values.npy`` (float64, (n_archs, n_fidelities)), ``predicted.npy`` (bool, (n_archs,):
    True where the row is predicted) and ``manifest.json`` (what predicted them, validation
    scores, fidelities, sha256 of both arrays). No pickles.
    """
    from nasbench.benchmarks.registry import parse_name
    from surrogates.io import _versions
    from tabular_data.store import sha256_file

    from tabular_data.atomic import write_folder

    space, dataset, _ = parse_name(name)
    folder = surrogate_dir(space, dataset, root) / f"{metric}@filled"
    values = np.asarray(filled.values, dtype=np.float64).reshape(filled.values.shape[0], -1)

    def fill(tmp: Path) -> None:  # written aside and moved into place whole: a kill keeps the previous one
        np.save(tmp / "values.npy", values, allow_pickle=False)
        np.save(tmp / "predicted.npy", np.asarray(filled.predicted, dtype=bool), allow_pickle=False)
        doc = {"format": FILLED_FORMAT, "format_version": FILLED_FORMAT_VERSION, "benchmark": name, "metric": metric,
               "fidelities": list(filled.fidelities), "n_predicted": int(filled.predicted.sum()),
               "n_measured": int((~filled.predicted).sum()), "predicted_by": filled.predicted_by,
               "validation": filled.scores, "versions": _versions(),
               "files": {f: sha256_file(tmp / f) for f in _FILLED_FILES}}
        (tmp / "manifest.json").write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")

    return write_folder(folder, fill, what="the filled metric")


_FILLED_FILES = ("values.npy", "predicted.npy")


def read_stored_array(path, kind: str, shape: tuple, fix: str) -> np.ndarray:
    """Read a ``.npy`` file nasbench wrote, refusing anything but a plain array of the expected kind
    and shape (pickled object arrays are never loaded).

    Parameters
    ----------
    path : path
    kind : str
        Accepted ``dtype.kind`` letters, e.g. ``"f"``, ``"b"``, ``"iu"``.
    shape : tuple
        Expected shape; ``None`` entries accept any length on that axis.
    fix : str
        What the user should do, ending the error message.
    """
    path = Path(path)
    try:
        array = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise DataIntegrityError(f"{path} is missing; {fix}") from None
    except (ValueError, OSError, EOFError) as exc:
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise DataIntegrityError(f"{path}: expected a plain numpy array (.npy without pickled objects); got a file "
                                 f"numpy refuses ({reason}). {fix}") from None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in kind or array.ndim != len(shape) \
            or any(want is not None and got != want for got, want in zip(array.shape, shape)):
        want = "(" + ", ".join("n" if w is None else str(w) for w in shape) + ("," if len(shape) == 1 else "") + ")"
        raise DataIntegrityError(f"{path}: expected an array of dtype kind {kind!r} and shape {want}; got "
                                 f"{getattr(array, 'dtype', type(array).__name__)} {getattr(array, 'shape', '')}. {fix}")
    return array


def load_filled(name: str, metric: str, root=None) -> FilledColumn:
    """Load what :func:`save_filled` stored (checksums verified): the simulator's cheap path to a
    cost or a curve for every arch, e.g. ``load_filled("nb201/cifar10", "train_time_s")``."""
    from nasbench.benchmarks.registry import parse_name
    from tabular_data.store import sha256_file

    space, dataset, _ = parse_name(name)
    folder = surrogate_dir(space, dataset, root) / f"{metric}@filled"
    path = folder / "manifest.json"
    if not path.is_file():
        raise MissingDataError(
            f"no filled {metric} for {name} in {folder}; create it with `nasbench surrogate fill {name} --metric {metric}`."
        )
    fix = f"re-create it with `nasbench surrogate fill {name} --metric {metric}`."
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as exc:
        raise DataIntegrityError(f"{path}: expected a JSON manifest; got unreadable JSON "
                                 f"({' '.join(str(exc).split())[:80]}); {fix}") from None
    if not isinstance(doc, dict) or doc.get("format") != FILLED_FORMAT \
            or not isinstance(doc.get("format_version"), int) or doc["format_version"] > FILLED_FORMAT_VERSION:
        doc = doc if isinstance(doc, dict) else {}
        raise DataIntegrityError(
            f"{path} has format {doc.get('format')!r} version {doc.get('format_version')!r}; this nasbench reads "
            f"{FILLED_FORMAT!r} up to version {FILLED_FORMAT_VERSION}. Upgrade nasbench or re-create it."
        )
    files, fids = doc.get("files"), doc.get("fidelities")
    if not isinstance(files, dict) or sorted(files) != sorted(_FILLED_FILES) \
            or not all(isinstance(v, str) for v in files.values()) or not isinstance(fids, list) or not fids \
            or not isinstance(doc.get("predicted_by"), str) or not isinstance(doc.get("validation"), dict):
        raise DataIntegrityError(f"{path}: expected the keys files (sha256 of {' and '.join(_FILLED_FILES)}), "
                                 f"fidelities (a non-empty list), predicted_by and validation; got a manifest "
                                 f"without them or with other types; {fix}")
    for fname, digest in files.items():
        if not (folder / fname).is_file() or sha256_file(folder / fname) != digest:
            raise DataIntegrityError(f"{folder / fname} does not match its sha256; {fix}")
    values = read_stored_array(folder / "values.npy", "f", (None, len(fids)), fix)
    predicted = read_stored_array(folder / "predicted.npy", "b", (values.shape[0],), fix)
    return FilledColumn(values[:, 0] if len(fids) == 1 else values, predicted, doc["predicted_by"], tuple(fids),
                        doc["validation"])


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
