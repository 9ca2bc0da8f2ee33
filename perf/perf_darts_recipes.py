"""Issue 15 recipe search: seed-to-seed Spearman of final validation accuracy of DARTS-space networks on digits.

Each variant trains N uniformly drawn genotypes (``sample_distinct(N, SAMPLE_SEED)``, default 11) with seeds 0 and 1
and prints one JSON line: Spearman of the two seeds' final validation accuracy, the within-arch SD (root mean of
the per-arch variances), the median absolute seed difference, the SD of the per-arch means, the median CPU s per
run and the mean accuracy. All variants: N=1 cell per stage, split 500/1000/297, BatchNorm recalibrated from 256
images, gradient clipping 5, Nesterov 0.9, weight decay 5e-4, 4 warm-up steps unless the variant says otherwise.

Run: python perf/perf_darts_recipes.py 60 B,C16e2b128          (SAMPLE_SEED=12 for another set of genotypes)

Figures measured on the shared 2-core machine (two variants at a time), CPU s per run in brackets:

2026-11-29 (session 5), sample seed 11, 60 archs: B 0.638 [1.03] (within SD 3.80, between 8.56); C4-e4 0.144 [1.50];
C4-1000 0.288 [1.09]; C8-1000-e1 0.412 [0.85]. More training shrinks the spread between archs faster than the noise.

2026-11-29 (session 6), sample seed 11, 60 archs (within SD / between SD / mean accuracy):
* where B's noise comes from: only the initialisation varies (``fixorder``) 0.671 (4.27 / 8.27 / 87.3); only the
  batch order varies (``fixinit``) 0.688 (3.40 / 9.16 / 86.7): each alone decorrelates a run as much as both
  together, i.e. 16 SGD steps at lr 0.2 amplify any perturbation (chaotic training);
* a harder task (digits at random places on a 12x12 canvas): ``shift12`` 0.723 [1.8] (7.7 / 12.3 / 59.0),
  ``shift12e3`` 0.726 [2.6];
* learning rate: ``lr05`` 0.613, ``lr1`` 0.512, B (lr 0.2) 0.638;
* wider and shorter (one epoch, 8 steps): ``C12e1`` 0.735 [0.76], ``C16e1`` 0.699 [0.86], ``C24e1`` 0.843 [1.25]
  (on 150 other archs, sample seed 12: 0.709), ``C16e1lr4`` 0.842 [0.92] but 59.5 % mean accuracy,
  ``C16e1b32`` 0.648, ``C12e1lr1`` 0.335;
* larger batches (less gradient noise): ``C12e2b128`` 0.778 [1.27]; **``C16e2b128`` 0.880 [1.59] (4.88 / 14.9 /
  80.6); on 150 other archs (sample seed 12) 0.806 [1.61] (3.70 / 11.8 / 83.7)**; ``C16e2b128lr3`` 0.806;
  full batch (4-6 steps): ``C12e4b500`` 0.836 [2.29], ``C8e6b500`` 0.803 [2.30].
* on the first 100 genotypes of the darts/digits held-out list (``HELDOUT=1``): C=16 (``C16e2b128``, from the
  generation's runs) 0.765, **``C20e2b128`` 0.856 [1.83] (4.45 / 11.84 / 84.5)**, ``C24e2b128`` 0.861 [2.19]:
  the recipe is C20e2b128.
"""
import functools
import json
import os
import sys
import time
from dataclasses import replace

import numpy as np
from scipy.stats import spearmanr

import nasbench.training.trainer as trainer
from nasbench.training.darts_archs import sample_distinct
from nasbench.training.darts_model import build_darts_network
from nasbench.training.data import load_digits

BASE = dict(C=8, N=1, epochs=2, batch_size=64, lr=0.2, warmup_steps=4, grad_clip=5.0, bn_recalibration=256,
            device="cpu", n_threads=1, latency_repeats=0)
