"""Optuna's samplers as strategies: ask/tell over the categorical choices, seeded from the run's seed."""

from __future__ import annotations

import json
import re
import sys

import numpy as np
import pytest

from nasbench.errors import NasbenchError, OptionalDependencyError, UnknownNameError, install_hint
from strategies import make_strategy, simulate
from strategies.compare import CompareConfig, run_compare, write_outputs
from tests.strategies.conftest import output_files, output_manifest
from tests.strategies.test_compare_hardware import hw_root, hw_task  # noqa: F401 (fixtures)

optuna = pytest.importorskip("optuna", reason='Optuna is an optional extra: pip install "nasbench[optuna]"')


def _history_bytes(h) -> bytes:
    return b"".join(np.asarray(getattr(h, f)).tobytes() for f in ("arch_index", "fidelity", "start_s", "end_s", "value"))


@pytest.mark.parametrize("sampler", ["tpe", "random", "nsgaii"])
def test_same_seed_same_run_other_seed_other_run(task, sampler):
    def run(seed):
        return simulate(make_strategy(f"optuna:{sampler}", task.space, seed=np.random.SeedSequence(5, spawn_key=(seed,))),
                        task, max_evals=40)

    a, b, c = run(0), run(0), run(1)
    assert _history_bytes(a) == _history_bytes(b)
    assert _history_bytes(a) != _history_bytes(c)


def test_tpe_learns_on_a_structured_table(task):
    from strategies.history import trajectory

    tpe = [trajectory(simulate(make_strategy("optuna:tpe", task.space, seed=s), task, max_evals=80), task)["regret"][-1]
           for s in range(4)]
    rnd = [trajectory(simulate(make_strategy("random_search", task.space, seed=s), task, max_evals=80), task)["regret"][-1]
           for s in range(4)]
    assert np.mean(tpe) < np.mean(rnd)


def test_asks_and_tells_are_optunas_trials(task):
    s = make_strategy("optuna:tpe", task.space, seed=0, n_startup_trials=3)
    s.set_fidelities(task.fidelities)
    pending = [s.ask()[0] for _ in range(3)]  # three outstanding asks (asynchronous workers)
    for arch in reversed(pending):
        s.tell(arch, task.search_fidelity, float(task.values[task.search_fidelity][arch.index]))
    trials = s.study.trials
    assert len(trials) == 3 and all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    assert [tuple(t.params[f"x{d}"] for d in range(6)) for t in trials] == [a.ops for a in pending]
    assert s.study.direction == optuna.study.StudyDirection.MAXIMIZE
    assert s.params() == {"sampler": "tpe", "n_startup_trials": 3}
    with pytest.raises(NasbenchError, match="was told a result for an arch it did not propose"):
        s.tell(task.space.from_index(123), task.search_fidelity, 1.0)


def test_sampler_by_path_equals_short_name(task):
    a = simulate(make_strategy("optuna:random", task.space, seed=3), task, max_evals=20)
    b = simulate(make_strategy("optuna:optuna.samplers.RandomSampler", task.space, seed=3), task, max_evals=20)
    c = simulate(make_strategy("optuna:optuna.samplers:RandomSampler", task.space, seed=3), task, max_evals=20)
    assert _history_bytes(a) == _history_bytes(b) == _history_bytes(c)


def test_errors(task, monkeypatch):
    with pytest.raises(UnknownNameError, match="unknown Optuna sampler 'annealing'; expected one of 'tpe'"):
        make_strategy("optuna:annealing", task.space)
    with pytest.raises(UnknownNameError, match="cannot load the Optuna sampler 'optuna.samplers:NoSampler'"):
        make_strategy("optuna:optuna.samplers.NoSampler", task.space)
    with pytest.raises(NasbenchError, match="is not a subclass of optuna.samplers.BaseSampler"):
        make_strategy("optuna:optuna.study:Study", task.space)
    with pytest.raises(NasbenchError, match=r"unknown parameter 'n_startup' for optuna:tpe; it takes 'consider_prior'"):
        make_strategy("optuna:tpe", task.space, n_startup=3)
    with pytest.raises(NasbenchError, match="bad parameters for optuna:nsgaii"):
        make_strategy("optuna:nsgaii", task.space, population_size=1)
    monkeypatch.setitem(sys.modules, "optuna", None)
    with pytest.raises(OptionalDependencyError, match=re.escape(install_hint("optuna"))):
        make_strategy("optuna:tpe", task.space)


def test_compare_same_bytes_serial_and_two_jobs(task, synthetic_root, tmp_path_factory, monkeypatch):
    monkeypatch.setenv("NASBENCH_DATA", str(synthetic_root))
    config = dict(benchmark="nb201/synthetic", strategies=("optuna:tpe", "random_search", "regularized_evolution"),
                  n_seeds=4, max_evals=30, seed=1, params={"optuna:tpe": {"n_startup_trials": 5}})
    outs = []
    for n_jobs in (1, 2, 2):
        out = tmp_path_factory.mktemp("optuna_cmp")
        write_outputs(run_compare(CompareConfig(**config), n_jobs=n_jobs), out, plots=False)
        outs.append(out)
    assert output_files(outs[0]) == output_files(outs[1]) == output_files(outs[2])
    assert output_manifest(outs[0]) == output_manifest(outs[1])
    m = output_manifest(outs[0])
    assert m["strategies"]["optuna:tpe"] == {"class": "optuna:tpe", "params": {"sampler": "tpe", "n_startup_trials": 5},
                                             "path": "python"}


def test_nsgaii_with_objectives_is_multi_objective(hw_task, tmp_path_factory):
    from strategies.compare_run import make_for_run as _make
    from strategies.hardware import HardwareSetup

    task = hw_task
    setup = HardwareSetup(task, objectives="test_acc,latency_ms@synthdev")
    s = _make("optuna:nsgaii", task, setup, 0, {"population_size": 8})
    assert s.multi_objective and len(s.study.directions) == 2
    simulate(s, task, max_evals=20)
    trials = [t for t in s.study.trials if t.values is not None]
    assert len(trials) == 20
    assert all(t.values[1] == pytest.approx(setup.cost[_arch(t).index]) for t in trials)  # (accuracy, cost) told
    single = _make("optuna:tpe", task, setup, 0, {})
    assert not single.multi_objective
    out = tmp_path_factory.mktemp("optuna_mo")
    config = CompareConfig(benchmark="nb201/cifar10", strategies=("optuna:nsgaii", "pareto_evolution"), n_seeds=3,
                           max_evals=20, objectives="test_acc,latency_ms@synthdev")
    write_outputs(run_compare(config, n_jobs=1, task=task), out, plots=False)
    board = json.loads((out / "stats.json").read_text())["hypervolume"]
    assert set(board["nemenyi_critical_difference"]["mean_ranks"]) == {"optuna:nsgaii", "pareto_evolution"}


def _arch(trial):
    from nasbench.spaces.nb201 import NB201Arch

    return NB201Arch(tuple(trial.params[f"x{d}"] for d in range(6)))


def test_gp_where_available(task):
    pytest.importorskip("torch", reason="optuna:gp needs torch")
    a = simulate(make_strategy("optuna:gp", task.space, seed=0, n_startup_trials=4), task, max_evals=8)
    b = simulate(make_strategy("optuna:gp", task.space, seed=0, n_startup_trials=4), task, max_evals=8)
    assert _history_bytes(a) == _history_bytes(b)
