"""nasbench.training.proxy_batch: the proxies' input batch (noise or real images), checked on construction."""

import numpy as np
import pytest

pytest.importorskip("torch")  # noise_batch checks the shape with the model builder's rule

from nasbench.errors import NasbenchError  # noqa: E402
from nasbench.training import proxies  # noqa: E402
from nasbench.training import proxy_batch as B  # noqa: E402


def test_noise_batch_is_seeded():
    a, b = B.noise_batch((3, 8, 8), n=5, n_classes=4, seed=1), B.noise_batch((3, 8, 8), n=5, n_classes=4, seed=1)
    assert a.x.shape == (5, 3, 8, 8) and a.x.dtype == np.float32 and a.y.dtype == np.int64 and a.input_shape == (3, 8, 8)
    assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y) and a.y.max() < 4
    assert not np.array_equal(a.x, B.noise_batch((3, 8, 8), n=5, n_classes=4, seed=2).x)
    assert a.source == "standard normal noise 5x(3, 8, 8), uniform labels, seed 1"
    assert proxies.noise_batch is B.noise_batch and proxies.ProxyBatch is B.ProxyBatch  # the proxies' API


def test_batch_from_digits_split():
    from nasbench.training.data import load_digits

    split = load_digits(100, 50, 50, split_seed=0)
    b = B.batch_from_split(split, 20)
    assert b.x.shape == (20, 1, 8, 8) and b.x.dtype == np.float32 and b.source == "digits train images 0..19"
    assert len(np.unique(b.y)) == 10  # stratified prefix: every class present
    with pytest.raises(NasbenchError, match="at most the 100 training images"):
        B.batch_from_split(split, 101)


def test_errors():
    with pytest.raises(NasbenchError, match="x must be float32 of shape"):
        B.ProxyBatch(np.zeros((2, 4, 4)), np.zeros(2, dtype=np.int64), 3, "t")
    with pytest.raises(NasbenchError, match=r"y must be int64 of shape \(2,\) with labels in \[0, 3\)"):
        B.ProxyBatch(np.zeros((2, 1, 4, 4), dtype=np.float32), np.array([0, 3]), 3, "t")
    with pytest.raises(NasbenchError, match="must be finite"):
        B.ProxyBatch(np.full((2, 1, 4, 4), np.nan, dtype=np.float32), np.zeros(2, dtype=np.int64), 3, "t")
    with pytest.raises(NasbenchError, match=r"batch size must be an int in \[1, 1024\]"):
        B.noise_batch((1, 4, 4), n=0)
    with pytest.raises(NasbenchError, match="input_shape must be"):
        B.noise_batch((1, 5, 5))
