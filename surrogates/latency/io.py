"""Saving latency models as ``metadata.json`` plus ``state.npz`` (arrays only, no pickles)."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

from nasbench.errors import DataIntegrityError, MissingDataError, UnknownNameError
from tabular_data.store import sha256_file

__all__ = ["save_latency_model", "load_latency_model", "FORMAT"]

FORMAT = "nasbench-latency-model"
FORMAT_VERSION = 1


def _kinds() -> dict:
    from surrogates.latency.adapt import CrossDeviceLatencyModel
    from surrogates.latency.additive import AdditiveLatencyModel
    from surrogates.latency.interaction import InteractionLatencyModel

    return {cls.kind: cls for cls in (AdditiveLatencyModel, InteractionLatencyModel, CrossDeviceLatencyModel)}


def save_latency_model(model, directory, metadata: dict | None = None) -> Path:
    """Write ``model`` into the folder ``directory`` (replaced if present).

    Parameters
    ----------
    model : a fitted latency model of :mod:`surrogates.latency`
    metadata : dict, optional
        JSON-serialisable facts (space, device, training archs' checksum, seed, scores).
    """
    from nasbench._version import __version__

    params, arrays = model.get_state()
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        np.savez(tmp / "state.npz", **{k: np.asarray(v, dtype=np.float64) for k, v in arrays.items()})
        meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": model.kind, "params": params,
                "state_sha256": sha256_file(tmp / "state.npz"), "nasbench_version": __version__,
                "numpy_version": np.__version__, "metadata": metadata or {}}
        (tmp / "metadata.json").write_text(json.dumps(meta, indent=1, sort_keys=True))
        if directory.exists():
            shutil.rmtree(directory)
        tmp.rename(directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return directory


def load_latency_model(directory):
    """Load a model written by :func:`save_latency_model`; returns ``(model, metadata)``."""
    directory = Path(directory)
    path = directory / "metadata.json"
    if not path.is_file():
        raise MissingDataError(f"no latency model at {directory} (metadata.json missing); fit one with `nasbench latency fit --save DIR`.")
    try:
        meta = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise DataIntegrityError(f"{path} is not valid JSON ({exc}); re-save the model.") from None
    if meta.get("format") != FORMAT or not isinstance(meta.get("format_version"), int) \
            or meta["format_version"] > FORMAT_VERSION:
        raise DataIntegrityError(
            f"{path} is not a nasbench latency model this version reads (format {meta.get('format')!r} "
            f"version {meta.get('format_version')!r}; expected {FORMAT!r} <= {FORMAT_VERSION}); re-save the model."
        )
    kinds = _kinds()
    if meta.get("kind") not in kinds:
        raise UnknownNameError(f"{path}: unknown latency model kind {meta.get('kind')!r}; expected one of {sorted(kinds)}.")
    state = directory / "state.npz"
    if not state.is_file() or sha256_file(state) != meta.get("state_sha256"):
        raise DataIntegrityError(f"{state} is missing or does not match its sha256 in metadata.json; re-save the model.")
    with np.load(state, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    return kinds[meta["kind"]].from_state(meta["params"], arrays), meta["metadata"]
