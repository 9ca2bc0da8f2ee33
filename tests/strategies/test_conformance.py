"""Every registered strategy passes the same checks (ask/tell contract, seeding, async tells)."""

import json

import numpy as np
import pytest

from nasbench.errors import NasbenchError
from strategies import STRATEGIES, make_strategy, simulate
from strategies.history import FIDELITY_NONE

# small settings keep the model-based strategies fast; defaults are tested elsewhere
FAST_PARAMS = {
    "bananas": {"n_init": 5, "batch_size": 5, "n_candidates": 20, "n_ensemble": 2, "epochs": 20},
    "gradient": {"n_init": 5, "n_steps": 5, "n_ensemble": 2, "epochs": 20},
}


@pytest.fixture(params=sorted(STRATEGIES))
def name(request):
    return request.param


def make(name, space, seed):
    from strategies.registry import needs_cost

    cost = {"cost": np.arange(space.n_archs, dtype=np.float64)} if needs_cost(name) else {}  # e.g. pareto_evolution
    return make_strategy(name, space, seed=seed, **FAST_PARAMS.get(name, {}), **cost)


def test_ask_returns_a_valid_arch_at_a_task_fidelity(name, task):
    strategy = make(name, task.space, 0)
    strategy.set_fidelities(task.fidelities)
    for _ in range(30):
        arch, fidelity = strategy.ask()
        assert task.space.is_valid(arch)
        assert fidelity in task.fidelities
        if not strategy.multi_fidelity:
            assert fidelity == task.search_fidelity
        strategy.tell(arch, fidelity, float(task.values[fidelity][arch.index]))
    assert task.space.is_valid(strategy.recommend())


def test_same_seed_same_history_and_seeds_differ(name, task):
    a = simulate(make(name, task.space, 5), task, max_evals=40)
    b = simulate(make(name, task.space, 5), task, max_evals=40)
    c = simulate(make(name, task.space, 6), task, max_evals=40)
    assert a.equals(b)
    assert not np.array_equal(a.arch_index, c.arch_index)


def test_async_workers_and_time_budget(name, task):
    h = simulate(make(name, task.space, 1), task, n_workers=4, max_time_s=20000.0)
    assert len(h) > 4
    assert np.all(h.end_s <= 20000.0)
    assert np.all(np.diff(h.end_s) >= 0)
    assert set(np.unique(h.fidelity)) <= {FIDELITY_NONE if f is None else f for f in task.fidelities}


def test_recommend_before_tell_raises(name, task):
    with pytest.raises(NasbenchError, match="no results yet"):
        make(name, task.space, 0).recommend()


def test_params_are_json(name, task):
    strategy = make(name, task.space, 0)
    json.dumps(strategy.params())
    assert name in repr(strategy) or type(strategy).__name__ in repr(strategy)


def test_seeded_by_generator_is_reproducible(name, task):
    a = simulate(make(name, task.space, np.random.default_rng(11)), task, max_evals=20)
    b = simulate(make(name, task.space, np.random.SeedSequence(11)), task, max_evals=20)
    assert a.equals(b)  # default_rng(11) and default_rng(SeedSequence(11)) are the same stream
