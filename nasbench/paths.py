"""Where benchmark data lives.

Imported tables live under ``$NASBENCH_DATA`` (default: ``$XDG_CACHE_HOME/nasbench``, else
``~/.cache/nasbench``) as ``SPACE/DATASET/`` folders. Embedded tables ship inside the
``tabular_data`` package.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["data_root", "embedded_root"]


def data_root() -> Path:
    """The folder holding imported tables."""
    explicit = os.environ.get("NASBENCH_DATA")
    if explicit:
        return Path(explicit).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "nasbench"


def embedded_root() -> Path:
    """The folder of the tables shipped with the package."""
    import tabular_data

    return Path(tabular_data.__file__).parent / "embedded"
