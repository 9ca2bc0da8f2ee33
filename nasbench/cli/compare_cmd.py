"""``nasbench compare [NAME] --strategies A,B --seeds N --budget EVALS --workers W --out DIR``."""

from __future__ import annotations

import contextlib
import sys

from nasbench.cli._args import add_jobs_arguments, int_at_least, n_processes, positive_float

HELP = "compare search strategies over many seeds and print (and write) a leaderboard"


def add_arguments(parser):
    parser.add_argument("name", nargs="?", default=None,
                        help="benchmark name (default: nb201/digits when available, else nb201/cifar10)")
    parser.add_argument("--config", default=None, metavar="FILE",
                        help="JSON or TOML file with CompareConfig keys; flags given here override it")
    parser.add_argument("--strategies", default=None, metavar="A,B,...",
                        help="comma-separated strategies (default: random_search, regularized_evolution, "
                             "local_search, reinforce, bohb; `all` for every built-in): built-in names, import "
                             "paths package.module:Class, names of the nasbench.strategies entry-point group, "
                             "or optuna:SAMPLER (tpe, random, nsgaii, nsgaiii, gp, or a sampler class by path)")
    parser.add_argument("--strategy-params", action="extend", nargs="+", default=None,
                        metavar="STRATEGY.PARAM=VALUE",
                        help="strategy hyper-parameters, e.g. regularized_evolution.population_size=20 "
                             "optuna:tpe.n_startup_trials=20; values are JSON or TOML literals (bare words are "
                             "strings); merged over the config file's params table")
    parser.add_argument("--list-strategies", action="store_true",
                        help="list every strategy (built-in, entry points, Optuna samplers and those named by "
                             "--strategies) with its parameters, defaults and reference, then exit")
    parser.add_argument("--seeds",
                        type=int_at_least(2, why="a mean with a 95% interval and paired tests need 2 seeds or more"),
                        default=None, metavar="N",
                        help="seeds per strategy, at least 2 (default 50)")
    parser.add_argument("--seed", type=int_at_least(0, 2**63 - 1), default=None, help="root seed (default 0)")
    parser.add_argument("--budget", type=int_at_least(1), default=None, metavar="EVALS",
                        help="evaluations per run (default 100); runs that cannot fit in memory are refused "
                             "before they start")
    parser.add_argument("--time-budget", type=positive_float, default=None, metavar="SECONDS",
                        help="simulated seconds per run (alone, or together with --budget)")
    parser.add_argument("--workers", type=int_at_least(1, 65536), default=None, metavar="W",
                        help="parallel asynchronous workers per run on the simulated clock (default 1)")
    parser.add_argument("--search-metric", default=None, help="metric the search maximises (default valid_acc)")
    parser.add_argument("--search-fidelity", type=int_at_least(0), default=None,
                        help="fidelity of the search metric (default: its highest)")
    parser.add_argument("--report-metric", default=None, help="metric reported and used for regret (default test_acc)")
    parser.add_argument("--report-fidelity", type=int_at_least(0), default=None, help="(default: its highest)")
    parser.add_argument("--constraint", default=None, metavar="'METRIC[@DEVICE] OP BOUND'",
                        help="evaluate only archs meeting it, e.g. 'latency_ms@pixel3 <= 10'; regret is then "
                             "measured against the best feasible arch (a constraint on the report or a test "
                             "metric is refused: test-set leakage)")
    parser.add_argument("--objectives", default=None, metavar="ACC,COST[@DEVICE]",
                        help="multi-objective mode, e.g. test_acc,latency_ms@pixel3: rank by the hypervolume of "
                             "the evaluated archs (accuracy up, cost down); allows the strategy pareto_evolution")
    parser.add_argument("--hv-reference", default=None, metavar="ACC,COST",
                        help="hypervolume reference point (default: median feasible accuracy, and the "
                             "constraint's bound or the largest cost)")
    parser.add_argument("--no-equal-cost", action="store_true",
                        help="keep --budget as an evaluation count even when multi-fidelity strategies take part "
                             "(default: they all get the same simulated time, --budget x the median cost of one "
                             "evaluation at the search fidelity)")
    parser.add_argument("--noise", default=None, choices=("draw", "mean"),
                        help="draw (default): each evaluation returns one training outcome (a table seed, a "
                             "surrogate noise sample, a training run), the same draws for every strategy; "
                             "mean: the noise-free mean over outcomes")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="write leaderboard.md/.csv, stats.json, PNG plots, trajectories.parquet and "
                             "manifest.json (last) into this new folder, whole: checked before the run, locked "
                             "while it runs, moved into place at the end (default: print only)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace --out when it holds a finished compare run (the whole folder, with its "
                             "validate/ and weight-sharing files); a folder of other files is never replaced")
    add_jobs_arguments(parser, default_text="for the Python runs; default: up to 2")
    parser.add_argument("--executor", default="local", choices=("local", "ray"),
                        help="where the Python runs go: local processes (default) or Ray tasks "
                             "(needs the `distributed` extra); results are identical")
    parser.add_argument("--address", default=None,
                        help="Ray cluster address, e.g. ray://HOST:10001 or auto (default: start a local instance)")
    parser.add_argument("--no-plots", action="store_true", help="do not draw PNG plots")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")


