"""Per-evaluation cost of every strategy at 300 and 1000 evaluations, beside random search in the same
run, and the wall time of the all-strategies comparison.

1. For each built-in strategy (and ``optuna:tpe`` when Optuna is installed): CPU milliseconds per
   evaluation of the Python ask/tell loop (``strategies.simulate``) on nb201/cifar10, averaged over
   ``--seeds`` runs of 300 and of 1000 evaluations, and their ratio (1.0 = linear total cost; above 1 =
   the per-evaluation cost grows with the run). Random search through the same loop is the baseline.
   CPU time (this process) rather than wall time: on a shared machine it excludes the waits for a core.
2. ``nasbench compare nb201/cifar10 --strategies all --seeds 100 --budget 300`` in a fresh process:
   wall time, CPU time of the process and its workers, the load average around it.

Run:  NASBENCH_DATA=/tmp/nbdata python perf/perf_strategy_costs.py [--seeds 3] [--no-compare]
Target (issue 16): bananas and gradient at most 2 ms per evaluation at 300, not growing to 1000; the
comparison within 5 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np


def per_eval_ms(name, task, n_evals, seeds):
    """Mean CPU ms per evaluation of ``name`` over ``seeds`` runs of ``n_evals`` evaluations."""
    from strategies import make_strategy, simulate

    c = time.process_time()
    for s in seeds:
        simulate(make_strategy(name, task.space, seed=np.random.SeedSequence(0, spawn_key=(s,))), task,
                 max_evals=n_evals)
    return (time.process_time() - c) / (len(seeds) * n_evals) * 1e3


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmark", default="nb201/cifar10")
    parser.add_argument("--seeds", type=int, default=3, help="runs per strategy and length (default 3)")
    parser.add_argument("--no-compare", action="store_true", help="skip the all-strategies comparison")
    parser.add_argument("--compare-seeds", type=int, default=100)
    args = parser.parse_args(argv)

    import nasbench
    from strategies import STRATEGIES, Task, make_strategy, simulate
    from strategies.optuna_sampler import optuna_available

    task = Task(nasbench.load(args.benchmark))
    from strategies.registry import needs_cost

    # pareto_evolution needs a cost column (a compare with --objectives); the rest run on the table alone
    names = [n for n in STRATEGIES if not needs_cost(n)] + (["optuna:tpe"] if optuna_available() else [])
    for name in names:  # compile kernels / fill caches before timing
        simulate(make_strategy(name, task.space, seed=123), task, max_evals=25)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; benchmark {args.benchmark}; "
          f"CPU ms per evaluation, mean of {args.seeds} runs (Python ask/tell loop)")
    print(f"{'strategy':24s} {'300 evals':>10s} {'1000 evals':>11s} {'1000/300':>9s} {'x random':>9s}")
    seeds = range(args.seeds)
    base = None
    rows = []
    for name in ["random_search"] + [n for n in names if n != "random_search"]:
        a, b = per_eval_ms(name, task, 300, seeds), per_eval_ms(name, task, 1000, seeds)
        base = base or a
        rows.append((name, a, b))
        print(f"{name:24s} {a:10.3f} {b:11.3f} {b / a:9.2f} {a / base:9.0f}", flush=True)
    for name in ("bananas", "gradient"):
        a, b = next((r[1], r[2]) for r in rows if r[0] == name)
        print(f"target {name}: {a:.2f} ms <= 2 ms at 300: {'yes' if a <= 2 else 'NO'}; 1000/300 = {b / a:.2f} "
              f"({'not growing' if b / a <= 1.3 else 'GROWING'})")

    if args.no_compare:
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "nasbench", "compare", args.benchmark, "--strategies", "all", "--seeds",
               str(args.compare_seeds), "--budget", "300", "--out", os.path.join(tmp, "o"), "--no-plots"]
        load0 = os.getloadavg()[0]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        print(proc.stderr[-2000:])
        return 1
    print(f"\n`nasbench compare {args.benchmark} --strategies all --seeds {args.compare_seeds} --budget 300`: "
          f"{wall:.1f} s wall ({'within' if wall <= 300 else 'OVER'} the 5-minute target), {cpu:.1f} s CPU "
          f"(process and workers); load average {load0:.2f} before, {os.getloadavg()[0]:.2f} after")
    print(proc.stdout.split("\n\n")[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
