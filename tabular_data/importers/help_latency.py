"""Import HELP's measured latencies of all NB201 archs on 27 device configurations.

HELP (Lee et al., NeurIPS 2021; repository ``HayeonLee/HELP``, MIT licence) ships one file per device
configuration, ``data/nasbench201/latency/<device>.pt``: a ``torch.save`` zip archive whose
``archive/data.pkl`` is a plain pickled Python list of 15625 latencies in milliseconds, indexed by the
NB201 index, plus ``str_arch2idx.pt`` (arch string -> NB201 index). The lists contain no tensors, so
they are read here without torch, through :mod:`tabular_data.safe_pickle`'s unpickler, which refuses
everything except plain lists, dicts, floats, ints and strings (a ``.pt`` file is a pickle and could
otherwise run code).

The derived ``help_nb201_latency_ms.csv`` (``arch_idx, arch_str`` then one column per device, the same
numbers) is accepted when the ``.pt`` originals are absent.

The result is one table, ``$NASBENCH_DATA/latency/nb201/help``, holding the metric ``latency_ms`` of
shape (15625, 27): its column axis is the **device** (the table format calls the column axis
"fidelities"; here its entries are device names, and the manifest says so). Nothing is imputed.

Caveats recorded in the manifest (see ``shared/data/README.md``):

* pixel3 and raspi4 (taken by HELP from HW-NAS-Bench) hold near-zero values (down to 0.003 ms) for
  archs whose cell output does not depend on its input: the compiled graph drops those cells;
* the four phones report integer milliseconds;
* HELP does not state the NB201 dataset (input size, classifier) the HW-NAS-Bench columns were
  measured for; HELP's NB201 experiments use CIFAR-100 (32x32 inputs).
"""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import numpy as np

from nasbench.errors import DataIntegrityError, MissingDataError
from nasbench.spaces.nb201 import N_ARCHS, _string_of_index
from tabular_data.importers._files import describe_source, find_files
from tabular_data.safe_pickle import MAX_PICKLE_BYTES, PLAIN, loads
from tabular_data.store import MetricData, write_table

__all__ = ["import_help_latency", "read_pt_list", "DEVICES", "TABLE_NAME", "table_path"]

TABLE_NAME = "latency/nb201/help"
HELP_COMMIT = "45f70eb92d0d735970a33b608d1544ad3c52f285"
CSV_NAME = "help_nb201_latency_ms.csv"
INDEX_NAME = "str_arch2idx.pt"
REFERENCE_NAME = "hardware_embedding_index.pt"

_GPU = "GPU {hw}, batch size {batch}, measured by HELP (PyTorch)"
_CPU = "Intel Xeon {hw} CPU, measured by HELP (PyTorch)"
_PHONE = "{hw} phone, measured by HELP; integer milliseconds"
_HWNAS = "{hw}, from HW-NAS-Bench (as shipped by HELP)"

# device name -> (hardware family, batch size or None, kind, description)
DEVICES: dict[str, dict] = {}
for _hw, _label in (("1080ti", "NVIDIA GTX 1080 Ti"), ("2080ti", "NVIDIA RTX 2080 Ti"),
                    ("titan_rtx", "NVIDIA Titan RTX"), ("titanx", "NVIDIA Titan X"),
                    ("titanxp", "NVIDIA Titan Xp")):
    for _batch in (1, 32, 256):
        DEVICES[f"{_hw}_{_batch}"] = {"hardware": _hw, "kind": "gpu", "batch_size": _batch,
                                      "resolution_ms": None,
                                      "about": _GPU.format(hw=_label, batch=_batch)}
for _hw, _label in (("gold_6226", "Gold 6226"), ("gold_6240", "Gold 6240"),
                    ("silver_4114", "Silver 4114"), ("silver_4210r", "Silver 4210R")):
    DEVICES[_hw] = {"hardware": _hw, "kind": "cpu", "batch_size": None, "resolution_ms": None,
                    "about": _CPU.format(hw=_label) + (
                        "; HELP's README describes this target as batch 256" if _hw == "gold_6226" else "")}
