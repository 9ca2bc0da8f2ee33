"""Datasets for the training backend, as in-memory numpy arrays (no downloads).

* :func:`load_digits`: scikit-learn's bundled handwritten digits (1797 grey 8x8 images, 10
  classes), split into train / valid / test by a seeded, stratified, documented rule.
* :func:`load_cifar10`: CIFAR-10 from the "python version" batches in a folder the user provides
  (``data_batch_1`` .. ``data_batch_5`` and ``test_batch``, as in ``cifar-10-batches-py``).

Both return a :class:`DataSplit`; this module needs numpy (and scikit-learn for the digits), not
torch.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np

from nasbench.checks import check_int, is_int
from nasbench.errors import DataIntegrityError, MissingDataError, NasbenchError
from nasbench.training._deps import require_sklearn
from tabular_data.safe_pickle import NUMPY_ARRAYS, load_file

__all__ = ["DataSplit", "load_digits", "load_cifar10", "stratified_order", "N_DIGITS"]

N_DIGITS = 1797  # images in scikit-learn's digits dataset


@dataclasses.dataclass(frozen=True)
class DataSplit:
    """Images and labels of a train / valid / test split.

    Attributes
    ----------
    name : str
        Dataset name, e.g. ``"digits"``.
    x_train, x_valid, x_test : ndarray of float32, shape (n_*, channels, height, width)
        Standardised images (per-channel mean and standard deviation of the training images).
    y_train, y_valid, y_test : ndarray of int64, shape (n_*,)
        Class labels in ``[0, n_classes)``.
    n_classes : int
    info : dict
        How the split was made (source, seed, sizes, rule), JSON-serialisable, for manifests.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_valid: np.ndarray
    y_valid: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    info: dict

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """``(channels, height, width)`` of one image."""
        return tuple(int(s) for s in self.x_train.shape[1:])


def _check_seed(seed) -> int:
    if not is_int(seed) or seed < 0:
        raise NasbenchError(f"split_seed must be a non-negative int; got {seed!r}. Pass for example split_seed=0.")
    return int(seed)


