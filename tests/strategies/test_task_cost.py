import numpy as np
import pytest

from nasbench.errors import MissingValueError, NasbenchError, UnknownNameError
from strategies import Objective, Task
from nasbench.benchmarks._cost import ESTIMATE_NAME


def test_defaults_search_valid_report_test(task, synthetic_bench):
    assert task.search_fidelity == 200 and task.fidelities == (12, 200)
    assert task.report_fidelity == 200
    np.testing.assert_array_equal(task.report, synthetic_bench.column("test_acc", 200))
    assert task.best_report == synthetic_bench.best("test_acc", 200)[1]


def test_costs_measured_where_present_else_named_estimate(task, synthetic_bench):
    measured = synthetic_bench.column("train_time_s", 200)
    cost = task.costs[200]
    np.testing.assert_array_equal(cost[:1000], measured[:1000])
    assert np.all(np.isfinite(cost)) and np.all(cost >= np.nanmin(measured))
    info = task.cost_info["per_fidelity"]["200"]
    assert info["n_measured"] == 1000 and info["n_estimated"] == 15625 - 1000
    assert ESTIMATE_NAME in info["source"] and info["estimate"]["r2_fit"] > 0.9
    # the fixture's time is linear in conv counts, so the estimate is close on unmeasured archs
    from tests.strategies.conftest import _synthetic_values

    true = _synthetic_values()[4]
    assert np.median(np.abs(cost[1000:] - true[1000:])) < 50


def test_cost_is_the_training_time_of_the_searched_run(synthetic_bench):
    with pytest.raises(NasbenchError, match="cost_metric must be 'train_time_s'; got 'latency_ms'"):
        Task(synthetic_bench, Objective(cost_metric="latency_ms"))


def test_search_fidelity_is_configurable(synthetic_bench):
    t = Task(synthetic_bench, Objective(search_fidelity=12))
    assert t.fidelities == (12,) and t.search_fidelity == 12


@pytest.mark.parametrize("objective, error, match", [
    (Objective(search_metric="nope"), UnknownNameError, "has no metric 'nope'"),
    (Objective(search_fidelity=50), UnknownNameError, "has no fidelity 50"),
    (Objective(report_metric="train_time_s", report_fidelity=12), MissingValueError,
     "lacks train_time_s at fidelity 12 for 14625"),
])
def test_task_errors(synthetic_bench, objective, error, match):
    with pytest.raises(error, match=match):
        Task(synthetic_bench, objective)


def test_task_refuses_an_unknown_noise_mode(synthetic_bench):
    with pytest.raises(UnknownNameError, match="noise must be one of 'draw', 'mean'; got 'loud'"):
        Task(synthetic_bench, noise="loud")


def test_cifar10_defaults_and_cost_estimate(cifar10_task):
    t = cifar10_task
    assert (t.objective.search_metric, t.search_fidelity) == ("valid_acc", 200)
    assert t.best_report_index == 6111
    assert t.cost_info["per_fidelity"]["200"]["n_measured"] == 1000


def test_cifar100_searches_at_fidelity_12(nb201_data_root):
    import nasbench

    t = Task(nasbench.load("nb201/cifar100"))
    assert t.search_fidelity == 12 and t.report_fidelity == 200
