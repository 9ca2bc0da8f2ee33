"""Fitting on a tabular benchmark, serving through nasbench.load(...@surrogate), CLI and errors."""

import json

import numpy as np
import pytest

pytest.importorskip("xgboost")

import nasbench  # noqa: E402
from nasbench.benchmarks.surrogate import surrogate_dir  # noqa: E402
from nasbench.benchmarks.surrogate_fit import (  # noqa: E402
    SurrogateConfigError,
    fit_surrogate,
    save_surrogate,
    split_indices,
)
from nasbench.cli import main  # noqa: E402
from nasbench.errors import DataIntegrityError, InvalidArchError, MissingDataError, UnknownNameError  # noqa: E402
from nasbench.spaces.nb201 import NB201Arch  # noqa: E402

SMALL = {"n_estimators": 30}


@pytest.fixture(scope="module")
def fitted(nb201_data_root):
    result = fit_surrogate("nb201/cifar10", "test_acc", 200, train_fraction=0.05, seed=0, params=SMALL, n_members=2)
    save_surrogate(result)
    yield result
    import shutil

    shutil.rmtree(surrogate_dir("nb201", "cifar10"), ignore_errors=True)


def test_fit_scores_and_metadata(fitted):
    meta = fitted.metadata
    assert meta["split"]["n_train"] == round(0.05 * 15625) and meta["encoding"] == "iso"
    assert fitted.scores["kendall_tau"] > 0.75  # 30 small trees on 5%: a floor, the full figures are in the report
    assert np.intersect1d(fitted.train_indices, fitted.test_indices).size == 0
    assert meta["noise"]["seed_scatter_std"] > 0  # from the per-seed values of the training archs


def test_load_serves_the_same_query_api(fitted):
    bench = nasbench.load("nb201/cifar10@surrogate")
    assert bench.kind == "surrogate" and bench.name == "nb201/cifar10@surrogate"
    info = bench.metrics["test_acc"]
    assert info.predicted_by.startswith("bagged XGBoost") and info.fidelities == (200,)
    one = bench.query(6111, "test_acc", 200)
    assert isinstance(one, np.float64)
    batch = bench.query([6111, "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", NB201Arch.from_index(5)], "test_acc")
    assert batch.shape == (3,) and batch[0] == one
    np.testing.assert_allclose(bench.query(np.arange(100), "test_acc"),
                               fitted.model.predict_xgboost(bench.encoding.encode(np.arange(100))[0]),
                               rtol=1e-5, atol=1e-5)
    s1 = bench.query(np.arange(50), "test_acc", seed=3)
    np.testing.assert_array_equal(s1, bench.query(np.arange(50), "test_acc", seed=3))
    assert not np.array_equal(s1, bench.query(np.arange(50), "test_acc"))
    assert bench.column("test_acc").shape == (15625,)


def test_query_errors(fitted):
    bench = nasbench.load("nb201/cifar10@surrogate")
    with pytest.raises(InvalidArchError, match=r"in \[0, 15624\]; got 15625"):
        bench.query(15625, "test_acc")
    with pytest.raises(InvalidArchError, match=r"must be in \[0, 15624\]; got -1"):
        bench.query(np.array([3, -1]), "test_acc")
    with pytest.raises(InvalidArchError, match="unknown NB201 operation"):
        bench.query("|conv9~0|+|none~0|none~1|+|none~0|none~1|none~2|", "test_acc")
    with pytest.raises(UnknownNameError, match="has no surrogate of metric 'valid_acc'"):
        bench.query(0, "valid_acc")
    with pytest.raises(UnknownNameError, match="no surrogate of test_acc at fidelity 12"):
        bench.query(0, "test_acc", 12)
    with pytest.raises(UnknownNameError, match="missing must be one of 'raise', 'nan'; got 'zero'"):
        bench.query([0, 1], "test_acc", missing="zero")


