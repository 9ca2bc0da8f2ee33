"""A small MLP ensemble: the predictor of BANANAS and the differentiable model of the gradient strategy.

Full-batch Adam on the mean squared error of the standardised target; ReLU hidden layers; He-normal
initialisation from the caller's Generator. No torch needed.

Two implementations of the same arithmetic:

* ``compiled=True`` (default): numba kernels (:func:`_fit_kernel`, :func:`_ascend_kernel`) that train
  each member sample by sample over a sparse (CSR) input, so the first layer costs only the non-zero
  features (NB201's path encoding: at most 4 of 84; the one-hot of choices: 6 of 30). Parameters live
  in one ``(n_members, n_params)`` array; the per-layer arrays are views of it.
* ``compiled=False``: the numpy reference (stacked members, dense matrices), kept to test the
  kernels against (equal up to floating-point summation order, about 1e-12 relative).

``fit(X, y, warm_start=True)`` continues training every member from its current weights (Adam
moments restart), which is how BANANAS and the gradient strategy refit cheaply after a few new
results (see their docstrings).
"""

from __future__ import annotations

import math

import numpy as np

try:  # numba is a core dependency; the guard keeps NUMBA_DISABLE_JIT and odd installs working
    from numba import njit
except ImportError:  # pragma: no cover
    def njit(*args, **kwargs):
        return args[0] if args and callable(args[0]) else (lambda f: f)

__all__ = ["MLPEnsemble", "ascend", "ascend_reference", "relaxed"]

_B1, _B2, _EPS = 0.9, 0.999, 1e-8


class MLPEnsemble:
    """Ensemble of independently initialised MLPs.

    Parameters
    ----------
    n_members : int, default 5
    hidden : tuple of int, default (20, 20, 20)
    epochs : int, default 200
        Full-batch Adam steps per fit (a warm-started fit may ask for fewer).
    lr : float, default 0.01
    rng : numpy.random.Generator
    compiled : bool, default True
        numba kernels (True) or the numpy reference (False).
    """

    def __init__(self, n_members=5, hidden=(20, 20, 20), epochs=200, lr=0.01, rng=None, compiled=True):
        self.n_members = n_members
        self.hidden = tuple(hidden)
        self.epochs = epochs
        self.lr = lr
        self.rng = rng if rng is not None else np.random.default_rng(0)
        self.compiled = compiled

    def fit(self, X: np.ndarray, y: np.ndarray, *, warm_start: bool = False, epochs: int | None = None,
            batch_size: int | None = None) -> MLPEnsemble:
        """Fit every member on X (n, d) float64 and y (n,) float64; returns self.

        Parameters
        ----------
        warm_start : bool, default False
            Continue from the current weights (when fitted on the same number of features) instead
            of a fresh He-normal initialisation; the target is standardised again on ``y``.
        epochs : int, optional
            Adam steps of this fit (default: ``self.epochs``).
        batch_size : int, optional
            Mini-batch Adam: each step of each member uses ``batch_size`` samples drawn uniformly
            with replacement from ``rng`` (compiled only); None or ``>= n``: full batch. A fit then
            costs the same at every n.
        """
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        epochs = self.epochs if epochs is None else int(epochs)
        self.y_mean_ = float(y.mean())
        self.y_std_ = float(y.std()) or 1.0
        t = (y - self.y_mean_) / self.y_std_
        sizes = np.array((X.shape[1], *self.hidden, 1), dtype=np.int64)
        if not (warm_start and getattr(self, "theta_", None) is not None and np.array_equal(self.sizes_, sizes)):
            self._init(sizes)
        n = X.shape[0]
        if batch_size is not None and batch_size < n:
            if not self.compiled:
                raise ValueError("mini-batches need compiled=True")
            # per member and step, samples drawn uniformly with replacement: O(batch) per step at any n
            batches = self.rng.integers(0, n, size=(self.n_members, epochs, batch_size))
        else:
            batches = np.zeros((0, 0, 0), dtype=np.int64)
        if self.compiled:
            indptr, indices, data = _csr(X)
            m = np.zeros_like(self.theta_)
            v = np.zeros_like(self.theta_)
            _fit_kernel(self.theta_, m, v, self.w_off_, self.b_off_, sizes, indptr, indices, data, t,
                        epochs, float(self.lr), batches.astype(np.int64))
        else:
            _fit_numpy(self.params_, X, t, epochs, self.lr)
        return self

    def _init(self, sizes) -> None:
        """He-normal weights (drawn layer by layer, as (members, in, out)), zero biases, packed per member."""
        self.sizes_ = sizes
        w_off, b_off, total = [], [], 0
        for a, b in zip(sizes[:-1], sizes[1:]):
            w_off.append(total)
            total += a * b
            b_off.append(total)
            total += b
        self.w_off_ = np.array(w_off, dtype=np.int64)
        self.b_off_ = np.array(b_off, dtype=np.int64)
        self.theta_ = np.zeros((self.n_members, total))
        self.params_ = []
        for (a, b), wo, bo in zip(zip(sizes[:-1], sizes[1:]), w_off, b_off):
            w = self.theta_[:, wo:wo + a * b].reshape(self.n_members, a, b)  # views of theta_
            w[...] = self.rng.standard_normal((self.n_members, a, b)) * np.sqrt(2.0 / a)
            self.params_ += [w, self.theta_[:, bo:bo + b].reshape(self.n_members, 1, b)]

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


