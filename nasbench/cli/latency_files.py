"""Input and output files of ``nasbench latency``: plan JSON, measurement CSVs, prediction CSVs.

Reading a user's file is part of parsing the command line: every error names the flag that gave the
file and says what the file should hold.
"""

from __future__ import annotations

import json

__all__ = ["read_plan", "read_measurements", "write_measurements", "write_predictions"]


def read_plan(path):
    """NB201 indices from a plan JSON (``latency plan --json``: its 'archs' key) or a measurements CSV."""
    import numpy as np

    from nasbench.checks import is_int
    from nasbench.cli._args import read_text_file
    from nasbench.errors import DataIntegrityError

    text = read_text_file(path, "--plan", "a plan JSON (`nasbench latency plan --json`) or a CSV of archs")
    if not text.lstrip().startswith("{"):
        if "latency_ms" in text.partition("\n")[0]:
            return read_measurements(path, flag="--plan")[0]
        return _read_arch_csv(path, text)
    try:
        archs = json.loads(text).get("archs")
    except (ValueError, AttributeError):
        archs = None
    if not isinstance(archs, list) or not archs or not all(is_int(a) and 0 <= a < 15625 for a in archs):
        raise DataIntegrityError(f"--plan {path}: expected a JSON object whose 'archs' key lists NB201 indices "
                                 "(0..15624), as `nasbench latency plan --json` writes; got something else.")
    return np.array(archs, dtype=np.int64)


def _read_arch_csv(path, text: str):
    """NB201 indices of a CSV ``text`` (read from ``path``) with an 'arch' column of indices or arch strings."""
    import csv
    import io

    from nasbench.cli._args import ascii_int
    from nasbench.errors import DataIntegrityError
    from nasbench.spaces import get_space

    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    if not rows or "arch" not in rows[0]:
        raise DataIntegrityError(f"--plan {path}: expected plan JSON or a CSV with an 'arch' column; got neither.")
    archs = [r["arch"] if r["arch"] is None or ascii_int(r["arch"]) is None else ascii_int(r["arch"]) for r in rows]
    return get_space("nb201").to_indices(archs)[0]


def write_measurements(path, indices, values) -> None:
    """``arch,latency_ms`` CSV of measured archs (what ``latency adapt --measurements`` reads)."""
    _write_csv(path, "arch,latency_ms", (f"{int(i)},{float(v)!r}" for i, v in zip(indices, values)))


def _write_csv(path, header: str, lines) -> None:
    """A CSV written to a temporary file and renamed (kill-safe: a reader never sees half of it)."""
    import os

    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as fh:
        fh.write(header + "\n")
        fh.writelines(line + "\n" for line in lines)
    os.replace(tmp, path)


def read_measurements(path, flag: str = "--measurements"):
    """Indices and latencies (ms) of a measurements CSV; errors name ``flag``, the option that gave it."""
    import csv

    import numpy as np

    from nasbench.errors import DataIntegrityError, MissingDataError
    from nasbench.spaces import get_space

    import os
    import stat

    limit = 64 << 20  # far above one latency per NB201 arch; a device file or pipe may never end
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            got = f"a file of {info.st_size} bytes" if stat.S_ISREG(info.st_mode) else "a folder, device or pipe"
            raise DataIntegrityError(f"{flag} {path}: expected a CSV file below {limit >> 20} MiB; got {got}. "
                                     "Pass the CSV of measured latencies.")
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except FileNotFoundError:
        raise MissingDataError(f"{flag} file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else " ".join(str(exc).split())[:100]
        raise DataIntegrityError(f"{flag} {path}: expected a UTF-8 CSV file; cannot read it ({reason}). "
                                 "Pass the CSV of measured latencies.") from None
    if not rows or not {"arch", "latency_ms"} <= set(rows[0]):
        raise DataIntegrityError(
            f"{path} must be a CSV with a header holding the columns 'arch' (NB201 index or arch string) and "
            f"'latency_ms'; got columns {list(rows[0]) if rows else 'none (empty file)'}."
        )
    short = [i + 2 for i, r in enumerate(rows) if r["arch"] is None or r["latency_ms"] is None]
    if short:
        raise DataIntegrityError(f"{path}: line {short[0]} has fewer fields than the header (arch, latency_ms); "
                                 "give both on every line.")
    archs = [int(r["arch"]) if r["arch"].strip().isascii() and r["arch"].strip().isdigit() else r["arch"]
             for r in rows]
    indices, _ = get_space("nb201").to_indices(archs)
    try:
        y = np.array([float(r["latency_ms"]) for r in rows])
    except ValueError:
        raise DataIntegrityError(f"{path}: a latency_ms value is not a number.") from None
    from surrogates.latency.checks import check_latency_column, merge_duplicates

    what = f"{flag} {path}"
    y = check_latency_column(y, what=f"{what}: latency_ms values", allow_nan=False)
    return merge_duplicates(indices, y, what=what)  # an arch listed twice must carry one latency


def write_predictions(path, values) -> None:
    """``arch_idx,latency_ms`` CSV with a prediction for every arch (``values`` of shape (n_archs,))."""
    _write_csv(path, "arch_idx,latency_ms", (f"{i},{v!r}" for i, v in enumerate(values.tolist())))
