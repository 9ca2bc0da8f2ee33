"""Import TransNAS-Bench-101 **micro** (all 4096 cells x 7 tasks) into ``transnas-micro/TASK``.

Source: ``all_benchmarks_zen.zip`` from NASLib (``naslib/data/zc_benchmarks``), a zip of JSON lists
``zen/benchmark--transbench101_micro--TASK--START.json`` with records
``{"idx", "arch": "(a, b, c, d, e, f)", "zen": {"score", "time"}, "val_accuracy"}``.

What ``val_accuracy`` is: NASLib's ``TransBench101SearchSpaceMicro.query(Metric.VAL_ACCURACY)``,
which asks the TNB API's ``get_single_metric(arch, task, KEY)`` with its default ``mode="best"``,
the **largest value over the training epochs** of the task's validation metric ``KEY``:

================  ==================  =====================================================  =========
task              KEY (TNB)           meaning                                                our name
================  ==================  =====================================================  =========
class_scene       ``valid_top1``      top-1 accuracy (%), scene classification               valid_acc
class_object      ``valid_top1``      top-1 accuracy (%), object classification              valid_acc
jigsaw            ``valid_top1``      top-1 accuracy (%) of recognising which of 1000        valid_acc
                                      permutations shuffled the 9 tiles
room_layout       ``valid_neg_loss``  negative L2 loss of room-layout regression             valid_neg_l2_loss
segmentsemantic   ``valid_acc``       pixel-wise accuracy (%) of semantic segmentation       valid_pixel_acc
                                      (not the mIoU the TNB paper reports)
normal            ``valid_ssim``      SSIM of predicted vs true surface-normal images        valid_ssim
autoencoder       ``valid_ssim``      SSIM of reconstructed vs input images                  valid_ssim
================  ==================  =====================================================  =========

All are higher-is-better (set explicitly: ``valid_neg_l2_loss`` contains "loss" but is negated).
``zen.score`` becomes ``zc_zen`` (Zen-NAS zero-cost score; NASLib writes -1e8 where the score is
undefined: the cell's output does not depend on its input. Those stay NaN, counted in the coverage)
and ``zen.time`` ``zc_zen_time_s`` (seconds NASLib took to compute it).
"""

from __future__ import annotations

import ast
import json
import re
import zipfile
from pathlib import Path

import numpy as np

from nasbench.errors import DataIntegrityError, MissingDataError
from nasbench.spaces.transnas_micro import N_ARCHS, TNBMicroArch
from tabular_data.importers._files import describe_source, find_files
from tabular_data.store import MetricData, write_table

__all__ = ["import_transnas_micro", "read_zen_zip", "TASKS", "SOURCE_FILE", "ZEN_UNDEFINED"]

SOURCE_FILE = "all_benchmarks_zen.zip"
PROVENANCE = ("automl/NASLib naslib/data/zc_benchmarks/all_benchmarks_zen.zip (commit 7a5496e2): TransNAS-Bench-101 "
              "micro, NASLib's query of each task's best-epoch validation metric and the Zen-NAS score")
ZEN_UNDEFINED = -1e8  # NASLib's value for a proxy it could not compute
_MAX_MEMBER_BYTES = 16 << 20  # the real members are ~150 kB
_MEMBER = re.compile(r"^(?:.*/)?benchmark--transbench101_micro--([a-z_]+)--(\d+)\.json$")