def _csr(X: np.ndarray):
    """CSR arrays (indptr (n+1,), indices, data) of the non-zeros of X (n, d)."""
    rows, cols = np.nonzero(X)
    indptr = np.zeros(X.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=X.shape[0]), out=indptr[1:])
    return indptr, cols.astype(np.int64), np.ascontiguousarray(X[rows, cols])


# ---------------------------------------------------------------- numpy reference
def _fit_numpy(params, X, t, epochs, lr):
    t = t[None, :, None]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    n = X.shape[0]
    for step in range(1, epochs + 1):
        acts = _forward(params, X)
        grads = _backward(params, acts, (acts[-1] - t) * (2.0 / n))
        c1, c2 = lr / (1 - _B1**step), 1.0 / (1 - _B2**step)
        for i, g in enumerate(grads):
            m[i] *= _B1
            m[i] += (1 - _B1) * g
            v[i] *= _B2
            v[i] += (1 - _B2) * g * g
            params[i] -= c1 * m[i] / (np.sqrt(v[i] * c2) + _EPS)


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


# ---------------------------------------------------------------- compiled kernels
@njit(cache=True)
def _dot_rows(a, ra, b, rb, n):
    """Sum over i < n of a[ra, i] * b[rb, i], in eight interleaved partial sums: a fixed order (the same
    bits on every run) that still lets the compiler use SIMD lanes. No views are made (each would
    cost a reference count in the inner loops)."""
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
    n8 = n - n % 8
    for i in range(0, n8, 8):
        s0 += a[ra, i] * b[rb, i]
        s1 += a[ra, i + 1] * b[rb, i + 1]
        s2 += a[ra, i + 2] * b[rb, i + 2]
        s3 += a[ra, i + 3] * b[rb, i + 3]
        s4 += a[ra, i + 4] * b[rb, i + 4]
        s5 += a[ra, i + 5] * b[rb, i + 5]
        s6 += a[ra, i + 6] * b[rb, i + 6]
        s7 += a[ra, i + 7] * b[rb, i + 7]
    for i in range(n8, n):
        s0 += a[ra, i] * b[rb, i]
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))


@njit(cache=True)
def _lin(dst, d0, src, s0, theta, mem, w, stride_o, stride_i, n_out, n_in, bias, n):
    """dst[d0 + o, i] = theta[mem, bias + o] (0 when bias < 0) + sum over q of
    theta[mem, w + o * stride_o + q * stride_i] * src[s0 + q, i], for o < n_out and i < n.

    Eight samples at a time in registers, summed over q in order (the same bits as a plain loop)."""
    n8 = n - n % 8
    for o in range(n_out):
        b0 = theta[mem, bias + o] if bias >= 0 else 0.0
        wo = w + o * stride_o
        for i in range(0, n8, 8):
            a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = b0
            for q in range(n_in):
                wq = theta[mem, wo + q * stride_i]
                r = s0 + q
                a0 += wq * src[r, i]
                a1 += wq * src[r, i + 1]
                a2 += wq * src[r, i + 2]
                a3 += wq * src[r, i + 3]
                a4 += wq * src[r, i + 4]
                a5 += wq * src[r, i + 5]
                a6 += wq * src[r, i + 6]
                a7 += wq * src[r, i + 7]
            dst[d0 + o, i] = a0
            dst[d0 + o, i + 1] = a1
            dst[d0 + o, i + 2] = a2
            dst[d0 + o, i + 3] = a3
            dst[d0 + o, i + 4] = a4
            dst[d0 + o, i + 5] = a5
            dst[d0 + o, i + 6] = a6
            dst[d0 + o, i + 7] = a7
        for i in range(n8, n):
            a = b0
            for q in range(n_in):
                a += theta[mem, wo + q * stride_i] * src[s0 + q, i]
            dst[d0 + o, i] = a


