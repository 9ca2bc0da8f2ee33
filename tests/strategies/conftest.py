"""Fixtures for the strategy tests: a small synthetic NB201 table (no downloads) and, where the
public files are present, the real nb201/cifar10 task."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

SYNTH = "nb201/synthetic"


def output_files(directory) -> dict:
    """Bytes of every file a compare run wrote, except its manifest (which holds a timestamp)."""
    return {p.name: p.read_bytes() for p in sorted(Path(directory).iterdir()) if p.name != "manifest.json"}


def output_manifest(directory) -> dict:
    """A compare run's manifest without its ``run`` section (timestamp and wall time)."""
    m = json.loads((Path(directory) / "manifest.json").read_text())
    m.pop("run")
    return m


def _synthetic_values():
    """Deterministic values with structure a search can exploit: additive op effects + noise."""
    from nasbench.spaces.nb201 import ops_table

    ops = ops_table().astype(np.int64)
    rng = np.random.default_rng(1234)
    effect = rng.normal(0.0, 3.0, size=(6, 5))
    score = effect[np.arange(6)[None, :], ops].sum(axis=1)
    valid200 = 70.0 + score + rng.normal(0, 0.5, ops.shape[0])
    valid12 = 55.0 + 0.8 * score + rng.normal(0, 1.5, ops.shape[0])
    test200 = valid200 + 2.0 + rng.normal(0, 0.3, ops.shape[0])
    conv = ((ops == 2) | (ops == 3)).sum(axis=1)
    time200 = 1000.0 + 300.0 * conv + rng.normal(0, 20, ops.shape[0])
    time12 = time200 * 0.06
    return valid12, valid200, test200, time12, time200


def write_synthetic(root) -> None:
    """Write ``nb201/synthetic`` under ``root`` (train_time_s measured for indices 0..999 only)."""
    from tabular_data.store import MetricData, write_table

    v12, v200, t200, c12, c200 = _synthetic_values()
    n = v12.shape[0]
    times = np.stack([c12, c200], axis=1)
    times[1000:] = np.nan
    metrics = {
        "valid_acc": MetricData(np.stack([v12, v200], axis=1), (12, 200), "%", "synthetic validation accuracy"),
        "test_acc": MetricData(np.stack([t200 - 5, t200], axis=1), (12, 200), "%", "synthetic test accuracy"),
        "train_time_s": MetricData(times, (12, 200), "s", "synthetic training time"),
    }
    write_table(root / "nb201" / "synthetic", name=SYNTH, space="nb201", dataset="synthetic", n_archs=n,
                metrics=metrics, sources={}, info={"about": "test fixture"})


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic_data")
    write_synthetic(root)
    return root


@pytest.fixture(scope="session")
def synthetic_bench(synthetic_root):
    from nasbench.benchmarks.tabular import TabularBenchmark
    from nasbench.spaces import NB201Space
    from tabular_data.store import Table

    return TabularBenchmark(Table(synthetic_root / "nb201" / "synthetic"), NB201Space(), name=SYNTH)


@pytest.fixture(scope="session")
def task(synthetic_bench):
    from strategies import Task

    return Task(synthetic_bench)


@pytest.fixture(scope="session")
def cifar10_task(nb201_cifar10):
    from strategies import Task

    return Task(nb201_cifar10)
