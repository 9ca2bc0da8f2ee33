"""Pilot studies: does a training recipe tell archs apart on digits within ~2 s of CPU per run?

A lab script, not part of the library: it chose the recipes of :mod:`nasbench.training.recipes`
(``nb201/digits`` and ``darts/digits``), and its docstring below is the dated record of every recipe
tried. The figures of the chosen recipes are also stored as data
(:data:`~nasbench.training.recipes.DIGITS_PILOT`, :data:`~nasbench.training.recipes.DARTS_PILOT`) in
the manifest of every table they produced.

A pilot trains a sample of archs (NB201: isomorphism-class representatives,
:func:`~nasbench.training.recipes.sample_representatives`; DARTS: uniformly drawn genotypes,
:func:`nasbench.training.darts_archs.sample_distinct`) with two or more training seeds under one
:class:`~nasbench.training.trainer.TrainConfig` and reports :func:`nasbench.training.recipes.summarise`
of the final validation accuracies (``spearman_seeds`` with a 95 % bootstrap interval, ``kendall_seeds``,
``noise_sd`` = ``std(acc_seed_a - acc_seed_b) / sqrt(2)`` in points, its robust version, the spread
``top 1 % - median`` and its ratio to the noise), the test-accuracy Spearman, and seconds per run
(``run_cpu_s``: ``time.process_time`` of the whole run, which does not grow when other processes share
the cores; ``train_time_s``: wall-clock of the training steps).

Resumable: every finished run is appended to ``OUT/runs.jsonl`` (a line cut by a kill is ignored), so a
stopped pilot continues where it left off when started again with the same arguments; the summary is
written to ``OUT/summary.json`` (DARTS: ``--summary-only`` summarises the archs whose seeds are all
done, a partial pilot labelled with its size).

Run::

    python perf/perf_pilot.py nb201 --out DIR [--n-archs 200 --sample-seed 0 --epochs 4 ...]
    nice -n 19 python perf/perf_pilot.py darts --out DIR [--n-archs 300 --sample-seed 0 ...]

The defaults are the chosen recipes (:data:`~nasbench.training.recipes.DIGITS_TRAIN_KWARGS`,
:data:`~nasbench.training.recipes.DARTS_TRAIN_KWARGS`).

NB201 on digits: measured figures (2026-11-22)
----------------------------------------------
torch 2.13.0+cpu, 1 thread, a 2-core Xeon VM shared with other jobs. Chosen setup
(:data:`~nasbench.training.recipes.DIGITS_TRAIN_KWARGS`, :data:`~nasbench.training.recipes.DIGITS_SPLIT`,
used by ``nasbench generate``):
digits split 500 / 1000 / 297 (train / valid / test, ``split_seed=0``), C=8, N=2, 4 epochs,
batch 64 (32 SGD steps), lr 0.2 with a 4-step linear warm-up then cosine to 0, gradient norm
clipped at 5, Nesterov momentum 0.9, weight decay 5e-4, BatchNorm statistics recomputed from 256
training images before each evaluation. Pilot of 60 random class representatives
(``sample_seed=2``), seeds 0 and 1, reproduced by
``python perf/perf_pilot.py nb201 --out pilot_C --n-archs 60 --sample-seed 2`` (run then as
``python -m nasbench.training.pilot``, with the same options):

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

DARTS on digits: measured figures (2026-11-28)
----------------------------------------------
Superseded on 2026-11-29: the darts/digits recipe is now C=20, 2 epochs of batch 128 (seed Spearman 0.843 on
the 500 held-out archs); ``perf/perf_darts_recipes.py`` has that search. The record below is of recipe B's time.

torch 2.13.0+cpu, 1 thread, a 2-core VM at load average 5-8 from other jobs, so CPU seconds are
upper bounds; recipe B was run as ``nice -n 19 python -m nasbench.training.darts_pilot --out
tabular_data/embedded/_build/darts-digits/pilot/B --n-archs 40 --sample-seed 7 --epochs 2``, today
``python perf/perf_pilot.py darts`` with the same options. Same first archs of ``--sample-seed 7``, seeds 0 and 1,
split 500/1000/297, lr 0.2 with 4 warm-up steps then cosine, clipping 5, Nesterov 0.9, weight decay
5e-4, BatchNorm recalibrated from 256 images. Spearman (95 % bootstrap) / single-run noise SD /
spread top-1 % minus median / median valid % / CPU s per run:

* **B (chosen then)**: C=8, N=1, 2 epochs, batch 64 (16 steps), 40 archs: **0.569 (0.25-0.77)** / 2.02 /
  3.37 / 90.4 / **1.34**; test-accuracy Spearman 0.51.
* A: C=8, N=1, 4 epochs, batch 64 (32 steps), 20 archs: 0.19 (-0.31-0.70) / 1.06 / 1.89 / 94.9 / 2.48:
  near the digits ceiling, the spread shrinks with the noise.
* C: C=4, N=2 (5 cells), 2 epochs, 40 archs: 0.568 (0.26-0.80) / 3.95 / 8.79 / 79.3 / 1.59: two cells
  per side widen the spread, but the noise grows as much.
* D: C=8, N=1, 4 epochs, batch 128 (16 steps), 13 archs (stopped): 0.62 (0.10-0.87) / 1.06 / 1.89 /
  93.2 / 2.30.
* H: a harder task, split 200/1000/297, C=8, N=1, 4 epochs of batch 50 (16 steps), 40 archs: 0.515
  (0.22-0.73) / 2.06 / 3.29 / 88.3 / 1.32; fewer training images lower the ceiling but not the
  noise relative to the spread.
* Seed noise within an arch (6 archs x 4 seeds, ``perf/perf_darts_seed_noise.py``; its output in the build folder's ``pilot/seed_noise.out``): 2
  epochs, C=8: SD 2.05 points; with a zero-initialised classifier (``classifier_init="zero"``)
  2.72; C=16 with it 2.95 (2.2 s CPU).
  A run's result depends mostly on the initialisation: final accuracies of A, B and D with the
  same seed (same initial weights) correlate at 0.78-0.95 across recipes.

Across these recipes the spread-to-noise ratio stays at 1.6-2.2 (as for NB201 on digits), so within
~2 s CPU no recipe tried reaches a seed-to-seed Spearman of 0.8 on uniformly drawn DARTS genotypes:
unlike NB201, the DARTS space has no ``none`` op, so uniform genotypes are all reasonable networks
and differ by a few points. B is the cheapest of the equally good recipes; the held-out part of the
generation (500 archs, two seeds) measures its agreement on 500 archs: **Spearman 0.606
(0.54-0.66)**, Kendall 0.44, single-run SD 3.02 (robust 2.04), spread 3.55 points, test-accuracy
Spearman 0.52, 1.27 s of training per run.

Consequence for the surrogate's held-out criterion: a single run's reliability (signal variance /
total) is about 0.6, so the mean of two seeds has 2 x 0.6 / 1.6 = 0.75, and even a perfect predictor
of the noise-free accuracy correlates with that mean at most sqrt(0.75) = 0.87, a Kendall tau of
about (2/pi) asin(0.87) = 0.67 for Gaussian scatter; a tau of 0.8 needs a single-run reliability
near 0.9, i.e. a recipe with several times less noise per unit of spread.

Where the CPU goes: ``convolution_backward`` of the depthwise convolutions is about half of a
training step (a 5x5 depthwise conv on 64x8x8x8 takes ~2 ms forward and backward, a dense 3x3
~0.6 ms); the same convolution written as a dense conv with a block-diagonal weight was 1.3-1.5x
faster for the 5x5 and dilated kernels in a micro-benchmark (not used: it would change the
numerics of runs already made).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

from nasbench.errors import NasbenchError


def _read_done(path: str, key: str) -> dict:
    """Finished runs of ``runs.jsonl`` keyed by ``(row[key], row["seed"])``; cut lines are skipped."""
    done = {}
    if os.path.exists(path):
        with open(path) as fh:
            for line in fh:
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:  # a line cut short by a kill: that run is redone
                    continue
                done[(row[key], row["seed"])] = row
    return done


def _train_missing(out_dir, items, seeds, *, key: str, data, config, build=None, log=print) -> dict:
    """Train every ``(name, arch)`` of ``items`` with every seed not yet in ``out_dir/runs.jsonl``.

    Each finished run is appended at once (one JSON line with ``key`` = name, ``run_time_s`` and
    ``run_cpu_s``), so a kill loses at most the run in flight. Returns all runs keyed by (name, seed).
    """
    from nasbench.training.trainer import train_arch

    path = os.path.join(out_dir, "runs.jsonl")
    done = _read_done(path, key)
    kwargs = {} if build is None else {"build": build}
    with open(path, "a") as fh:
        for i, (name, arch) in enumerate(items):
            for seed in seeds:
                if (name, seed) in done:
                    continue
                start, cpu = time.perf_counter(), time.process_time()
                result = train_arch(arch, data, config, seed=seed, **kwargs)
                row = result.to_dict()
                row.update({key: name, "run_time_s": time.perf_counter() - start,
                            "run_cpu_s": time.process_time() - cpu})
                fh.write(json.dumps(row) + "\n")
                fh.flush()
                done[(name, seed)] = row
                log(f"[{i + 1}/{len(items)}] {key} {name} seed {seed}: valid {result.valid_acc[-1]:.2f}% "
                    f"train {result.train_time_s:.2f}s run {row['run_time_s']:.2f}s cpu {row['run_cpu_s']:.2f}s")
    return done


def summarise_runs(done: dict, names, seeds, *, what: str = "the pilot") -> dict:
    """:func:`~nasbench.training.recipes.summarise` over the archs of ``names`` whose every seed is done.

    Returns
    -------
    dict
        The summary, plus ``complete``, ``n_archs_planned``, ``seeds``, ``test_acc_spearman_seeds``,
        median / p90 / mean seconds per run (``run_cpu_s``, ``run_time_s``, ``train_time_s``),
        ``params_m_range`` and ``latency_ms_median``.
    """
    from nasbench.training.recipes import summarise

    full = [n for n in names if all((n, s) in done for s in seeds)]
    if len(full) < 3:
        raise NasbenchError(f"{what} has {len(full)} archs with all seeds {list(seeds)}; a summary needs at least 3. "
                            "Let it run longer.")
    rows = [done[(n, s)] for n in full for s in seeds]

    def final(metric):
        return np.array([[done[(n, s)][metric][-1] for s in seeds] for n in full])

    summary = summarise(final("valid_acc"))
    summary.update(complete=len(full) == len(names), n_archs_planned=len(names), seeds=list(seeds),
                   test_acc_spearman_seeds=summarise(final("test_acc"))["spearman_seeds"],
                   params_m_range=[float(min(r["params_m"] for r in rows)), float(max(r["params_m"] for r in rows))],
                   latency_ms_median=float(np.nanmedian([r["latency_ms"] for r in rows])))
    for field in ("run_cpu_s", "run_time_s", "train_time_s"):
        values = [r[field] for r in rows]
        summary.update({f"{field}_median": float(np.median(values)), f"{field}_mean": float(np.mean(values)),
                        f"{field}_p90": float(np.percentile(values, 90))})
    return summary


def _write_summary(out_dir, summary: dict) -> None:
    tmp = os.path.join(out_dir, f".summary.json.tmp-{os.getpid()}")
    with open(tmp, "w") as fh:
        json.dump(summary, fh, indent=1)
    os.replace(tmp, os.path.join(out_dir, "summary.json"))


def _check_seeds(seeds) -> tuple:
    seeds = tuple(int(s) for s in seeds)
    if len(seeds) < 2 or len(set(seeds)) != len(seeds):
        raise NasbenchError(f"a pilot needs at least two distinct training seeds; got {seeds!r}. Pass --seeds 0 1.")
    return seeds


def _pilot_archs(space: str, n_archs: int, sample_seed: int) -> list:
    """``(name, arch)`` pairs of the pilot sample: NB201 indices, or DARTS genotypes named by code."""
    if space == "nb201":
        from nasbench.training.recipes import sample_representatives

        return [(a, a) for a in sample_representatives(n_archs, sample_seed).tolist()]
    from nasbench.training.darts_archs import arch_code, sample_distinct

    return [(arch_code(a), a) for a in sample_distinct(n_archs, sample_seed)]


def run_pilot(out_dir, *, space: str = "nb201", n_archs: int = 300, seeds=(0, 1), sample_seed: int = 0,
              config=None, split=None, split_seed: int = 0, upsample: int = 1, log=print) -> dict:
    """Train ``n_archs`` sampled archs of ``space`` with every seed in ``seeds``; summarise (resumable).

    Parameters
    ----------
    out_dir : str or os.PathLike
        Gets ``runs.jsonl`` (one line per finished run, appended) and ``summary.json``.
    space : {"nb201", "darts"}
    n_archs : int, default 300
    seeds : sequence of int, default (0, 1)
    sample_seed : int, default 0
        Seeds the arch sample.
    config : TrainConfig or None
        None: the space's recipe on the CPU, one thread, 10 timed latency passes.
    split : (n_train, n_valid, n_test) or None
        None: the space's recipe split.
    split_seed, upsample : int
        See :func:`nasbench.training.data.load_digits`.
    log : callable
        Receives one progress line per run.

    Returns
    -------
    dict
        :func:`summarise_runs` plus ``config``, ``split``, ``sample_seed`` and ``space``.
    """
    from nasbench.training import recipes
    from nasbench.training.data import load_digits
    from nasbench.training.trainer import TrainConfig

    if space not in ("nb201", "darts"):
        raise NasbenchError(f"space must be 'nb201' or 'darts'; got {space!r}.")
    kwargs, default_split = ((recipes.DIGITS_TRAIN_KWARGS, recipes.DIGITS_SPLIT) if space == "nb201"
                             else (recipes.DARTS_TRAIN_KWARGS, recipes.DARTS_SPLIT))
    config = TrainConfig(**kwargs, device="cpu", n_threads=1, latency_repeats=10, latency_warmup=3) \
        if config is None else config
    seeds = _check_seeds(seeds)
    items = _pilot_archs(space, n_archs, sample_seed)
    os.makedirs(out_dir, exist_ok=True)
    data = load_digits(*(split or default_split), split_seed=split_seed, upsample=upsample)
    build = None
    if space == "darts":
        from nasbench.training.darts_model import build_darts_network as build
    key = "arch_index" if space == "nb201" else "code"
    done = _train_missing(out_dir, items, seeds, key=key, data=data, config=config, build=build, log=log)
    summary = summarise_runs(done, [name for name, _ in items], seeds, what=f"the pilot in {out_dir}")
    summary.update(config=config.to_dict(), split=data.info, sample_seed=sample_seed, space=space)
    _write_summary(out_dir, summary)
    return summary


def _parser() -> argparse.ArgumentParser:
    from nasbench.training.recipes import DARTS_SPLIT, DARTS_TRAIN_KWARGS, DIGITS_SPLIT, DIGITS_TRAIN_KWARGS

    parser = argparse.ArgumentParser(prog="python perf/perf_pilot.py", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="space", required=True)
    for space, k, split, n_archs in (("nb201", DIGITS_TRAIN_KWARGS, DIGITS_SPLIT, 200),
                                     ("darts", DARTS_TRAIN_KWARGS, DARTS_SPLIT, 300)):
        p = sub.add_parser(space, help=f"pilot of {space} archs on digits (defaults: the {space}/digits recipe)")
        p.add_argument("--out", required=True, help="output folder (runs.jsonl, summary.json); reruns resume")
        p.add_argument("--n-archs", type=int, default=n_archs, help=f"archs to train (default {n_archs})")
        p.add_argument("--seeds", type=int, nargs="+", default=[0, 1], help="training seeds (default 0 1)")
        p.add_argument("--sample-seed", type=int, default=0, help="seed of the arch sample (default 0)")
        for name in ("C", "N", "epochs", "batch_size", "bn_recalibration", "warmup_steps"):
            p.add_argument("--" + name.replace("_", "-"), dest=name, type=int, default=k[name],
                           help=f"TrainConfig.{name} (default {k[name]})")
        for name in ("lr", "weight_decay", "grad_clip"):
            p.add_argument("--" + name.replace("_", "-"), dest=name, type=float, default=k[name],
                           help=f"TrainConfig.{name} (default {k[name]})")
        p.add_argument("--split", type=int, nargs=3, default=list(split), metavar=("TRAIN", "VALID", "TEST"))
        p.add_argument("--split-seed", type=int, default=0)
        p.add_argument("--upsample", type=int, default=1)
        p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
        p.add_argument("--summary-only", action="store_true",
                       help="only summarise the finished runs in --out (a partial pilot)")
    return parser


def _run(args) -> int:
    from nasbench.training import recipes
    from nasbench.training.trainer import TrainConfig

    if args.summary_only:
        seeds = _check_seeds(args.seeds)
        done = _read_done(os.path.join(args.out, "runs.jsonl"), "arch_index" if args.space == "nb201" else "code")
        names = [name for name, _ in _pilot_archs(args.space, args.n_archs, args.sample_seed)]
        print(json.dumps(summarise_runs(done, names, seeds, what=f"the pilot in {args.out}"), indent=1))
        return 0
    base = recipes.DIGITS_TRAIN_KWARGS if args.space == "nb201" else recipes.DARTS_TRAIN_KWARGS
    fields = dict(base, **{n: getattr(args, n) for n in ("C", "N", "epochs", "batch_size", "bn_recalibration",
                                                        "warmup_steps", "lr", "weight_decay", "grad_clip")})
    config = TrainConfig(**fields, device="cpu", n_threads=args.threads, latency_repeats=10, latency_warmup=3)
    summary = run_pilot(args.out, space=args.space, n_archs=args.n_archs, seeds=args.seeds,
                        sample_seed=args.sample_seed, config=config, split=tuple(args.split),
                        split_seed=args.split_seed, upsample=args.upsample, log=lambda s: print(s, flush=True))
    print(json.dumps(summary, indent=1))
    return 0


def main(argv=None) -> int:
    """``python perf/perf_pilot.py {nb201,darts} --out DIR [options]``."""
    from nasbench.training.scripts import script_main

    return script_main(_parser(), _run, argv)


if __name__ == "__main__":
    sys.exit(main())
