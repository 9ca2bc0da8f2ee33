"""What made a file: the versions of the software and the machine, for manifests and run records.

One place answers "which versions" for every writer (comparisons, trained runs, tables, surrogates,
zero-cost jobs), so that records agree on names: a package is recorded under its distribution name
(``scikit-learn``, not ``sklearn``) and as None when it is not installed. Nothing is imported until
asked for, so recording torch's version is the caller's choice. Base layer: standard library only.
"""

from __future__ import annotations

import importlib
import platform

__all__ = ["machine", "versions"]

# distribution name -> module to import for its __version__, where they differ
_MODULES = {"scikit-learn": "sklearn"}


def _version_of(name: str):
    if name == "nasbench":
        from nasbench._version import __version__

        return __version__
    if name == "python":
        return platform.python_version()
    if name == "platform":
        return platform.platform()
    try:
        return importlib.import_module(_MODULES.get(name, name)).__version__
    except ImportError:
        return None


def versions(*names: str) -> dict:
    """``{name: version}`` for each of ``names``, in that order.

    Parameters
    ----------
    *names : str
        Distribution names (``"numpy"``, ``"torch"``, ``"scikit-learn"``), or ``"nasbench"``,
        ``"python"`` (:func:`platform.python_version`) and ``"platform"`` (:func:`platform.platform`).

    Returns
    -------
    dict
        Version strings; None for a package that is not installed.

    Examples
    --------
    >>> versions("python", "no_such_package_here")["no_such_package_here"] is None
    True
    """
    return {name: _version_of(name) for name in names}


def machine() -> dict:
    """``{"platform": ..., "processor": ...}`` of this machine (the processor falls back to the architecture)."""
    return {"platform": platform.platform(), "processor": platform.processor() or platform.machine()}
