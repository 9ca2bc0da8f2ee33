"""The compiled paths reproduce the Python ask/tell trajectories exactly."""

import numpy as np
import pytest

from strategies import _reference
from strategies.fast import run_fast, supports_fast

BUDGETS = [
    dict(n_workers=1, max_evals=150),
    dict(n_workers=4, max_evals=120),
    dict(n_workers=3, max_time_s=60000.0),
    dict(n_workers=2, max_evals=60, max_time_s=40000.0),
]


@pytest.mark.parametrize("name", ["random_search", "regularized_evolution", "local_search"])
@pytest.mark.parametrize("budget", BUDGETS, ids=lambda b: "-".join(f"{k}={v}" for k, v in b.items()))
def test_compiled_equals_python(name, budget, task):
    seeds = [np.random.SeedSequence(42, spawn_key=(i,)) for i in range(6)]
    fast = run_fast(name, task, seeds, **budget)
    ref = _reference.run_many(name, task, seeds, **budget)
    for f, r in zip(fast, ref):
        assert len(f) > 0
        assert f.equals(r)


def test_evolution_params(task):
    params = {"population_size": 25, "sample_size": 7}
    seeds = [3, 4]
    ref = _reference.run_many("regularized_evolution", task, seeds, params=params, max_evals=200)
    fast = run_fast("regularized_evolution", task, seeds, params=params, max_evals=200)
    assert all(f.equals(r) for f, r in zip(fast, ref))


@pytest.mark.parametrize("name", ["regularized_evolution", "local_search"])
def test_seeds_that_run_out_of_uniforms_are_rerun(name, task, monkeypatch):
    import strategies.fast as fast_module

    monkeypatch.setattr(fast_module, "_uniforms_per_eval", lambda *a: 1)  # far too few: forces retries
    seeds = [7, 8, 9]
    ref = _reference.run_many(name, task, seeds, max_evals=300)
    fast = run_fast(name, task, seeds, max_evals=300)
    assert all(f.equals(r) for f, r in zip(fast, ref))


def test_local_search_restarts_are_reproduced(task):
    # long runs force many climbs and restarts
    seeds = [0, 1, 2]
    ref = _reference.run_many("local_search", task, seeds, max_evals=600)
    fast = run_fast("local_search", task, seeds, max_evals=600)
    assert all(f.equals(r) for f, r in zip(fast, ref))


def test_supports_fast(task):
    assert supports_fast("regularized_evolution", task)
    assert not supports_fast("bohb", task)


def test_cifar10_compiled_equals_python(cifar10_task):
    seeds = [np.random.SeedSequence(0, spawn_key=(i,)) for i in range(3)]
    for name in ("random_search", "regularized_evolution", "local_search"):
        fast = run_fast(name, cifar10_task, seeds, max_evals=300, n_workers=2)
        ref = _reference.run_many(name, cifar10_task, seeds, max_evals=300, n_workers=2)
        assert all(f.equals(r) for f, r in zip(fast, ref))


try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - hypothesis is in the dev extra
    given = None

if given is not None:

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(seed=st.integers(0, 2**32 - 1), n_workers=st.integers(1, 6), max_evals=st.integers(1, 90),
           pop=st.integers(1, 15), sample=st.integers(1, 6),
           name=st.sampled_from(["random_search", "regularized_evolution", "local_search"]),
           time_budget=st.one_of(st.none(), st.floats(1000.0, 80000.0)))
    def test_compiled_equals_python_property(task, seed, n_workers, max_evals, pop, sample, name, time_budget):
        params = {"population_size": pop, "sample_size": sample} if name == "regularized_evolution" else {}
        budget = dict(n_workers=n_workers, max_evals=max_evals, max_time_s=time_budget)
        fast = run_fast(name, task, [seed], params=params, **budget)[0]
        ref = _reference.run_many(name, task, [seed], params=params, **budget)[0]
        assert fast.equals(ref)
