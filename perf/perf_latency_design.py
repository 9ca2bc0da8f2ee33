"""Issue 17 lab: how far the hierarchical latency model gets on an edge device as the planned archs grow.

For one held-out family (the prior is fit on every other family, ``--device-like`` the families of the same kind,
as ``nasbench latency report`` does), it adapts from the first K archs of ``plan`` for K = 10 ... 400 and prints the
share of the other meaningful archs within +-10 %, beside a plain relative least-squares fit of the same features on
the same K archs (no prior) and the features' own ceiling (relative least squares on a random half of the device).

Run (after ``nasbench data import help-latency --from ../shared/data``): python perf/perf_latency_design.py pixel3

Measured 2026-11-29, session 6 (pixel3, within +-10 %): K=10 66.0 %, 20 66.5 %, 30 62.1 %, 50 61.7 %, 100 56.5 %,
200 69.0 %, 400 67.6 %; the features' ceiling 71.3 %: more planned archs did not help, the linear features topped out
near 71 % and the planned (extreme) archs were where they misfit most.

Measured 2026-11-29, session 8, after three changes (cell features that tell constant-input edges from dead-output
ones; Student-t measurement noise; plans skip the fastest tenth of the candidates): features' ceiling 78.0 %;
K=10 38.7 %, 20 74.1 %, 30 73.2 %, 50 73.9 %, 100 73.8 %, 200 74.8 %, 400 75.1 %; plain fit 15.0 % ... 65.8 %.
From 20 archs on, more measurements no longer make it worse. Ten planned archs are too few for 103 features
(``nasbench latency report --replans 10`` shows how much one plan's figure depends on the exact candidates).
"""
import sys

import numpy as np


def main(device: str) -> None:
    from nasbench.benchmarks.latency import load_latency
    from nasbench.benchmarks.latency_workflow import LIKE_KINDS, complete_devices, device_families, nb201_cells
    from surrogates.latency.ceilings import self_ceiling
    from surrogates.latency.holdout import scores
    from surrogates.latency.prior import HierarchicalLatencyModel

    tables = load_latency("nb201")
    devices = complete_devices(tables)
    table, _ = tables.matrix(devices)
    ops, edges, meaningful = nb201_cells()
    families = device_families(tables, devices)
    col = devices.index(device)
    family, y = families[col], table[:, col]
    train = [j for j in range(len(devices)) if families[j] != family]
    like = sorted({families[j] for j in train if LIKE_KINDS.get(families[j]) == LIKE_KINDS.get(family)}) or None
    model = HierarchicalLatencyModel(5, edges, 0).fit(ops, table[:, train], [families[j] for j in train], meaningful)
    rows = np.flatnonzero(meaningful)
    order = rows[model.plan(ops[rows], 400, like=like)]
    x = model.features(ops)
    resolution = tables.info(device).resolution_ms or 0.0
    print(f"{device} (family {family}, like {like}); features' ceiling on a random half: "
          f"{self_ceiling(x[rows], y[rows], np.random.default_rng(0)):.3f}")
    for k in (10, 20, 30, 50, 100, 200, 400):
        chosen = order[:k]
        rest = meaningful.copy()
        rest[chosen] = False
        model.adapt(ops[chosen], y[chosen], resolution_ms=resolution, like=like)
        plain = np.linalg.lstsq(x[chosen] / y[chosen, None], np.ones(k), rcond=None)[0]
        print(f"K={k:3d}  hierarchical {scores(y[rest], (x @ model.coef_)[rest])['within']:.3f}  "
              f"plain fit {scores(y[rest], (x @ plain)[rest])['within']:.3f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "pixel3")
