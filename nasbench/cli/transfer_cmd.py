"""``nasbench transfer SOURCE TARGET [MORE ...]``: rank correlations across tasks and warm-started search.

Prints the Spearman, Kendall and top-k overlap matrices of all the named benchmarks (one space),
then, unless ``--no-search``, the cold-vs-warm leaderboard on TARGET with the ``--top-k`` best archs
of SOURCE (see :mod:`strategies.transfer`). ``--out DIR`` also writes ``transfer.md`` and
``transfer.json`` (kill-safe: a temporary folder put in place in one step).
"""

from __future__ import annotations

import json

from nasbench.cli._args import int_at_least

HELP = "how archs rank across tasks (correlation matrices) and warm-started search from a source task"

_DEFAULT_STRATEGIES = "random_search,regularized_evolution,local_search"


def add_arguments(parser):
    parser.add_argument("names", nargs="+", metavar="NAME",
                        help="SOURCE TARGET [MORE ...]: benchmarks over one space, e.g. transnas-micro/class_scene "
                             "transnas-micro/class_object; the matrices cover all, the search runs SOURCE -> TARGET")
    parser.add_argument("--metric", default=None,
                        help="metric of every benchmark for the matrices (default: each one's search metric)")
    parser.add_argument("--top-k", type=int_at_least(1), default=None, metavar="K",
                        help="top set size of the overlap (default 1%% of the archs) and, for the search, the number "
                             "of warm archs (default 10)")
    parser.add_argument("--strategies", default=_DEFAULT_STRATEGIES, metavar="A,B,...",
                        help=f"strategies run cold and warm (default {_DEFAULT_STRATEGIES})")
    parser.add_argument("--seeds", type=int_at_least(2), default=20, metavar="N", help="paired seeds (default 20)")
    parser.add_argument("--budget", type=int_at_least(2), default=100, metavar="EVALS",
                        help="target evaluations per run, warm archs included (default 100)")
    parser.add_argument("--seed", type=int_at_least(0, 2**63 - 1), default=0, help="root seed (default 0)")
    parser.add_argument("--noise", default="draw", choices=("draw", "mean"),
                        help="draw one training outcome per evaluation (default) or use means")
    parser.add_argument("--no-search", action="store_true", help="print the matrices only")
    parser.add_argument("--out", default=None, metavar="DIR", help="also write transfer.md and transfer.json here")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out folder")


def run(args) -> int:
    import nasbench
    from nasbench.errors import NasbenchError
    from strategies.transfer import correlation_markdown, correlation_matrices, warm_start_comparison, \
        warm_start_markdown

    if len(args.names) < 2:
        raise NasbenchError(f"nasbench transfer takes SOURCE TARGET [MORE ...]; got {len(args.names)} name(s).")
    strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    if not strategies:
        raise NasbenchError(f"--strategies must name at least one strategy; got {args.strategies!r}.")
    benches = [nasbench.load(name) for name in args.names]
    matrices = correlation_matrices(benches, metric=args.metric, top_k=args.top_k)
    text = [f"## Rank correlations across {len(benches)} tasks ({benches[0].space.name} space, "
            f"{benches[0].n_archs} archs)", "", correlation_markdown(matrices)]
    search = None
    if not args.no_search:
        search = warm_start_comparison(benches[0], benches[1], strategies=strategies, n_seeds=args.seeds,
                                       budget=args.budget, k=args.top_k or 10, seed=args.seed, noise=args.noise)
        text += ["", f"## Warm start: {benches[0].name} -> {benches[1].name}", "", warm_start_markdown(search)]
    report = "\n".join(text) + "\n"
    print(report, end="")
    if args.out:
        _write(args.out, report, matrices, search, args.overwrite)
    return 0


def _write(out, report, matrices, search, overwrite) -> None:
    from pathlib import Path

    from tabular_data.atomic import write_folder

    blob = {**{k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in matrices.items()}, "warm_start": search}

    def fill(tmp: Path) -> None:
        (tmp / "transfer.md").write_text(report)
        (tmp / "transfer.json").write_text(json.dumps(blob, indent=1))

    write_folder(Path(out), fill, overwrite=overwrite, what="the transfer results", flag="--overwrite")
    print(f"wrote {out}/: transfer.md, transfer.json")
