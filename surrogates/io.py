"""Saving and loading surrogate models: xgboost's own JSON files plus ``metadata.json``. No pickles.

A saved model is a folder::

    metadata.json     format, format_version, model kind and hyperparameters, noise_std, the
                      files with their sha256, library versions, and the caller's metadata
                      (space, encoding, dataset, metric, training-data checksum, seed, scores)
    metadata.sha256   the sha256 of metadata.json (``sha256sum -c`` format), written last
    model_0.json      the mean model (xgboost ``save_model`` JSON)
    model_1.json ...  ensemble members

or, for an MLP ensemble (:class:`surrogates.mlp.MLPSurrogate`, model kind ``mlp_ensemble``),
``metadata.json``, ``metadata.sha256`` and::

    mlp_ensemble.pt   ``torch.save`` of plain tensors (state_dicts and scalers), read back with
                      ``torch.load(..., weights_only=True)``

Loading checks the format, the format version, the metadata's checksum, every file's sha256 and
every field a model is built from (member and feature counts, a finite and plausible
``noise_std``), and compiles the trees without importing xgboost, validating every compiled array
before a kernel sees it (an MLP ensemble needs torch to load, and serves in numpy).
:func:`check_binding` ties a model to the metric and fidelity its store folder is named after.
Saving is kill-safe: the folder is written aside and put in place in one step.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from nasbench.checks import is_int, is_number
from nasbench.errors import DataIntegrityError, MissingDataError
from nasbench.provenance import versions
from surrogates.fit import SurrogateConfigError
from surrogates.xgb import DEFAULT_PARAMS, BaggedXGBSurrogate, check_is_fitted, check_log_target
from tabular_data.atomic import write_folder

__all__ = ["FORMAT", "FORMAT_VERSION", "save_model", "load_model", "read_metadata", "write_metadata",
           "check_binding", "check_noise_std", "MAX_NOISE_STD"]

FORMAT = "nasbench-surrogate"
FORMAT_VERSION = 1
METADATA = "metadata.json"
METADATA_SHA256 = "metadata.sha256"  # sha256sum format, written last: metadata is sealed to its model
MAX_NOISE_STD = 1e6  # in the target's unit; a larger noise model is no model
_MAX_METADATA_BYTES = 16 << 20
_MAX_MODEL_BYTES = 1 << 30


def _model_files(model, tmp: Path) -> dict:
    """Write the model's own files into ``tmp``; return the ``model`` entry of ``metadata.json``."""
    from surrogates.mlp import MLP_FILE, MLPSurrogate

    if isinstance(model, MLPSurrogate):
        check_is_fitted(model, "weights_")
        blob = model.to_bytes()
        (tmp / MLP_FILE).write_bytes(blob)
        return model.model_info(hashlib.sha256(blob).hexdigest())
    check_is_fitted(model)
    files = []  # a list: model order matters (0 = mean model)
    for k, blob in enumerate(model.booster_jsons_):
        name = f"model_{k}.json"
        (tmp / name).write_bytes(blob)
        files.append({"name": name, "sha256": hashlib.sha256(blob).hexdigest()})
    return {
        "kind": "bagged_xgboost",
        "params": model.full_params(),
        "n_members": int(model.n_members),
        "noise_std": float(model.noise_std),
        "seed": int(model.seed),
        "n_features": int(model.n_features_in_),
        "files": files,
        **({"log_target": list(model.log_target)} if model.log_target is not None else {}),
    }


