"""What no latency model can beat on a device, estimated from the device's own data.

* :func:`twin_ceiling`: twin cells run the same computation, so their disagreement is measurement
  noise; a perfect model of the expected latency reaches this share. It is an upper bound only for
  noise that is independent per measurement: where a device's deviation from any smooth model is
  shared by twins (it depends on the computation, not on the run), the twins agree more closely than
  any model of *other* archs can predict either of them (HW-NAS-Bench's Raspberry Pi 4).
* :func:`resolution_ceiling`: whole-millisecond readings bound the relative error of small latencies.
* :func:`self_ceiling`: the latency features fit on half of the device's own archs (what the features
  can express).
* :func:`learnable_ceiling`: the better of gradient-boosted trees (one-hot ops and live-edge ops) and the
  latency features (relative least squares), both trained on 90 % of the device's own archs (what a model
  of the arch learns from ~14,000 measurements; optional, needs xgboost, minutes per device).
"""

from __future__ import annotations

import numpy as np

__all__ = ["twin_ceiling", "resolution_ceiling", "self_ceiling", "learnable_ceiling"]


def twin_ceiling(y, first, second, tol: float = 0.1) -> float:
    """Share within +-tol a perfect model of the expected latency would reach, estimated from twins.

    Twins run the same computation, so ``log(y_first / y_second)`` is the difference of two noise
    draws. For noise symmetric and Gaussian in log space, ``P(|noise| <= log(1 + tol))`` equals the
    share of twin pairs with ``|log ratio| <= sqrt(2) log(1 + tol)``; that share is returned.
    """
    y = np.asarray(y, dtype=np.float64)
    ratio = np.abs(np.log(y[first] / y[second]))
    return float(np.mean(ratio <= np.sqrt(2.0) * np.log1p(tol)))


def resolution_ceiling(y, resolution_ms: float, tol: float = 0.1) -> float:
    """Share within +-tol of exact predictions when readings are rounded to ``resolution_ms``.

    A reading ``r`` stands for a true value uniform in ``[r - res/2, r + res/2]``; an exact prediction
    is within ``tol * r`` of ``r`` with probability ``min(1, 2 tol r / res)``; the mean over archs.
    """
    y = np.asarray(y, dtype=np.float64)
    if not resolution_ms:
        return 1.0
    return float(np.mean(np.minimum(1.0, 2.0 * tol * y / resolution_ms)))


def _relative_fit_within(x, y, train, test) -> float:
    """Share of the ``test`` rows within +-10 % when features ``x`` (n, p) are fit to latencies ``y`` (n,) on the
    ``train`` rows by relative least squares (each arch's error counted relative to its latency)."""
    from surrogates.latency.holdout import scores

    a = x[train] / y[train, None]
    w = np.linalg.solve(a.T @ a + 1e-9 * np.eye(a.shape[1]), a.T @ np.ones(train.shape[0]))
    return scores(y[test], x[test] @ w)["within"]


def self_ceiling(x, y, rng) -> float:
    """Share within +-10 % when features ``x`` (n, p) are fit on a random half of the device's own archs ``y``."""
    half = rng.permutation(y.shape[0])
    return _relative_fit_within(x, y, half[: y.shape[0] // 2], half[y.shape[0] // 2:])


def learnable_ceiling(ops, y, rng, *, edges, n_ops: int, none_op: int = 0, train_share: float = 0.9) -> float:
    """Share within +-10 %, on the other archs, of the better of two models fit on ``train_share`` of the device's own archs.

    Parameters
    ----------
    ops : int array of shape (n, n_edges)
    y : float array of shape (n,)
        The device's latencies (ms) of those archs, positive.
    rng : numpy Generator
        Draws the training archs and seeds the trees.

    Notes
    -----
    Gradient-boosted trees fit log latency on one-hot ops per edge and the same on live edges only (600
    trees of depth 6, learning rate 0.05); :func:`~surrogates.latency.features.cell_features` are fit by
    relative least squares (trees do not find every structure those columns name: on HW-NAS-Bench's
    Pixel 3 the features reach 77 %, the trees 74 %). With 90 % of a device's archs measured, they show
    what a model of the arch can learn, beyond which the remaining error is specific to each computation.
    """
    from surrogates._deps import require_xgboost
    from surrogates.latency.features import cell_features, live_edges, one_hot
    from surrogates.latency.holdout import scores

    xgb = require_xgboost()
    x = one_hot(ops, n_ops)
    x = np.hstack([x, x * np.repeat(live_edges(ops, edges, none_op), n_ops, axis=1)])
    order = rng.permutation(y.shape[0])
    cut = int(train_share * y.shape[0])
    train, test = order[:cut], order[cut:]
    model = xgb.XGBRegressor(n_estimators=600, max_depth=6, learning_rate=0.05, n_jobs=1,
                             random_state=int(rng.integers(2**31 - 1)))
    model.fit(x[train], np.log(y[train]))
    trees = scores(y[test], np.exp(model.predict(x[test])))["within"]
    return max(trees, _relative_fit_within(cell_features(ops, edges, n_ops, none_op), y, train, test))
