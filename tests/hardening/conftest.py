"""Fixtures of the hardening tests: small compare runs on the embedded nb201/digits table (no downloads)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCH = "nb201/digits"


def small_config(**kw):
    from strategies.compare import CompareConfig

    base = dict(benchmark=BENCH, strategies=("random_search", "local_search"), n_seeds=3, max_evals=20, seed=0)
    base.update(kw)
    return CompareConfig(**base)


@pytest.fixture(scope="session")
def two_results():
    """Two different finished comparisons (root seeds 0 and 1), computed once."""
    from strategies.compare import run_compare

    return run_compare(small_config(seed=0), n_jobs=1), run_compare(small_config(seed=1), n_jobs=1)


def cli(*argv: str, **kw) -> subprocess.Popen:
    """Start ``nasbench ARGV`` in a fresh Python process of this checkout."""
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen([sys.executable, "-c", "from nasbench.cli import entry_point; entry_point()", *argv],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def run_main(argv, capsys) -> tuple[int, str, str]:
    """``nasbench.cli.main(argv)`` in this process: (status, stdout, stderr)."""
    from nasbench.cli import main

    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err
