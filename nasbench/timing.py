"""One stopwatch for wall and CPU seconds.

Wall time is :func:`time.perf_counter` (monotonic, the finest clock); CPU time is
:func:`time.process_time` (this process, all its threads, sleep excluded). Latencies of forward
passes have their own timer beside the network code (:func:`nasbench.training.trainer.forward_times_ms`).
Base layer: standard library only.
"""

from __future__ import annotations

import time

__all__ = ["Stopwatch"]


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
