"""Simulated cost of evaluations: seconds of training per (arch, fidelity).

The cost of evaluating an arch at a fidelity is the benchmark's measured ``train_time_s`` for that
arch and fidelity. Where the table has no measured time (``nb201/cifar10`` measures it for 1000 of
15625 archs), the simulator uses the estimate named ``"linear_op_model"``:

    ordinary least squares of train_time_s on the one-hot encoding of the arch's choices (for NB201:
    one indicator per (edge, op), 30 columns) plus an intercept, fitted separately per fidelity on the
    archs with a measured time; predictions are clipped below at the smallest measured time.

Measured values are kept where they exist. The fit (number of archs, R^2 on the fit set, clip) is
reported in :attr:`Task.cost_info` and in every result manifest. A surrogate of training time may
later replace this estimate. A benchmark with no cost metric at all gets ``"unit_cost"``: every
evaluation costs 1 simulated second times fidelity / search fidelity.
"""

from __future__ import annotations

import numpy as np

from strategies._categorical import categorical_of

__all__ = ["cost_columns", "ESTIMATE_NAME"]

ESTIMATE_NAME = "linear_op_model"


def cost_columns(benchmark, fidelities, cost_metric: str = "train_time_s"):
    """Cost per arch for each fidelity.

    Parameters
    ----------
    benchmark : TabularBenchmark
    fidelities : tuple
    cost_metric : str

    Returns
    -------
    costs : dict fidelity -> float64 array of shape (n_archs,), seconds
    info : dict
        JSON-serialisable description of where each cost came from.
    """
    n_archs = getattr(benchmark, "n_archs", None) or benchmark.space.n_archs
    top = fidelities[-1]
    has_metric = cost_metric in benchmark.metrics
    costs, info = {}, {"metric": cost_metric, "per_fidelity": {}}
    for f in fidelities:
        if not has_metric or (benchmark.fidelities(cost_metric) != (None,) and f not in benchmark.fidelities(cost_metric)):
            scale = 1.0 if (f is None or top is None) else float(f) / float(top)
            costs[f] = np.full(n_archs, scale)
            info["per_fidelity"][str(f)] = {"source": "unit_cost", "seconds": scale,
                                            "why": f"{benchmark.name} has no {cost_metric} at fidelity {f}"}
            continue
        measured = np.array(benchmark.column(cost_metric, f if benchmark.fidelities(cost_metric) != (None,) else None))
        have = ~np.isnan(measured)
        entry = {"n_measured": int(have.sum()), "n_estimated": int((~have).sum())}
        if have.all():
            entry["source"] = "measured"
        else:
            estimate, fit = _linear_op_model(benchmark, measured, have)
            measured[~have] = estimate[~have]
            entry.update(source=f"measured where present, else {ESTIMATE_NAME}", estimate=fit)
        costs[f] = measured
        info["per_fidelity"][str(f)] = entry
    return costs, info


def _linear_op_model(benchmark, measured, have):
    cat = categorical_of(benchmark.space)
    table = cat.table()
    X = np.hstack([np.ones((table.shape[0], 1)), cat.one_hot_choices(np.asarray(table, dtype=np.int64))])
    y = measured[have]
    coef, *_ = np.linalg.lstsq(X[have], y, rcond=None)
    fitted = X[have] @ coef
    r2 = 1.0 - float(((y - fitted) ** 2).sum()) / float(((y - y.mean()) ** 2).sum())
    low = float(y.min())
    estimate = np.maximum(X @ coef, low)
    fit = {"name": ESTIMATE_NAME, "features": "intercept + one-hot (decision, choice)",
           "n_fit": int(have.sum()), "r2_fit": round(r2, 6), "clip_low_s": low}
    return estimate, fit