def stratified_order(labels: np.ndarray, seed: int) -> np.ndarray:
    """A seeded order of the samples in which every prefix is (nearly) stratified by class.

    Within each class the samples are permuted by ``numpy.random.default_rng(seed)``; sample ``k``
    of a class of size ``m`` gets the key ``(k + 0.5) / m``, and the samples are sorted by key
    (ties by label). Any prefix of the result therefore holds each class in proportion to its size,
    to within one sample, so consecutive slices give stratified train / valid / test sets.

    Parameters
    ----------
    labels : ndarray of int, shape (n,)
    seed : int

    Returns
    -------
    ndarray of int64, shape (n,)
        A permutation of ``arange(n)``.
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    keys = np.empty(len(labels), dtype=np.float64)
    for c in np.unique(labels):  # sorted, so the draws happen in a fixed order
        members = np.flatnonzero(labels == c)
        members = members[rng.permutation(len(members))]
        keys[members] = (np.arange(len(members)) + 0.5) / len(members)
    return np.lexsort((labels, keys)).astype(np.int64)


def _standardise(x_train, *others):
    axes = (0, 2, 3)
    mean = x_train.mean(axis=axes, keepdims=True)
    std = x_train.std(axis=axes, keepdims=True)
    std = np.where(std > 0, std, 1.0)
    return tuple(((x - mean) / std).astype(np.float32) for x in (x_train, *others))


def load_digits(n_train: int = 1000, n_valid: int = 500, n_test: int = 297, *, split_seed: int = 0,
                upsample: int = 1) -> DataSplit:
    """scikit-learn's digits dataset, split into train / valid / test.

    The 1797 images are ordered by :func:`stratified_order` with ``split_seed``; the first
    ``n_train`` form the training set, the next ``n_valid`` the validation set and the next
    ``n_test`` the test set. Pixel values (0..16) are standardised with the mean and standard
    deviation of the training pixels.

    Parameters
    ----------
    n_train, n_valid, n_test : int
        Split sizes; their sum must not exceed 1797.
    split_seed : int, default 0
        Seeds the split (not the training).
    upsample : int, default 1
        Integer factor of nearest-neighbour upsampling: 1 gives 8x8 images, 2 gives 16x16.

    Returns
    -------
    DataSplit
        Images of shape (n, 1, 8 * upsample, 8 * upsample).

    Raises
    ------
    NasbenchError
        If a size or the seed is not a valid int, or the sizes add up to more than 1797.
    OptionalDependencyError
        If scikit-learn is not installed.

    Examples
    --------
    >>> data = load_digits(1000, 500, 297, split_seed=0)
    >>> data.x_train.shape, data.x_valid.shape, data.x_test.shape
    ((1000, 1, 8, 8), (500, 1, 8, 8), (297, 1, 8, 8))
    """
    n_train, n_valid, n_test = (check_int(k, v, 1) for k, v in
                                (("n_train", n_train), ("n_valid", n_valid), ("n_test", n_test)))
    split_seed = _check_seed(split_seed)
    upsample = check_int("upsample", upsample, 1)
    if n_train + n_valid + n_test > N_DIGITS:
        raise NasbenchError(
            f"the digits dataset has {N_DIGITS} images; got n_train + n_valid + n_test = "
            f"{n_train} + {n_valid} + {n_test} = {n_train + n_valid + n_test}. Reduce the split sizes."
        )
    datasets = require_sklearn()
    bunch = datasets.load_digits()
    images = bunch.images.astype(np.float64)[:, None, :, :]  # (1797, 1, 8, 8), values 0..16
    labels = bunch.target.astype(np.int64)
    if upsample > 1:
        images = images.repeat(upsample, axis=2).repeat(upsample, axis=3)
    order = stratified_order(labels, split_seed)
    bounds = np.cumsum([0, n_train, n_valid, n_test])
    parts = [order[bounds[i]:bounds[i + 1]] for i in range(3)]
    x_train, x_valid, x_test = _standardise(*(images[p] for p in parts))
    info = {
        "source": "sklearn.datasets.load_digits",
        "rule": "stratified_order(labels, split_seed): per-class seeded permutation, interleaved; "
                "consecutive slices train / valid / test",
        "split_seed": split_seed,
        "n_train": n_train,
        "n_valid": n_valid,
        "n_test": n_test,
        "upsample": upsample,
        "standardisation": "per-channel mean/std of the training pixels",
    }
    return DataSplit("digits", x_train, labels[parts[0]], x_valid, labels[parts[1]], x_test,
                     labels[parts[2]], 10, info)


def _read_batch(path: str):
    if not os.path.isfile(path):
        raise MissingDataError(
            f"CIFAR-10 batch file {path!r} not found. Point to the folder 'cifar-10-batches-py' "
            "(python version of CIFAR-10) that holds data_batch_1..5 and test_batch; nasbench does "
            "not download it."
        )
    # The CIFAR-10 python batches are pickles by format: read them with an unpickler that builds only
    # dicts, lists, strings, numbers and numpy arrays, so a code payload in --data-dir never runs.
    batch, _, _ = load_file(path, NUMPY_ARRAYS, expected="a CIFAR-10 python batch (a dict of numpy arrays and lists)",
                            hint="Use the files from cifar-10-python.tar.gz.", encoding="bytes")
    try:
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        labels = np.asarray(batch[b"labels"], dtype=np.int64)
    except (KeyError, TypeError, IndexError, ValueError):
        raise DataIntegrityError(
            f"{path!r} is not a CIFAR-10 python batch: expected a dict with b'data' and b'labels'. "
            "Use the files from cifar-10-python.tar.gz."
        ) from None
    if data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
        raise DataIntegrityError(
            f"{path!r}: expected data of shape (n, 3072) and n labels; got data {data.shape} and "
            f"{len(labels)} labels. Re-extract cifar-10-python.tar.gz."
        )
    return data.reshape(-1, 3, 32, 32), labels


def load_cifar10(folder, *, n_valid: int = 5000, split_seed: int = 0) -> DataSplit:
    """CIFAR-10 from the python batches in ``folder`` (nothing is downloaded).

    The 50000 training images are ordered by :func:`stratified_order` with ``split_seed``; the
    first ``n_valid`` become the validation set and the rest the training set. ``test_batch``
    is the test set. Images are standardised per channel with the training set's statistics.

    Parameters
    ----------
    folder : str or os.PathLike
        Folder with ``data_batch_1`` .. ``data_batch_5`` and ``test_batch``.
    n_valid : int, default 5000
        Validation images taken from the training batches (at least 1, fewer than the total).
    split_seed : int, default 0

    Returns
    -------
    DataSplit
        Images of shape (n, 3, 32, 32).

    Raises
    ------
    MissingDataError
        If a batch file is missing.
    DataIntegrityError
        If a file is not a CIFAR-10 python batch.
    NasbenchError
        If ``n_valid`` or ``split_seed`` is invalid.
    """
    folder = os.fspath(folder)
    n_valid = check_int("n_valid", n_valid, 1)
    split_seed = _check_seed(split_seed)
    batches = [_read_batch(os.path.join(folder, f"data_batch_{i}")) for i in range(1, 6)]
    x_all = np.concatenate([b[0] for b in batches]).astype(np.float64) / 255.0
    y_all = np.concatenate([b[1] for b in batches])
    x_test, y_test = _read_batch(os.path.join(folder, "test_batch"))
    if n_valid >= len(x_all):
        raise NasbenchError(
            f"n_valid must be smaller than the {len(x_all)} training images; got {n_valid}."
        )
    order = stratified_order(y_all, split_seed)
    valid, train = order[:n_valid], order[n_valid:]
    x_train, x_valid, x_test = _standardise(x_all[train], x_all[valid], x_test.astype(np.float64) / 255.0)
    info = {
        "source": f"CIFAR-10 python batches in {folder}",
        "rule": "stratified_order(train labels, split_seed): first n_valid = valid, rest = train; test_batch = test",
        "split_seed": split_seed,
        "n_train": int(len(train)),
        "n_valid": n_valid,
        "n_test": int(len(x_test)),
        "standardisation": "per-channel mean/std of the training pixels",
    }
    return DataSplit("cifar10", x_train, y_all[train], x_valid, y_all[valid], x_test, y_test, 10, info)
