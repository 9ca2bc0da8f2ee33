"""Surrogates of NB101 and DARTS fit on NASLib's sampled archs."""

import numpy as np
import pytest

pytest.importorskip("xgboost")

import nasbench  # noqa: E402
from nasbench.benchmarks.surrogate_fit import fit_surrogate, save_surrogate  # noqa: E402
from nasbench.cli import main  # noqa: E402
from nasbench.errors import InvalidArchError, MissingDataError, UnknownNameError  # noqa: E402
from nasbench.spaces.darts import DARTSSpace  # noqa: E402
from nasbench.spaces.nb101 import NB101Space  # noqa: E402
from tests.conftest import require_shared  # noqa: E402

SMALL = {"n_estimators": 40, "max_depth": 4}


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("NASBENCH_DATA", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("space_name,space,n_unique", [("nb101", NB101Space(), 292), ("darts", DARTSSpace(), 725)])
def test_fit_save_serve(space_name, space, n_unique, store):
    root = require_shared("naslib_zc_benchmarks")
    result = fit_surrogate(f"{space_name}/cifar10", "valid_acc", train_fraction=0.8, seed=0, params=SMALL,
                           n_members=2, source_dir=root)
    split = result.metadata["split"]
    assert split["n_unique"] == n_unique and split["n_train"] + split["n_test"] == n_unique
    assert result.scores["kendall_tau"] > 0.3  # honest figures are in the report; this is a floor
    save_surrogate(result)
    bench = nasbench.load(f"{space_name}/cifar10@surrogate")
    archs = [space.sample(np.random.default_rng(i)) for i in range(5)]
    values = bench.query(archs, "valid_acc")
    assert values.shape == (5,) and np.all((values > 50) & (values < 100))
    assert bench.query(archs[0], "valid_acc") == values[0]
    np.testing.assert_array_equal(bench.query(archs, "valid_acc", seed=1), bench.query(archs, "valid_acc", seed=1))
    assert bench.metrics["valid_acc"].predicted_by.startswith("bagged XGBoost")
    with pytest.raises(InvalidArchError, match="take .*Arch values; got 6111"):
        bench.query(6111, "valid_acc")
    # too large to list: no whole columns, only the contract every kind answers
    assert not bench.enumerable and not hasattr(bench, "column") and space_name in bench.name


def test_sample_fit_errors(store):
    root = require_shared("naslib_zc_benchmarks")
    with pytest.raises(MissingDataError, match="pass the folder holding"):
        fit_surrogate("nb101/cifar10", "valid_acc")
    with pytest.raises(UnknownNameError, match="no metric 'test_acc'"):
        fit_surrogate("nb101/cifar10", "test_acc", source_dir=root)
    with pytest.raises(MissingDataError, match="zc_nasbench101.json not found"):
        fit_surrogate("nb101/cifar10", "valid_acc", source_dir=store)
    with pytest.raises(UnknownNameError, match="no NASLib sample file for nb101/cifar100"):
        fit_surrogate("nb101/cifar100", "valid_acc", source_dir=root)


def test_malformed_sample_files_are_refused(tmp_path):
    import json

    from nasbench.errors import DataIntegrityError
    from tabular_data.importers.naslib_zc import read_naslib_samples

    path = tmp_path / "zc_nasbench301.json"
    for doc, match in [
        ({"cifar100": {}}, r"is not NASLib's zero-cost format \(missing 'cifar10'\); re-download"),
        ({"cifar10": {}}, "holds no archs; expected NASLib's sampled archs"),
        ({"cifar10": {"k": {"val_accuracy": "high"}}}, "field 'val_accuracy' is not numeric for every arch"),
    ]:
        path.write_text(json.dumps(doc))
        with pytest.raises(DataIntegrityError, match=match):
            read_naslib_samples(tmp_path, "darts")


def test_cli_eval_on_samples(store, capsys):
    root = require_shared("naslib_zc_benchmarks")
    assert main(["surrogate", "eval", "darts/cifar10", "--metric", "valid_acc", "--train-fractions", "0.5",
                 "--seeds", "0", "--from", str(root), "--json"]) == 0
    assert '"n_train": 362' in capsys.readouterr().out
