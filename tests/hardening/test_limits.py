"""Class 8 of issue 13: work that cannot fit is refused before it starts; processes are capped at the CPUs."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nasbench.cli._args import available_cpus, n_processes
from nasbench.errors import NasbenchError
from strategies._limits import BYTES_PER_EVAL, available_memory, check_fits
from tests.hardening.conftest import BENCH, run_main, small_config


@pytest.mark.parametrize("kw", [dict(n_seeds=10**12), dict(max_evals=10**9, n_seeds=100),
                                dict(max_evals=10**30), dict(n_seeds=10**6, max_evals=10**6)])
def test_huge_comparisons_are_refused_at_once(kw):
    small_config()  # imports and strategy look-ups are not what is timed
    t = time.perf_counter()
    with pytest.raises(NasbenchError, match=r"needs about .* of memory .* are available .* Split the work"):
        small_config(**kw)
    assert time.perf_counter() - t < 1.0  # sized, not attempted


def test_cli_names_the_limit_and_the_split(capsys):
    status, _, err = run_main(["compare", BENCH, "--strategies", "random_search", "--seeds", "2",
                               "--budget", "1000000000"], capsys)
    assert status == 2 and len(err.splitlines()) == 1
    assert "evaluations" in err and "available" in err and "--budget" in err


@settings(max_examples=200, deadline=None)
@given(n_strategies=st.integers(1, 12), n_seeds=st.integers(2, 10**7), max_evals=st.integers(1, 10**7),
       available=st.integers(10**6, 2**40))
def test_refused_exactly_when_the_estimate_exceeds_the_share(n_strategies, n_seeds, max_evals, available):
    """Property: refusal iff estimate > 80% of the memory; a refusal's advice fits the memory."""
    need = BYTES_PER_EVAL * n_strategies * n_seeds * max_evals
    if need > 0.8 * available:
        with pytest.raises(NasbenchError, match="Split the work") as info:
            check_fits(n_strategies, n_seeds, max_evals, available=available)
        text = str(info.value)
        if "seeds (n_seeds, --seeds) per comparison" in text:  # the advice itself must fit
            fit = int(text.split("at most ")[1].split(" seeds")[0])
            assert 2 <= fit < n_seeds and BYTES_PER_EVAL * n_strategies * fit * max_evals <= 0.8 * available
    else:
        assert check_fits(n_strategies, n_seeds, max_evals, available=available) == need


def test_available_memory_is_known_here():
    have = available_memory()
    assert have is None or have > 0


def test_a_normal_comparison_passes():
    assert small_config(n_seeds=50, max_evals=100).n_seeds == 50


@pytest.mark.parametrize("jobs", [1, 2, 32, 10_000])
def test_jobs_are_capped_at_the_cpus_unless_asked(jobs, capsys):
    cpus = available_cpus()
    assert n_processes(jobs, False) == min(jobs, cpus)
    assert n_processes(jobs, True) == jobs
    err = capsys.readouterr().err
    assert ("capped at the" in err) == (jobs > cpus)
    assert n_processes(None, False) is None and n_processes(None, False, default=1) == 1


@pytest.mark.parametrize("argv", [["compare", BENCH, "--jobs", "-3"], ["compare", BENCH, "--jobs", "0"],
                                  ["validate", "--archs", "1", "--jobs", "-1"], ["search", "darts", "--jobs", "0"]])
def test_nonpositive_jobs_are_refused(argv, capsys):
    status, _, err = run_main(argv, capsys)
    assert status == 2 and "argument --jobs: expected an int >= 1" in err


def test_cli_caps_jobs_and_says_so(capsys):
    status, out, err = run_main(["compare", BENCH, "--strategies", "random_search", "--seeds", "2", "--budget", "5",
                                 "--jobs", "4096", "--quiet"], capsys)
    assert status == 0 and f"--jobs 4096 capped at the {available_cpus()} CPU(s)" in err


def test_a_time_budget_alone_is_sized_before_any_run(capsys):
    """A time budget is turned into the most evaluations a run can complete (cheapest evaluation, every
    worker) and refused before the first run when that cannot fit; the advice itself fits."""
    from strategies._limits import check_time_budget, evaluations_bound
    from strategies.compare_run import task_for as _task_for

    task = _task_for(BENCH, {}, "draw")
    cheapest = min(float(c.min()) for c in task.costs.values())
    assert evaluations_bound(task, 3, None, 10 * cheapest) == 3 * 11
    assert evaluations_bound(task, 3, 7, 10 * cheapest) == 7
    assert evaluations_bound(task, 1, None, None) is None
    with pytest.raises(NasbenchError, match=r"time budget of .* lets each run complete up to .* Split the work: a "
                                            r"time budget \(max_time_s, --time-budget\) of at most") as info:
        check_time_budget(task, 2, 10, 1, None, 1e7 * cheapest, available=10**9)
    fit = float(str(info.value).split("of at most ")[1].split(" s,")[0])
    assert check_time_budget(task, 2, 10, 1, None, fit, available=10**9) > 0
    t = time.perf_counter()
    status, _, err = run_main(["compare", BENCH, "--strategies", "random_search", "--seeds", "2",
                               "--time-budget", "1e13"], capsys)
    assert status == 2 and time.perf_counter() - t < 10
    assert err.splitlines()[-1].startswith("nasbench compare: error: a time budget of 1e+13 simulated s")
    assert sum("error" in line for line in err.splitlines()) == 1 and "Traceback" not in err


def test_zero_cost_evaluations_need_an_evaluation_budget():
    from types import SimpleNamespace

    from strategies._limits import evaluations_bound

    task = SimpleNamespace(enumerable=True, costs={1: np.array([0.0, 2.0])})
    with pytest.raises(NasbenchError, match=r"time budget alone \(--time-budget 5\) cannot bound .* \(--budget N\)"):
        evaluations_bound(task, 1, None, 5.0)
    assert evaluations_bound(task, 1, 9, 5.0) == 9


def test_runs_with_unknown_costs_stop_at_the_memory_guard(monkeypatch):
    """Where costs are known only per evaluation (surrogates, live training), a time-budget run stops
    with a one-line error at the evaluations memory holds, instead of growing until the process dies."""
    import strategies._limits as limits
    from strategies.random_search import RandomSearch
    from strategies.simulator import simulate
    from strategies.task import Task

    class Cheap:  # a non-enumerable task whose evaluations cost almost nothing
        def __init__(self, task):
            self.__dict__.update(task.__dict__)
            self.enumerable, self.noise = False, "mean"

        def evaluate(self, arch, fidelity, u):
            return 50.0, 1e-9

    import nasbench

    task = Cheap(Task(nasbench.load(BENCH), noise="mean"))
    monkeypatch.setattr(limits, "run_eval_limit", lambda n_jobs=1: 50)
    for workers in (1, 3):
        with pytest.raises(NasbenchError, match=r"reached 50 evaluations, the most this machine's memory holds .* "
                                                r"--budget\) or a smaller time budget"):
            simulate(RandomSearch(task.space, seed=0), task, n_workers=workers, max_time_s=1.0)
    assert len(simulate(RandomSearch(task.space, seed=0), task, max_time_s=1e-8)) == 9
