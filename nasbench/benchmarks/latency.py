"""Per-device latency tables: ``latency_ms`` of every arch, with the device as a named axis.

Latency tables live under ``$NASBENCH_DATA/latency/<space>/<source>/`` in the ordinary table format
(:mod:`tabular_data.store`): one metric ``latency_ms`` of shape (n_archs, n_devices), in milliseconds,
whose column entries are device names. Sources:

``help``
    HELP's 27 device configurations (``nasbench data import help-latency --from DIR``), measured
    (GPUs, CPUs, phones, Raspberry Pi) or simulator-estimated (Eyeriss, FPGA).
``measured``
    Devices measured on the machine at hand (``nasbench latency measure``); only the measured archs
    have values, the others are NaN.
``predicted``
    Devices whose latencies were predicted by a latency model (``nasbench latency adapt --save-as``);
    each such device names its model in ``predicted_by``.

A device name is unique across sources. Queries go through :class:`LatencyTables`, or through a
tabular benchmark: ``nasbench.load("nb201/cifar10").query(archs, "latency_ms", device="pixel3")``.

:class:`~nasbench.benchmarks.latency_benchmark.LatencyBenchmark` serves the tables as a benchmark
(``nb201/cifar10@latency``, metrics ``latency_ms@DEVICE``).

Examples
--------
>>> tables = load_latency("nb201")                                    # doctest: +SKIP
>>> tables.query([6111, 0], device="1080ti_1")                        # doctest: +SKIP
array([14.26..., 10.75...])
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nasbench.errors import (
    DataIntegrityError,
    InvalidArchError,
    MissingDataError,
    MissingValueError,
    UnknownNameError,
    choices_text,
)
from nasbench.paths import data_root

__all__ = [
    "METRIC",
    "SOURCES",
    "DeviceInfo",
    "LatencyTables",
    "load_latency",
    "query_latency",
    "save_device",
    "latency_dir",
    "LATENCY_DATASETS",
]

METRIC = "latency_ms"
SOURCES = ("help", "measured", "predicted")
_IMPORT_HINT = "nasbench data import help-latency --from DIR"
# NB201 datasets whose network the latency tables describe: HELP's columns are for 32x32 inputs
# (CIFAR-sized); CIFAR-10 and CIFAR-100 networks differ only in the classifier width.
LATENCY_DATASETS = {"nb201": ("cifar10", "cifar100")}


@dataclass(frozen=True)
class DeviceInfo:
    """What a latency column is.

    Attributes
    ----------
    name : str
        Device name, e.g. ``"pixel3"``, ``"1080ti_32"``.
    source : str
        The table it lives in (``help``, ``measured``, ``predicted``).
    kind : str
        ``gpu``, ``cpu``, ``phone``, ``edge``, ``asic``, ``fpga``.
    batch_size : int or None
        None where the source does not say.
    resolution_ms : float or None
        Measurement resolution (1.0 for integer-ms phones), None when finer than 1 us.
    about : str
        Free text: hardware, framework, how it was measured.
    predicted_by : str or None
        None for measured values; the model's name for predicted ones.
    n_archs : int
        How many archs have a value.
    """

    name: str
    source: str
    kind: str
    batch_size: int | None
    resolution_ms: float | None
    about: str
    predicted_by: str | None
    n_archs: int


def latency_dir(space: str = "nb201", source: str = "help", root=None) -> Path:
    """Folder of one latency table under the data store (``root`` defaults to ``$NASBENCH_DATA``)."""
    return Path(root if root is not None else data_root()) / "latency" / space / source


class LatencyTables:
    """Every latency table of one search space, merged by device name.

    Parameters
    ----------
    space : str
        Search space name (``"nb201"``).
    root : path, optional
        Data store; defaults to ``$NASBENCH_DATA``.

    Raises
    ------
    MissingDataError
        No latency table is stored for ``space``.
    DataIntegrityError
        Two tables define the same device.
    """

    def __init__(self, space: str = "nb201", root=None):
        from nasbench.spaces import get_space
        from tabular_data.store import Table

        self.space_name = space
        self.space = get_space(space)
        self.root = Path(root if root is not None else data_root())
        self._columns: dict[str, tuple] = {}  # device -> (Table, column index)
        self._info: dict[str, DeviceInfo] = {}
        self.tables = {}
        for source in SOURCES:
            directory = latency_dir(space, source, self.root)
            if not (directory / "manifest.json").is_file():
                continue
            hint = f"re-create it with `{_IMPORT_HINT}`" if source == "help" else "re-create it"
            table = Table(directory, repair_hint=hint)
            self.tables[source] = table
            self._add(table, source)
        if not self._columns:
            raise MissingDataError(
                f"no latency table for {space} under {self.root / 'latency' / space} ($NASBENCH_DATA); run "
                f"`{_IMPORT_HINT}` with DIR holding HELP's files (for example ../shared/data)."
            )
        self.n_archs = next(iter(self.tables.values())).n_archs

    def _add(self, table, source: str) -> None:
        info = table.metric(METRIC)
        described = table.manifest.get("info", {}).get("devices", {})
        for col, device in enumerate(info.fidelities):
            if device in self._columns:
                raise DataIntegrityError(
                    f"device {device!r} is defined twice (in {self._info[device].source} and {source}); "
                    f"remove it from {table.directory} or re-create that table."
                )
            meta = described.get(device, {})
            self._columns[device] = (table, col)
            self._info[device] = DeviceInfo(
                name=device, source=source, kind=meta.get("kind", "unknown"),
                batch_size=meta.get("batch_size"), resolution_ms=meta.get("resolution_ms"),
                about=meta.get("about", ""), predicted_by=meta.get("predicted_by", info.predicted_by),
                n_archs=int(info.coverage[col]["n_archs_mean"]),
            )

    @property
    def devices(self) -> tuple[str, ...]:
        """Every device name, sorted within each source (help first)."""
        return tuple(self._columns)

    def info(self, device: str) -> DeviceInfo:
        """The :class:`DeviceInfo` of ``device``."""
        self._check_device(device)
        return self._info[device]

    def _check_device(self, device) -> None:
        if device is None:
            raise UnknownNameError(
                f"latency_ms needs a device; pass device= one of {choices_text(self.devices)}."
            )
        if not isinstance(device, str) or device not in self._columns:
            raise UnknownNameError(
                f"unknown latency device {device!r}; expected one of {choices_text(self.devices)}."
            )

    def column(self, device: str) -> np.ndarray:
        """Latency (ms) of every arch on ``device``: read-only float64 of shape (n_archs,), NaN where absent."""
        self._check_device(device)
        table, col = self._columns[device]
        return table.array(METRIC, "mean")[:, col]

    def matrix(self, devices=None) -> tuple[np.ndarray, tuple[str, ...]]:
        """Latencies of every arch on several devices.

        Parameters
        ----------
        devices : sequence of str, optional
            Defaults to every device.

        Returns
        -------
        values : ndarray of float64, shape (n_archs, n_devices)
            In ms, NaN where a device has no value for an arch.
        devices : tuple of str
            The column order.
        """
        names = self.devices if devices is None else tuple(devices)
        return np.stack([self.column(d) for d in names], axis=1), names

    def query(self, archs, device: str, *, missing: str = "raise"):
        """Latency (ms) of ``archs`` on ``device``.

        Parameters
        ----------
        archs : arch or sequence of archs
            NB201 indices, arch strings or NB201Arch values.
        device : str
            One of :attr:`devices`.
        missing : {"raise", "nan"}
            What to do for an arch the device has no value for (measured devices cover few archs).

        Returns
        -------
        numpy.float64 for one arch, else ndarray of float64 with shape (n,).
        """
        if missing not in ("raise", "nan"):
            raise UnknownNameError(f"missing must be one of 'raise', 'nan'; got {missing!r}.")
        column = self.column(device)
        if type(archs) is int and 0 <= archs < column.shape[0]:  # fast path for one arch index
            value = column[archs]
            if value == value:
                return value
        idx, scalar = self.space.to_indices(archs)
        bad = (idx < 0) | (idx >= column.shape[0])
        if bad.any():
            pos = int(np.argmax(bad))
            raise InvalidArchError(
                f"arch indices of {self.space_name} must be in [0, {column.shape[0] - 1}]; got {idx[pos]} "
                f"at position {pos}."
            )
        out = column[idx].copy()
        if missing == "raise" and np.isnan(out).any():
            pos = int(np.argmax(np.isnan(out)))
            info = self._info[device]
            raise MissingValueError(
                f"device {device!r} has no latency for arch {int(idx[pos])} ({int(np.isnan(out).sum())} of "
                f"{out.shape[0]} queried archs missing; it covers {info.n_archs} of {column.shape[0]}). "
                "Nothing is imputed: measure them with `nasbench latency measure`, or pass missing='nan'."
            )
        return out[0] if scalar else out

    def describe(self) -> list[dict]:
        """One dict per device (name, source, kind, batch size, resolution, coverage, provenance)."""
        return [vars(self._info[d]) | {"median_ms": float(np.nanmedian(self.column(d)))} for d in self.devices]


_CACHE: dict = {}
# How long an opened set of tables is trusted before its manifests' mtimes are checked again: a
# device stored by another process (``nasbench latency measure``) shows up within this time.
_RECHECK_S = 1.0


def load_latency(space: str = "nb201", root=None) -> LatencyTables:
    """Open the latency tables of ``space`` (cached while their manifests are unchanged)."""
    import time

    root = Path(root if root is not None else data_root())
    key = (space, str(root))
    now = time.monotonic()
    cached = _CACHE.get(key)
    if cached is not None and now - cached[2] < _RECHECK_S:
        return cached[1]
    stamp = []
    for source in SOURCES:
        manifest = latency_dir(space, source, root) / "manifest.json"
        stamp.append(manifest.stat().st_mtime_ns if manifest.is_file() else None)
    if cached is not None and cached[0] == stamp:
        _CACHE[key] = (stamp, cached[1], now)
        return cached[1]
    tables = LatencyTables(space, root)
    _CACHE[key] = (stamp, tables, now)
    return tables


def query_latency(bench, archs, metric: str = METRIC, fidelity=None, seed=None, *, device=None,
                  missing: str = "raise"):
    """``latency_ms`` for a tabular benchmark's archs: what ``bench.query(..., "latency_ms", device=)`` calls.

    The latency tables describe the CIFAR-sized (32x32 input) NB201 network, so they answer for
    nb201/cifar10 and nb201/cifar100 only. Latency depends on neither fidelity nor training seed.
    """
    if metric != METRIC:
        raise UnknownNameError(
            f"device= applies only to the metric {METRIC!r}; got metric={metric!r} with device={device!r}. "
            "Drop device= for training metrics."
        )
    if fidelity is not None or seed is not None:
        raise UnknownNameError(
            f"{METRIC} depends on neither fidelity nor training seed; got fidelity={fidelity!r}, seed={seed!r}. "
            "Pass neither (the device is chosen with device=)."
        )
    space = getattr(bench.space, "name", None)
    dataset = getattr(getattr(bench, "table", None), "dataset", None)
    allowed = LATENCY_DATASETS.get(space, ())
    if dataset not in allowed:
        raise MissingDataError(
            f"{bench.name} has no latency_ms: the latency tables hold the CIFAR-sized (32x32 input) NB201 "
            f"network, which matches {choices_text(f'{space}/{d}' for d in allowed) or 'no dataset of this space'}; "
            "query one of those instead."
        )
    return load_latency(space).query(archs, device, missing=missing)


def save_device(name: str, values, *, space: str = "nb201", source: str = "measured", kind: str = "unknown",
                batch_size=None, about: str = "", predicted_by=None, provenance: dict | None = None,
                root=None, replace: bool = False) -> Path:
    """Store one device's latencies (ms) as a column of the ``measured`` or ``predicted`` table.

    Parameters
    ----------
    name : str
        New device name (letters, digits, ``_``, ``-``); must not clash with another source's device.
    values : array-like of shape (n_archs,)
        Latency in ms per arch index, NaN where not measured.
    source : {"measured", "predicted"}
    predicted_by : str, optional
        Required for ``source="predicted"``: the model that made the values.
    provenance : dict, optional
        Free facts stored with the device (machine, torch version, repeats, ...).
    replace : bool
        Overwrite an existing device of the same name in the same table.

    Returns
    -------
    Path of the table folder.
    """
    from nasbench.spaces import get_space
    from tabular_data.atomic import lock

    if source not in ("measured", "predicted"):
        raise UnknownNameError(f"source must be 'measured' or 'predicted'; got {source!r}.")
    if source == "predicted" and not predicted_by:
        raise UnknownNameError("a predicted device needs predicted_by= naming the model that made it.")
    if not isinstance(name, str) or not name or not all(c.isalnum() or c in "_-" for c in name):
        raise UnknownNameError(f"device names use letters, digits, '_' and '-'; got {name!r}.")
    n_archs = get_space(space).n_archs
    values = np.asarray(values, dtype=np.float64)
    if values.shape != (n_archs,):
        raise InvalidArchError(f"values must have shape ({n_archs},), one per arch index; got {values.shape}.")
    from surrogates.latency.checks import check_latency_column

    check_latency_column(values, what=f"latencies of device {name!r}")
    root = Path(root if root is not None else data_root())
    # One writer of a space's latency tables at a time: the table is read, extended and rewritten,
    # and device names must stay unique across sources, so the whole step is one critical section.
    with lock(latency_dir(space, source, root).parent / "save-device"):
        return _save_device_locked(name, values, space, source, kind, batch_size, about, predicted_by,
                                   provenance, root, replace, n_archs)


def _save_device_locked(name, values, space, source, kind, batch_size, about, predicted_by, provenance, root,
                        replace, n_archs) -> Path:
    """The read-extend-write step of :func:`save_device`, under its lock."""
    from nasbench._version import __version__
    from tabular_data.store import MetricData, Table, write_table

    try:
        existing = LatencyTables(space, root)
    except MissingDataError:
        existing = None
    if existing is not None and name in existing.devices:
        owner = existing.info(name).source
        if owner != source or not replace:
            raise UnknownNameError(
                f"device {name!r} already exists (in the {owner} table); choose another name"
                + (" or pass replace=True (--replace)." if owner == source else ".")
            )
    directory = latency_dir(space, source, root)
    columns, described = {}, {}
    if (directory / "manifest.json").is_file():
        table = Table(directory)
        for col, device in enumerate(table.metric(METRIC).fidelities):
            columns[device] = np.array(table.array(METRIC, "mean")[:, col])
        described = dict(table.manifest.get("info", {}).get("devices", {}))
    columns[name] = values
    described[name] = {"kind": kind, "batch_size": batch_size, "resolution_ms": None, "about": about,
                       "predicted_by": predicted_by, "provenance": provenance or {}}
    devices = tuple(sorted(columns))
    metric = MetricData(
        mean=np.stack([columns[d] for d in devices], axis=1), fidelities=devices, unit="ms",
        description=("inference latency (ms) measured on this machine by `nasbench latency measure`"
                     if source == "measured" else
                     "inference latency (ms) predicted by a latency model (see each device's predicted_by)"),
        fidelity_meaning="device configuration (a named axis: the column entries are device names)",
        mean_over="median over timed repeats" if source == "measured" else "not applicable (predicted)",
        predicted_by=None if source == "measured" else "per device (see info.devices)",
    )
    for key in [k for k in _CACHE if k[0] == space]:  # this process sees the new device at once
        del _CACHE[key]
    info = {"about": f"latency table of {source} devices", "axes": {"rows": "arch index", "columns": "device"},
            "devices": {d: described[d] for d in devices}, "nasbench_version": __version__}
    return write_table(directory, name=f"latency/{space}/{source}", space=space, dataset="latency",
                       n_archs=n_archs, metrics={METRIC: metric}, sources={}, info=json.loads(json.dumps(info)))
