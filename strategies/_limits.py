"""Size a comparison before it starts, and refuse what this machine cannot hold.

A comparison keeps every evaluation of every run in memory (histories, trajectories, regret curves)
and writes them out. Measured on nb201/cifar10 (``perf``-style, 10^6 evaluations of random search,
compiled path, with ``write_outputs``): about 340 bytes per evaluation at the peak, 150 without
writing; Python-path runs measured 123 bytes. :data:`BYTES_PER_EVAL` rounds the peak up.
"""

from __future__ import annotations

import os

from nasbench.errors import NasbenchError

__all__ = ["BYTES_PER_EVAL", "available_memory", "check_fits", "estimate_bytes"]

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


def _size(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024:
            return f"{int(n)} bytes" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.3g} TiB"
