"""The manifest's optional ``higher_is_better`` key: written when set, read back, checked."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nasbench.errors import DataIntegrityError
from tabular_data.store import MANIFEST, MetricData, Table, write_manifest, write_table


def _write(tmp_path, direction):
    metrics = {"valid_neg_loss": MetricData(mean=np.zeros((3, 1)), fidelities=(None,), unit="", description="d",
                                            higher_is_better=direction)}
    return write_table(tmp_path / "t", name="x/y", space="nb201", dataset="y", n_archs=3, metrics=metrics,
                       sources={}, info={})


@pytest.mark.parametrize("direction", [True, False, None])
def test_direction_round_trips(tmp_path, direction):
    table = Table(_write(tmp_path, direction))
    assert table.metric("valid_neg_loss").higher_is_better is direction
    entry = table.manifest["metrics"]["valid_neg_loss"]
    assert ("higher_is_better" in entry) == (direction is not None)


def test_a_non_boolean_direction_is_refused(tmp_path):
    directory = _write(tmp_path, True)
    manifest = json.loads((directory / MANIFEST).read_text())
    manifest["metrics"]["valid_neg_loss"]["higher_is_better"] = "yes"
    write_manifest(directory, manifest)  # a consistent checksum: only the value is wrong
    with pytest.raises(DataIntegrityError, match="higher_is_better must be true, false or absent"):
        Table(directory)
