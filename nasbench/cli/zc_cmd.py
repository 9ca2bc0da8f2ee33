"""``nasbench zc``: zero-cost proxies - full tables, how good they are, agreement with NASLib.

* ``nasbench zc compute BENCH --proxies P ... [--workers N]``: score every NB201 isomorphism class
  (chunked, resumable, kill-safe; :mod:`nasbench.training.proxies_job`) and add ``zc_<proxy>`` and
  ``zc_<proxy>_time_s`` to the benchmark's table. Chunks go to ``--build`` (default
  ``$NASBENCH_DATA/_build/zc-SPACE-DATASET``); the table shipped inside the package is written only
  when named with ``--table``.
* ``nasbench zc status BENCH``: chunks done and seconds per arch so far.
* ``nasbench zc report BENCH [--naslib DIR] [--ours FILE]``: Spearman, Kendall and top-10% precision
  of each proxy with the benchmark's accuracy, compute cost, and a plot (:mod:`strategies.zc_report`).
* ``nasbench zc features BENCH [--naslib DIR]``: held-out surrogate Kendall tau with and without
  the proxies as features (:mod:`strategies.zc_features`).
* ``nasbench zc warmstart BENCH --proxy P --time-budget S [--naslib DIR]``: zero-cost warm start
  against the cold strategy, paired over seeds (:mod:`strategies.zc_warm_start`).
* ``nasbench zc naslib --from DIR``: rank agreement with NASLib's published NB201 scores
  (:mod:`nasbench.training.proxies_naslib`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HELP = "zero-cost proxies: compute full tables (resumable), report their quality, check them against NASLib"


def _job_flags(p) -> None:
    p.add_argument("bench", metavar="BENCH", help="nb201/digits, nb201/cifar10, nb201/cifar100 or nb201/imagenet16-120")
    p.add_argument("--proxies", nargs="+", default=["all"], help="proxy names or 'all' (default all)")
    p.add_argument("--inputs", choices=("digits", "noise", "none"), default=None,
                   help="the batch of the data-dependent proxies (default: digits images for nb201/digits, none "
                        "(data-free proxies only) for the CIFAR-shaped tables)")
    p.add_argument("--batch-size", type=int, default=64, help="images per batch (default 64)")
    p.add_argument("--seed", type=int, default=0, help="initialisation and noise seed (default 0)")
    p.add_argument("--chunk-size", type=int, default=32, help="classes per chunk file (default 32)")
    p.add_argument("--n-classes", type=int, default=None, help="score only class ids 0..N-1 (trials, tests)")
    p.add_argument("--build", default=None, help="build folder of chunk files (default $NASBENCH_DATA/_build/zc-...)")


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="zc_action", metavar="ACTION", required=True)
    c = sub.add_parser("compute", help="score every arch class with the proxies and add zc_* metrics to the table")
    _job_flags(c)
    c.add_argument("--workers", type=int, default=1, help="worker processes, 1 torch thread each (0: in this process)")
    c.add_argument("--table", default=None,
                   help="where the table with zc_* metrics is written (default: the imported table itself; required "
                        "for the table shipped with the package, which is never written unless named here)")
    c.add_argument("--no-merge", action="store_true", help="only compute the chunks")
    s = sub.add_parser("status", help="chunks done and seconds per arch of each proxy so far")
    _job_flags(s)
    r = sub.add_parser("report", help="how well each zc_* metric of BENCH ranks its accuracy, with a plot")
    r.add_argument("bench", metavar="BENCH")
    r.add_argument("--metric", default=None, help="accuracy metric to rank (default valid_acc, else test_acc)")
    r.add_argument("--fidelity", type=float, default=None, help="its fidelity (default: the metric's default)")
    r.add_argument("--plot", default=None, help="PNG path of the plot (default zc-report-SPACE-DATASET.png)")
    r.add_argument("--naslib", default=None, metavar="DIR",
                   help="also rank NASLib's published NB201 scores (folder holding zc_nasbench201.json, e.g. "
                        "../shared/data) on its ~724 sampled archs")
    r.add_argument("--ours", default=None, metavar="FILE",
                   help="also rank our scores of NASLib's sampled archs (a `nasbench zc naslib --out` file)")
    out = r.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the rows as JSON")
    out.add_argument("--markdown", action="store_true", help="print the rows as a Markdown table")
    f = sub.add_parser("features", help="held-out surrogate Kendall tau with and without the proxies as features")
    f.add_argument("bench", metavar="BENCH", help="an NB201 table with zc_* metrics, or nb201/DATASET with --naslib")
    f.add_argument("--naslib", default=None, metavar="DIR",
                   help="use NASLib's published scores of its ~724 sampled archs (folder holding zc_nasbench201.json)")
    f.add_argument("--proxies", nargs="+", default=None, help="only these proxies (default: all of the scores)")
    f.add_argument("--metric", default=None, help="the surrogate's target (default valid_acc, else test_acc)")
    f.add_argument("--fidelity", type=float, default=None, help="its fidelity (default: the metric's default)")
    f.add_argument("--fractions", type=float, nargs="+", default=[0.01, 0.05, 0.1],
                   help="training shares of the pool of archs with every score (default 0.01 0.05 0.1)")
    f.add_argument("--seeds", type=int, default=10, help="random splits per share, paired across arms (default 10)")
    f.add_argument("--seed", type=int, default=0, help="root seed of the splits (default 0)")
    f.add_argument("--json", default=None, metavar="FILE", help="also write every tau and the statistics as JSON")
    w = sub.add_parser("warmstart", help="zero-cost warm start vs cold start of strategies, paired over seeds")
    w.add_argument("bench", metavar="BENCH", help="a table with zc_<proxy>, or nb201/DATASET with --naslib")
    w.add_argument("--proxy", required=True, help="the proxy that ranks the scored archs, e.g. synflow")
    w.add_argument("--strategies", nargs="+", default=["regularized_evolution"], help="strategy names")
    w.add_argument("--strategy-params", nargs="*", default=[], metavar="STRATEGY.KEY=VALUE",
                   help="a strategy's parameter, e.g. regularized_evolution.population_size=20")
    w.add_argument("--n-score", type=int, default=100, help="random archs scored by the proxy (default 100)")
    w.add_argument("--top-k", type=int, default=10, help="best scored archs the strategy starts from (default 10)")
    w.add_argument("--seeds", type=int, default=20, help="paired seeds (default 20)")
    w.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    w.add_argument("--time-budget", type=float, required=True, help="simulated seconds per run, scoring included")
    w.add_argument("--naslib", default=None, metavar="DIR",
                   help="score with NASLib's published scores of its ~724 sampled archs (the pool drawn from)")
    w.add_argument("--json", default=None, metavar="FILE", help="also write every per-seed score as JSON")
    w.add_argument("--plot", default=None, metavar="PNG", help="also plot mean regret vs simulated time")
    n = sub.add_parser("naslib", help="rank agreement with NASLib's NB201 zero-cost scores at the CIFAR shape")
    n.add_argument("--from", dest="source", required=True, help="folder holding zc_nasbench201.json")
    n.add_argument("--dataset", default="cifar10", choices=("cifar10", "cifar100", "ImageNet16-120"))
    n.add_argument("--proxies", nargs="+", default=["all"])
    n.add_argument("--n-archs", type=int, default=None, help="only the first N archs of the file")
    n.add_argument("--seed", type=int, default=0)
    n.add_argument("--out", default=None, help="write the rows and our scores to this JSON file")


def _job(args):
    from nasbench.training.proxies_job import job_for

    return job_for(args.bench, args.proxies, inputs=args.inputs, batch_size=args.batch_size, seed=args.seed,
                   chunk_size=args.chunk_size, n_arch_classes=args.n_classes)


def _destination(args, job):
    """(source table folder, destination folder), refused before any scoring when not allowed."""
    from nasbench.benchmarks.registry import table_dir
    from nasbench.errors import MissingDataError, NasbenchError
    from nasbench.paths import embedded_root

    found = table_dir(job.bench)
    if found is None:
        raise MissingDataError(f"{job.bench} is not imported; run `nasbench data import nb201 --from DIR` first, then "
                               "`nasbench zc compute` again.")
    source = found[0]
    if args.table is not None:
        return source, Path(args.table)
    if Path(source).resolve().is_relative_to(Path(embedded_root()).resolve()):
        raise NasbenchError(f"{job.bench} is the table shipped inside the package ({source}); nasbench writes there "
                            f"only when named: pass --table {source} (a source checkout), or --no-merge.")
    return source, Path(source)


def _compute(args) -> int:
    from nasbench.training import proxies_job as zj

    job = _job(args)
    build = Path(args.build) if args.build else zj.default_build(job)
    source, dest = (None, None) if args.no_merge else _destination(args, job)
    out = zj.run_job(build, job, workers=args.workers, log=lambda s: print(s, flush=True))
    if out["done"] == out["total"] and not out["interrupted"] and not args.no_merge:
        out["table"] = str(zj.merge_into_table(build, job, source, dest))
    elif not out["interrupted"] and out["done"] < out["total"]:
        out["note"] = "chunks are missing; run the same command again"
    print(json.dumps(out), flush=True)
    return 130 if out["interrupted"] else 0


def _report(args) -> int:
    from strategies.zc_report import format_markdown, format_rows, plot_report, proxy_report

    rep = proxy_report(args.bench, metric=args.metric, fidelity=args.fidelity, naslib_dir=args.naslib,
                       ours=args.ours)
    plot = args.plot or f"zc-report-{args.bench.replace('/', '-').replace('@', '-')}.png"
    plot_report(rep, plot)
    if args.json:
        print(json.dumps({k: v for k, v in rep.items() if k != "arrays"}, indent=1))
    else:
        print(format_markdown(rep) if args.markdown else format_rows(rep))
    print(f"plot: {plot}", file=sys.stderr)
    return 0


def _naslib(args) -> int:
    from nasbench.training.proxies import check_proxies
    from nasbench.training.proxies_naslib import naslib_agreement

    rep = naslib_agreement(args.source, args.dataset, check_proxies(args.proxies), n_archs=args.n_archs,
                           seed=args.seed, log=lambda s: print(s, file=sys.stderr, flush=True))
    print(f"{'proxy':<10} {'data-free':>9} {'spearman':>9} {'kendall':>8} {'ours~val':>9} {'naslib~val':>10} "
          f"{'our s/arch':>10}")
    for r in rep["rows"]:
        print(f"{r['proxy']:<10} {str(r['data_free']):>9} {r.get('spearman', float('nan')):>9.3f} "
              f"{r.get('kendall', float('nan')):>8.3f} {r['ours_vs_val']:>9.3f} "
              f"{r.get('naslib_vs_val', float('nan')):>10.3f} {r['our_s_per_arch']:>10.3f}")
    print(f"{rep['n_archs']} archs of NASLib's {rep['dataset']} sample; data-dependent proxies on {rep['inputs']}")
    if args.out:
        doc = {k: v for k, v in rep.items() if k not in ("scores", "index")}
        doc["index"] = rep["index"].tolist()
        doc["scores"] = {p: [None if v != v else v for v in s.tolist()] for p, s in rep["scores"].items()}
        Path(args.out).write_text(json.dumps(doc, indent=1, default=str).replace("-Infinity", "null"))
    return 0


def _features(args) -> int:
    from strategies.zc_features import features_on_benchmark, format_markdown

    fidelity = int(args.fidelity) if args.fidelity is not None and args.fidelity.is_integer() else args.fidelity
    proxies = None if args.proxies is None else [p for n in args.proxies for p in n.split(",") if p]
    rep = features_on_benchmark(args.bench, naslib_dir=args.naslib, proxies=proxies, metric=args.metric,
                                fidelity=fidelity,
                                fractions=args.fractions, n_seeds=args.seeds, seed=args.seed,
                                log=lambda s: print(s, file=sys.stderr, flush=True))
    print(format_markdown(rep, f"{rep['bench']}: XGBoost surrogate of {rep['metric']} (fidelity {rep['fidelity']}), "
                               f"{rep['encoding']} encoding, {len(rep['proxies'])} proxies ({rep['scores']} scores), "
                               f"pool {rep['pool']} archs, {rep['n_seeds']} paired splits; held-out Kendall tau\n"))
    if args.json:
        doc = {k: v for k, v in rep.items() if k != "tau"}
        doc["tau"] = {arm: t.tolist() for arm, t in rep["tau"].items()}
        Path(args.json).write_text(json.dumps(doc, indent=1))
    return 0


def _warmstart(args) -> int:
    from strategies.registry import parse_param_assignments
    from strategies.zc_warm_start import format_markdown, plot_curves, warm_vs_cold

    rep = warm_vs_cold(args.bench, args.strategies, args.proxy, n_score=args.n_score, top_k=args.top_k,
                       n_seeds=args.seeds, max_time_s=args.time_budget, root_seed=args.seed, naslib_dir=args.naslib,
                       params=parse_param_assignments(args.strategy_params),
                       log=lambda s: print(s, file=sys.stderr, flush=True))
    print(format_markdown(rep))
    if args.plot:
        plot_curves(rep, args.plot)
    if args.json:
        Path(args.json).write_text(json.dumps(rep, indent=1))
    return 0


def run(args) -> int:
    if args.zc_action == "compute":
        return _compute(args)
    if args.zc_action == "status":
        from nasbench.training import proxies_job as zj

        job = _job(args)
        print(json.dumps(zj.status(Path(args.build) if args.build else zj.default_build(job), job), indent=1))
        return 0
    if args.zc_action == "report":
        return _report(args)
    if args.zc_action == "features":
        return _features(args)
    if args.zc_action == "warmstart":
        return _warmstart(args)
    return _naslib(args)