def test_fit_errors_before_fitting(fitted, monkeypatch):
    from dataclasses import replace

    from nasbench.benchmarks.surrogate import surrogate_from_results
    from nasbench.benchmarks.tabular import TabularBenchmark
    from nasbench.errors import MissingValueError

    with pytest.raises(SurrogateConfigError, match="one budget and a random split only; got fidelity=108"):
        fit_surrogate("nb101/cifar10", "valid_acc", 108)
    with pytest.raises(UnknownNameError, match="fit on a tabular benchmark; got 'nb201/cifar10@surrogate' of kind"):
        fit_surrogate("nb201/cifar10@surrogate", "test_acc")
    other = replace(fitted, metadata={**fitted.metadata, "dataset": "cifar100"})
    with pytest.raises(SurrogateConfigError, match=r"must share one space and dataset; got \[\('nb201', 'cifar10'\), \('nb201', 'cifar100'\)\]\. Build"):
        surrogate_from_results([fitted, other])
    monkeypatch.setattr(TabularBenchmark, "column", lambda self, metric, fidelity=None: np.full(self.n_archs, np.nan))
    with pytest.raises(MissingValueError, match="has only 0 values of test_acc at fidelity 200; cannot fit"):
        fit_surrogate("nb201/cifar10", "test_acc", 200)


@pytest.mark.parametrize("bad", [0, 1, 1.5, -0.1, True, "0.1"])
def test_train_fraction_outside_unit_interval(bad, nb201_data_root):
    with pytest.raises(SurrogateConfigError, match="strictly between 0 and 1"):
        fit_surrogate("nb201/cifar10", "test_acc", train_fraction=bad)


def test_split_needs_two_on_each_side():
    with pytest.raises(SurrogateConfigError, match="both sides of the split need at least 2"):
        split_indices(np.arange(10), 0.05, 0)


def test_model_from_another_space_is_refused(fitted, tmp_path, monkeypatch):
    import shutil

    src = surrogate_dir("nb201", "cifar10")
    root = tmp_path / "store"
    dst = surrogate_dir("nb201", "cifar100", root)
    shutil.copytree(src, dst)
    from nasbench.benchmarks.surrogate import load_surrogate
    from surrogates.io import write_metadata

    with pytest.raises(DataIntegrityError, match="was fit for nb201/cifar10, not nb201/cifar100"):
        load_surrogate("nb201", "cifar100", root)
    meta_path = next(dst.glob("*/metadata.json"))
    meta = json.loads(meta_path.read_text())
    write_metadata(meta_path.parent, {**meta, "space": "nb101", "dataset": "cifar100"})  # sealed edits
    with pytest.raises(DataIntegrityError, match="was fit for nb101/cifar100"):
        load_surrogate("nb201", "cifar100", root)
    with pytest.raises(MissingDataError, match="no surrogate models for nb201/imagenet16-120"):
        load_surrogate("nb201", "imagenet16-120", root)
    write_metadata(meta_path.parent, {**meta, "dataset": "cifar100", "encoding": "onehot"})
    with pytest.raises(DataIntegrityError, match="model expects 122 features, encoding 'onehot' gives 30; re-fit"):
        load_surrogate("nb201", "cifar100", root)


def test_given_split_errors(nb201_data_root):
    with pytest.raises(SurrogateConfigError, match="needs at least 2 training and 2 test archs; got 1"):
        fit_surrogate("nb201/cifar10", "test_acc", train_indices=[5])
    with pytest.raises(SurrogateConfigError, match="train_indices must be archs of nb201/cifar10 with a value"):
        fit_surrogate("nb201/cifar10", "train_time_s", 200, train_indices=[5, 6, 5000])


