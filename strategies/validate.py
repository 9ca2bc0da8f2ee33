"""Validate the picks of a search with real training and on-device latency.

:func:`picks_from_run` takes the best distinct archs a ``compare`` run ended with (final incumbents of
all runs, ranked by the benchmark's predicted report metric); :func:`validate` trains each of them
for real with the PyTorch backend (:func:`nasbench.training.trainer.train_arch`; CUDA when present,
else CPU) on digits or on CIFAR-10 python batches from a user folder, re-measures the batch-1
latency on the device at hand, and :func:`write_report` writes the report. The latency compared is
that of the network the benchmark's own latency describes: for ``nb201/digits`` picks retrained as
the table was made, the trained network itself (C=8, N=2, 1x8x8 input) against the table's
``latency_ms_cpu``; otherwise NB201's CIFAR network (C=16, N=5, 3x32x32 input), the network the
latency tables describe.

Two spaces are trained: NB201 cells and DARTS genotypes. The picks of a run on
``darts/digits@surrogate`` are retrained as DARTS networks with the recipe and the seeds that made
the surrogate's data (:meth:`ValidateConfig.darts_digits_setup`), so the measured accuracy (the mean
over those seeds of the final accuracy the run reported on) is the very quantity the surrogate
predicts; the predicted value is labelled with the model that predicted it. Their latency is that of
the trained network, against the surrogate's latency model where it has one.

The report files (:mod:`strategies.validate_report`) are:

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
as they are. The measured accuracy is the validation accuracy when the prediction is of
``valid_acc``, else the test accuracy.

Training jobs (:mod:`strategies.validate_jobs`) are independent tasks, run by an
:mod:`strategies.executors` executor (local processes or Ray, one GPU per job where the cluster has
GPUs); results do not depend on it. :class:`~strategies.validate_config.ValidateConfig` says how
they train.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nasbench.checks import check_int, is_int
from nasbench.timing import Stopwatch
from nasbench.errors import MissingDataError, NasbenchError, UnknownNameError, choices_text
from strategies.validate_config import NB201_CIFAR_NETWORK, SPACES, ValidateConfig, default_latency_device
from strategies.validate_jobs import parse_arch

__all__ = ["parse_arch", "picks_from_run", "surrogate_recipe", "validate"]


# ---------------------------------------------------------------- spaces
def _space_of(benchmark: str) -> str:
    """The space of a benchmark name, refused unless validate trains its networks."""
    from nasbench.benchmarks.registry import parse_name

    space = parse_name(benchmark)[0]
    if space not in SPACES:
        raise NasbenchError(f"validate trains networks of {choices_text(SPACES)}; got the {space} benchmark "
                            f"{benchmark}. Validate a run on an nb201 or darts benchmark.")
    return space


# ---------------------------------------------------------------- picks
def picks_from_run(run_dir, top_k: int = 3) -> dict:
    """The ``top_k`` best distinct final picks of a ``compare`` run.

    Every (strategy, seed) run ends with an incumbent arch (``summary.csv``); distinct incumbents
    (NB201: by index; DARTS: by genotype, up to the order of a node's two inputs) are ranked by the
    benchmark's report value (highest first), then by how many runs picked them, then by index
    (DARTS: by genotype code).

    Parameters
    ----------
    run_dir : str or os.PathLike
        Folder written by ``nasbench compare --out``.
    top_k : int, default 3

    Returns
    -------
    dict
        ``benchmark`` (name), ``objective`` (the run's objective dict, with the ``report_metric`` and
        ``report_fidelity`` the run reported), ``archs`` (NB201 indices or DARTSArch values, best
        first), ``picked_by`` (arch -> sorted strategy names), ``n_runs`` (arch -> runs that ended on it).

    Raises
    ------
    MissingDataError
        If ``run_dir`` holds no compare run, or a DARTS run's summary has no ``final_incumbent_arch``.
    DataIntegrityError
        If it is not one finished run: half-written, files of two runs mixed, or edited
        (:func:`strategies._outdir.finished_compare_run`).
    NasbenchError
        If ``top_k`` is not an int >= 1, or the run is on a space validate does not train.
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
    benchmark = manifest["config"]["benchmark"]
    summary = pd.read_csv(run / "summary.csv")
    groups = {}
    for key, row in zip(_final_archs(summary, _space_of(benchmark), run), summary.itertuples()):
        g = groups.setdefault(key, {"report": float(row.final_report), "by": set(), "n": 0})
        g["by"].add(str(row.strategy))
        g["n"] += 1
    order = sorted(groups, key=lambda a: (-groups[a]["report"], -groups[a]["n"], _tie_key(a)))[:top_k]
    task = manifest.get("task") or {}
    objective = dict(manifest["config"].get("objective") or {})
    for key in ("report_metric", "report_fidelity"):  # what the run reported, default or chosen
        if objective.get(key) is None and key in task:
            objective[key] = task[key]
    return {"benchmark": benchmark, "objective": objective, "archs": order,
            "picked_by": {a: sorted(groups[a]["by"]) for a in order}, "n_runs": {a: groups[a]["n"] for a in order}}


def _final_archs(summary, space: str, run: Path) -> list:
    """The final incumbent of every summary row: an NB201 index, or a DARTSArch."""
    if space == "nb201":
        return [int(i) for i in summary["final_incumbent_index"]]
    if "final_incumbent_arch" not in summary.columns:
        raise MissingDataError(f"{run / 'summary.csv'} has no final_incumbent_arch column; a compare run on a "
                               f"{space} benchmark writes one. Re-run `nasbench compare` with this version.")
    return [parse_arch(space, str(text)) for text in summary["final_incumbent_arch"]]


def _tie_key(arch):
    """Last tie-break of equally good picks: the NB201 index, or the DARTS genotype's code."""
    if isinstance(arch, int):
        return arch
    from nasbench.training.darts_archs import arch_code

    return arch_code(arch)


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
    archs : sequence
        At least one arch of the benchmark's space (see :func:`parse_arch`): NB201 indices or arch
        strings, or DARTS genotypes.
    benchmark : str
        Benchmark that predicted the accuracy (e.g. ``nb201/cifar10``, ``nb201/digits``,
        ``darts/digits@surrogate``).
    config : ValidateConfig
        Its ``space`` must be the benchmark's (:meth:`ValidateConfig.darts_digits_setup` for DARTS).
    objective : dict, optional
        ``report_metric`` / ``report_fidelity`` of the prediction (default ``test_acc`` where the
        benchmark has it, else its search metric, at the highest fidelity).
    executor : strategies.executors.Executor, optional
        Runs the training jobs (default: serially in this process).
    picked_by : dict, optional
        Arch (NB201 index or DARTSArch) -> strategies that picked it (shown in the report).
    progress : callable(str) or None

    Returns
    -------
    dict
        ``rows`` (one dict per arch), ``summary``, ``config``, ``benchmark``, ``runs`` (one dict per
        training job), ``notes``.

    Raises
    ------
    NasbenchError
        If ``archs`` is empty or repeats an arch, or ``config.space`` is not the benchmark's space;
        InvalidArchError for an arch that is not of the benchmark's space.
    """
    import nasbench

    if not isinstance(config, ValidateConfig):
        raise NasbenchError(f"config must be a ValidateConfig; got {type(config).__name__}.")
    space = _space_of(benchmark)
    if config.space != space:
        raise NasbenchError(f"{benchmark} is a {space} benchmark but the config trains {config.space} networks; "
                            f"pass ValidateConfig(space={space!r}, ...)"
                            + (" or ValidateConfig.darts_digits_setup()." if space == "darts" else "."))
    arch_values = _arch_values(archs, space)
    say = progress or (lambda line: None)
    bench = nasbench.load(benchmark)
    pred = _predictions(bench, benchmark, arch_values, objective or {}, config)
    clock = Stopwatch()
    runs = _train_and_time(arch_values, config, pred["network"], executor, say)
    wall = clock.wall_s
    rows = _rows(arch_values, runs, pred, picked_by or {})
    summary = {**_summary(rows, benchmark, config, pred, wall), **_seed_figures(rows, runs, pred)}
    notes = pred["notes"] + _tau_notes(rows)
    return {"benchmark": benchmark, "config": config.to_dict(), "summary": summary, "rows": rows,
            "runs": runs, "notes": notes}


def _arch_values(archs, space: str) -> list:
    """The archs of ``archs`` as values of ``space``, at least one, all distinct."""
    values = [parse_arch(space, a) for a in archs]
    if not values:
        raise NasbenchError("validate needs at least one arch; got none. Pass archs or a compare run with --top K.")
    if space == "nb201":
        idx = [a.index for a in values]
        if len(set(idx)) != len(idx):
            raise NasbenchError(f"archs must be distinct; got the NB201 indices {idx}.")
    elif len(set(values)) != len(values):
        first = next(k for k, a in enumerate(values) if values.index(a) != k)
        raise NasbenchError(f"archs must be distinct; DARTS archs {values.index(values[first])} and {first} (from 0) "
                            "are one genotype (the same cells up to the order of a node's two inputs).")
    return values


def _key(arch):
    """How ``picked_by`` names an arch: its NB201 index, or the DARTSArch itself."""
    return getattr(arch, "index", arch)


def _predictions(bench, benchmark: str, values: list, objective: dict, config: ValidateConfig) -> dict:
    """What the benchmark predicts for the archs ``values``, and which network's latency is compared.

    Returns ``acc`` and ``latency`` (float64 arrays of shape (n_archs,); NaN where missing), the
    ``metric`` and ``fidelity`` of the accuracy, its ``predicted_by`` (None for measured tables),
    ``measured_metric`` (the training run's accuracy compared with it), ``latency_source`` (words),
    ``network`` (``(C, N, input_shape)`` to time) and ``notes``.
    """
    metric = objective.get("report_metric") or ("test_acc" if "test_acc" in bench.metrics
                                                else bench.default_search_metric() or "test_acc")
    fidelity = objective.get("report_fidelity")
    fidelity = bench.default_fidelity(metric) if fidelity is None else fidelity
    queries = [a.index for a in values] if config.space == "nb201" else values
    acc = np.asarray(bench.query(queries, metric, fidelity, missing="nan"), dtype=np.float64)
    recipe = surrogate_recipe(bench) if config.space == "darts" else None
    latency, source, network, notes = _latency_predictions(bench, benchmark, queries, config, recipe)
    measured_epoch = config.epochs
    if config.space == "darts" and fidelity is not None:
        # darts/digits's fidelity is the recipe's epoch: measure the training curve at that epoch
        if is_int(fidelity) and 1 <= fidelity <= config.epochs:
            measured_epoch = int(fidelity)
        else:
            notes.append(f"the prediction is of {metric} at epoch {fidelity}, the measurement after {config.epochs} "
                         f"epoch{'s' if config.epochs != 1 else ''}; read Kendall tau, not the absolute errors.")
    notes += _recipe_notes(config, recipe, benchmark)
    return {"acc": acc, "latency": latency, "metric": metric, "fidelity": fidelity,
            "predicted_by": getattr(bench.metrics.get(metric), "predicted_by", None),
            "measured_metric": "valid_acc" if metric == "valid_acc" else "test_acc", "measured_epoch": measured_epoch,
            "latency_source": source, "network": network, "notes": notes}


def surrogate_recipe(bench) -> dict | None:
    """The training recipe a surrogate's data was made with, as its models record it.

    ``provenance.recipe`` of darts/digits's models (``train_kwargs``, ``split``, ``split_seed``); None
    when no model records one, or when they record different ones.
    """
    import json

    models = (getattr(bench, "describe", dict)().get("models") or {}).values()
    found = {json.dumps(r, sort_keys=True) for r in ((m.get("provenance") or {}).get("recipe") for m in models) if r}
    return json.loads(found.pop()) if len(found) == 1 else None


def _recipe_notes(config: ValidateConfig, recipe: dict | None, benchmark: str) -> list[str]:
    """A note naming every training setting that differs from the recipe the surrogate's data was made with."""
    if recipe is None:
        return []
    made = ValidateConfig.darts_digits_setup(recipe).to_dict()
    mine = config.to_dict()
    keys = ("dataset", "C", "N", "epochs", "batch_size", "lr", "bn_recalibration", "warmup_steps", "grad_clip", "split")
    diff = [f"{k}={mine[k]!r} (recipe {made[k]!r})" for k in keys if mine[k] != made[k]]
    if not diff:
        return []
    return [f"trained with {', '.join(diff)}: not the recipe {benchmark}'s data was made with, so the measurement "
            "is another quantity than the prediction; read Kendall tau, not the absolute errors."]


def _latency_predictions(bench, benchmark: str, queries: list, config: ValidateConfig, recipe=None) -> tuple:
    """``(latency, source, network, notes)``: the predicted latency (float64 (n,), ms; NaN where there is
    none), what predicted it, the ``(C, N, input_shape)`` of the network to time, and notes. A DARTS
    surrogate's latency describes the network of ``recipe`` (:func:`surrogate_recipe`)."""
    from strategies.executors import cuda_available
    from strategies.validate_jobs import own_latency_network

    notes = []
    own_network = own_latency_network(bench, config)
    nan = np.full(len(queries), np.nan)
    if config.space == "darts":
        made = ValidateConfig.darts_digits_setup(recipe)  # this version's recipe where the models record none
        recipe = made.network
        metric = next((m for m in ("latency_ms_cpu", "latency_ms") if m in bench.metrics), None)
        if metric is None:
            notes.append(f"no predicted latency: {benchmark} has no latency model; the measured latency is shown "
                         "alone.")
            return nan, "none", own_network, notes
        if (config.dataset, tuple(config.network)) != ("digits", recipe):
            notes.append(f"no predicted latency: {benchmark} {metric} describes the recipe's C={recipe[0]}, "
                         f"N={recipe[1]} network on digits, not the C={config.network[0]}, N={config.network[1]} "
                         f"network trained on {config.dataset} here.")
            return nan, "none", own_network, notes
        by = getattr(bench.metrics[metric], "predicted_by", None)
        latency = np.asarray(bench.query(queries, metric, missing="nan"), dtype=np.float64)
        return latency, f"{benchmark} {metric}" + (f" (predicted by {by})" if by else ""), own_network, notes
    if own_network is not None:
        latency = np.asarray(bench.query(queries, "latency_ms_cpu", missing="nan"), dtype=np.float64)
        return latency, f"{benchmark} latency_ms_cpu (the same network, timed on the machine that made the table)", \
            own_network, notes
    if "latency_ms" in getattr(bench, "metrics", {}):
        latency = np.asarray(bench.query(queries, "latency_ms", missing="nan"), dtype=np.float64)
        return latency, f"{benchmark} latency_ms", NB201_CIFAR_NETWORK, notes
    device = config.latency_device or default_latency_device(cuda_available() and config.device != "cpu")
    latency, note = _predicted_latency(queries, device)
    if note:
        notes.append(note)
    return latency, f"latency table, device {device}", NB201_CIFAR_NETWORK, notes


def _train_and_time(values: list, config: ValidateConfig, network, executor, say) -> list[dict]:
    """Run every (arch, training seed) job on ``executor``; time each network here when the driver times."""
    from nasbench.rng import child_int_seeds
    from strategies.executors import LocalExecutor
    from strategies.validate_jobs import latency_ms_here, train_task

    seeds = list(config.train_seeds) if config.train_seeds is not None else child_int_seeds(config.seed, config.n_seeds)
    tasks = [{"pick": k, "arch": _text(a), "arch_index": getattr(a, "index", None), "seed": s,
              "config": config.to_dict(), "latency_network": network}
             for k, a in enumerate(values) for s in seeds]
    say(f"training {len(values)} {config.space} archs x {len(seeds)} seeds on {config.dataset} for "
        f"{config.epochs} epochs")
    runs = (executor or LocalExecutor(1)).map(train_task, tasks)
    if config.latency_where == "driver":
        say(f"timing {len(values)} networks here, one at a time")
        here = {k: latency_ms_here(a, config, network) for k, a in enumerate(values)}
        for r in runs:
            r["latency_ms"] = here[r["pick"]]
    return runs


def _text(arch) -> str:
    """The arch as report text: the NB201 arch string, or NASLib's DARTS genotype text."""
    return arch.string if hasattr(arch, "string") else arch.to_naslib()


def _measured(run: dict, metric: str, epoch: int) -> float:
    """A training run's ``metric`` after ``epoch`` (its curve), or its final value when it has no curve."""
    curve = run.get(f"{metric}_curve")
    return float(curve[epoch - 1]) if curve else float(run[metric])


def _rows(arch_values, runs, pred: dict, picked_by: dict) -> list[dict]:
    """One row per arch: predicted and measured accuracy (mean over seeds) and latency (median), errors, ranks."""
    rows = []
    measured, epoch = pred["measured_metric"], pred["measured_epoch"]
    for k, a in enumerate(arch_values):
        mine = [r for r in runs if r["pick"] == k]
        acc = float(np.mean([_measured(r, measured, epoch) for r in mine]))
        lat = float(np.median([r["latency_ms"] for r in mine]))
        p_acc, p_lat = float(pred["acc"][k]), float(pred["latency"][k])
        index = getattr(a, "index", None)
        rows.append({
            "pick": k + 1, "arch_index": index, "arch": _text(a),
            "label": str(index) if index is not None else f"#{k + 1}",
            "picked_by": " ".join(picked_by.get(_key(a), [])), "predicted_acc": p_acc, "measured_acc": acc,
            "measured_acc_sd": float(np.std([_measured(r, measured, epoch) for r in mine], ddof=1))
            if len(mine) > 1 else float("nan"),
            "abs_err_acc": abs(acc - p_acc),
            "predicted_latency_ms": p_lat, "measured_latency_ms": lat, "abs_err_latency_ms": abs(lat - p_lat),
            "measured_valid_acc": float(np.mean([_measured(r, "valid_acc", epoch) for r in mine])),
            "measured_test_acc": float(np.mean([_measured(r, "test_acc", epoch) for r in mine])),
            "train_time_s": float(np.mean([r["train_time_s"] for r in mine])),
            "params_m": mine[0]["params_m"], "flops_m": mine[0]["flops_m"],
            "latency_trained_ms": float(np.median([r["latency_trained_ms"] for r in mine])),
            "device": mine[0]["device"],
        })
    for key, col in (("predicted_rank", "predicted_acc"), ("measured_rank", "measured_acc")):
        order = sorted(range(len(rows)), key=lambda i: (-rows[i][col], rows[i]["pick"]))
        for rank, i in enumerate(order, start=1):
            rows[i][key] = rank
    return rows


def _summary(rows, benchmark: str, config: ValidateConfig, pred: dict, wall: float) -> dict:
    """Kendall tau and absolute errors over the archs, and what each side of the comparison is."""
    network = pred["network"]
    split = "" if config.split is None else " (split %d/%d/%d)" % config.split
    epochs = f"{config.epochs} epoch{'s' if config.epochs != 1 else ''}"
    if pred["measured_epoch"] != config.epochs:
        epochs = f"epoch {pred['measured_epoch']} of {epochs}"
    where = "validate process after training" if config.latency_where == "driver" else "training job"
    seeds = (f"the seed{'s' if config.n_seeds != 1 else ''} {', '.join(map(str, config.train_seeds))}"
             if config.train_seeds is not None else f"{config.n_seeds} seed(s)")
    by = f", predicted by {pred['predicted_by']}" if pred["predicted_by"] else ""
    return {
        "n_archs": len(rows), "n_seeds": config.n_seeds,
        "kendall_tau_acc": _tau([r["predicted_acc"] for r in rows], [r["measured_acc"] for r in rows]),
        "kendall_tau_latency": _tau([r["predicted_latency_ms"] for r in rows], [r["measured_latency_ms"] for r in rows]),
        "mae_acc": _mean([r["abs_err_acc"] for r in rows]), "max_abs_err_acc": _max([r["abs_err_acc"] for r in rows]),
        "mae_latency_ms": _mean([r["abs_err_latency_ms"] for r in rows]),
        "max_abs_err_latency_ms": _max([r["abs_err_latency_ms"] for r in rows]),
        "predicted_acc": f"{benchmark} {pred['metric']}" + (f" at fidelity {pred['fidelity']}"
                                                           if pred["fidelity"] is not None else "") + by,
        "measured_metric": pred["measured_metric"],
        "measured_acc": f"{pred['measured_metric']} after {epochs} on {config.dataset}{split} ({config.space.upper()} "
                        f"network, C={config.network[0]}, N={config.network[1]}, lr {config.lr}), mean over {seeds}",
        "predicted_latency": pred["latency_source"],
        "measured_latency": f"median batch-1 latency of the {config.space.upper()} C={network[0]}, N={network[1]} "
                            f"network at {'x'.join(map(str, network[2]))} on {rows[0]['device']}, 1 thread, timed in "
                            f"the {where}",
        "wall_time_s": round(wall, 3),
    }


def _seed_figures(rows, runs, pred: dict) -> dict:
    """NB301's yardstick on the picks: the prediction's mean absolute error against one training run
    (``mae_acc_vs_one_seed``), next to the mean absolute difference between two training runs of the
    same arch (``mae_acc_seed_vs_seed``, NaN with one seed), in accuracy points."""
    vs_one, seed_vs_seed = [], []
    for k, row in enumerate(rows):
        values = [_measured(r, pred["measured_metric"], pred["measured_epoch"]) for r in runs if r["pick"] == k]
        vs_one += [abs(v - row["predicted_acc"]) for v in values]
        seed_vs_seed += [abs(a - b) for i, a in enumerate(values) for b in values[i + 1:]]
    return {"mae_acc_vs_one_seed": _mean(vs_one), "mae_acc_seed_vs_seed": _mean(seed_vs_seed)}


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
