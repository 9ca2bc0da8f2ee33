"""Multi-fidelity strategies on long fidelity axes use HpBandSter's geometric ladder of rungs, and
equal-cost budgets on benchmarks that answer arch by arch."""

from __future__ import annotations

import numpy as np
import pytest

from strategies.multifidelity import rung_ladder


def test_short_axes_keep_every_fidelity_and_long_ones_get_the_geometric_ladder():
    assert rung_ladder((12, 200), 3) == (12, 200)
    assert rung_ladder((1, 2, 3, 4), 3) == (1, 2, 3, 4)
    assert rung_ladder(tuple(range(1, 99)), 3) == (1, 4, 11, 33, 98)  # YAHPO's NB301 epochs
    assert rung_ladder(tuple(range(1, 99)), 2)[-1] == 98 and rung_ladder((None,), 3) == (None,)


@pytest.mark.parametrize("name", ["hyperband", "bohb", "successive_halving"])
def test_brackets_ask_only_ladder_fidelities(name):
    from nasbench.spaces import NB201Space
    from strategies.registry import make_strategy

    strategy = make_strategy(name, NB201Space(), seed=0)
    strategy.set_fidelities(tuple(range(1, 99)))
    asked = set()
    for _ in range(400):  # past the first rung of the largest bracket (3**5 archs for successive halving)
        arch, fidelity = strategy.ask()
        asked.add(fidelity)
        strategy.tell(arch, fidelity, float(np.random.default_rng(fidelity).random()))
    assert asked <= {1, 4, 11, 33, 98} and len(asked) >= 2


def test_equal_cost_on_a_benchmark_that_answers_arch_by_arch(tmp_path, shared_data):
    """darts/cifar10@surrogate has no whole columns: the typical cost comes from 256 archs drawn on a
    stream of their own; live training is never sampled for it."""
    from types import SimpleNamespace

    from strategies.compare import CompareConfig
    from strategies.compare_run import equal_cost as _equal_cost

    from nasbench.benchmarks.base import Benchmark
    from nasbench.spaces import get_space

    class Bench:
        live, name, enumerable, space = False, "fake/non-enumerable", False, get_space("darts")
        median_cost = Benchmark.median_cost  # the contract's estimate: 256 archs drawn from the given stream

        def cost(self, archs, fidelity, metric=None):
            assert len(archs) == 256
            return SimpleNamespace(seconds=np.full(len(archs), 7.0), provenance={"source": "fake"})

    task = SimpleNamespace(enumerable=False, benchmark=Bench(), space=get_space("darts"), fidelities=(1, 2, 3),
                           search_fidelity=3, objective=SimpleNamespace(search_metric="valid_acc"))
    lines = []
    config = CompareConfig(benchmark="nb201/digits", strategies=("random_search", "hyperband"), n_seeds=2, max_evals=10)
    resolved = _equal_cost(config, task, lines.append)
    assert resolved.max_time_s == 70.0 and resolved.max_evals is None and "median 7 s" in lines[0]
    task.benchmark.live = True
    assert _equal_cost(config, task, lines.append) is config and "live training" in lines[-1]