def test_cli_fit_and_eval(nb201_data_root, capsys, tmp_path):
    train = tmp_path / "train.txt"
    train.write_text("\n".join(str(i) for i in range(0, 15625, 40)))
    assert main(["surrogate", "fit", "nb201/cifar100", "--train-indices", str(train), "--members", "1",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["split"]["kind"] == "given" and out["split"]["n_train"] == 391
    assert main(["surrogate", "eval", "nb201/cifar100", "--saved", "--json"]) == 0
    saved = json.loads(capsys.readouterr().out)
    assert saved["kendall_tau"] == pytest.approx(out["scores_held_out"]["kendall_tau"], abs=1e-9)
    assert main(["info", "nb201/cifar100@surrogate"]) == 0
    info = capsys.readouterr().out
    assert "predicted by bagged XGBoost" in info and "test_acc@200.held_out" in info
    assert main(["surrogate", "eval", "nb201/cifar100", "--params", "[1]"]) != 0
    assert "--params takes a JSON object" in capsys.readouterr().err
    assert main(["surrogate", "fit", "nb201/cifar10", "--train-fraction", "1.5"]) == 2
    assert "expected a share of the archs in (0, 1)" in capsys.readouterr().err
    import shutil

    shutil.rmtree(surrogate_dir("nb201", "cifar100"), ignore_errors=True)


def test_cli_train_indices_file_errors(nb201_data_root, capsys, tmp_path):
    path = tmp_path / "train.txt"
    assert main(["surrogate", "fit", "nb201/cifar100", "--train-indices", str(path)]) == 2
    err = capsys.readouterr().err
    assert "--train-indices" in err and "does not exist" in err and "one arch index per line" in err \
        and err.count("\n") == 1
    path.write_text("1\n2\nthree\n")
    assert main(["surrogate", "fit", "nb201/cifar100", "--train-indices", str(path)]) == 2
    assert "must hold one integer arch index per line" in capsys.readouterr().err


def test_fill_train_time_keeps_measured_and_labels_predictions(nb201_data_root):
    from nasbench.benchmarks.filled import fill_metric

    filled = fill_metric("nb201/cifar10", "train_time_s", 200, params={"n_estimators": 50})
    measured = nasbench.load("nb201/cifar10").column("train_time_s", 200)
    have = np.isfinite(measured)
    assert np.array_equal(filled.values[have], measured[have])
    assert np.array_equal(filled.predicted, ~have) and filled.predicted.sum() == 15625 - 1000
    assert np.isfinite(filled.values).all() and filled.values.min() > 0
    assert "fit on the 1000 archs" in filled.predicted_by and filled.scores["kendall_tau"] > 0.8
    # a cost: XGBoost and the cost model's linear_op_model compete on one validation split, the better R2 fills
    candidates = filled.scores.pop("candidates")
    assert set(candidates) == {"xgboost", "linear_op_model"} and candidates["xgboost"]["n"] == 200
    winner = max(candidates, key=lambda k: candidates[k]["r2"])
    assert filled.scores == candidates[winner] and "chosen over" in filled.predicted_by
    assert filled.predicted_by.startswith("XGBoost" if winner == "xgboost" else "linear_op_model")


def test_fill_curves(nb201_data_root, tmp_path):
    from nasbench.benchmarks.filled import fill_curves
    from surrogates.curves import CurveModel

    filled = fill_curves("nb201/cifar10", params={"n_estimators": 20, "max_depth": 3}, n_components=3)
    assert filled.values.shape == (15625, 200) and filled.fidelities == tuple(range(1, 201))
    assert filled.predicted.sum() == 15625 - 200 and np.isfinite(filled.values).all()
    table = nasbench.load("nb201/cifar10")
    np.testing.assert_array_equal(filled.values[5], [table.query(5, "lc_valid_acc", e) for e in range(1, 201)])
    assert filled.scores["rmse"] < 10

    rng = np.random.default_rng(0)
    X = rng.random((60, 4))
    curves = 90 - 50 * np.exp(-np.arange(1, 21)[None, :] / (5 + 10 * X[:, :1]))
    model = CurveModel(2, {"n_estimators": 10}).fit(X, curves)
    model.save(tmp_path / "lc")
    loaded, _ = CurveModel.load(tmp_path / "lc")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    with pytest.raises(ValueError, match="n_components must be in"):
        CurveModel(0).fit(X, curves)
    from nasbench.errors import MissingValueError

    with pytest.raises(MissingValueError, match=r"features \(\('train_time_s', 200\),\) of nb201/cifar10 must be"):
        fill_curves("nb201/cifar10", condition_on=(("train_time_s", 200),))
    import json as _json

    doc = _json.loads((tmp_path / "lc" / "curve.json").read_text())
    (tmp_path / "lc" / "curve.json").write_text(_json.dumps({**doc, "format_version": 99}))
    with pytest.raises(DataIntegrityError, match="version 99"):
        CurveModel.load(tmp_path / "lc")


def test_curve_model_errors(tmp_path):
    from nasbench.errors import MissingDataError
    from surrogates.curves import CurveModel

    X = np.random.default_rng(0).random((30, 3))
    curves = np.tile(np.linspace(50, 90, 10), (30, 1)) + X[:, :1]
    with pytest.raises(ValueError, match=r"curves must be a finite 2-D array \(n_archs, n_epochs\); got shape \(30,\)"):
        CurveModel(2).fit(X, curves[:, 0])
    bad = curves.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"finite 2-D array .*; got shape \(30, 10\)"):
        CurveModel(2).fit(X, bad)
    with pytest.raises(MissingDataError, match="no learning-curve model at .*curve.json not found"):
        CurveModel.load(tmp_path / "absent")
    CurveModel(1, {"n_estimators": 3}).fit(X, curves).save(tmp_path / "lc")
    (model_file,) = [p for p in (tmp_path / "lc").iterdir() if p.name != "curve.json"]
    model_file.write_bytes(model_file.read_bytes() + b" ")
    with pytest.raises(DataIntegrityError, match="does not match its sha256; re-fit the model"):
        CurveModel.load(tmp_path / "lc")


def test_check_compares_strategies_on_table_and_surrogate(nb201_data_root, capsys):
    pytest.importorskip("strategies")
    from strategies.surrogate_check import check_surrogate, format_report

    report = check_surrogate("nb201/cifar10", strategies=["random_search", "regularized_evolution"], n_seeds=3,
                             budget=30, params={"n_estimators": 30})
    assert [r["strategy"] for r in report["rows"]] == ["random_search", "regularized_evolution"]
    for row in report["rows"]:
        assert row["difference"] == pytest.approx(row["mean_surrogate"] - row["mean_table"])
        assert 80 < row["mean_table"] < 95 and 80 < row["mean_surrogate"] < 95
    assert report["order_agrees"] == (report["order_table"] == report["order_surrogate"])
    assert "leaderboard order agrees" in format_report(report)
    again = check_surrogate("nb201/cifar10", strategies=["random_search", "regularized_evolution"], n_seeds=3,
                            budget=30, params={"n_estimators": 30})
    assert again == report
    assert main(["surrogate", "check", "nb201/cifar10", "--train-fraction", "0"]) == 2
    assert "expected a share of the archs in (0, 1)" in capsys.readouterr().err


def test_class_dedup_batch_equals_row_by_row(fitted):
    bench = nasbench.load("nb201/cifar10@surrogate")
    idx = np.random.default_rng(0).integers(0, 15625, 2000)
    batch = bench.query(idx, "test_acc")
    direct = fitted.model.predict(bench.encoding.encode(idx)[0])
    np.testing.assert_array_equal(batch, direct)
    with pytest.raises(InvalidArchError, match="got 15625 at position 3"):
        bench.query(np.r_[idx[:3], 15625, idx], "test_acc")


def test_cost_metric_gets_its_own_encoding_and_serves_beside_accuracy(fitted):
    cost = fit_surrogate("nb201/cifar10", "train_time_s", 200, train_fraction=0.8, seed=0, params=SMALL, n_members=1)
    assert cost.metadata["encoding"] == "onehot" and cost.metadata["dedup_isomorphic"] is False
    assert cost.metadata["split"]["n_train"] == 800  # of the 1000 archs with a measured time
    folder = save_surrogate(cost)
    try:
        bench = nasbench.load("nb201/cifar10@surrogate")
        assert bench.encoding_of("train_time_s").name == "onehot" and bench.encoding_of("test_acc").name == "iso"
        assert "train_time_s" in bench.metrics and bench.metrics["train_time_s"].unit == "s"
        t = bench.query(12000, "train_time_s", 200)
        assert t == bench.query([12000], "train_time_s")[0] and 500 < t < 10000
        assert bench.column("train_time_s", 200)[12000] == t
        assert bench.best("train_time_s", 200)[1] == bench.column("train_time_s", 200).min()  # a time: lowest is best
        assert bench.best("test_acc", 200)[1] == bench.column("test_acc", 200).max()
    finally:
        import shutil

        shutil.rmtree(folder)


def test_cli_fill_stores_labelled_values(nb201_data_root, capsys):
    from nasbench.benchmarks.filled import load_filled

    assert main(["surrogate", "fill", "nb201/imagenet16-120", "--metric", "train_time_s", "--fidelity", "12",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_measured"] == 1000 and out["n_predicted"] == 14625
    filled = load_filled("nb201/imagenet16-120", "train_time_s")
    assert filled.folder == surrogate_dir("nb201", "imagenet16-120") / "filled" / "train_time_s@12"
    assert load_filled("nb201/imagenet16-120", "train_time_s", 12).folder == filled.folder
    table = nasbench.load("nb201/imagenet16-120").column("train_time_s", 12)
    assert np.array_equal(filled.values[:1000], table[:1000]) and filled.predicted[1000:].all()
    assert filled.fidelities == (12,)
    try:
        _check_filled_query_and_cost(filled)
        _check_cli_query_marks_predictions(filled, capsys)
        _check_stale_or_broken_fill(filled)
    finally:
        import shutil

        shutil.rmtree(surrogate_dir("nb201", "imagenet16-120"))


def _check_filled_query_and_cost(filled):
    from nasbench.errors import MissingValueError, NasbenchError

    table = nasbench.load("nb201/imagenet16-120")
    got = table.query([5, 5000, NB201Arch.from_index(7000)], "train_time_s", 12, missing="predicted")
    assert got.predicted.tolist() == [False, True, True] and got.predicted_by == filled.predicted_by
    assert got.values[0] == table.query(5, "train_time_s", 12)  # measured: the table's value, bit for bit
    assert got.values[1] == filled.values[5000] and got.values[2] == filled.values[7000]
    one = table.query(5000, "train_time_s", 12, missing="predicted")
    assert one.predicted is True and one.values == filled.values[5000] and one.fidelity == 12
    measured = table.query(5, "train_time_s", 12, missing="predicted")
    assert measured.predicted is False and measured.predicted_by == ""
    with pytest.raises(MissingValueError, match="Nothing is imputed"):  # never filled unless asked
        table.query(5000, "train_time_s", 12)
    with pytest.raises(NasbenchError, match=r"missing='predicted' serves means.*got seed=1\. Query without a seed"):
        table.query(5000, "train_time_s", 12, seed=1, missing="predicted")
    with pytest.raises(MissingDataError, match="no filled train_time_s@200 for nb201/imagenet16-120 .*`nasbench "
                                               "surrogate fill nb201/imagenet16-120 --metric train_time_s --fidelity 200`"):
        table.query(5000, "train_time_s", 200, missing="predicted")
    # the simulated cost of a search at fidelity 12 charges the filled times, labelled; 200 has no fill
    cost = table.cost([5, 5000], 12, metric="valid_acc")
    assert cost.provenance["source"] == "measured where present, else predicted"
    assert cost.provenance["predicted_by"] == filled.predicted_by and cost.provenance["n_measured"] == 1000
    assert cost.seconds.tolist() == [table.query(5, "train_time_s", 12), filled.values[5000]]
    assert table.cost([5000], 200, metric="test_acc").provenance["estimate"]["name"] == "linear_op_model"


def _check_cli_query_marks_predictions(filled, capsys):
    argv = ["query", "nb201/imagenet16-120", "5", "5000", "--metric", "train_time_s", "--fidelity", "12", "--missing",
            "predicted"]
    assert main([*argv, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["predicted_by"] for r in rows] == [None, filled.predicted_by]
    assert rows[1]["value"] == filled.values[5000]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].count("\t") == 1 and lines[1].endswith(f"\tpredicted by {filled.predicted_by}")
    assert main(argv[:-2]) != 0  # without --missing predicted the gap stays an error
    assert "Nothing is imputed" in capsys.readouterr().err
    assert main([*argv, "--seed", "1"]) == 2
    assert "--missing predicted serves means" in capsys.readouterr().err  # in flags, not Python arguments


def _check_stale_or_broken_fill(filled):
    from dataclasses import replace

    from nasbench.benchmarks.filled import load_filled, save_filled

    values = filled.values.copy()
    values[3] += 1.0  # a "measured" row that is not the table's value: made from other data
    save_filled("nb201/imagenet16-120", "train_time_s", replace(filled, values=values))
    with pytest.raises(DataIntegrityError, match="does not match nb201/imagenet16-120: its measured rows must equal"):
        nasbench.load("nb201/imagenet16-120").query([5000], "train_time_s", 12, missing="predicted")
    with pytest.raises(DataIntegrityError, match="does not match nb201/imagenet16-120"):
        nasbench.load("nb201/imagenet16-120").cost([5000], 12, metric="valid_acc")
    folder = filled.folder
    np.save(folder / "values.npy", np.zeros((15625, 1)))
    with pytest.raises(DataIntegrityError, match="does not match its sha256"):
        load_filled("nb201/imagenet16-120", "train_time_s")
    with pytest.raises(MissingDataError, match="nasbench surrogate fill nb201/cifar100 --metric train_time_s"):
        load_filled("nb201/cifar100", "train_time_s")
    manifest = folder / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "format_version": 99}))
    with pytest.raises(DataIntegrityError, match="version 99; this nasbench reads .* Upgrade nasbench or re-create it"):
        load_filled("nb201/imagenet16-120", "train_time_s")
    save_filled("nb201/imagenet16-120", "train_time_s", replace(filled, fidelities=(200,)))
    with pytest.raises(MissingDataError, match="has fills of train_time_s at 12, 200; pass the fidelity"):
        load_filled("nb201/imagenet16-120", "train_time_s")


