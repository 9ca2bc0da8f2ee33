"""``nasbench latency import|devices|measure|fit|plan|adapt|report``: per-device latency.

* ``import --from DIR``: HELP's 27 device configurations into ``$NASBENCH_DATA/latency/nb201/help``.
* ``devices``: every device with its kind, batch size, coverage and median latency.
* ``measure --device cpu|cuda --archs ...``: time NB201 networks here with PyTorch and store the
  medians as a new device (``--name``) of the ``measured`` table.
* ``fit --device D --n-train N``: fit a latency model on N archs of D, score it on D's other archs.
* ``plan --n N``: the archs to measure on a new device (experimental design under the prior learned
  from the known devices); ``measure --plan FILE --out CSV`` measures them, ``adapt --measurements
  CSV --save-as NAME`` adapts, and ``latency_ms@NAME`` is then queryable.
* ``adapt --measurements FILE``: few-shot prediction of a new device from a CSV of measured archs.
* ``report``: few-shot adaptation with a whole hardware family held out (``--holdout family``, the
  default; with the ``--device-like`` runs a user who knows the device's kind would do, ``--no-like``
  skips them; ``--learnable-ceiling`` adds what the better of trees and the latency features fit on 90 % of
  each edge device's own archs reach), or the per-device figures by training size and leave-one-device-out (``--holdout device``).

Hardware-aware search is ``nasbench compare nb201/cifar10 --constraint 'latency_ms@DEVICE <= X'`` (or
``--objectives test_acc,latency_ms@DEVICE``); ``latency search`` only says so.

The work is done by :mod:`nasbench.benchmarks.latency_workflow` and :mod:`surrogates.latency`; this
module parses the flags, reads the user's files (:mod:`nasbench.cli.latency_files`) and prints.

Relative errors (the share within +-10 %) count only archs whose cell output depends on the input:
for the other 341 cells, pixel3 and raspi4 report near-zero latencies (compiled away), where a
relative error says nothing. RMSE counts every arch.
"""

from __future__ import annotations

import json
import sys

HELP = "per-device latency: import, measure, fit, plan and adapt latency models, report"

_FIT_MODELS = ("additive", "interaction")
_ADAPT_MODELS = ("hierarchical", "cross_device", "additive")
_REPORT_MODELS = ("hierarchical", "cross_device", "additive", "interaction")


def add_arguments(parser):
    sub = parser.add_subparsers(dest="latency_command", metavar="ACTION", required=True)
    imp = sub.add_parser("import", help="import HELP's latency files (27 device configurations)")
    imp.add_argument("--from", dest="from_dir", required=True, metavar="DIR", help="folder holding HELP's .pt files or CSV")
    imp.add_argument("--to", dest="to_dir", default=None, metavar="ROOT", help="data store (default $NASBENCH_DATA)")

    dev = sub.add_parser("devices", help="list the latency devices")
    dev.add_argument("--json", action="store_true", help="print JSON")

    mea = sub.add_parser("measure", help="measure latency here with PyTorch and store it as a new device")
    mea.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    mea.add_argument("--archs", nargs="+", metavar="ARCH", default=None, help="arch indices or strings")
    mea.add_argument("--plan", dest="plan_file", default=None, metavar="FILE",
                     help="measure the archs of a plan (JSON from `latency plan --json`) or of a measurements CSV")
    mea.add_argument("--out", default=None, metavar="CSV",
                     help="also write arch,latency_ms (the medians) for `latency adapt --measurements`")
    mea.add_argument("--n-random", type=int, default=None, metavar="N", help="measure N random archs (with --seed)")
    mea.add_argument("--seed", type=int, default=0)
    mea.add_argument("--batch-size", type=int, nargs="+", default=[1], help="one or more batch sizes")
    mea.add_argument("--warmup", type=int, default=10)
    mea.add_argument("--repeats", type=int, default=30)
    from nasbench.cli._args import available_cpus, int_at_least

    mea.add_argument("--threads", type=int_at_least(1, available_cpus(), "the CPUs available here: more threads "
                                                    "than CPUs measure contention, not the model"), default=1,
                     help="CPU threads (torch.set_num_threads), at most the CPUs available")
    mea.add_argument("--input-size", type=int, default=32)
    mea.add_argument("--name", default=None, help="device name prefix (default local_<device>); _b<batch> is appended")
    mea.add_argument("--no-save", action="store_true", help="print only, store nothing")
    mea.add_argument("--replace", action="store_true",
                     help="discard earlier measurements of this device name (default: add to them)")

    _add_model_commands(sub)


