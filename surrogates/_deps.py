"""Guarded import of xgboost: ``import surrogates`` works without it; fitting and xgboost's own
predict raise :class:`~nasbench.errors.OptionalDependencyError` naming the extra to install."""

from __future__ import annotations

import importlib

from nasbench.errors import OptionalDependencyError

__all__ = ["require_xgboost", "INSTALL_HINT"]

INSTALL_HINT = 'pip install "nasbench[surrogate]"'


def require_xgboost():
    """Return the ``xgboost`` module, or raise OptionalDependencyError naming the ``surrogate`` extra."""
    try:
        return importlib.import_module("xgboost")
    except ImportError as exc:
        raise OptionalDependencyError(
            f"surrogate models need xgboost>=2.0, but `import xgboost` failed ({exc}). "
            f"Install the extra with: {INSTALL_HINT}."
        ) from exc
