"""nasbench compare under a latency constraint and in the accuracy-versus-latency mode.

The benchmark is a synthetic ``nb201/cifar10`` table in its own data store, with a synthetic latency
device, so these tests need no public files and run in seconds.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nasbench.errors import NasbenchError, UnknownNameError
from strategies.compare import CompareConfig, run_compare, write_outputs
from strategies.hardware import HardwareSetup, parse_objectives
from strategies.pareto import attainment, hypervolume_2d_reference
from tests.strategies.conftest import output_files as _files, output_manifest as _manifest

REPO = Path(__file__).resolve().parents[2]
CONSTRAINT = "latency_ms@synthdev <= 4"
STRATS = ("random_search", "regularized_evolution", "local_search", "reinforce")


def _latency():
    """Synthetic latency (ms): convolutions cost more, per edge, with noise; strictly positive."""
    from nasbench.spaces.nb201 import ops_table

    ops = ops_table().astype(np.int64)
    rng = np.random.default_rng(7)
    per_op = np.array([0.05, 0.1, 1.2, 0.5, 0.3])
    return 0.5 + per_op[ops].sum(axis=1) * rng.uniform(0.8, 1.2, size=(1, 6)).sum() / 6 + rng.uniform(0, 0.2, ops.shape[0])


@pytest.fixture(scope="module")
def hw_root(tmp_path_factory):
    """A data store holding the synthetic table as nb201/cifar10 and a latency device ``synthdev``;
    NASBENCH_DATA points at it while this module runs."""
    from nasbench.benchmarks.latency import save_device
    from tests.strategies.conftest import write_synthetic

    root = tmp_path_factory.mktemp("hw_data")
    write_synthetic(root)
    (root / "nb201" / "synthetic").rename(root / "nb201" / "cifar10")
    manifest = root / "nb201" / "cifar10" / "manifest.json"
    m = json.loads(manifest.read_text())
    m.update(name="nb201/cifar10", dataset="cifar10")
    from tabular_data.store import write_manifest

    write_manifest(manifest.parent, m)  # with its checksum: an unsealed edit is refused on load
    save_device("synthdev", _latency(), root=root, kind="synthetic", about="test fixture")
    from tests.conftest import data_root_env

    with data_root_env(root):
        yield root


@pytest.fixture(scope="module")
def hw_task(hw_root):
    import nasbench
    from strategies.task import Task

    return Task(nasbench.load("nb201/cifar10"))


def _config(**kw):
    base = dict(benchmark="nb201/cifar10", strategies=STRATS, n_seeds=5, max_evals=30, seed=2, constraint=CONSTRAINT)
    base.update(kw)
    return CompareConfig(**base)


@pytest.fixture(scope="module")
def constrained_run(hw_task, tmp_path_factory):
    out = tmp_path_factory.mktemp("hw_a")
    result = run_compare(_config(), n_jobs=1, task=hw_task)
    write_outputs(result, out)
    return result, out


def test_constrained_compare_evaluates_only_feasible_archs(constrained_run, hw_task):
    result, out = constrained_run
    feasible = _latency() <= 4
    assert 0 < feasible.sum() < feasible.size  # the bound really cuts
    for name in STRATS:
        assert result.paths[name] == "python"  # the compiled paths know no constraint
        for h in result.histories[name]:
            assert feasible[h.arch_index].all()
    best = float(hw_task.report[feasible].max())
    assert result.task.best_report == best < hw_task.best_report
    summary = result.summary
    np.testing.assert_allclose(summary.final_regret, best - summary.final_report)
    assert (summary.final_regret >= 0).all() and (summary.infeasible_evals == 0).all()
    board = result.leaderboard
    assert {"final_search_mean", "final_report_ci_low", "hypervolume_mean", "infeasible_evals"} <= set(board.columns)
    assert ((board.hypervolume_mean > 0) & (board.hypervolume_mean <= 1)).all()
    md = (out / "leaderboard.md").read_text()
    assert "Constraint latency_ms@synthdev <= 4" in md and "reference point (test_acc" in md
    assert "hypervolume" in (out / "leaderboard.csv").read_text().splitlines()[0]
    assert (out / "pareto_fronts.png").stat().st_size > 0
    m = json.loads((out / "manifest.json").read_text())
    assert m["hardware"]["constraint"]["n_feasible"] == int(feasible.sum())
    assert m["hardware"]["objectives"]["reference_point"][1] == 4.0  # the bound
    assert m["hardware"]["latency_tables_sha256"]
    assert m["config"]["constraint"] == CONSTRAINT


def test_constrained_same_bytes_in_process(constrained_run, hw_task, tmp_path):
    _, out = constrained_run
    write_outputs(run_compare(_config(), n_jobs=1, task=hw_task), tmp_path)
    assert _files(tmp_path) == _files(out)
    assert _manifest(tmp_path) == _manifest(out)


def test_multi_objective_same_bytes_in_a_fresh_process(hw_root, hw_task, tmp_path):
    """The TOML config form in a fresh process: the same bytes as in this process."""
    kw = dict(strategies=("random_search", "regularized_evolution", "pareto_evolution"), n_seeds=4,
              objectives="test_acc, latency_ms@synthdev")
    here = run_compare(_config(**kw), n_jobs=1, task=hw_task)
    write_outputs(here, tmp_path / "a")
    board = here.leaderboard
    # sorted by mean hypervolume, highest first, with the place as its own column
    assert list(board.hypervolume_mean) == sorted(board.hypervolume_mean, reverse=True)
    assert list(board["rank"]) == [1, 2, 3] and here.order == list(board.strategy)
    assert "hypervolume" in here.stats and here.stats["hypervolume"]["friedman"]["df"] == 2
    assert "HV mean rank" in (tmp_path / "a" / "leaderboard.md").read_text()
    config = tmp_path / "cmp.toml"
    config.write_text('benchmark = "nb201/cifar10"\nstrategies = ["random_search", "regularized_evolution", '
                      f'"pareto_evolution"]\nn_seeds = 4\nmax_evals = 30\nseed = 2\nconstraint = "{CONSTRAINT}"\n'
                      'objectives = "test_acc,latency_ms@synthdev"\n')
    env = {**os.environ, "NASBENCH_DATA": str(hw_root)}
    code = ("import sys; from nasbench.cli import main; "
            f"sys.exit(main(['compare', '--config', {str(config)!r}, '--out', {str(tmp_path / 'b')!r}, '--quiet', "
            "'--jobs', '1']))")
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert "HV mean rank" in proc.stdout
    assert _files(tmp_path / "b") == _files(tmp_path / "a")
    assert _manifest(tmp_path / "b") == _manifest(tmp_path / "a")


def test_compare_gives_what_the_latency_search_study_gave(hw_task):
    """The removed `latency search` study compared constrained regularized evolution with constrained
    random search (paired by seed) and pareto_evolution with both on hypervolume; one compare run with
    --constraint and --objectives gives all of it: paired tests on the regret to the best feasible arch and
    on the search value, and the hypervolume statistics, with pareto_evolution built from the registry."""
    names = ("random_search", "regularized_evolution", "pareto_evolution")
    result = run_compare(_config(strategies=names, n_seeds=6, objectives="test_acc,latency_ms@synthdev"), n_jobs=1,
                         task=hw_task)
    feasible = _latency() <= 4
    for name in names:
        assert result.paths[name] == "python"
        assert all(feasible[h.arch_index].all() for h in result.histories[name])
    pairs = {(p["a"], p["b"]) for p in result.stats["pairwise_wilcoxon"]}
    assert ("random_search", "regularized_evolution") in pairs and len(pairs) == 3
    assert {(p["a"], p["b"]) for p in result.stats["pairwise_wilcoxon_final_search"]} == pairs
    hv = result.stats["hypervolume"]
    assert hv["friedman"]["df"] == 2 and len(hv["pairwise_wilcoxon"]) == 3
    summary = result.summary
    assert ((summary.hypervolume > 0) & (summary.hypervolume <= 1)).all()
    np.testing.assert_allclose(summary.final_regret, hw_task.report[feasible].max() - summary.final_report)
    # pareto_evolution's evaluated archs reach cheaper feasible archs than the accuracy-only strategies
    cheapest = {n: np.mean([_latency()[h.arch_index].min() for h in result.histories[n]]) for n in names}
    assert cheapest["pareto_evolution"] < cheapest["regularized_evolution"]


def test_setup_reference_point_and_regret(hw_task):
    lat = _latency()
    setup = HardwareSetup(hw_task, CONSTRAINT)
    feasible = lat <= 4
    assert setup.reference == (float(np.median(hw_task.report[feasible])), 4.0)
    assert not setup.multi_objective and setup.objectives.cost_label == "latency_ms@synthdev"
    front = setup.true_front  # the plain-Python twin on the front (dominated points add nothing)
    assert feasible[front].all() and front.size < feasible.sum()
    assert setup.full_hypervolume == pytest.approx(
        hypervolume_2d_reference(hw_task.report[front], lat[front], *setup.reference))
    given = HardwareSetup(hw_task, None, "test_acc,latency_ms@synthdev", [70.0, 9.0])
    assert given.reference == (70.0, 9.0) and given.multi_objective and given.task is hw_task
    assert given.feasible.all() and given.reference_rule == "given in the config"


def test_attainment_equals_brute_force():
    rng = np.random.default_rng(0)
    acc, cost = rng.uniform(50, 90, 200), rng.uniform(1, 10, 200)
    idx = rng.integers(0, 200, 40)
    grid = np.linspace(0, 11, 57)
    got = attainment(idx, acc, cost, grid)
    for g, v in zip(grid, got):
        ok = [acc[i] for i in idx if cost[i] <= g]
        assert (np.isnan(v) and not ok) or v == max(ok)
    assert np.isnan(attainment([], acc, cost, grid)).all()


@pytest.mark.parametrize("kw, error, match", [
    (dict(constraint="latency_ms <= 3"), UnknownNameError, "latency_ms needs a device"),
    (dict(objectives="test_acc"), UnknownNameError, "objectives are two names"),
    (dict(objectives="test_acc,latency_ms"), UnknownNameError, "latency_ms needs a device in the objectives"),
    (dict(objectives="test_acc@x,params_m"), UnknownNameError, "cannot parse the objectives"),
    (dict(objectives="test_acc,latency_ms@d", objective={"report_metric": "valid_acc"}), NasbenchError,
     "must be the report metric"),
    (dict(strategies=("pareto_evolution",)), NasbenchError, "pareto_evolution optimises accuracy against a cost"),
    (dict(constraint=None, hv_reference=[1, 2]), NasbenchError, "hv_reference needs objectives"),
    (dict(hv_reference=[1]), NasbenchError, "hv_reference must be two finite numbers"),
])
def test_config_errors(kw, error, match):
    with pytest.raises(error, match=match):
        _config(**kw)


def test_setup_errors(hw_task):
    with pytest.raises(NasbenchError, match="no arch of nb201/cifar10 meets"):
        HardwareSetup(hw_task, "latency_ms@synthdev <= 0.001")
    with pytest.raises(NasbenchError, match="better than the reference point"):
        HardwareSetup(hw_task, None, "test_acc,latency_ms@synthdev", [200.0, 9.0])
    with pytest.raises(NasbenchError, match="must be the report metric"):
        HardwareSetup(hw_task, None, "valid_acc,latency_ms@synthdev")
    with pytest.raises(NasbenchError, match="hv_reference must be two finite numbers"):
        HardwareSetup(hw_task, None, "test_acc,latency_ms@synthdev", [1.0, float("nan")])
    with pytest.raises(NasbenchError, match="bad parameters for pareto_evolution"):
        HardwareSetup(hw_task, None, "test_acc,latency_ms@synthdev").make("pareto_evolution", 0, {"colour": 1})
    with pytest.raises(NasbenchError, match="give objectives"):
        HardwareSetup(hw_task, None, None).check_strategy("pareto_evolution")
    with pytest.raises(NasbenchError, match="train_time_s is missing for some archs of nb201/cifar10; .*Pick a cost"):
        HardwareSetup(hw_task, None, "test_acc,train_time_s")
    assert parse_objectives(["test_acc", "params_m"]).cost_label == "params_m"


def test_cli_flags_and_errors(hw_root, capsys):
    from nasbench.cli import main

    assert main(["compare", "nb201/cifar10", "--strategies", "random_search,regularized_evolution", "--seeds", "3",
                 "--budget", "12", "--constraint", CONSTRAINT, "--objectives", "test_acc,latency_ms@synthdev",
                 "--hv-reference", "60,5", "--quiet", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "reference point (test_acc 60.000, latency_ms@synthdev 5)" in out and "infeasible evals" in out
    assert main(["compare", "nb201/cifar10", "--constraint", CONSTRAINT, "--hv-reference", "a,b", "--quiet"]) == 2
    assert "--hv-reference takes two numbers" in capsys.readouterr().err


def test_a_run_job_rebuilds_the_setup_from_names(constrained_run, hw_task, monkeypatch):
    """What a worker process does: no cached task or setup, only the job's names; same histories."""
    from strategies import compare_run as compare

    result, _ = constrained_run
    config = _config()
    monkeypatch.setattr(compare, "_TASKS", {})
    monkeypatch.setattr(compare, "_SETUPS", {})
    job = compare.RunJob(config.benchmark, config.objective, compare.hardware_key(config), "reinforce", {},
                         config.seed, (1, 3), config.n_workers, config.max_evals, config.max_time_s)
    got = compare.run_job(job)
    assert compare._TASKS and compare._SETUPS  # built here from the names
    assert got[0].equals(result.histories["reinforce"][1]) and got[1].equals(result.histories["reinforce"][3])
