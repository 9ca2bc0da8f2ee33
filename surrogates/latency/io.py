"""Saving latency models as ``metadata.json`` plus ``state.npz`` (arrays only, no pickles)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from nasbench.checks import is_int
from nasbench.errors import DataIntegrityError, MissingDataError, UnknownNameError
from nasbench.provenance import versions
from tabular_data.atomic import write_folder
from tabular_data.store import sha256_file

__all__ = ["save_latency_model", "load_latency_model", "FORMAT"]

FORMAT = "nasbench-latency-model"
FORMAT_VERSION = 1


def _kinds() -> dict:
    from surrogates.latency.adapt import CrossDeviceLatencyModel
    from surrogates.latency.additive import AdditiveLatencyModel
    from surrogates.latency.interaction import InteractionLatencyModel
    from surrogates.latency.prior import HierarchicalLatencyModel

    return {cls.kind: cls for cls in (AdditiveLatencyModel, InteractionLatencyModel, CrossDeviceLatencyModel,
                                      HierarchicalLatencyModel)}


def save_latency_model(model, directory, metadata: dict | None = None) -> Path:
    """Write ``model`` into the folder ``directory`` (replaced in one step if present: kill-safe and
    locked, :mod:`tabular_data.atomic`).

    Parameters
    ----------
    model : a fitted latency model of :mod:`surrogates.latency`
    metadata : dict, optional
        JSON-serialisable facts (space, device, training archs' checksum, seed, scores).
    """
    made_with = versions("nasbench", "numpy")
    params, arrays = model.get_state()

    def fill(tmp: Path) -> None:
        with open(tmp / "state.npz", "wb") as fh:
            np.savez(fh, **{k: np.asarray(v, dtype=np.float64) for k, v in arrays.items()})
        meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": model.kind, "params": params,
                "state_sha256": sha256_file(tmp / "state.npz"), "nasbench_version": made_with["nasbench"],
                "numpy_version": made_with["numpy"], "metadata": metadata or {}}
        (tmp / "metadata.json").write_text(json.dumps(meta, indent=1, sort_keys=True))

    return write_folder(Path(directory), fill, what="the latency model")


_MAX_STATE_BYTES = 1 << 30  # uncompressed; the largest real state (factors of 15625 archs) is ~1 MB


def _read_state(state: Path) -> dict:
    """The arrays of ``state.npz``: sizes checked before inflating, no pickles, one-line errors."""
    bad = "re-save the model (nasbench latency fit --save DIR)"
    try:
        with zipfile.ZipFile(state) as archive:
            total = sum(info.file_size for info in archive.infolist())
        if total > _MAX_STATE_BYTES:
            raise DataIntegrityError(f"{state}: expected at most {_MAX_STATE_BYTES} bytes of arrays; got {total}; {bad}.")
        with np.load(state, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as exc:
        if isinstance(exc, DataIntegrityError):
            raise
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        raise DataIntegrityError(f"{state}: expected an .npz of plain float arrays; got one that fails ({reason}); "
                                 f"{bad}.") from None


def load_latency_model(directory):
    """Load a model written by :func:`save_latency_model`; returns ``(model, metadata)``.

    The state's sha256 must match, its arrays are read without pickles, and every field the model is
    built from is validated (:mod:`surrogates.latency.checks`) before it can predict.
    """
    directory = Path(directory)
    path = directory / "metadata.json"
    if not path.is_file():
        raise MissingDataError(f"no latency model at {directory} (metadata.json missing); fit one with `nasbench latency fit --save DIR`.")
    try:
        meta = json.loads(path.read_text())
    except (ValueError, RecursionError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise DataIntegrityError(f"{path} is not valid JSON ({reason}); re-save the model.") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or not is_int(meta.get("format_version")) \
            or meta["format_version"] > FORMAT_VERSION:
        got = (meta.get("format"), meta.get("format_version")) if isinstance(meta, dict) else (None, None)
        raise DataIntegrityError(
            f"{path} is not a nasbench latency model this version reads (format {got[0]!r} "
            f"version {got[1]!r}; expected {FORMAT!r} <= {FORMAT_VERSION}); re-save the model."
        )
    kinds = _kinds()
    if meta.get("kind") not in kinds:
        raise UnknownNameError(f"{path}: unknown latency model kind {meta.get('kind')!r}; expected one of {sorted(kinds)}.")
    state = directory / "state.npz"
    if not state.is_file() or sha256_file(state) != meta.get("state_sha256"):
        raise DataIntegrityError(f"{state} is missing or does not match its sha256 in metadata.json; re-save the model.")
    params = meta.get("params")
    if not isinstance(params, dict):
        raise DataIntegrityError(f"{path}: expected a 'params' object; got {type(params).__name__}; re-save the model.")
    return kinds[meta["kind"]].from_state(params, _read_state(state)), meta.get("metadata", {})
