"""``nasbench query NAME ARCH --metric M [--fidelity F] [--seed S] [--missing raise|nan|predicted] [--json]``."""

import json

from nasbench.cli._args import ascii_int, int_at_least, number

HELP = "look up one metric of one or more archs"


def add_arguments(parser):
    parser.add_argument("name", help="benchmark name, e.g. nb201/cifar10")
    parser.add_argument("archs", nargs="+", metavar="ARCH", help="arch index or arch string")
    parser.add_argument("--metric", required=True, help="metric name, e.g. test_acc")
    parser.add_argument("--fidelity", type=number, default=None,
                        help="fidelity (NB201: training epochs 12 or 200); default: the metric's highest")
    parser.add_argument("--seed", type=int_at_least(0), default=None,
                        help="sample one training seed with this random seed; default: mean over seeds")
    parser.add_argument("--missing", choices=("raise", "nan", "predicted"), default="raise",
                        help="where the data has no value: an error (default), NaN, or the prediction stored by "
                             "`nasbench surrogate fill`, marked with the model that made it; nothing is imputed "
                             "silently")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--device", default=None, help="device of --metric latency_ms, e.g. pixel3 "
                        "(`nasbench latency devices` lists them)")


def run(args) -> int:
    import nasbench

    bench = nasbench.load(args.name)
    archs = [_arch(a, bench.space) for a in args.archs]
    if args.device is not None or args.metric == "latency_ms":  # per-device latency: nasbench.cli.latency_cmd
        from nasbench.cli.latency_cmd import print_query

        return print_query(bench, archs, args)
    if args.missing == "predicted":  # measured values, and a stored fill's predictions for the gaps, each marked
        got = bench.query(archs, metric=args.metric, fidelity=args.fidelity, seed=args.seed, missing="predicted")
        values, marks = got.values, [got.predicted_by if p else None for p in got.predicted]
    else:
        values = bench.query(archs, metric=args.metric, fidelity=args.fidelity, seed=args.seed, missing=args.missing)
    fidelity = bench.default_fidelity(args.metric) if args.fidelity is None else args.fidelity
    unit = bench.metrics[args.metric].unit
    indices, _ = bench.space.to_indices(archs)
    rows = [
        {"benchmark": bench.name, "arch_index": int(i), "arch": bench.space.from_index(int(i)).string,
         "metric": args.metric, "unit": unit, "fidelity": fidelity, "seed": args.seed, "value": float(v)}
        for i, v in zip(indices, values)
    ]
    if args.missing == "predicted":
        rows = [{**r, "predicted_by": m} for r, m in zip(rows, marks)]
    print_rows(rows, args.json)
    return 0


def _arch(text: str, space=None):
    """An ARCH argument: an arch string where the space reads it as one (NAS-Bench-Macro's are digits,
    e.g. 02012100), else an index when written in ASCII digits, else an arch string (checked by the space)."""
    from nasbench.errors import NasbenchError

    parse = getattr(space, "from_string", None)
    if parse is not None:
        try:
            parse(text)
            return text
        except (NasbenchError, ValueError, TypeError):
            pass
    value = ascii_int(text)
    return text if value is None else value


def print_rows(rows: list[dict], as_json: bool) -> None:
    """One JSON object (one arch) or list, or ``arch_index<TAB>value`` lines (values in full precision)."""
    if as_json:
        print(json.dumps(rows[0] if len(rows) == 1 else rows))
    else:
        for r in rows:
            mark = f"\tpredicted by {r['predicted_by']}" if r.get("predicted_by") else ""
            print(f"{r['arch_index']}\t{r['value']!r}{mark}")
