"""Fixtures of the validate tests: NB201 tables plus HELP's latency table in the session data store."""

from __future__ import annotations

import pytest

from tests.conftest import require_shared


@pytest.fixture(scope="session")
def validate_data_root(nb201_data_root):
    """The session data store with ``latency/nb201/help`` imported too (skips, or fails under CI, without it)."""
    from tabular_data.importers.help_latency import import_help_latency

    help_dir = require_shared("nb201_help_latency/original/pixel3.pt") / "nb201_help_latency"
    import_help_latency(help_dir, nb201_data_root, log=lambda line: None)
    return nb201_data_root
