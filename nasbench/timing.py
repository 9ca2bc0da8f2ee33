"""Clocks: one stopwatch for wall and CPU seconds, one timer of repeated calls (latencies).

Wall time is :func:`time.perf_counter` (monotonic, the finest clock); CPU time is
:func:`time.process_time` (this process, all its threads, sleep excluded). Nothing here knows torch:
a device is waited for through the ``sync`` callable the caller passes (``torch.cuda.synchronize``),
and the caller chooses the grad mode. Base layer: standard library and numpy only.
"""

from __future__ import annotations

import time

import numpy as np

__all__ = ["Stopwatch", "call_times_ms"]


class Stopwatch:
    """Seconds since it was made (or last :meth:`restart`): ``wall_s`` and ``cpu_s``.

    Examples
    --------
    >>> clock = Stopwatch()
    >>> clock.wall_s >= 0.0 and clock.cpu_s >= 0.0
    True
    """

    __slots__ = ("_wall0", "_cpu0")

    def __init__(self):
        self.restart()

    def restart(self) -> Stopwatch:
        """Start counting again from now; returns self."""
        self._wall0, self._cpu0 = time.perf_counter(), time.process_time()
        return self

    @property
    def wall_s(self) -> float:
        """Wall-clock seconds elapsed."""
        return time.perf_counter() - self._wall0

    @property
    def cpu_s(self) -> float:
        """CPU seconds this process spent (every thread)."""
        return time.process_time() - self._cpu0


def call_times_ms(call, *, warmup: int, repeats: int, sync=None) -> np.ndarray:
    """Wall-clock milliseconds of ``repeats`` calls of ``call()`` after ``warmup`` untimed ones.

    Parameters
    ----------
    call : callable
        Called with no argument (a forward pass of a network on a fixed input).
    warmup, repeats : int
        Untimed calls first (caches, allocator, lazy initialisation), then timed ones; >= 0.
    sync : callable, optional
        Waits for an asynchronous device; called after the warm-up and before and after each
        timed call, so that each time covers the whole of its call and nothing else.

    Returns
    -------
    numpy.ndarray
        Shape ``(repeats,)``, float64, ms.
    """
    sync = sync or (lambda: None)
    for _ in range(warmup):
        call()
    sync()
    times = np.empty(repeats, dtype=np.float64)
    for i in range(repeats):
        sync()
        start = time.perf_counter()
        call()
        sync()
        times[i] = (time.perf_counter() - start) * 1e3
    return times
