"""The on-disk table format: dense float64 arrays plus a JSON manifest. No pickles.

A table is a folder::

    manifest.json            names, units, fidelities, coverage, sources with sha256, file checksums
    <metric>.mean.npy        float64, shape (n_archs, n_fidelities): the mean over training seeds
    <metric>.seeds.npy       float64, shape (n_archs, n_seeds, n_fidelities): per-seed values (optional)

Rows are architecture indices of the table's search space (for NB201, the NB201 / NATS index).
Missing values are NaN and are counted in the manifest's coverage; nothing is imputed.
Arrays are memory-mapped on first use, after their sha256 is checked against the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nasbench.errors import DataIntegrityError, MissingDataError, UnknownNameError, choices_text

__all__ = ["FORMAT", "FORMAT_VERSION", "MetricData", "MetricInfo", "Table", "write_table", "sha256_file"]

FORMAT = "nasbench-table"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"


def sha256_file(path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class MetricData:
    """One metric to write into a table.

    Parameters
    ----------
    mean : ndarray of shape (n_archs, n_fidelities)
        Mean over training seeds (as the source reports it), NaN where missing.
    fidelities : tuple
        The fidelity of each column, e.g. ``(12, 200)``; ``(None,)`` for a metric that does not
        depend on fidelity (parameter count).
    unit : str
        ``"%"``, ``"s"``, ``"M"`` (millions) ...
    description : str
        What exactly was measured, on which split of which training run.
    seeds : ndarray of shape (n_archs, n_seeds, n_fidelities), optional
        Per-seed values, NaN where a seed is missing.
    fidelity_meaning : str
        What a fidelity value means for this metric.
    mean_over : str
        What the mean is taken over (``"all training seeds of NB201 v1.0"``).
    sources : tuple of str
        Keys of the table's sources the values come from.
    predicted_by : str or None
        None for measured values; otherwise the name of the model that predicted them.
    """

    mean: np.ndarray
    fidelities: tuple
    unit: str
    description: str
    seeds: np.ndarray | None = None
    fidelity_meaning: str = "training epochs"
    mean_over: str = "training seeds"
    sources: tuple = ()
    predicted_by: str | None = None


@dataclass(frozen=True)
class MetricInfo:
    """A metric as described by a table's manifest."""

    name: str
    unit: str
    description: str
    fidelities: tuple
    fidelity_meaning: str
    mean_over: str
    n_seeds: int
    coverage: tuple  # one dict per fidelity: {"fidelity", "n_archs_mean", "n_archs_seeds"}
    sources: tuple
    predicted_by: str | None = None
    files: dict = field(default_factory=dict, compare=False, repr=False)


def _coverage(values: np.ndarray, axis) -> list[int]:
    present = ~np.isnan(values)
    if values.ndim == 3:
        present = present.any(axis=1)
    return present.sum(axis=0).astype(int).tolist()


def _validate_metric(name: str, data: MetricData, n_archs: int) -> None:
    if not name.isidentifier():
        raise ValueError(f"metric names must be identifiers; got {name!r}")
    n_fid = len(data.fidelities)
    if data.mean.shape != (n_archs, n_fid):
        raise ValueError(f"{name}: mean must have shape {(n_archs, n_fid)}; got {data.mean.shape}")
    if data.seeds is not None and (data.seeds.ndim != 3 or data.seeds.shape[0] != n_archs or data.seeds.shape[2] != n_fid):
        raise ValueError(f"{name}: seeds must have shape ({n_archs}, n_seeds, {n_fid}); got {data.seeds.shape}")


