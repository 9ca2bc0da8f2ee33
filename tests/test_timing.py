"""nasbench.timing: the stopwatch."""

import time

from nasbench.timing import Stopwatch


def test_stopwatch_counts_wall_and_cpu_and_restarts():
    clock = Stopwatch()
    time.sleep(0.02)
    assert clock.wall_s >= 0.02
    assert clock.cpu_s < clock.wall_s  # sleeping costs no CPU
    assert clock.restart().wall_s < 0.02
