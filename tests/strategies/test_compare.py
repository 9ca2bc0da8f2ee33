"""The comparison writes the same bytes for the same config, in this and in a fresh process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nasbench.errors import NasbenchError, UnknownNameError
from strategies.compare import CompareConfig, run_compare, write_outputs
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
    with pytest.raises(OptionalDependencyError, match=r'plots need matplotlib.*pip install "nasbench\[report\]"`'
                                                      r' \(or pass --no-plots\)'):
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


def test_time_budget_too_small_is_explained(task):
    with pytest.raises(NasbenchError, match="finished no evaluation within the budget"):
        run_compare(_config(max_evals=None, max_time_s=1.0, strategies=("random_search",)), n_jobs=1, task=task)