def _add_model_commands(sub) -> None:
    """The subcommands that fit, plan, adapt and report latency models."""
    fit = sub.add_parser("fit", help="fit a latency model on N archs of a device and score it on the rest")
    fit.add_argument("--device", required=True)
    fit.add_argument("--n-train", type=int, default=100)
    fit.add_argument("--model", choices=_FIT_MODELS, default="additive")
    fit.add_argument("--seed", type=int, default=0)
    fit.add_argument("--save", default=None, metavar="DIR", help="save the fitted model (JSON + npz)")
    fit.add_argument("--json", action="store_true")

    pla = sub.add_parser("plan", help="choose the archs to measure on a new device (experimental design)")
    pla.add_argument("--n", type=int, default=20, help="how many archs to measure")
    pla.add_argument("--device-like", nargs="+", default=None, metavar="DEVICE",
                     help="known devices the new one resembles (their families set the prior mean)")
    pla.add_argument("--exclude", nargs="*", default=[], metavar="DEVICE",
                     help="known devices the prior must not use")
    pla.add_argument("--measured", default=None, metavar="FILE",
                     help="a measurements CSV already taken: plan the next archs given those")
    pla.add_argument("--json", action="store_true", help="print one JSON object; its 'archs' key lists NB201 indices")

    ada = sub.add_parser("adapt", help="predict a new device's latencies from a few measured archs")
    ada.add_argument("--measurements", required=True, metavar="FILE",
                     help="CSV with columns arch (index or arch string) and latency_ms")
    ada.add_argument("--model", choices=("hierarchical", "cross_device"), default="hierarchical",
                     help="hierarchical Bayesian model (default) or the low-rank cross-device basis")
    ada.add_argument("--device-like", nargs="+", default=None, metavar="DEVICE",
                     help="known devices the new one resembles (hierarchical: only their families' prior means)")
    ada.add_argument("--resolution-ms", type=float, default=None,
                     help="reading resolution of the device (default: 1 when every value is a whole number, else 0)")
    ada.add_argument("--rank", type=int, default=4, help="factors of the cross_device model")
    ada.add_argument("--exclude", nargs="*", default=[], metavar="DEVICE",
                     help="known devices the basis must not use (e.g. the device itself, in a test)")
    ada.add_argument("--out", default=None, metavar="CSV", help="write arch_idx,latency_ms predictions for every arch")
    ada.add_argument("--save-as", default=None, metavar="NAME", help="store the predictions as predicted device NAME")
    ada.add_argument("--replace", action="store_true")
    ada.add_argument("--json", action="store_true")

    rep = sub.add_parser("report", help="few-shot adaptation to held-out hardware families, or per-device figures")
    rep.add_argument("--holdout", choices=("family", "device"), default="family",
                     help="family (default): leave out every configuration of a hardware family and its "
                          "near-duplicates; device: per-device models by training size and leave-one-device-out")
    rep.add_argument("--shots", type=int, nargs="+", default=None,
                     help="measured archs for adaptation (default 10 20 50; --holdout device: 10 20)")
    rep.add_argument("--repeats", type=int, default=3, help="random training sets per cell (mean reported)")
    rep.add_argument("--seed", type=int, default=0)
    rep.add_argument("--models", nargs="+", choices=_REPORT_MODELS, default=None,
                     help="family: hierarchical cross_device additive (default all); device: additive interaction")
    rep.add_argument("--sizes", type=int, nargs="+", default=[20, 100, 1000],
                     help="--holdout device: training sizes of the per-device models")
    rep.add_argument("--per-device", action="store_true", help="print every device, not only the summary")
    rep.add_argument("--no-like", action="store_true",
                     help="--holdout family: skip the runs with --device-like the families of the same kind")
    rep.add_argument("--learnable-ceiling", action="store_true",
                     help="--holdout family: also fit gradient-boosted trees and the latency features on 90%% of each "
                          "edge device's own archs (what a model of the arch can learn; needs xgboost, "
                          "several minutes)")
    rep.add_argument("--replans", type=int, default=0, metavar="N",
                     help="--holdout family: also plan on N random halves of the candidates and show the mean and "
                          "worst of the edge devices' figures (how much one plan's figure depends on the exact "
                          "candidates)")
    rep.add_argument("--json", default=None, metavar="FILE", help="write all rows and summaries as JSON")

    # removed (one way to do one thing: compare --constraint); any old flags reach the one-line pointer
    sea = sub.add_parser("search", prefix_chars="+", add_help=False)
    sea.add_argument("rest", nargs="*")


