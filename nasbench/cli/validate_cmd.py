"""``nasbench validate RUN_DIR --top K --dataset D --epochs E``: train a search's picks for real.

A run on ``nb201/digits`` or ``darts/digits@surrogate`` is retrained with the recipe that made its
benchmark (NB201 or DARTS networks; flags override single fields).
"""

from __future__ import annotations

import sys

from nasbench.cli._args import add_jobs_arguments, ascii_int, int_at_least, n_processes, positive_float

HELP = "train the top archs of a compare run (or given archs) for real and compare with the predictions"


def add_arguments(parser):
    parser.add_argument("run_dir", nargs="?", default=None,
                        help="folder of a `nasbench compare --out` run (its final picks are validated)")
    parser.add_argument("--top", type=int_at_least(1), default=3, metavar="K", help="distinct best picks to train (default 3)")
    parser.add_argument("--archs", default=None, metavar="A,B,...",
                        help="NB201 indices or arch strings, or DARTS genotypes (NASLib text or 32-digit codes); "
                             "';'-separated for texts, instead of a run")
    parser.add_argument("--benchmark", default=None, metavar="NAME",
                        help="benchmark of the predictions (default: the run's; with --archs: nb201/digits "
                             "when available, else nb201/cifar10)")
    parser.add_argument("--dataset", default="digits", choices=("digits", "cifar10"),
                        help="data to train on (default digits; cifar10 needs --data-dir)")
    parser.add_argument("--data-dir", default=None, metavar="DIR",
                        help="folder with the CIFAR-10 python batches (data_batch_1..5, test_batch); no download")
    parser.add_argument("--epochs", type=int_at_least(1), default=None,
                        help="training epochs (default: the recipe of an nb201/digits run, darts/digits's for DARTS "
                             "picks trained on digits, else 10)")
    parser.add_argument("--C", type=int_at_least(1, 1024), default=None,
                        help="channels (default 8; 16 on cifar10; a run's recipe: 8 for nb201/digits, 20 for darts/digits)")
    parser.add_argument("--N", type=int_at_least(1, 64), default=None,
                        help="cells per stage (default: 2 for an nb201/digits run, else 1 on digits, 5 on cifar10)")
    parser.add_argument("--lr", type=positive_float, default=None,
                        help="peak learning rate (default: the recipe of an nb201/digits run, darts/digits's for DARTS "
                             "picks trained on digits, else 0.1)")
    parser.add_argument("--seeds", type=int_at_least(1), default=None,
                        help="training seeds per arch, spawned from --seed (default 1; a darts/digits run "
                             "retrains with the seeds its surrogate's data was made with, 0 and 1, unless "
                             "--seeds or --seed is given)")
    parser.add_argument("--seed", type=int_at_least(0), default=None, help="root seed (default 0)")
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda or cuda:K")
    parser.add_argument("--latency-device", default=None,
                        help="latency-table device of the predicted latency (default gold_6240, or titan_rtx_1 with CUDA)")
    parser.add_argument("--latency-repeats", type=int_at_least(0, 100000), default=30, help="timed batch-1 passes (0: skip latency)")
    parser.add_argument("--latency-where", default="driver", choices=("driver", "task"),
                        help="time latency here after training (default; no concurrent load) or inside each job")
    parser.add_argument("--executor", default="local", choices=("local", "ray"),
                        help="where training jobs run (ray: needs the `distributed` extra)")
    parser.add_argument("--address", default=None, help="Ray cluster address (default: start a local instance)")
    add_jobs_arguments(parser, default_text="local processes, or CPUs of a local Ray instance; default 1")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="a new folder for the report, written whole (default RUN_DIR/validate); an "
                             "existing report is replaced only with --overwrite")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing report in --out")
    parser.add_argument("--no-plot", action="store_true", help="do not draw validate_scatter.png")


def _parse_archs(text: str, space: str):
    """The archs of ``--archs``: ';'-separated when they are texts (NB201 strings, DARTS genotypes)."""
    parts = [p.strip() for p in (text.split(";") if any(c in text for c in "|[(") else text.split(",")) if p.strip()]
    if space != "nb201":  # a DARTS code is all digits, yet no index
        return parts
    return [p if ascii_int(p) is None else ascii_int(p) for p in parts]


