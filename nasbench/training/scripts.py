"""The entry point of command-line scripts outside ``nasbench`` (``python -m ...``, ``perf/`` drivers).

:func:`script_main` parses the arguments and runs the script's body; a
:class:`~nasbench.errors.NasbenchError` (bad input, missing data) becomes one line ``error: ...``
on stderr and exit status 2, as the ``nasbench`` command does, while any other exception keeps its
traceback (a bug, not a user error). Imports nothing beyond the standard library and
:mod:`nasbench.errors`.
"""

from __future__ import annotations

import sys

from nasbench.errors import NasbenchError

__all__ = ["script_main"]


def script_main(parser, body, argv=None) -> int:
    """Parse ``argv`` with ``parser`` and return ``body(args)``; user errors become one line.

    Parameters
    ----------
    parser : argparse.ArgumentParser
    body : callable
        ``body(args) -> int``, the exit status.
    argv : list of str or None
        None reads ``sys.argv[1:]``.

    Returns
    -------
    int
        ``body``'s status, or 2 after printing ``error: MESSAGE`` to stderr for a NasbenchError.

    Examples
    --------
    >>> import argparse
    >>> def body(args):
    ...     raise NasbenchError(f"n must be >= 1; got {args.n}.")
    >>> parser = argparse.ArgumentParser()
    >>> _ = parser.add_argument("--n", type=int)
    >>> script_main(parser, body, ["--n", "0"])  # prints "error: n must be >= 1; got 0." to stderr
    2
    """
    args = parser.parse_args(argv)
    try:
        return body(args)
    except NasbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
