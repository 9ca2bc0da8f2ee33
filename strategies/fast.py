"""Many seeds of a cheap strategy inside compiled code (:mod:`strategies._kernels`).

Available for ``random_search``, ``regularized_evolution`` and ``local_search`` on NB201-indexed
spaces. :func:`run_fast` returns exactly the :class:`History` that
:func:`strategies.simulator.simulate` gives for the Python class with the same seed: each seed's
Generator is drawn once up front (``Generator.random(n)``), and the kernel uses those uniforms as
the Python stream does (:mod:`strategies._stream`). If a run needs more uniforms or rows than
estimated, that seed is re-run with twice as many (the first ``n`` draws never change).
"""

from __future__ import annotations

import math

import numpy as np

from nasbench.rng import as_generator
from strategies.history import FIDELITY_NONE, History
from strategies.simulator import check_budget, noise_seed_of

__all__ = ["FAST_STRATEGIES", "supports_fast", "run_fast"]

FAST_STRATEGIES = {"random_search": 0, "regularized_evolution": 1, "local_search": 2}
_NO_LIMIT = 2**62
_CHUNK = 128


def supports_fast(name: str, task) -> bool:
    """True when ``name`` has a compiled twin for ``task``'s space."""
    from nasbench.spaces.nb201 import NB201Space

    return name in FAST_STRATEGIES and task.enumerable and isinstance(task.space, NB201Space)


def _space_arrays():
    from nasbench.spaces.nb201 import N_OPS, _index_of_code, ops_table

    return np.ascontiguousarray(ops_table()), np.ascontiguousarray(_index_of_code()), N_OPS


def _uniforms_per_eval(kind: int, n_edges: int, sample_size: int) -> int:
    """First guess of uniforms per evaluation (exact bound for random search and evolution; local
    search's shuffles vary, and a seed that runs out is re-run with twice as many)."""
    return n_edges + sample_size + 2 + (8 if kind == 2 else 0)


def run_fast(name: str, task, seeds, *, params: dict | None = None, n_workers: int = 1,
             max_evals: int | None = None, max_time_s: float | None = None) -> list[History]:
    """Run strategy ``name`` once per seed in compiled code.

    Parameters
    ----------
    name : {"random_search", "regularized_evolution", "local_search"}
    task : strategies.task.Task
    seeds : sequence of int / SeedSequence
        One run per seed; the strategy's Generator is ``nasbench.rng.as_generator(seed)`` and, on a
        task that draws outcomes, the noise stream is ``noise_seed_of(seed)`` (as in ``simulate``).
    params : dict, optional
        ``population_size`` and ``sample_size`` for regularized evolution (validated by the class).
    n_workers, max_evals, max_time_s : see :func:`strategies.simulator.simulate`

    Returns
    -------
    list of History, one per seed
    """
    from strategies import _kernels
    from strategies.registry import make_strategy

    check_budget(n_workers, max_evals, max_time_s)
    params = dict(params or {})
    proto = make_strategy(name, task.space, seed=0, **params)  # validates params
    pop_size = getattr(proto, "population_size", 1)
    sample_size = getattr(proto, "sample_size", 1)
    kind = FAST_STRATEGIES[name]
    ops_table, index_of_code, n_ops = _space_arrays()
    fidelity = task.search_fidelity
    sign = getattr(task, "search_sign", 1.0)  # the kernels maximise: a lower-is-better metric goes in negated
    draws = np.ascontiguousarray(task.draws[fidelity] * sign, dtype=np.float64)
    costs = np.ascontiguousarray(task.costs[fidelity], dtype=np.float64)
    n_edges = ops_table.shape[1]
    rows = max_evals if max_evals is not None else int(
        min(max_time_s / max(float(costs.min()), 1e-12) * n_workers + n_workers, 10**7))
    if max_evals is not None and max_time_s is not None:
        rows = min(rows, int(max_time_s / max(float(costs.min()), 1e-12) * n_workers + n_workers))
    rows = max(rows, 1)
    n_uniforms = rows * _uniforms_per_eval(kind, n_edges, sample_size) + 64
    seeds = list(seeds)
    out: list[History | None] = [None] * len(seeds)
    todo = list(range(len(seeds)))
    while todo:
        retry = []
        for c in range(0, len(todo), _CHUNK):
            chunk = todo[c:c + _CHUNK]
            u = np.empty((len(chunk), n_uniforms))
            noise_u = np.zeros((len(chunk), rows + n_workers))
            for r, s in enumerate(chunk):
                u[r] = as_generator(seeds[s]).random(n_uniforms)
                if task.noise == "draw":
                    noise_u[r] = np.random.default_rng(noise_seed_of(seeds[s])).random(rows + n_workers)
            o_idx = np.empty((len(chunk), rows), dtype=np.int64)
            o_w = np.empty((len(chunk), rows), dtype=np.int64)
            o_s = np.empty((len(chunk), rows))
            o_e = np.empty((len(chunk), rows))
            o_v = np.empty((len(chunk), rows))
            n_done = np.empty(len(chunk), dtype=np.int64)
            n_used = np.empty(len(chunk), dtype=np.int64)
            _kernels.run_many(kind, ops_table, index_of_code, n_ops, draws, costs, u, noise_u, n_workers,
                              _NO_LIMIT if max_evals is None else max_evals,
                              math.inf if max_time_s is None else float(max_time_s),
                              pop_size, sample_size, o_idx, o_w, o_s, o_e, o_v, n_done, n_used)
            for r, s in enumerate(chunk):
                d = int(n_done[r])
                if d < 0:
                    retry.append(s)
                    continue
                idx = o_idx[r, :d].copy()
                out[s] = History(idx, np.full(d, FIDELITY_NONE if fidelity is None else fidelity, dtype=np.int64),
                                 o_w[r, :d].copy(), o_s[r, :d].copy(), o_e[r, :d].copy(), o_v[r, :d] * sign)
        todo = retry
        n_uniforms *= 2
        if max_evals is None:
            rows *= 2
    return out
