"""Asynchronous parallel workers on a simulated clock.

``n_workers`` workers evaluate proposals in parallel. At time 0 every worker gets a proposal (one
``ask`` each, worker 0 first). Then, repeatedly, the running evaluation that ends first (ties: the
lowest worker id) is told to the strategy and recorded, and its worker immediately gets the next
proposal, starting at that end time. An evaluation of arch ``a`` at fidelity ``f`` lasts
``task.costs[f][a]`` simulated seconds (the benchmark's ``cost``); nothing sleeps.

Noise: with a task that draws outcomes (``Task(noise="draw")``, the default), the k-th *started*
evaluation takes uniform ``k`` of the run's noise stream, :func:`noise_seed_of` of the run's seed,
and the benchmark's outcome ``int(u * n)`` among the ``n`` outcomes the arch has. The stream is
independent of the strategy's own, so every strategy run with seed ``i`` sees the same uniforms
(common random numbers).

Budgets: ``max_evals`` stops asking once that many evaluations were started (all of them finish
and are recorded); ``max_time_s`` stops asking at or after that simulated time and drops the
evaluations that would end after it. Give one or both.

The compiled fast paths (:mod:`strategies.fast`) follow exactly these rules.
"""

from __future__ import annotations

import math

import numpy as np

from nasbench.checks import check_int, check_number, is_int
from nasbench.errors import NasbenchError
from nasbench.rng import child_seed
from strategies.history import FIDELITY_NONE, History

__all__ = ["simulate", "check_budget", "noise_seed_of", "NOISE_SPAWN_KEY"]

# spawn-key element that marks a run's noise stream (ASCII "nois"), beside the strategy's own stream
NOISE_SPAWN_KEY = 0x6E6F6973
_BLOCK = 256


def noise_seed_of(seed) -> np.random.SeedSequence:
    """The noise stream of a run whose strategy seed is ``seed``.

    ``SeedSequence(root, spawn_key=(i,))`` (seed ``i`` of a comparison) gives
    ``SeedSequence(root, spawn_key=(i, NOISE_SPAWN_KEY))``; an int ``s`` gives
    ``SeedSequence(s, spawn_key=(NOISE_SPAWN_KEY,))``; a Generator gives the same derived from the
    SeedSequence it was made from (its stream is not touched); None gives fresh OS entropy.
    """
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, np.random.Generator):
        seq = getattr(seed.bit_generator, "seed_seq", None)
        if isinstance(seq, np.random.SeedSequence):
            return noise_seed_of(seq)
    if isinstance(seed, np.random.SeedSequence):
        return child_seed(seed, NOISE_SPAWN_KEY)
    if not is_int(seed) or seed < 0:
        raise NasbenchError(
            f"the noise stream is spawned from the run's seed, which must be a non-negative int or a SeedSequence; "
            f"got {seed!r}. Pass noise_seed=..., or use Task(..., noise='mean') for noise-free means."
        )
    return child_seed(int(seed), NOISE_SPAWN_KEY)


class _NoiseStream:
    """Uniforms of a run's noise stream, drawn in blocks (the same sequence as one big draw)."""

    __slots__ = ("_rng", "_buf", "_pos")

    def __init__(self, seed):
        self._rng = np.random.default_rng(seed)
        self._buf: list = []
        self._pos = 0

    def next(self) -> float:
        if self._pos >= len(self._buf):
            self._buf = self._rng.random(_BLOCK).tolist()
            self._pos = 0
        u = self._buf[self._pos]
        self._pos += 1
        return u


def _evaluator(task, noise_seed):
    """A function (arch, fidelity) -> (index, value, cost) for one run; draws its noise uniforms."""
    stream = _NoiseStream(noise_seed) if task.noise == "draw" else None
    if not task.enumerable:
        evaluate = task.evaluate

        def evaluate_any(arch, fidelity):
            u = stream.next() if stream is not None else 0.0
            value, cost = evaluate(arch, fidelity, u)
            return -1, value, cost

        return evaluate_any
    index_of, costs = task.index_of, task.cost_lists()
    if stream is None:
        values = task.value_lists()

        def evaluate_mean(arch, fidelity):
            index = index_of(arch)
            return index, values[fidelity][index], costs[fidelity][index]

        return evaluate_mean
    outcomes = task.outcome_lists()
    draw = stream.next

    def evaluate_draw(arch, fidelity):
        index = index_of(arch)
        options = outcomes[fidelity][index]
        n = len(options)
        k = int(draw() * n)
        return index, options[k if k < n else n - 1], costs[fidelity][index]

    return evaluate_draw


def check_budget(n_workers, max_evals, max_time_s) -> None:
    """Validate worker count and budgets; errors say what is expected."""
    check_int("n_workers", n_workers, 1)
    if max_evals is None and max_time_s is None:
        raise NasbenchError("give a budget: max_evals (evaluations) and/or max_time_s (simulated seconds).")
    if max_evals is not None:
        check_int("max_evals", max_evals, 1)
    if max_time_s is not None:
        check_number("max_time_s", max_time_s, 0, low_open=True, hint="It counts simulated seconds.")