def run(args) -> int:
    action = {"import": _import, "devices": _devices, "measure": _measure, "fit": _fit, "adapt": _adapt,
              "plan": _plan, "report": _report, "search": _search}[args.latency_command]
    if args.latency_command in ("plan", "adapt", "report"):
        from surrogates.latency.holdout import one_blas_thread

        with one_blas_thread():
            return action(args)
    return action(args)



def _pct(x: float) -> str:
    return f"{100 * x:5.1f}%"


def print_query(bench, archs, args) -> int:
    """``nasbench query NAME ARCH --metric latency_ms --device D``: print like the query command."""
    import numpy as np

    values = np.atleast_1d(bench.query(archs, args.metric, args.fidelity, args.seed, device=args.device))
    indices, _ = bench.space.to_indices(archs)
    rows = [{"benchmark": bench.name, "arch_index": int(i), "arch": bench.space.from_index(int(i)).string,
             "metric": args.metric, "unit": "ms", "device": args.device, "value": float(v)}
            for i, v in zip(indices, values)]
    from nasbench.cli.query_cmd import print_rows

    print_rows(rows, args.json)
    return 0


def _search(args) -> int:
    from nasbench.errors import UnknownNameError

    raise UnknownNameError("`nasbench latency search` was removed; run `nasbench compare nb201/cifar10 "
                           "--constraint 'latency_ms@DEVICE <= X'` (or --objectives test_acc,latency_ms@DEVICE).")


def _import(args) -> int:
    from nasbench.paths import data_root
    from tabular_data.importers.help_latency import import_help_latency

    import_help_latency(args.from_dir, args.to_dir or data_root())
    return 0


def _devices(args) -> int:
    from nasbench.benchmarks.latency import load_latency

    rows = load_latency("nb201").describe()
    if args.json:
        print(json.dumps(rows))
        return 0
    print(f"{'device':<16}{'source':<10}{'kind':<7}{'batch':>6}{'archs':>7}{'median ms':>11}  about")
    for r in rows:
        batch = "" if r["batch_size"] is None else str(r["batch_size"])
        print(f"{r['name']:<16}{r['source']:<10}{r['kind']:<7}{batch:>6}{r['n_archs']:>7}{r['median_ms']:>11.3f}  "
              f"{r['about']}")
    return 0


def _measure_archs(args):
    """The archs ``measure`` was asked for (exactly one of --archs, --n-random, --plan)."""
    import numpy as np

    from nasbench.cli._args import ascii_int
    from nasbench.errors import UnknownNameError
    from nasbench.rng import as_generator

    if sum(v is not None for v in (args.archs, args.n_random, args.plan_file)) != 1:
        raise UnknownNameError("give the archs to measure: --archs A B ..., --n-random N or --plan FILE (one of them).")
    if args.out and len(args.batch_size) != 1:
        raise UnknownNameError(f"--out writes one batch size; got --batch-size {args.batch_size}. Give one.")
    if args.plan_file is not None:
        from nasbench.cli.latency_files import read_plan

        return read_plan(args.plan_file)
    if args.archs is not None:
        return [a if ascii_int(a) is None else ascii_int(a) for a in args.archs]
    if args.n_random < 1:
        raise UnknownNameError(f"--n-random must be >= 1; got {args.n_random}.")
    return np.sort(as_generator(args.seed).choice(15625, size=min(args.n_random, 15625), replace=False))


def _measure(args) -> int:
    from nasbench.benchmarks.latency_measure import measure_latency
    from nasbench.benchmarks.latency_workflow import store_measured

    archs = _measure_archs(args)
    prefix = args.name or f"local_{args.device}"
    for batch in args.batch_size:
        print(f"# {args.device}, batch {batch}: median of {args.repeats} timed passes after {args.warmup} warm-up")
        result = measure_latency(archs, device=args.device, batch_size=batch, warmup=args.warmup,
                                 repeats=args.repeats, threads=args.threads, input_size=args.input_size,
                                 log=lambda line: print(line, flush=True))
        if args.out:
            from nasbench.cli.latency_files import write_measurements

            write_measurements(args.out, result["indices"], result["median_ms"])
            print(f"wrote {len(result['indices'])} measurements to {args.out} (for latency adapt --measurements)")
        if args.no_save:
            continue
        name = f"{prefix}_b{batch}"
        directory, n = store_measured(name, result["indices"], result["median_ms"], result["provenance"],
                                      device=args.device, batch_size=batch, replace=args.replace)
        print(f"stored {n} archs as device {name!r} in {directory}")
    return 0


