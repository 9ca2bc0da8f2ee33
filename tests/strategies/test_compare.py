"""The comparison writes the same bytes for the same config, in this and in a fresh process."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nasbench.errors import NasbenchError, UnknownNameError, install_hint
from strategies import leaderboard as lb
from strategies.compare import CompareConfig, leaderboard_markdown, run_compare, write_outputs
from tests.strategies.conftest import output_files as _files, output_manifest as _manifest

REPO = Path(__file__).resolve().parents[2]
STRATS = ("random_search", "regularized_evolution", "local_search", "hyperband")


def _config(**kw):
    base = dict(benchmark="nb201/synthetic", strategies=STRATS, n_seeds=6, max_evals=40, seed=3)
    base.update(kw)
    return CompareConfig(**base)


@pytest.fixture(scope="module")
def first_run(task, tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp_a")
    result = run_compare(_config(), n_jobs=1, task=task)
    write_outputs(result, out)
    return result, out


def test_outputs_exist_and_leaderboard_is_sane(first_run):
    result, out = first_run
    names = {p.name for p in out.iterdir()}
    assert {"leaderboard.md", "leaderboard.csv", "summary.csv", "stats.json", "trajectories.parquet",
            "regret_vs_evals.png", "regret_vs_time.png", "critical_difference.png", "manifest.json"} <= names
    board = result.leaderboard
    assert set(board.strategy) == set(STRATS)
    assert (board.final_regret_ci_low <= board.final_regret_mean).all()
    assert board.mean_rank.sum() == pytest.approx(len(STRATS) * (len(STRATS) + 1) / 2)
    m = json.loads((out / "manifest.json").read_text())
    assert m["strategies"]["regularized_evolution"]["path"] == "numba"
    assert m["strategies"]["hyperband"]["path"] == "python"
    assert m["task"]["cost"]["per_fidelity"]["200"]["estimate"]["name"] == "linear_op_model"
    assert "manifest_sha256" in m["benchmark"] and m["seeds"]["root"] == 3
    assert m["outputs"]["leaderboard.md"]
    stats = json.loads((out / "stats.json").read_text())
    assert stats["friedman"]["df"] == len(STRATS) - 1


def test_leaderboard_is_sorted_by_mean_final_regret_with_a_rank_column(first_run):
    result, out = first_run
    board = result.leaderboard
    assert list(board.final_regret_mean) == sorted(board.final_regret_mean)
    assert list(board["rank"]) == lb.competition_ranks(board.final_regret_mean)
    assert result.order == list(board.strategy)
    md = (out / "leaderboard.md").read_text()
    assert "| rank | strategy | final regret | anytime regret (AUC) | final test | mean rank |" in md
    assert "Sorted by mean final regret" in md and "percentile-bootstrap interval of the mean" in md


def test_intervals_stay_within_the_values_of_the_seeds(first_run):
    result, _ = first_run
    runs = result.summary
    for r in result.leaderboard.itertuples():
        mine = runs[runs.strategy == r.strategy]
        for col in ("final_regret", "auc_regret", "final_report"):
            v = mine[col]
            low, mean, high = (getattr(r, f"{col}_{k}") for k in ("ci_low", "mean", "ci_high"))
            assert v.min() - 1e-12 <= low <= mean <= high <= v.max() + 1e-12
        assert r.final_regret_ci_low >= 0.0


def test_one_order_for_table_tests_and_plots(first_run):
    result, out = first_run
    md = (out / "leaderboard.md").read_text()
    rows = [line.split(" | ")[1] for line in md.splitlines() if line[:3] in {f"| {k}" for k in range(1, 10)}]
    assert rows == result.order
    assert list(result.curves["by_evals"]) == result.order == list(result.curves["by_time"])
    stats = json.loads((out / "stats.json").read_text())
    assert stats["order"] == result.order
    expected = [(a, b) for i, a in enumerate(result.order) for b in result.order[i + 1:]]
    assert [(p["a"], p["b"]) for p in stats["pairwise_wilcoxon"]] == expected
    assert [line.split(":")[0][2:] for line in md.splitlines() if " vs " in line] == [f"{a} vs {b}" for a, b in expected]


def test_regret_curves_say_why_they_can_rise(first_run):
    from strategies.compare_outputs import curve_caption

    result, out = first_run
    text = curve_caption(result)
    assert "chosen by valid_acc, not test_acc, so a curve can rise" in text
    assert "hyperband also switches the incumbent to the first arch evaluated at a higher fidelity" in text
    assert "can rise" in (out / "report.html").read_text()


def test_many_strategies_summarise_the_pairwise_tests_and_keep_them_all(task, tmp_path):
    names = ("random_search", "regularized_evolution", "local_search", "hyperband", "reinforce", "bananas")
    result = run_compare(_config(strategies=names, n_seeds=4, max_evals=20, params={"bananas": {"epochs": 5}}),
                         n_jobs=1, task=task)
    md = leaderboard_markdown(result)
    pairs = result.stats["pairwise_wilcoxon"]
    n_sig = sum(p["p_value_holm"] < 0.05 for p in pairs)
    assert len(pairs) == 15
    assert (f"15 pairs: {n_sig} significant at 0.05 after Holm correction; every pair is in stats.json "
            "(pairwise_wilcoxon).") in md
    assert sum(" vs " in line for line in md.splitlines()) == min(n_sig, 10)
    write_outputs(result, tmp_path / "o", parquet=False)
    assert len(json.loads((tmp_path / "o" / "stats.json").read_text())["pairwise_wilcoxon"]) == 15


def test_the_task_cache_is_keyed_by_the_tasks_identity(task, monkeypatch):
    """A given task replaces the cached one of the same identity (benchmark, objective, noise, data root),
    and the hardware setups built on the old one go with it."""
    from strategies import compare_run
    from strategies.task import Task

    monkeypatch.setattr(compare_run, "_TASKS", {})
    monkeypatch.setattr(compare_run, "_SETUPS", {})
    config = _config()
    key = compare_run.task_key(config.benchmark, config.objective, task.noise)
    compare_run.use_task(config, task)
    assert compare_run.task_for(config.benchmark, config.objective, task.noise) is task
    compare_run._SETUPS[key, ("valid_acc > 50", None, None)] = "built on the first task"
    other = Task(task.benchmark, noise=task.noise)
    compare_run.use_task(config, other)
    assert compare_run.task_for(config.benchmark, config.objective, task.noise) is other
    assert compare_run._SETUPS == {}


def test_parquet_holds_every_evaluation(first_run):
    pq = pytest.importorskip("pyarrow.parquet")
    result, out = first_run
    table = pq.read_table(out / "trajectories.parquet")
    assert table.num_rows == sum(len(h) for hs in result.histories.values() for h in hs)
    assert {"strategy", "seed", "eval", "arch_index", "start_s", "end_s", "regret"} <= set(table.column_names)


def test_same_config_same_bytes_in_process(first_run, task, tmp_path):
    _, out = first_run
    again = run_compare(_config(), n_jobs=1, task=task, use_fast=False)  # Python paths: same bytes too
    write_outputs(again, tmp_path)
    assert _files(tmp_path) == _files(out)
    a, b = _manifest(tmp_path), _manifest(out)
    a["strategies"] = {k: {**v, "path": None} for k, v in a["strategies"].items()}
    b["strategies"] = {k: {**v, "path": None} for k, v in b["strategies"].items()}
    assert a == b


def test_same_config_same_bytes_in_a_fresh_process(first_run, synthetic_root, tmp_path):
    _, out = first_run
    config = tmp_path / "cmp.json"
    config.write_text(json.dumps(_config().to_dict()))
    env = {**os.environ, "NASBENCH_DATA": str(synthetic_root)}
    code = ("import sys; from nasbench.cli import main; "
            f"sys.exit(main(['compare', '--config', {str(config)!r}, '--out', {str(tmp_path / 'o')!r}, '--quiet', '--jobs', '2']))")
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "| 1 |" in proc.stdout and "Friedman test" in proc.stdout
    assert _files(tmp_path / "o") == _files(out)
    assert _manifest(tmp_path / "o") == _manifest(out)


def test_cli_errors_are_one_line(synthetic_root, capsys, monkeypatch):
    from nasbench.cli import main

    monkeypatch.setenv("NASBENCH_DATA", str(synthetic_root))
    assert main(["compare", "nb201/synthetic", "--strategies", "random_search,annealing"]) == 2
    err = capsys.readouterr().err
    assert "unknown strategy 'annealing'" in err and "Traceback" not in err


def test_plots_without_matplotlib_name_the_extra(monkeypatch):
    from nasbench.errors import OptionalDependencyError
    from strategies.report import pyplot

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(OptionalDependencyError, match=r"plots need matplotlib.*"
                       + re.escape(f"`{install_hint('report')}` (or pass --no-plots)")):
        pyplot()


@pytest.mark.parametrize("kw, error, match", [
    (dict(strategies=()), NasbenchError, "at least one strategy"),
    (dict(strategies=("bohb", "bohb")), NasbenchError, "each strategy may appear once"),
    (dict(params={"bananas": {}}), NasbenchError, "not among the strategies"),
    (dict(n_seeds=0), NasbenchError, r"n_seeds \(--seeds\) must be an int >= 2"),
    (dict(objective={"metric": "x"}), NasbenchError, "objective keys must be among"),
    (dict(strategies=("nope",)), UnknownNameError, "unknown strategy 'nope'"),
])
def test_config_errors(kw, error, match):
    with pytest.raises(error, match=match):
        _config(**kw)


def test_config_file_forms(tmp_path):
    toml = tmp_path / "c.toml"
    toml.write_text('benchmark = "nb201/synthetic"\nstrategies = ["random_search"]\nn_seeds = 4\n'
                    '[objective]\nsearch_fidelity = 12\n')
    c = CompareConfig.from_file(toml, max_evals=7)
    assert c.n_seeds == 4 and c.max_evals == 7 and c.objective == {"search_fidelity": 12}
    bad = tmp_path / "bad.json"
    bad.write_text('{"n_seeds": 3, "colour": 1}')
    with pytest.raises(NasbenchError, match=r"unknown keys \['colour'\]"):
        CompareConfig.from_file(bad)
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(NasbenchError, match="is not valid JSON"):
        CompareConfig.from_file(broken)
    with pytest.raises(NasbenchError, match="cannot read the config file"):
        CompareConfig.from_file(tmp_path / "missing.json")


def test_strategies_override_keeps_only_the_params_of_the_chosen_strategies(tmp_path):
    toml = tmp_path / "protocol.toml"
    toml.write_text('benchmark = "nb201/synthetic"\nstrategies = ["random_search", "regularized_evolution"]\n'
                    '[params.regularized_evolution]\npopulation_size = 10\n')
    assert CompareConfig.from_file(toml).params == {"regularized_evolution": {"population_size": 10}}
    c = CompareConfig.from_file(toml, strategies="random_search")
    assert c.strategies == ("random_search",) and c.params == {}
    # without an override the file must stay consistent: params of a strategy it does not run are refused
    toml.write_text('benchmark = "nb201/synthetic"\nstrategies = ["random_search"]\n'
                    '[params.regularized_evolution]\npopulation_size = 10\n')
    with pytest.raises(NasbenchError, match="params are given for 'regularized_evolution'"):
        CompareConfig.from_file(toml)


def test_time_budget_too_small_is_explained(task):
    with pytest.raises(NasbenchError, match="finished no evaluation within the budget"):
        run_compare(_config(max_evals=None, max_time_s=1.0, strategies=("random_search",)), n_jobs=1, task=task)