# task -> (metric, unit, TNB key, description)
TASKS = {
    "class_scene": ("valid_acc", "%", "valid_top1",
                    "top-1 accuracy (%) on the validation split of Taskonomy scene classification"),
    "class_object": ("valid_acc", "%", "valid_top1",
                     "top-1 accuracy (%) on the validation split of Taskonomy object classification"),
    "jigsaw": ("valid_acc", "%", "valid_top1",
               "top-1 accuracy (%) on the validation split of the jigsaw task: which of 1000 permutations "
               "shuffled the 9 tiles of an image"),
    "room_layout": ("valid_neg_l2_loss", "", "valid_neg_loss",
                    "negative L2 loss (higher is better, 0 is perfect) of room-layout regression on the "
                    "validation split"),
    "segmentsemantic": ("valid_pixel_acc", "%", "valid_acc",
                        "pixel-wise accuracy (%) of semantic segmentation on the validation split (TNB's "
                        "'acc'; the TNB paper reports mIoU, which this file does not hold)"),
    "normal": ("valid_ssim", "", "valid_ssim",
               "SSIM (0-1) between predicted and true surface-normal images on the validation split"),
    "autoencoder": ("valid_ssim", "", "valid_ssim",
                    "SSIM (0-1) between reconstructed and input images on the validation split"),
}


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> list:
    if info.file_size > _MAX_MEMBER_BYTES:
        raise DataIntegrityError(
            f"{path}: member {info.filename} unpacks to {info.file_size} bytes, expected below {_MAX_MEMBER_BYTES}; "
            "this is not NASLib's all_benchmarks_zen.zip, re-download it."
        )
    try:
        records = json.loads(zf.read(info).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
        raise DataIntegrityError(f"{path}: member {info.filename} is not valid JSON ({exc}).") from None
    if not isinstance(records, list):
        raise DataIntegrityError(f"{path}: member {info.filename} must hold a list of records; got "
                                 f"{type(records).__name__}.")
    return records


def _record_values(rec, where: str) -> tuple[int, float, float, float]:
    try:
        arch = TNBMicroArch.from_naslib(ast.literal_eval(str(rec["arch"])))
        return arch.index, float(rec["val_accuracy"]), float(rec["zen"]["score"]), float(rec["zen"]["time"])
    except (KeyError, TypeError, ValueError, SyntaxError) as exc:
        raise DataIntegrityError(f"{where}: record {str(rec)[:80]} lacks arch, val_accuracy or zen "
                                 f"score/time ({type(exc).__name__}: {exc}).") from None


def read_zen_zip(path) -> dict[str, dict[str, np.ndarray]]:
    """Read the zip into ``task -> {"val", "zen", "zen_time"}``, float64 arrays of shape (4096,) by index.

    Every task must hold each of the 4096 cells exactly once; -1e8 Zen scores become NaN.
    """
    path = Path(path)
    out = {t: {k: np.full(N_ARCHS, np.nan) for k in ("val", "zen", "zen_time")} for t in TASKS}
    seen = {t: np.zeros(N_ARCHS, dtype=bool) for t in TASKS}
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataIntegrityError(f"{path} is not a readable zip ({exc}); re-download NASLib's {SOURCE_FILE}.") from None
    with zf:
        for info in zf.infolist():
            match = _MEMBER.match(info.filename)
            if match is None or match.group(1) not in TASKS:
                continue
            task = match.group(1)
            for rec in _read_member(zf, info, path):
                i, val, zen, zen_time = _record_values(rec, f"{path}:{info.filename}")
                if seen[task][i]:
                    raise DataIntegrityError(f"{path}: task {task} lists arch {TNBMicroArch.from_index(i).string} "
                                             "twice; re-download the file.")
                seen[task][i] = True
                out[task]["val"][i] = val
                out[task]["zen"][i] = np.nan if zen == ZEN_UNDEFINED else zen
                out[task]["zen_time"][i] = zen_time
    for task, mask in seen.items():
        if not mask.all():
            raise DataIntegrityError(
                f"{path}: task {task} covers {int(mask.sum())} of {N_ARCHS} cells; expected all of them. "
                f"Re-download NASLib's {SOURCE_FILE}."
            )
    return out


def _metrics(task: str, values: dict) -> dict[str, MetricData]:
    metric, unit, key, text = TASKS[task]
    static = dict(fidelities=(None,), sources=("naslib_zen",))
    proxy = "none: computed once at initialisation, no training"
    return {
        metric: MetricData(
            mean=values["val"][:, None], unit=unit, higher_is_better=True,
            fidelity_meaning="none: one value per arch (the best epoch of TNB's one training run)",
            description=f"{text}; the largest value over the training epochs (TNB API mode='best' of "
                        f"'{key}'), as NASLib queried it", mean_over="one training run per arch (TNB)", **static),
        "zc_zen": MetricData(
            mean=values["zen"][:, None], unit="score", higher_is_better=True,
            description="Zen-NAS zero-cost proxy score at initialisation, computed by NASLib (NaN where NASLib "
                        "records -1e8: undefined, the cell's output does not depend on its input)",
            mean_over="one computation per arch", fidelity_meaning=proxy, **static),
        "zc_zen_time_s": MetricData(
            mean=values["zen_time"][:, None], unit="s", higher_is_better=False,
            description="seconds NASLib took to compute the Zen-NAS score", mean_over="one computation per arch",
            fidelity_meaning=proxy, **static),
    }


def import_transnas_micro(source_dir, data_root, *, log=print) -> list[Path]:
    """Import the 7 TNB micro tasks found under ``source_dir`` into ``data_root``/transnas-micro/TASK.

    Parameters
    ----------
    source_dir : path
        Folder holding ``all_benchmarks_zen.zip`` (up to three folders deep).
    data_root : path
        The nasbench data store.
    log : callable

    Returns
    -------
    The 7 table folders written.
    """
    source_dir = Path(source_dir).expanduser()
    if not source_dir.is_dir():
        raise MissingDataError(f"--from must be a folder holding {SOURCE_FILE}; {source_dir} is not a folder.")
    found = find_files(source_dir, {SOURCE_FILE})
    if SOURCE_FILE not in found:
        raise MissingDataError(
            f"{SOURCE_FILE} not found under {source_dir} (searched 3 levels deep); pass --from the folder holding "
            "NASLib's TransNAS-Bench-101 Zen file (for example ../shared/data)."
        )
    path = found[SOURCE_FILE]
    log(f"reading {path}")
    data = read_zen_zip(path)
    source = {"naslib_zen": describe_source(path, source_dir, PROVENANCE)}
    from nasbench._version import __version__

    written = []
    for task in TASKS:
        metric = TASKS[task][0]
        info = {
            "about": f"TransNAS-Bench-101 micro (cell-level) space on the Taskonomy task {task}: every value "
                     "copied from NASLib's file; one value per arch, no seeds, no learning curves, no train times.",
            "search_metric": f"{metric} ({TASKS[task][3]}); higher is better",
            "no_test_split": "the file holds validation values only: a search reports the same metric it "
                             "searches (no held-out test value is available)",
            "cost": "no training times in the source: every evaluation costs 1 simulated second (unit_cost)",
            "arch_index": "odometer index of the 6 TNB op codes (first edge most significant), 0..4095",
            "arch_string": "64-41414-{a}_{bc}_{def} (TNB); NASLib tuple (a, b, c, d, e, f), same codes",
            "zc_zen_undefined": int(np.isnan(data[task]["zen"]).sum()),
            "created_by": "nasbench data import transnas-micro --from DIR",
            "nasbench_version": __version__,
        }
        directory = write_table(Path(data_root) / "transnas-micro" / task, name=f"transnas-micro/{task}",
                                space="transnas-micro", dataset=task, n_archs=N_ARCHS,
                                metrics=_metrics(task, data[task]), sources=source, info=info)
        written.append(directory)
        log(f"wrote transnas-micro/{task} to {directory} ({metric}, zc_zen, zc_zen_time_s; "
            f"{info['zc_zen_undefined']} undefined Zen scores kept NaN)")
    return written
