"""Fitting surrogate benchmarks: a model per metric and fidelity, fit on a split of a table and scored.

:func:`fit_surrogate` fits a model on a random (or given) split of a tabular benchmark (or, for
spaces known only from samples, on NASLib's sampled archs: :func:`fit_samples`) and scores it on the
held-out archs; :func:`save_surrogate` puts it into the store, where
``nasbench.load("SPACE/DATASET@surrogate")`` (:mod:`nasbench.benchmarks.surrogate`) serves it.
:func:`evaluate_fractions` and :func:`score_saved` are the held-out scores ``nasbench surrogate
eval`` prints.

Examples
--------
>>> result = fit_surrogate("nb201/cifar10", "test_acc", 200, train_fraction=0.1, seed=0)  # doctest: +SKIP
>>> round(result.scores["kendall_tau"], 3)                                              # doctest: +SKIP
0.874
>>> save_surrogate(result)                                                               # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nasbench.benchmarks._stored import read_stored_array
from nasbench.benchmarks.surrogate import fid_key, surrogate_dir
from nasbench.checks import is_number
from nasbench.errors import DataIntegrityError, MissingDataError, MissingValueError, UnknownNameError, choices_text
from surrogates.fit import MODELS, NOISE_MODELS, SurrogateConfigError, check_params, fit_on_arrays

__all__ = [
    "SurrogateConfigError",
    "FitResult",
    "SAMPLE_SPACES",
    "fit_surrogate",
    "fit_samples",
    "save_surrogate",
    "load_train_indices",
    "split_indices",
    "check_train_fraction",
    "is_cost_metric",
    "evaluate_fractions",
    "score_saved",
]

SAMPLE_SPACES = {
    "nb101": "NB101 validation accuracy after 108 epochs (one of NB101's 3 runs per cell, as NASLib sampled it)",
    "darts": "NB301 validation accuracy (probably NB301 surrogate predictions, obtained through NASLib)",
}
SCORE_KEYS = ("kendall_tau", "spearman", "r2", "top10_kendall_tau")


def is_cost_metric(metric: str) -> bool:
    """True for a cost (``*_time_s``): its models read every edge (see :func:`fit_surrogate`)."""
    return metric.endswith("_time_s")


def check_train_fraction(train_fraction) -> float:
    """Validate a training fraction: a number strictly between 0 and 1."""
    if not is_number(train_fraction) or not 0.0 < float(train_fraction) < 1.0:
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


def _split(name, metric, fidelity, have, train_fraction, seed, train_indices):
    """Train and test arch indices among ``have`` (archs with a value) and the split's description."""
    if train_indices is None:
        train_idx, test_idx = split_indices(have, train_fraction, seed)
        return train_idx, test_idx, {"kind": "random", "train_fraction": check_train_fraction(train_fraction),
                                     "seed": int(seed)}
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
    return train_idx, test_idx, {"kind": "given", "train_fraction": train_idx.size / have.size, "seed": int(seed)}


def _table_to_fit(name: str, metric: str, fidelity):
    """The tabular benchmark ``name``, the fidelity (None: highest), the metric's column and the archs
    that have a value; at least 4 of them."""
    import nasbench

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
    return bench, fidelity, values, have


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
        The surrogate model (see :func:`surrogates.fit.fit_on_arrays`).
    source_dir : path, optional
        For spaces known only from samples (``nb101/cifar10``, ``darts/cifar10``): the folder with
        NASLib's zero-cost files (see :func:`fit_samples`).
    """
    from nasbench.benchmarks.registry import parse_name
    from nasbench.encodings import get_encoding
    from surrogates import scores as score_fn

    space_name, dataset, _ = parse_name(name)
    check_params(params, model)
    if space_name in SAMPLE_SPACES:
        if fidelity is not None or train_indices is not None:
            raise SurrogateConfigError(
                f"{space_name} samples have one budget and a random split only; got fidelity={fidelity!r}, "
                f"train_indices={'given' if train_indices is not None else None}."
            )
        return fit_samples(space_name, dataset, metric, source_dir, train_fraction=train_fraction, seed=seed,
                           encoding=encoding, params=params, n_members=n_members, model=model)
    bench, fidelity, values, have = _table_to_fit(name, metric, fidelity)
    train_idx, test_idx, split = _split(name, metric, fidelity, have, train_fraction, seed, train_indices)
    if is_cost_metric(metric) and encoding is None:
        # an op on an edge that cannot reach the output changes nothing in the function but still
        # costs compute: cost models read every edge (onehot) and keep isomorphic cells apart
        encoding, dedup = "onehot", False
    enc = get_encoding(bench.space.name, encoding)
    groups = None
    if dedup and hasattr(bench.space, "canonical_ids"):  # a space with isomorphism classes (NB201)
        groups = bench.space.canonical_ids()[train_idx]
    noise = _seed_noise_std(bench, metric, fidelity, train_idx)
    fitted = fit_on_arrays(enc.encode(train_idx)[0], values[train_idx], groups=groups, params=params,
                           n_members=n_members, noise_std=noise, seed=seed, model=model)
    held_out = score_fn(values[test_idx], fitted.predict(enc.encode(test_idx)[0]))
    info = bench.metrics[metric]
    metadata = {
        "space": bench.space.name, "dataset": name.split("/")[1], "source_benchmark": name,
        "metric": metric, "fidelity": fidelity, "unit": info.unit, "description": info.description,
        "fidelity_meaning": info.fidelity_meaning, "encoding": enc.name, "n_features": enc.n_features,
        "model_name": MODELS[model], "dedup_isomorphic": groups is not None,
        "split": {**split, "n_train": int(train_idx.size), "n_test": int(test_idx.size)},
        "training_data_sha256": _sha256_arrays(train_idx, values[train_idx]),
        "noise": {"model": NOISE_MODELS[model], "seed_scatter_std": noise},
        "scores_held_out": held_out,
    }
    return FitResult(fitted, metadata, train_idx, test_idx, held_out)


def _unique_samples(space: str, dataset: str, metric: str, source_dir):
    """NASLib's sampled archs of ``space`` with their ``metric``, duplicates (equal canonical key)
    merged: the samples, the unique archs, their mean values and each one's list of values."""
    from nasbench.spaces.darts import DARTSArch
    from nasbench.spaces.nb101 import NB101Arch
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
    groups: dict = {}
    for key, value in zip(samples.keys, samples.values[metric]):
        if np.isfinite(value):
            groups.setdefault(parse(key), []).append(value)
    unique = list(groups)
    return samples, unique, np.array([np.mean(groups[a]) for a in unique]), groups