@njit(cache=True)
def _adam(th, mm, vv, grad, c1, c2):
    """One Adam step over contiguous 1-D parameter, moment and gradient arrays (vectorised loop)."""
    for q in range(th.shape[0]):
        g = grad[q]
        mq = mm[q] * _B1 + (1.0 - _B1) * g
        vq = vv[q] * _B2 + (1.0 - _B2) * g * g
        mm[q] = mq
        vv[q] = vq
        th[q] -= c1 * mq / (math.sqrt(vq * c2) + _EPS)


@njit(cache=True)
def _fit_kernel(theta, m, v, w_off, b_off, sizes, indptr, indices, data, t, epochs, lr, batches):
    """Adam for every member (rows of theta): full-batch when ``batches`` is empty, else step ``e`` of
    member ``mem`` uses the samples ``batches[mem, e]``. Activations and deltas are feature-major
    (layer * width + unit, sample), so every dense loop runs over samples in contiguous memory; the
    first layer is sparse."""
    n_members, n_params = theta.shape
    n_layers = sizes.shape[0] - 1
    full = batches.shape[2] == 0
    n = t.shape[0] if full else batches.shape[2]
    rows = np.arange(n)
    tb = np.zeros(n)
    width = 1
    for l in range(1, n_layers + 1):
        width = max(width, sizes[l])
    acts = np.zeros(((n_layers + 1) * width, n))  # row l * width + j: unit j of layer l
    delta = np.zeros((width, n))
    prev = np.zeros((width, n))
    ones = np.ones((1, n))
    grad = np.zeros(n_params)
    scale = 2.0 / n
    for mem in range(n_members):
        for e in range(epochs):
            if not full:
                rows = batches[mem, e]
            for i in range(n):
                tb[i] = t[rows[i]]
            # forward: sparse first layer, then dense ReLU layers, linear output
            out, w, b = sizes[1], w_off[0], b_off[0]
            for j in range(out):
                bj = theta[mem, b + j]
                for i in range(n):
                    acts[width + j, i] = bj
            for i in range(n):
                r = rows[i]
                for p in range(indptr[r], indptr[r + 1]):
                    base, x = w + indices[p] * out, data[p]
                    for j in range(out):
                        acts[width + j, i] += x * theta[mem, base + j]
            for l in range(1, n_layers + 1):
                if l > 1:
                    inn, out, w, b = sizes[l - 1], sizes[l], w_off[l - 1], b_off[l - 1]
                    _lin(acts, l * width, acts, (l - 1) * width, theta, mem, w, 1, out, out, inn, b, n)
                if l < n_layers:
                    for j in range(l * width, l * width + sizes[l]):
                        for i in range(n):
                            if acts[j, i] < 0.0:
                                acts[j, i] = 0.0
            last = n_layers * width
            for i in range(n):
                delta[0, i] = (acts[last, i] - tb[i]) * scale
            # backward
            for l in range(n_layers - 1, -1, -1):
                inn, out, w, b = sizes[l], sizes[l + 1], w_off[l], b_off[l]
                for j in range(out):
                    grad[b + j] = _dot_rows(delta, j, ones, 0, n)
                if l == 0:
                    for k in range(inn * out):
                        grad[w + k] = 0.0
                    for i in range(n):
                        r = rows[i]
                        for p in range(indptr[r], indptr[r + 1]):
                            base, x = w + indices[p] * out, data[p]
                            for j in range(out):
                                grad[base + j] += x * delta[j, i]
                    continue
                src0 = l * width
                for k in range(inn):
                    for j in range(out):
                        grad[w + k * out + j] = _dot_rows(acts, src0 + k, delta, j, n)
                _lin(prev, 0, delta, 0, theta, mem, w, out, 1, inn, out, -1, n)
                for k in range(inn):  # after every prev row is made from the old delta
                    for i in range(n):
                        delta[k, i] = prev[k, i] if acts[src0 + k, i] > 0.0 else 0.0
            step = e + 1
            c1 = lr / (1.0 - _B1**step)
            c2 = 1.0 / (1.0 - _B2**step)
            _adam(theta[mem], m[mem], v[mem], grad, c1, c2)