def _config(args, benchmark: str):
    """The ValidateConfig of the flags: the recipe that made the benchmark where validate knows it."""
    from nasbench.benchmarks.registry import parse_name
    from strategies.validate_config import ValidateConfig

    given = {k: v for k, v in (("epochs", args.epochs), ("C", args.C), ("N", args.N), ("lr", args.lr),
                               ("n_seeds", args.seeds), ("seed", args.seed)) if v is not None}
    common = dict(device=args.device, latency_repeats=args.latency_repeats, latency_device=args.latency_device,
                  latency_where=args.latency_where, **given)
    space, dataset, _ = parse_name(benchmark)
    if space == "darts" and args.dataset == "digits":
        # DARTS networks trained with darts/digits's recipe and, unless --seeds/--seed say otherwise, its seeds:
        # the measured accuracy is then what the surrogate learnt to predict. Another DARTS benchmark (NB301's
        # CIFAR-10) was not made with those seeds: one fresh seed, as for NB201 tables
        if dataset != "digits" and not {"n_seeds", "seed"} & set(given):
            common["n_seeds"] = 1
        return ValidateConfig.darts_digits_setup(_recipe(benchmark) if dataset == "digits" else None, **common)
    if benchmark == "nb201/digits" and args.dataset == "digits":
        # retrain the picks as the table was made (fresh seeds), so predictions and measurements share a scale
        return ValidateConfig.digits_table_setup(**common)
    space = space if space == "darts" else "nb201"  # another space is refused by validate, in its own words
    return ValidateConfig(dataset=args.dataset, data_dir=args.data_dir, space=space, **common)


def _recipe(benchmark: str):
    """The recipe the models of a DARTS surrogate record (None: this version's recipe stands for it)."""
    import nasbench
    from strategies.validate import surrogate_recipe

    return surrogate_recipe(nasbench.load(benchmark))


def _is_report(path) -> bool:
    """True for a folder holding a validate report (validate.json written beside its other files)."""
    return (path / "validate.json").is_file() and all(
        p.name in _REPORT_FILES for p in path.iterdir())


_REPORT_FILES = frozenset({"validate.json", "validate.csv", "validate.md", "validate_scatter.png"})


def run(args) -> int:
    import contextlib
    from pathlib import Path

    from nasbench.errors import NasbenchError
    from strategies._outdir import check_destination, folder_lock

    if (args.run_dir is None) == (args.archs is None):
        raise NasbenchError("give either RUN_DIR (a compare run) or --archs A,B,...; got "
                            f"{'both' if args.run_dir else 'neither'}.")
    out = args.out or (str(Path(args.run_dir) / "validate") if args.run_dir else None)
    if out is None:
        raise NasbenchError("with --archs, give --out DIR for the report.")
    # before any training: the report's folder must be able to take it
    # a report has no manifest listing its files: they are named here, so --overwrite may replace them
    check_destination(out, flag="--out", overwrite=args.overwrite, is_finished=_is_report, extras=_REPORT_FILES,
                      kind="validate report")
    with contextlib.ExitStack() as stack:
        if args.run_dir is not None:  # a compare --overwrite must not replace the run under our picks
            stack.enter_context(folder_lock(args.run_dir, flag="RUN_DIR"))
        return _validate(args, out)


def _validate(args, out) -> int:
    from nasbench.errors import NasbenchError
    from strategies.executors import make_executor
    from strategies.validate import picks_from_run, validate
    from strategies.validate_report import write_report
    from nasbench.benchmarks.registry import default_benchmark, parse_name

    picked_by, objective = None, None
    if args.run_dir is not None:
        picks = picks_from_run(args.run_dir, args.top)
        archs, benchmark, objective, picked_by = picks["archs"], picks["benchmark"], picks["objective"], picks["picked_by"]
        if args.benchmark is not None and args.benchmark != benchmark:
            raise NasbenchError(f"the run in {args.run_dir} is on {benchmark}; got --benchmark {args.benchmark}. "
                                "Drop --benchmark to validate a run.")
    else:
        benchmark = args.benchmark or default_benchmark()
        archs = _parse_archs(args.archs, parse_name(benchmark)[0])
    config = _config(args, benchmark)
    say = lambda line: print(f"validate: {line}", file=sys.stderr, flush=True)
    gpus = "auto" if args.executor == "ray" else 0
    n_jobs = n_processes(args.jobs, args.oversubscribe, default=1)
    with make_executor(args.executor, n_jobs=n_jobs, address=args.address, gpus_per_task=gpus) as ex:
        report = validate(archs, benchmark, config, objective=objective, executor=ex, picked_by=picked_by,
                          progress=say)
    from strategies._outdir import OutputFolder

    with OutputFolder(out, flag="--out", overwrite=args.overwrite, is_finished=_is_report, extras=_REPORT_FILES,
                      kind="validate report") as stage:
        write_report(report, stage, plot=not args.no_plot)
    from pathlib import Path

    print(Path(out, "validate.md").read_text(), end="")
    print(f"\nwrote {out}/: validate.md, validate.csv, validate.json" + ("" if args.no_plot else ", validate_scatter.png"))
    return 0
