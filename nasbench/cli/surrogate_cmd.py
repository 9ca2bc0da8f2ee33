"""``nasbench surrogate fit|eval|check``: fit surrogates on a table, score them, compare strategies.

* ``fit NAME --metric M [--fidelity F] --train-fraction F --seed S``: fit on a random split (or
  ``--train-indices FILE``, one index per line), save into the store as ``NAME@surrogate`` and print
  the held-out scores.
* ``eval NAME --metric M --train-fractions 0.01,0.05,0.1 --seeds 0,1,2``: fit on each split without
  saving and print mean and standard deviation of Kendall tau, Spearman, R2 and top-10% Kendall tau
  on the held-out archs; with ``--saved``, re-score the saved model on its own held-out archs.
  ``eval darts/digits [--runs DIR]``: score every model of ``darts/digits@surrogate`` on the held-out
  part of the measured runs (shipped with the package, or the store's), with NAS-Bench-301's figures:
  R2, Kendall tau, top-10% tau, the error against one seed next to the seed-vs-seed error, and
  leave-one-strategy-out where strategy-proposed parts exist (:func:`nasbench.training.darts_ship.score_surrogate`).
* ``fill NAME --metric M [--fidelity F]``: fill the gaps of a partly measured metric (``train_time_s``)
  or of learning curves (``lc_valid_acc``) with labelled predictions, stored beside the surrogates;
  ``query(..., missing="predicted")`` serves them, marked, and the simulated cost of a search
  charges the filled ``train_time_s`` where the table has no measured time.
* ``check NAME --metric M``: run the same strategy comparison on the table and on the surrogate
  and report each strategy's mean final value on both (:func:`strategies.surrogate_check.check_surrogate`).

The work is done by :mod:`nasbench.benchmarks.surrogate_fit`, :mod:`nasbench.benchmarks.filled` and
:mod:`strategies.surrogate_check`; this module parses flags and prints.
"""

from __future__ import annotations

import argparse
import json
import math

from nasbench.cli._args import int_at_least, number

HELP = "fit, evaluate and check learned surrogate benchmarks"
DARTS_RUNS = "darts/digits"  # the measured runs nasbench ships; `eval` scores its surrogate on them


