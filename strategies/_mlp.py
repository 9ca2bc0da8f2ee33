"""A small numpy MLP ensemble: the predictor of BANANAS and the differentiable model of the
gradient strategy. Full-batch Adam on mean squared error of the standardised target; ReLU hidden
layers; He-normal initialisation from the caller's Generator. No torch needed.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MLPEnsemble"]


class MLPEnsemble:
    """Ensemble of independently initialised MLPs.

    Parameters
    ----------
    n_members : int, default 5
    hidden : tuple of int, default (20, 20, 20)
    epochs : int, default 200
        Full-batch Adam steps per fit.
    lr : float, default 0.01
    rng : numpy.random.Generator
    """

    def __init__(self, n_members=5, hidden=(20, 20, 20), epochs=200, lr=0.01, rng=None):
        self.n_members = n_members
        self.hidden = tuple(hidden)
        self.epochs = epochs
        self.lr = lr
        self.rng = rng if rng is not None else np.random.default_rng(0)

    def fit(self, X: np.ndarray, y: np.ndarray) -> MLPEnsemble:
        """Fit every member on X (n, d) float64 and y (n,) float64; returns self.

        The members are trained together as stacked weight tensors (leading axis = member); each has
        its own initialisation, so they differ only by it, as in BANANAS's ensemble.
        """
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        self.y_mean_ = float(y.mean())
        self.y_std_ = float(y.std()) or 1.0
        t = ((y - self.y_mean_) / self.y_std_)[None, :, None]
        sizes = (X.shape[1], *self.hidden, 1)
        params = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            params.append(self.rng.standard_normal((self.n_members, a, b)) * np.sqrt(2.0 / a))
            params.append(np.zeros((self.n_members, 1, b)))
        m = [np.zeros_like(p) for p in params]
        v = [np.zeros_like(p) for p in params]
        b1, b2, eps = 0.9, 0.999, 1e-8
        n = X.shape[0]
        for step in range(1, self.epochs + 1):
            acts = _forward(params, X)
            grads = _backward(params, acts, (acts[-1] - t) * (2.0 / n))
            c1, c2 = self.lr / (1 - b1**step), 1.0 / (1 - b2**step)
            for i, g in enumerate(grads):
                m[i] *= b1
                m[i] += (1 - b1) * g
                v[i] *= b2
                v[i] += (1 - b2) * g * g
                params[i] -= c1 * m[i] / (np.sqrt(v[i] * c2) + eps)
        self.params_ = params
        return self

    def predict_members(self, X: np.ndarray) -> np.ndarray:
        """Predictions of every member: float64 of shape (n_members, n)."""
        X = np.asarray(X, dtype=np.float64)
        return _forward(self.params_, X)[-1][:, :, 0] * self.y_std_ + self.y_mean_

    def input_gradient(self, X: np.ndarray) -> np.ndarray:
        """Gradient of the ensemble-mean prediction with respect to the inputs: (n, d)."""
        X = np.asarray(X, dtype=np.float64)
        acts = _forward(self.params_, X)
        g = _backward(self.params_, acts, np.ones_like(acts[-1]), wrt_input=True)
        return g.mean(axis=0) * self.y_std_


def _forward(params, X):
    """Activations per layer, each (n_members, n, width); X is (n, d), shared by the members."""
    acts = [X]
    h = X
    n_layers = len(params) // 2
    for i in range(n_layers):
        h = np.matmul(h, params[2 * i]) + params[2 * i + 1]
        if i < n_layers - 1:
            h = np.maximum(h, 0.0)
        acts.append(h)
    return acts


def _backward(params, acts, grad_out, wrt_input=False):
    n_layers = len(params) // 2
    grads = [None] * len(params)
    g = grad_out
    for i in range(n_layers - 1, -1, -1):
        if i < n_layers - 1:
            g = g * (acts[i + 1] > 0)
        if not wrt_input:
            a = acts[i]
            grads[2 * i] = np.matmul(np.swapaxes(a, -1, -2), g) if a.ndim == 3 else np.matmul(a.T, g)
            grads[2 * i + 1] = g.sum(axis=1, keepdims=True)
        if i > 0 or wrt_input:
            g = np.matmul(g, np.swapaxes(params[2 * i], -1, -2))
    return g if wrt_input else grads
