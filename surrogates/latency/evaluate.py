"""How well latency models predict: share within +-10 %, Spearman, RMSE; per-device protocols.

Relative errors are computed only on archs where the measured latency is meaningful: callers pass
a mask, and nasbench passes "the cell's output depends on its input" (see
:func:`~surrogates.latency.features.degenerate_mask`). On pixel3 and raspi4, HW-NAS-Bench reports
near-zero latencies (down to 0.003 ms) for degenerate cells, where a relative error says nothing.
RMSE is over all test archs.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import spearmanr

from nasbench.errors import InvalidArchError

__all__ = ["latency_scores", "evaluate_device", "evaluate_adaptation", "summarise"]


def latency_scores(y_true, y_pred, meaningful=None, tol: float = 0.1) -> dict:
    """Accuracy figures of predicted latencies.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Measured and predicted latency (ms).
    meaningful : array-like of bool, shape (n,), optional
        Where relative errors count (default: everywhere).
    tol : float
        Relative tolerance of the "within" share (0.1 = +-10 %).

    Returns
    -------
    dict with ``within`` (share of meaningful archs with |pred - true| <= tol * true), ``within_all``
    (the same over every arch), ``spearman`` (over meaningful archs), ``rmse_ms`` (over every arch),
    ``n`` and ``n_meaningful``.
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.shape != y_pred.shape or y_true.ndim != 1 or y_true.size == 0:
        raise InvalidArchError(f"y_true and y_pred must be 1-D of the same non-zero length; got {y_true.shape}, {y_pred.shape}.")
    mask = np.ones(y_true.shape, dtype=bool) if meaningful is None else np.asarray(meaningful, dtype=bool)
    if mask.shape != y_true.shape:
        raise InvalidArchError(f"meaningful must have shape {y_true.shape}; got {mask.shape}.")
    ok = np.abs(y_pred - y_true) <= tol * np.abs(y_true)
    n_m = int(mask.sum())
    rho = float(spearmanr(y_true[mask], y_pred[mask]).statistic) if n_m > 2 else float("nan")
    return {
        "within": float(ok[mask].mean()) if n_m else float("nan"),
        "within_all": float(ok.mean()),
        "spearman": rho,
        "rmse_ms": float(np.sqrt(np.mean((y_pred - y_true) ** 2))),
        "n": int(y_true.size),
        "n_meaningful": n_m,
    }


def _rng(seed: int, *keys: int) -> np.random.Generator:
    """A generator for one (device, size, repeat) cell: independent of the order cells are run in."""
    return np.random.default_rng(np.random.SeedSequence([seed, *keys]))


def evaluate_device(make_model, ops, y, meaningful, n_train: int, *, n_repeats: int = 3, seed: int = 0,
                    device_key: int = 0) -> dict:
    """Train on ``n_train`` random archs of one device, score on all the others; mean over repeats.

    Parameters
    ----------
    make_model : callable
        ``make_model()`` returns an unfitted model with ``fit(ops, y)`` and ``predict(ops)``.
    ops : int array of shape (n_archs, n_edges)
    y : float array of shape (n_archs,)
        The device's latency (ms) of every arch.
    meaningful : bool array of shape (n_archs,)
    n_train : int
    n_repeats, seed, device_key : int
        Repeat ``r`` draws its training archs from ``SeedSequence([seed, device_key, n_train, r])``.

    Returns
    -------
    dict of the :func:`latency_scores` figures, each the mean over repeats.
    """
    n = y.shape[0]
    if not 2 <= n_train < n:
        raise InvalidArchError(f"n_train must be in [2, {n - 1}]; got {n_train}.")
    runs = []
    for r in range(n_repeats):
        train = _rng(seed, device_key, n_train, r).choice(n, size=n_train, replace=False)
        test = np.ones(n, dtype=bool)
        test[train] = False
        model = make_model().fit(ops[train], y[train])
        runs.append(latency_scores(y[test], model.predict(ops[test]), meaningful[test]))
    return {k: float(np.mean([run[k] for run in runs])) for k in runs[0]}


def evaluate_adaptation(table, target: int, others, meaningful, n_shots: int, *, rank: int = 4,
                        n_repeats: int = 3, seed: int = 0) -> dict:
    """Hold out device ``target``: learn the basis on ``others``, adapt with ``n_shots`` archs, score the rest.

    Parameters
    ----------
    table : float array of shape (n_archs, n_devices)
    target : int
        Column of the held-out device.
    others : sequence of int
        Columns the basis may use (the caller leaves out ``target`` and, for a strict test, its siblings).
    meaningful : bool array of shape (n_archs,)
    n_shots : int
        Archs measured on the new device.
    """
    from surrogates.latency.adapt import CrossDeviceLatencyModel

    if target in others:
        raise InvalidArchError("the held-out device must not be among the devices the basis learns from.")
    n = table.shape[0]
    base = CrossDeviceLatencyModel(rank=rank).fit(table[:, list(others)])
    y = table[:, target]
    runs = []
    for r in range(n_repeats):
        shots = _rng(seed, 1000 + target, n_shots, r).choice(n, size=n_shots, replace=False)
        test = np.ones(n, dtype=bool)
        test[shots] = False
        base.adapt(shots, y[shots])
        runs.append(latency_scores(y[test], base.predict(np.flatnonzero(test)), meaningful[test]))
    return {k: float(np.mean([run[k] for run in runs])) for k in runs[0]}


def summarise(rows: list[dict], key: str = "within") -> dict:
    """Median, minimum and maximum of ``key`` over rows (devices), with the median device's name."""
    values = np.array([row[key] for row in rows])
    order = np.argsort(values, kind="stable")
    mid = order[(len(order) - 1) // 2]
    return {"median": float(np.median(values)), "min": float(values.min()), "max": float(values.max()),
            "median_device": rows[mid].get("device")}