def _fraction(text: str) -> float:
    """An argparse type: a share of archs, a number in (0, 1)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a share of the archs in (0, 1), e.g. 0.1; got {text!r}")
    return value


def _float_list(text: str) -> list[float]:
    values = [_fraction(t) for t in text.split(",") if t.strip()]
    if not values:
        raise argparse.ArgumentTypeError(f"expected comma-separated shares in (0, 1), e.g. 0.01,0.1; got {text!r}")
    return values


def _int_list(text: str) -> list[int]:
    parse = int_at_least(0)
    values = [parse(t) for t in text.split(",") if t.strip()]
    if not values:
        raise argparse.ArgumentTypeError(f"expected comma-separated ints >= 0, e.g. 0,1,2; got {text!r}")
    return values


def _params(text, model: str = "xgboost"):
    """Parse ``--params`` (a JSON object) and check it in run(), so a bad value is a one-line NasbenchError."""
    from surrogates.fit import SurrogateConfigError, check_params

    if text is None:
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, dict):
        raise SurrogateConfigError(
            f"--params takes a JSON object of model settings, e.g. '{{\"n_estimators\": 100}}' (XGBoost) or "
            f"'{{\"epochs\": 100}}' (--model mlp); got {text!r}."
        )
    return check_params(value, model, what="--params")


def add_arguments(parser):
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    common = {
        "metric": dict(default="test_acc", help="metric to model (default test_acc)"),
        "fidelity": dict(type=number, default=None, help="fidelity; default: the metric's highest"),
        "model": dict(choices=["xgboost", "mlp"], default="xgboost",
                      help="surrogate model: bagged XGBoost (default) or an MLP ensemble (needs torch)"),
    }
    fit = sub.add_parser("fit", help="fit a surrogate on a split of a table and save it")
    fit.add_argument("name", help="tabular benchmark, e.g. nb201/cifar10")
    fit.add_argument("--metric", **common["metric"])
    fit.add_argument("--fidelity", **common["fidelity"])
    fit.add_argument("--train-fraction", type=_fraction, default=0.1, help="share of archs to train on, in (0, 1)")
    fit.add_argument("--train-indices", default=None, help="file with one training arch index per line")
    fit.add_argument("--seed", type=int_at_least(0), default=0, help="root seed of split and models (default 0)")
    fit.add_argument("--encoding", default=None, help="encoding name (default: the space's default)")
    fit.add_argument("--members", type=int_at_least(0, 100), default=5,
                     help="bagged members of the noise model (default 5)")
    fit.add_argument("--model", **common["model"])
    fit.add_argument("--params", default=None, help="model settings as JSON (default: tuned)")
    fit.add_argument("--from", dest="source", default=None,
                     help="nb101/darts: folder with NASLib's zero-cost files (e.g. ../shared/data)")
    fit.add_argument("--json", action="store_true", help="print JSON")

    ev = sub.add_parser("eval", help="score surrogates on held-out archs")
    ev.add_argument("name", help="tabular benchmark, e.g. nb201/cifar10")
    ev.add_argument("--metric", **common["metric"])
    ev.add_argument("--fidelity", **common["fidelity"])
    ev.add_argument("--train-fractions", type=_float_list, default=[0.01, 0.05, 0.1],
                    help="comma-separated training fractions (default 0.01,0.05,0.1)")
    ev.add_argument("--seeds", type=_int_list, default=[0, 1, 2], help="comma-separated split seeds (default 0,1,2)")
    ev.add_argument("--encoding", default=None, help="encoding name (default: the space's default)")
    ev.add_argument("--saved", action="store_true", help="score the saved NAME@surrogate model instead")
    ev.add_argument("--model", **common["model"])
    ev.add_argument("--params", default=None, help="model settings as JSON (default: tuned)")
    ev.add_argument("--no-dedup", action="store_true", help="keep isomorphic training archs as separate rows")
    ev.add_argument("--from", dest="source", default=None,
                    help="nb101/darts: folder with NASLib's zero-cost files (e.g. ../shared/data)")
    ev.add_argument("--runs", default=None,
                    help="darts/digits: folder of the measured runs (default: the store's, else the shipped ones)")
    ev.add_argument("--json", action="store_true", help="print JSON")

    fl = sub.add_parser("fill", help="fill a metric's gaps with labelled predictions and store them")
    fl.add_argument("name", help="tabular benchmark, e.g. nb201/cifar10")
    fl.add_argument("--metric", required=True, help="e.g. train_time_s, or lc_valid_acc for learning curves")
    fl.add_argument("--fidelity", **common["fidelity"])
    fl.add_argument("--seed", type=int_at_least(0), default=0, help="root seed (default 0)")
    fl.add_argument("--json", action="store_true", help="print JSON")

    ch = sub.add_parser("check", help="do strategies rank the same on the surrogate as on the table?")
    ch.add_argument("name", help="tabular benchmark, e.g. nb201/cifar10")
    ch.add_argument("--metric", **common["metric"])
    ch.add_argument("--fidelity", **common["fidelity"])
    ch.add_argument("--train-fraction", type=_fraction, default=0.1, help="share of archs the surrogate trains on")
    ch.add_argument("--strategies", default="random_search,regularized_evolution,local_search",
                    help="comma-separated strategy names")
    ch.add_argument("--seeds", type=int_at_least(2, 10_000), default=20, help="search repeats per strategy (default 20)")
    ch.add_argument("--budget", type=int_at_least(1, 1_000_000), default=100, help="queries per search (default 100)")
    ch.add_argument("--seed", type=int_at_least(0), default=0, help="root seed (default 0)")
    ch.add_argument("--json", action="store_true", help="print JSON")


def run(args) -> int:
    return {"fit": _fit, "eval": _eval, "fill": _fill, "check": _check}[args.action](args)


def _fill(args) -> int:
    from nasbench.benchmarks.filled import fill, save_filled

    filled = fill(args.name, args.metric, args.fidelity, seed=args.seed)
    folder = save_filled(args.name, args.metric, filled)
    summary = {"benchmark": args.name, "metric": args.metric, "fidelities": list(filled.fidelities),
               "n_predicted": int(filled.predicted.sum()), "n_measured": int((~filled.predicted).sum()),
               "predicted_by": filled.predicted_by, "validation": filled.scores, "saved_to": str(folder)}
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        fid = "" if args.fidelity is None else f" --fidelity {args.fidelity}"
        print(f"{args.name} {args.metric}: {summary['n_measured']} measured rows kept, {summary['n_predicted']} "
              f"predicted by {filled.predicted_by}")
        print(f"saved to {folder}; `nasbench query {args.name} ARCH --metric {args.metric}{fid} --missing predicted` serves them "
              "marked as predictions" + (", and searches on this table charge them as training time"
                                         if args.metric == "train_time_s" else ""))
    return 0


def _read_indices(path):
    import numpy as np

    from nasbench.cli._args import read_text_file
    from nasbench.errors import MissingDataError

    text = read_text_file(path, "--train-indices", "a text file with one arch index per line")
    try:
        return np.array([int(line) for line in text.splitlines() if line.strip()], dtype=np.int64)
    except (ValueError, OverflowError):
        raise MissingDataError(f"--train-indices file {path!r} must hold one integer arch index per line.") from None


def _fit(args) -> int:
    from nasbench.benchmarks.surrogate_fit import fit_surrogate, save_surrogate

    train = _read_indices(args.train_indices) if args.train_indices else None
    result = fit_surrogate(args.name, args.metric, args.fidelity, train_fraction=args.train_fraction,
                           seed=args.seed, encoding=args.encoding, train_indices=train, n_members=args.members,
                           source_dir=args.source, params=_params(args.params, args.model), model=args.model)
    folder = save_surrogate(result)
    meta = result.metadata
    name = f"{meta['space']}/{meta['dataset']}@surrogate"
    if args.json:
        print(json.dumps({"benchmark": name, "saved_to": str(folder), **meta}, sort_keys=True))
    else:
        s = result.scores
        print(f"fit {meta['metric']}@{meta['fidelity']} on {meta['split']['n_train']} archs of {args.name} "
              f"({meta['model_name']}, {meta['encoding']} encoding); held-out ({s['n']} archs): "
              f"Kendall tau {s['kendall_tau']:.4f}, "
              f"Spearman {s['spearman']:.4f}, R2 {s['r2']:.4f}, top-10% Kendall tau {s['top10_kendall_tau']:.4f}")
        print(f"saved to {folder}; serve it with nasbench.load({name!r})")
    return 0


def _eval(args) -> int:
    from nasbench.benchmarks.surrogate_fit import SCORE_KEYS, evaluate_fractions, score_saved

    if args.name == DARTS_RUNS:
        return _eval_darts_runs(args)
    if args.saved:
        result = score_saved(args.name, args.metric, args.fidelity)
        if args.json:
            print(json.dumps(result))
        else:
            print(f"{result['benchmark']} {args.metric}@{result['fidelity']} on {result['n']} held-out archs: "
                  f"Kendall tau {result['kendall_tau']:.4f}, Spearman {result['spearman']:.4f}, R2 {result['r2']:.4f}, "
                  f"top-10% Kendall tau {result['top10_kendall_tau']:.4f}")
        return 0
    rows = evaluate_fractions(args.name, args.metric, args.fidelity, train_fractions=args.train_fractions,
                              seeds=args.seeds, encoding=args.encoding, params=_params(args.params, args.model),
                              dedup=not args.no_dedup, model=args.model, source_dir=args.source)
    if args.json:
        print(json.dumps({"benchmark": args.name, "metric": args.metric, "fidelity": args.fidelity, "rows": rows}))
        return 0
    print(f"{args.name} {args.metric} (fidelity {args.fidelity or 'highest'}), {args.model} model, held-out archs, "
          f"mean (sd) over seeds {','.join(map(str, args.seeds))}")
    print("train_frac  n_train  kendall_tau      spearman         r2               top10_kendall_tau")
    for r in rows:
        print(f"{r['train_fraction']:<10}  {r['n_train']:<7}  "
              + "  ".join(f"{r[k]:.4f} ({r[k + '_sd']:.4f})" for k in SCORE_KEYS))
    return 0


def _eval_darts_runs(args) -> int:
    """``eval darts/digits``: the served surrogate scored on the held-out runs (see the module doc)."""
    import nasbench
    from nasbench.errors import MissingDataError
    from nasbench.training.darts_ship import read_runs, runs_folder, score_surrogate

    folder = args.runs or runs_folder()
    if folder is None:
        raise MissingDataError(f"no measured runs of {DARTS_RUNS} here (neither in the store nor shipped); pass "
                               "--runs DIR (written by `python -m nasbench.training.darts_ship`).")
    runs = read_runs(folder)
    try:
        bench = nasbench.load(f"{DARTS_RUNS}@surrogate")
    except MissingDataError:
        raise MissingDataError(f"no {DARTS_RUNS}@surrogate to score (neither in the store nor shipped); write one with "
                               "`python -m nasbench.training.darts_ship --parent DIR --what surrogate`.") from None
    out = score_surrogate(bench, runs)
    if args.json:
        print(json.dumps({"benchmark": bench.name, "runs": str(folder), **out}, default=float))
        return 0
    held = sum(p == "heldout" for p in runs["part"])
    print(f"{bench.name} on the held-out runs of {DARTS_RUNS} ({held} archs never fit on, seeds 0 and 1; "
          f"{len(runs['codes']) - held} training archs; runs from {folder})")
    print("model           n    R2      tau     top10_tau  spearman  MAE_vs_one_seed  MAE_seed_vs_seed  "
          "seed_vs_seed_tau  perfect_tau  fit_on_these_runs")
    for key, f in out["models"].items():
        print(f"{key:<15} {f['n']:<4} {f['r2']:<7.4f} {f['kendall_tau']:<7.4f} {f['top10_kendall_tau']:<10.4f} "
              f"{f['spearman']:<9.4f} {f['mae_vs_one_seed']:<16.4f} {f['mae_seed_vs_seed']:<17.4f} "
              f"{f['seed_vs_seed']['kendall_tau']:<17.4f} {f['perfect_predictor_kendall_tau']:<12.4f} "
              f"{'yes' if out['same_runs'][key] else 'no'}")
    print("tau and MAE are against the two seeds' mean and one seed; perfect_tau: the tau a perfect predictor of "
          "each arch's true mean would reach, given the seed noise (normal-score model)")
    print("leave-one-strategy-out: " + (out["loso_note"] or ""))
    for key, per in out["leave_one_strategy_out"].items():
        for name, sc in per.items():
            print(f"  {key} without {name}: {sc['n']} archs, Kendall tau {sc['kendall_tau']:.4f}, "
                  f"R2 {sc['r2']:.4f}, top-10% tau {sc['top10_kendall_tau']:.4f}")
    return 0


def _check(args) -> int:
    from strategies.surrogate_check import check_surrogate, format_report

    report = check_surrogate(args.name, args.metric, args.fidelity, train_fraction=args.train_fraction,
                             strategies=[s for s in args.strategies.split(",") if s], n_seeds=args.seeds,
                             budget=args.budget, seed=args.seed)
    print(json.dumps(report, sort_keys=True) if args.json else format_report(report))
    return 0 if report["all_within_tolerance"] else 1
