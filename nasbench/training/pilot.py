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

Run it with ``python -m nasbench.training.pilot --out pilot_dir [options]``; the defaults are
the chosen nb201/digits setup (:data:`DIGITS_TRAIN_KWARGS`, :data:`DIGITS_SPLIT`).

Measured figures (2026-11-22, torch 2.13.0+cpu, 1 thread, a 2-core Xeon VM shared with other jobs)
--------------------------------------------------------------------------------------------------
Chosen setup (:data:`DIGITS_TRAIN_KWARGS`, :data:`DIGITS_SPLIT`, used by ``nasbench generate``):
digits split 500 / 1000 / 297 (train / valid / test, ``split_seed=0``), C=8, N=2, 4 epochs,
batch 64 (32 SGD steps), lr 0.2 with a 4-step linear warm-up then cosine to 0, gradient norm
clipped at 5, Nesterov momentum 0.9, weight decay 5e-4, BatchNorm statistics recomputed from 256
training images before each evaluation. Pilot of 60 random class representatives
(``sample_seed=2``), seeds 0 and 1, reproduced by
``python -m nasbench.training.pilot --out pilot_C --n-archs 60 --sample-seed 2``:

* Spearman of final valid accuracy between the seeds: **0.884** (95% bootstrap 0.792-0.935);
  Kendall 0.720; test accuracy (297 images) 0.848.
* seed-to-seed noise of one run: SD **4.87** points, robust SD (1.4826 MAD / sqrt 2) **2.36**;
  noise of the 2-seed mean 3.44. Largest seed differences 28.9, 22.3, 18.2, 14.1, 12.8 points.