def test_a_stored_curve_serves_each_of_its_epochs(tmp_path):
    from nasbench.benchmarks.filled import FilledColumn, find_filled, load_filled, save_filled

    values = np.arange(12.0).reshape(4, 3)
    curve = FilledColumn(values, np.array([False, True, True, False]), "a test model", (1, 2, 3), {})
    folder = save_filled("nb201/cifar10", "lc_valid_acc", curve, root=tmp_path)
    assert folder.name == "lc_valid_acc@curve"
    assert find_filled("nb201/cifar10", "lc_valid_acc", 2, root=tmp_path) == folder
    assert find_filled("nb201/cifar10", "lc_valid_acc", 200, root=tmp_path) == folder  # a curve covers every epoch
    loaded = load_filled("nb201/cifar10", "lc_valid_acc", 2, root=tmp_path)
    assert loaded.column(2).tolist() == [1.0, 4.0, 7.0, 10.0] and loaded.predicted.tolist() == [False, True, True, False]
    with pytest.raises(MissingDataError, match=r"covers fidelities 1, 2, 3; got 200\. Fill that fidelity"):
        loaded.column(200)
    assert find_filled("nb201/cifar10", "train_time_s", 200, root=tmp_path) is None


@pytest.mark.parametrize("params, message", [
    ([1], "params must be a dict of model settings or None; got list"),
    ({"gamma": 1}, r"params: unknown XGBoost setting 'gamma'; expected some of \['colsample_bytree'"),
    ({"max_depth": 2.5}, r"params: max_depth must be an int in \[1, 64\]; got 2.5"),
    ({"learning_rate": 0}, r"params: learning_rate must be a number in \(0, 1\]; got 0"),
    ({"n_estimators": True}, r"n_estimators must be an int in \[1, 100000\]; got True"),
])
def test_model_settings_are_checked_before_fitting(params, message):
    from surrogates.fit import check_params

    with pytest.raises(SurrogateConfigError, match=message):
        check_params(params)
    with pytest.raises(SurrogateConfigError, match=message):  # the benchmark boundary checks them before loading
        fit_surrogate("nb201/nope", "test_acc", params=params)
    assert check_params({"n_estimators": 10, "subsample": 1.0}) == {"n_estimators": 10, "subsample": 1.0}
    assert check_params(None) is None
    with pytest.raises(SurrogateConfigError, match="model must be one of 'xgboost', 'mlp'; got 'svm'"):
        check_params({}, "svm")
