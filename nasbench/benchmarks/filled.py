"""Filled values: a table's gaps filled with predictions that stay labelled as predictions.

Some public tables measure a metric for part of the space only (``nb201/cifar10`` times the training
of 1000 of its 15625 archs and has learning curves for 200). :func:`fill_metric` and
:func:`fill_curves` fit a model on the measured archs, score it on a held-out part of them, and
return a :class:`FilledColumn`: the measured values unchanged, predictions elsewhere, a mask saying
which is which and ``predicted_by`` naming the model. ``nasbench surrogate fill`` stores one with
:func:`save_filled` beside the table's surrogates::

    $NASBENCH_DATA/SPACE/DATASET@surrogate/filled/<metric>@<fidelity>/   (one fidelity)
    $NASBENCH_DATA/SPACE/DATASET@surrogate/filled/<metric>@curve/        (every epoch of a curve)

Two readers use a stored fill, and only these:

* ``bench.query(archs, metric, fidelity, missing="predicted")`` on the table returns a
  :class:`FilledQuery` (values, a ``predicted`` mask and ``predicted_by``), never a bare array in
  which predictions could pass for measurements (:func:`query_filled`);
* the simulated cost of an evaluation (:mod:`nasbench.benchmarks._cost`) charges the filled
  ``train_time_s`` where the table has no measured time, and its provenance names the model.

A stored fill is checked against the table before either use: the rows it calls measured must
equal the table's values bit for bit, and it must predict exactly the rows the table lacks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nasbench.benchmarks._stored import read_stored_array
from nasbench.benchmarks.surrogate import fid_key, surrogate_dir
from nasbench.errors import DataIntegrityError, MissingDataError, MissingValueError, NasbenchError

__all__ = [
    "FilledColumn",
    "FilledQuery",
    "fill",
    "fill_metric",
    "fill_curves",
    "save_filled",
    "load_filled",
    "find_filled",
    "query_filled",
    "filled_for_table",
]

FILLED_FORMAT = "nasbench-filled-metric"
FILLED_FORMAT_VERSION = 1
_FILLED_FILES = ("values.npy", "predicted.npy")
CURVE_KEY = "curve"


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
    folder : Path or None
        Where it is stored (None until saved or when built in memory).
    files_sha256 : dict or None
        sha256 of the stored arrays (from the manifest; None when not loaded from the store).
    """

    values: np.ndarray
    predicted: np.ndarray
    predicted_by: str
    fidelities: tuple
    scores: dict
    folder: Path | None = None
    files_sha256: dict | None = None

    def column(self, fidelity) -> np.ndarray:
        """Values at ``fidelity`` for every arch: float64 (n_archs,)."""
        if fidelity not in self.fidelities:
            raise MissingDataError(f"this fill covers fidelities {_fid_text(self.fidelities)}; got {fidelity!r}. "
                                   "Fill that fidelity with `nasbench surrogate fill NAME --metric M --fidelity F`.")
        return self.values if self.values.ndim == 1 else self.values[:, self.fidelities.index(fidelity)]


@dataclass(frozen=True)
class FilledQuery:
    """What ``query(..., missing="predicted")`` returns: values with the label of every predicted one.

    Attributes
    ----------
    values : float64 ndarray of shape (n,), or numpy.float64 for one arch
        The table's value where it has one, else the fill's prediction.
    predicted : bool ndarray of shape (n,), or bool for one arch
        True where ``values`` is a prediction.
    predicted_by : str
        The model that made the predictions and what it was fit on ("" when nothing is predicted).
    metric : str
    fidelity : int or None
    """

    values: object
    predicted: object
    predicted_by: str
    metric: str
    fidelity: object


def _fid_text(fids) -> str:
    return ", ".join(str(f) for f in fids) if len(fids) <= 6 else f"{fids[0]}..{fids[-1]} ({len(fids)} values)"


