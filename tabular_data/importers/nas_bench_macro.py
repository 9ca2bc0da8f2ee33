"""Import NAS-Bench-Macro (all 6561 archs, 3 training seeds each) into ``macro/cifar10``.

Source: ``nas-bench-macro_cifar10.json`` from xiusu/NAS-Bench-Macro (``data/``), a dict
``{arch: {"test_acc": [3 floats], "mean_acc", "std", "params", "flops"}}`` with ``arch`` an 8-character
string over {0, 1, 2} (see :mod:`nasbench.spaces.macro`).

Metrics:

* ``test_acc`` (%): CIFAR-10 test accuracy; the 3 independent trainings are the table's seeds (so
  seeded queries and noisy evaluations draw one of them) and the mean is the file's ``mean_acc``.
* ``params_m`` (M): the file's ``params`` / 1e6; ``flops_m`` (MFLOPs): its ``flops`` / 1e6.

There is **no validation split**: the benchmark reports test accuracy only. A search on
``macro/cifar10`` must select on ``test_acc`` (``--search-metric test_acc``), so it chooses archs by
the same numbers it reports: the incumbent's reported accuracy is an optimistic (selection-biased)
estimate, and a comparison of strategies measures how fast they find archs with high test
accuracy, not how well a pick generalises. With noisy evaluations (the default) a search sees one
seed's accuracy and reports the 3-seed mean, which lessens but does not remove that bias.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from nasbench.errors import DataIntegrityError, InvalidArchError, MissingDataError
from nasbench.spaces.macro import N_ARCHS, MacroArch
from tabular_data.importers._files import describe_source, find_files
from tabular_data.store import MetricData, write_table

__all__ = ["import_nas_bench_macro", "read_macro_json", "SOURCE_FILE", "N_SEEDS"]

SOURCE_FILE = "nas-bench-macro_cifar10.json"
PROVENANCE = ("xiusu/NAS-Bench-Macro data/nas-bench-macro_cifar10.json (commit 61a2bfc2): CIFAR-10 test accuracy "
              "of 3 independent trainings, params and FLOPs of every arch")
N_SEEDS = 3
_MAX_BYTES = 64 << 20  # the published file is 1.2 MB


def read_macro_json(path) -> dict[str, np.ndarray]:
    """Read the file into arrays by arch index: ``seeds`` (6561, 3), ``mean``, ``params``, ``flops`` (6561,)."""
    path = Path(path)
    size = path.stat().st_size
    if size > _MAX_BYTES:
        raise DataIntegrityError(f"{path} is {size} bytes; NAS-Bench-Macro's file is about 1.2 MB (limit {_MAX_BYTES}); "
                                 "re-download it.")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataIntegrityError(f"{path} is not valid JSON ({exc}); re-download {SOURCE_FILE}.") from None
    if not isinstance(doc, dict) or len(doc) != N_ARCHS:
        raise DataIntegrityError(f"{path}: expected a dict of {N_ARCHS} archs; got "
                                 f"{len(doc) if isinstance(doc, dict) else type(doc).__name__}.")
    out = {"seeds": np.full((N_ARCHS, N_SEEDS), np.nan), **{k: np.full(N_ARCHS, np.nan)
                                                            for k in ("mean", "params", "flops")}}
    seen = np.zeros(N_ARCHS, dtype=bool)
    for key, rec in doc.items():
        try:
            i = MacroArch.from_string(key).index
            accs = [float(v) for v in rec["test_acc"]]
            if len(accs) != N_SEEDS:
                raise ValueError(f"{len(accs)} test accuracies, expected {N_SEEDS}")
            out["seeds"][i] = accs
            out["mean"][i] = float(rec["mean_acc"])
            out["params"][i] = float(int(rec["params"]))
            out["flops"][i] = float(int(rec["flops"]))
        except (InvalidArchError, KeyError, TypeError, ValueError) as exc:
            raise DataIntegrityError(f"{path}: entry {key!r} is not in NAS-Bench-Macro's format ({exc}).") from None
        seen[i] = True
    if not seen.all():  # 6561 distinct valid keys cover the space; kept as a guard on the parser
        raise DataIntegrityError(f"{path}: covers {int(seen.sum())} of {N_ARCHS} archs.")
    # mean_acc must be the mean of the 3 runs; otherwise the seeds and the mean would disagree
    gap = np.abs(out["seeds"].mean(axis=1) - out["mean"])
    if gap.max() > 1e-6:
        raise DataIntegrityError(f"{path}: mean_acc differs from the mean of test_acc by up to {gap.max():.3g}; "
                                 "re-download the file.")
    return out


def import_nas_bench_macro(source_dir, data_root, *, log=print) -> list[Path]:
    """Import ``nas-bench-macro_cifar10.json`` found under ``source_dir`` into ``data_root``/macro/cifar10."""
    source_dir = Path(source_dir).expanduser()
    if not source_dir.is_dir():
        raise MissingDataError(f"--from must be a folder holding {SOURCE_FILE}; {source_dir} is not a folder.")
    found = find_files(source_dir, {SOURCE_FILE})
    if SOURCE_FILE not in found:
        raise MissingDataError(f"{SOURCE_FILE} not found under {source_dir} (searched 3 levels deep); pass --from "
                               "the folder holding NAS-Bench-Macro's data (for example ../shared/data).")
    path = found[SOURCE_FILE]
    log(f"reading {path}")
    data = read_macro_json(path)
    static = dict(fidelities=(None,), fidelity_meaning="none: the benchmark's one training schedule",
                  sources=("macro",))
    metrics = {
        "test_acc": MetricData(
            mean=data["mean"][:, None], seeds=data["seeds"][:, :, None], unit="%", higher_is_better=True,
            description="top-1 accuracy (%) on the 10k CIFAR-10 test images after the benchmark's training; "
                        "there is no validation split",
            mean_over="the 3 independent trainings of the source (its mean_acc)", **static),
        "params_m": MetricData(
            mean=(data["params"] / 1e6)[:, None], unit="M", higher_is_better=False,
            description="parameters (millions): the source's params / 1e6", mean_over="not applicable", **static),
        "flops_m": MetricData(
            mean=(data["flops"] / 1e6)[:, None], unit="MFLOPs", higher_is_better=False,
            description="FLOPs (millions) as the source's flops field counts them, / 1e6",
            mean_over="not applicable", **static),
    }
    from nasbench._version import __version__

    info = {
        "about": "NAS-Bench-Macro on CIFAR-10: 8 searchable layers x {identity, MBv2 k3 e3, MBv2 k5 e6}; every "
                 "value copied from the public file.",
        "no_validation_split": "only test accuracy exists: search with --search-metric test_acc; the search then "
                               "selects on the numbers it reports, so the incumbent's accuracy is optimistically "
                               "biased and a comparison measures how fast strategies find high test accuracy",
        "seeds": "3 independent trainings per arch: seeded queries and noisy evaluations draw one of them",
        "cost": "no training times in the source: every evaluation costs 1 simulated second (unit_cost)",
        "arch_index": "base-3 number of the 8-character arch string (first layer most significant), 0..6560",
        "created_by": "nasbench data import nas-bench-macro --from DIR",
        "nasbench_version": __version__,
    }
    directory = write_table(Path(data_root) / "macro" / "cifar10", name="macro/cifar10", space="macro",
                            dataset="cifar10", n_archs=N_ARCHS, metrics=metrics,
                            sources={"macro": describe_source(path, source_dir, PROVENANCE)}, info=info)
    log(f"wrote macro/cifar10 to {directory} (test_acc with 3 seeds, params_m, flops_m; {N_ARCHS} archs)")
    return [directory]
