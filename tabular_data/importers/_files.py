"""Finding and fingerprinting source files."""

from __future__ import annotations

import os
from pathlib import Path

from tabular_data.store import sha256_file

MAX_DEPTH = 3


def find_files(root: Path, names: set[str]) -> dict[str, Path]:
    """Map each file name in ``names`` to its first occurrence under ``root`` (breadth-first, 3 levels)."""
    found: dict[str, Path] = {}
    root = Path(root)
    frontier = [root]
    for _ in range(MAX_DEPTH + 1):
        nxt = []
        for folder in sorted(frontier):
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError:
                continue
            for entry in entries:
                if entry.is_dir():
                    nxt.append(Path(entry.path))
                elif entry.name in names and entry.name not in found:
                    found[entry.name] = Path(entry.path)
        frontier = nxt
    return found


def describe_source(path: Path, root: Path, provenance: str) -> dict:
    """Manifest entry of a source file: path relative to the import folder, size, sha256, provenance."""
    return {
        "file": str(Path(path).relative_to(root)) if Path(path).is_relative_to(root) else str(path),
        "bytes": Path(path).stat().st_size,
        "sha256": sha256_file(path),
        "provenance": provenance,
    }