@njit(cache=True)
def _input_gradient_kernel(theta, w_off, b_off, sizes, x, acts, delta, prev, gx):
    """gx = gradient of the members' mean output (standardised) with respect to the dense input x."""
    n_members = theta.shape[0]
    n_layers = sizes.shape[0] - 1
    d = sizes[0]
    for k in range(d):
        gx[k] = 0.0
    for mem in range(n_members):
        th = theta[mem]
        for k in range(d):
            acts[0, k] = x[k]
        for l in range(1, n_layers + 1):
            inn, out, w, b = sizes[l - 1], sizes[l], w_off[l - 1], b_off[l - 1]
            for j in range(out):
                acts[l, j] = th[b + j]
            for k in range(inn):
                a = acts[l - 1, k]
                if a != 0.0:
                    base = w + k * out
                    for j in range(out):
                        acts[l, j] += a * th[base + j]
            if l < n_layers:
                for j in range(out):
                    if acts[l, j] < 0.0:
                        acts[l, j] = 0.0
        delta[0] = 1.0
        for l in range(n_layers - 1, -1, -1):
            inn, out, w = sizes[l], sizes[l + 1], w_off[l]
            for k in range(inn):
                s = 0.0
                base = w + k * out
                for j in range(out):
                    s += th[base + j] * delta[j]
                prev[k] = s
            for k in range(inn):
                delta[k] = prev[k] if (l == 0 or acts[l, k] > 0.0) else 0.0
        for k in range(d):
            gx[k] += delta[k]
    for k in range(d):
        gx[k] /= n_members


@njit(cache=True)
def _relaxed_kernel(alpha, offsets, sizes, temperature, out):
    for c in range(offsets.shape[0]):
        o, s = offsets[c], sizes[c]
        top = -np.inf
        for q in range(s):
            top = max(top, alpha[o + q] / temperature)
        total = 0.0
        for q in range(s):
            out[o + q] = math.exp(alpha[o + q] / temperature - top)
            total += out[o + q]
        for q in range(s):
            out[o + q] /= total


@njit(cache=True)
def _ascend_kernel(theta, w_off, b_off, sizes, alpha, offsets, cat_sizes, n_steps, step_size, temperature, y_std):
    width = sizes[0]
    for l in range(1, sizes.shape[0]):
        width = max(width, sizes[l])
    acts = np.zeros((sizes.shape[0], width))
    delta = np.zeros(width)
    prev = np.zeros(width)
    x = np.zeros(sizes[0])
    gx = np.zeros(sizes[0])
    for _ in range(n_steps):
        _relaxed_kernel(alpha, offsets, cat_sizes, temperature, x)
        _input_gradient_kernel(theta, w_off, b_off, sizes, x, acts, delta, prev, gx)
        for c in range(offsets.shape[0]):
            o, s = offsets[c], cat_sizes[c]
            dot = 0.0
            for q in range(s):
                dot += x[o + q] * gx[o + q] * y_std
            for q in range(s):  # softmax Jacobian-vector product, then the ascent step
                alpha[o + q] += step_size * (x[o + q] * (gx[o + q] * y_std - dot) / temperature)
    return alpha


def relaxed(alpha: np.ndarray, offsets, sizes, temperature: float) -> np.ndarray:
    """Concatenated per-decision softmax of ``alpha / temperature``: (n_features,)."""
    out = np.empty(alpha.shape[0])
    _relaxed_kernel(np.asarray(alpha, dtype=np.float64), np.asarray(offsets, dtype=np.int64),
                    np.asarray(sizes, dtype=np.int64), float(temperature), out)
    return out


def ascend(model: MLPEnsemble, alpha, offsets, sizes, n_steps: int, step_size: float, temperature: float):
    """``n_steps`` of gradient ascent on the ensemble-mean prediction at ``relaxed(alpha)`` (compiled)."""
    return _ascend_kernel(model.theta_, model.w_off_, model.b_off_, model.sizes_,
                          np.array(alpha, dtype=np.float64), np.asarray(offsets, dtype=np.int64),
                          np.asarray(sizes, dtype=np.int64), int(n_steps), float(step_size), float(temperature),
                          float(model.y_std_))


def ascend_reference(model: MLPEnsemble, alpha, offsets, sizes, n_steps: int, step_size: float,
                     temperature: float):
    """Plain numpy twin of :func:`ascend` (the gradient through :meth:`MLPEnsemble.input_gradient`)."""
    alpha = np.array(alpha, dtype=np.float64)
    for _ in range(n_steps):
        x = np.empty_like(alpha)
        for o, s in zip(offsets, sizes):
            z = alpha[o:o + s] / temperature
            e = np.exp(z - z.max())
            x[o:o + s] = e / e.sum()
        gx = model.input_gradient(x[None, :])[0]
        g = np.empty_like(alpha)
        for o, s in zip(offsets, sizes):
            p, q = x[o:o + s], gx[o:o + s]
            g[o:o + s] = p * (q - p @ q) / temperature
        alpha += step_size * g
    return alpha
