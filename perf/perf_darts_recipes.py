"""Issue 15 recipe search (2026-11-29): seed-to-seed Spearman of final validation accuracy of DARTS-space
networks on digits, 60 archs x 2 seeds per recipe variant, with the within- and between-arch SD and CPU s per run.

Run: python perf/perf_darts_recipes.py 60 B,C4-e4,C4-1000,C8-1000-e1   (one JSON line per variant)
Measured on the shared 2-core machine: B 0.638 (SD within 3.80, between 8.56, 1.03 s), C4-e4 0.144 (2.42, 2.60,
1.50 s), C4-1000 0.288 (2.20, 3.04, 1.09 s), C8-1000-e1 0.412 (1.94, 2.43, 0.85 s); B-lr05 and C4-e4-b32 not run.
"""
import functools, sys, time, json, numpy as np
from scipy.stats import spearmanr
from nasbench.training.darts_archs import sample_distinct
from nasbench.training.darts_model import build_darts_network
from nasbench.training.trainer import TrainConfig, train_arch
from nasbench.training.data import load_digits
N = int(sys.argv[1]); names = sys.argv[2].split(",")
archs = sample_distinct(N, 11)
V = {
 "B":       (dict(C=8, epochs=2, lr=0.2, batch_size=64), (500, 1000, 297), "default"),
 "B-lr05":  (dict(C=8, epochs=2, lr=0.05, batch_size=64), (500, 1000, 297), "default"),
 "C4-e4":   (dict(C=4, epochs=4, lr=0.1, batch_size=64), (500, 1000, 297), "default"),
 "C4-1000": (dict(C=4, epochs=2, lr=0.1, batch_size=64), (1000, 500, 297), "default"),
 "C8-1000-e1": (dict(C=8, epochs=1, lr=0.1, batch_size=32), (1000, 500, 297), "default"),
 "C4-e4-b32": (dict(C=4, epochs=3, lr=0.05, batch_size=32), (500, 1000, 297), "default"),
}
base = dict(N=1, warmup_steps=4, grad_clip=5.0, bn_recalibration=256, device="cpu", n_threads=1, latency_repeats=0)
for name in names:
    kw, split, init = V[name]
    data = load_digits(*split)
    cfg = TrainConfig(**base, **kw)
    b = functools.partial(build_darts_network, classifier_init=init)
    acc = np.zeros((N, 2)); cpu = []
    for i, a in enumerate(archs):
        for s in range(2):
            c = time.process_time()
            acc[i, s] = train_arch(a, data, cfg, seed=s, build=b).valid_acc[-1]
            cpu.append(time.process_time() - c)
    rho = spearmanr(acc[:, 0], acc[:, 1]).statistic
    print(name, json.dumps(dict(spearman=round(float(rho), 3), within_sd=round(float(np.sqrt(np.mean(acc.var(axis=1, ddof=1)))), 2),
          between_sd=round(float(acc.mean(axis=1).std(ddof=1)), 2), cpu_med=round(float(np.median(cpu)), 2), mean_acc=round(float(acc.mean()), 1))), flush=True)