def fill_metric(name: str, metric: str, fidelity=None, *, seed: int = 0, encoding: str | None = None,
                validation_fraction: float = 0.2, params=None) -> FilledColumn:
    """Fill the gaps of ``metric`` at ``fidelity`` in the table ``name`` with labelled predictions.

    The model is fit on every arch with a measured value (for ``nb201/cifar10`` ``train_time_s``:
    the 1000 archs with NB201 index 0..999); its quality is measured first by fitting on
    ``1 - validation_fraction`` of them and scoring the rest. Measured values are returned
    unchanged; ``predicted`` marks the filled rows; ``scores`` holds the validation scores (and, for
    a cost, every candidate's under ``candidates``).

    The model is XGBoost (mean model only). For a cost (``*_time_s``) it reads the ``onehot``
    encoding without isomorphism dedup (an op on an edge that cannot reach the output changes
    nothing in the function but still costs compute, so isomorphic cells need not train equally
    fast), and competes on the same validation split with the cost model's own estimate,
    ``linear_op_model`` (:mod:`nasbench.benchmarks._cost`: time is close to a sum of per-op costs);
    the one with the higher validation R2 fills the gaps (on ``nb201/cifar10`` ``train_time_s@200``
    that is ``linear_op_model``: R2 0.995 against XGBoost's 0.980), and ``predicted_by`` says which.
    """
    import nasbench
    from nasbench.benchmarks.surrogate_fit import check_train_fraction, fit_surrogate, is_cost_metric

    bench = nasbench.load(name)
    fidelity = bench.default_fidelity(metric) if fidelity is None else fidelity
    measured = np.array(bench.column(metric, fidelity), dtype=np.float64)
    check = fit_surrogate(name, metric, fidelity, train_fraction=1 - check_train_fraction(validation_fraction),
                          seed=seed, encoding=encoding or ("onehot" if is_cost_metric(metric) else None),
                          dedup=not is_cost_metric(metric), params=params, n_members=0)
    where = f"the {int(np.isfinite(measured).sum())} archs of {name} with measured {metric}@{fidelity}"
    pred, label, scores = _xgboost_fill(bench, measured, check, params, seed, where)
    linear = _linear_fill(bench, measured, check, where) if is_cost_metric(metric) else None
    if linear is not None:
        candidates = {"xgboost": scores, "linear_op_model": linear[2]}
        if linear[2]["r2"] > scores["r2"]:
            pred, label, scores = linear[0], f"{linear[1]}; chosen over XGBoost (validation R2 {scores['r2']:.3f})", \
                linear[2]
        else:
            label = f"{label}; chosen over linear_op_model (validation R2 {linear[2]['r2']:.3f})"
        scores = {**scores, "candidates": candidates}
    values = np.where(np.isfinite(measured), measured, pred)
    return FilledColumn(values, ~np.isfinite(measured), label, (fidelity,), scores)


def _xgboost_fill(bench, measured, check, params, seed, where):
    """XGBoost of the validation fit ``check``'s settings, refit on every measured arch: predictions of
    every arch (n_archs,), its label and ``check``'s validation scores."""
    from nasbench.encodings import get_encoding
    from surrogates.fit import fit_on_arrays

    have = np.flatnonzero(np.isfinite(measured))
    enc = get_encoding(bench.space.name, check.metadata["encoding"])
    groups = None
    if check.metadata["dedup_isomorphic"]:
        groups = bench.space.canonical_ids()[have]
    final = fit_on_arrays(enc.encode(have)[0], measured[have], groups=groups, params=params, n_members=0, seed=seed)
    sc = check.scores
    label = (f"XGBoost ({enc.name} encoding) fit on {where}; validation ({sc['n']} archs held out): "
             f"Kendall tau {sc['kendall_tau']:.3f}, R2 {sc['r2']:.3f}")
    return final.predict(enc.encode(np.arange(bench.n_archs))[0]), label, dict(sc)


def _linear_fill(bench, measured, check, where):
    """The cost model's ``linear_op_model`` validated on ``check``'s split and refit on every measured
    arch: (predictions (n_archs,), label, validation scores), or None where the space has no choice
    table to fit it on."""
    from nasbench.benchmarks._cost import ESTIMATE_NAME, _linear_op_model
    from surrogates import scores as score_fn

    train = np.full_like(measured, np.nan)
    train[check.train_indices] = measured[check.train_indices]
    try:
        held, _ = _linear_op_model(bench, train, np.isfinite(train))
    except NasbenchError:
        return None
    sc = score_fn(measured[check.test_indices], held[check.test_indices])
    pred, fit = _linear_op_model(bench, measured, np.isfinite(measured))
    label = (f"{ESTIMATE_NAME} (least squares on {fit['features']}, clipped below at the smallest measured value) "
             f"fit on {where}; validation ({sc['n']} archs held out): Kendall tau {sc['kendall_tau']:.3f}, "
             f"R2 {sc['r2']:.3f}")
    return pred, label, sc


