"""Checked argument types and limits shared by the subcommands.

Every value is checked where it enters, in the CLI's own terms: argparse names the flag in its
error (``argument --seeds: expected an int >= 1; got '0'``), and :func:`n_processes` names
``--jobs``. Nothing here imports more than the standard library.
"""

from __future__ import annotations

import argparse
import math
import os
import sys

__all__ = ["available_cpus", "int_at_least", "n_processes", "number", "positive_float", "ascii_int",
           "read_text_file"]

# an int flag given with more digits than this is refused before int() runs (CPython refuses to
# parse more than 4300); below it, a huge count reaches the check that names the limit it breaks
_MAX_INT_DIGITS = 4000


def ascii_int(text: str) -> int | None:
    """``text`` as an int when it is written with ASCII digits (optional sign), else None.

    ``str.isdigit`` accepts '²' and '٣'; a user's '٣' must not silently become arch 3.
    """
    t = text.strip()
    body = t[1:] if t[:1] in "+-" else t
    if body.isascii() and body.isdigit() and len(body) <= _MAX_INT_DIGITS:
        return int(t)
    return None


def int_at_least(low: int, high: int | None = None, why: str = ""):
    """An argparse type: an ASCII int in ``[low, high]``; the error names the range (and ``why``)."""
    where = f">= {low}" if high is None else f"in [{low}, {high}]"

    def parse(text: str) -> int:
        value = ascii_int(text)
        if value is None or value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"expected an int {where}{f' ({why})' if why else ''}; got {text!r}")
        return value

    parse.__name__ = f"int {where}"
    return parse


def positive_float(text: str) -> float:
    """An argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a finite number > 0; got {text!r}")
    return value


def number(text: str):
    """An argparse type: an int when written as one, else a finite float (fidelities)."""
    value = ascii_int(text)
    if value is not None:
        return value
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number; got {text!r}")
    return value


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask, else the machine's count)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def n_processes(jobs: int | None, oversubscribe: bool, *, flag: str = "--jobs", default: int | None = None):
    """The worker processes to start for ``--jobs``: at most the CPUs available, unless asked.

    Parameters
    ----------
    jobs : int or None
        The value of ``--jobs`` (already checked to be >= 1); None keeps ``default``.
    oversubscribe : bool
        ``--oversubscribe``: start ``jobs`` processes even beyond the CPUs.
    default : int or None
        Returned when ``jobs`` is None.

    Returns
    -------
    int or None
        More processes than CPUs only slow a CPU-bound run and add memory; the cap prints one note.
    """
    if jobs is None:
        return default
    cpus = available_cpus()
    if jobs > cpus and not oversubscribe:
        print(f"note: {flag} {jobs} capped at the {cpus} CPU(s) available here; add --oversubscribe to start "
              f"{jobs} processes anyway.", file=sys.stderr)
        return cpus
    return jobs


def add_jobs_arguments(parser, *, default_text: str) -> None:
    """``--jobs N`` (>= 1, capped at the CPUs) and ``--oversubscribe``."""
    parser.add_argument("--jobs", type=int_at_least(1), default=None, metavar="N",
                        help=f"processes ({default_text}); capped at the CPUs available unless --oversubscribe")
    parser.add_argument("--oversubscribe", action="store_true",
                        help="start --jobs processes even when there are fewer CPUs")


def read_text_file(path, flag: str, what: str, limit: int = 64 << 20) -> str:
    """The UTF-8 text of a small input file named by ``flag``; one-line errors for a missing file, a folder,
    a device or pipe (``/dev/zero`` would be read forever), a file over ``limit`` bytes or one not UTF-8.

    Parameters
    ----------
    path : str
    flag : str
        The flag that named the file, for the message (``--plan``).
    what : str
        What the file should hold, for the message (``"a plan JSON or a CSV of arch indices"``).
    limit : int
        Most bytes read.
    """
    import stat

    from nasbench.errors import DataIntegrityError, MissingDataError

    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            raise DataIntegrityError(f"{flag} {path}: expected {what}; got a folder, device or pipe. Pass the file.")
        with open(path, "rb") as fh:
            blob = fh.read(limit + 1)
    except FileNotFoundError:
        raise MissingDataError(f"{flag} {path} does not exist; expected {what}.") from None
    except OSError as exc:
        raise DataIntegrityError(f"{flag} {path}: cannot read it ({exc.strerror}); expected {what}.") from None
    if len(blob) > limit:
        raise DataIntegrityError(f"{flag} {path}: expected {what} of at most {limit >> 20} MiB; got a larger file. "
                                 "Check the path.")
    try:
        return blob.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataIntegrityError(f"{flag} {path}: expected {what} as UTF-8 text; got byte {exc.start} that is not "
                                 "UTF-8. Save it as UTF-8.") from None
