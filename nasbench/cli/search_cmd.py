"""``nasbench search {darts,gdas}``: weight-sharing gradient search on real data, looked up in a benchmark."""

from __future__ import annotations

import sys

from nasbench.cli._args import add_jobs_arguments, int_at_least, n_processes

HELP = "weight-sharing search (DARTS first order, GDAS) on digits or CIFAR-10; derive, look up, leaderboard"


def add_arguments(parser):
    parser.add_argument("methods", help="darts, gdas, or darts,gdas")
    parser.add_argument("--dataset", default="digits", choices=("digits", "cifar10"),
                        help="data to search on (default digits; cifar10 needs --data-dir)")
    parser.add_argument("--data-dir", default=None, metavar="DIR",
                        help="folder with the CIFAR-10 python batches (data_batch_1..5, test_batch); no download")
    parser.add_argument("--epochs", type=int_at_least(1), default=10, help="search epochs (default 10)")
    parser.add_argument("--C", type=int_at_least(1, 1024), default=8, help="supernet channels (default 8)")
    parser.add_argument("--N", type=int_at_least(1, 64), default=1, help="cells per stage (default 1)")
    parser.add_argument("--seeds", type=int_at_least(1), default=1,
                        help="search seeds per method (default 1; 2 or more give a 95%% interval)")
    parser.add_argument("--seed", type=int_at_least(0), default=0, help="root seed (default 0)")
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda or cuda:K")
    parser.add_argument("--benchmark", default=None, metavar="NAME",
                        help="where to look the derived archs up (default: the --merge-into run's; else "
                             "nb201/digits when available, else nb201/cifar10)")
    parser.add_argument("--merge-into", default=None, metavar="RUN_DIR",
                        help="a compare run: write leaderboard_weight_sharing.md/.csv there, beside its strategies")
    parser.add_argument("--executor", default="local", choices=("local", "ray"),
                        help="where the searches run (ray: needs the `distributed` extra)")
    parser.add_argument("--address", default=None, help="Ray cluster address (default: start a local instance)")
    add_jobs_arguments(parser, default_text="local processes, or CPUs of a local Ray instance; default 1")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="also write search.json into this new folder (written whole, checked before the search)")
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier search output in --out")


def _is_search_output(path) -> bool:
    return sorted(p.name for p in path.iterdir()) == ["search.json"]


def run(args) -> int:
    import contextlib

    with contextlib.ExitStack() as stack:
        if args.out is not None:  # checked before hours of searching, not after
            from strategies._outdir import check_destination

            check_destination(args.out, flag="--out", overwrite=args.overwrite, is_finished=_is_search_output,
                              kind="search output")
        if args.merge_into is not None:  # no other writer may replace or extend the run meanwhile
            from strategies._outdir import folder_lock

            stack.enter_context(folder_lock(args.merge_into, flag="--merge-into"))
        return _search(args)


def _search(args) -> int:
    import json
    from pathlib import Path

    from nasbench.errors import NasbenchError
    from strategies._json import jsonable
    from strategies.executors import make_executor
    from strategies.leaderboard import Interval
    from strategies.weight_sharing import search_task, search_tasks
    from strategies.weight_sharing_board import leaderboard_rows, merge_into_run
    from strategies.weight_sharing_config import METHODS

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    bad = [m for m in methods if m not in METHODS]
    if not methods or bad:
        raise NasbenchError(f"methods must be among {list(METHODS)}, comma-separated; got {args.methods!r}.")
    benchmark, objective = args.benchmark, None
    if args.merge_into is not None:  # only one finished compare run is merged into
        from strategies._outdir import finished_compare_run

        manifest = finished_compare_run(args.merge_into, what="--merge-into")
        run_bench = manifest["config"]["benchmark"]
        if benchmark is not None and benchmark != run_bench:
            raise NasbenchError(f"the run in {args.merge_into} is on {run_bench}; got --benchmark {benchmark}. "
                                "Drop --benchmark to merge into that run.")
        benchmark, objective = run_bench, manifest["config"].get("objective") or None
    tasks = search_tasks(methods, n_seeds=args.seeds, root_seed=args.seed, dataset=args.dataset,
                         data_dir=args.data_dir, benchmark=benchmark, objective=objective,
                         config={"epochs": args.epochs, "C": args.C, "N": args.N, "device": args.device})
    print(f"search: {', '.join(methods)} x {args.seeds} seed(s) on {args.dataset}, {args.epochs} epochs",
          file=sys.stderr, flush=True)
    gpus = "auto" if args.executor == "ray" else 0
    n_jobs = n_processes(args.jobs, args.oversubscribe, default=1)
    with make_executor(args.executor, n_jobs=n_jobs, address=args.address, gpus_per_task=gpus) as ex:
        results = ex.map(search_task, tasks)
    for t, r in zip(tasks, results):
        print(f"{r.method} seed {t['seed_id']}: {r.arch.string} (NB201 index {r.arch.index}): "
              f"{r.objective['report_metric']}@{r.objective['report_fidelity']} on {r.benchmark} = "
              f"{r.report[-1]:.3f} (regret {r.objective['best_report'] - r.report[-1]:.3f}; "
              f"{r.epoch_time_s.sum():.1f} s)")
    if args.out:
        from strategies._outdir import OutputFolder

        with OutputFolder(args.out, flag="--out", overwrite=args.overwrite, is_finished=_is_search_output,
                          kind="search output") as stage:
            (stage / "search.json").write_text(
                json.dumps([jsonable(r.to_dict()) for r in results], indent=1, sort_keys=True) + "\n")
    if args.merge_into is not None:
        merge_into_run(args.merge_into, results)
        print(Path(args.merge_into, "leaderboard_weight_sharing.md").read_text(), end="")
    else:
        for row in leaderboard_rows(results, seed=args.seed):
            regret = Interval(row["final_regret_mean"], row["final_regret_ci_low"], row["final_regret_ci_high"],
                              row["n_seeds"])  # one seed: the value and "no interval", not a zero-width one
            print(f"{row['strategy']}: final regret {regret.text()} over {row['n_seeds']} seed(s)"
                  + ("; use --seeds 2 or more for a 95% interval" if row["n_seeds"] < 2 else ""))
    return 0
