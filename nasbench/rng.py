"""Seeds and random generators.

One root seed, explicit :class:`numpy.random.Generator` objects spawned from it, no global RNG.
Every stochastic component takes ``seed: int | Generator | None`` and converts it once with
:func:`as_generator`; independent streams come from :func:`spawn`.
"""

from __future__ import annotations

import numpy as np

from nasbench.checks import is_int
from nasbench.errors import NasbenchError

__all__ = ["as_generator", "child_int_seeds", "spawn"]

SeedLike = "int | np.random.Generator | np.random.SeedSequence | None"


def as_generator(seed=None) -> np.random.Generator:
    """Return a Generator for ``seed``.

    Parameters
    ----------
    seed : int, numpy.random.Generator, numpy.random.SeedSequence or None
        A Generator is returned as it is (it is shared, not copied); an int or SeedSequence seeds a
        new PCG64 Generator; None draws fresh entropy from the OS (not reproducible).
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, np.random.SeedSequence):
        return np.random.default_rng(seed)
    if not is_int(seed) or seed < 0:
        raise NasbenchError(
            f"seed must be a non-negative int, a numpy Generator, a SeedSequence or None; "
            f"got {seed!r} of type {type(seed).__name__}. Pass for example seed=0."
        )
    return np.random.default_rng(int(seed))


def spawn(seed, n: int) -> list[np.random.Generator]:
    """Spawn ``n`` independent Generators from one root ``seed``.

    With an int root seed the children are the same in every process, so results are reproducible.
    """
    if isinstance(seed, np.random.Generator):
        return list(seed.spawn(n))
    if isinstance(seed, np.random.SeedSequence):
        root = seed
    else:
        root = np.random.SeedSequence(as_generator_seed(seed))
    return [np.random.default_rng(child) for child in root.spawn(n)]


def child_int_seeds(root: int, n: int) -> list[int]:
    """Int seeds (0 <= seed < 2**32) of the ``n`` children ``SeedSequence(root).spawn(n)``.

    For code that takes an int seed rather than a Generator (a torch generator, a training job
    described in JSON); child ``i`` is the same in every process and for every ``n > i``.
    """
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in np.random.SeedSequence(root).spawn(n)]


def as_generator_seed(seed):
    """Validate an int-or-None root seed (as :func:`as_generator` does) and return it."""
    if seed is not None:
        as_generator(seed)
        return int(seed)
    return None