def _reference(text):
    from nasbench.errors import NasbenchError

    if text is None:
        return None
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise NasbenchError(f"--hv-reference takes two numbers ACC,COST, e.g. 85,10; got {text!r}.") from None


def _list_strategies(args) -> int:
    import inspect

    from strategies.registry import list_strategies

    extra = [s.strip() for s in (args.strategies or "").split(",") if s.strip() and s.strip() != "all"]
    for info in list_strategies(extra):
        params = ", ".join(f"{k}=" + ("(required)" if v is inspect.Parameter.empty else repr(v))
                           for k, v in info.parameters.items()) or "(none)"
        print(f"{info.name}  [{info.source}: {info.path}]")
        print(f"    parameters: {params}")
        print(f"    reference:  {info.reference}")
    print("\nSet parameters with --strategy-params STRATEGY.PARAM=VALUE or a [params.STRATEGY] table in --config; "
          "add your own with --strategies package.module:Class or the nasbench.strategies entry-point group.")
    return 0


def _with_params(config, args):
    """``config`` with the --strategy-params assignments merged over its params (validated again)."""
    from strategies.registry import parse_param_assignments

    given = parse_param_assignments(args.strategy_params)
    if not given:
        return config
    merged = {k: dict(v) for k, v in config.params.items()}
    for name, params in given.items():
        if name not in config.strategies:
            from nasbench.errors import NasbenchError

            raise NasbenchError(f"--strategy-params sets {name!r}, which is not among --strategies "
                                f"{','.join(config.strategies)}; add it there or fix the name.")
        merged.setdefault(name, {}).update(params)
    config.params = merged
    config.__post_init__()
    return config