def write_metadata(directory, doc: dict) -> None:
    """Write ``metadata.json`` and, last, its checksum ``metadata.sha256`` into ``directory``."""
    directory = Path(directory)
    blob = (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode("utf-8")
    (directory / METADATA).write_bytes(blob)
    (directory / METADATA_SHA256).write_text(f"{hashlib.sha256(blob).hexdigest()}  {METADATA}\n")


def save_model(model, directory, metadata: dict | None = None, arrays: dict | None = None) -> Path:
    """Write ``model`` (a :class:`BaggedXGBSurrogate` or :class:`surrogates.mlp.MLPSurrogate`) into
    ``directory`` (replaced in one step if it exists, kill-safe and locked: :mod:`tabular_data.atomic`);
    returns the folder. ``arrays`` (``{"NAME.npy": ndarray}``, e.g. the training split) are saved in
    the same step, without pickles, their sha256 sealed in the metadata under ``"arrays"``."""
    directory = Path(directory)
    if isinstance(model, BaggedXGBSurrogate):
        check_is_fitted(model)

    def fill(tmp: Path) -> None:
        digests = {}
        for name, array in (arrays or {}).items():
            np.save(tmp / name, np.asarray(array), allow_pickle=False)
            digests[name] = hashlib.sha256((tmp / name).read_bytes()).hexdigest()
        write_metadata(tmp, {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "model": _model_files(model, tmp),
            "versions": versions("nasbench", "xgboost"),
            **(metadata or {}),
            **({"arrays": digests} if digests else {}),
        })

    return write_folder(directory, fill, what="the surrogate model")


def read_metadata(directory) -> dict:
    """Read and check ``metadata.json`` of a saved model: format, version and its checksum."""
    directory = Path(directory)
    path = directory / METADATA
    if not path.is_file():
        raise MissingDataError(
            f"no surrogate model at {directory} ({METADATA} not found); fit one with `nasbench surrogate fit`."
        )
    if path.stat().st_size > _MAX_METADATA_BYTES:
        raise DataIntegrityError(f"{path}: expected a metadata file below {_MAX_METADATA_BYTES} bytes; got "
                                 f"{path.stat().st_size} bytes. Re-fit the surrogate.")
    blob = path.read_bytes()
    try:
        doc = json.loads(blob.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise DataIntegrityError(f"{path} is not valid JSON ({reason}); re-fit the surrogate.") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise DataIntegrityError(
            f"{path} is not a nasbench surrogate model (format {doc.get('format') if isinstance(doc, dict) else None!r}, "
            f"expected {FORMAT!r})."
        )
    version = doc.get("format_version")
    if not is_int(version) or version > FORMAT_VERSION:
        raise DataIntegrityError(
            f"{path} has surrogate format version {version!r}, newer than this nasbench reads "
            f"({FORMAT_VERSION}); upgrade nasbench or re-fit the model with this version."
        )
    sealed = directory / METADATA_SHA256
    words = sealed.read_text(errors="replace")[:200].split() if sealed.is_file() else []
    if not words or words[0].lower() != hashlib.sha256(blob).hexdigest():
        raise DataIntegrityError(
            f"{path} does not match {METADATA_SHA256} "
            f"({'missing: saved by an older nasbench' if not sealed.is_file() else 'it was edited'}); metadata "
            "binds a model to its metric and is never edited by hand: re-fit the surrogate."
        )
    if not isinstance(doc.get("model"), dict):
        raise DataIntegrityError(f"{path}: expected a 'model' object; got {type(doc.get('model')).__name__}. "
                                 "Re-fit the surrogate.")
    return doc


def _bad(where, field: str, expected: str, got) -> DataIntegrityError:
    text = repr(got)
    text = text if len(text) <= 60 else text[:57] + "..."
    return DataIntegrityError(f"{where}: {field} must be {expected}; got {text}. Re-fit the surrogate.")


def check_int(info: dict, key: str, low: int, high: int, where) -> int:
    """``info[key]`` as an int in ``[low, high]`` (bools refused)."""
    value = info.get(key)
    if not is_int(value) or not low <= value <= high:
        raise _bad(where, key, f"an int in [{low}, {high}]", value)
    return int(value)


def check_noise_std(value, scale: float, where) -> float:
    """A finite ``noise_std`` >= 0, at most :data:`MAX_NOISE_STD` and ten times ``scale`` (the largest
    prediction the model can make, in the target's unit)."""
    limit = min(MAX_NOISE_STD, 10.0 * max(abs(float(scale)), 1.0))
    if not is_number(value) or not 0.0 <= value <= limit:
        raise _bad(where, "noise_std", f"a finite number in [0, {limit:.6g}] (10 x the model's prediction scale)",
                   value)
    return float(value)


def _model_file(directory: Path, entry, expected_name: str) -> bytes:
    """The bytes of one model file, checked against its manifest entry (name, size, sha256)."""
    if not isinstance(entry, dict) or entry.get("name") != expected_name or not isinstance(entry.get("sha256"), str):
        raise _bad(directory, "a files entry", f"{{'name': {expected_name!r}, 'sha256': ...}}", entry)
    path = directory / expected_name
    if not path.is_file():
        raise DataIntegrityError(f"{path} is missing; re-fit the surrogate.")
    if path.stat().st_size > _MAX_MODEL_BYTES:
        raise DataIntegrityError(f"{path}: expected at most {_MAX_MODEL_BYTES} bytes; got {path.stat().st_size}. "
                                 "Re-fit the surrogate.")
    blob = path.read_bytes()
    if hashlib.sha256(blob).hexdigest() != entry["sha256"]:
        raise DataIntegrityError(f"{path} does not match its sha256 in {METADATA}; re-fit the surrogate.")
    return blob


def load_model(directory) -> tuple[object, dict]:
    """Load a saved model and its metadata; checks each file's sha256 and every field the model is
    built from (counts, noise, features, the compiled trees) before it can serve. Needs no xgboost
    (an MLP ensemble needs torch to read its weights)."""
    from surrogates.mlp import MLP_FILE, MLP_KIND, MLPSurrogate

    directory = Path(directory)
    doc = read_metadata(directory)
    info = doc["model"]
    if info.get("kind") == MLP_KIND:
        path = directory / MLP_FILE
        if not path.is_file():
            raise DataIntegrityError(f"{path} is missing; re-fit the surrogate.")
        for key, low, high in (("n_members", 1, 1000), ("n_features", 1, 1 << 24), ("seed", 0, 2**63 - 1)):
            check_int(info, key, low, high, directory)
        files = info.get("files")
        if not isinstance(files, list) or len(files) != 1:
            raise _bad(directory, "files", f"one entry for {MLP_FILE}", files)
        blob = _model_file(directory, files[0], MLP_FILE)
        if not isinstance(info.get("params"), dict):
            raise _bad(directory, "params", "an object", info.get("params"))
        return MLPSurrogate.from_bytes(blob, info, where=str(directory)), doc
    if info.get("kind") != "bagged_xgboost":
        raise DataIntegrityError(
            f"{directory}: unknown surrogate model kind {info.get('kind')!r}; expected 'bagged_xgboost' or "
            f"{MLP_KIND!r}."
        )
    n_members = check_int(info, "n_members", 0, 1000, directory)
    n_features = check_int(info, "n_features", 1, 1 << 24, directory)
    seed = check_int(info, "seed", 0, 2**63 - 1, directory)
    params = info.get("params")
    if not isinstance(params, dict) or not set(params) <= set(DEFAULT_PARAMS):
        raise _bad(directory, "params", f"an object with keys among {sorted(DEFAULT_PARAMS)}", params)
    files = info.get("files")
    if not isinstance(files, list) or len(files) != n_members + 1:
        raise _bad(directory, "files", f"a list of n_members + 1 = {n_members + 1} model files",
                   f"{len(files) if isinstance(files, list) else type(files).__name__} entries")
    blobs = [_model_file(directory, entry, f"model_{k}.json") for k, entry in enumerate(files)]
    try:
        log_target = check_log_target(info.get("log_target"))
    except SurrogateConfigError:
        raise _bad(directory, "log_target", "absent, or [offset, scale] with finite numbers and scale != 0",
                   info.get("log_target")) from None
    model = BaggedXGBSurrogate(params=params, n_members=n_members, noise_std=0.0, seed=seed, log_target=log_target)
    model._set_models(blobs, n_features)  # compile_models validates every tree and the compiled arrays
    bound = _prediction_bound(model.forest_)
    if log_target is not None:  # the largest |prediction| after the back-transform
        bound = float(np.max(np.abs(model._backward(np.array([-bound, bound])))))
    model.noise_std = check_noise_std(info.get("noise_std"), bound, directory)
    return model, doc


def _prediction_bound(forest) -> float:
    """The largest |prediction| model 0 (the mean model) can make: |base| + sum of its trees' max |leaf|."""
    lo, hi = int(forest.model_start[0]), int(forest.model_start[1])
    ends = np.append(forest.roots[1:], forest.feature.shape[0]).astype(np.int64)
    total = abs(float(forest.base[0]))
    values = np.abs(forest.value.astype(np.float64))
    for t in range(lo, hi):
        total += float(values[int(forest.roots[t]):int(ends[t])].max())
    return total


def check_binding(directory, doc: dict, fidelity_key) -> None:
    """A model in a benchmark's store folder ``METRIC@FIDELITY`` must say that metric and fidelity,
    so a relabelled folder or metadata never serves another metric's model.

    Parameters
    ----------
    directory : path
        The model's folder, named ``f"{metric}@{fidelity_key(fidelity)}"`` by the writer.
    doc : dict
        Its metadata.
    fidelity_key : callable
        The writer's naming of a fidelity in folder names.
    """
    directory = Path(directory)
    metric, fidelity = doc.get("metric"), doc.get("fidelity")
    if not isinstance(metric, str) or not (fidelity is None or is_number(fidelity)):
        raise _bad(directory, "metadata metric and fidelity", "a metric name and a number (or null)",
                   (metric, fidelity))
    expected = f"{metric}@{fidelity_key(fidelity)}"
    if directory.name != expected:
        raise DataIntegrityError(
            f"{directory}: the folder says {directory.name!r} but its model was fit for {metric} at fidelity "
            f"{fidelity} (expected the folder {expected!r}); a model serves only the metric it was fit for: "
            "move it back or re-fit the surrogate."
        )
