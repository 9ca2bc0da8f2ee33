"""Speed of the search loop, printed beside baselines measured in the same run.

1. Compiled path: 1000 seeds x 1000 evaluations of regularized evolution on nb201/cifar10
   (target: under 1 s), end to end (drawing each seed's uniforms, the kernel, building histories)
   and the kernel alone. Baseline: the Python ask/tell path on the same work, timed on a subset of
   seeds and scaled.
2. Python ask/tell loop: microseconds per evaluation of random search and regularized evolution
   through :func:`strategies.simulate` (target: under 20 us). Baseline: a bare loop that only samples
   an arch with a numpy Generator and looks it up with ``bench.query`` (no strategy, no records).

Run:  NASBENCH_DATA=/tmp/nbdata python perf/perf_strategies.py [--seeds 1000 --evals 1000]
Single-threaded (numba runs the seeds in one thread).
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def best_of(fn, repeat, cpu=False):
    """Best wall-clock time of ``repeat`` runs, or with ``cpu=True`` (wall, process CPU time) of the
    fastest run; on a shared machine CPU time excludes the waits for a core."""
    best = None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        run = (time.perf_counter() - w, time.process_time() - c)
        best = run if best is None or run[0] < best[0] else best
    return best if cpu else best[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmark", default="nb201/cifar10")
    parser.add_argument("--seeds", type=int, default=1000)
    parser.add_argument("--evals", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    import nasbench
    from strategies import Task, make_strategy, simulate
    from strategies import _kernels
    from strategies.fast import _space_arrays, run_fast
    from strategies.simulator import noise_seed_of

    task = Task(nasbench.load(args.benchmark))
    seeds = [np.random.SeedSequence(0, spawn_key=(i,)) for i in range(args.seeds)]
    n_total = args.seeds * args.evals
    import os

    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (other jobs slow every figure alike)")
    print(f"benchmark {args.benchmark}; {args.seeds} seeds x {args.evals} evaluations = {n_total:,} evaluations")

    run_fast("regularized_evolution", task, seeds[:2], max_evals=10)  # compile / load the cache
    t_fast = best_of(lambda: run_fast("regularized_evolution", task, seeds, max_evals=args.evals), args.repeat)

    # kernel alone, on pre-drawn uniforms
    ops, code, n_ops = _space_arrays()
    draws = np.ascontiguousarray(task.draws[task.search_fidelity])
    costs = np.ascontiguousarray(task.costs[task.search_fidelity])
    n_u = args.evals * 11 + 64
    u = np.vstack([np.random.default_rng(s).random(n_u) for s in seeds])
    noise_u = np.vstack([np.random.default_rng(noise_seed_of(s)).random(args.evals + 1) for s in seeds])
    outs = [np.empty((args.seeds, args.evals), dtype=np.int64), np.empty((args.seeds, args.evals), dtype=np.int64),
            np.empty((args.seeds, args.evals)), np.empty((args.seeds, args.evals)), np.empty((args.seeds, args.evals)),
            np.empty(args.seeds, dtype=np.int64), np.empty(args.seeds, dtype=np.int64)]
    t_kernel = best_of(lambda: _kernels.run_many(1, ops, code, n_ops, draws, costs, u, noise_u, 1, args.evals, np.inf,
                                                 10, 3, *outs), args.repeat)

    n_py_seeds = max(1, min(10, args.seeds))
    t0 = time.perf_counter()
    for s in seeds[:n_py_seeds]:
        simulate(make_strategy("regularized_evolution", task.space, seed=s), task, max_evals=args.evals)
    t_py = (time.perf_counter() - t0) * args.seeds / n_py_seeds

    print("\n1. regularized evolution, compiled path (target < 1 s)")
    print(f"   end to end (uniforms + kernel + histories): {t_fast:8.3f} s  ({t_fast / n_total * 1e9:6.0f} ns/eval)")
    print(f"   kernel alone:                               {t_kernel:8.3f} s  ({t_kernel / n_total * 1e9:6.0f} ns/eval)")
    print(f"   baseline, Python ask/tell on the same work: {t_py:8.3f} s  (scaled from {n_py_seeds} seeds)"
          f"  -> {t_py / t_fast:.0f}x")

    n_loop = 20000
    print(f"\n2. Python ask/tell loop through simulate(), {n_loop} evaluations, best of {args.repeat} (target < 20 us/eval)")
    bench = task.benchmark
    space = task.space
    rng = np.random.default_rng(0)

    def bare():
        for _ in range(n_loop):
            arch = space.sample(rng)
            bench.query(arch.index, "valid_acc", task.search_fidelity)

    for name in ("random_search", "regularized_evolution"):
        w, c = best_of(lambda name=name: simulate(make_strategy(name, space, seed=1), task, max_evals=n_loop),
                       args.repeat, cpu=True)
        print(f"   {name:24s} {w / n_loop * 1e6:6.1f} us/eval wall, {c / n_loop * 1e6:6.1f} us/eval CPU")
    w, c = best_of(bare, args.repeat, cpu=True)
    print(f"   baseline (sample with a Generator + bench.query, no strategy): {w / n_loop * 1e6:6.1f} us/eval wall, "
          f"{c / n_loop * 1e6:6.1f} us/eval CPU")


if __name__ == "__main__":
    main()
