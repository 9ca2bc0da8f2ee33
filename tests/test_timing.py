"""nasbench.timing: the stopwatch and the repeated-call timer used for latencies."""

import time

import numpy as np

from nasbench.timing import Stopwatch, call_times_ms


def test_stopwatch_counts_wall_and_cpu_and_restarts():
    clock = Stopwatch()
    time.sleep(0.02)
    assert clock.wall_s >= 0.02
    assert clock.cpu_s < clock.wall_s  # sleeping costs no CPU
    assert clock.restart().wall_s < 0.02


def test_call_times_ms_warms_up_untimed_and_syncs_around_each_timed_call():
    events = []
    times = call_times_ms(lambda: (events.append("call"), time.sleep(0.005)), warmup=2, repeats=3,
                          sync=lambda: events.append("sync"))
    assert times.shape == (3,) and times.dtype == np.float64 and np.all(times >= 5.0)
    assert events == ["call", "call", "sync"] + ["sync", "call", "sync"] * 3
    assert call_times_ms(lambda: None, warmup=0, repeats=0).shape == (0,)
