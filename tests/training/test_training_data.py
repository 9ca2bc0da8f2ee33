"""Dataset loaders: digits split rule and the CIFAR-10 batch reader (with fake batches)."""

import pickle

import numpy as np
import pytest

from nasbench.errors import DataIntegrityError, MissingDataError, NasbenchError
from nasbench.training.data import load_cifar10, load_digits, stratified_order


def test_stratified_order_is_a_seeded_stratified_permutation():
    labels = np.repeat(np.arange(3), [10, 20, 30])
    order = stratified_order(labels, 0)
    assert np.array_equal(np.sort(order), np.arange(60))
    assert np.array_equal(order, stratified_order(labels, 0))
    assert not np.array_equal(order, stratified_order(labels, 1))
    counts = np.bincount(labels[order[:12]], minlength=3)  # a prefix is proportional: 2, 4, 6
    assert np.all(np.abs(counts - np.array([2, 4, 6])) <= 1)


def test_load_digits_split():
    pytest.importorskip("sklearn")
    data = load_digits(1000, 500, 297, split_seed=0)
    assert data.x_train.shape == (1000, 1, 8, 8) and data.x_train.dtype == np.float32
    assert data.y_valid.shape == (500,) and data.y_test.shape == (297,)
    assert data.input_shape == (1, 8, 8) and data.n_classes == 10
    assert abs(float(data.x_train.mean())) < 1e-5 and abs(float(data.x_train.std()) - 1) < 1e-4
    for y, n in ((data.y_train, 1000), (data.y_valid, 500)):  # stratified: ~10% per class
        assert np.all(np.abs(np.bincount(y, minlength=10) - n / 10) <= 3)
    # the three parts are disjoint: no image of valid/test appears in train
    train = {row.tobytes() for row in data.x_train.reshape(1000, -1)}
    again = load_digits(1000, 500, 297, split_seed=0)
    assert np.array_equal(again.x_valid, data.x_valid)
    other = load_digits(1000, 500, 297, split_seed=1)
    assert not np.array_equal(other.x_train, data.x_train)
    assert data.info["split_seed"] == 0 and data.info["n_train"] == 1000
    assert len(train) > 900


def test_load_digits_upsample():
    pytest.importorskip("sklearn")
    data = load_digits(100, 50, 50, upsample=2)
    assert data.x_train.shape == (100, 1, 16, 16)
    assert np.array_equal(data.x_train[:, :, ::2, ::2], data.x_train[:, :, 1::2, 1::2])


@pytest.mark.parametrize("args, kwargs, match", [
    ((1000, 500, 400), {}, "the digits dataset has 1797 images; got n_train \\+ n_valid \\+ n_test = 1000 \\+ 500 \\+ 400"),
    ((0, 10, 10), {}, "n_train must be an int >= 1; got 0"),
    ((10, 10, 10), {"split_seed": -1}, "split_seed must be a non-negative int; got -1"),
    ((10, 10, 10), {"upsample": 0}, "upsample must be an int >= 1; got 0"),
])
def test_load_digits_rejects(args, kwargs, match):
    with pytest.raises(NasbenchError, match=match):
        load_digits(*args, **kwargs)


def _write_fake_cifar(folder, n_per_batch=20):
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {b"data": rng.integers(0, 256, size=(n_per_batch, 3072), dtype=np.uint8),
                 b"labels": rng.integers(0, 10, size=n_per_batch).tolist()}
        with open(folder / name, "wb") as fh:
            pickle.dump(batch, fh)


def test_load_cifar10_from_fake_batches(tmp_path):
    _write_fake_cifar(tmp_path)
    data = load_cifar10(tmp_path, n_valid=10, split_seed=0)
    assert data.x_train.shape == (90, 3, 32, 32) and data.x_valid.shape == (10, 3, 32, 32)
    assert data.x_test.shape == (20, 3, 32, 32) and data.y_test.dtype == np.int64
    assert np.allclose(data.x_train.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    assert data.info["n_train"] == 90


def test_load_cifar10_missing_file(tmp_path):
    with pytest.raises(MissingDataError, match="CIFAR-10 batch file .*data_batch_1.* not found"):
        load_cifar10(tmp_path)


def test_load_cifar10_bad_batch(tmp_path):
    _write_fake_cifar(tmp_path)
    with open(tmp_path / "data_batch_2", "wb") as fh:
        pickle.dump({b"nothing": 1}, fh)
    with pytest.raises(DataIntegrityError, match="is not a CIFAR-10 python batch"):
        load_cifar10(tmp_path)
    with open(tmp_path / "data_batch_2", "wb") as fh:
        pickle.dump({b"data": np.zeros((4, 100), dtype=np.uint8), b"labels": [0] * 4}, fh)
    with pytest.raises(DataIntegrityError, match=r"expected data of shape \(n, 3072\)"):
        load_cifar10(tmp_path)


def test_load_cifar10_rejects_bad_split(tmp_path):
    _write_fake_cifar(tmp_path)
    with pytest.raises(NasbenchError, match="n_valid must be smaller than the 100 training images; got 100"):
        load_cifar10(tmp_path, n_valid=100)
    with pytest.raises(NasbenchError, match="n_valid must be an int >= 1; got 0"):
        load_cifar10(tmp_path, n_valid=0)