def _curve_scores(check, X_val, curves_val, fids, n_train) -> dict:
    """Validation scores of a curve model: RMSE over all epochs and Kendall tau at a few epochs."""
    from surrogates import kendall_tau

    pred = check.predict(X_val)
    picks = [e for e in (1, 12, 50, len(fids)) if e <= len(fids)]
    return {"n_train": int(n_train), "n_validation": int(curves_val.shape[0]),
            "rmse": float(np.sqrt(np.mean((pred - curves_val) ** 2))),
            "kendall_tau_at_epoch": {str(fids[e - 1]): kendall_tau(curves_val[:, e - 1], pred[:, e - 1]) for e in picks},
            "explained_variance": check.explained_}


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
    from nasbench.benchmarks.surrogate_fit import check_train_fraction
    from nasbench.encodings import get_encoding
    from nasbench.rng import as_generator
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
    scores = _curve_scores(check, X[val], curves[val], fids, tr.size)
    final = CurveModel(n_components, params, seed).fit(X[have], curves[have])
    values = np.where(np.isfinite(curves).all(axis=1)[:, None], curves, final.predict(X))
    label = (f"curve model ({n_components} principal components, XGBoost per component; {enc.name} encoding plus "
             f"measured {', '.join(f'{m}@{f}' for m, f in condition_on)}) fit on the {have.size} measured curves of "
             f"{name}; validation RMSE {scores['rmse']:.2f} over all epochs")
    return FilledColumn(values, ~np.isfinite(curves).all(axis=1), label, tuple(fids), scores)


def fill(name: str, metric: str, fidelity=None, *, seed: int = 0) -> FilledColumn:
    """Fill ``metric`` of the table ``name`` the way its fidelities call for: every epoch of a learning
    curve (a metric with more than 2 fidelities, ``fidelity=None``) with :func:`fill_curves`, else one
    fidelity (None: the highest) with :func:`fill_metric`."""
    import nasbench

    bench = nasbench.load(name)
    if len(bench.fidelities(metric)) > 2 and fidelity is None:
        return fill_curves(name, metric, seed=seed)
    return fill_metric(name, metric, fidelity, seed=seed)


def _key(fidelity) -> str:
    """Folder key of one fidelity: 200 and 200.0 are one fidelity, so they name one folder."""
    if isinstance(fidelity, (float, np.floating)) and float(fidelity).is_integer():
        fidelity = int(fidelity)
    return fid_key(fidelity)


def _folder(name: str, metric: str, key: str, root=None) -> Path:
    from nasbench.benchmarks.registry import parse_name

    space, dataset, _ = parse_name(name)
    return surrogate_dir(space, dataset, root) / "filled" / f"{metric}@{key}"


def save_filled(name: str, metric: str, filled: FilledColumn, root=None) -> Path:
    """Store a :class:`FilledColumn` of the table ``name`` (see the module docstring for where).

    Files: ``values.npy`` (float64, (n_archs, n_fidelities)), ``predicted.npy`` (bool, (n_archs,):
    True where the row is predicted) and ``manifest.json`` (what predicted them, validation
    scores, fidelities, sha256 of both arrays). No pickles; written aside and moved into place
    whole, so a kill keeps the previous fill.
    """
    from nasbench.provenance import versions
    from tabular_data.atomic import write_folder
    from tabular_data.store import sha256_file

    key = _key(filled.fidelities[0]) if len(filled.fidelities) == 1 else CURVE_KEY
    folder = _folder(name, metric, key, root)
    values = np.asarray(filled.values, dtype=np.float64).reshape(filled.values.shape[0], -1)

    def write(tmp: Path) -> None:
        np.save(tmp / "values.npy", values, allow_pickle=False)
        np.save(tmp / "predicted.npy", np.asarray(filled.predicted, dtype=bool), allow_pickle=False)
        doc = {"format": FILLED_FORMAT, "format_version": FILLED_FORMAT_VERSION, "benchmark": name, "metric": metric,
               "fidelities": list(filled.fidelities), "n_predicted": int(filled.predicted.sum()),
               "n_measured": int((~filled.predicted).sum()), "predicted_by": filled.predicted_by,
               "validation": filled.scores, "versions": versions("nasbench", "xgboost"),
               "files": {f: sha256_file(tmp / f) for f in _FILLED_FILES}}
        (tmp / "manifest.json").write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")

    return write_folder(folder, write, what="the filled metric")


def find_filled(name: str, metric: str, fidelity=None, root=None) -> Path | None:
    """The folder of the stored fill of ``metric`` at ``fidelity`` (None: the only fill of the metric),
    or None when there is none. A fill of one fidelity is preferred to a curve that contains it."""
    base = _folder(name, metric, "", root).parent
    if fidelity is not None:
        for key in (_key(fidelity), CURVE_KEY):
            if (base / f"{metric}@{key}" / "manifest.json").is_file():
                return base / f"{metric}@{key}"
        return None
    found = sorted(p.parent for p in base.glob(f"{metric}@*/manifest.json")) if base.is_dir() else []
    if len(found) > 1:
        raise MissingDataError(f"{name} has fills of {metric} at {', '.join(p.name.split('@')[-1] for p in found)}; "
                               "pass the fidelity to choose one.")
    return found[0] if found else None


