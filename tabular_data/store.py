"""The on-disk table format: dense float64 arrays plus a JSON manifest. No pickles.

A table is a folder::

    manifest.json            names, units, fidelities, coverage, sources with sha256, file checksums
    manifest.sha256          the sha256 of manifest.json (``sha256sum -c`` format), written last
    <metric>.mean.npy        float64, shape (n_archs, n_fidelities): the mean over training seeds
    <metric>.seeds.npy       float64, shape (n_archs, n_seeds, n_fidelities): per-seed values (optional)

Rows are architecture indices of the table's search space (for NB201, the NB201 / NATS index).
Missing values are NaN and are counted in the manifest's coverage; nothing is imputed.
Arrays are memory-mapped on first use, after their sha256, dtype and shape are checked against the
manifest, whose own checksum and consistency are checked when the table is opened. Writing is
kill-safe and locked against concurrent writers (:mod:`tabular_data.atomic`).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nasbench.checks import is_int, is_number
from nasbench.errors import DataIntegrityError, MissingDataError, UnknownNameError, choices_text
from tabular_data.atomic import write_folder

__all__ = ["FORMAT", "FORMAT_VERSION", "MANIFEST", "MANIFEST_SHA256", "MetricData", "MetricInfo", "Table",
           "write_table", "write_manifest", "sha256_file"]

FORMAT = "nasbench-table"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MANIFEST_SHA256 = "manifest.sha256"  # sha256sum format: "<hex>  manifest.json"


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
    higher_is_better : bool or None
        The metric's direction; None leaves it to the unit and name (written to the manifest only when set).
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
    higher_is_better: bool | None = None


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
    higher_is_better: bool | None = None  # None: read from the unit and name (nasbench.benchmarks.base)


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


def _save_array(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as fh:
        np.save(fh, np.ascontiguousarray(array, dtype=np.float64), allow_pickle=False)


def _metric_entry(metric: str, data: MetricData, tmp: Path) -> dict:
    files = {}
    arrays = {"mean": data.mean} if data.seeds is None else {"mean": data.mean, "seeds": data.seeds}
    for kind, array in arrays.items():
        fname = f"{metric}.{kind}.npy"
        _save_array(tmp / fname, array)
        files[kind] = {"file": fname, "sha256": sha256_file(tmp / fname), "shape": list(array.shape)}
    mean_cov = _coverage(data.mean, 0)
    seed_cov = _coverage(data.seeds, 0) if data.seeds is not None else [0] * len(data.fidelities)
    direction = {} if data.higher_is_better is None else {"higher_is_better": bool(data.higher_is_better)}
    return {
        **direction,
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


def write_manifest(directory, manifest: dict) -> None:
    """Write ``manifest.json`` and, last, its checksum file ``manifest.sha256`` into ``directory``."""
    directory = Path(directory)
    blob = json.dumps(manifest, indent=1, sort_keys=True).encode()
    (directory / MANIFEST).write_bytes(blob)
    (directory / MANIFEST_SHA256).write_text(f"{hashlib.sha256(blob).hexdigest()}  {MANIFEST}\n")


def write_table(directory, *, name: str, space: str, dataset: str, n_archs: int,
                metrics: dict[str, MetricData], sources: dict[str, dict], info: dict,
                overwrite: bool = True, overwrite_flag: str = "overwrite=True") -> Path:
    """Write a table kill-safely: into a hidden temporary folder, then put in place in one step.

    Concurrent writers of one table wait for each other (a lock file beside it); a writer killed at
    any moment leaves the previous table or the complete new one (:mod:`tabular_data.atomic`).

    Parameters
    ----------
    directory : path
        Destination folder.
    sources : dict
        Source key -> ``{"path", "sha256", "bytes", "provenance", ...}``.
    info : dict
        Free-form facts shown by ``nasbench info`` (dataset semantics, how it was made, ...).
    overwrite : bool, default True
        Replace an existing table; when False an existing one raises
        :class:`tabular_data.atomic.FolderExistsError` and stays untouched.
    overwrite_flag : str
        How the caller's user asks for overwriting (e.g. ``"--overwrite"``), for that error.
    """
    directory = Path(directory)
    for metric, data in metrics.items():
        _validate_metric(metric, data, n_archs)

    def fill(tmp: Path) -> None:
        entries = {metric: _metric_entry(metric, data, tmp) for metric, data in metrics.items()}
        write_manifest(tmp, {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "name": name,
            "space": space,
            "dataset": dataset,
            "n_archs": n_archs,
            "info": info,
            "sources": sources,
            "metrics": entries,
        })

    return write_folder(directory, fill, overwrite=overwrite, what=f"the table {name}", flag=overwrite_flag)


_MAX_MANIFEST_BYTES = 16 << 20  # the largest real manifest is ~40 kB; refuse before reading more
_HEX = frozenset("0123456789abcdef")


def _manifest_digest(directory: Path, repair_hint: str) -> str:
    """The sha256 recorded in ``manifest.sha256``."""
    path = directory / MANIFEST_SHA256
    if not path.is_file():
        raise DataIntegrityError(
            f"{directory}: the table has no {MANIFEST_SHA256} (expected one beside {MANIFEST}, written by every "
            f"nasbench that checksums its manifests; this table was written by an older version or edited); "
            f"{repair_hint}."
        )
    text = path.read_text(errors="replace")[:200].split()
    digest = text[0].lower() if text else ""
    if len(digest) != 64 or not set(digest) <= _HEX:
        raise DataIntegrityError(
            f"{path} must hold the sha256 of {MANIFEST} (64 hex digits); got {' '.join(text)[:80]!r}; {repair_hint}."
        )
    return digest


class _Check:
    """Validation of a parsed manifest, raising one-line DataIntegrityErrors that name the field."""

    def __init__(self, path: Path, repair_hint: str):
        self.path, self.hint = path, repair_hint

    def fail(self, field: str, expected: str, got, *, text: str | None = None) -> None:
        raise DataIntegrityError(
            f"{self.path}: {field} must be {expected}; got {text or _short(got)}. The manifest is inconsistent; "
            f"{self.hint}."
        )

    def get(self, d: dict, key: str, where: str):
        if key not in d:
            self.fail(f"{where}{key}", "present", None, text="nothing (missing key)")
        return d[key]

    def str_(self, d, key, where="", optional=False):
        v = d.get(key) if optional else self.get(d, key, where)
        if not (isinstance(v, str) or (optional and v is None)):
            self.fail(f"{where}{key}", "a string" + (" or null" if optional else ""), v)
        return v

    def int_(self, d, key, where, low, high):
        v = self.get(d, key, where)
        if not is_int(v) or not low <= v <= high:
            self.fail(f"{where}{key}", f"an int in [{low}, {high}]", v)
        return v

    def type_(self, d, key, where, kind, name):
        v = self.get(d, key, where)
        if not isinstance(v, kind):
            self.fail(f"{where}{key}", name, v)
        return v


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _fidelity_ok(f) -> bool:
    return f is None or isinstance(f, str) or (is_number(f) and math.isfinite(f))


def _check_metric(check: _Check, name: str, e, n_archs: int) -> MetricInfo:
    """Validate one metric entry of a manifest against itself and ``n_archs``."""
    where = f"metrics.{name}."
    if not name.isidentifier():
        check.fail("a metric name", "an identifier", name)
    if not isinstance(e, dict):
        check.fail(f"metrics.{name}", "an object", e)
    fids = check.type_(e, "fidelities", where, list, "a non-empty list")
    if not fids or not all(_fidelity_ok(f) for f in fids) or (None in fids and len(fids) > 1) \
            or len({json.dumps(f) for f in fids}) != len(fids):
        check.fail(f"{where}fidelities", "a non-empty list of distinct numbers or names, or [null]", fids)
    n_seeds = check.int_(e, "n_seeds", where, 0, 1 << 20)
    coverage = check.type_(e, "coverage", where, list, "a list")
    if len(coverage) != len(fids) or any(
            not isinstance(c, dict) or json.dumps(c.get("fidelity")) != json.dumps(f)
            or any(isinstance(c.get(k), bool) or not isinstance(c.get(k), int) or not 0 <= c[k] <= n_archs
                   for k in ("n_archs_mean", "n_archs_seeds"))
            for c, f in zip(coverage, fids)):
        check.fail(f"{where}coverage", f"one {{fidelity, n_archs_mean, n_archs_seeds}} per fidelity, counts in "
                                       f"[0, {n_archs}]", coverage)
    files = check.type_(e, "files", where, dict, "an object")
    expected = {"mean": [n_archs, len(fids)]}
    if n_seeds or "seeds" in files:
        expected["seeds"] = [n_archs, n_seeds, len(fids)]
    if set(files) != set(expected):
        check.fail(f"{where}files", f"entries {sorted(expected)} (n_seeds={n_seeds})", sorted(files))
    for kind, shape in expected.items():
        entry = files[kind]
        fwhere = f"{where}files.{kind}."
        if not isinstance(entry, dict):
            check.fail(f"{where}files.{kind}", "an object", entry)
        if entry.get("file") != f"{name}.{kind}.npy":
            check.fail(f"{fwhere}file", repr(f"{name}.{kind}.npy"), entry.get("file"))
        digest = entry.get("sha256")
        if not isinstance(digest, str) or len(digest) != 64 or not set(digest) <= _HEX:
            check.fail(f"{fwhere}sha256", "64 hex digits", digest)
        if entry.get("shape") != shape:
            check.fail(f"{fwhere}shape", f"{shape} (n_archs, {'n_seeds, ' if kind == 'seeds' else ''}"
                                         f"n_fidelities={len(fids)})", entry.get("shape"))
    sources = check.type_(e, "sources", where, list, "a list of source names")
    if not all(isinstance(s, str) for s in sources):
        check.fail(f"{where}sources", "a list of source names", sources)
    direction = e.get("higher_is_better")
    if direction is not None and not isinstance(direction, bool):
        check.fail(f"{where}higher_is_better", "true, false or absent", direction)
    return MetricInfo(
        name=name,
        unit=check.str_(e, "unit", where),
        description=check.str_(e, "description", where),
        fidelities=tuple(fids),
        fidelity_meaning=check.str_(e, "fidelity_meaning", where),
        mean_over=check.str_(e, "mean_over", where),
        n_seeds=n_seeds,
        coverage=tuple(coverage),
        sources=tuple(sources),
        predicted_by=check.str_(e, "predicted_by", where, optional=True),
        files=files,
        higher_is_better=direction,
    )


class Table:
    """A table opened from disk; arrays are memory-mapped lazily and checksum-verified once.

    Opening checks the manifest against its checksum (``manifest.sha256``) and its own consistency
    (every array's recorded shape agrees with ``n_archs``, the fidelities and the seeds); opening an
    array checks its sha256, dtype and shape before it is mapped, so no lookup can index past an
    array or read another metric's values.

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
        size = path.stat().st_size
        if size > _MAX_MANIFEST_BYTES:
            raise DataIntegrityError(
                f"{path} is {size} bytes; a table manifest is expected below {_MAX_MANIFEST_BYTES} bytes; "
                f"{repair_hint}."
            )
        blob = path.read_bytes()
        try:
            manifest = json.loads(blob)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise DataIntegrityError(f"the manifest {path} is not valid JSON ({reason}); {repair_hint}.") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            got = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
            raise DataIntegrityError(
                f"{path} is not a nasbench table manifest (format {got!r}, expected {FORMAT!r}); {repair_hint}."
            )
        version = manifest.get("format_version")
        if not is_int(version) or version > FORMAT_VERSION:
            raise DataIntegrityError(
                f"{path} has table format version {version!r}, but this nasbench reads versions up to "
                f"{FORMAT_VERSION}; upgrade nasbench (pip install -U nasbench) or {repair_hint}."
            )
        self.manifest_sha256 = hashlib.sha256(blob).hexdigest()
        recorded = _manifest_digest(self.directory, repair_hint)
        if recorded != self.manifest_sha256:
            raise DataIntegrityError(
                f"{path} was modified: its sha256 is {self.manifest_sha256[:12]}..., {MANIFEST_SHA256} expects "
                f"{recorded[:12]}...; a manifest is never edited by hand: {repair_hint}."
            )
        check = _Check(path, repair_hint)
        self.manifest = manifest
        self.name: str = check.str_(manifest, "name")
        self.space: str = check.str_(manifest, "space")
        self.dataset: str = check.str_(manifest, "dataset")
        self.n_archs: int = check.int_(manifest, "n_archs", "", 1, 1 << 40)
        metrics = check.type_(manifest, "metrics", "", dict, "an object")
        self.metrics: dict[str, MetricInfo] = {m: _check_metric(check, m, e, self.n_archs) for m, e in metrics.items()}
        self._arrays: dict[tuple[str, str], np.ndarray] = {}

    def metric(self, name: str) -> MetricInfo:
        """The :class:`MetricInfo` of ``name``; a clear error lists the metrics when unknown."""
        try:
            return self.metrics[name]
        except (KeyError, TypeError):
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

    def _replaced(self) -> bool:
        """True when the manifest on disk is no longer the one this Table was opened with."""
        try:
            return sha256_file(self.directory / MANIFEST) != self.manifest_sha256
        except OSError:
            return True

    def _open(self, entry: dict) -> np.ndarray:
        path = self.directory / entry["file"]
        shape = tuple(entry["shape"])
        try:
            fh = open(path, "rb")
        except FileNotFoundError:
            raise DataIntegrityError(f"{self.name}: data file {path} is missing; {self.repair_hint}.") from None
        with fh:
            # hash, header check and memory map all read this one open file, so what is checked is
            # what is mapped even if the folder is replaced meanwhile
            digest = hashlib.sha256()
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
            actual = digest.hexdigest()
            if actual != entry["sha256"]:
                if self._replaced():
                    raise DataIntegrityError(
                        f"{self.name}: the table in {self.directory} was replaced while it was open "
                        f"(by an import or another writer); load it again."
                    )
                raise DataIntegrityError(
                    f"{self.name}: data file {path} is corrupt (sha256 {actual[:12]}..., manifest says "
                    f"{entry['sha256'][:12]}...); {self.repair_hint}."
                )
            fh.seek(0)
            try:
                version = np.lib.format.read_magic(fh)
                if version == (1, 0):
                    got_shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
                elif version == (2, 0):
                    got_shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
                else:
                    raise ValueError(f"unsupported .npy version {version}")
            except ValueError as exc:
                raise DataIntegrityError(
                    f"{self.name}: data file {path} is not a plain .npy array ({' '.join(str(exc).split())}); "
                    f"{self.repair_hint}."
                ) from None
            if got_shape != shape or fortran or dtype != np.dtype("<f8"):
                raise DataIntegrityError(
                    f"{self.name}: data file {path} has shape {got_shape} and dtype {dtype}"
                    f"{' (Fortran order)' if fortran else ''}, expected {shape} float64; {self.repair_hint}."
                )
            offset = fh.tell()
            n_bytes = 8 * int(np.prod(shape, dtype=np.int64))
            size = os.fstat(fh.fileno()).st_size
            if size != offset + n_bytes:
                raise DataIntegrityError(
                    f"{self.name}: data file {path} holds {size - offset} data bytes, expected {n_bytes} for shape "
                    f"{shape}; {self.repair_hint}."
                )
            if n_bytes == 0:
                array = np.zeros(shape, dtype=np.float64)
                array.flags.writeable = False
                return array
            array = np.memmap(fh, dtype=np.float64, mode="r", offset=offset, shape=shape)
        # A plain ndarray view of the memory map: indexing a np.memmap goes through Python code.
        return array.view(np.ndarray)

    def verify(self) -> list[str]:
        """Check the manifest's and every array's checksum now; return the files checked."""
        if self._replaced() or _manifest_digest(self.directory, self.repair_hint) != self.manifest_sha256:
            raise DataIntegrityError(
                f"{self.directory / MANIFEST} changed since the table was opened or does not match "
                f"{MANIFEST_SHA256}; {self.repair_hint}."
            )
        checked = [MANIFEST]
        for metric, info in self.metrics.items():
            for kind in info.files:
                self._arrays[(metric, kind)] = self._open(info.files[kind])
                checked.append(info.files[kind]["file"])
        return checked
