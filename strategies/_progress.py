"""A progress bar for ``nasbench compare`` on stderr: strategies and seeds done, elapsed and time left.

:class:`ProgressBar` is the ``progress`` callable of :func:`strategies.compare.run_compare`: called
with a line, it prints the line (``compare: ...``); ``plan(strategies, n_seeds)`` and
``advance(strategy, n_seeds)`` move the bar. On a terminal the bar is redrawn in place (at most
``min_interval_s`` apart); elsewhere (logs, CI) it prints a plain line when a strategy finishes and at
every tenth of the work, so a log stays short.

Time left is extrapolated from the seeds done so far, weighted by each strategy's
``relative_cost`` where it is known (Python strategies that fit a model cost far more per seed than
compiled ones, and finish at different times).
"""

from __future__ import annotations

import sys
import time

__all__ = ["ProgressBar", "format_seconds"]

_WIDTH = 24


def format_seconds(seconds: float) -> str:
    """``75.2`` -> ``"1:15"``; ``3725`` -> ``"1:02:05"``."""
    s = int(round(max(seconds, 0.0)))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class ProgressBar:
    """Strategies x seeds progress on a text stream.

    Parameters
    ----------
    stream : file-like, default sys.stderr
    prefix : str, default "compare"
    min_interval_s : float, default 0.2
        Shortest time between two redraws on a terminal.
    clock : callable, default time.perf_counter
        Seconds (injectable for tests).
    weights : callable(str) -> float, optional
        Relative cost of one seed of a strategy (default: 1 for every strategy).
    """

    def __init__(self, stream=None, *, prefix: str = "compare", min_interval_s: float = 0.2,
                 clock=time.perf_counter, weights=None):
        self.stream = stream if stream is not None else sys.stderr
        self.prefix = prefix
        self.min_interval_s = float(min_interval_s)
        self.clock = clock
        self.weights = weights or (lambda name: 1.0)
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.total: dict = {}
        self.done: dict = {}
        self._w: dict = {}
        self.t0 = clock()
        self._last_draw = -1e300
        self._last_tenth = 0
        self._drawn = False

    # -- the progress callable: one line per event
    def __call__(self, line: str) -> None:
        self._clear()
        print(f"{self.prefix}: {line}", file=self.stream, flush=True)
        if self.total:
            self._draw(force=True)

    def plan(self, strategies, n_seeds: int) -> None:
        """Start counting: every strategy in ``strategies`` runs ``n_seeds`` seeds."""
        self.total = {s: int(n_seeds) for s in strategies}
        self.done = {s: 0 for s in strategies}
        self._w = {s: max(float(self.weights(s)), 1e-9) for s in strategies}
        self.t0 = self.clock()
        self._draw(force=True)

    def advance(self, strategy: str, n_seeds: int = 1) -> None:
        """``n_seeds`` more seeds of ``strategy`` are done."""
        if strategy not in self.total:
            return
        self.done[strategy] = min(self.total[strategy], self.done[strategy] + int(n_seeds))
        finished = self.done[strategy] == self.total[strategy]
        self._draw(force=finished, strategy_finished=strategy if finished else None)

    def close(self) -> None:
        """End the bar's line (terminal) so later output starts on a new line."""
        if self._drawn and self.tty:
            print(file=self.stream, flush=True)
        self._drawn = False

    # -- figures
    def fraction(self) -> float:
        """Share of the (weighted) work done, 0..1."""
        total = sum(self._w[s] * n for s, n in self.total.items())
        return sum(self._w[s] * n for s, n in self.done.items()) / total if total else 1.0

    def seconds_left(self) -> float | None:
        """Time left extrapolated from the work done so far; None before the first seed."""
        f = self.fraction()
        if f <= 0:
            return None
        return (self.clock() - self.t0) * (1.0 - f) / f

    def text(self) -> str:
        """One line: bar, strategies done, seeds done, elapsed and time left."""
        n_strat = sum(1 for s in self.total if self.done[s] == self.total[s])
        seeds, total = sum(self.done.values()), sum(self.total.values())
        f = self.fraction()
        filled = int(round(f * _WIDTH))
        left = self.seconds_left()
        eta = "?" if left is None else format_seconds(left)
        running = [s for s in self.total if 0 < self.done[s] < self.total[s]]
        now = f", running {', '.join(running[:3])}{'...' if len(running) > 3 else ''}" if running else ""
        return (f"{self.prefix}: [{'#' * filled}{'.' * (_WIDTH - filled)}] {100 * f:3.0f}%  strategies "
                f"{n_strat}/{len(self.total)}, seeds {seeds}/{total}, {format_seconds(self.clock() - self.t0)} "
                f"elapsed, {eta} left{now}")

    # -- drawing
    def _clear(self) -> None:
        if self._drawn and self.tty:
            self.stream.write("\r\033[K")
            self._drawn = False

    def _draw(self, force: bool = False, strategy_finished: str | None = None) -> None:
        now = self.clock()
        if self.tty:
            if not force and now - self._last_draw < self.min_interval_s:
                return
            self.stream.write("\r\033[K" + self.text())
            self.stream.flush()
            self._drawn = True
            self._last_draw = now
            return
        tenth = int(self.fraction() * 10)
        if strategy_finished is not None or tenth > self._last_tenth or (force and not self._drawn):
            self._last_tenth = max(tenth, self._last_tenth)
            print(self.text() + (f" ({strategy_finished} done)" if strategy_finished else ""),
                  file=self.stream, flush=True)
            self._drawn = True