def simulate(strategy, task, *, n_workers: int = 1, max_evals: int | None = None,
             max_time_s: float | None = None, noise_seed=None) -> History:
    """Run ``strategy`` on ``task`` with simulated asynchronous workers.

    Parameters
    ----------
    strategy : strategies.base.Strategy
        A fresh strategy (its fidelities are set here).
    task : strategies.task.Task
    n_workers : int, default 1
    max_evals : int, optional
    max_time_s : float, optional
    noise_seed : int or SeedSequence, optional
        Seed of the run's noise stream (tasks with ``noise="draw"``); default
        :func:`noise_seed_of` of the strategy's seed.

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
    sign = getattr(task, "search_sign", 1.0)
    if task.noise == "draw" and noise_seed is None:
        noise_seed = noise_seed_of(strategy.seed)
    evaluate = _evaluator(task, noise_seed)
    evals_cap = max_evals if max_evals is not None else math.inf
    time_cap = max_time_s if max_time_s is not None else math.inf
    guard = None
    if max_evals is None and not task.enumerable:  # costs unknown before the run: stop before memory runs out
        from strategies._limits import run_eval_limit

        guard = evals_cap = run_eval_limit()
    fidelities = set(task.fidelities)
    keep_archs = not task.enumerable
    if n_workers == 1:
        return _guarded(_sequential(strategy, evaluate, fidelities, evals_cap, time_cap, keep_archs, sign), guard,
                        max_time_s)
    return _guarded(_parallel(strategy, evaluate, fidelities, evals_cap, time_cap, keep_archs, sign, n_workers),
                    guard, max_time_s)


def _guarded(history: History, guard, max_time_s) -> History:
    """``history``, unless the run stopped at the memory guard rather than at its time budget."""
    if guard is not None and len(history) >= guard:
        raise NasbenchError(
            f"a run with a time budget of {max_time_s:g} simulated s reached {guard} evaluations, the most this "
            "machine's memory holds for one run (its evaluations cost less than the budget expected); give an "
            "evaluation budget as well (max_evals, --budget) or a smaller time budget (--time-budget).")
    return history


def _parallel(strategy, evaluate, fidelities, evals_cap, time_cap, keep_archs, sign, n_workers) -> History:
    """The several-worker case of :func:`simulate`: asynchronous workers on the simulated clock."""
    out_a, out_f, out_w, out_s, out_e, out_v, out_arch = [], [], [], [], [], [], []
    running = [None] * n_workers  # (end, arch, fidelity, index, start, value)
    n_started = 0

    def start(worker, now):
        nonlocal n_started
        arch, fidelity = strategy.ask()
        if fidelity not in fidelities:
            _bad_fidelity(strategy, fidelity, fidelities)
        index, value, cost = evaluate(arch, fidelity)
        running[worker] = (now + cost, arch, fidelity, index, now, value)
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
        end, arch, fidelity, index, begun, value = first
        if end > time_cap:
            break
        strategy.tell(arch, fidelity, value if sign > 0 else -value)
        if keep_archs:
            out_arch.append(arch)
        out_a.append(index)
        out_f.append(FIDELITY_NONE if fidelity is None else fidelity)
        out_w.append(worker)
        out_s.append(begun)
        out_e.append(end)
        out_v.append(value)
        running[worker] = None
        if n_started < evals_cap and end < time_cap:
            start(worker, end)
    return History.from_lists(out_a, out_f, out_w, out_s, out_e, out_v, archs=out_arch if keep_archs else None)


def _bad_fidelity(strategy, fidelity, fidelities):
    raise NasbenchError(
        f"{strategy.name} asked for fidelity {fidelity!r}; the task offers {sorted(fidelities, key=str)}."
    )


def _sequential(strategy, evaluate, fidelities, evals_cap, time_cap, keep_archs, sign=1.0) -> History:
    """The one-worker case of :func:`simulate`, without the worker bookkeeping (same results)."""
    ask, tell = strategy.ask, strategy.tell
    out_a, out_f, out_s, out_e, out_v, out_arch = [], [], [], [], [], []
    now = 0.0
    n_started = 0
    while n_started < evals_cap and now < time_cap:
        arch, fidelity = ask()
        if fidelity not in fidelities:
            _bad_fidelity(strategy, fidelity, fidelities)
        index, value, cost = evaluate(arch, fidelity)
        end = now + cost
        n_started += 1
        if end > time_cap:
            break
        tell(arch, fidelity, value if sign > 0 else -value)
        out_a.append(index)
        out_f.append(fidelity)
        out_s.append(now)
        out_e.append(end)
        out_v.append(value)
        if keep_archs:
            out_arch.append(arch)
        now = end
    fid = [FIDELITY_NONE if f is None else f for f in out_f] if None in fidelities else out_f
    return History.from_lists(out_a, fid, [0] * len(out_a), out_s, out_e, out_v,
                              archs=out_arch if keep_archs else None)
