"""Guarded imports of the optional training dependencies (torch, scikit-learn).

``import nasbench`` never imports torch; the training backend imports it through
:func:`require_torch`, which turns a missing install into an
:class:`~nasbench.errors.OptionalDependencyError` that names the ``pip install`` to run.
"""

from __future__ import annotations

import importlib

from nasbench.errors import OptionalDependencyError, install_hint

__all__ = ["require_torch", "require_sklearn"]


def _require(module: str, what: str):
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise OptionalDependencyError(
            f"the nasbench training backend needs {what}, but `import {module}` failed ({exc}). "
            f"Install the extra with: {install_hint('train')} (torch==2.13.0 first: the CPU build; "
            "an unpinned torch pulls several GB of CUDA packages)."
        ) from exc


def require_torch():
    """Return the ``torch`` module, or raise OptionalDependencyError naming the ``train`` extra."""
    return _require("torch", "PyTorch")


def require_sklearn():
    """Return the ``sklearn.datasets`` module, or raise OptionalDependencyError naming the extra."""
    return _require("sklearn.datasets", "scikit-learn (for its bundled digits dataset)")
