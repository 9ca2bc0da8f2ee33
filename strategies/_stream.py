"""The uniform stream: the one way cheap strategies turn a Generator into random choices.

Regularized evolution, random search and local search have compiled fast paths
(:mod:`strategies._kernels`) that must make exactly the same choices as their Python ask/tell
versions for the same seed. Both paths therefore consume the same numbers in the same order:

* the numbers are the float64 draws of the strategy's :class:`numpy.random.Generator`,
  ``u_0, u_1, ...`` (``Generator.random``; drawing them in blocks of any size gives the same
  sequence, so the Python side buffers them and the fast path draws them all up front);
* an integer in ``[low, high)`` is ``low + int(u * (high - low))`` for the next ``u`` (floor of a
  53-bit uniform; the bias is below 2**-40 for the ranges used here);
* a shuffle is Fisher-Yates from the last position down: ``j = int(u * (i + 1))`` for
  ``i = n-1, ..., 1``.

:class:`UniformStream` offers the ``integers`` / ``random`` subset of the Generator interface that
search spaces use in ``sample(rng)`` and ``mutate(arch, rng)``, so a strategy passes it where a
Generator is expected and the space's own code makes the choice.
"""

from __future__ import annotations

import numpy as np

__all__ = ["UniformStream"]

_BLOCK = 512


class UniformStream:
    """Generator-like source of choices driven by the float64 draws of one Generator.

    Parameters
    ----------
    generator : numpy.random.Generator
        Owned by the caller's strategy; nothing else should draw from it.

    Attributes
    ----------
    n_used : int
        Number of uniforms consumed so far (the fast path checks its budget of draws with it).
    """

    __slots__ = ("_generator", "_buffer", "_pos", "n_used")

    def __init__(self, generator: np.random.Generator):
        self._generator = generator
        self._buffer: list[float] = []
        self._pos = 0
        self.n_used = 0

    def random(self, size=None):
        """Next uniform in [0, 1) (a float), or an array of ``size`` of them."""
        if size is None:
            return self._next()
        n = int(np.prod(size))
        return np.array([self._next() for _ in range(n)], dtype=np.float64).reshape(size)

    def _next(self) -> float:
        pos = self._pos
        if pos >= len(self._buffer):
            self._buffer = self._generator.random(_BLOCK).tolist()
            pos = 0
        self._pos = pos + 1
        self.n_used += 1
        return self._buffer[pos]

    def integers(self, low, high=None, size=None):
        """Integers in ``[low, high)`` (or ``[0, low)``), numpy-style; one uniform per integer."""
        if high is None:
            low, high = 0, low
        span = high - low
        if size is None:
            return low + int(self._next() * span)
        n = size if isinstance(size, int) else int(np.prod(size))
        pos, buffer = self._pos, self._buffer
        if pos + n <= len(buffer):  # fast path: slice the buffer
            draws = buffer[pos:pos + n]
            self._pos = pos + n
            self.n_used += n
        else:
            draws = [self._next() for _ in range(n)]
        out = np.array([low + int(u * span) for u in draws], dtype=np.int64)
        return out if isinstance(size, int) else out.reshape(size)

    def shuffle(self, items: list) -> None:
        """Shuffle ``items`` in place (Fisher-Yates, last position first; ``len - 1`` uniforms)."""
        for i in range(len(items) - 1, 0, -1):
            j = int(self._next() * (i + 1))
            items[i], items[j] = items[j], items[i]
