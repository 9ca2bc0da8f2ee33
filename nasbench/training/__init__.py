"""Optional PyTorch backend: NB201 model builder, FLOPs count, data loaders, trainer.

Install with ``pip install "nasbench[train]"`` (on a CPU-only machine install ``torch==2.13.0``
first). Importing this package does not import torch: the names below load their module on first
access, and a missing torch raises :class:`~nasbench.errors.OptionalDependencyError`.

>>> from nasbench.training import TrainConfig, load_digits, train_arch        # doctest: +SKIP
>>> result = train_arch(6111, load_digits(), TrainConfig(C=8, N=1, epochs=4))  # doctest: +SKIP
"""

from __future__ import annotations

import importlib

_LAZY = {
    "NB201Network": "nasbench.training.model",
    "build_network": "nasbench.training.model",
    "count_params": "nasbench.training.model",
    "count_flops": "nasbench.training.flops",
    "DataSplit": "nasbench.training.data",
    "load_digits": "nasbench.training.data",
    "load_cifar10": "nasbench.training.data",
    "TrainConfig": "nasbench.training.trainer",
    "TrainResult": "nasbench.training.trainer",
    "train_arch": "nasbench.training.trainer",
    "measure_latency_ms": "nasbench.training.trainer",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nasbench.training' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