def run(args) -> int:
    if args.list_strategies:
        return _list_strategies(args)
    from strategies.compare import (
        CompareConfig,
        leaderboard_markdown,
        run_compare,
        write_outputs,
    )
    from strategies.registry import STRATEGIES
    from strategies._outdir import COMPARE_EXTRAS, check_destination, folder_lock, is_finished_compare_run

    strategies = args.strategies
    if strategies is not None and strategies.strip() == "all":
        from strategies.registry import needs_cost

        strategies = ",".join(n for n in STRATEGIES if args.objectives or not needs_cost(n))
    objective = {k: v for k, v in (("search_metric", args.search_metric), ("search_fidelity", args.search_fidelity),
                                   ("report_metric", args.report_metric), ("report_fidelity", args.report_fidelity))
                 if v is not None}
    overrides = {"benchmark": args.name, "strategies": strategies, "n_seeds": args.seeds, "seed": args.seed,
                 "max_evals": args.budget, "n_workers": args.workers, "constraint": args.constraint,
                 "objectives": args.objectives, "hv_reference": _reference(args.hv_reference),
                 "noise": args.noise, "equal_cost": False if args.no_equal_cost else None}
    if args.time_budget is not None:
        overrides["max_time_s"] = args.time_budget
        if args.budget is None:
            overrides["max_evals"] = None
    if args.config:
        config = CompareConfig.from_file(args.config, **{k: v for k, v in overrides.items() if v is not None})
        if args.time_budget is not None and args.budget is None:
            config.max_evals = None
        if objective:
            config.objective = {**config.objective, **objective}
            config.__post_init__()
    else:
        given = {k: v for k, v in overrides.items() if v is not None or k == "max_evals" and "max_time_s" in overrides}
        if objective:
            given["objective"] = objective
        config = CompareConfig(**given)
    config = _with_params(config, args)
    if args.out is None and args.overwrite:
        from nasbench.errors import NasbenchError

        raise NasbenchError("--overwrite applies to --out DIR; got --overwrite without --out. Add --out, or drop "
                            "--overwrite.")
    with contextlib.ExitStack() as stack:
        if args.out is not None:  # before the run: a destination that cannot take the results costs nothing
            check_destination(args.out, flag="--out", overwrite=args.overwrite, is_finished=is_finished_compare_run,
                              extras=COMPARE_EXTRAS)
            stack.enter_context(folder_lock(args.out, flag="--out"))
        result = _run(args, config, run_compare)
        print(leaderboard_markdown(result), end="")
        if args.out:
            write_outputs(result, args.out, plots=not args.no_plots, overwrite=args.overwrite)
            print(f"\nwrote {args.out}/: leaderboard.md, leaderboard.csv, summary.csv, stats.json, "
                  f"trajectories.parquet, *.png, report.html (all of it on one page), manifest.json")
    return 0


def _run(args, config, run_compare):
    from strategies._limits import estimate_bytes

    from strategies._progress import ProgressBar
    from strategies.compare_run import relative_cost as _relative_cost, task_for as _task_for

    # an unknown benchmark, metric or fidelity is an error before any progress line (the task is cached
    # for the run)
    task = _task_for(config.benchmark, config.objective, config.noise)
    if task.objective.search_metric.startswith("test_"):
        print(f"nasbench compare: warning: the search steers on {task.objective.search_metric}, a test-set metric: "
              "the reported result is then no unbiased estimate of the found arch's quality", file=sys.stderr)
    progress = None if args.quiet else ProgressBar(sys.stderr, weights=_relative_cost)
    if progress:
        size = "" if config.max_evals is None else \
            f" ({len(config.strategies) * config.n_seeds * config.max_evals} evaluations, about " \
            f"{estimate_bytes(len(config.strategies) * config.n_seeds * config.max_evals) / 2**20:.0f} MiB)"
        progress(f"{config.benchmark}: {', '.join(config.strategies)} x {config.n_seeds} seeds{size}")
    if args.executor == "ray":
        from strategies.executors import make_executor

        from nasbench.benchmarks.registry import parse_name

        # live training: each (strategy, seed) run is a Ray task that trains its archs, on a GPU of its own
        # where the cluster has GPUs
        gpus = "auto" if parse_name(config.benchmark)[2] == "train" else 0
        with make_executor("ray", n_jobs=n_processes(args.jobs, args.oversubscribe, default=1),
                           address=args.address, gpus_per_task=gpus) as executor:
            try:
                return run_compare(config, progress=progress, executor=executor)
            finally:
                if progress is not None:
                    progress.close()
    if args.address is not None:
        from nasbench.errors import NasbenchError

        raise NasbenchError(f"--address applies to --executor ray only; got --address {args.address} "
                            "with the local executor. Add --executor ray, or drop --address.")
    try:
        return run_compare(config, n_jobs=n_processes(args.jobs, args.oversubscribe), progress=progress)
    finally:
        if progress is not None:
            progress.close()