for _hw, _label in (("pixel2", "Google Pixel 2"), ("essential_ph_1", "Essential PH-1"),
                    ("samsung_a50", "Samsung Galaxy A50"), ("samsung_s7", "Samsung Galaxy S7")):
    DEVICES[_hw] = {"hardware": _hw, "kind": "phone", "batch_size": None, "resolution_ms": 1.0,
                    "about": _PHONE.format(hw=_label)}
for _hw, _label, _kind in (("pixel3", "Google Pixel 3 (TFLite)", "phone"),
                           ("raspi4", "Raspberry Pi 4 (TFLite)", "edge"),
                           ("eyeriss", "Eyeriss ASIC (estimated by a simulator, not measured)", "asic"),
                           ("fpga", "FPGA (estimated, not measured)", "fpga")):
    DEVICES[_hw] = {"hardware": _hw, "kind": _kind, "batch_size": None, "resolution_ms": None,
                    "about": _HWNAS.format(hw=_label) + (
                        "; near-zero values (down to ~0.003 ms) for archs whose cell output does not "
                        "depend on the input" if _hw in ("pixel3", "raspi4") else "")}
DEVICES = dict(sorted(DEVICES.items()))


def read_pt_list(path) -> object:
    """Read the plain Python object pickled in a ``torch.save`` zip archive, without torch.

    Parameters
    ----------
    path : path
        A ``.pt`` file written by ``torch.save`` of a list or dict of numbers / strings.

    Returns
    -------
    list or dict

    Raises
    ------
    DataIntegrityError
        The file is not a zip archive with one ``*/data.pkl``, or the pickle holds anything but plain
        containers and numbers.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.endswith("/data.pkl") or n == "data.pkl"]
            if len(names) != 1:
                raise DataIntegrityError(
                    f"{path}: expected a torch.save zip archive with one data.pkl; found {names or 'none'}. "
                    "Re-download the file from HELP's repository."
                )
            size = archive.getinfo(names[0]).file_size
            if size > MAX_PICKLE_BYTES:  # checked before inflating: a small archive can hold gigabytes
                raise DataIntegrityError(
                    f"{path}: expected a data.pkl of at most {MAX_PICKLE_BYTES} bytes; got {size} bytes. "
                    "Re-download the file from HELP's repository."
                )
            raw = archive.read(names[0])
    except zipfile.BadZipFile:
        raise DataIntegrityError(
            f"{path} is not a zip archive (torch.save format); re-download it from HELP's repository."
        ) from None
    except (zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError) as exc:  # e.g. an unknown compression
        raise DataIntegrityError(
            f"{path}: expected a readable torch.save zip archive; got one that fails ({' '.join(str(exc).split())}). "
            "Re-download it from HELP's repository."
        ) from None
    return loads(raw, PLAIN, where=f"{path}: data.pkl", expected="a plain list/dict of numbers",
                 hint="This is not HELP's latency file; re-download it from HELP's repository.")


def _as_latency_column(values, path) -> np.ndarray:
    if not isinstance(values, list) or len(values) != N_ARCHS:
        got = f"a list of {len(values)}" if isinstance(values, list) else type(values).__name__
        raise DataIntegrityError(f"{path}: expected a list of {N_ARCHS} latencies (one per NB201 index); got {got}.")
    if not all(type(v) in (int, float) for v in values):
        raise DataIntegrityError(f"{path}: the latency list holds values that are not numbers.")
    column = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(column)) or np.any(column <= 0):
        raise DataIntegrityError(f"{path}: latencies must be finite and positive; got min {np.nanmin(column)!r}.")
    return column


def _check_arch_index(path: Path) -> None:
    """HELP's ``str_arch2idx`` must map every arch string to the same index as our NB201 space."""
    mapping = read_pt_list(path)
    if not isinstance(mapping, dict) or len(mapping) != N_ARCHS:
        raise DataIntegrityError(f"{path}: expected a dict of {N_ARCHS} arch strings -> NB201 index.")
    reference = _string_of_index()
    for arch, index in mapping.items():
        if not isinstance(index, int) or not 0 <= index < N_ARCHS or reference[index] != arch:
            raise DataIntegrityError(
                f"{path}: HELP maps {arch!r} to index {index!r}, but NB201 index {index!r} is "
                f"{reference[index] if isinstance(index, int) and 0 <= index < N_ARCHS else 'out of range'}."
            )


