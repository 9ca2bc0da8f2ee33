"""Fixtures for the training-backend tests."""

import os
import pathlib

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def shared_data_dir() -> pathlib.Path:
    """The shared real-data folder: $NASBENCH_SHARED_DATA, default <repo root>/../shared/data.

    Skips the test when the folder is absent, unless NASBENCH_REQUIRE_SHARED_DATA=1, which makes
    it fail instead.
    """
    path = pathlib.Path(os.environ.get("NASBENCH_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
    if not path.is_dir():
        message = f"shared data folder {path} not found (set NASBENCH_SHARED_DATA)"
        if os.environ.get("NASBENCH_REQUIRE_SHARED_DATA") == "1":
            pytest.fail(message + " and NASBENCH_REQUIRE_SHARED_DATA=1")
        pytest.skip(message)
    return path
