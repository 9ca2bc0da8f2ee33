"""Reading the plain ``.npy`` arrays nasbench writes beside its models and filled values, safely."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nasbench.errors import DataIntegrityError

__all__ = ["read_stored_array"]


def read_stored_array(path, kind: str, shape: tuple, fix: str) -> np.ndarray:
    """Read a ``.npy`` file nasbench wrote, refusing anything but a plain array of the expected kind
    and shape (pickled object arrays are never loaded).

    Parameters
    ----------
    path : path
    kind : str
        Accepted ``dtype.kind`` letters, e.g. ``"f"``, ``"b"``, ``"iu"``.
    shape : tuple
        Expected shape; ``None`` entries accept any length on that axis.
    fix : str
        What the user should do, ending the error message.

    Raises
    ------
    DataIntegrityError
        The file is missing, not a plain array, or of another kind or shape.
    """
    path = Path(path)
    try:
        array = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise DataIntegrityError(f"{path} is missing; {fix}") from None
    except (ValueError, OSError, EOFError) as exc:
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise DataIntegrityError(f"{path}: expected a plain numpy array (.npy without pickled objects); got a file "
                                 f"numpy refuses ({reason}). {fix}") from None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in kind or array.ndim != len(shape) \
            or any(want is not None and got != want for got, want in zip(array.shape, shape)):
        want = "(" + ", ".join("n" if w is None else str(w) for w in shape) + ("," if len(shape) == 1 else "") + ")"
        raise DataIntegrityError(f"{path}: expected an array of dtype kind {kind!r} and shape {want}; got "
                                 f"{getattr(array, 'dtype', type(array).__name__)} {getattr(array, 'shape', '')}. {fix}")
    return array
