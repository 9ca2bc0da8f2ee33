"""Weight-sharing gradient search over NB201: DARTS (first order) and GDAS on the real backend.

:func:`run_search` trains a :class:`nasbench.training.supernet.Supernet` on real images (scikit-learn's
digits, or CIFAR-10 python batches from a folder the user gives) and, after every search epoch,
derives the arch (argmax of the alphas per edge, NB201's rule) and looks it up in a tabular
benchmark, as NB201's paper does for its weight-sharing baselines. The result carries one trajectory
row per search epoch, so it can stand on the same leaderboard as the black-box strategies of a
``compare`` run (:mod:`strategies.weight_sharing_board`). :class:`SearchConfig` and
:class:`SearchResult` are in :mod:`strategies.weight_sharing_config`.

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

import math

import numpy as np

from nasbench.benchmarks.registry import default_benchmark
from nasbench.checks import check_int
from nasbench.errors import NasbenchError, UnknownNameError
from nasbench.rng import child_int_seeds
from nasbench.timing import Stopwatch
from strategies.weight_sharing_config import SearchConfig, SearchResult

__all__ = ["lookup", "run_search", "search_task", "search_tasks"]


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
    from nasbench.training.model import check_input_shape
    from nasbench.training.trainer import _run_settings, check_seed_and_data, resolve_device

    check_seed_and_data(seed, data)
    if not isinstance(config, SearchConfig):
        raise NasbenchError(f"config must be a SearchConfig; got {type(config).__name__}.")
    device = resolve_device(config.device)
    shape = check_input_shape(data.input_shape)
    net_seed, w_order, a_order = child_int_seeds(int(seed), 3)
    say = progress or (lambda line: None)
    E = config.epochs
    rec = {k: np.empty(E) for k in ("train_loss", "train_acc", "valid_loss", "valid_acc", "epoch_time_s")}
    arch_index = np.empty(E, dtype=np.int64)
    alphas = np.empty((E, 6, 5))
    with _run_settings(config.n_threads):  # deterministic algorithms, thread count; restored after
        loop = _SearchLoop(data, config, device, shape, net_seed, w_order, a_order)
        for epoch in range(E):
            clock = Stopwatch()
            sums = loop.epoch(epoch)
            rec["epoch_time_s"][epoch] = clock.wall_s
            rec["train_loss"][epoch], rec["train_acc"][epoch] = sums[0] / sums[2], 100.0 * sums[1] / sums[2]
            rec["valid_loss"][epoch], rec["valid_acc"][epoch] = sums[3] / sums[5], 100.0 * sums[4] / sums[5]
            arch = loop.net.derive()
            arch_index[epoch] = arch.index
            alphas[epoch] = loop.net.probabilities()
            say(f"{config.method} epoch {epoch + 1}/{E}: supernet train acc {rec['train_acc'][epoch]:.1f}%, "
                f"valid acc {rec['valid_acc'][epoch]:.1f}%, derived {arch.string}")
    result = SearchResult(config.method, int(seed), config.to_dict(), dict(data.info), arch_index, alphas,
                          rec["train_loss"], rec["train_acc"], rec["valid_loss"], rec["valid_acc"],
                          rec["epoch_time_s"], str(device))
    if lookup_benchmark:
        lookup(result, benchmark, objective)
    return result


class _SearchLoop:
    """The supernet, its two optimisers, the data on the device and the batch orders of one search.

    Each step follows NB201's DARTS-V1 / GDAS loops: a weight step on a training batch, then an
    architecture step on a batch of the held-out validation split.
    """

    def __init__(self, data, config: SearchConfig, device, shape, net_seed: int, w_order: int, a_order: int):
        from nasbench.training._deps import require_torch
        from nasbench.training.supernet import Supernet

        torch = self.torch = require_torch()
        self.config, self.device = config, device
        self.net = Supernet(config.C, config.N, shape[0], data.n_classes, mode=config.method, seed=net_seed).to(device)
        self.w_opt = torch.optim.SGD(self.net.weight_parameters(), lr=config.w_lr, momentum=config.w_momentum,
                                     nesterov=config.w_momentum > 0, weight_decay=config.w_weight_decay)
        self.a_opt = torch.optim.Adam(self.net.arch_parameters(), lr=config.a_lr,
                                      betas=(config.a_beta1, config.a_beta2), weight_decay=config.a_weight_decay)
        self.xt, self.yt = torch.as_tensor(data.x_train, device=device), torch.as_tensor(data.y_train, device=device)
        self.xv, self.yv = torch.as_tensor(data.x_valid, device=device), torch.as_tensor(data.y_valid, device=device)
        self.gen_w, self.gen_a = torch.Generator(device="cpu"), torch.Generator(device="cpu")
        self.gen_w.manual_seed(w_order)
        self.gen_a.manual_seed(a_order)
        bs = config.batch_size
        self.starts = [s for s in range(0, len(self.xt), bs) if min(bs, len(self.xt) - s) >= 2]
        self.a_starts = [s for s in range(0, len(self.xv), bs) if min(bs, len(self.xv) - s) >= 2]
        if not self.starts or not self.a_starts:
            raise NasbenchError(
                f"the search needs at least 2 training and 2 validation images; got {len(self.xt)} and {len(self.xv)}."
            )
        self.total = config.epochs * len(self.starts)
        self.step = 0

    def epoch(self, epoch: int) -> np.ndarray:
        """Train one epoch; returns the sums (train loss, correct, n; valid loss, correct, n), shape (6,)."""
        config, torch, bs = self.config, self.torch, self.config.batch_size
        self.net.tau = config.tau(epoch)
        self.net.train()
        perm_w = torch.randperm(len(self.xt), generator=self.gen_w).to(self.device)
        perm_a = torch.randperm(len(self.xv), generator=self.gen_a).to(self.device)
        sums = np.zeros(6)
        for i, s in enumerate(self.starts):
            lr = config.w_lr_min + 0.5 * (config.w_lr - config.w_lr_min) * (1 + math.cos(math.pi * self.step / self.total))
            for g in self.w_opt.param_groups:
                g["lr"] = lr
            sums[:3] += self._step(self.xt, self.yt, perm_w[s:s + bs], self.w_opt, clip=True)
            # the architecture batch: the next slice of this epoch's validation order (cycling)
            a = self.a_starts[i % len(self.a_starts)]
            sums[3:] += self._step(self.xv, self.yv, perm_a[a:a + bs], self.a_opt, clip=False)
            self.step += 1
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        return sums

    def _step(self, x, y, idx, optimizer, *, clip: bool) -> tuple[float, int, int]:
        """One optimiser step on the batch ``idx``: (summed loss, correct predictions, batch size)."""
        logits = self.net(x[idx])
        loss = self.torch.nn.functional.cross_entropy(logits, y[idx])
        self.w_opt.zero_grad(set_to_none=True)
        self.a_opt.zero_grad(set_to_none=True)
        loss.backward()
        if clip:
            self.torch.nn.utils.clip_grad_norm_(self.net.weight_parameters(), self.config.grad_clip)
        optimizer.step()
        return float(loss.detach()) * len(idx), int((logits.detach().argmax(1) == y[idx]).sum()), len(idx)


def search_tasks(methods, *, n_seeds: int = 1, root_seed: int = 0, dataset: str = "digits", data_dir=None,
                 benchmark: str | None = None, objective: dict | None = None, config: dict | None = None) -> list:
    """Executor tasks for :func:`search_task`: every method on seeds ``0..n_seeds-1``.

    Seed ``i`` is the same for every method (drawn from ``SeedSequence(root_seed).spawn``), as in
    ``compare``. ``config`` holds :class:`SearchConfig` fields other than ``method``.
    """
    n_seeds, root_seed = check_int("n_seeds", n_seeds, 1), check_int("root_seed", root_seed, 0)
    if dataset not in ("digits", "cifar10"):
        raise UnknownNameError(f"unknown dataset {dataset!r}; expected one of 'digits', 'cifar10'.")
    if dataset == "cifar10" and not data_dir:
        raise NasbenchError(
            "dataset 'cifar10' needs data_dir: the folder with data_batch_1..5 and test_batch "
            "(cifar-10-batches-py); nasbench does not download it. Pass --data-dir DIR, or use digits."
        )
    seeds = child_int_seeds(root_seed, n_seeds)
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
