"""Validate the picks of a search with real training and on-device latency.

:func:`picks_from_run` takes the best distinct archs a ``compare`` run ended with (final incumbents of
all runs, ranked by the benchmark's predicted report metric); :func:`validate` trains each of them
for real with the PyTorch backend (:func:`nasbench.training.trainer.train_arch`; CUDA when present,
else CPU) on digits or on CIFAR-10 python batches from a user folder, re-measures the batch-1
latency on the device at hand, and :func:`write_report` writes the report. The latency compared is
that of the network the benchmark's own latency describes: for ``nb201/digits`` picks retrained as
the table was made, the trained network itself (C=8, N=2, 1x8x8 input) against the table's
``latency_ms_cpu``; otherwise NB201's CIFAR network (C=16, N=5, 3x32x32 input), the network the
latency tables describe. The report files are:

``validate.csv`` / ``validate.md``
    per arch: predicted vs measured accuracy and latency, absolute errors, ranks.
``validate.json``
    the same plus the summary (Kendall tau, mean and max absolute errors), configs and devices.
``validate_scatter.png``
    predicted vs measured accuracy and latency (``nasbench[report]``; skipped with a note without
    matplotlib).

Predicted and measured values need not share a scale: the table may hold CIFAR-10 accuracy after
200 epochs while the training runs a few epochs on digits, and the latency table's device is not this
machine. Kendall tau (rank agreement) is the figure to read then; absolute errors are reported
as they are.

Training jobs are independent tasks, run by an :mod:`strategies.executors` executor (local
processes or Ray, one GPU per job where the cluster has GPUs); results do not depend on it.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from pathlib import Path

import numpy as np

from nasbench.errors import (
    MissingDataError,
    NasbenchError,
    OptionalDependencyError,
    UnknownNameError,
    choices_text,
)
from strategies._json import jsonable

__all__ = [
    "DATASETS",
    "NB201_CIFAR_NETWORK",
    "ValidateConfig",
    "default_latency_device",
    "latency_ms_here",
    "picks_from_run",
    "train_task",
    "validate",
    "write_report",
]

DATASETS = ("digits", "cifar10")
#: ``(C, N, input_shape)`` of NB201's CIFAR network, the one the latency tables (HELP) describe.
NB201_CIFAR_NETWORK = (16, 5, (3, 32, 32))


@dataclasses.dataclass(frozen=True)
class ValidateConfig:
    """How the picks are trained and timed.

    Parameters
    ----------
    dataset : {"digits", "cifar10"}
    data_dir : str or None
        Folder with the CIFAR-10 python batches (``dataset="cifar10"`` only; nothing is downloaded).
    epochs : int, default 10
    C, N : int or None
        Network size; None means C=8, N=1 on digits and NB201's C=16, N=5 on CIFAR-10.
    split : (int, int, int) or None
        Digits train / valid / test sizes (``split_seed=0``); None: the
        :func:`~nasbench.training.data.load_digits` default 1000 / 500 / 297. The test images are
        the same 297 either way.
    n_seeds : int, default 1
        Training seeds per arch; measured accuracy is their mean.
    seed : int, default 0
        Root seed; training seed ``s`` of every arch is ``s`` spawned from it.
    batch_size : int, default 64
    lr : float, default 0.1
    bn_recalibration : int, default 256
        BatchNorm statistics recomputed from this many training images before each evaluation (see
        :class:`~nasbench.training.trainer.TrainConfig`); 0 keeps NB201's moving averages.
    warmup_steps : int, default 0
        Linear learning-rate warm-up steps before the cosine schedule.
    grad_clip : float, default 0.0
        Gradient-norm clip (0: none).
    device : str, default "auto"
    latency_repeats : int, default 30
        Timed batch-1 passes of the network whose latency is compared (median reported); 0 skips latency.
    latency_device : str or None
        Device of the latency table that gives the predicted latency (None:
        :func:`default_latency_device`).
    latency_where : {"driver", "task"}, default "driver"
        ``"driver"`` times every arch serially in this process after all training jobs finished,
        so concurrent training never inflates the figures; ``"task"`` times it inside each
        training job, on the worker's device (for a Ray cluster whose GPUs are the device of interest).
    """

    dataset: str = "digits"
    data_dir: str | None = None
    epochs: int = 10
    C: int | None = None
    N: int | None = None
    split: tuple[int, int, int] | None = None
    n_seeds: int = 1
    seed: int = 0
    batch_size: int = 64
    lr: float = 0.1
    bn_recalibration: int = 256
    warmup_steps: int = 0
    grad_clip: float = 0.0
    device: str = "auto"
    latency_repeats: int = 30
    latency_device: str | None = None
    latency_where: str = "driver"

    def __post_init__(self):
        if self.latency_where not in ("driver", "task"):
            raise UnknownNameError(
                f"latency_where must be 'driver' or 'task'; got {self.latency_where!r}."
            )
        if self.dataset not in DATASETS:
            raise UnknownNameError(f"unknown dataset {self.dataset!r}; expected one of {choices_text(DATASETS)}.")
        if self.dataset == "cifar10" and not self.data_dir:
            raise NasbenchError(
                "dataset 'cifar10' needs data_dir: the folder with data_batch_1..5 and test_batch "
                "(cifar-10-batches-py); nasbench does not download it. Pass --data-dir DIR, or use --dataset digits."
            )
        for name, low in (("epochs", 1), ("n_seeds", 1), ("seed", 0), ("batch_size", 2), ("bn_recalibration", 0),
                          ("warmup_steps", 0), ("latency_repeats", 0)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < low:
                raise NasbenchError(f"ValidateConfig.{name} must be an int >= {low}; got {v!r}.")
        for name in ("C", "N"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                raise NasbenchError(f"ValidateConfig.{name} must be None or an int >= 1; got {v!r}.")
        if isinstance(self.grad_clip, bool) or not isinstance(self.grad_clip, (int, float)) or not self.grad_clip >= 0:
            raise NasbenchError(f"ValidateConfig.grad_clip must be a number >= 0 (0: no clipping); got {self.grad_clip!r}.")
        if self.split is not None:
            if self.dataset != "digits":
                raise NasbenchError(f"ValidateConfig.split applies to digits only; got it with dataset {self.dataset!r}.")
            split = tuple(self.split)
            if len(split) != 3 or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in split):
                raise NasbenchError(f"ValidateConfig.split must be three ints >= 1 (train, valid, test); got {self.split!r}.")
            object.__setattr__(self, "split", split)  # a list from JSON becomes the tuple it stands for

    @classmethod
    def digits_table_setup(cls, **overrides) -> "ValidateConfig":
        """The training setup that made ``nb201/digits``: split, network, schedule (overridable).

        Validating picks of an ``nb201/digits`` run under this setup retrains them as the table
        did, with fresh seeds, so predicted and measured accuracies share one scale.
        """
        from nasbench.training.recipes import DIGITS_SPLIT, DIGITS_TRAIN_KWARGS

        fields = {f.name for f in dataclasses.fields(cls)}
        setup = {k: v for k, v in DIGITS_TRAIN_KWARGS.items() if k in fields}
        setup.update(dataset="digits", split=DIGITS_SPLIT)
        setup.update(overrides)
        return cls(**setup)

    @property
    def network(self) -> tuple[int, int]:
        """``(C, N)`` of the trained network."""
        small = self.dataset == "digits"
        return (self.C or (8 if small else 16), self.N or (1 if small else 5))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def default_latency_device(cuda: bool) -> str:
    """Latency-table device used for the predicted latency: a server CPU, or a batch-1 GPU with CUDA."""
    return "titan_rtx_1" if cuda else "gold_6240"


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

    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise NasbenchError(f"top_k must be an int >= 1; got {top_k!r}. Pass for example --top 3.")
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


# ---------------------------------------------------------------- training task
_DATA_CACHE: dict = {}


def _data(cfg: ValidateConfig):
    key = (cfg.dataset, cfg.data_dir, cfg.split)
    if key not in _DATA_CACHE:
        from nasbench.training.data import load_cifar10, load_digits

        if cfg.dataset == "cifar10":
            _DATA_CACHE[key] = load_cifar10(cfg.data_dir)
        else:
            _DATA_CACHE[key] = load_digits(*cfg.split) if cfg.split else load_digits()
    return _DATA_CACHE[key]


def train_task(task: dict) -> dict:
    """Train one (arch, seed) and, with ``latency_where="task"``, time its network: one executor task.

    Parameters
    ----------
    task : dict
        ``arch_index``, ``seed`` (training seed), ``config`` (a :meth:`ValidateConfig.to_dict`) and
        optionally ``latency_network`` (``(C, N, input_shape)`` of the network to time; default
        :data:`NB201_CIFAR_NETWORK`).

    Returns
    -------
    dict
        ``arch_index``, ``seed``, ``test_acc`` / ``valid_acc`` (final epoch, %), ``train_time_s``,
        ``params_m``, ``flops_m``, ``latency_ms`` (the ``latency_network``, batch 1, ms; NaN when
        ``latency_repeats == 0`` or when timed by the driver), ``latency_trained_ms`` (the trained
        network at the data's input size), ``device``.
    """
    from nasbench.training.trainer import TrainConfig, train_arch

    cfg = ValidateConfig(**task["config"])
    C, N = cfg.network
    data = _data(cfg)
    tc = TrainConfig(C=C, N=N, epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, device=cfg.device,
                     bn_recalibration=cfg.bn_recalibration, warmup_steps=cfg.warmup_steps, grad_clip=cfg.grad_clip,
                     latency_repeats=cfg.latency_repeats)
    res = train_arch(int(task["arch_index"]), data, tc, seed=int(task["seed"]))
    latency = (latency_ms_here(res.arch_index, cfg, task.get("latency_network"))
               if cfg.latency_where == "task" else float("nan"))
    return {"arch_index": res.arch_index, "seed": res.seed, "test_acc": float(res.test_acc[-1]),
            "valid_acc": float(res.valid_acc[-1]), "train_time_s": res.train_time_s, "params_m": res.params_m,
            "flops_m": res.flops_m, "latency_ms": latency, "latency_trained_ms": res.latency_ms,
            "device": res.device}


def latency_ms_here(arch_index: int, config: ValidateConfig, network=None) -> float:
    """Median batch-1 latency (ms) of an NB201 network of ``arch_index`` on this device, 1 thread.

    Parameters
    ----------
    network : (C, N, input_shape) or None
        The network to time (10 classes); None means :data:`NB201_CIFAR_NETWORK`. Latency does not
        depend on the weights, so a freshly built network stands for a trained one.

    NaN when ``config.latency_repeats == 0``.
    """
    import torch

    from nasbench.training.model import build_network
    from nasbench.training.trainer import measure_latency_ms, resolve_device

    C, N, shape = network or NB201_CIFAR_NETWORK
    device = resolve_device(config.device)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the tables' CPU figures and the trainer use one thread per process
    try:
        net = build_network(int(arch_index), C=int(C), N=int(N), in_channels=int(shape[0]), n_classes=10,
                            seed=0).to(device)
        return measure_latency_ms(net, tuple(shape), device, repeats=config.latency_repeats)
    finally:
        torch.set_num_threads(threads)


def _own_latency_network(bench, config: ValidateConfig):
    """``(C, N, input_shape)`` when ``bench`` stores the CPU latency of exactly the network validate trains.

    That is ``nb201/digits`` (or a table made like it) retrained on digits at the table's C and N; then
    the table's ``latency_ms_cpu`` is the prediction to compare with. None otherwise.
    """
    if config.dataset != "digits" or "latency_ms_cpu" not in getattr(bench, "metrics", {}):
        return None
    info = getattr(bench, "describe", dict)().get("info", {})
    made = info.get("train_config", {})
    if (made.get("C"), made.get("N")) != tuple(config.network) or info.get("split", {}).get("upsample", 1) != 1:
        return None
    return (*config.network, _data(config).input_shape)


def _training_seeds(root: int, n: int) -> list[int]:
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in np.random.SeedSequence(root).spawn(n)]


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
        ``rows`` (one dict per arch), ``summary``, ``config``, ``benchmark``, ``notes``.

    Raises
    ------
    NasbenchError
        If ``archs`` is empty; InvalidArchError for an arch that is not NB201.
    """
    import nasbench
    from nasbench.spaces.nb201 import NB201Arch
    from strategies.executors import LocalExecutor, cuda_available

    if not isinstance(config, ValidateConfig):
        raise NasbenchError(f"config must be a ValidateConfig; got {type(config).__name__}.")
    arch_values = [a if isinstance(a, NB201Arch) else
                   NB201Arch.from_string(a) if isinstance(a, str) else NB201Arch.from_index(int(a)) for a in archs]
    if not arch_values:
        raise NasbenchError("validate needs at least one arch; got none. Pass archs or a compare run with --top K.")
    idx = [a.index for a in arch_values]
    if len(set(idx)) != len(idx):
        raise NasbenchError(f"archs must be distinct; got the NB201 indices {idx}.")
    say = progress or (lambda line: None)
    objective = objective or {}
    bench = nasbench.load(benchmark)
    metric = objective.get("report_metric") or "test_acc"
    fidelity = objective.get("report_fidelity")
    fidelity = bench.default_fidelity(metric) if fidelity is None else fidelity
    predicted_acc = np.asarray(bench.query(idx, metric, fidelity, missing="nan"), dtype=np.float64)
    notes = []
    cuda = cuda_available() and config.device != "cpu"
    lat_device = config.latency_device or default_latency_device(cuda)
    own_network = _own_latency_network(bench, config)
    network = own_network or NB201_CIFAR_NETWORK
    if own_network is not None:
        predicted_lat = np.asarray(bench.query(idx, "latency_ms_cpu", missing="nan"), dtype=np.float64)
        lat_source = f"{benchmark} latency_ms_cpu (the same network, timed on the machine that made the table)"
    elif "latency_ms" in getattr(bench, "metrics", {}):
        predicted_lat = np.asarray(bench.query(idx, "latency_ms", missing="nan"), dtype=np.float64)
        lat_source = f"{benchmark} latency_ms"
    else:
        predicted_lat, note = _predicted_latency(idx, lat_device)
        lat_source = f"latency table, device {lat_device}"
        if note:
            notes.append(note)
    seeds = _training_seeds(config.seed, config.n_seeds)
    tasks = [{"arch_index": a, "seed": s, "config": config.to_dict(), "latency_network": network}
             for a in idx for s in seeds]
    say(f"training {len(idx)} archs x {len(seeds)} seeds on {config.dataset} for {config.epochs} epochs")
    t0 = time.perf_counter()
    executor = executor or LocalExecutor(1)
    runs = executor.map(train_task, tasks)
    if config.latency_where == "driver":
        say(f"timing {len(idx)} networks here, one at a time")
        here = {a: latency_ms_here(a, config, network) for a in idx}
        for r in runs:
            r["latency_ms"] = here[r["arch_index"]]
    wall = time.perf_counter() - t0
    rows = []
    for k, a in enumerate(arch_values):
        mine = [r for r in runs if r["arch_index"] == a.index]
        acc = float(np.mean([r["test_acc"] for r in mine]))
        lat = float(np.median([r["latency_ms"] for r in mine]))
        rows.append({
            "arch_index": a.index, "arch": a.string,
            "picked_by": " ".join((picked_by or {}).get(a.index, [])),
            "predicted_acc": float(predicted_acc[k]), "measured_acc": acc,
            "measured_acc_sd": float(np.std([r["test_acc"] for r in mine], ddof=1)) if len(mine) > 1 else float("nan"),
            "abs_err_acc": abs(acc - float(predicted_acc[k])),
            "predicted_latency_ms": float(predicted_lat[k]), "measured_latency_ms": lat,
            "abs_err_latency_ms": abs(lat - float(predicted_lat[k])),
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
    summary = {
        "n_archs": len(rows), "n_seeds": config.n_seeds,
        "kendall_tau_acc": _tau([r["predicted_acc"] for r in rows], [r["measured_acc"] for r in rows]),
        "kendall_tau_latency": _tau([r["predicted_latency_ms"] for r in rows], [r["measured_latency_ms"] for r in rows]),
        "mae_acc": _mean([r["abs_err_acc"] for r in rows]), "max_abs_err_acc": _max([r["abs_err_acc"] for r in rows]),
        "mae_latency_ms": _mean([r["abs_err_latency_ms"] for r in rows]),
        "max_abs_err_latency_ms": _max([r["abs_err_latency_ms"] for r in rows]),
        "predicted_acc": f"{benchmark} {metric} at fidelity {fidelity}",
        "measured_acc": f"test_acc after {config.epochs} epochs on {config.dataset}"
                        f"{'' if config.split is None else ' (split %d/%d/%d)' % config.split} (C={config.network[0]}, "
                        f"N={config.network[1]}, lr {config.lr}), mean over {config.n_seeds} seed(s)",
        "predicted_latency": lat_source,
        "measured_latency": f"median batch-1 latency of the NB201 C={network[0]}, N={network[1]} network at "
                            f"{'x'.join(map(str, network[2]))} on "
                            f"{rows[0]['device']}, 1 thread, timed in the "
                            f"{'validate process after training' if config.latency_where == 'driver' else 'training job'}",
        "wall_time_s": round(wall, 3),
    }
    if len(rows) < 2:
        notes.append("Kendall tau needs at least 2 archs; it is NaN.")
    else:
        for what, col in (("accuracy", "predicted_acc"), ("accuracy", "measured_acc"),
                          ("latency", "predicted_latency_ms"), ("latency", "measured_latency_ms")):
            values = {r[col] for r in rows}
            if len(values) == 1:
                notes.append(f"Kendall tau of {what} is undefined (NaN): every {col} is {values.pop():.3f}, so "
                             f"there is no order to compare; validate more archs (--top) to rank them.")
    return {"benchmark": benchmark, "config": config.to_dict(), "summary": summary, "rows": rows,
            "runs": runs, "notes": notes}


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


# ---------------------------------------------------------------- report
_COLUMNS = ("arch_index", "arch", "picked_by", "predicted_acc", "measured_acc", "abs_err_acc", "predicted_rank",
            "measured_rank", "predicted_latency_ms", "measured_latency_ms", "abs_err_latency_ms",
            "measured_valid_acc", "measured_acc_sd", "train_time_s", "params_m", "flops_m", "latency_trained_ms",
            "device")


def _fmt(v) -> str:
    if isinstance(v, float):
        return "nan" if not math.isfinite(v) else f"{v:.6f}"
    return str(v)


def write_report(report: dict, out_dir, *, plot: bool = True) -> list[str]:
    """Write ``validate.csv``, ``validate.md``, ``validate.json`` and ``validate_scatter.png``.

    Returns
    -------
    list of str
        The file names written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows, s = report["rows"], report["summary"]
    lines = [",".join(_COLUMNS)]
    for r in rows:
        lines.append(",".join(f'"{r[c]}"' if c in ("arch", "picked_by") else _fmt(r[c]) for c in _COLUMNS))
    (out / "validate.csv").write_text("\n".join(lines) + "\n")
    (out / "validate.json").write_text(json.dumps(jsonable(report), indent=1, sort_keys=True) + "\n")
    md = [
        f"## Validation of {len(rows)} picks from {report['benchmark']}",
        "",
        f"- predicted accuracy: {s['predicted_acc']}; measured: {s['measured_acc']}",
        f"- predicted latency: {s['predicted_latency']}; measured: {s['measured_latency']}",
        f"- Kendall tau, accuracy: {s['kendall_tau_acc']:.3f}; latency: {s['kendall_tau_latency']:.3f}",
        (f"- mean (max) absolute error, accuracy: {s['mae_acc']:.2f} ({s['max_abs_err_acc']:.2f}) pp; "
         f"latency: {s['mae_latency_ms']:.3f} ({s['max_abs_err_latency_ms']:.3f}) ms"),
        *[f"- note: {n}" for n in report["notes"]],
        "",
        "| arch | picked by | predicted acc | measured acc | abs err | predicted latency ms | measured latency ms | abs err ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        md.append(f"| {r['arch_index']} `{r['arch']}` | {r['picked_by']} | {r['predicted_acc']:.2f} | "
                  f"{r['measured_acc']:.2f} | {r['abs_err_acc']:.2f} | {r['predicted_latency_ms']:.3f} | "
                  f"{r['measured_latency_ms']:.3f} | {r['abs_err_latency_ms']:.3f} |")
    (out / "validate.md").write_text("\n".join(md) + "\n")
    written = ["validate.csv", "validate.json", "validate.md"]
    if plot:
        try:
            _scatter(out / "validate_scatter.png", rows, s)
            written.append("validate_scatter.png")
        except OptionalDependencyError as exc:
            report["notes"].append(f"validate_scatter.png skipped: {exc}")
            (out / "validate.json").write_text(json.dumps(jsonable(report), indent=1, sort_keys=True) + "\n")
    return written


def _scatter(path, rows, s) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise OptionalDependencyError(
            f'the scatter plot needs matplotlib ({exc}); install it with pip install "nasbench[report]".'
        ) from exc
    fig, axes = plt.subplots(1, 2, figsize=(9, 4))
    for ax, (p, m, label, tau) in zip(axes, (
            ("predicted_acc", "measured_acc", "accuracy (%)", s["kendall_tau_acc"]),
            ("predicted_latency_ms", "measured_latency_ms", "latency (ms)", s["kendall_tau_latency"]))):
        x = [r[p] for r in rows]
        y = [r[m] for r in rows]
        ax.scatter(x, y, color="tab:blue")
        for r, xi, yi in zip(rows, x, y):
            ax.annotate(str(r["arch_index"]), (xi, yi), fontsize=7, xytext=(3, 3), textcoords="offset points")
        ax.set_xlabel(f"predicted {label}")
        ax.set_ylabel(f"measured {label}")
        ax.set_title(f"Kendall tau = {tau:.2f}")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)
