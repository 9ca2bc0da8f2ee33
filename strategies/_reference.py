"""Plain-Python reference twin of :func:`strategies._kernels.run_many`.

The reference is the real thing: the Python ask/tell classes run by
:func:`strategies.simulator.simulate`. Tests compare :func:`strategies.fast.run_fast` with
:func:`run_many` seed by seed, bit for bit.
"""

from __future__ import annotations

from strategies.registry import make_strategy
from strategies.simulator import simulate

__all__ = ["run_many"]


def run_many(name, task, seeds, *, params=None, n_workers=1, max_evals=None, max_time_s=None):
    """Same signature and result as :func:`strategies.fast.run_fast`, via the Python classes."""
    return [
        simulate(make_strategy(name, task.space, seed=s, **(params or {})), task,
                 n_workers=n_workers, max_evals=max_evals, max_time_s=max_time_s)
        for s in seeds
    ]
