"""Reading the public formats that are pickles, without running code from them.

A pickle names the functions it calls (``GLOBAL`` / ``STACK_GLOBAL`` opcodes), so unpickling an
arbitrary file runs arbitrary code: a ``__reduce__`` payload in a file handed to an importer would
run as the user. Every pickle nasbench reads goes through :class:`RestrictedUnpickler`, which
resolves only an explicit allow-list of ``(module, name)`` pairs, the ones the published files
use, and refuses everything else, persistent ids (torch tensors) included. The readers below also
compare the bytes with the sha256 of the known published file, so a differing file is named in the
log; either way only allow-listed types are ever built.

Allow-lists:

* :data:`PLAIN`: lists, dicts, numbers and strings (HELP's latency lists in ``.pt`` archives);
* :data:`NUMPY_ARRAYS`: plus numpy arrays (the CIFAR-10 python batches);
* :data:`PANDAS_FRAME`: plus the pandas classes a ``DataFrame`` of numbers and strings pickles to
  (``arch_score_acc.pd``, ``mini-bench-arch-cell-accs.pd``).
"""

from __future__ import annotations

import hashlib
import importlib
import io
import pickle
from pathlib import Path

from nasbench.errors import DataIntegrityError

__all__ = ["RestrictedUnpickler", "loads", "load_file", "PLAIN", "NUMPY_ARRAYS", "PANDAS_FRAME",
           "PUBLISHED_SHA256", "MAX_PICKLE_BYTES"]

# The largest pickled public file is 2.3 MB (a CIFAR-10 batch is 31 MB); refuse before reading more.
MAX_PICKLE_BYTES = 256 << 20
# Arrays a pickle may ask numpy to allocate before filling them from its own bytes.
_MAX_ARRAY_BYTES = 1 << 31

PLAIN = frozenset({("builtins", "list"), ("builtins", "dict"), ("builtins", "float"), ("builtins", "int"),
                   ("builtins", "str")})
_NUMPY = frozenset({("numpy", "ndarray"), ("numpy", "dtype"),
                    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer")})
NUMPY_ARRAYS = PLAIN | _NUMPY
PANDAS_FRAME = NUMPY_ARRAYS | frozenset({
    ("builtins", "slice"),
    ("pandas.core.frame", "DataFrame"),
    ("pandas.core.internals.managers", "BlockManager"),
    ("pandas.core.indexes.base", "Index"),
    ("pandas.core.indexes.base", "_new_Index"),
    ("pandas.core.indexes.range", "RangeIndex"),
})

# sha256 of the published pickled files nasbench reads (as distributed in ../shared/data).
PUBLISHED_SHA256 = {
    "arch_score_acc.pd": "b4c8100236e04f8229a551e509dca144005af15873c3230c980a99afee1569fd",
    "mini-bench-arch-cell-accs.pd": "bda800741eea1512fab0ed771f19c8fde06c266db3bbf4690ab5921f621877fe",
}


def _numpy_private(module: str, name: str):
    """numpy's pickle helpers moved from ``numpy.core`` to ``numpy._core`` in numpy 2."""
    for candidate in (module.replace("numpy.core", "numpy._core"), module):
        try:
            return getattr(importlib.import_module(candidate), name)
        except (ImportError, AttributeError):
            continue
    raise pickle.UnpicklingError(f"this numpy has no {module}.{name}")


def _guarded_reconstruct(subtype, shape, dtype):
    """numpy's ``_reconstruct`` for plain ndarrays of bounded size (it allocates before filling)."""
    import numpy as np

    if subtype is not np.ndarray:
        raise pickle.UnpicklingError(f"refusing to reconstruct {subtype!r}: only numpy.ndarray")
    dims = (shape,) if isinstance(shape, int) else tuple(shape)
    if not all(isinstance(d, int) and d >= 0 for d in dims):
        raise pickle.UnpicklingError(f"refusing array shape {shape!r}")
    n_bytes = np.dtype(dtype).itemsize
    for d in dims:
        n_bytes *= d
    if n_bytes > _MAX_ARRAY_BYTES:
        raise pickle.UnpicklingError(f"refusing an array of {n_bytes} bytes (limit {_MAX_ARRAY_BYTES})")
    return _numpy_private("numpy.core.multiarray", "_reconstruct")(subtype, shape, dtype)


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that builds only the allow-listed ``(module, name)`` globals.

    Parameters
    ----------
    file : binary file
    allowed : frozenset of (str, str)
        The globals the pickle may reference; any other one raises ``pickle.UnpicklingError``.
    """

    def __init__(self, file, allowed: frozenset, **kwargs):
        super().__init__(file, **kwargs)
        self._allowed = allowed

    def find_class(self, module, name):
        if (module, name) not in self._allowed:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} (not a type this file format holds)")
        if name == "_reconstruct":
            return _guarded_reconstruct
        if module.startswith("numpy.core") or module.startswith("numpy._core"):
            return _numpy_private(module, name)
        return super().find_class(module, name)

    def persistent_load(self, pid):  # torch tensors and other external objects
        raise pickle.UnpicklingError("refusing a persistent id (an external object such as a tensor)")


def loads(blob: bytes, allowed: frozenset, *, where: str, expected: str, hint: str, encoding: str = "ASCII"):
    """Unpickle ``blob`` with :class:`RestrictedUnpickler`; any failure is one DataIntegrityError line.

    Parameters
    ----------
    where : str
        The file, for the message.
    expected : str
        What the file should hold (``"a pandas DataFrame of numbers"``).
    hint : str
        What to do instead (``"use the CSV version"``).
    encoding : str
        For Python 2 pickles (the CIFAR-10 batches need ``"bytes"``).
    """
    try:
        return RestrictedUnpickler(io.BytesIO(blob), allowed, encoding=encoding).load()
    except Exception as exc:  # noqa: BLE001 - whatever a hostile or broken pickle raises is the same user error
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise DataIntegrityError(
            f"{where}: expected {expected}; got a pickle that cannot be read safely ({reason}). {hint}"
        ) from None


def load_file(path, allowed: frozenset, *, expected: str, hint: str, encoding: str = "ASCII"):
    """Read ``path`` (size-checked first) and unpickle it with :func:`loads`.

    Returns
    -------
    (object, sha256 hex of the bytes read, whether that sha256 is a known published file's)
    """
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_PICKLE_BYTES:
        raise DataIntegrityError(
            f"{path}: expected {expected} (at most {MAX_PICKLE_BYTES} bytes); got {size} bytes. {hint}"
        )
    blob = path.read_bytes()
    digest = hashlib.sha256(blob).hexdigest()
    obj = loads(blob, allowed, where=str(path), expected=expected, hint=hint, encoding=encoding)
    return obj, digest, PUBLISHED_SHA256.get(path.name) == digest
