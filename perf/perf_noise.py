"""Speed of noisy evaluations, printed beside the noise-free run measured in the same process.

1. Compiled path: 10^6 regularized-evolution evaluations (1000 seeds x 1000) with one drawn training
   seed per evaluation (target: at most 0.3 s), beside the same work on the noise-free means.
2. Python loop overhead per evaluation (targets: 10 us on a table, 20 us on a surrogate benchmark):
   a replay strategy that proposes a precomputed list of archs (so no strategy time is counted)
   through :func:`strategies.simulate`, noisy and noise-free, on a table and on a surrogate.
   The surrogate figure is given twice: an enumerable one (NB201, predicted outcomes tabulated once)
   and a non-enumerable one (DARTS, each new arch encoded and predicted; cached on revisits).

Run:  NASBENCH_DATA=DIR python perf/perf_noise.py   (DIR with nb201/cifar10 imported and the
      surrogates nb201/cifar10@surrogate and darts/cifar10@surrogate fitted; missing ones are skipped)
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


class Replay:
    """A strategy that proposes ``archs`` in order and learns nothing: times the loop alone."""

    name = "replay"

    def __init__(self, archs, seed):
        self.archs, self.pos, self.seed = archs, 0, seed
        self.fidelity = None

    def set_fidelities(self, fids):
        self.fidelity = fids[-1]

    def ask(self):
        arch = self.archs[self.pos]
        self.pos += 1
        return arch, self.fidelity

    def tell(self, arch, fidelity, value):
        pass


def best_of(fn, repeat):
    best = None
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best or 1e9, time.perf_counter() - t)
    return best


def loop_us(task, archs, repeat=3) -> float:
    from strategies.simulator import simulate

    def run():
        simulate(Replay(archs, seed=0), task, max_evals=len(archs), noise_seed=1)

    run()  # warm caches (tabulated outcomes, list views)
    return best_of(run, repeat) / len(archs) * 1e6


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1000)
    parser.add_argument("--evals", type=int, default=1000)
    parser.add_argument("--loop-evals", type=int, default=20000)
    args = parser.parse_args(argv)

    import nasbench
    from nasbench.errors import NasbenchError
    from strategies import Task
    from strategies.fast import run_fast

    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    bench = nasbench.load("nb201/cifar10")
    seeds = [np.random.SeedSequence(0, spawn_key=(i,)) for i in range(args.seeds)]
    n = args.seeds * args.evals
    for mode in ("mean", "draw"):
        task = Task(bench, noise=mode)
        run_fast("regularized_evolution", task, seeds[:2], max_evals=10)  # compile
        t = best_of(lambda: run_fast("regularized_evolution", task, seeds, max_evals=args.evals), 3)
        print(f"compiled RE, {n:,} evaluations, noise={mode}: {t:.3f} s ({t / n * 1e9:.0f} ns per evaluation)")

    rng = np.random.default_rng(0)
    for name in ("nb201/cifar10", "nb201/digits", "nb201/cifar10@surrogate", "darts/cifar10@surrogate"):
        try:
            b = nasbench.load(name)
        except NasbenchError as exc:
            print(f"{name}: skipped ({exc})")
            continue
        archs = [b.space.sample(rng) for _ in range(args.loop_evals // (10 if not b.enumerable else 1))]
        for mode in ("mean", "draw"):
            us = loop_us(Task(b, noise=mode), archs)
            print(f"Python loop on {name} ({'enumerable' if b.enumerable else 'not enumerable, archs cached'}), "
                  f"noise={mode}: {us:.2f} us per evaluation over {len(archs)} archs")
            if not b.enumerable:  # the figure above replays archs the warm-up run cached; now first visits
                from strategies.simulator import simulate

                task = Task(b, noise=mode)
                t = time.perf_counter()
                simulate(Replay(archs, seed=0), task, max_evals=len(archs), noise_seed=1)
                us = (time.perf_counter() - t) / len(archs) * 1e6
                print(f"Python loop on {name}, first visit of every arch (encode + predict), noise={mode}: "
                      f"{us:.2f} us per evaluation")


if __name__ == "__main__":
    main()
