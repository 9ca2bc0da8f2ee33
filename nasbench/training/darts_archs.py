"""DARTS genotypes as compact codes and arrays, and reproducible uniform samples of distinct ones.

The generation job (:mod:`nasbench.training.generate`) stores its arch list in the build folder's
``config.json`` and its chunk files hold only numeric arrays, so a genotype needs two plain forms:

* a **code**: 32 decimal digits, ``src op`` for each of the 8 pairs of the normal cell, then the 8
  of the reduction cell (a node index is at most 5 and an op index at most 6, one digit each);
  ``"0301..."`` means pair 0 reads node 0 through op 3, pair 1 reads node 0 through op 1, ...
* an **array**: int8 of shape (2, 8, 2), ``[cell, pair, (src, op)]``.

Both keep the pair order as given (not the canonical key), so a genotype round-trips exactly.
No torch here: these are used by ``nasbench generate --status`` and by loaders.
"""

from __future__ import annotations

import numpy as np

from nasbench.checks import check_int
from nasbench.errors import InvalidArchError, NasbenchError
from nasbench.rng import as_generator
from nasbench.spaces.darts import N_PAIRS, DARTSArch, DARTSSpace

__all__ = ["arch_code", "arch_from_code", "archs_to_array", "archs_from_array", "sample_distinct"]

CODE_LENGTH = 4 * N_PAIRS


def arch_code(arch: DARTSArch) -> str:
    """The 32-digit code of ``arch`` (see the module docstring)."""
    if not isinstance(arch, DARTSArch):
        raise InvalidArchError(f"expected a DARTSArch; got {type(arch).__name__}.")
    return "".join(f"{src}{op}" for cell in arch.cells() for src, op in cell)


def arch_from_code(code: str) -> DARTSArch:
    """Parse a 32-digit code back into a :class:`DARTSArch` (validated by the space)."""
    if not isinstance(code, str) or len(code) != CODE_LENGTH or not code.isdigit():
        raise InvalidArchError(f"a DARTS arch code is {CODE_LENGTH} decimal digits (src, op per pair, normal then "
                               f"reduce); got {code!r}.")
    digits = [int(ch) for ch in code]
    pairs = [(digits[i], digits[i + 1]) for i in range(0, CODE_LENGTH, 2)]
    return DARTSArch(pairs[:N_PAIRS], pairs[N_PAIRS:])


def archs_to_array(archs) -> np.ndarray:
    """int8 array of shape (n, 2, 8, 2): ``[arch, cell, pair, (src, op)]``."""
    out = np.zeros((len(archs), 2, N_PAIRS, 2), dtype=np.int8)
    for i, arch in enumerate(archs):
        out[i] = np.asarray(arch.cells(), dtype=np.int8)
    return out


def archs_from_array(array) -> list[DARTSArch]:
    """Inverse of :func:`archs_to_array` (each genotype validated)."""
    array = np.asarray(array)
    if array.ndim != 4 or array.shape[1:] != (2, N_PAIRS, 2) or array.dtype.kind not in "iu":
        raise NasbenchError(f"expected an int array of shape (n, 2, {N_PAIRS}, 2); got {array.dtype} {array.shape}.")
    return [DARTSArch([tuple(p) for p in a[0].tolist()], [tuple(p) for p in a[1].tolist()]) for a in array]


def sample_distinct(n: int, seed: int, exclude=()) -> list[DARTSArch]:
    """``n`` uniformly drawn DARTS genotypes with distinct canonical keys, none in ``exclude``.

    Draws with :meth:`DARTSSpace.sample` (NB301's uniform sampler) from
    ``numpy.random.default_rng(seed)`` and skips repeats, so the list is a prefix-stable function
    of ``seed``: asking for more archs extends it.

    Parameters
    ----------
    n : int
        At least 1.
    seed : int
    exclude : iterable of DARTSArch
        Genotypes to leave out (e.g. a held-out set).

    Returns
    -------
    list of DARTSArch, length n
    """
    n = check_int("n", n, 1)
    space, rng = DARTSSpace(), as_generator(seed)  # default_rng(seed) for an int seed, a clear error otherwise
    seen = {a.key for a in exclude}
    out = []
    while len(out) < n:
        arch = space.sample(rng)
        if arch.key not in seen:
            seen.add(arch.key)
            out.append(arch)
    return out