def _fit(args) -> int:
    from nasbench.benchmarks.latency import load_latency
    from nasbench.benchmarks.latency_workflow import fit_on_device
    from surrogates.latency import save_latency_model

    fitted = fit_on_device(load_latency("nb201"), args.device, args.n_train, model=args.model, seed=args.seed)
    model, scores = fitted["model"], fitted["scores"]
    out = {"device": args.device, "model": args.model, "n_train": args.n_train, "seed": args.seed, **scores}
    if args.save:
        save_latency_model(model, args.save, {
            "space": "nb201", "device": args.device, "n_train": args.n_train, "seed": args.seed,
            "train_archs_sha256": fitted["train_archs_sha256"], "scores": scores})
        out["saved"] = args.save
    if args.json:
        print(json.dumps(out))
        return 0
    print(f"{args.model} model of {args.device}, trained on {args.n_train} archs (seed {args.seed}), "
          f"scored on the other {scores['n']}:")
    print(f"  within +-10%: {_pct(scores['within'])} of {scores['n_meaningful']} non-degenerate archs "
          f"({_pct(scores['within_all'])} of all)")
    print(f"  Spearman {scores['spearman']:.4f}   RMSE {scores['rmse_ms']:.4f} ms")
    if args.model == "additive":
        from nasbench.spaces.nb201 import OPS

        print(f"  skeleton (all edges 'none'): {model.intercept_:.3f} ms; per-edge op costs (ms):")
        print("  edge  " + "".join(f"{o:>14}" for o in OPS))
        for e, (s, t) in enumerate(fitted["edges"]):
            print(f"  {s}->{t}  " + "".join(f"{c:>14.3f}" for c in model.op_costs_[e]))
    return 0


def _plan(args) -> int:
    from nasbench.benchmarks.latency import load_latency
    from nasbench.benchmarks.latency_workflow import plan_archs

    measured = None
    if args.measured:
        from nasbench.cli.latency_files import read_measurements

        measured = read_measurements(args.measured, flag="--measured")[0]
    out = plan_archs(load_latency("nb201"), args.n, like=args.device_like, exclude=args.exclude, measured=measured)
    if args.json:
        print(json.dumps(out))
        return 0
    like = out["device_like_families"]
    print(f"# measure these {args.n} NB201 archs on the new device (prior from {len(out['prior_devices'])} known "
          f"devices{'; like ' + ', '.join(like) if like else ''}), then: nasbench latency adapt --measurements CSV")
    print("arch_idx\tarch")
    for i, text in zip(out["archs"], out["arch_strings"]):
        print(f"{i}\t{text}")
    return 0


def _adapt(args) -> int:
    from nasbench.benchmarks.latency import load_latency, save_device
    from nasbench.benchmarks.latency_workflow import adapt_device, check_exclude
    from nasbench.cli.latency_files import read_measurements, write_predictions

    tables = load_latency("nb201")
    exclude = list(args.exclude) + ([args.save_as] if args.save_as in tables.devices else [])
    check_exclude(tables, exclude)  # before reading the file: a wrong flag is reported first
    indices, y = read_measurements(args.measurements)
    res = adapt_device(tables, indices, y, model=args.model, like=args.device_like, exclude=exclude,
                       rank=args.rank, resolution_ms=args.resolution_ms)
    model, scores, floor = res["model"], res["leave_one_out"], float(y.min())
    n_clipped = int((res["raw"] < floor).sum())
    out = {"n_measured": int(y.shape[0]), "model": args.model,
           "predicted_by": f"{res['label']}, {y.shape[0]} measured archs", "basis_devices": res["devices"],
           "leave_one_out": scores, "clipped_below_ms": floor, "n_clipped": n_clipped}
    if args.model == "cross_device":
        out |= {"rank": args.rank, "explained_variance": model.explained_.tolist()}
    else:
        out |= {"prior_weights": {n: float(w) for n, w in zip(model.component_names_, model.weights_) if w > 0.005},
                "tau": model.tau_, "sigma": model.sigma_}
    if args.out:
        write_predictions(args.out, res["prediction"])
        out["out"] = args.out
    if args.save_as:
        save_device(args.save_as, res["prediction"], source="predicted", predicted_by=out["predicted_by"],
                    kind="unknown", about=f"adapted from {args.measurements}",
                    provenance={"measured_archs": indices.tolist(), "basis_devices": res["devices"],
                                "clipped_below_ms": floor, "n_clipped": n_clipped},
                    replace=args.replace)
        out["saved_as"] = args.save_as
    if args.json:
        print(json.dumps(out))
        return 0
    if args.model == "cross_device":
        print(f"adapted a {model.factors_.shape[1]}-factor basis of {len(res['devices'])} known devices to "
              f"{y.shape[0]} measured archs (the factors explain {_pct(float(model.explained_.sum()))} of the known "
              "variance)")
    else:
        like = ", ".join(f"{k} {_pct(v).strip()}" for k, v in sorted(out["prior_weights"].items(), key=lambda kv: -kv[1]))
        print(f"adapted the {res['label']} to {y.shape[0]} measured archs; prior means weighted: {like}; "
              f"relative noise {model.sigma_:g}")
    print(f"leave-one-out on the measured archs: within +-10% {_pct(scores['within'])} "
          f"({scores['n_meaningful']} non-degenerate), Spearman {scores['spearman']:.3f}, RMSE {scores['rmse_ms']:.3f} ms"
          " (archs from `latency plan` are those the prior is least sure of: expect a higher share on the others)")
    print(f"{n_clipped} predictions below the smallest measured latency ({floor:.4g} ms) were clipped to it")
    if args.out:
        print(f"wrote predictions for all {res['prediction'].shape[0]} archs to {args.out}")
    if args.save_as:
        print(f"stored as predicted device {args.save_as!r}: query it with --device {args.save_as}")
    return 0