VARIANTS = {  # name -> (TrainConfig overrides, split, canvas for the shifted task or 0, which seed streams vary)
    "B": ({}, (500, 1000, 297), 0, "both"),
    "fixorder": ({}, (500, 1000, 297), 0, "init"),
    "fixinit": ({}, (500, 1000, 297), 0, "order"),
    "C4-e4": (dict(C=4, epochs=4, lr=0.1), (500, 1000, 297), 0, "both"),
    "C4-1000": (dict(C=4, lr=0.1), (1000, 500, 297), 0, "both"),
    "C8-1000-e1": (dict(epochs=1, lr=0.1, batch_size=32), (1000, 500, 297), 0, "both"),
    "lr05": (dict(lr=0.05), (500, 1000, 297), 0, "both"),
    "lr1": (dict(lr=0.1), (500, 1000, 297), 0, "both"),
    "shift12": ({}, (500, 1000, 297), 12, "both"),
    "shift12e3": (dict(epochs=3), (500, 1000, 297), 12, "both"),
    "C12e1": (dict(C=12, epochs=1), (500, 1000, 297), 0, "both"),
    "C16e1": (dict(C=16, epochs=1), (500, 1000, 297), 0, "both"),
    "C24e1": (dict(C=24, epochs=1), (500, 1000, 297), 0, "both"),
    "C16e1lr4": (dict(C=16, epochs=1, lr=0.4), (500, 1000, 297), 0, "both"),
    "C16e1b32": (dict(C=16, epochs=1, batch_size=32), (500, 1000, 297), 0, "both"),
    "C12e1lr1": (dict(C=12, epochs=1, lr=0.1), (500, 1000, 297), 0, "both"),
    "C12e2b128": (dict(C=12, batch_size=128), (500, 1000, 297), 0, "both"),
    "C16e2b128": (dict(C=16, batch_size=128), (500, 1000, 297), 0, "both"),
    "C16e2b128lr3": (dict(C=16, batch_size=128, lr=0.3), (500, 1000, 297), 0, "both"),
    "C12e4b500": (dict(C=12, epochs=4, batch_size=500, warmup_steps=1), (500, 1000, 297), 0, "both"),
    "C8e6b500": (dict(C=8, epochs=6, batch_size=500, warmup_steps=1), (500, 1000, 297), 0, "both"),
    "C16e2b250": (dict(C=16, batch_size=250, warmup_steps=1), (500, 1000, 297), 0, "both"),
    "C20e2b128": (dict(C=20, batch_size=128), (500, 1000, 297), 0, "both"),
    "C24e2b128": (dict(C=24, batch_size=128), (500, 1000, 297), 0, "both"),
}


def shifted(data, canvas: int, seed: int = 0):
    """Digits placed at uniformly random offsets on a ``canvas`` x ``canvas`` background (a harder task)."""
    rng = np.random.default_rng(seed)

    def place(x):
        out = np.full((x.shape[0], 1, canvas, canvas), x.min(), dtype=np.float32)
        for i, (r, c) in enumerate(rng.integers(0, canvas - 7, size=(x.shape[0], 2))):
            out[i, :, r:r + 8, c:c + 8] = x[i]
        return out

    return replace(data, x_train=place(data.x_train), x_valid=place(data.x_valid), x_test=place(data.x_test))


def run_variant(name: str, archs) -> dict:
    overrides, split, canvas, varies = VARIANTS[name]
    data = load_digits(*split)
    data = shifted(data, canvas) if canvas else data
    cfg = trainer.TrainConfig(**{**BASE, **overrides})
    build = functools.partial(build_darts_network, classifier_init="default")
    child_seeds = trainer._child_seeds
    acc, cpu = np.zeros((len(archs), 2)), []
    try:
        for i, arch in enumerate(archs):
            for s in range(2):
                (i0, o0), (i1, o1) = child_seeds(0, 2), child_seeds(s, 2)
                # lab switch: hold one of the two seed streams (initialisation, batch order) at seed 0's value
                trainer._child_seeds = lambda seed, n: [i0 if varies == "order" else i1, o0 if varies == "init" else o1]
                clock = time.process_time()
                acc[i, s] = trainer.train_arch(arch, data, cfg, seed=s, build=build).valid_acc[-1]
                cpu.append(time.process_time() - clock)
    finally:
        trainer._child_seeds = child_seeds
    if os.environ.get("SAVE"):
        np.save(f"{os.environ['SAVE']}-{name}.npy", acc)
    return dict(spearman=round(float(spearmanr(acc[:, 0], acc[:, 1]).statistic), 3),
                within_sd=round(float(np.sqrt(np.mean(acc.var(axis=1, ddof=1)))), 2),
                mad_diff=round(float(np.median(np.abs(acc[:, 0] - acc[:, 1]))), 2),
                between_sd=round(float(acc.mean(axis=1).std(ddof=1)), 2), cpu_med=round(float(np.median(cpu)), 2),
                mean_acc=round(float(acc.mean()), 1))


if __name__ == "__main__":
    n_archs, names = int(sys.argv[1]), sys.argv[2].split(",")
    # HELDOUT=1: the first n_archs genotypes of the darts/digits held-out list (to compare with its runs)
    archs = (sample_distinct(500, 1)[:n_archs] if os.environ.get("HELDOUT") else
             sample_distinct(n_archs, int(os.environ.get("SAMPLE_SEED", 11))))
    for name in names:
        print(name, json.dumps(run_variant(name, archs)), flush=True)
