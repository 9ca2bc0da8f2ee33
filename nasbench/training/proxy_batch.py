"""The input batch of the zero-cost proxies (:mod:`nasbench.training.proxies`).

A :class:`ProxyBatch` holds images ``x`` (float32, shape (n, channels, height, width)) and labels
``y`` (int64, shape (n,)): real images (:func:`batch_from_split`) or standard normal noise with
uniform labels (:func:`noise_batch`), at most :data:`MAX_BATCH` images (bounded memory).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from nasbench.errors import NasbenchError

__all__ = ["MAX_BATCH", "ProxyBatch", "noise_batch", "batch_from_split"]

MAX_BATCH = 1024


@dataclasses.dataclass(frozen=True)
class ProxyBatch:
    """The input of the proxies.

    Attributes
    ----------
    x : ndarray of float32, shape (n, channels, height, width)
        Images (standardised real images, or standard normal noise).
    y : ndarray of int64, shape (n,)
        Labels in ``[0, n_classes)``.
    n_classes : int
    source : str
        What the images are (recorded in tables), e.g. ``"digits train images 0..63"``.
    """

    x: np.ndarray
    y: np.ndarray
    n_classes: int
    source: str

    def __post_init__(self):
        x, y = np.asarray(self.x), np.asarray(self.y)
        if x.ndim != 4 or x.dtype != np.float32 or not 1 <= x.shape[0] <= MAX_BATCH:
            raise NasbenchError(
                f"a proxy batch's x must be float32 of shape (n, channels, height, width) with 1 <= n <= {MAX_BATCH}; "
                f"got {x.dtype} of shape {x.shape}. Use noise_batch or batch_from_split.")
        if y.shape != (x.shape[0],) or y.dtype != np.int64 or (y.size and (y.min() < 0 or y.max() >= self.n_classes)):
            raise NasbenchError(
                f"a proxy batch's y must be int64 of shape ({x.shape[0]},) with labels in [0, {self.n_classes}); got "
                f"{y.dtype} of shape {y.shape}. Use noise_batch or batch_from_split.")
        if not np.isfinite(x).all():
            raise NasbenchError("a proxy batch's x must be finite; got NaN or inf. Check the images.")

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(int(s) for s in self.x.shape[1:])


def _check_n(n) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_BATCH:
        raise NasbenchError(f"the batch size must be an int in [1, {MAX_BATCH}]; got {n!r}. Pass for example 64.")
    return int(n)


def noise_batch(input_shape, *, n: int = 64, n_classes: int = 10, seed: int = 0) -> ProxyBatch:
    """A batch of standard normal images with uniform random labels, drawn from ``seed``.

    Parameters
    ----------
    input_shape : (channels, height, width)
    n : int, default 64
    n_classes : int, default 10
    seed : int, default 0
        Seeds :func:`numpy.random.default_rng`.
    """
    from nasbench.training.model import check_input_shape

    shape = check_input_shape(input_shape)
    n = _check_n(n)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, *shape)).astype(np.float32)
    y = rng.integers(0, n_classes, size=n).astype(np.int64)
    return ProxyBatch(x, y, int(n_classes), f"standard normal noise {n}x{shape}, uniform labels, seed {seed}")


def batch_from_split(split, n: int = 64) -> ProxyBatch:
    """The first ``n`` training images of a :class:`~nasbench.training.data.DataSplit`.

    The split's training order is stratified (:func:`~nasbench.training.data.stratified_order`), so
    the first ``n`` images hold every class in proportion, and the batch is the same on every run.
    """
    n = _check_n(n)
    if n > len(split.x_train):
        raise NasbenchError(f"the batch size must be at most the {len(split.x_train)} training images of "
                            f"{split.name}; got {n}. Pass a smaller batch.")
    x = np.ascontiguousarray(split.x_train[:n], dtype=np.float32)
    y = np.asarray(split.y_train[:n], dtype=np.int64)
    return ProxyBatch(x, y, int(split.n_classes), f"{split.name} train images 0..{n - 1}")
