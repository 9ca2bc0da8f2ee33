"""``nasbench data import SOURCE --from DIR`` and ``nasbench data verify NAME``."""

import importlib

from nasbench.errors import UnknownNameError, choices_text

HELP = "import public benchmark files into the data store, or verify stored tables"


def add_arguments(parser):
    sub = parser.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    imp = sub.add_parser("import", help="import public files (e.g. the NB201 tables) into $NASBENCH_DATA")
    imp.add_argument("source", help="which benchmark family to import, e.g. nb201 (or yahpo-nb301, ...)")
    imp.add_argument("--from", dest="from_dir", required=True, metavar="DIR", help="folder holding the public files")
    imp.add_argument("--to", dest="to_dir", default=None, metavar="ROOT",
                     help="data store to write into (default: $NASBENCH_DATA or ~/.cache/nasbench)")
    ver = sub.add_parser("verify", help="check the checksums of every file of a stored table")
    ver.add_argument("name", help="benchmark name, e.g. nb201/cifar10")


def run(args) -> int:
    if args.data_command == "verify":
        import nasbench

        bench = nasbench.load(args.name)
        stored = getattr(bench, "table", bench)  # a table, or an imported surrogate that verifies itself
        files = stored.verify()
        print(f"{bench.name}: {len(files)} files match their sha256 in {stored.directory}")
        return 0
    from nasbench.paths import data_root
    from tabular_data.importers import IMPORTERS

    if args.source not in IMPORTERS:
        raise UnknownNameError(f"unknown import source {args.source!r}; expected one of {choices_text(IMPORTERS)}.")
    module, _, func = IMPORTERS[args.source].partition(":")
    importer = getattr(importlib.import_module(module), func)
    importer(args.from_dir, args.to_dir or data_root())
    return 0
