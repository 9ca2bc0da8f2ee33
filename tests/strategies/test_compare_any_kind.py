"""compare on benchmarks that do not list every arch: surrogates of NB101 and DARTS (and, in
tests/benchmarks, live training). No optimum is known there, so the leaderboard ranks strategies on
the incumbent's report value, predicted by the named model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from strategies.compare import CompareConfig, leaderboard_markdown, run_compare, write_outputs
from strategies.task import Task
from tests.conftest import data_root_env


@pytest.fixture(scope="module")
def store(tmp_path_factory, shared_data):
    from nasbench.benchmarks.surrogate_fit import fit_samples, save_surrogate

    root = tmp_path_factory.mktemp("surrogate_store")
    for space in ("nb101", "darts"):
        save_surrogate(fit_samples(space, "cifar10", "valid_acc", shared_data, n_members=3), root)
    with data_root_env(root):
        yield root


@pytest.mark.parametrize("space", ["nb101", "darts"])
def test_compare_ranks_on_the_predicted_report_value(store, space, tmp_path):
    config = CompareConfig(benchmark=f"{space}/cifar10@surrogate",
                           strategies=("random_search", "regularized_evolution", "local_search", "bananas"),
                           n_seeds=3, max_evals=25, params={"bananas": {"n_init": 5, "epochs": 20}})
    result = run_compare(config, n_jobs=1)
    assert result.task.best_report is None and not result.task.enumerable
    md = leaderboard_markdown(result)
    assert "No optimum is known" in md and "predicted by bagged XGBoost" in md and "final valid_acc" in md
    board = result.leaderboard
    assert board.final_regret_mean.isna().all() and (board.final_report_ci_low <= board.final_report_mean).all()
    # no regret: sorted by the mean final report value in its own direction (valid_acc: highest first)
    assert list(board.final_report_mean) == sorted(board.final_report_mean, reverse=True)
    assert "Sorted by mean final valid_acc, higher first" in md
    # ranks are those of the final report value within each seed (higher valid_acc = rank 1)
    from scipy.stats import rankdata

    summary = result.summary.pivot(index="seed", columns="strategy", values="final_report")
    ranks = np.vstack([rankdata(-row) for row in summary.to_numpy()]).mean(axis=0)
    expected = dict(zip(summary.columns, ranks))
    assert {r.strategy: r.mean_rank for r in board.itertuples()} == pytest.approx(expected)
    written = write_outputs(result, tmp_path / "a", plots=False)
    again = run_compare(config, n_jobs=2)
    assert write_outputs(again, tmp_path / "b", plots=False) == written
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["task"]["enumerable"] is False and "no optimum is known" in manifest["task"]["score"]
    assert manifest["task"]["noise"]["mode"] == "draw"


def test_non_enumerable_task_draws_outcomes_and_caches_them(store):
    import nasbench

    bench = nasbench.load("nb101/cifar10@surrogate")
    task = Task(bench)
    arch = bench.space.sample(np.random.default_rng(0))
    n = bench.noise("valid_acc")["n_outcomes"]
    values = {task.evaluate(arch, None, (d + 0.5) / n)[0] for d in range(n)}
    assert 1 < len(values) <= n  # different outcomes for different draws
    first = task.evaluate(arch, None, 0.0)
    assert task.evaluate(arch, None, 0.0) == first and task.evaluate(arch, None, 0.5 / n) == first
    mean_task = Task(bench, noise="mean")
    assert mean_task.evaluate(arch, None, 0.9)[0] == float(bench.query(arch, "valid_acc"))
    assert task.cost_info["per_fidelity"]["any"]["source"] == "unit_cost"
