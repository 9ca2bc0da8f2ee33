"""Guarded import of xgboost: ``import surrogates`` works without it; fitting and xgboost's own
predict raise :class:`~nasbench.errors.OptionalDependencyError` naming the extra to install."""

from __future__ import annotations

import importlib

from nasbench.errors import OptionalDependencyError, install_hint

__all__ = ["require_xgboost"]


def require_xgboost():
    """Return the ``xgboost`` module, or raise OptionalDependencyError naming the ``surrogate`` extra."""
    try:
        return importlib.import_module("xgboost")
    except ImportError as exc:
        raise OptionalDependencyError(
            f"surrogate models need xgboost>=2.0, but `import xgboost` failed ({exc}). "
            f"Install the extra with: {install_hint('surrogate')}."
        ) from exc
