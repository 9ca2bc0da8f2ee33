"""Saving and loading surrogate models: xgboost's own JSON files plus ``metadata.json``. No pickles.

A saved model is a folder::

    metadata.json     format, format_version, model kind and hyperparameters, noise_std, the
                      files with their sha256, library versions, and the caller's metadata
                      (space, encoding, dataset, metric, training-data checksum, seed, scores)
    model_0.json      the mean model (xgboost ``save_model`` JSON)
    model_1.json ...  ensemble members

or, for an MLP ensemble (:class:`surrogates.mlp.MLPSurrogate`, model kind ``mlp_ensemble``)::

    mlp_ensemble.pt   ``torch.save`` of plain tensors (state_dicts and scalers), read back with
                      ``torch.load(..., weights_only=True)``

Loading checks the format, the format version and every file's sha256, and compiles the trees
without importing xgboost (an MLP ensemble needs torch to load, and serves in numpy).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from nasbench.errors import DataIntegrityError, MissingDataError
from surrogates.xgb import BaggedXGBSurrogate, check_is_fitted

__all__ = ["FORMAT", "FORMAT_VERSION", "save_model", "load_model", "read_metadata"]

FORMAT = "nasbench-surrogate"
FORMAT_VERSION = 1
METADATA = "metadata.json"


def _versions() -> dict:
    from nasbench._version import __version__

    out = {"nasbench": __version__}
    try:
        import xgboost

        out["xgboost"] = xgboost.__version__
    except ImportError:
        pass
    return out


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
    }


def save_model(model, directory, metadata: dict | None = None) -> Path:
    """Write ``model`` (a :class:`BaggedXGBSurrogate` or :class:`surrogates.mlp.MLPSurrogate`) into
    ``directory`` (replaced atomically if it exists); returns the folder."""
    directory = Path(directory)
    if isinstance(model, BaggedXGBSurrogate):
        check_is_fitted(model)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=directory.parent))
    try:
        doc = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "model": _model_files(model, tmp),
            "versions": _versions(),
            **(metadata or {}),
        }
        (tmp / METADATA).write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        if directory.exists():
            shutil.rmtree(directory)
        os.replace(tmp, directory)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return directory


def read_metadata(directory) -> dict:
    """Read and check ``metadata.json`` of a saved model (format and version only)."""
    path = Path(directory) / METADATA
    if not path.is_file():
        raise MissingDataError(
            f"no surrogate model at {directory} ({METADATA} not found); fit one with `nasbench surrogate fit`."
        )
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataIntegrityError(f"{path} is not valid JSON ({exc}); re-fit the surrogate.") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise DataIntegrityError(
            f"{path} is not a nasbench surrogate model (format {doc.get('format') if isinstance(doc, dict) else None!r}, "
            f"expected {FORMAT!r})."
        )
    version = doc.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise DataIntegrityError(
            f"{path} has surrogate format version {version!r}, newer than this nasbench reads "
            f"({FORMAT_VERSION}); upgrade nasbench or re-fit the model with this version."
        )
    return doc


def load_model(directory) -> tuple[object, dict]:
    """Load a saved model and its metadata; checks each file's sha256. Needs no xgboost (an MLP
    ensemble needs torch to read its weights)."""
    from surrogates.mlp import MLP_FILE, MLP_KIND, MLPSurrogate

    directory = Path(directory)
    doc = read_metadata(directory)
    info = doc.get("model", {})
    if info.get("kind") == MLP_KIND:
        path = directory / MLP_FILE
        if not path.is_file():
            raise DataIntegrityError(f"{path} is missing; re-fit the surrogate.")
        return MLPSurrogate.from_bytes(path.read_bytes(), info, where=str(directory)), doc
    if info.get("kind") != "bagged_xgboost":
        raise DataIntegrityError(
            f"{directory}: unknown surrogate model kind {info.get('kind')!r}; expected 'bagged_xgboost' or "
            f"{MLP_KIND!r}."
        )
    blobs = []
    for entry in info["files"]:
        name, digest = entry["name"], entry["sha256"]
        path = directory / name
        if not path.is_file():
            raise DataIntegrityError(f"{path} is missing; re-fit the surrogate.")
        blob = path.read_bytes()
        if hashlib.sha256(blob).hexdigest() != digest:
            raise DataIntegrityError(f"{path} does not match its sha256 in {METADATA}; re-fit the surrogate.")
        blobs.append(blob)
    model = BaggedXGBSurrogate(params=info["params"], n_members=info["n_members"],
                               noise_std=info["noise_std"], seed=info["seed"])
    model._set_models(blobs, info["n_features"])
    return model, doc
