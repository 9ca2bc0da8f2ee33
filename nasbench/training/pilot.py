"""Pilot study: does a training setup tell NB201 architectures apart on the digits data?

Trains a random sample of NB201 isomorphism-class representatives with two (or more) training
seeds under one :class:`~nasbench.training.trainer.TrainConfig` and reports

* ``spearman_seeds``: Spearman correlation, over the sampled archs, of the final validation
  accuracy of seed 0 with that of seed 1 (mean over seed pairs when more than two seeds);
* ``noise_sd``: seed-to-seed noise of one run's final validation accuracy, estimated as
  ``std(acc_seed_a - acc_seed_b) / sqrt(2)`` (percentage points);
* ``spread_top1_median``: the 99th minus the 50th percentile, over archs, of the seed-mean
  final validation accuracy (percentage points), and ``spread_over_noise`` = spread / noise_sd;
* ``train_time_s_median`` and ``run_time_s_median``: wall-clock seconds per training run
  (training steps only, and the whole run with evaluation and latency measurement), and
  ``run_cpu_s_median``: CPU seconds of the whole run (``time.process_time``, which does not grow
  when other processes share the cores).

Every finished run is appended to a JSON-lines file, so a stopped pilot continues where it left
off when started again with the same arguments; the summary is written as JSON at the end.

Run it with ``python -m nasbench.training.pilot --out pilot_dir [options]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

from nasbench.errors import NasbenchError

__all__ = ["sample_representatives", "summarise", "run_pilot", "add_arguments", "run", "main", "HELP"]


def sample_representatives(n_archs: int, seed: int) -> np.ndarray:
    """``n_archs`` distinct isomorphism-class representatives (NB201 indices), drawn uniformly.

    Parameters
    ----------
    n_archs : int
        At most the number of classes (6466).
    seed : int
        Seeds ``numpy.random.default_rng``.

    Returns
    -------
    ndarray of int64, shape (n_archs,)
    """
    from nasbench.spaces.nb201 import class_representatives

    reps = class_representatives()
    if isinstance(n_archs, bool) or not isinstance(n_archs, (int, np.integer)) or not 1 <= n_archs <= len(reps):
        raise NasbenchError(
            f"n_archs must be an int in [1, {len(reps)}] (the number of NB201 isomorphism classes); got {n_archs!r}."
        )
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(reps, size=int(n_archs), replace=False))


def summarise(acc: np.ndarray) -> dict:
    """Seed agreement and spread of final validation accuracies.

    Parameters
    ----------
    acc : ndarray of float, shape (n_archs, n_seeds)
        Final validation accuracy (%) of each arch under each seed; n_seeds >= 2, n_archs >= 3.

    Returns
    -------
    dict
        ``spearman_seeds`` (and ``spearman_seeds_ci95``, a 95% bootstrap interval over archs for
        the first two seeds), ``kendall_seeds``, ``noise_sd``, ``spread_top1_median``,
        ``spread_over_noise``, ``median_acc``, ``top1_acc``, ``n_archs``, ``n_seeds``.
    """
    import warnings

    from scipy.stats import ConstantInputWarning, kendalltau, rankdata, spearmanr

    acc = np.asarray(acc, dtype=np.float64)
    if acc.ndim != 2 or acc.shape[1] < 2 or acc.shape[0] < 3:
        raise NasbenchError(
            f"acc must have shape (n_archs >= 3, n_seeds >= 2); got {acc.shape}. Train more archs or seeds."
        )
    n_seeds = acc.shape[1]
    rhos, taus, diffs = [], [], []
    for a in range(n_seeds):
        for b in range(a + 1, n_seeds):
            with warnings.catch_warnings():  # a constant column gives NaN, which is reported as is
                warnings.simplefilter("ignore", ConstantInputWarning)
                rhos.append(spearmanr(acc[:, a], acc[:, b]).statistic)
                taus.append(kendalltau(acc[:, a], acc[:, b]).statistic)
            diffs.append(acc[:, a] - acc[:, b])
    noise_sd = float(np.std(np.concatenate(diffs), ddof=1) / np.sqrt(2))
    # 95% bootstrap interval of the seed-0 vs seed-1 Spearman (archs resampled, fixed generator):
    # Spearman = Pearson correlation of the ranks, computed for all resamples at once.
    rng = np.random.default_rng(0)
    pick = rng.integers(0, acc.shape[0], size=(1000, acc.shape[0]))
    ranks_a = rankdata(acc[pick, 0], axis=1)
    ranks_b = rankdata(acc[pick, 1], axis=1)
    ranks_a -= ranks_a.mean(axis=1, keepdims=True)
    ranks_b -= ranks_b.mean(axis=1, keepdims=True)
    denom = np.sqrt((ranks_a**2).sum(axis=1) * (ranks_b**2).sum(axis=1))
    boot = (ranks_a * ranks_b).sum(axis=1)[denom > 0] / denom[denom > 0]
    low, high = np.percentile(boot, [2.5, 97.5]) if len(boot) else (np.nan, np.nan)
    mean = acc.mean(axis=1)
    top1, median = np.percentile(mean, 99), np.percentile(mean, 50)
    spread = float(top1 - median)
    return {
        "n_archs": int(acc.shape[0]),
        "n_seeds": int(n_seeds),
        "spearman_seeds": float(np.mean(rhos)),
        "spearman_seeds_ci95": [float(low), float(high)],
        "kendall_seeds": float(np.mean(taus)),
        "noise_sd": noise_sd,
        "median_acc": float(median),
        "top1_acc": float(top1),
        "spread_top1_median": spread,
        "spread_over_noise": spread / noise_sd if noise_sd > 0 else float("inf"),
    }


def _read_done(path: str) -> dict:
    done = {}
    if os.path.exists(path):
        with open(path) as fh:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:  # a line cut short by an interrupt
                    continue
                done[(row["arch_index"], row["seed"])] = row
    return done


def run_pilot(out_dir, *, n_archs=300, seeds=(0, 1), sample_seed=0, config=None, split=(1000, 500, 297),
              split_seed=0, upsample=1, log=print) -> dict:
    """Train ``n_archs`` random class representatives with every seed in ``seeds``; summarise.

    Parameters
    ----------
    out_dir : str or os.PathLike
        Gets ``runs.jsonl`` (one line per finished run, appended) and ``summary.json``.
    n_archs : int, default 300
    seeds : sequence of int, default (0, 1)
    sample_seed : int, default 0
        Seeds the choice of archs.
    config : TrainConfig or None
        None uses ``TrainConfig()`` defaults.
    split : (n_train, n_valid, n_test), default (1000, 500, 297)
    split_seed : int, default 0
    upsample : int, default 1
    log : callable, default print
        Receives one progress line per run.

    Returns
    -------
    dict
        The summary (see :func:`summarise`) plus the config, split and timings.
    """
    from nasbench.training.data import load_digits
    from nasbench.training.trainer import TrainConfig, train_arch

    config = TrainConfig() if config is None else config
    seeds = tuple(int(s) for s in seeds)
    if len(seeds) < 2 or len(set(seeds)) != len(seeds):
        raise NasbenchError(f"a pilot needs at least two distinct training seeds; got {seeds!r}.")
    os.makedirs(out_dir, exist_ok=True)
    data = load_digits(*split, split_seed=split_seed, upsample=upsample)
    archs = sample_representatives(n_archs, sample_seed)
    runs_path = os.path.join(out_dir, "runs.jsonl")
    done = _read_done(runs_path)
    with open(runs_path, "a") as fh:
        for i, arch in enumerate(archs.tolist()):
            for seed in seeds:
                if (arch, seed) in done:
                    continue
                start, cpu_start = time.perf_counter(), time.process_time()
                result = train_arch(arch, data, config, seed=seed)
                row = result.to_dict()
                row["run_time_s"] = time.perf_counter() - start
                row["run_cpu_s"] = time.process_time() - cpu_start
                fh.write(json.dumps(row) + "\n")
                fh.flush()
                done[(arch, seed)] = row
                log(f"[{i + 1}/{len(archs)}] arch {arch} seed {seed}: valid {result.valid_acc[-1]:.2f}% "
                    f"train {result.train_time_s:.2f}s run {row['run_time_s']:.2f}s cpu {row['run_cpu_s']:.2f}s")
    acc = np.array([[done[(a, s)]["valid_acc"][-1] for s in seeds] for a in archs.tolist()])
    rows = [done[(a, s)] for a in archs.tolist() for s in seeds]
    summary = summarise(acc)
    summary.update(
        config=config.to_dict(),
        split=data.info,
        seeds=list(seeds),
        sample_seed=sample_seed,
        train_time_s_median=float(np.median([r["train_time_s"] for r in rows])),
        train_time_s_mean=float(np.mean([r["train_time_s"] for r in rows])),
        run_time_s_median=float(np.median([r["run_time_s"] for r in rows])),
        run_time_s_mean=float(np.mean([r["run_time_s"] for r in rows])),
        run_cpu_s_median=float(np.median([r["run_cpu_s"] for r in rows])),
        run_cpu_s_mean=float(np.mean([r["run_cpu_s"] for r in rows])),
        test_acc_spearman_seeds=summarise(
            np.array([[done[(a, s)]["test_acc"][-1] for s in seeds] for a in archs.tolist()])
        )["spearman_seeds"],
    )
    with open(os.path.join(out_dir, "summary.json"), "w") as fh:
        json.dump(summary, fh, indent=2)
    return summary


HELP = "pilot study: seed-to-seed Spearman and spread of NB201 archs trained on digits"


def add_arguments(parser) -> None:
    """Add the pilot's options to an :class:`argparse.ArgumentParser` (also used by the CLI)."""
    parser.add_argument("--out", required=True, help="output folder (runs.jsonl, summary.json); reruns resume")
    parser.add_argument("--n-archs", type=int, default=200, help="class representatives to train (default 200)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1], help="training seeds (default 0 1)")
    parser.add_argument("--sample-seed", type=int, default=0, help="seed of the arch sample (default 0)")
    parser.add_argument("--C", type=int, default=8, help="channels of the first stage (default 8)")
    parser.add_argument("--N", type=int, default=2, help="cells per stage (default 2)")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--bn-recalibration", type=int, default=256,
                        help="training images used to recompute BatchNorm statistics before each evaluation")
    parser.add_argument("--split", type=int, nargs=3, default=[500, 1000, 297], metavar=("TRAIN", "VALID", "TEST"))
    parser.add_argument("--split-seed", type=int, default=0)
    parser.add_argument("--upsample", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")


def run(args) -> int:
    """Run the pilot described by parsed ``args``; prints progress and the summary as JSON."""
    from nasbench.training.trainer import TrainConfig

    config = TrainConfig(C=args.C, N=args.N, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                         weight_decay=args.weight_decay, device="cpu", n_threads=args.threads,
                         bn_recalibration=args.bn_recalibration, latency_repeats=10)
    summary = run_pilot(args.out, n_archs=args.n_archs, seeds=args.seeds, sample_seed=args.sample_seed,
                        config=config, split=tuple(args.split), split_seed=args.split_seed,
                        upsample=args.upsample, log=lambda s: print(s, flush=True))
    print(json.dumps(summary, indent=2))
    return 0


def main(argv=None) -> int:
    """Command-line entry point: ``python -m nasbench.training.pilot --out DIR [options]``."""
    parser = argparse.ArgumentParser(prog="python -m nasbench.training.pilot", description=HELP)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except NasbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
