"""Weight-sharing gradient search over NB201: DARTS (first order) and GDAS on the real backend.

:func:`run_search` trains a :class:`nasbench.training.supernet.Supernet` on real images (scikit-learn's
digits, or CIFAR-10 python batches from a folder the user gives) and, after every search epoch,
derives the arch (argmax of the alphas per edge, NB201's rule) and looks it up in a tabular
benchmark, as NB201's paper does for its weight-sharing baselines. The result carries one trajectory
row per search epoch, so it can stand on the same leaderboard as the black-box strategies of a
``compare`` run (:func:`merge_into_run`).

Each step follows NB201's DARTS-V1 / GDAS loops: first a weight step (SGD, Nesterov momentum, cosine
learning rate, gradient clipping) on a training batch, then an architecture step (Adam on the alphas)
on a batch of the held-out validation split. First-order DARTS ignores the second-order term of
the bilevel gradient. GDAS anneals the Gumbel-softmax temperature linearly from ``tau_max`` to
``tau_min`` over the epochs.

The search never reads the benchmark: lookups only score the derived archs. Determinism: weights,
alphas, Gumbel noise and batch orders come from generators seeded from ``seed``; on the CPU with one
thread the same config and seed give the same derived archs and trajectories.

Examples
--------
>>> from nasbench.training.data import load_digits                                  # doctest: +SKIP
>>> res = run_search(load_digits(), SearchConfig("gdas", C=4, N=1, epochs=3), seed=0)   # doctest: +SKIP
>>> res.arch.string                                                                  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from pathlib import Path

import numpy as np

from nasbench.benchmarks.registry import default_benchmark
from nasbench.errors import (
    MissingDataError,
    NasbenchError,
    UnknownNameError,
    choices_text,
)
from strategies._json import jsonable

__all__ = [
    "METHODS",
    "SearchConfig",
    "SearchResult",
    "leaderboard_rows",
    "lookup",
    "merge_into_run",
    "run_search",
    "search_task",
    "search_tasks",
]

METHODS = ("darts", "gdas")


@dataclasses.dataclass(frozen=True)
class SearchConfig:
    """Supernet size and search hyper-parameters.

    Defaults follow NB201's DARTS-V1 / GDAS settings where they apply (weights: SGD lr 0.025 ->
    0.001 cosine, momentum 0.9 Nesterov, weight decay 5e-4, gradient clip 5; alphas: Adam lr 3e-4,
    betas (0.5, 0.999), weight decay 1e-3; GDAS tau 10 -> 0.1), with a tiny network (C=8, N=1) and a
    short schedule, which suit digits on a CPU. NB201 searched with C=16, N=5 for 50 (DARTS) or
    250 (GDAS) epochs on CIFAR.

    Parameters
    ----------
    method : {"darts", "gdas"}
    C : int, default 8
        Channels of the first stage.
    N : int, default 1
        Cells per stage.
    epochs : int, default 10
    batch_size : int, default 64
    w_lr, w_lr_min : float
        Weight learning rate, decayed by a cosine (per step) to ``w_lr_min``.
    w_momentum, w_weight_decay, grad_clip : float
    a_lr, a_weight_decay : float
        Adam learning rate and weight decay of the alphas.
    a_beta1, a_beta2 : float
    tau_max, tau_min : float
        GDAS temperature at the first and last epoch (linear in between).
    device : str, default "auto"
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``, ``"cuda:K"``.
    n_threads : int or None, default 1
        torch intra-op threads during the search (None leaves the setting).
    """

    method: str = "darts"
    C: int = 8
    N: int = 1
    epochs: int = 10
    batch_size: int = 64
    w_lr: float = 0.025
    w_lr_min: float = 0.001
    w_momentum: float = 0.9
    w_weight_decay: float = 5e-4
    grad_clip: float = 5.0
    a_lr: float = 3e-4
    a_weight_decay: float = 1e-3
    a_beta1: float = 0.5
    a_beta2: float = 0.999
    tau_max: float = 10.0
    tau_min: float = 0.1
    device: str = "auto"
    n_threads: int | None = 1

    def __post_init__(self):
        if self.method not in METHODS:
            raise UnknownNameError(f"unknown weight-sharing method {self.method!r}; expected one of {choices_text(METHODS)}.")
        for name in ("C", "N", "epochs", "batch_size"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise NasbenchError(f"SearchConfig.{name} must be an int >= 1; got {v!r}.")
        for name in ("w_lr", "w_lr_min", "w_momentum", "w_weight_decay", "grad_clip", "a_lr", "a_weight_decay",
                     "tau_max", "tau_min"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise NasbenchError(f"SearchConfig.{name} must be a finite number >= 0; got {v!r}.")
        for name in ("a_beta1", "a_beta2"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < 1:
                raise NasbenchError(f"SearchConfig.{name} must be in [0, 1); got {v!r}.")
        if self.w_lr_min > self.w_lr:
            raise NasbenchError(f"SearchConfig.w_lr_min must not exceed w_lr; got {self.w_lr_min!r} > {self.w_lr!r}.")
        if self.method == "gdas" and not 0 < self.tau_min <= self.tau_max:
            raise NasbenchError(
                f"GDAS needs 0 < tau_min <= tau_max; got tau_min={self.tau_min!r}, tau_max={self.tau_max!r}."
            )
        if self.n_threads is not None and (isinstance(self.n_threads, bool) or not isinstance(self.n_threads, int)
                                           or self.n_threads < 1):
            raise NasbenchError(f"SearchConfig.n_threads must be None or an int >= 1; got {self.n_threads!r}.")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def tau(self, epoch: int) -> float:
        """GDAS temperature of epoch ``epoch`` (0-based): linear from tau_max to tau_min."""
        if self.epochs == 1:
            return float(self.tau_max)
        return float(self.tau_max - (self.tau_max - self.tau_min) * epoch / (self.epochs - 1))


@dataclasses.dataclass
class SearchResult:
    """What one weight-sharing search produced.

    Attributes
    ----------
    method : str
    seed : int
    config : dict
    dataset : dict
        The data split's ``info``.
    arch_index : ndarray of int64, shape (epochs,)
        NB201 index of the arch derived after each epoch.
    alphas : ndarray of float64, shape (epochs, 6, 5)
        Softmax of the alphas after each epoch (edge x op).
    train_loss, train_acc : ndarray of float64, shape (epochs,)
        Supernet cross-entropy and accuracy (%) on the weight-step batches.
    valid_loss, valid_acc : ndarray of float64, shape (epochs,)
        The same on the architecture-step batches (held-out split).
    epoch_time_s : ndarray of float64, shape (epochs,)
        Wall-clock seconds per epoch.
    device : str
    benchmark : str or None
        Benchmark the derived archs were looked up in (None: not looked up yet).
    value, report : ndarray of float64, shape (epochs,) or None
        Search metric and report metric of the derived archs in the benchmark.
    objective : dict or None
        Metrics and fidelities of the lookup; ``best_report`` is the best report value of the table.
    """

    method: str
    seed: int
    config: dict
    dataset: dict
    arch_index: np.ndarray
    alphas: np.ndarray
    train_loss: np.ndarray
    train_acc: np.ndarray
    valid_loss: np.ndarray
    valid_acc: np.ndarray
    epoch_time_s: np.ndarray
    device: str
    benchmark: str | None = None
    value: np.ndarray | None = None
    report: np.ndarray | None = None
    objective: dict | None = None

    @property
    def arch(self):
        """The final derived arch (:class:`~nasbench.spaces.nb201.NB201Arch`)."""
        from nasbench.spaces.nb201 import NB201Arch

        return NB201Arch.from_index(int(self.arch_index[-1]))

    def trajectory(self) -> dict:
        """One row per search epoch, with the columns of :func:`strategies.history.trajectory` that apply.

        Returns
        -------
        dict of column -> ndarray of shape (epochs,)
            ``eval`` (epoch, 1-based), ``arch_index``, ``end_s`` (cumulative wall seconds),
            ``value``, ``report``, ``incumbent_index`` (the arch derived at that epoch: a one-shot
            search has no evaluated incumbents), ``incumbent_report``, ``regret``.
        """
        if self.report is None:
            raise NasbenchError("this search result has not been looked up in a benchmark; call lookup(result) first.")
        n = len(self.arch_index)
        return {
            "eval": np.arange(1, n + 1, dtype=np.int64),
            "arch_index": self.arch_index,
            "end_s": np.cumsum(self.epoch_time_s),
            "value": self.value,
            "report": self.report,
            "incumbent_index": self.arch_index,
            "incumbent_report": self.report,
            "regret": self.objective["best_report"] - self.report,
        }

    def to_dict(self) -> dict:
        """JSON-serialisable dict (arrays become lists)."""
        out = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            out[f.name] = v.tolist() if isinstance(v, np.ndarray) else v
        out["arch_string"] = self.arch.string
        return out


def _seeds(seed: int, n: int) -> list[int]:
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in np.random.SeedSequence(seed).spawn(n)]


def run_search(data, config: SearchConfig = SearchConfig(), seed: int = 0, *, benchmark: str | None = None,
               objective: dict | None = None, lookup_benchmark: bool = True, progress=None) -> SearchResult:
    """Run DARTS (first order) or GDAS on ``data`` and derive an NB201 arch after every epoch.

    Parameters
    ----------
    data : nasbench.training.data.DataSplit
        Weights train on ``x_train``, alphas on ``x_valid`` (``x_test`` is not used).
    config : SearchConfig
    seed : int, default 0
    benchmark : str, optional
        Where to look the derived archs up (default: :func:`default_benchmark`).
    objective : dict, optional
        Metrics of the lookup (see :func:`lookup`).
    lookup_benchmark : bool, default True
        False skips the lookup (e.g. when no table is imported); call :func:`lookup` later.
    progress : callable(str) or None
        Receives one line per epoch.

    Returns
    -------
    SearchResult

    Raises
    ------
    NasbenchError
        If ``seed`` is not a non-negative int, ``data`` is not a DataSplit or ``config`` not a SearchConfig.
    """
    from nasbench.training._deps import require_torch
    from nasbench.training.model import check_input_shape
    from nasbench.training.supernet import Supernet
    from nasbench.training.trainer import _run_settings, check_seed_and_data, resolve_device

    torch = require_torch()
    F = torch.nn.functional
    check_seed_and_data(seed, data)
    if not isinstance(config, SearchConfig):
        raise NasbenchError(f"config must be a SearchConfig; got {type(config).__name__}.")
    device = resolve_device(config.device)
    shape = check_input_shape(data.input_shape)
    net_seed, w_order, a_order = _seeds(int(seed), 3)
    say = progress or (lambda line: None)
    E = config.epochs
    rec = {k: np.empty(E) for k in ("train_loss", "train_acc", "valid_loss", "valid_acc", "epoch_time_s")}
    arch_index = np.empty(E, dtype=np.int64)
    alphas = np.empty((E, 6, 5))
    with _run_settings(config.n_threads):  # deterministic algorithms, thread count; restored after
        net = Supernet(config.C, config.N, shape[0], data.n_classes, mode=config.method, seed=net_seed).to(device)
        w_opt = torch.optim.SGD(net.weight_parameters(), lr=config.w_lr, momentum=config.w_momentum,
                                nesterov=config.w_momentum > 0, weight_decay=config.w_weight_decay)
        a_opt = torch.optim.Adam(net.arch_parameters(), lr=config.a_lr, betas=(config.a_beta1, config.a_beta2),
                                 weight_decay=config.a_weight_decay)
        xt, yt = torch.as_tensor(data.x_train, device=device), torch.as_tensor(data.y_train, device=device)
        xv, yv = torch.as_tensor(data.x_valid, device=device), torch.as_tensor(data.y_valid, device=device)
        gen_w, gen_a = torch.Generator(device="cpu"), torch.Generator(device="cpu")
        gen_w.manual_seed(w_order)
        gen_a.manual_seed(a_order)
        bs = config.batch_size
        starts = [s for s in range(0, len(xt), bs) if min(bs, len(xt) - s) >= 2]
        a_starts = [s for s in range(0, len(xv), bs) if min(bs, len(xv) - s) >= 2]
        if not starts or not a_starts:
            raise NasbenchError(
                f"the search needs at least 2 training and 2 validation images; got {len(xt)} and {len(xv)}."
            )
        total = E * len(starts)
        step = 0
        for epoch in range(E):
            t0 = time.perf_counter()
            net.tau = config.tau(epoch)
            net.train()
            perm_w = torch.randperm(len(xt), generator=gen_w).to(device)
            perm_a = torch.randperm(len(xv), generator=gen_a).to(device)
            sums = np.zeros(6)  # train loss, correct, n; valid loss, correct, n
            for i, s in enumerate(starts):
                lr = config.w_lr_min + 0.5 * (config.w_lr - config.w_lr_min) * (1 + math.cos(math.pi * step / total))
                for g in w_opt.param_groups:
                    g["lr"] = lr
                idx = perm_w[s:s + bs]
                logits = net(xt[idx])
                loss = F.cross_entropy(logits, yt[idx])
                w_opt.zero_grad(set_to_none=True)
                a_opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(net.weight_parameters(), config.grad_clip)
                w_opt.step()
                sums[0] += float(loss.detach()) * len(idx)
                sums[1] += int((logits.detach().argmax(1) == yt[idx]).sum())
                sums[2] += len(idx)
                # the architecture batch: the next slice of this epoch's validation order (cycling)
                a = a_starts[i % len(a_starts)]
                jdx = perm_a[a:a + bs]
                logits = net(xv[jdx])
                loss = F.cross_entropy(logits, yv[jdx])
                w_opt.zero_grad(set_to_none=True)
                a_opt.zero_grad(set_to_none=True)
                loss.backward()
                a_opt.step()
                sums[3] += float(loss.detach()) * len(jdx)
                sums[4] += int((logits.detach().argmax(1) == yv[jdx]).sum())
                sums[5] += len(jdx)
                step += 1
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            rec["epoch_time_s"][epoch] = time.perf_counter() - t0
            rec["train_loss"][epoch], rec["train_acc"][epoch] = sums[0] / sums[2], 100.0 * sums[1] / sums[2]
            rec["valid_loss"][epoch], rec["valid_acc"][epoch] = sums[3] / sums[5], 100.0 * sums[4] / sums[5]
            arch = net.derive()
            arch_index[epoch] = arch.index
            alphas[epoch] = net.probabilities()
            say(f"{config.method} epoch {epoch + 1}/{E}: supernet train acc {rec['train_acc'][epoch]:.1f}%, "
                f"valid acc {rec['valid_acc'][epoch]:.1f}%, derived {arch.string}")
    result = SearchResult(config.method, int(seed), config.to_dict(), dict(data.info), arch_index, alphas,
                          rec["train_loss"], rec["train_acc"], rec["valid_loss"], rec["valid_acc"],
                          rec["epoch_time_s"], str(device))
    if lookup_benchmark:
        lookup(result, benchmark, objective)
    return result


def search_tasks(methods, *, n_seeds: int = 1, root_seed: int = 0, dataset: str = "digits", data_dir=None,
                 benchmark: str | None = None, objective: dict | None = None, config: dict | None = None) -> list:
    """Executor tasks for :func:`search_task`: every method on seeds ``0..n_seeds-1``.

    Seed ``i`` is the same for every method (drawn from ``SeedSequence(root_seed).spawn``), as in
    ``compare``. ``config`` holds :class:`SearchConfig` fields other than ``method``.
    """
    for name, v, low in (("n_seeds", n_seeds, 1), ("root_seed", root_seed, 0)):
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise NasbenchError(f"{name} must be an int >= {low}; got {v!r}.")
    if dataset not in ("digits", "cifar10"):
        raise UnknownNameError(f"unknown dataset {dataset!r}; expected one of 'digits', 'cifar10'.")
    if dataset == "cifar10" and not data_dir:
        raise NasbenchError(
            "dataset 'cifar10' needs data_dir: the folder with data_batch_1..5 and test_batch "
            "(cifar-10-batches-py); nasbench does not download it. Pass --data-dir DIR, or use digits."
        )
    seeds = _seeds(root_seed, n_seeds)
    tasks = []
    for m in methods:
        SearchConfig(method=m, **(config or {}))  # validate before anything runs
        for i, s in enumerate(seeds):
            tasks.append({"method": m, "seed": s, "seed_id": i, "dataset": dataset, "data_dir": data_dir,
                          "benchmark": benchmark, "objective": objective, "config": dict(config or {})})
    return tasks


def search_task(task: dict) -> SearchResult:
    """Run one search described by a :func:`search_tasks` entry (an executor task)."""
    from nasbench.training.data import load_cifar10, load_digits

    data = load_digits() if task["dataset"] == "digits" else load_cifar10(task["data_dir"])
    config = SearchConfig(method=task["method"], **task["config"])
    return run_search(data, config, seed=task["seed"], benchmark=task["benchmark"], objective=task["objective"])


def lookup(result: SearchResult, benchmark: str | None = None, objective: dict | None = None) -> SearchResult:
    """Look the derived archs of ``result`` up in ``benchmark`` (in place; returns ``result``).

    Parameters
    ----------
    result : SearchResult
    benchmark : str, optional
        Default: :func:`default_benchmark`.
    objective : dict, optional
        :class:`strategies.task.Objective` fields (default: search ``valid_acc``, report ``test_acc``,
        both at their highest fidelity), e.g. a compare run's ``manifest["config"]["objective"]``.
    """
    import nasbench
    from strategies.task import Objective

    benchmark = benchmark or default_benchmark()
    obj = Objective(**(objective or {}))
    bench = nasbench.load(benchmark)
    if obj.search_metric is None:  # as Task does: the benchmark's validation metric
        obj = Objective(**{**obj.to_dict(), "search_metric": bench.default_search_metric() or "valid_acc"})
    sf = obj.search_fidelity if obj.search_fidelity is not None else bench.default_fidelity(obj.search_metric)
    rm = obj.report_metric or ("test_acc" if "test_acc" in bench.metrics else obj.search_metric)  # as Task does
    rf = obj.report_fidelity if obj.report_fidelity is not None else bench.default_fidelity(rm)
    report_col = np.asarray(bench.column(rm, rf))
    idx = np.asarray(result.arch_index, dtype=np.int64)
    result.benchmark = benchmark
    result.value = np.asarray(bench.query(idx, obj.search_metric, sf, missing="nan"), dtype=np.float64)
    result.report = np.asarray(report_col[idx], dtype=np.float64)
    best = int(np.nanargmax(report_col))
    result.objective = {"search_metric": obj.search_metric, "search_fidelity": sf,
                        "report_metric": rm, "report_fidelity": rf,
                        "best_report": float(report_col[best]), "best_report_arch_index": best}
    return result


# ---------------------------------------------------------------- leaderboard
def leaderboard_rows(results) -> list[dict]:
    """Leaderboard rows (one per method) for weight-sharing results, in the columns of a compare run.

    ``final_regret`` is the regret of the arch derived at the last epoch, averaged over seeds with a
    95% t-interval; ``auc_regret`` is the normalised area under the per-epoch regret curve (an
    epoch axis, not the evaluation axis of the black-box rows); ``mean_rank`` is NaN because the
    black-box ranks are over paired seeds of one simulator; ``n_evals_mean`` is 0 (the search
    queries no table) and ``search_epochs`` / ``search_time_mean_s`` give its real cost.
    """
    from strategies import leaderboard as lb

    by_method: dict[str, list] = {}
    for r in results:
        if r.report is None:
            raise NasbenchError(f"the {r.method} result (seed {r.seed}) is not looked up; call lookup(result) first.")
        by_method.setdefault(r.method, []).append(r)
    rows = []
    for method, rs in by_method.items():
        trajs = [r.trajectory() for r in rs]
        f = lb.mean_ci([t["regret"][-1] for t in trajs])
        a = lb.mean_ci([lb.normalized_auc(t["regret"]) for t in trajs])
        rows.append({
            "strategy": method, "n_seeds": len(rs),
            "final_regret_mean": f[0], "final_regret_ci_low": f[1], "final_regret_ci_high": f[2],
            "auc_regret_mean": a[0], "auc_regret_ci_low": a[1], "auc_regret_ci_high": a[2],
            "mean_rank": float("nan"),
            "final_report_mean": float(np.mean([t["report"][-1] for t in trajs])),
            "n_evals_mean": 0.0, "sim_time_mean_s": float("nan"),
            "search_epochs": len(trajs[0]["eval"]),
            "search_time_mean_s": float(np.mean([t["end_s"][-1] for t in trajs])),
            "final_arch_indices": " ".join(str(int(t["arch_index"][-1])) for t in trajs),
        })
    return rows


def merge_into_run(run_dir, results, *, write: bool = True):
    """Put weight-sharing results beside the black-box strategies of a ``compare`` run.

    Reads ``leaderboard.csv`` and ``manifest.json`` of ``run_dir``, checks that every result was
    looked up on the run's benchmark with its report metric and fidelity, appends one row per
    method and (``write=True``) writes ``leaderboard_weight_sharing.csv`` / ``.md``,
    ``weight_sharing_trajectories.csv`` and ``weight_sharing.json`` into ``run_dir``. The compare
    run's own files are left unchanged, so its manifest checksums stay valid.

    Parameters
    ----------
    run_dir : str or os.PathLike
    results : list of SearchResult

    Returns
    -------
    pandas.DataFrame
        The merged leaderboard, sorted by mean final regret (ties: strategy name).

    Raises
    ------
    MissingDataError
        If ``run_dir`` holds no compare run.
    DataIntegrityError
        If it is not one finished run: half-written, files of two runs mixed, or edited
        (:func:`strategies._outdir.finished_compare_run`).
    NasbenchError
        If a result was looked up elsewhere than the run's benchmark and objective.
    """
    import pandas as pd

    from strategies._outdir import finished_compare_run

    run = Path(run_dir)
    # one finished run only: its manifest, written last, lists every output with its sha256
    manifest = finished_compare_run(run, what="--merge-into")
    if "leaderboard.csv" not in manifest["outputs"]:
        raise MissingDataError(f"--merge-into {run} lists no leaderboard.csv in its manifest; it is not a compare "
                               "run to merge into. Create one with `nasbench compare NAME --out DIR`.")
    bench_name = manifest["config"]["benchmark"]
    task = manifest.get("task", {})
    for r in results:
        if r.benchmark is None:
            lookup(r, bench_name, manifest["config"].get("objective") or None)
        want = (bench_name, task.get("report_metric"), task.get("report_fidelity"))
        got = (r.benchmark, r.objective["report_metric"], r.objective["report_fidelity"])
        if want[0] != got[0] or (want[1] is not None and want[1:] != got[1:]):
            raise NasbenchError(
                f"the {r.method} result was looked up on {got}, but the compare run in {run} reports {want} "
                "(benchmark, report metric, report fidelity). Look it up with "
                f"lookup(result, {bench_name!r}, manifest['config']['objective'])."
            )
    board = pd.read_csv(run / "leaderboard.csv")
    board["search_epochs"] = np.nan
    board["search_time_mean_s"] = np.nan
    board["final_arch_indices"] = ""
    extra = pd.DataFrame(leaderboard_rows(results))
    merged = pd.concat([board, extra], ignore_index=True)
    merged = merged.sort_values(["final_regret_mean", "strategy"], kind="mergesort").reset_index(drop=True)
    if write:
        from strategies._outdir import amended_run

        rows = []
        for r in results:
            t = r.trajectory()
            for i in range(len(t["eval"])):
                rows.append({"strategy": r.method, "seed": r.seed, **{k: v[i].item() for k, v in t.items()}})
        with amended_run(run, flag="--merge-into") as stage:  # a kill leaves none or all of the four files
            merged.to_csv(stage / "leaderboard_weight_sharing.csv", index=False, float_format="%.6f",
                          lineterminator="\n")
            (stage / "leaderboard_weight_sharing.md").write_text(_markdown(merged, bench_name, task))
            pd.DataFrame(rows).to_csv(stage / "weight_sharing_trajectories.csv", index=False, float_format="%.6f",
                                      lineterminator="\n")
            (stage / "weight_sharing.json").write_text(
                json.dumps([jsonable(r.to_dict()) for r in results], indent=1, sort_keys=True) + "\n")
    return merged


def _markdown(board, bench_name: str, task: dict) -> str:
    lines = [
        f"## {bench_name}: black-box strategies and weight-sharing search",
        "",
        (f"Regret = best {task.get('report_metric', 'report metric')} at fidelity {task.get('report_fidelity')} "
         "minus that of the final pick, mean [95% t-interval] over seeds; lower is better. Weight-sharing rows "
         "(no table queries; real supernet training) have no paired rank; their AUC is over search epochs."),
        "",
        "| # | strategy | seeds | final regret | final test | evals | search epochs | final archs |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for k, r in enumerate(board.itertuples(), start=1):
        epochs = "" if _isna(r.search_epochs) else f"{int(r.search_epochs)}"
        lines.append(
            f"| {k} | {r.strategy} | {int(r.n_seeds)} | {r.final_regret_mean:.3f} [{r.final_regret_ci_low:.3f}, "
            f"{r.final_regret_ci_high:.3f}] | {r.final_report_mean:.3f} | {r.n_evals_mean:.0f} | {epochs} | "
            f"{'' if _isna(r.final_arch_indices) else r.final_arch_indices} |"
        )
    return "\n".join(lines) + "\n"


def _isna(v) -> bool:
    """True for None, NaN and empty strings (cells of a merged leaderboard)."""
    if v is None or (isinstance(v, str) and v == ""):
        return True
    try:
        return bool(np.isnan(v))
    except TypeError:
        return False
