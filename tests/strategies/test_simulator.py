import numpy as np
import pytest

from nasbench.errors import NasbenchError
from strategies import make_strategy, simulate
from strategies.history import trajectory


def test_sequential_clock_and_costs(task):
    h = simulate(make_strategy("random_search", task.space, seed=0), task, max_evals=50)
    assert len(h) == 50
    assert h.start_s[0] == 0.0
    np.testing.assert_array_equal(h.start_s[1:], h.end_s[:-1])
    np.testing.assert_allclose(h.end_s - h.start_s, task.costs[task.search_fidelity][h.arch_index])
    np.testing.assert_array_equal(h.value, task.values[task.search_fidelity][h.arch_index])
    assert set(h.worker.tolist()) == {0}


def test_parallel_workers_never_overlap_on_one_worker(task):
    h = simulate(make_strategy("regularized_evolution", task.space, seed=0), task, n_workers=5, max_evals=100)
    assert len(h) == 100
    assert sorted(set(h.worker.tolist())) == [0, 1, 2, 3, 4]
    assert np.sum(h.start_s == 0.0) == 5
    for w in range(5):
        mine = h.worker == w
        np.testing.assert_array_equal(h.start_s[mine][1:], h.end_s[mine][:-1])
    # at any time at most 5 evaluations run
    events = sorted([(s, 1) for s in h.start_s] + [(e, -1) for e in h.end_s], key=lambda t: (t[0], t[1]))
    assert max(np.cumsum([d for _, d in events])) <= 5


def test_time_budget_drops_unfinished_and_stops_asking(task):
    h = simulate(make_strategy("random_search", task.space, seed=2), task, n_workers=2, max_time_s=30000.0)
    assert h.end_s.max() <= 30000.0
    assert h.start_s.max() < 30000.0


def test_trajectory_incumbent_and_regret(task):
    h = simulate(make_strategy("local_search", task.space, seed=3), task, max_evals=80)
    t = trajectory(h, task)
    np.testing.assert_array_equal(t["incumbent_value"], np.maximum.accumulate(h.value))
    assert np.all(t["regret"] >= 0)
    np.testing.assert_allclose(t["regret"], task.best_report - task.report[t["incumbent_index"]])


def test_incumbent_prefers_the_highest_fidelity(task):
    from strategies.history import History

    lo, hi = task.fidelities
    # arch 1 scores higher at the low fidelity, but arch 2 is the only top-fidelity result
    h = History.from_lists([1, 2, 3], [lo, hi, lo], [0, 0, 0], [0, 1, 2], [1, 2, 3], [99.0, 50.0, 98.0])
    t = trajectory(h, task)
    assert t["incumbent_index"].tolist() == [1, 2, 2]


@pytest.mark.parametrize("kwargs, match", [
    (dict(max_evals=None), "give a budget"),
    (dict(max_evals=0), "max_evals must be an int >= 1"),
    (dict(max_evals=5, n_workers=0), "n_workers must be an int >= 1"),
    (dict(max_time_s=float("inf")), "max_time_s must be a finite number"),
])
def test_budget_errors(task, kwargs, match):
    with pytest.raises(NasbenchError, match=match):
        simulate(make_strategy("random_search", task.space, seed=0), task, **kwargs)


def test_bad_fidelity_from_a_strategy_is_reported(task):
    from strategies.random_search import RandomSearch

    class Wrong(RandomSearch):
        def ask(self):
            return self.space.sample(self.stream), 77

    with pytest.raises(NasbenchError, match="asked for fidelity 77"):
        simulate(Wrong(task.space, seed=0), task, max_evals=3)
