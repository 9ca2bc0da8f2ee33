"""The ``nasbench`` command line.

Each subcommand is a module of this package with ``HELP`` (one line), ``add_arguments(parser)``
and ``run(args) -> int``; :data:`COMMANDS` maps names to modules, imported only when used, so
``nasbench list`` never imports torch, xgboost or the kernels of other commands.

Errors print one line on stderr (what was expected, what was given, what to do) and exit with
status 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from nasbench.errors import NasbenchError

__all__ = ["main", "COMMANDS"]

# name -> module (relative to this package); a command module may define sub-subcommands itself
COMMANDS: dict[str, str] = {
    "list": ".list_cmd",
    "info": ".info_cmd",
    "query": ".query_cmd",
    "data": ".data_cmd",
    "compare": ".compare_cmd",
    "surrogate": ".surrogate_cmd",
    "validate": ".validate_cmd",
    "search": ".search_cmd",
    "latency": ".latency_cmd",
    "generate": ".generate_cmd",
}


def _parser() -> tuple[argparse.ArgumentParser, dict]:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a subcommand's default must not overwrite a --debug given before the subcommand
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks of errors")
    parser = argparse.ArgumentParser(
        prog="nasbench",
        description="Fast, honest NAS benchmarks: query tables and surrogates, compare search strategies.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = {}
    for name, path in COMMANDS.items():
        module = importlib.import_module(path, __name__)
        p = sub.add_parser(name, help=module.HELP, description=module.HELP, parents=[common])
        module.add_arguments(p)
        modules[name] = module
    return parser, modules


def main(argv=None) -> int:
    """Run the CLI; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser, modules = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(modules[args.command].run(args) or 0)
    except NasbenchError as exc:
        if args.debug:
            raise
        print(f"nasbench {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like
        return 0
    except KeyboardInterrupt:
        print(f"nasbench {args.command}: interrupted", file=sys.stderr)
        return 130


def entry_point() -> None:
    sys.exit(main())