def _report(args) -> int:
    from nasbench.errors import UnknownNameError

    family = args.holdout == "family"
    args.shots = args.shots or ([10, 20, 50] if family else [10, 20])
    allowed = _ADAPT_MODELS if family else _FIT_MODELS
    args.models = args.models or list(allowed)
    if any(m not in allowed for m in args.models):
        raise UnknownNameError(f"--models for --holdout {args.holdout} must be among {list(allowed)}; got {args.models}.")
    for name, values, limit in (("--sizes", args.sizes, 15625), ("--shots", args.shots, 15000 if family else 15625)):
        if any(v < 3 or v >= limit for v in values):
            raise UnknownNameError(f"{name} values must be in [3, {limit - 1}]; got {values}.")
    if args.repeats < 1:
        raise UnknownNameError(f"--repeats must be >= 1; got {args.repeats}.")
    if not 0 <= args.replans <= 100 or (args.replans and not family):
        raise UnknownNameError(f"--replans must be in [0, 100] and goes with --holdout family; got {args.replans} "
                               f"with --holdout {args.holdout}.")
    return _report_family(args) if family else _report_device(args)


def _report_family(args) -> int:
    from nasbench.benchmarks.latency import load_latency
    from nasbench.benchmarks.latency_workflow import family_report
    from nasbench.timing import Stopwatch
    from surrogates.latency.report import format_family_report

    clock = Stopwatch()
    tables = load_latency("nb201")
    print(f"# Few-shot latency on hardware never seen: leave one family out, {args.shots} measured archs; "
          f"random draws: mean of {args.repeats}, root seed {args.seed}", flush=True)
    result = family_report(tables, shots=args.shots, models=args.models, n_repeats=args.repeats, seed=args.seed,
                           like=not args.no_like, learnable=args.learnable_ceiling, replans=args.replans,
                           progress=lambda line: print(f"{line} ({clock.wall_s:.0f} s so far)",
                                                       file=sys.stderr, flush=True))
    print(f"# {len(result['families'])} devices in {len(set(result['families'].values()))} families x "
          f"{result['n_meaningful']} non-degenerate NB201 archs (the other {result['n_degenerate']} cells are "
          "compiled away on pixel3/raspi4)")
    for line in format_family_report(result, result["groups"], shots=args.shots, models=args.models,
                                     per_device=args.per_device):
        print(line)
    if args.json:
        _write_json(args.json, {"holdout": "family", **result, "seed": args.seed, "repeats": args.repeats})
    return 0


def _report_device(args) -> int:
    from nasbench.benchmarks.latency import load_latency
    from nasbench.benchmarks.latency_workflow import device_report
    from surrogates.latency.report import format_device_report

    report = device_report(load_latency("nb201"), sizes=args.sizes, shots=args.shots, models=args.models,
                           n_repeats=args.repeats, seed=args.seed)
    for line in format_device_report(report, models=args.models, sizes=args.sizes, shots=args.shots,
                                     n_repeats=args.repeats, seed=args.seed, per_device=args.per_device):
        print(line)
    if args.json:
        _write_json(args.json, {**report, "seed": args.seed, "repeats": args.repeats})
    return 0


def _write_json(path, obj) -> None:
    """``obj`` as JSON at ``path``, written to a temporary file and renamed (kill-safe)."""
    import os

    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as fh:
        json.dump(obj, fh, indent=1)
    os.replace(tmp, path)
    print(f"\nwrote {path}", file=sys.stderr)