def _read_originals(found: dict[str, Path]) -> dict[str, np.ndarray]:
    return {device: _as_latency_column(read_pt_list(found[f"{device}.pt"]), found[f"{device}.pt"])
            for device in DEVICES}


def _read_csv(path: Path) -> dict[str, np.ndarray]:
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        absent = [d for d in DEVICES if d not in header]
        if absent or header[:2] != ["arch_idx", "arch_str"]:
            raise DataIntegrityError(
                f"{path}: expected columns arch_idx, arch_str and the 27 HELP devices; missing "
                f"{', '.join(absent) or 'arch_idx/arch_str'}."
            )
        rows = list(reader)
    if len(rows) != N_ARCHS:
        raise DataIntegrityError(f"{path}: expected {N_ARCHS} rows (one per NB201 index); got {len(rows)}.")
    reference = _string_of_index()
    for i, row in enumerate(rows):
        if row["arch_idx"] != str(i) or row["arch_str"] != reference[i]:
            raise DataIntegrityError(
                f"{path}: row {i} is arch {row['arch_idx']} {row['arch_str']!r}; expected index {i} "
                f"{reference[i]!r}. This is not the expected HELP latency CSV."
            )
    out = {}
    for device in DEVICES:
        try:
            out[device] = _as_latency_column([float(r[device]) for r in rows], path)
        except ValueError:
            raise DataIntegrityError(f"{path}: column {device!r} holds a value that is not a number.") from None
    return out


def table_path(data_root) -> Path:
    """Where the HELP latency table lives under a data store."""
    return Path(data_root) / TABLE_NAME


def _read_sources(source_dir: Path, log):
    """(columns: device -> float64 (15625,), sources, reference_archs) from the originals, else the CSV."""
    wanted = {f"{d}.pt" for d in DEVICES} | {CSV_NAME, INDEX_NAME, REFERENCE_NAME}
    found = find_files(source_dir, wanted)
    originals = [f"{d}.pt" for d in DEVICES]
    have_pt = all(name in found for name in originals) and INDEX_NAME in found
    sources = {}
    if have_pt:
        log(f"reading HELP originals: {found[INDEX_NAME].parent}")
        _check_arch_index(found[INDEX_NAME])
        columns = _read_originals(found)
        sources["help_str_arch2idx"] = describe_source(
            found[INDEX_NAME], source_dir,
            f"HayeonLee/HELP@{HELP_COMMIT} data/nasbench201/str_arch2idx.pt (checked: same order as NB201)")
        for device in DEVICES:
            sources[f"help_{device}"] = describe_source(
                found[f"{device}.pt"], source_dir,
                f"HayeonLee/HELP@{HELP_COMMIT} data/nasbench201/latency/{device}.pt")
    elif CSV_NAME in found:
        present = sorted(n for n in originals if n in found)
        if present:
            log(f"only {len(present)} of 27 HELP .pt files found; reading {CSV_NAME} instead")
        log(f"reading {found[CSV_NAME]}")
        columns = _read_csv(found[CSV_NAME])
        sources["help_csv"] = describe_source(
            found[CSV_NAME], source_dir,
            f"derived CSV of HayeonLee/HELP@{HELP_COMMIT} data/nasbench201/latency/*.pt (same numbers)")
    else:
        missing = [n for n in originals + [INDEX_NAME] if n not in found]
        raise MissingDataError(
            f"no HELP latency data under {source_dir}: expected the 27 files <device>.pt with "
            f"{INDEX_NAME} (missing {len(missing)}, e.g. {missing[0]}) or {CSV_NAME}. Pass --from the folder "
            "holding them (for example ../shared/data/nb201_help_latency)."
        )
    reference_archs = None
    if REFERENCE_NAME in found:
        reference_archs = [int(i) for i in read_pt_list(found[REFERENCE_NAME])]
        sources["help_reference_archs"] = describe_source(
            found[REFERENCE_NAME], source_dir,
            f"HayeonLee/HELP@{HELP_COMMIT} data/nasbench201/hardware_embedding_index.pt")
    return columns, sources, reference_archs


