"""Size a comparison before it starts, and refuse what this machine cannot hold.

A comparison keeps every evaluation of every run in memory (histories, trajectories, regret curves)
and writes them out. Measured on nb201/cifar10 (``perf``-style, 10^6 evaluations of random search,
compiled path, with ``write_outputs``): about 340 bytes per evaluation at the peak, 150 without
writing; Python-path runs measured 123 bytes. :data:`BYTES_PER_EVAL` rounds the peak up.
"""

from __future__ import annotations

import math
import os

import numpy as np

from nasbench.errors import NasbenchError

__all__ = ["BYTES_PER_EVAL", "available_memory", "check_fits", "check_time_budget", "estimate_bytes",
           "evaluations_bound", "run_eval_limit"]

BYTES_PER_EVAL = 400
# share of the available memory one comparison may plan to use (the rest: the process, the OS, others)
_SHARE = 0.8


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation now (Linux ``MemAvailable``), or None if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def estimate_bytes(n_evals: int) -> int:
    """Peak memory of a comparison with ``n_evals`` evaluations in all, in bytes."""
    return BYTES_PER_EVAL * int(n_evals)


def check_fits(n_strategies: int, n_seeds: int, max_evals: int, *, available: int | None = None) -> int:
    """Raise when ``n_strategies x n_seeds x max_evals`` evaluations cannot fit in memory here.

    Parameters
    ----------
    n_strategies, n_seeds, max_evals : int
    available : int, optional
        Bytes available (default: :func:`available_memory`).

    Returns
    -------
    int
        The estimated peak in bytes.
    """
    n_evals = n_strategies * n_seeds * max_evals
    need = estimate_bytes(n_evals)
    have = available_memory() if available is None else available
    if have is not None and need > _SHARE * have:
        per_run = BYTES_PER_EVAL * n_strategies * max_evals
        fit_seeds = int(_SHARE * have // per_run) if per_run else 0
        fit_evals = int(_SHARE * have // (BYTES_PER_EVAL * n_strategies * n_seeds))
        split = (f"at most {fit_seeds} seeds (n_seeds, --seeds) per comparison with this budget"
                 if fit_seeds >= 2 else
                 f"a budget (max_evals, --budget) of at most {fit_evals} evaluations for {n_seeds} seeds")
        raise NasbenchError(
            f"this comparison needs about {_size(need)} of memory ({n_strategies} strategies x {n_seeds} seeds x "
            f"{max_evals} evaluations = {n_evals:.3g} evaluations, ~{BYTES_PER_EVAL} bytes each), but "
            f"{_size(have)} are available and one run may plan {_SHARE:.0%} of it. Split the work: {split}, or "
            "fewer strategies per run, on this machine.")
    return need


def evaluations_bound(task, n_workers: int, max_evals: int | None, max_time_s: float | None) -> int | None:
    """The most evaluations one run can complete: ``max_evals``, or under a time budget ``T`` on a table,
    ``n_workers * (ceil(T / c) + 1)`` with ``c`` the cheapest evaluation (every evaluation is charged its
    full cost). None when the costs are not known before the run (surrogates, live training).

    Raises
    ------
    NasbenchError
        A time budget alone on a table where some evaluation costs nothing (nothing bounds the run).
    """
    if max_time_s is None or not getattr(task, "enumerable", False):
        return max_evals
    cheapest = _cheapest(task)
    if cheapest <= 0.0:
        if max_evals is not None:
            return max_evals
        raise NasbenchError(f"a time budget alone (--time-budget {max_time_s:g}) cannot bound a run here: some "
                            "evaluations cost 0 simulated seconds; add an evaluation budget (--budget N).")
    bound = n_workers * (math.ceil(max_time_s / cheapest) + 1)
    return bound if max_evals is None else min(bound, max_evals)


def _cheapest(task) -> float:
    """Simulated seconds of the cheapest evaluation of an enumerable task, at any fidelity."""
    costs = np.concatenate([np.asarray(c, dtype=np.float64).ravel() for c in task.costs.values()])
    costs = costs[np.isfinite(costs)]
    return float(costs.min()) if costs.size else 0.0


def check_time_budget(task, n_strategies: int, n_seeds: int, n_workers: int, max_evals, max_time_s, *,
                      available: int | None = None) -> int | None:
    """Size a comparison with a time budget once its task (the costs) is known, before any run starts;
    raise like :func:`check_fits`, naming ``--time-budget``. Returns the bound on evaluations per run."""
    bound = evaluations_bound(task, n_workers, max_evals, max_time_s)
    if max_time_s is None or bound is None:
        return bound
    try:
        check_fits(n_strategies, n_seeds, bound, available=available)
    except NasbenchError:
        have = available_memory() if available is None else available
        per_run = _SHARE * have / (BYTES_PER_EVAL * n_strategies * n_seeds)  # evaluations one run may keep
        fit = _cheapest(task) * max(per_run / n_workers - 2, 0.0)  # then n_workers * (ceil(T/c) + 1) <= per_run
        if fit > 0:  # shown to 3 digits, rounded down so that the advice fits
            step = 10.0 ** (math.floor(math.log10(fit)) - 2)
            fit = math.floor(fit / step) * step
        raise NasbenchError(
            f"a time budget of {max_time_s:g} simulated s lets each run complete up to {bound:.3g} evaluations "
            f"(its cheapest evaluation costs {_cheapest(task):.3g} s, "
            f"{n_workers} worker(s)); {n_strategies} strategies x {n_seeds} seeds of that need about "
            f"{_size(estimate_bytes(n_strategies * n_seeds * bound))} of memory, but {_size(have)} are available "
            f"and one run may plan {_SHARE:.0%} of it. Split the work: a time budget (max_time_s, --time-budget) "
            f"of at most {fit:.3g} s, an evaluation budget as well (max_evals, --budget), or fewer seeds or "
            "strategies per run.") from None
    return bound


def run_eval_limit(n_jobs: int = 1) -> int:
    """Evaluations one run whose costs are not known in advance may complete before it is stopped with an
    error (its history must fit in its share of the memory); at least 10^5."""
    have = available_memory()
    if have is None:
        return 10**7
    return max(10**5, int(_SHARE * have / (BYTES_PER_EVAL * max(1, n_jobs))))


def _size(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024:
            return f"{int(n)} bytes" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.3g} TiB"
