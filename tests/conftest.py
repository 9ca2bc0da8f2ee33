"""Shared fixtures.

Tests that need the public benchmark files read them from ``../shared/data`` (or
``$NASBENCH_SHARED_DATA``) at run time. Without those files they are skipped with a reason, unless
``NASBENCH_REQUIRE_SHARED_DATA=1`` (set by CI), which turns the skip into a failure.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path:
    """Folder of the public benchmark files."""
    return Path(os.environ.get("NASBENCH_SHARED_DATA", REPO.parent / "shared" / "data"))


def require_shared(*relative: str) -> Path:
    """Return ``shared_data_dir()``; skip (or fail under CI) when it or a named file is missing."""
    root = shared_data_dir()
    missing = [r for r in relative if not (root / r).exists()] if root.is_dir() else [str(root)]
    if missing:
        reason = f"public benchmark data not found: {', '.join(missing)} (set NASBENCH_SHARED_DATA)"
        if os.environ.get("NASBENCH_REQUIRE_SHARED_DATA") == "1":
            pytest.fail(reason + "; NASBENCH_REQUIRE_SHARED_DATA=1 forbids skipping")
        pytest.skip(reason)
    return root


@contextlib.contextmanager
def data_root_env(root):
    """Point ``NASBENCH_DATA`` at ``root`` inside the block; restore the previous value after."""
    previous = os.environ.get("NASBENCH_DATA")
    os.environ["NASBENCH_DATA"] = str(root)
    try:
        yield root
    finally:
        if previous is None:
            os.environ.pop("NASBENCH_DATA", None)
        else:
            os.environ["NASBENCH_DATA"] = previous


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of the public benchmark files (skips when absent)."""
    return require_shared()


@pytest.fixture(scope="session")
def nb201_data_root(tmp_path_factory, shared_data) -> Path:
    """A data store with nb201/{cifar10,cifar100,imagenet16-120} imported from the public files.

    Sets ``NASBENCH_DATA`` to it for the whole session.
    """
    from tabular_data.importers.nb201 import import_nb201

    root = tmp_path_factory.mktemp("nasbench_data")
    import_nb201(shared_data, root, log=lambda line: None)
    with data_root_env(root):
        yield root


@pytest.fixture(scope="session")
def nb201_cifar10(nb201_data_root):
    """The imported nb201/cifar10 benchmark."""
    import nasbench

    return nasbench.load("nb201/cifar10")
