"""Simulated cost of evaluations on a table: seconds of training per (arch, fidelity, searched metric).

The cost of evaluating an arch is the training time of **the run whose metric is searched**:

1. ``train_time_s`` at the same fidelity where the table measures it. Where it has no measured time
   (``nb201/cifar10`` measures it for 1000 of 15625 archs), a stored fill of ``train_time_s`` at that
   fidelity (``nasbench surrogate fill NAME --metric train_time_s --fidelity F``, checked against the
   table: :mod:`nasbench.benchmarks.filled`) gives its predictions, and the provenance names the
   model (``predicted_by``). Without one, the estimate named ``"linear_op_model"``
   fills in: ordinary least squares of ``train_time_s`` on the one-hot encoding of the arch's choices
   (NB201: one indicator per (edge, op), 30 columns) plus an intercept, fitted per fidelity on the
   archs with a measured time; predictions are clipped below at the smallest measured time.
2. A fidelity that is an epoch *within* a longer run (learning curves; the digits table's epochs
   1..4 of its 4-epoch run) costs that run's time times ``epoch / run length`` (``"epoch_share"``):
   epochs of one schedule take equal time.
3. The run behind the searched metric may differ from the run ``train_time_s`` timed:
   :data:`RUN_SCALES` holds the documented factor (NB201's ``valid_acc`` on CIFAR-10 comes from the
   ``cifar10-valid`` run, trained on 25k images, while ``train_time_s`` times the ``cifar10`` run on 50k).
4. A table with no training time at all charges ``"unit_cost"``: 1 simulated second times
   ``fidelity / highest fidelity``.

Measured values are kept where they exist; the provenance dict says which rule gave what.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ESTIMATE_NAME", "RUN_SCALES", "TIME_METRIC", "cost_column"]

ESTIMATE_NAME = "linear_op_model"
TIME_METRIC = "train_time_s"

# (table name, searched metric) -> (factor on train_time_s, why). NB201 trains 'cifar10-valid' on the
# 25k-image train split and 'cifar10' on all 50k with the same schedule and batch size, so an epoch
# of 'cifar10-valid' takes half the steps; NB201's own simulate_train_eval charges each run its own
# recorded time. The public files hold the 'cifar10' times only, hence the factor.
RUN_SCALES: dict = {
    ("nb201/cifar10", "valid_acc"): (
        0.5, "valid_acc comes from NB201's 'cifar10-valid' run (25k training images); train_time_s times the "
             "'cifar10' run (50k images, same schedule and batch size): half the optimisation steps per epoch"),
    ("nb201/cifar10", "valid_run_test_acc"): (
        0.5, "valid_run_test_acc comes from NB201's 'cifar10-valid' run (25k training images); train_time_s "
             "times the 'cifar10' run (50k images): half the optimisation steps per epoch"),
    ("nb201/cifar10", "lc_valid_acc"): (
        0.5, "the learning curves come from NB201's 'cifar10-valid' run (25k training images); train_time_s "
             "times the 'cifar10' run (50k images): half the optimisation steps per epoch"),
    ("nb201/cifar10", "lc_train_acc"): (
        0.5, "the learning curves come from NB201's 'cifar10-valid' run (25k training images); train_time_s "
             "times the 'cifar10' run (50k images): half the optimisation steps per epoch"),
}


def cost_column(bench, fidelity, metric: str | None):
    """Simulated seconds of evaluating every arch of the table ``bench`` at ``fidelity``.

    Parameters
    ----------
    bench : TabularBenchmark
    fidelity : int or None
        Fidelity of the searched metric (None: static).
    metric : str or None
        The searched metric (None: the run ``train_time_s`` times).

    Returns
    -------
    seconds : float64 ndarray of shape (n_archs,), read-only
    provenance : dict (JSON-serialisable)
    """
    n_archs = bench.n_archs
    top = None if metric is None else bench.default_fidelity(metric)
    if TIME_METRIC not in bench.metrics:
        scale = 1.0 if (fidelity is None or top is None) else float(fidelity) / float(top)
        seconds = np.full(n_archs, scale)
        info = {"source": "unit_cost", "seconds": scale, "why": f"{bench.name} has no {TIME_METRIC}"}
        return _frozen(seconds), info
    time_fids = bench.fidelities(TIME_METRIC)
    if time_fids == (None,) or fidelity is None:
        run_fid, share = time_fids[-1] if time_fids != (None,) else None, 1.0
    elif fidelity in time_fids:
        run_fid, share = fidelity, 1.0
    else:
        longer = [f for f in time_fids if f >= fidelity]
        run_fid = min(longer) if longer else max(time_fids)
        share = float(fidelity) / float(run_fid)
    seconds, info = _measured_or_estimated(bench, run_fid)
    if share != 1.0:
        seconds = seconds * share
        info = {**info, "epoch_share": {"rule": "epoch_share", "fraction": share,
                                        "why": f"fidelity {fidelity} is an epoch of the {run_fid}-epoch run "
                                               f"that {TIME_METRIC} times; epochs take equal time"}}
    scale = RUN_SCALES.get((bench.name, metric))
    if scale is not None:
        seconds = seconds * scale[0]
        info = {**info, "run_scale": {"factor": scale[0], "why": scale[1]}}
    return _frozen(np.asarray(seconds, dtype=np.float64)), {"metric": TIME_METRIC, "fidelity": run_fid, **info}


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype=np.float64)
    a.setflags(write=False)
    return a


def _measured_or_estimated(bench, run_fid):
    measured = np.array(bench.column(TIME_METRIC, run_fid))
    have = ~np.isnan(measured)
    info = {"n_measured": int(have.sum()), "n_estimated": int((~have).sum())}
    if have.all():
        return measured, {**info, "source": "measured"}
    from nasbench.benchmarks.filled import filled_for_table

    filled = filled_for_table(bench, TIME_METRIC, run_fid)
    if filled is not None:  # stored by `nasbench surrogate fill`, checked against this table's measured times
        return np.array(filled.column(run_fid)), {
            **info, "source": "measured where present, else predicted", "predicted_by": filled.predicted_by,
            "filled_sha256": filled.files_sha256}
    estimate, fit = _linear_op_model(bench, measured, have)
    measured[~have] = estimate[~have]
    return measured, {**info, "source": f"measured where present, else {ESTIMATE_NAME}", "estimate": fit}


def _linear_op_model(bench, measured, have):
    """Least-squares fit of time on intercept + one-hot choices; predictions for every arch."""
    choices = _choice_table(bench.space)
    sizes = choices.max(axis=0) + 1
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    X = np.zeros((choices.shape[0], 1 + int(sizes.sum())))
    X[:, 0] = 1.0
    X[np.arange(choices.shape[0])[:, None], 1 + choices + offsets[None, :]] = 1.0
    y = measured[have]
    coef, *_ = np.linalg.lstsq(X[have], y, rcond=None)
    fitted = X[have] @ coef
    r2 = 1.0 - float(((y - fitted) ** 2).sum()) / float(((y - y.mean()) ** 2).sum())
    low = float(y.min())
    fit = {"name": ESTIMATE_NAME, "features": "intercept + one-hot (decision, choice)",
           "n_fit": int(have.sum()), "r2_fit": round(r2, 6), "clip_low_s": low}
    return np.maximum(X @ coef, low), fit


def _choice_table(space) -> np.ndarray:
    """Choice indices of every arch in index order, (n_archs, n_decisions) int64."""
    table = getattr(space, "choice_table", None)
    if table is None:
        from nasbench.errors import NasbenchError

        raise NasbenchError(f"the {space.name} space has no choice table, so missing training times cannot be "
                            "estimated; import a table with train_time_s for every arch.")
    return np.asarray(table(), dtype=np.int64)
