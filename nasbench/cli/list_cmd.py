"""``nasbench list``."""

import json

HELP = "list the benchmarks and whether their data is available"


def add_arguments(parser):
    parser.add_argument("--json", action="store_true", help="print JSON")


def run(args) -> int:
    from nasbench import list_benchmarks

    rows = list_benchmarks()
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        print(f"{r['name']:<{width}}  {r['kind']:<9} {r['status']}")
    return 0
