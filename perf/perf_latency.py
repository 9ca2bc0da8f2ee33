"""Speed of latency lookups, Pareto/hypervolume and constrained search, beside baselines of the same run.

Usage::

    python perf/perf_latency.py

Needs nb201/cifar10 and the HELP latency table in $NASBENCH_DATA
(``nasbench data import nb201 --from DIR``, ``nasbench data import help-latency --from DIR``). Prints:

* ``latency_ms`` queries through ``bench.query(..., device=)`` (one arch; all 15625 archs), beside the
  same queries of ``test_acc`` (the table lookup it delegates next to);
* ``pareto_mask`` and ``hypervolume_2d`` on all 15625 archs (accuracy vs pixel3 latency), beside their
  plain-Python twins on 1000 archs (the twins are O(n^2) and would take minutes on all);
* 1000 evaluations of constrained random search and constrained regularized evolution, beside the
  unconstrained strategies.

Figures are the best of several repeats (the machine is shared, so the minimum is the least noisy).
"""

from __future__ import annotations

import timeit

import numpy as np


def best_time(fn, number: int, repeat: int = 5) -> float:
    """Best seconds per call of ``fn`` over ``repeat`` rounds of ``number`` calls."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def main() -> None:
    import nasbench
    from strategies.constraints import ConstrainedSpace, ConstrainedStrategy, parse_constraint
    from strategies.evolution import RegularizedEvolution
    from strategies.pareto import hypervolume_2d, hypervolume_2d_reference, pareto_front_reference, pareto_mask
    from strategies.random_search import RandomSearch
    from strategies.simulator import simulate
    from strategies.task import Task

    bench = nasbench.load("nb201/cifar10")
    every = np.arange(15625)
    bench.query(every, "latency_ms", device="pixel3")  # open the tables once
    print("# latency lookups (per call)")
    t_lat = best_time(lambda: bench.query(6111, "latency_ms", device="pixel3"), 20000)
    t_acc = best_time(lambda: bench.query(6111, "test_acc", 200), 20000)
    print(f"one arch    latency_ms {t_lat * 1e6:8.2f} us   test_acc (baseline) {t_acc * 1e6:8.2f} us")
    t_lat = best_time(lambda: bench.query(every, "latency_ms", device="pixel3"), 200)
    t_acc = best_time(lambda: bench.query(every, "test_acc", 200), 200)
    print(f"15625 archs latency_ms {t_lat * 1e3:8.3f} ms   test_acc (baseline) {t_acc * 1e3:8.3f} ms")

    acc = bench.column("test_acc", 200)
    lat = bench.query(every, "latency_ms", device="pixel3")
    sub = np.random.default_rng(0).choice(15625, 1000, replace=False)
    print("# Pareto front and hypervolume (accuracy vs pixel3 latency)")
    t_fast = best_time(lambda: pareto_mask(acc, lat), 20)
    t_ref = best_time(lambda: pareto_front_reference(acc[sub], lat[sub]), 1, repeat=2)
    t_fast_sub = best_time(lambda: pareto_mask(acc[sub], lat[sub]), 200)
    print(f"pareto_mask    15625: {t_fast * 1e3:8.3f} ms   1000: {t_fast_sub * 1e3:8.3f} ms   "
          f"plain twin 1000: {t_ref * 1e3:9.1f} ms")
    t_fast = best_time(lambda: hypervolume_2d(acc, lat, 80.0, 40.0), 20)
    t_ref = best_time(lambda: hypervolume_2d_reference(acc[sub], lat[sub], 80.0, 40.0), 1, repeat=2)
    t_fast_sub = best_time(lambda: hypervolume_2d(acc[sub], lat[sub], 80.0, 40.0), 200)
    print(f"hypervolume_2d 15625: {t_fast * 1e3:8.3f} ms   1000: {t_fast_sub * 1e3:8.3f} ms   "
          f"plain twin 1000: {t_ref * 1e3:9.1f} ms")

    task = Task(bench)
    feasible = parse_constraint("latency_ms@pixel3 <= 15").feasible(bench)
    space = ConstrainedSpace(task.space, feasible)
    print("# 1000 evaluations, one worker (seconds per run)")
    runs = {
        "random search": lambda: simulate(RandomSearch(task.space, seed=0), task, max_evals=1000),
        "constrained random search": lambda: simulate(
            ConstrainedStrategy(RandomSearch(task.space, seed=0), feasible), task, max_evals=1000),
        "regularized evolution": lambda: simulate(RegularizedEvolution(task.space, seed=0), task, max_evals=1000),
        "constrained regularized evolution": lambda: simulate(
            ConstrainedStrategy(RegularizedEvolution(space, seed=0), feasible), task, max_evals=1000),
    }
    for name, fn in runs.items():
        print(f"{name:<36}{best_time(fn, 1, repeat=3) * 1e3:8.1f} ms")


if __name__ == "__main__":
    main()
