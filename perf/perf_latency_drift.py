"""Issue 17 lab: is an edge device's shortfall learnable from the arch, or drift with the measurement order?

For each device named (default: the edge devices below 70 % within +-10 % in ``nasbench latency report``), it fits
gradient-boosted trees (600 trees, depth 6, rate 0.05, log latency) on 90 % of the device's non-degenerate archs,
once on the arch alone (one-hot op per edge, and the same on live, fed and used edges: the columns of
:func:`surrogates.latency.features.cell_features`) and once with the NB201 arch index added (the order of
HELP's table, which residuals drift along as they would along a measurement session), and prints the share of the other 10 % within +-10 %. If the index lifts the share, the
device's readings drift over the measurement session, which no model of the arch can predict.

Run (after ``nasbench data import help-latency --from ../shared/data``; needs xgboost, about 5 s per device):
python perf/perf_latency_drift.py [DEVICE ...]

Measured 2026-11-29: essential_ph_1 57.2 % from the arch, 75.5 % with the index; pixel2 47.8 % -> 64.2 %;
raspi4 67.6 % -> 68.1 % (no drift: a per-arch deviation that twin cells share); pixel3 73.8 % -> 75.9 %.
"""
import sys

import numpy as np


def main(devices) -> None:
    import xgboost as xgb

    from nasbench.benchmarks.latency import load_latency
    from nasbench.benchmarks.latency_workflow import complete_devices, nb201_cells
    from surrogates.latency.features import edge_reach, live_edges, one_hot
    from surrogates.latency.holdout import scores

    tables = load_latency("nb201")
    names = complete_devices(tables)
    table, _ = tables.matrix(names)
    ops, edges, meaningful = nb201_cells()
    rows = np.flatnonzero(meaningful)
    x = one_hot(ops, 5)
    blocks = [x] + [x * np.repeat(on, 5, axis=1) for on in (live_edges(ops, edges), *edge_reach(ops, edges))]
    arch = np.hstack(blocks)[rows]
    with_index = np.hstack([arch, rows[:, None].astype(np.float64)])
    for device in devices:
        y = table[rows, names.index(device)]
        order = np.random.default_rng([0, names.index(device)]).permutation(rows.size)
        train, test = order[: int(0.9 * rows.size)], order[int(0.9 * rows.size):]
        shares = []
        for features in (arch, with_index):
            trees = xgb.XGBRegressor(n_estimators=600, max_depth=6, learning_rate=0.05, n_jobs=1, random_state=1)
            trees.fit(features[train], np.log(y[train]))
            shares.append(scores(y[test], np.exp(trees.predict(features[test])))["within"])
        print(f"{device:<16} from the arch {100 * shares[0]:5.1f}%   with the arch index {100 * shares[1]:5.1f}%",
              flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or ["essential_ph_1", "pixel2", "raspi4", "pixel3"])
