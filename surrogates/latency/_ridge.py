"""Ridge regression with the penalty chosen by generalised cross-validation (closed form, via SVD)."""

from __future__ import annotations

import numpy as np

__all__ = ["ALPHAS", "fit_ridge_gcv"]

# Penalties tried by GCV, relative to the mean squared singular value of the centred design.
ALPHAS = tuple(10.0 ** k for k in range(-8, 5))


def fit_ridge_gcv(x: np.ndarray, y: np.ndarray, alphas=ALPHAS) -> tuple[np.ndarray, float, float]:
    """Fit ``y ~ b + x @ w`` with an unpenalised intercept ``b``; choose the penalty by GCV.

    Parameters
    ----------
    x : ndarray of shape (n, d)
    y : ndarray of shape (n,)
    alphas : sequence of float
        Candidate penalties, as multiples of the mean squared singular value of the centred ``x``.

    Returns
    -------
    w : ndarray of shape (d,)
    b : float
    alpha : float
        The chosen (absolute) penalty.
    """
    x_mean = x.mean(axis=0)
    y_mean = float(y.mean())
    xc, yc = x - x_mean, y - y_mean
    u, s, vt = np.linalg.svd(xc, full_matrices=False)
    uy = u.T @ yc
    scale = float(np.mean(s ** 2)) if s.size and np.any(s > 0) else 1.0
    n = y.shape[0]
    best = None
    for rel in alphas:
        alpha = rel * scale
        shrink = s ** 2 / (s ** 2 + alpha)
        fitted = u @ (shrink * uy)
        dof = float(shrink.sum())
        resid = yc - fitted
        # the residual outside the span of u is fixed; add it so GCV compares like with like
        gcv = float(resid @ resid) / n / max(1.0 - (dof + 1.0) / n, 1e-3) ** 2
        if best is None or gcv < best[0] - 1e-12 * abs(best[0]):
            best = (gcv, alpha, vt.T @ ((s / (s ** 2 + alpha)) * uy))
    _, alpha, w = best
    return w, y_mean - float(x_mean @ w), alpha
