"""Seed noise within an arch of the DARTS-on-digits recipe (issue 15 pilot, 2026-11-28): the within-arch SD of
final validation accuracy over 4 seeds for 6 archs, default vs zero classifier init and a wider net; the
output of its run is tabular_data/embedded/_build/darts-digits/pilot/seed_noise.out. Run: python perf/perf_darts_seed_noise.py
"""
import functools, sys, time, json, numpy as np
from nasbench.training.darts_archs import sample_distinct
from nasbench.training.darts_model import build_darts_network
from nasbench.training.trainer import TrainConfig, train_arch
from nasbench.training.data import load_digits
data = load_digits(500, 1000, 297)
archs = sample_distinct(6, 7)
variants = {
 "B-default": (dict(C=8, epochs=2), "default"),
 "B-zero": (dict(C=8, epochs=2), "zero"),
 "C16-zero": (dict(C=16, epochs=2), "zero"),
}
base = dict(N=1, batch_size=64, lr=0.2, warmup_steps=4, grad_clip=5.0, bn_recalibration=256, device="cpu", n_threads=1, latency_repeats=0)
out = {}
for name, (kw, init) in variants.items():
    cfg = TrainConfig(**base, **kw)
    b = functools.partial(build_darts_network, classifier_init=init)
    acc = np.zeros((6, 4)); cpu = []
    for i, a in enumerate(archs):
        for s in range(4):
            c = time.process_time()
            acc[i, s] = train_arch(a, data, cfg, seed=s, build=b).valid_acc[-1]
            cpu.append(time.process_time() - c)
    within = float(np.sqrt(np.mean(acc.var(axis=1, ddof=1))))
    between = float(acc.mean(axis=1).std(ddof=1))
    out[name] = dict(within_sd=within, between_sd_of_means=between, cpu=float(np.median(cpu)), acc=acc.round(1).tolist())
    print(name, json.dumps(out[name]), flush=True)
