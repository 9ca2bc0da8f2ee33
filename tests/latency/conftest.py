"""Fixtures of the latency tests: HELP's latency table imported next to the NB201 tables."""

from __future__ import annotations

import pytest

from tests.conftest import require_shared

HELP_DIR = "nb201_help_latency"


@pytest.fixture(scope="session")
def help_dir():
    """Folder of HELP's files (skips, or fails under CI, when absent)."""
    return require_shared(f"{HELP_DIR}/original/pixel3.pt", f"{HELP_DIR}/help_nb201_latency_ms.csv") / HELP_DIR


@pytest.fixture(scope="session")
def latency_root(nb201_data_root, help_dir):
    """The session data store with ``latency/nb201/help`` imported from HELP's original .pt files."""
    from tabular_data.importers.help_latency import import_help_latency

    import_help_latency(help_dir, nb201_data_root, log=lambda line: None)
    return nb201_data_root


@pytest.fixture(scope="session")
def help_csv(help_dir):
    """The derived CSV parsed with the csv module: (devices, float64 array of shape (15625, 27))."""
    import csv

    import numpy as np

    with open(help_dir / "help_nb201_latency_ms.csv", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)
    return header[2:], np.array([[float(v) for v in r[2:]] for r in rows])


@pytest.fixture
def own_store(tmp_path, latency_root, monkeypatch):
    """A private data store holding a copy of the HELP latency table (for commands that write)."""
    import shutil

    shutil.copytree(latency_root / "latency", tmp_path / "latency")
    monkeypatch.setenv("NASBENCH_DATA", str(tmp_path))
    return tmp_path
