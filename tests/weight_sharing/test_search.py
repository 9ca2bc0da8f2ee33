"""DARTS and GDAS search on digits: an arch, its benchmark value, and a leaderboard beside random search."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("torch", reason="the training backend needs torch")

from nasbench.errors import MissingDataError, NasbenchError, UnknownNameError
from strategies.weight_sharing import lookup, run_search, search_task, search_tasks
from strategies.weight_sharing_board import leaderboard_rows, merge_into_run
from strategies.weight_sharing_config import SearchConfig

TINY = {"C": 4, "N": 1, "epochs": 2, "batch_size": 50}


@pytest.fixture(scope="module")
def digits():
    from nasbench.training.data import load_digits

    return load_digits(300, 150, 100)


@pytest.fixture(scope="module")
def results(digits, nb201_data_root):
    return [run_search(digits, SearchConfig(method, **TINY), seed=0, benchmark="nb201/cifar10")
            for method in ("darts", "gdas")]


@pytest.fixture(scope="module")
def compare_run(nb201_data_root, tmp_path_factory):
    from strategies.compare import CompareConfig, run_compare, write_outputs

    out = tmp_path_factory.mktemp("compare_run")
    config = CompareConfig(benchmark="nb201/cifar10", strategies=("random_search",), n_seeds=3, max_evals=20)
    write_outputs(run_compare(config, n_jobs=1), out, plots=False, parquet=False)
    return out


def test_each_method_derives_an_arch_and_looks_it_up(results, nb201_cifar10):
    for r in results:
        assert r.arch_index.shape == (2,) and r.alphas.shape == (2, 6, 5)
        np.testing.assert_allclose(r.alphas.sum(axis=2), 1.0)
        # the derived arch is the argmax of the final alphas, edge by edge
        assert r.arch.ops == tuple(int(i) for i in r.alphas[-1].argmax(axis=1))
        expected = nb201_cifar10.query(r.arch_index, "test_acc", 200)
        np.testing.assert_array_equal(r.report, expected)
        np.testing.assert_array_equal(r.value, nb201_cifar10.query(r.arch_index, "valid_acc", 200))
        t = r.trajectory()
        np.testing.assert_allclose(t["regret"], r.objective["best_report"] - expected)
        assert (t["regret"] >= 0).all() and np.all(np.diff(t["end_s"]) > 0)
        assert 0 <= r.train_acc[-1] <= 100 and np.isfinite(r.train_loss).all()


def test_search_is_deterministic(digits, results, nb201_data_root):
    again = run_search(digits, SearchConfig("gdas", **TINY), seed=0, benchmark="nb201/cifar10")
    first = results[1]
    np.testing.assert_array_equal(again.arch_index, first.arch_index)
    np.testing.assert_array_equal(again.alphas, first.alphas)
    np.testing.assert_array_equal(again.train_loss, first.train_loss)


def test_merge_places_them_beside_random_search(results, compare_run, nb201_cifar10):
    board = merge_into_run(compare_run, results)
    assert set(board["strategy"]) == {"random_search", "darts", "gdas"}
    assert list(board["final_regret_mean"]) == sorted(board["final_regret_mean"])
    for r in results:
        row = board[board["strategy"] == r.method].iloc[0]
        assert row["final_report_mean"] == pytest.approx(float(nb201_cifar10.query(r.arch.index, "test_acc", 200)))
        assert row["n_seeds"] == 1 and row["search_epochs"] == 2
    md = (compare_run / "leaderboard_weight_sharing.md").read_text()
    assert md.count("| darts |") == 1 and md.count("(1 seed: no interval)") == 2
    # one schema: every column of the compare leaderboard, rank first and recomputed over the merged rows
    import pandas as pd

    from strategies.leaderboard import competition_ranks

    own = pd.read_csv(compare_run / "leaderboard.csv")
    assert set(own.columns) <= set(board.columns) and board.columns[0] == "rank"
    assert list(board["rank"]) == competition_ranks(board["final_regret_mean"])
    saved = json.loads((compare_run / "weight_sharing.json").read_text())
    assert [s["arch_index"][-1] for s in saved] == [int(r.arch.index) for r in results]
    # the compare run's own files are untouched: its manifest checksums still hold
    import hashlib

    manifest = json.loads((compare_run / "manifest.json").read_text())
    for name, digest in manifest["outputs"].items():
        assert hashlib.sha256((compare_run / name).read_bytes()).hexdigest() == digest


def test_merge_refuses_another_objective(results, compare_run):
    other = lookup(run_copy(results[0]), "nb201/cifar10", {"report_fidelity": 12})
    with pytest.raises(NasbenchError, match="was looked up on .*'test_acc', 12.*reports"):
        merge_into_run(compare_run, [other])
    with pytest.raises(MissingDataError, match="holds no finished compare run"):
        merge_into_run(compare_run / "nowhere", results)


def run_copy(r):
    import dataclasses

    return dataclasses.replace(r)


def test_tasks_run_the_same_search(digits, results, nb201_data_root):
    tasks = search_tasks(["darts", "gdas"], n_seeds=2, root_seed=0, benchmark="nb201/cifar10", config=TINY)
    assert [(t["method"], t["seed_id"]) for t in tasks] == [("darts", 0), ("darts", 1), ("gdas", 0), ("gdas", 1)]
    assert tasks[0]["seed"] == tasks[2]["seed"] != tasks[1]["seed"]  # common seeds across methods
    rows = leaderboard_rows(results)
    assert [r["strategy"] for r in rows] == ["darts", "gdas"]


def test_rows_have_the_columns_of_every_leaderboard(results):
    import dataclasses

    from strategies.leaderboard import LeaderboardRow

    shared = list(LeaderboardRow("x", 1).record())
    for row in leaderboard_rows(results):
        assert list(row) == shared + ["search_epochs", "search_time_mean_s", "final_arch_indices"]
        assert row["final_regret_ci_low"] == row["final_regret_mean"] == row["final_regret_ci_high"]  # one seed
        assert np.isnan(row["mean_rank"]) and row["n_evals_mean"] == 0 and row["search_epochs"] == 2
    # two seeds: a bootstrap interval, within the values (a regret interval never goes below 0)
    worse = dataclasses.replace(results[0], seed=1, report=results[0].report - 1.0)
    row = leaderboard_rows([results[0], worse], seed=3)[0]
    regrets = [results[0].trajectory()["regret"][-1], worse.trajectory()["regret"][-1]]
    assert min(regrets) <= row["final_regret_ci_low"] < row["final_regret_ci_high"] <= max(regrets)
    assert json.dumps(row) == json.dumps(leaderboard_rows([results[0], worse], seed=3)[0])  # same seed, same resamples


def test_search_errors(digits):
    with pytest.raises(UnknownNameError, match="unknown weight-sharing method 'enas'"):
        SearchConfig("enas")
    with pytest.raises(NasbenchError, match="SearchConfig.epochs must be an int >= 1; got 0"):
        SearchConfig("darts", epochs=0)
    with pytest.raises(NasbenchError, match="GDAS needs 0 < tau_min <= tau_max"):
        SearchConfig("gdas", tau_min=5.0, tau_max=1.0)
    with pytest.raises(NasbenchError, match="SearchConfig.a_beta1 must be in"):
        SearchConfig("darts", a_beta1=1.0)
    with pytest.raises(NasbenchError, match="SearchConfig.w_lr must be a finite number >= 0; got -0.1"):
        SearchConfig("darts", w_lr=-0.1)
    with pytest.raises(NasbenchError, match="SearchConfig.w_lr_min must not exceed w_lr; got 0.5 > 0.1"):
        SearchConfig("darts", w_lr=0.1, w_lr_min=0.5)
    with pytest.raises(NasbenchError, match="SearchConfig.n_threads must be None or an int >= 1; got 0"):
        SearchConfig("darts", n_threads=0)
    with pytest.raises(NasbenchError, match="config must be a SearchConfig; got dict"):
        run_search(digits, {"method": "darts"})
    import dataclasses

    one_image = dataclasses.replace(digits, x_train=digits.x_train[:1], y_train=digits.y_train[:1])
    with pytest.raises(NasbenchError, match="needs at least 2 training and 2 validation images; got 1 and 150"):
        run_search(one_image, SearchConfig("darts", **TINY))
    with pytest.raises(NasbenchError, match="n_seeds must be an int >= 1; got 0"):
        search_tasks(["darts"], n_seeds=0)
    with pytest.raises(UnknownNameError, match="unknown dataset 'mnist'; expected one of 'digits', 'cifar10'"):
        search_tasks(["darts"], dataset="mnist")
    with pytest.raises(NasbenchError, match="data must be a DataSplit"):
        run_search("digits", SearchConfig())
    with pytest.raises(NasbenchError, match="seed must be a non-negative int"):
        run_search(digits, SearchConfig(), seed=-1)
    with pytest.raises(NasbenchError, match="dataset 'cifar10' needs data_dir"):
        search_tasks(["darts"], dataset="cifar10")
    with pytest.raises(MissingDataError, match="CIFAR-10 batch file"):
        search_task(search_tasks(["darts"], dataset="cifar10", data_dir="/nonexistent")[0])
    unlooked = run_search(digits, SearchConfig("darts", **{**TINY, "epochs": 1}), lookup_benchmark=False)
    with pytest.raises(NasbenchError, match="has not been looked up"):
        unlooked.trajectory()
    with pytest.raises(NasbenchError, match=r"the darts result \(seed 0\) is not looked up; call lookup\(result\) first"):
        leaderboard_rows([unlooked])
    assert SearchConfig("gdas", epochs=3).tau(0) == 10.0 and SearchConfig("gdas", epochs=3).tau(2) == pytest.approx(0.1)
