"""The ``nasbench`` command line.

Each subcommand is a module of this package with ``HELP`` (one line), ``add_arguments(parser)``
and ``run(args) -> int``; :data:`COMMANDS` maps names to modules, imported only when used, so
``nasbench list`` never imports torch, xgboost or the kernels of other commands.

Errors print one line on stderr (what was expected, what was given, what to do) and exit with
status 2: bad flags and values (argparse's usage block is left out; ``--help`` shows it), any
:class:`~nasbench.errors.NasbenchError`, and system errors on the user's paths (``OSError``,
``MemoryError``). Anything else is a bug of nasbench: one line saying so, exit status 1.
``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import re
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
    "transfer": ".transfer_cmd",
    "zc": ".zc_cmd",
}


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (the flag, what it expects, what was given)."""

    def error(self, message):
        _say(f"{self.prog}: error: {message} (see `{self.prog} --help`)")
        raise SystemExit(2)


def _say(line: str) -> None:
    """Print ``line`` as exactly one line on stderr (messages quoting user text may hold newlines)."""
    print(" ".join(str(line).split()), file=sys.stderr)


# library errors speak Python (``missing='nan'``, ``seed=0``); on the command line they name the flag
_KEYWORD = re.compile(r"""\b([a-z][a-z_]*)=(?:'([^']*)'|"([^"]*)"|(\d+(?:\.\d+)?)|(?=[\s,.;)]|$))""")


def in_cli_terms(message: str, command: argparse.ArgumentParser) -> str:
    """``message`` with each Python keyword argument that ``command`` has as a flag written as that flag.

    ``pass missing='nan'`` becomes ``pass --missing nan``; ``seed=0`` becomes ``--seed 0``; keywords the
    command has no flag for stay as they are (they are about the Python API, and say so)."""
    from strategies.compare_config import FIELD_FLAGS  # fields whose flag has another name (n_seeds: --seeds)

    flags = {option for action in command._actions for option in action.option_strings}

    def replace(match):
        name = match[1]
        flag = FIELD_FLAGS.get(name, "--" + name.replace("_", "-"))
        if flag not in flags:
            return match[0]
        value = next((v for v in match.groups()[1:] if v is not None), "")
        return f"{flag} {value}" if value else flag

    return _KEYWORD.sub(replace, message)


def _parser() -> tuple[argparse.ArgumentParser, dict]:
    common = _Parser(add_help=False)
    # SUPPRESS: a subcommand's default must not overwrite a --debug given before the subcommand
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks of errors")
    parser = _Parser(
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


def _command_parser(parser: argparse.ArgumentParser, argv: list) -> argparse.ArgumentParser:
    """The parser of the (sub-)subcommand named in ``argv``, e.g. ``latency adapt``'s."""
    current = parser
    for word in argv:
        subs = [a for a in current._actions if isinstance(a, argparse._SubParsersAction)]
        if subs and word in subs[0].choices:
            current = subs[0].choices[word]
    return current


def main(argv=None) -> int:
    """Run the CLI; returns the exit status (0 ok, 2 bad input or environment, 1 a bug, 130 interrupted)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser, modules = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a bad flag (2, already reported in one line)
        return exc.code if isinstance(exc.code, int) else 2
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(modules[args.command].run(args) or 0)
    except NasbenchError as exc:
        if args.debug:
            raise
        _say(f"nasbench {args.command}: error: {in_cli_terms(str(exc), _command_parser(parser, argv))}")
        return 2
    except BrokenPipeError:  # output piped into `head` and the like
        return 0
    except KeyboardInterrupt:
        print(f"nasbench {args.command}: interrupted", file=sys.stderr)
        return 130
    except (OSError, MemoryError) as exc:  # the user's files, disk or memory: not a bug of nasbench
        if args.debug:
            raise
        what = f"{exc.strerror}: {exc.filename}" if isinstance(exc, OSError) and exc.strerror and exc.filename \
            else (str(exc) or type(exc).__name__)
        _say(f"nasbench {args.command}: error: {what}. Check the paths and free space (or memory) and retry; "
             "--debug shows where it happened.")
        return 2
    except Exception as exc:  # a bug: still one line, and the way to the traceback
        if args.debug:
            raise
        _say(f"nasbench {args.command}: internal error ({type(exc).__name__}: {exc}); this is a bug of nasbench. "
             "Rerun with --debug for the traceback and report it.")
        return 1


def entry_point() -> None:
    sys.exit(main())