def write_table(directory, *, name: str, space: str, dataset: str, n_archs: int,
                metrics: dict[str, MetricData], sources: dict[str, dict], info: dict) -> Path:
    """Write a table atomically: into a temporary folder first, then renamed into place.

    Parameters
    ----------
    directory : path
        Destination folder; replaced if it exists.
    sources : dict
        Source key -> ``{"path", "sha256", "bytes", "provenance", ...}``.
    info : dict
        Free-form facts shown by ``nasbench info`` (dataset semantics, how it was made, ...).
    """
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        entries = {}
        for metric, data in metrics.items():
            _validate_metric(metric, data, n_archs)
            files = {}
            arrays = {"mean": data.mean} if data.seeds is None else {"mean": data.mean, "seeds": data.seeds}
            for kind, array in arrays.items():
                fname = f"{metric}.{kind}.npy"
                np.save(tmp / fname, np.ascontiguousarray(array, dtype=np.float64))
                files[kind] = {"file": fname, "sha256": sha256_file(tmp / fname), "shape": list(array.shape)}
            mean_cov = _coverage(data.mean, 0)
            seed_cov = _coverage(data.seeds, 0) if data.seeds is not None else [0] * len(data.fidelities)
            entries[metric] = {
                "unit": data.unit,
                "description": data.description,
                "fidelities": list(data.fidelities),
                "fidelity_meaning": data.fidelity_meaning,
                "mean_over": data.mean_over,
                "n_seeds": 0 if data.seeds is None else int(data.seeds.shape[1]),
                "coverage": [
                    {"fidelity": f, "n_archs_mean": m, "n_archs_seeds": s}
                    for f, m, s in zip(data.fidelities, mean_cov, seed_cov)
                ],
                "sources": list(data.sources),
                "predicted_by": data.predicted_by,
                "files": files,
            }
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "name": name,
            "space": space,
            "dataset": dataset,
            "n_archs": n_archs,
            "info": info,
            "sources": sources,
            "metrics": entries,
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
        if directory.exists():
            old = directory.with_name(directory.name + f".old-{os.getpid()}")
            directory.rename(old)
            tmp.rename(directory)
            shutil.rmtree(old)
        else:
            tmp.rename(directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return directory


class Table:
    """A table opened from disk; arrays are memory-mapped lazily and checksum-verified once.

    Parameters
    ----------
    directory : path
        Folder holding ``manifest.json``.
    repair_hint : str
        What to tell the user when a file is missing or corrupt (e.g. the import command).
    """

    def __init__(self, directory, repair_hint: str = "re-create the table"):
        self.directory = Path(directory)
        self.repair_hint = repair_hint
        path = self.directory / MANIFEST
        if not path.is_file():
            raise MissingDataError(f"no table manifest at {path}; {repair_hint}.")
        try:
            manifest = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DataIntegrityError(f"the manifest {path} is not valid JSON ({exc}); {repair_hint}.") from None
        if manifest.get("format") != FORMAT:
            raise DataIntegrityError(
                f"{path} is not a nasbench table manifest (format {manifest.get('format')!r}, "
                f"expected {FORMAT!r}); {repair_hint}."
            )
        version = manifest.get("format_version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise DataIntegrityError(
                f"{path} has table format version {version!r}, but this nasbench reads versions up to "
                f"{FORMAT_VERSION}; upgrade nasbench (pip install -U nasbench) or {repair_hint}."
            )
        self.manifest = manifest
        self.name: str = manifest["name"]
        self.space: str = manifest["space"]
        self.dataset: str = manifest["dataset"]
        self.n_archs: int = int(manifest["n_archs"])
        self.metrics: dict[str, MetricInfo] = {
            m: MetricInfo(
                name=m,
                unit=e["unit"],
                description=e["description"],
                fidelities=tuple(e["fidelities"]),
                fidelity_meaning=e["fidelity_meaning"],
                mean_over=e["mean_over"],
                n_seeds=int(e["n_seeds"]),
                coverage=tuple(e["coverage"]),
                sources=tuple(e["sources"]),
                predicted_by=e.get("predicted_by"),
                files=e["files"],
            )
            for m, e in manifest["metrics"].items()
        }
        self._arrays: dict[tuple[str, str], np.ndarray] = {}

    def metric(self, name: str) -> MetricInfo:
        """The :class:`MetricInfo` of ``name``; a clear error lists the metrics when unknown."""
        try:
            return self.metrics[name]
        except KeyError:
            raise UnknownNameError(
                f"{self.name} has no metric {name!r}; expected one of {choices_text(self.metrics)}."
            ) from None

    def array(self, metric: str, kind: str = "mean") -> np.ndarray | None:
        """The ``kind`` ("mean" or "seeds") array of ``metric`` as a read-only ndarray, or None.

        Shapes: mean (n_archs, n_fidelities); seeds (n_archs, n_seeds, n_fidelities).
        """
        key = (metric, kind)
        if key not in self._arrays:
            entry = self.metric(metric).files.get(kind)
            self._arrays[key] = None if entry is None else self._open(entry)
        return self._arrays[key]

    def _open(self, entry: dict) -> np.ndarray:
        path = self.directory / entry["file"]
        if not path.is_file():
            raise DataIntegrityError(f"{self.name}: data file {path} is missing; {self.repair_hint}.")
        actual = sha256_file(path)
        if actual != entry["sha256"]:
            raise DataIntegrityError(
                f"{self.name}: data file {path} is corrupt (sha256 {actual[:12]}..., manifest says "
                f"{entry['sha256'][:12]}...); {self.repair_hint}."
            )
        array = np.load(path, mmap_mode="r", allow_pickle=False)
        if list(array.shape) != entry["shape"] or array.dtype != np.float64:
            raise DataIntegrityError(
                f"{self.name}: data file {path} has shape {array.shape} and dtype {array.dtype}, expected "
                f"{tuple(entry['shape'])} float64; {self.repair_hint}."
            )
        # A plain ndarray view of the memory map: indexing a np.memmap goes through Python code.
        return array.view(np.ndarray)

    def verify(self) -> list[str]:
        """Check every file's checksum now; return the files checked."""
        checked = []
        for metric, info in self.metrics.items():
            for kind in info.files:
                self._arrays[(metric, kind)] = self._open(info.files[kind])
                checked.append(info.files[kind]["file"])
        return checked