def fit_samples(space: str, dataset: str, metric: str = "valid_acc", source_dir=None, *, train_fraction: float = 0.8,
                seed: int = 0, encoding: str | None = None, params=None, n_members: int = 5,
                model: str = "xgboost") -> FitResult:
    """Fit a surrogate of ``space`` (``nb101`` or ``darts``) on NASLib's sampled archs.

    Duplicates (equal canonical key: the NB101 hash, or the DARTS key) are averaged into one arch
    first, so no cell is on both sides of the split; the split is then random over unique archs.
    """
    from nasbench.encodings import get_encoding
    from surrogates import scores as score_fn

    check_params(params, model)
    samples, unique, y_unique, groups = _unique_samples(space, dataset, metric, source_dir)
    train_idx, test_idx = split_indices(np.arange(len(unique)), train_fraction, seed)
    enc = get_encoding(space, encoding)
    X = enc.encode(unique)[0]
    # seed scatter: spread of duplicate entries (NB101: different training runs of one cell)
    dev = [v - np.mean(vals) for vals in (groups[unique[i]] for i in train_idx) if len(vals) > 1 for v in vals]
    noise = float(np.sqrt(np.mean(np.square(dev)))) if len(dev) >= 10 else 0.0
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
                  "n_samples": int(sum(len(v) for v in groups.values())), "n_unique": len(unique)},
        "training_data_sha256": samples.source["sha256"],
        "noise": {"model": NOISE_MODELS[model], "seed_scatter_std": noise},
        "scores_held_out": held_out,
    }
    return FitResult(fitted, metadata, train_idx, test_idx, held_out)


def save_surrogate(result: FitResult, root=None) -> Path:
    """Save a fitted surrogate into the store; ``nasbench.load("SPACE/DATASET@surrogate")`` then serves it."""
    from surrogates.io import save_model

    meta = result.metadata
    folder = surrogate_dir(meta["space"], meta["dataset"], root) / f"{meta['metric']}@{fid_key(meta['fidelity'])}"
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


def evaluate_fractions(name: str, metric: str, fidelity=None, *, train_fractions=(0.01, 0.05, 0.1),
                       seeds=(0, 1, 2), encoding: str | None = None, params=None, dedup: bool = True,
                       model: str = "xgboost", source_dir=None) -> list[dict]:
    """Held-out scores of surrogates fit on each training fraction, mean and sample sd over split seeds.

    Nothing is saved. Returns one dict per fraction: ``train_fraction, n_train, encoding, seeds,
    params, dedup, model, n_members`` and, for each of ``kendall_tau, spearman, r2,
    top10_kendall_tau``, the mean and ``<key>_sd`` (0.0 for a single seed).
    """
    # the XGBoost mean model does not depend on the bagged members; an MLP's mean averages its members
    n_members = 0 if model == "xgboost" else 5
    rows = []
    for frac in train_fractions:
        check_train_fraction(frac)
        per_seed = [fit_surrogate(name, metric, fidelity, train_fraction=frac, seed=s, encoding=encoding,
                                  n_members=n_members, source_dir=source_dir, params=params, dedup=dedup, model=model)
                    for s in seeds]
        row = {"train_fraction": frac, "n_train": per_seed[0].metadata["split"]["n_train"],
               "encoding": per_seed[0].metadata["encoding"], "seeds": list(seeds),
               "params": per_seed[0].model.full_params(), "dedup": dedup, "model": model, "n_members": n_members}
        for key in SCORE_KEYS:
            vals = np.array([r.scores[key] for r in per_seed])
            row[key] = float(vals.mean())
            row[key + "_sd"] = float(vals.std(ddof=1)) if vals.size > 1 else 0.0
        rows.append(row)
    return rows


def score_saved(name: str, metric: str, fidelity=None) -> dict:
    """Scores of the saved ``SPACE/DATASET@surrogate`` model of ``metric`` on the archs of the table
    ``name`` it was not fit on: ``benchmark, metric, fidelity`` and :func:`surrogates.scores`' keys."""
    import nasbench
    from nasbench.benchmarks.registry import parse_name
    from surrogates import scores

    space, dataset, _ = parse_name(name)
    sur = nasbench.load(f"{space}/{dataset}@surrogate")
    table = nasbench.load(f"{space}/{dataset}")
    entry = sur._entry(metric, fidelity)
    fid = entry.metadata["fidelity"]
    truth = np.asarray(table.column(metric, fid))
    train = load_train_indices(entry.folder, truth.shape[0])
    test = np.setdiff1d(np.flatnonzero(np.isfinite(truth)), train)
    return {"benchmark": sur.name, "metric": metric, "fidelity": fid, **scores(truth[test], sur.query(test, metric, fid))}
