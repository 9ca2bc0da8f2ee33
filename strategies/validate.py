"""Validate the picks of a search with real training and on-device latency.

:func:`picks_from_run` takes the best distinct archs a ``compare`` run ended with (final incumbents of
all runs, ranked by the benchmark's predicted report metric); :func:`validate` trains each of them
for real with the PyTorch backend (:func:`nasbench.training.trainer.train_arch`; CUDA when present,
else CPU) on digits or on CIFAR-10 python batches from a user folder, re-measures the batch-1
latency on the device at hand, and :func:`write_report` writes the report. The latency compared is
that of the network the benchmark's own latency describes: for ``nb201/digits`` picks retrained as
the table was made, the trained network itself (C=8, N=2, 1x8x8 input) against the table's
``latency_ms_cpu``; otherwise NB201's CIFAR network (C=16, N=5, 3x32x32 input), the network the
latency tables describe. The report files (:mod:`strategies.validate_report`) are:

``validate.csv`` / ``validate.md``
    per arch: predicted vs measured accuracy and latency, absolute errors, ranks.
``validate.json``
    the same plus the summary (Kendall tau, mean and max absolute errors), configs and devices.
``validate_scatter.png``
    predicted vs measured accuracy and latency with the line y = x (``nasbench[report]``; skipped
    with a note without matplotlib).

Predicted and measured values need not share a scale: the table may hold CIFAR-10 accuracy after
200 epochs while the training runs a few epochs on digits, and the latency table's device is not this
machine. Kendall tau (rank agreement) is the figure to read then; absolute errors are reported
as they are.

Training jobs (:mod:`strategies.validate_jobs`) are independent tasks, run by an
:mod:`strategies.executors` executor (local processes or Ray, one GPU per job where the cluster has
GPUs); results do not depend on it. :class:`~strategies.validate_config.ValidateConfig` says how
they train.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nasbench.checks import check_int
from nasbench.timing import Stopwatch
from nasbench.errors import MissingDataError, NasbenchError, UnknownNameError, choices_text
from strategies.validate_config import NB201_CIFAR_NETWORK, ValidateConfig, default_latency_device

__all__ = ["picks_from_run", "validate"]


# ---------------------------------------------------------------- picks
def picks_from_run(run_dir, top_k: int = 3) -> dict:
    """The ``top_k`` best distinct final picks of a ``compare`` run.

    Every (strategy, seed) run ends with an incumbent arch (``summary.csv``); distinct incumbents
    are ranked by the benchmark's report value (highest first), then by how many runs picked them,
    then by index.

    Parameters
    ----------
    run_dir : str or os.PathLike
        Folder written by ``nasbench compare --out``.
    top_k : int, default 3

    Returns
    -------
    dict
        ``benchmark`` (name), ``objective`` (the run's objective dict), ``archs`` (list of NB201
        indices, best first), ``picked_by`` (index -> sorted strategy names).

    Raises
    ------
    MissingDataError
        If ``run_dir`` holds no compare run.
    DataIntegrityError
        If it is not one finished run: half-written, files of two runs mixed, or edited
        (:func:`strategies._outdir.finished_compare_run`).
    NasbenchError
        If ``top_k`` is not an int >= 1.
    """
    import pandas as pd

    top_k = check_int("top_k", top_k, 1, hint="Pass for example --top 3.")
    from strategies._outdir import finished_compare_run

    run = Path(run_dir)
    # one finished run only: its manifest, written last, lists every output with its sha256
    manifest = finished_compare_run(run)
    if "summary.csv" not in manifest["outputs"]:
        raise MissingDataError(f"RUN_DIR {run} lists no summary.csv in its manifest; it is not a compare run "
                               "validate can read. Create one with `nasbench compare NAME --out DIR`.")
    summary = pd.read_csv(run / "summary.csv")
    groups = {}
    for row in summary.itertuples():
        g = groups.setdefault(int(row.final_incumbent_index), {"report": float(row.final_report), "by": set(), "n": 0})
        g["by"].add(str(row.strategy))
        g["n"] += 1
    order = sorted(groups, key=lambda a: (-groups[a]["report"], -groups[a]["n"], a))[:top_k]
    return {"benchmark": manifest["config"]["benchmark"], "objective": manifest["config"].get("objective") or {},
            "archs": order, "picked_by": {a: sorted(groups[a]["by"]) for a in order},
            "n_runs": {a: groups[a]["n"] for a in order}}


# ---------------------------------------------------------------- validation
def _predicted_latency(archs, device_name):
    try:
        from nasbench.benchmarks.latency import load_latency

        tables = load_latency("nb201")
        if device_name not in tables.devices:
            raise UnknownNameError(
                f"unknown latency device {device_name!r}; expected one of {choices_text(tables.devices)}."
            )
        return np.asarray(tables.query(list(archs), device_name, missing="nan"), dtype=np.float64), None
    except MissingDataError as exc:
        return np.full(len(archs), np.nan), f"no predicted latency: {exc}"


def validate(archs, benchmark: str, config: ValidateConfig = ValidateConfig(), *, objective: dict | None = None,
             executor=None, picked_by: dict | None = None, progress=None) -> dict:
    """Train ``archs`` for real, re-measure their latency and compare with the benchmark's predictions.

    Parameters
    ----------
    archs : sequence of int or str
        NB201 indices or arch strings (at least one).
    benchmark : str
        Benchmark that predicted the accuracy (e.g. ``nb201/cifar10``, ``nb201/digits``).
    config : ValidateConfig
    objective : dict, optional
        ``report_metric`` / ``report_fidelity`` of the prediction (default ``test_acc`` at the
        highest fidelity).
    executor : strategies.executors.Executor, optional
        Runs the training jobs (default: serially in this process).
    picked_by : dict, optional
        Arch index -> strategies that picked it (shown in the report).
    progress : callable(str) or None

    Returns
    -------
    dict
        ``rows`` (one dict per arch), ``summary``, ``config``, ``benchmark``, ``runs`` (one dict per
        training job), ``notes``.

    Raises
    ------
    NasbenchError
        If ``archs`` is empty or repeats an arch; InvalidArchError for an arch that is not NB201.
    """
    import nasbench

    if not isinstance(config, ValidateConfig):
        raise NasbenchError(f"config must be a ValidateConfig; got {type(config).__name__}.")
    arch_values = _arch_values(archs)
    idx = [a.index for a in arch_values]
    say = progress or (lambda line: None)
    bench = nasbench.load(benchmark)
    pred = _predictions(bench, benchmark, idx, objective or {}, config)
    clock = Stopwatch()
    runs = _train_and_time(idx, config, pred["network"], executor, say)
    wall = clock.wall_s
    rows = _rows(arch_values, runs, pred, picked_by or {})
    summary = _summary(rows, benchmark, config, pred, wall)
    notes = pred["notes"] + _tau_notes(rows)
    return {"benchmark": benchmark, "config": config.to_dict(), "summary": summary, "rows": rows,
            "runs": runs, "notes": notes}


def _arch_values(archs) -> list:
    """NB201 archs of ``archs`` (indices, strings or archs), at least one, all distinct."""
    from nasbench.spaces.nb201 import NB201Arch

    values = [a if isinstance(a, NB201Arch) else
              NB201Arch.from_string(a) if isinstance(a, str) else NB201Arch.from_index(int(a)) for a in archs]
    if not values:
        raise NasbenchError("validate needs at least one arch; got none. Pass archs or a compare run with --top K.")
    idx = [a.index for a in values]
    if len(set(idx)) != len(idx):
        raise NasbenchError(f"archs must be distinct; got the NB201 indices {idx}.")
    return values


def _predictions(bench, benchmark: str, idx: list, objective: dict, config: ValidateConfig) -> dict:
    """What the benchmark predicts for the archs ``idx``, and which network's latency is compared.

    Returns ``acc`` and ``latency`` (float64 arrays of shape (n_archs,); NaN where missing), the
    ``metric`` and ``fidelity`` of the accuracy, ``latency_source`` (words), ``network``
    (``(C, N, input_shape)`` to time) and ``notes``.
    """
    from strategies.executors import cuda_available
    from strategies.validate_jobs import own_latency_network

    metric = objective.get("report_metric") or "test_acc"
    fidelity = objective.get("report_fidelity")
    fidelity = bench.default_fidelity(metric) if fidelity is None else fidelity
    acc = np.asarray(bench.query(idx, metric, fidelity, missing="nan"), dtype=np.float64)
    notes = []
    own_network = own_latency_network(bench, config)
    if own_network is not None:
        latency = np.asarray(bench.query(idx, "latency_ms_cpu", missing="nan"), dtype=np.float64)
        source = f"{benchmark} latency_ms_cpu (the same network, timed on the machine that made the table)"
    elif "latency_ms" in getattr(bench, "metrics", {}):
        latency = np.asarray(bench.query(idx, "latency_ms", missing="nan"), dtype=np.float64)
        source = f"{benchmark} latency_ms"
    else:
        device = config.latency_device or default_latency_device(cuda_available() and config.device != "cpu")
        latency, note = _predicted_latency(idx, device)
        source = f"latency table, device {device}"
        if note:
            notes.append(note)
    return {"acc": acc, "latency": latency, "metric": metric, "fidelity": fidelity, "latency_source": source,
            "network": own_network or NB201_CIFAR_NETWORK, "notes": notes}


def _train_and_time(idx: list, config: ValidateConfig, network, executor, say) -> list[dict]:
    """Run every (arch, training seed) job on ``executor``; time each network here when the driver times."""
    from nasbench.rng import child_int_seeds
    from strategies.executors import LocalExecutor
    from strategies.validate_jobs import latency_ms_here, train_task

    seeds = child_int_seeds(config.seed, config.n_seeds)
    tasks = [{"arch_index": a, "seed": s, "config": config.to_dict(), "latency_network": network}
             for a in idx for s in seeds]
    say(f"training {len(idx)} archs x {len(seeds)} seeds on {config.dataset} for {config.epochs} epochs")
    runs = (executor or LocalExecutor(1)).map(train_task, tasks)
    if config.latency_where == "driver":
        say(f"timing {len(idx)} networks here, one at a time")
        here = {a: latency_ms_here(a, config, network) for a in idx}
        for r in runs:
            r["latency_ms"] = here[r["arch_index"]]
    return runs


def _rows(arch_values, runs, pred: dict, picked_by: dict) -> list[dict]:
    """One row per arch: predicted and measured accuracy (mean over seeds) and latency (median), errors, ranks."""
    rows = []
    for k, a in enumerate(arch_values):
        mine = [r for r in runs if r["arch_index"] == a.index]
        acc = float(np.mean([r["test_acc"] for r in mine]))
        lat = float(np.median([r["latency_ms"] for r in mine]))
        p_acc, p_lat = float(pred["acc"][k]), float(pred["latency"][k])
        rows.append({
            "arch_index": a.index, "arch": a.string, "picked_by": " ".join(picked_by.get(a.index, [])),
            "predicted_acc": p_acc, "measured_acc": acc,
            "measured_acc_sd": float(np.std([r["test_acc"] for r in mine], ddof=1)) if len(mine) > 1 else float("nan"),
            "abs_err_acc": abs(acc - p_acc),
            "predicted_latency_ms": p_lat, "measured_latency_ms": lat, "abs_err_latency_ms": abs(lat - p_lat),
            "measured_valid_acc": float(np.mean([r["valid_acc"] for r in mine])),
            "train_time_s": float(np.mean([r["train_time_s"] for r in mine])),
            "params_m": mine[0]["params_m"], "flops_m": mine[0]["flops_m"],
            "latency_trained_ms": float(np.median([r["latency_trained_ms"] for r in mine])),
            "device": mine[0]["device"],
        })
    for key, col in (("predicted_rank", "predicted_acc"), ("measured_rank", "measured_acc")):
        order = sorted(range(len(rows)), key=lambda i: (-rows[i][col], rows[i]["arch_index"]))
        for rank, i in enumerate(order, start=1):
            rows[i][key] = rank
    return rows


def _summary(rows, benchmark: str, config: ValidateConfig, pred: dict, wall: float) -> dict:
    """Kendall tau and absolute errors over the archs, and what each side of the comparison is."""
    network = pred["network"]
    split = "" if config.split is None else " (split %d/%d/%d)" % config.split
    epochs = f"{config.epochs} epoch{'s' if config.epochs != 1 else ''}"
    where = "validate process after training" if config.latency_where == "driver" else "training job"
    return {
        "n_archs": len(rows), "n_seeds": config.n_seeds,
        "kendall_tau_acc": _tau([r["predicted_acc"] for r in rows], [r["measured_acc"] for r in rows]),
        "kendall_tau_latency": _tau([r["predicted_latency_ms"] for r in rows], [r["measured_latency_ms"] for r in rows]),
        "mae_acc": _mean([r["abs_err_acc"] for r in rows]), "max_abs_err_acc": _max([r["abs_err_acc"] for r in rows]),
        "mae_latency_ms": _mean([r["abs_err_latency_ms"] for r in rows]),
        "max_abs_err_latency_ms": _max([r["abs_err_latency_ms"] for r in rows]),
        "predicted_acc": f"{benchmark} {pred['metric']} at fidelity {pred['fidelity']}",
        "measured_acc": f"test_acc after {epochs} on {config.dataset}{split} (C={config.network[0]}, "
                        f"N={config.network[1]}, lr {config.lr}), mean over {config.n_seeds} seed(s)",
        "predicted_latency": pred["latency_source"],
        "measured_latency": f"median batch-1 latency of the NB201 C={network[0]}, N={network[1]} network at "
                            f"{'x'.join(map(str, network[2]))} on {rows[0]['device']}, 1 thread, timed in the {where}",
        "wall_time_s": round(wall, 3),
    }


def _tau_notes(rows) -> list[str]:
    """Why a Kendall tau is NaN: fewer than 2 archs, or one side gives every arch the same value."""
    if len(rows) < 2:
        return ["Kendall tau needs at least 2 archs; it is NaN."]
    notes = []
    for what, col in (("accuracy", "predicted_acc"), ("accuracy", "measured_acc"),
                      ("latency", "predicted_latency_ms"), ("latency", "measured_latency_ms")):
        values = {r[col] for r in rows}
        if len(values) == 1:
            notes.append(f"Kendall tau of {what} is undefined (NaN): every {col} is {values.pop():.3f}, so "
                         f"there is no order to compare; validate more archs (--top) to rank them.")
    return notes


def _tau(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 2 or np.all(a[ok] == a[ok][0]) or np.all(b[ok] == b[ok][0]):
        return float("nan")
    from surrogates.metrics import kendall_tau

    return kendall_tau(a[ok], b[ok])


def _mean(x) -> float:
    x = np.asarray(x, dtype=np.float64)
    return float(np.nanmean(x)) if np.isfinite(x).any() else float("nan")


def _max(x) -> float:
    x = np.asarray(x, dtype=np.float64)
    return float(np.nanmax(x)) if np.isfinite(x).any() else float("nan")
