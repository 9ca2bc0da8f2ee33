"""Assemble the table ``nb201/digits`` from the finished chunks of a ``nasbench generate`` build folder.

Each trained NB201 isomorphism class is mapped to all its members
(:func:`nasbench.training.generate.class_to_members`), so the table covers all 15625 archs: per-epoch
curves (``train_loss``, ``train_acc``, ``valid_acc``, ``test_acc``; per seed and their mean),
``train_time_s``, and the static ``latency_ms_cpu``, ``params_m`` and ``flops_m``. The manifest
records the job, the versions, the machine, the split, the seed agreement over all classes and the
caller's ``extra_info`` (the recipe's pilot figures); the zero-cost proxies of a finished
``nasbench zc compute`` beside the build folder are added
(:func:`nasbench.training.proxies_job.assembled_zc`). The table is written with
:func:`tabular_data.store.write_table` (kill-safe: the previous table or the complete new one), and
the same chunks always give the same files on the same software. A DARTS build folder is handed to
:func:`nasbench.training.darts_generate.assemble_darts`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nasbench.provenance import machine, versions
from nasbench.training.generate import (CURVES, DEFAULT_TABLE, OVERWRITE_FLAG, check_destination, class_to_members,
                                        default_table, finished_summary, load_chunks, read_job)

__all__ = ["assemble"]

_UNITS = {"train_loss": "nats", "train_acc": "%", "valid_acc": "%", "test_acc": "%"}
_STATIC = {  # table metric: (chunk array, unit, description)
    "latency_ms_cpu": ("latency_ms", "ms", "median batch-1 inference latency (eval mode, 1 CPU thread) of the class "
                                           "representative on the generating machine, measured once per class"),
    "params_m": ("params_m", "M", "trainable parameters (millions), counted from the model"),
    "flops_m": ("flops_m", "M", "multiply-accumulates of one forward pass of one image (millions), counted from the "
                                "model"),
}


def _metrics(job, c: dict) -> dict:
    """The table's MetricData: curves per seed and epoch, training time per seed, static metrics."""
    from tabular_data.store import MetricData

    E = int(job.train["epochs"])
    seeds_txt = f"training seeds {list(job.seeds)}"
    desc = {
        "train_loss": "mean cross-entropy (nats) over the epoch's training mini-batches, measured during the epoch",
        "train_acc": "accuracy (%) on the epoch's training mini-batches, measured during the epoch",
        "valid_acc": f"accuracy (%) on the {job.split[1]} validation images after the epoch (BatchNorm statistics "
                     "recomputed from training images first)",
        "test_acc": f"accuracy (%) on the {job.split[2]} test images after the epoch (same protocol as valid_acc)",
    }
    metrics = {}
    for name in CURVES:
        seeds = class_to_members(c[name], c["class_id"])
        metrics[name] = MetricData(mean=seeds.mean(axis=1), seeds=seeds, fidelities=tuple(range(1, E + 1)),
                                   unit=_UNITS[name], description=desc[name], mean_over=seeds_txt,
                                   sources=("generate",))
    tt = class_to_members(c["train_time_s"][:, :, None], c["class_id"])
    metrics["train_time_s"] = MetricData(
        mean=tt.mean(axis=1), seeds=tt, fidelities=(E,), unit="s", mean_over=seeds_txt, sources=("generate",),
        description=f"wall-clock seconds of the {E} training epochs (evaluation excluded), 1 CPU thread, measured "
                    "on the generating machine for the class representative")
    for name, (key, unit, text) in _STATIC.items():
        metrics[name] = MetricData(mean=class_to_members(c[key][:, None], c["class_id"]), fidelities=(None,),
                                   unit=unit, description=text, fidelity_meaning="none (static)",
                                   mean_over="one measurement per class", sources=("generate",))
    return metrics


def _info(build: Path, job, *, n_members: int, command: str) -> dict:
    """The manifest's ``info``: provenance, split, recipe, protocol and the seed agreement."""
    from nasbench.training.data import load_digits

    data = load_digits(*job.split, split_seed=job.split_seed)
    info = {
        "dataset": "scikit-learn digits (1797 grey 8x8 images, 10 classes)",
        "made_by": command or "nasbench generate",
        "versions": versions("nasbench", "torch", "numpy", "scikit-learn", "python"),
        "machine": machine(),
        "split": data.info,
        "train_config": job.train_config().to_dict(),
        "seeds": list(job.seeds),
        "job": job.to_dict(),
        "protocol": (f"every NB201 isomorphism class ({len(job.classes)} classes) was trained once per seed "
                     f"(its representative, the smallest NB201 index in the class) and its results were mapped "
                     f"to all its members ({n_members} archs covered)"),
        "n_classes_trained": len(job.classes),
        "n_archs_covered": n_members,
    }
    if len(job.seeds) >= 2 and len(job.classes) >= 3:
        summary = finished_summary(build, job)
        info["seed_agreement_all_classes"] = {
            # the text names summarise's former module; kept so that re-assembly gives the shipped bytes
            "what": "final-epoch valid accuracy of every trained class, seed vs seed (nasbench.training.pilot.summarise)",
            **summary["valid"], "test_spearman_seeds": summary["test_spearman_seeds"],
            "train_time_s_median_per_run": summary["train_time_s_median"]}
    return info


def assemble(build, table=None, *, command: str = "", extra_info=None, overwrite: bool = False) -> Path:
    """Write the table of a finished build folder (classes mapped to all 15625 archs).

    Parameters
    ----------
    build : path
    table : path or None
        Destination; default :func:`~nasbench.training.generate.default_table`
        (``$NASBENCH_DATA/nb201/digits``), never the package's shipped table unless named
        explicitly (and then only with ``overwrite``).
    command : str
        The command that generated the chunks (recorded).
    extra_info : dict or None
        Merged into the manifest's ``info`` (e.g. the pilot figures).
    overwrite : bool, default False
        Replace an existing table; otherwise an existing one raises and is kept.

    Returns
    -------
    Path
        The table folder.
    """
    from tabular_data.store import write_table

    from nasbench.training.proxies_job import assembled_zc  # zc_* of a finished `nasbench zc compute` beside build

    build = Path(build)
    job = read_job(build)
    if job.space == "darts":
        from nasbench.training.darts_generate import assemble_darts

        return assemble_darts(build, job, table, command=command, extra_info=extra_info, overwrite=overwrite)
    table = default_table() if table is None else Path(table)
    check_destination(table, overwrite)
    metrics = _metrics(job, load_chunks(build, job))
    n_members = int((~np.isnan(metrics["valid_acc"].mean[:, -1])).sum())
    info = _info(build, job, n_members=n_members, command=command)
    if extra_info:
        info.update(extra_info)
    sources = {"generate": {"path": str(build.name), "provenance": "trained by nasbench generate",
                            "chunks": job.n_chunks}}
    zc = assembled_zc(build)
    metrics.update(zc["metrics"])
    sources.update(zc["sources"])
    info.update(zc["info"])
    return write_table(table, name=DEFAULT_TABLE, space="nb201", dataset="digits",
                       n_archs=len(metrics["train_time_s"].mean), metrics=metrics, sources=sources, info=info,
                       overwrite=overwrite, overwrite_flag=OVERWRITE_FLAG)
