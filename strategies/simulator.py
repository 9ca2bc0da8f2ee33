"""Asynchronous parallel workers on a simulated clock.

``n_workers`` workers evaluate proposals in parallel. At time 0 every worker gets a proposal (one
``ask`` each, worker 0 first). Then, repeatedly, the running evaluation that ends first (ties: the
lowest worker id) is told to the strategy and recorded, and its worker immediately gets the next
proposal, starting at that end time. An evaluation of arch ``a`` at fidelity ``f`` lasts
``task.costs[f][a]`` simulated seconds (:mod:`strategies.cost`); nothing sleeps.

Budgets: ``max_evals`` stops asking once that many evaluations were started (all of them finish
and are recorded); ``max_time_s`` stops asking at or after that simulated time and drops the
evaluations that would end after it. Give one or both.

The compiled fast paths (:mod:`strategies.fast`) follow exactly these rules.
"""

from __future__ import annotations

import math

from nasbench.errors import NasbenchError
from strategies.history import FIDELITY_NONE, History

__all__ = ["simulate", "check_budget"]


def check_budget(n_workers, max_evals, max_time_s) -> None:
    """Validate worker count and budgets; errors say what is expected."""
    if isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1:
        raise NasbenchError(f"n_workers must be an int >= 1; got {n_workers!r}.")
    if max_evals is None and max_time_s is None:
        raise NasbenchError("give a budget: max_evals (evaluations) and/or max_time_s (simulated seconds).")
    if max_evals is not None and (isinstance(max_evals, bool) or not isinstance(max_evals, int) or max_evals < 1):
        raise NasbenchError(f"max_evals must be an int >= 1; got {max_evals!r}.")
    if max_time_s is not None and not (isinstance(max_time_s, (int, float)) and not isinstance(max_time_s, bool)
                                       and math.isfinite(max_time_s) and max_time_s > 0):
        raise NasbenchError(f"max_time_s must be a finite number of seconds > 0; got {max_time_s!r}.")


def simulate(strategy, task, *, n_workers: int = 1, max_evals: int | None = None,
             max_time_s: float | None = None) -> History:
    """Run ``strategy`` on ``task`` with simulated asynchronous workers.

    Parameters
    ----------
    strategy : strategies.base.Strategy
        A fresh strategy (its fidelities are set here).
    task : strategies.task.Task
    n_workers : int, default 1
    max_evals : int, optional
    max_time_s : float, optional

    Returns
    -------
    History
        One row per completed evaluation, in completion order.

    Examples
    --------
    >>> task = Task(nasbench.load("nb201/cifar10"))                           # doctest: +SKIP
    >>> h = simulate(RegularizedEvolution(task.space, seed=0), task, max_evals=100)  # doctest: +SKIP
    """
    check_budget(n_workers, max_evals, max_time_s)
    strategy.set_fidelities(task.fidelities)
    values, costs = task.value_lists(), task.cost_lists()  # Python lists: faster scalar indexing
    index_of = task.index_of
    evals_cap = max_evals if max_evals is not None else math.inf
    time_cap = max_time_s if max_time_s is not None else math.inf
    fidelities = set(task.fidelities)
    out_a, out_f, out_w, out_s, out_e, out_v = [], [], [], [], [], []
    if n_workers == 1:
        return _sequential(strategy, values, costs, index_of, fidelities, evals_cap, time_cap)
    running = [None] * n_workers  # (end, arch, fidelity, index, start)
    n_started = 0

    def start(worker, now):
        nonlocal n_started
        arch, fidelity = strategy.ask()
        if fidelity not in fidelities:
            _bad_fidelity(strategy, fidelity, fidelities)
        index = index_of(arch)
        running[worker] = (now + costs[fidelity][index], arch, fidelity, index, now)
        n_started += 1

    for w in range(n_workers):
        if n_started < evals_cap and 0.0 < time_cap:
            start(w, 0.0)
    while True:
        worker, first = -1, None
        for w, job in enumerate(running):
            if job is not None and (first is None or job[0] < first[0]):
                worker, first = w, job
        if first is None:
            break
        end, arch, fidelity, index, begun = first
        if end > time_cap:
            break
        value = values[fidelity][index]
        strategy.tell(arch, fidelity, value)
        out_a.append(index)
        out_f.append(FIDELITY_NONE if fidelity is None else fidelity)
        out_w.append(worker)
        out_s.append(begun)
        out_e.append(end)
        out_v.append(value)
        running[worker] = None
        if n_started < evals_cap and end < time_cap:
            start(worker, end)
    return History.from_lists(out_a, out_f, out_w, out_s, out_e, out_v)


def _bad_fidelity(strategy, fidelity, fidelities):
    raise NasbenchError(
        f"{strategy.name} asked for fidelity {fidelity!r}; the task offers {sorted(fidelities, key=str)}."
    )


def _sequential(strategy, values, costs, index_of, fidelities, evals_cap, time_cap) -> History:
    """The one-worker case of :func:`simulate`, without the worker bookkeeping (same results)."""
    ask, tell = strategy.ask, strategy.tell
    out_a, out_f, out_s, out_e, out_v = [], [], [], [], []
    now = 0.0
    n_started = 0
    while n_started < evals_cap and now < time_cap:
        arch, fidelity = ask()
        if fidelity not in fidelities:
            _bad_fidelity(strategy, fidelity, fidelities)
        index = index_of(arch)
        end = now + costs[fidelity][index]
        n_started += 1
        if end > time_cap:
            break
        value = values[fidelity][index]
        tell(arch, fidelity, value)
        out_a.append(index)
        out_f.append(fidelity)
        out_s.append(now)
        out_e.append(end)
        out_v.append(value)
        now = end
    fid = [FIDELITY_NONE if f is None else f for f in out_f] if None in fidelities else out_f
    return History.from_lists(out_a, fid, [0] * len(out_a), out_s, out_e, out_v)
