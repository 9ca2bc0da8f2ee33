"""Where benchmark data lives.

Imported tables live under ``$NASBENCH_DATA`` (default: ``$XDG_CACHE_HOME/nasbench``, else
``~/.cache/nasbench``) as ``SPACE/DATASET/`` folders. Embedded tables ship inside the
``tabular_data`` package.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["data_root", "embedded_root", "table_folder"]


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


def table_folder(name: str) -> Path | None:
    """The folder of the table ``SPACE/DATASET`` (shipped first, then the data store), or None.

    The shipped table takes precedence over one of the same name in the data store, so a name always
    means the published data; a table killed between the two renames of a replacement is put back
    first (:func:`tabular_data.atomic.repair`).
    """
    from tabular_data.atomic import repair

    embedded, imported = embedded_root() / name, data_root() / name
    for folder in (embedded, imported):
        repair(folder)
    for folder in (embedded, imported):
        if (folder / "manifest.json").is_file():
            return folder
    return None
