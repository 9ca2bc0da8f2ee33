"""Seeds and random generators.

One root seed, explicit :class:`numpy.random.Generator` objects spawned from it, no global RNG.
Every stochastic component takes ``seed: int | Generator | None`` and converts it once with
:func:`as_generator`; independent streams come from :func:`spawn`.
"""

from __future__ import annotations

import numpy as np

from nasbench.checks import is_int
from nasbench.errors import NasbenchError

__all__ = ["as_generator", "child_int_seeds", "child_seed", "child_seeds", "spawn"]

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


def child_seed(root, *key: int) -> np.random.SeedSequence:
    """The child of ``root`` at ``key``: ``SeedSequence(root, spawn_key=key)``.

    The one way a stream is derived from a root seed. With one key ``i`` it is child ``i`` of
    ``SeedSequence(root).spawn(n)`` (for every ``n > i``); ``child_seed(root, i, j)`` is child ``j`` of
    that child's own ``spawn``. A constant key (``0x626F6F74``, "boot") names a stream of its own
    beside the numbered ones. A SeedSequence ``root`` has ``key`` appended to its own spawn key.
    A fresh object every call, so nothing one user spawns from it moves another's children.

    Parameters
    ----------
    root : int or numpy.random.SeedSequence
        The root seed (a non-negative int).
    *key : int
        The path from the root to the child.
    """
    if isinstance(root, np.random.SeedSequence):
        return np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, *key))
    return np.random.SeedSequence(as_generator_seed(root), spawn_key=key)


def child_seeds(root, n: int) -> list[np.random.SeedSequence]:
    """``[child_seed(root, i) for i in range(n)]``, the children ``SeedSequence(root).spawn(n)``."""
    return [child_seed(root, i) for i in range(n)]


def child_int_seeds(root: int, n: int) -> list[int]:
    """Int seeds (0 <= seed < 2**32) of the ``n`` children ``SeedSequence(root).spawn(n)``.

    For code that takes an int seed rather than a Generator (a torch generator, a training job
    described in JSON); child ``i`` is the same in every process and for every ``n > i``.
    """
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in child_seeds(root, n)]


def as_generator_seed(seed):
    """Validate an int-or-None root seed (as :func:`as_generator` does) and return it."""
    if seed is not None:
        as_generator(seed)
        return int(seed)
    return None