* median 88.6 %, top 1 % 97.0 %: spread **8.43** points = **1.73 x** the single-run SD and
  **3.57 x** the robust SD (point 4's ">= 3 x" holds only against the robust SD).
* cost: median **1.87 s CPU** per run (training, 4 evaluations, BN recalibration, FLOPs and
  latency included), measured at load average 4-6 on 2 cores (other jobs), so an upper bound;
  ``nasbench generate`` measures the latency once per class, not per seed.

The outliers are not divergences (no loss spikes; warm-up and clipping did not remove them): they
are slow learners. Cells that chain two or three convolutions/poolings without a skip from the
input (e.g. ``|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|nor_conv_1x1~0|avg_pool_3x3~1|nor_conv_3x3~2|``)
are still far from convergence after 32 steps (training loss 1.0-1.6), and how far depends on the
seed (training accuracy 58 % vs 87 % for the example). Only more SGD steps remove this, which
costs CPU linearly (~40-60 ms per step at batch 64); with the budget of ~3 hours for 6466 classes x
2 seeds the noise stays heavy-tailed, and two seeds average it down by sqrt(2) only.

Variants on the same 60-100 archs (``sample_seed=2``), Spearman / SD / robust SD / spread /
CPU s per run (all with warm-up and clipping 5):

* lr 0.05, 4 epochs, batch 64, 8 warm-up steps (29 archs): 0.63 / 4.37 / 1.99 / 3.80 / 1.8
* split 300/1200/297, batch 100, 6 epochs, lr 0.05 (29 archs): 0.45 / 4.85 / 5.42 / 6.26 / 1.9
* batch 32, 3 epochs (45 steps), lr 0.1, 4 warm-up steps (60 archs): 0.82 / 3.63 / 2.83 / 8.90 / 1.9
* lr 0.2, batch 64, 4 epochs (the chosen setup, 60 archs): 0.88 / 4.87 / 2.36 / 8.43 / 1.9
* lr 0.2, batch 64, 8 epochs (64 steps, 60 archs, ``--epochs 8``): 0.83 / 2.23 / 1.00 / 2.90 / 4.6 (at
  load 3); twice the steps let most archs converge near the ceiling (median 94.7 %, top 1 % 97.6 %), so
  the spread shrinks with the noise: 1.30 x SD, 2.91 x robust SD. More training does not buy a larger
  spread-to-noise ratio on digits; it costs 2.4 x the CPU.
* batch 32, 3 epochs (48 steps), lr 0.2, 4 warm-up steps (60 archs): 0.81 / 5.96 / 3.77 / 12.56 / 2.7
  (at load 3): less converged, so a wider spread (median 84.3 %) but more noise: 2.11 x SD, 3.33 x
  robust SD, and Spearman at the 0.8 floor.

Across these setups the ratio of spread to single-run SD moves against the seed Spearman: the less
trained, the wider the spread and the noisier the run. For comparison, NB201's own CIFAR-10 table
(200 epochs; single-seed values of 971 archs against their seed means, 3 seeds assumed) has a
single-run SD of about 0.37 points against a spread of 3.03 (8.1 x): full training, which a ~2 s CPU
budget per run cannot buy.

Earlier setup (no warm-up or clipping, lr 0.1, 5 epochs; 200 archs, ``sample_seed=2``): Spearman
0.810 (0.751-0.854), SD 2.80, robust SD 1.42, spread 3.75 (1.34 x SD, 2.65 x robust SD), 2.47 s CPU
per run. Lower learning rates make the slow learners slower (worse); a higher one with warm-up
trains more archs to convergence in fewer steps and widens the spread (the median drops).

Earlier setups (no warm-up or clipping, lr 0.1) tried on 40 representatives (``sample_seed=1``),
Spearman / single-run noise SD / spread / CPU s per run:

* C=8, N=1, 1000/500/297, batch 128, 3 epochs, recalibration 512: 0.37 / 1.96 / 2.11 / 1.2
* C=8, N=1, 500/1000/297, batch 64, 4 epochs, recalibration 500: 0.75 / 0.95 / 1.56 / 1.2
* C=8, N=2, 500/1000/297, batch 64, 5 epochs, recalibration 256: 0.80 / 2.67 / 4.66 / 2.6
* C=8, N=2, 500/1000/297, batch 64, 4 epochs, recalibration 256: 0.80 / 3.61 / 6.22 / 1.9
  (same Spearman for 25 % less CPU; not yet confirmed on 200 archs)
* C=8, N=1, 500/1000/297, batch 64, 5 epochs (200 archs, ``sample_seed=2``, stopped at 59):
  0.47 (0.23-0.67) / 1.10 / 1.16 / 1.7
* Without BN recalibration (NB201's running averages), 24-step runs evaluate at 55-87 % while
  training accuracy is ~97 %: the moving averages lag the weights, which is pure noise.

Lessons: the validation set size dominates the noise floor (1000 images beat 500); one cell per
stage (N=1) leaves the fixed skeleton (stem and residual reductions) to do most of the work, so
archs differ by only ~1.5 points; N=2 triples the spread between archs. N=2 costs about twice as
much as N=1, which is over the 0.5-1 s per run that ~6466 classes x 3 seeds in 3 hours on 2 cores
would allow: with two seeds the chosen setup needs about 6466 x 2 x 1.9 s / 2 cores = 3.4 hours of
both cores at the contended CPU cost measured here. ``perf/perf_training.py`` (load average ~2) gave 60 ms CPU
per training step of arch 6111 and a median of 3.0 s CPU per run over 10 representatives.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

from nasbench.errors import NasbenchError

__all__ = ["DIGITS_SPLIT", "DIGITS_TRAIN_KWARGS", "DIGITS_PILOT", "sample_representatives", "summarise", "run_pilot", "add_arguments", "run", "main", "HELP"]


# The nb201/digits setup chosen by the pilot (see the module docstring for the measured figures):
# split sizes (train, valid, test) of scikit-learn's digits, with split_seed=0 ...
DIGITS_SPLIT = (500, 1000, 297)
# ... and the TrainConfig fields (device and n_threads are left to the caller).
DIGITS_TRAIN_KWARGS = {
    "C": 8,
    "N": 2,
    "epochs": 4,
    "batch_size": 64,
    "lr": 0.2,
    "lr_min": 0.0,
    "momentum": 0.9,
    "nesterov": True,
    "weight_decay": 5e-4,
    "bn_recalibration": 256,
    "warmup_steps": 4,
    "grad_clip": 5.0,
}

# The pilot figures of the chosen setup (see the module docstring), recorded in the table's manifest.
DIGITS_PILOT = {
    "command": "python -m nasbench.training.pilot --out pilot_C --n-archs 60 --sample-seed 2",
    "n_archs": 60,
    "seeds": [0, 1],
    "spearman_valid_acc_seeds": 0.884,
    "spearman_ci95": [0.792, 0.935],
    "spearman_test_acc_seeds": 0.848,
    "noise_sd_single_run": 4.87,
    "noise_sd_robust": 2.36,
    "noise_sd_two_seed_mean": 3.44,
    "largest_seed_differences": [28.9, 22.3, 18.2, 14.1, 12.8],
    "median_valid_acc": 88.6,
    "top1_valid_acc": 97.03,
    "spread_top1_median": 8.43,
    "spread_over_noise_sd": 1.73,
    "spread_over_robust_sd": 3.57,
    "cpu_s_per_run_median": 1.87,
    "note": ("outliers are slow learners (deep cells without an input skip, far from convergence after 32 "
             "steps), not divergences; the >= 3x spread criterion holds against the robust SD only"),
}


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
        ``spread_over_noise``, ``median_acc``, ``top1_acc``, ``n_archs``, ``n_seeds``;
        ``noise_sd_robust`` (1.4826 x median absolute deviation of the seed differences / sqrt 2,
        insensitive to rare outlying runs) and ``spread_over_robust_noise``; ``noise_sd_seed_mean``
        (noise of the mean over the n_seeds seeds, ``noise_sd / sqrt(n_seeds)``);
        ``noise_sd_upper_half`` (single-run SD over the archs whose seed mean is at or above the
        median, the range the spread spans) and ``spread_over_upper_half_noise``;
        ``largest_abs_seed_differences`` (the five largest, points: the outliers, not hidden).
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
    # robust noise: 1.4826 x the median absolute deviation of the differences, / sqrt(2)
    all_diffs = np.concatenate(diffs)
    robust_sd = float(1.4826 * np.median(np.abs(all_diffs - np.median(all_diffs))) / np.sqrt(2))
    # the noise is not the same everywhere: slow learners below the median scatter most, so also
    # measure it where the spread is measured (archs whose seed mean is at or above the median)
    upper = np.concatenate([d[mean >= median] for d in diffs])
    upper_sd = float(np.std(upper, ddof=1) / np.sqrt(2)) if len(upper) > 1 else float("nan")
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
        "noise_sd_robust": robust_sd,
        "spread_over_robust_noise": spread / robust_sd if robust_sd > 0 else float("inf"),
        "noise_sd_seed_mean": noise_sd / np.sqrt(n_seeds),
        "noise_sd_upper_half": upper_sd,
        "spread_over_upper_half_noise": spread / upper_sd if upper_sd > 0 else float("inf"),
        "largest_abs_seed_differences": np.sort(np.abs(all_diffs))[-5:][::-1].tolist(),
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
    k = DIGITS_TRAIN_KWARGS
    parser.add_argument("--C", type=int, default=k["C"], help=f"channels of the first stage (default {k['C']})")
    parser.add_argument("--N", type=int, default=k["N"], help=f"cells per stage (default {k['N']})")
    parser.add_argument("--epochs", type=int, default=k["epochs"])
    parser.add_argument("--batch-size", type=int, default=k["batch_size"])
    parser.add_argument("--lr", type=float, default=k["lr"])
    parser.add_argument("--weight-decay", type=float, default=k["weight_decay"])
    parser.add_argument("--bn-recalibration", type=int, default=k["bn_recalibration"],
                        help="training images used to recompute BatchNorm statistics before each evaluation")
    parser.add_argument("--warmup-steps", type=int, default=k.get("warmup_steps", 0),
                        help="linear learning-rate warm-up steps (0: none)")
    parser.add_argument("--grad-clip", type=float, default=k.get("grad_clip", 0.0),
                        help="clip the gradients' global L2 norm to this (0: no clipping)")
    parser.add_argument("--split", type=int, nargs=3, default=list(DIGITS_SPLIT), metavar=("TRAIN", "VALID", "TEST"))
    parser.add_argument("--split-seed", type=int, default=0)
    parser.add_argument("--upsample", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")


def run(args) -> int:
    """Run the pilot described by parsed ``args``; prints progress and the summary as JSON."""
    from nasbench.training.trainer import TrainConfig

    config = TrainConfig(C=args.C, N=args.N, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                         weight_decay=args.weight_decay, device="cpu", n_threads=args.threads,
                         bn_recalibration=args.bn_recalibration, latency_repeats=10,
                         warmup_steps=args.warmup_steps, grad_clip=args.grad_clip)
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