def import_help_latency(source_dir, data_root, *, log=print) -> list[Path]:
    """Import HELP's NB201 latency files found under ``source_dir`` into ``data_root``.

    Parameters
    ----------
    source_dir : path
        A folder holding HELP's ``<device>.pt`` files and ``str_arch2idx.pt`` (the originals, preferred)
        or ``help_nb201_latency_ms.csv``, up to three folders deep.
    data_root : path
        The nasbench data store (``$NASBENCH_DATA``); the table is written to
        ``<data_root>/latency/nb201/help``.
    log : callable
        Receives one line per step.

    Returns
    -------
    list of Path
        The table folder written.

    Raises
    ------
    MissingDataError
        Neither all 27 ``.pt`` files (with ``str_arch2idx.pt``) nor the CSV is found.
    DataIntegrityError
        A file has the wrong shape, index order or content.
    """
    source_dir = Path(source_dir).expanduser()
    if not source_dir.is_dir():
        raise MissingDataError(
            f"--from must be a folder holding HELP's latency files; {source_dir} is not a folder."
        )
    columns, sources, reference_archs = _read_sources(source_dir, log)
    devices = tuple(DEVICES)
    mean = np.stack([columns[d] for d in devices], axis=1)
    metric = MetricData(
        mean=mean, fidelities=devices, unit="ms",
        description="inference latency (ms) of the NB201 network of each arch, one column per device "
                    "configuration, as HELP published it",
        fidelity_meaning="device configuration (a named axis: the column entries are device names, not "
                         "training budgets)",
        mean_over="as HELP reports it (one value per arch and device)",
        sources=tuple(sources),
    )
    from nasbench._version import __version__

    info = {
        "about": "Measured (GPUs, CPUs, phones, Raspberry Pi) or simulator-estimated (Eyeriss, FPGA) inference "
                 "latency of all 15625 NB201 archs on 27 device configurations, copied from HELP.",
        "axes": {"rows": "NB201 / NATS-tss index 0..15624", "columns": "device (see devices)"},
        "devices": DEVICES,
        "reference_archs": reference_archs,
        "reference_archs_about": "the 10 archs HELP measures to embed a new device",
        "caveats": [
            "pixel3 and raspi4 hold near-zero values (min 0.003 / 0.011 ms) for archs whose cell output does "
            "not depend on the input (degenerate cells); relative errors are reported only on non-degenerate archs",
            "essential_ph_1, pixel2, samsung_a50 and samsung_s7 are integer milliseconds",
            "HELP does not state which NB201 dataset (input size, classifier) the HW-NAS-Bench columns "
            "(pixel3, raspi4, eyeriss, fpga) use; HELP's NB201 experiments use CIFAR-100 (32x32 inputs)",
        ],
        "license": "MIT (HayeonLee/HELP)",
        "created_by": "nasbench data import help-latency --from DIR",
        "nasbench_version": __version__,
    }
    directory = write_table(table_path(data_root), name=TABLE_NAME, space="nb201", dataset="latency",
                            n_archs=N_ARCHS, metrics={"latency_ms": metric}, sources=sources, info=info)
    log(f"wrote {TABLE_NAME} ({len(devices)} devices x {N_ARCHS} archs, ms) to {directory}")
    return [directory]