def _read_manifest(path: Path, fix: str) -> dict:
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
    return doc


def load_filled(name: str, metric: str, fidelity=None, root=None) -> FilledColumn:
    """Load what :func:`save_filled` stored for ``metric`` at ``fidelity`` (None: the metric's only
    fill), checksums verified, e.g. ``load_filled("nb201/cifar10", "train_time_s", 200)``."""
    from tabular_data.store import sha256_file

    fid_flag = "" if fidelity is None else f" --fidelity {fidelity}"
    folder = find_filled(name, metric, fidelity, root)
    if folder is None:
        raise _no_fill(name, metric, fidelity, root)
    fix = f"re-create it with `nasbench surrogate fill {name} --metric {metric}{fid_flag}`."
    doc = _read_manifest(folder / "manifest.json", fix)
    for fname, digest in doc["files"].items():
        if not (folder / fname).is_file() or sha256_file(folder / fname) != digest:
            raise DataIntegrityError(f"{folder / fname} does not match its sha256; {fix}")
    fids = doc["fidelities"]
    values = read_stored_array(folder / "values.npy", "f", (None, len(fids)), fix)
    predicted = read_stored_array(folder / "predicted.npy", "b", (values.shape[0],), fix)
    return FilledColumn(values[:, 0] if len(fids) == 1 else values, predicted, doc["predicted_by"], tuple(fids),
                        doc["validation"], folder, dict(doc["files"]))


def _no_fill(name: str, metric: str, fidelity, root=None) -> MissingDataError:
    fid_flag = "" if fidelity is None else f" --fidelity {fidelity}"
    return MissingDataError(
        f"no filled {metric}{'' if fidelity is None else f'@{fidelity}'} for {name} in "
        f"{_folder(name, metric, '', root).parent}; create it with "
        f"`nasbench surrogate fill {name} --metric {metric}{fid_flag}`."
    )


def filled_for_table(bench, metric: str, fidelity, root=None) -> FilledColumn | None:
    """The stored fill of ``metric`` at ``fidelity`` for the table ``bench``, checked against it; None
    when none is stored.

    Raises
    ------
    DataIntegrityError
        The fill was made from other measured values than the table holds now (another import or
        version of the data), or for another number of archs.
    """
    if find_filled(bench.name, metric, fidelity, root) is None:
        return None
    filled = load_filled(bench.name, metric, fidelity, root)
    measured = np.asarray(bench.column(metric, fidelity), dtype=np.float64)
    values = filled.column(fidelity)
    have = ~np.isnan(measured)
    if values.shape != measured.shape or not np.array_equal(filled.predicted, ~have) \
            or not np.array_equal(values[have], measured[have]):
        raise DataIntegrityError(
            f"the filled {metric}@{fidelity} in {filled.folder} does not match {bench.name}: its measured rows "
            f"must equal the table's and it must predict exactly the {int((~have).sum())} archs the table lacks. "
            f"Re-create it with `nasbench surrogate fill {bench.name} --metric {metric} --fidelity {fidelity}`."
        )
    return filled


def query_filled(bench, archs, metric: str, fidelity=None, seed=None) -> FilledQuery:
    """``bench.query(archs, metric, fidelity, missing="predicted")`` of a table: measured values where the
    table has them, the stored fill's predictions elsewhere, each prediction marked (see :class:`FilledQuery`).

    Raises
    ------
    NasbenchError
        ``seed`` is not None: a fill predicts the mean over training seeds and has no per-seed noise.
    MissingDataError
        No fill of ``metric`` at ``fidelity`` is stored; the message names the command that makes one.
    """
    if seed is not None:
        raise NasbenchError(f"missing='predicted' serves means: filled values predict the mean over training seeds "
                            f"and have no per-seed noise model; got seed={seed!r}. Query without a seed (the mean).")
    fidelity = bench.default_fidelity(metric) if fidelity is None else fidelity
    values = bench.query(archs, metric, fidelity, missing="nan")
    idx, scalar = bench._indices(archs)
    gaps = np.isnan(np.atleast_1d(values))
    if not gaps.any():
        return FilledQuery(values, False if scalar else gaps, "", metric, fidelity)
    filled = filled_for_table(bench, metric, fidelity)
    if filled is None:
        raise _no_fill(bench.name, metric, fidelity)
    out = np.where(gaps, filled.column(fidelity)[idx], np.atleast_1d(values))
    return FilledQuery(out[0] if scalar else out, bool(gaps[0]) if scalar else gaps, filled.predicted_by,
                       metric, fidelity)
