"""``nasbench latency import|devices|measure|fit|adapt|report|search``: per-device latency.

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
  default), or the per-device figures by training size and leave-one-device-out (``--holdout device``).
* ``search --constraint "latency_ms@pixel3 <= 10"``: constrained evolution versus constrained random
  search, and accuracy/latency Pareto search with hypervolume, on nb201/cifar10.

Relative errors (the share within +-10 %) count only archs whose cell output depends on the input:
for the other 341 cells, pixel3 and raspi4 report near-zero latencies (compiled away), where a
relative error says nothing. RMSE counts every arch.
"""

from __future__ import annotations

import json
import sys

HELP = "per-device latency: import, measure, fit and adapt latency models, report, hardware-aware search"

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
    rep.add_argument("--json", default=None, metavar="FILE", help="write all rows and summaries as JSON")

    sea = sub.add_parser("search", help="hardware-aware search on nb201/cifar10: constrained and Pareto")
    sea.add_argument("--benchmark", default="nb201/cifar10")
    sea.add_argument("--constraint", default="latency_ms@pixel3 <= 15")
    sea.add_argument("--seeds", type=int, default=100)
    sea.add_argument("--max-evals", type=int, default=100)
    sea.add_argument("--seed", type=int, default=0, help="root seed")
    sea.add_argument("--ref-accuracy", type=float, default=80.0, help="hypervolume reference accuracy (%%)")
    sea.add_argument("--plot", default=None, metavar="PNG", help="write the Pareto fronts (needs matplotlib)")
    sea.add_argument("--json", default=None, metavar="FILE")


def run(args) -> int:
    action = {"import": _import, "devices": _devices, "measure": _measure, "fit": _fit, "adapt": _adapt,
              "plan": _plan, "report": _report, "search": _search}[args.latency_command]
    if args.latency_command in ("plan", "adapt", "report"):
        from surrogates.latency.holdout import one_blas_thread

        with one_blas_thread():
            return action(args)
    return action(args)


# ------------------------------------------------------------------------------------ helpers

def _nb201():
    import numpy as np

    from nasbench.spaces.nb201 import EDGES, ops_table
    from surrogates.latency.features import degenerate_mask

    ops = ops_table().astype(np.int64)
    return ops, EDGES, ~degenerate_mask(ops, EDGES)


def _complete_devices(tables, exclude=()):
    """Devices with a value for every arch (the HELP ones, and complete measured/predicted ones)."""
    return [d for d in tables.devices if tables.info(d).n_archs == tables.n_archs and d not in exclude]


def _families(tables, devices) -> list[str]:
    """Hardware family of each device (:data:`surrogates.latency.holdout.HELP_FAMILIES`; others their own)."""
    from surrogates.latency.holdout import family_of

    return [family_of(d, tables.info(d).kind)[0] for d in devices]


def _prior(tables, exclude, like):
    """(model with the prior fit on the complete devices not excluded, devices used, like-families or None)."""
    from nasbench.errors import UnknownNameError
    from surrogates.latency.prior import HierarchicalLatencyModel

    unknown = [d for d in list(exclude) + list(like or []) if d not in tables.devices]
    if unknown:
        raise UnknownNameError(f"--exclude/--device-like name unknown devices {unknown}; expected among "
                               f"{list(tables.devices)}.")
    devices = _complete_devices(tables, exclude=set(exclude))
    if len(devices) < 2:
        raise UnknownNameError("fewer than 2 complete latency devices are left to learn from; exclude fewer devices.")
    families = _families(tables, devices)
    like_families = None
    if like:
        missing = [d for d in like if d not in devices]
        if missing:
            raise UnknownNameError(f"--device-like devices {missing} are excluded or incomplete; name devices the "
                                   "prior learns from.")
        like_families = sorted({families[devices.index(d)] for d in like})
    ops, edges, meaningful = _nb201()
    known, _ = tables.matrix(devices)
    model = HierarchicalLatencyModel(5, edges).fit(ops, known, families, meaningful)
    return model, devices, like_families


def _plan(args) -> int:
    import numpy as np

    from nasbench.benchmarks.latency import load_latency
    from nasbench.spaces.nb201 import ops_table

    tables = load_latency("nb201")
    model, devices, like = _prior(tables, args.exclude, args.device_like)
    ops, _, meaningful = _nb201()
    candidates = np.flatnonzero(meaningful)
    measured = None
    if args.measured:
        indices, _ = _read_measurements(args.measured, flag="--measured")
        measured = np.flatnonzero(np.isin(candidates, indices))
    n_free = candidates.size - (0 if measured is None else measured.size)
    if isinstance(args.n, bool) or not 1 <= args.n <= n_free:
        from nasbench.errors import UnknownNameError

        raise UnknownNameError(f"--n must be in [1, {n_free}] (archs not yet measured); got {args.n}.")
    chosen = candidates[model.plan(ops_table()[candidates].astype(np.int64), args.n, measured=measured, like=like)]
    from nasbench.spaces import get_space

    space = get_space("nb201")
    out = {"archs": [int(i) for i in chosen], "arch_strings": [space.from_index(int(i)).string for i in chosen],
           "n": int(args.n), "criterion": "greedy I-optimal: largest cut in the summed relative predictive "
           "variance of all non-degenerate archs under the hierarchical prior",
           "prior_devices": list(devices), "device_like_families": like,
           "already_measured": 0 if measured is None else int(measured.size)}
    if args.json:
        print(json.dumps(out))
        return 0
    print(f"# measure these {args.n} NB201 archs on the new device (prior from {len(devices)} known devices"
          f"{'; like ' + ', '.join(like) if like else ''}), then: nasbench latency adapt --measurements CSV")
    print("arch_idx\tarch")
    for i, text in zip(out["archs"], out["arch_strings"]):
        print(f"{i}\t{text}")
    return 0


def _pct(x: float) -> str:
    return f"{100 * x:5.1f}%"


def print_query(bench, archs, args) -> int:
    """``nasbench query NAME ARCH --metric latency_ms --device D``: print like the query command."""
    values = bench.query(archs, args.metric, args.fidelity, args.seed, device=args.device)
    import numpy as np

    values = np.atleast_1d(values)
    indices, _ = bench.space.to_indices(archs)
    rows = [{"benchmark": bench.name, "arch_index": int(i), "arch": bench.space.from_index(int(i)).string,
             "metric": args.metric, "unit": "ms", "device": args.device, "value": float(v)}
            for i, v in zip(indices, values)]
    from nasbench.cli.query_cmd import print_rows

    print_rows(rows, args.json)
    return 0


# ------------------------------------------------------------------------------------ actions

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
        print(f"{r['name']:<16}{r['source']:<10}{r['kind']:<7}{batch:>6}{r['n_archs']:>7}{r['median_ms']:>11.3f}  {r['about']}")
    return 0


def _measure(args) -> int:
    import numpy as np

    from nasbench.benchmarks.latency import measure_latency, save_device
    from nasbench.errors import UnknownNameError
    from nasbench.rng import as_generator

    if sum(v is not None for v in (args.archs, args.n_random, args.plan_file)) != 1:
        raise UnknownNameError("give the archs to measure: --archs A B ..., --n-random N or --plan FILE (one of them).")
    if args.out and len(args.batch_size) != 1:
        raise UnknownNameError(f"--out writes one batch size; got --batch-size {args.batch_size}. Give one.")
    if args.plan_file is not None:
        archs = _read_plan(args.plan_file)
    elif args.archs is not None:
        archs = [int(a) if a.strip().isdigit() else a for a in args.archs]
    else:
        if args.n_random < 1:
            raise UnknownNameError(f"--n-random must be >= 1; got {args.n_random}.")
        archs = np.sort(as_generator(args.seed).choice(15625, size=min(args.n_random, 15625), replace=False))
    prefix = args.name or f"local_{args.device}"
    for batch in args.batch_size:
        print(f"# {args.device}, batch {batch}: median of {args.repeats} timed passes after {args.warmup} warm-up")
        result = measure_latency(archs, device=args.device, batch_size=batch, warmup=args.warmup,
                                 repeats=args.repeats, threads=args.threads, input_size=args.input_size,
                                 log=lambda line: print(line, flush=True))
        if args.out:
            _write_measurements(args.out, result["indices"], result["median_ms"])
            print(f"wrote {len(result['indices'])} measurements to {args.out} (for latency adapt --measurements)")
        if args.no_save:
            continue
        name = f"{prefix}_b{batch}"
        values = np.full(15625, np.nan)
        if _is_measured(name) and not args.replace:  # add to earlier measurements of this device
            from nasbench.benchmarks.latency import load_latency

            values = np.array(load_latency("nb201").column(name))
        values[result["indices"]] = result["median_ms"]
        directory = save_device(name, values, source="measured", kind="gpu" if args.device == "cuda" else "cpu",
                                batch_size=batch,
                                about=f"measured here with PyTorch ({result['provenance']['device_name']})",
                                provenance=result["provenance"], replace=_is_measured(name))
        print(f"stored {int(np.sum(~np.isnan(values)))} archs as device {name!r} in {directory}")
    return 0


def _read_plan(path):
    """NB201 indices from a plan JSON (``latency plan --json``: its 'archs' key) or a measurements CSV."""
    import numpy as np

    from nasbench.cli._args import read_text_file
    from nasbench.errors import DataIntegrityError

    text = read_text_file(path, "--plan", "a plan JSON (`nasbench latency plan --json`) or a CSV of archs")
    if not text.lstrip().startswith("{"):
        return _read_measurements(path, flag="--plan")[0] if "latency_ms" in text.partition("\n")[0] else _read_arch_csv(path)
    try:
        archs = json.loads(text).get("archs")
    except (ValueError, AttributeError):
        archs = None
    if not isinstance(archs, list) or not archs or not all(isinstance(a, int) and not isinstance(a, bool)
                                                           and 0 <= a < 15625 for a in archs):
        raise DataIntegrityError(f"--plan {path}: expected a JSON object whose 'archs' key lists NB201 indices "
                                 "(0..15624), as `nasbench latency plan --json` writes; got something else.")
    return np.array(archs, dtype=np.int64)


def _read_arch_csv(path):
    import csv

    from nasbench.errors import DataIntegrityError
    from nasbench.spaces import get_space

    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or "arch" not in rows[0]:
        raise DataIntegrityError(f"--plan {path}: expected plan JSON or a CSV with an 'arch' column; got neither.")
    archs = [int(r["arch"]) if r["arch"].strip().isdigit() else r["arch"] for r in rows]
    return get_space("nb201").to_indices(archs)[0]


def _write_measurements(path, indices, values) -> None:
    """``arch,latency_ms`` CSV, written to a temporary file and renamed (kill-safe)."""
    import os

    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as fh:
        fh.write("arch,latency_ms\n")
        fh.writelines(f"{int(i)},{float(v)!r}\n" for i, v in zip(indices, values))
    os.replace(tmp, path)


def _is_measured(name: str) -> bool:
    try:
        from nasbench.benchmarks.latency import load_latency

        tables = load_latency("nb201")
        return name in tables.devices and tables.info(name).source == "measured"
    except Exception:  # noqa: BLE001
        return False


def _fit(args) -> int:
    import numpy as np

    from nasbench.benchmarks.latency import load_latency
    from nasbench.errors import UnknownNameError
    from nasbench.rng import as_generator
    from surrogates.latency import AdditiveLatencyModel, InteractionLatencyModel, latency_scores, save_latency_model

    tables = load_latency("nb201")
    y_all = np.asarray(tables.column(args.device))
    ops, edges, meaningful = _nb201()
    have = np.flatnonzero(~np.isnan(y_all))
    if not 2 <= args.n_train < have.size:
        raise UnknownNameError(f"--n-train must be in [2, {have.size - 1}] for {args.device} ({have.size} archs); got {args.n_train}.")
    train = np.sort(as_generator(args.seed).choice(have, size=args.n_train, replace=False))
    test = np.setdiff1d(have, train)
    model = (AdditiveLatencyModel(5) if args.model == "additive" else InteractionLatencyModel(5, edges))
    model.fit(ops[train], y_all[train])
    scores = latency_scores(y_all[test], model.predict(ops[test]), meaningful[test])
    out = {"device": args.device, "model": args.model, "n_train": args.n_train, "seed": args.seed, **scores}
    if args.save:
        import hashlib

        save_latency_model(model, args.save, {
            "space": "nb201", "device": args.device, "n_train": args.n_train, "seed": args.seed,
            "train_archs_sha256": hashlib.sha256(train.astype("<i8").tobytes()).hexdigest(), "scores": scores})
        out["saved"] = args.save
    if args.json:
        print(json.dumps(out))
    else:
        print(f"{args.model} model of {args.device}, trained on {args.n_train} archs (seed {args.seed}), "
              f"scored on the other {scores['n']}:")
        print(f"  within +-10%: {_pct(scores['within'])} of {scores['n_meaningful']} non-degenerate archs "
              f"({_pct(scores['within_all'])} of all)")
        print(f"  Spearman {scores['spearman']:.4f}   RMSE {scores['rmse_ms']:.4f} ms")
        if args.model == "additive":
            from nasbench.spaces.nb201 import OPS

            print(f"  skeleton (all edges 'none'): {model.intercept_:.3f} ms; per-edge op costs (ms):")
            print("  edge  " + "".join(f"{o:>14}" for o in OPS))
            for e, (s, t) in enumerate(edges):
                print(f"  {s}->{t}  " + "".join(f"{c:>14.3f}" for c in model.op_costs_[e]))
    return 0


def _read_measurements(path, flag: str = "--measurements"):
    """Indices and latencies (ms) of a measurements CSV; errors name ``flag``, the option that gave it."""
    import csv

    import numpy as np

    from nasbench.errors import DataIntegrityError, MissingDataError
    from nasbench.spaces import get_space

    import os
    import stat

    limit = 64 << 20  # far above one latency per NB201 arch; a device file or pipe may never end
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            got = f"a file of {info.st_size} bytes" if stat.S_ISREG(info.st_mode) else "a folder, device or pipe"
            raise DataIntegrityError(f"{flag} {path}: expected a CSV file below {limit >> 20} MiB; got {got}. "
                                     "Pass the CSV of measured latencies.")
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except FileNotFoundError:
        raise MissingDataError(f"{flag} file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else " ".join(str(exc).split())[:100]
        raise DataIntegrityError(f"{flag} {path}: expected a UTF-8 CSV file; cannot read it ({reason}). "
                                 "Pass the CSV of measured latencies.") from None
    if not rows or not {"arch", "latency_ms"} <= set(rows[0]):
        raise DataIntegrityError(
            f"{path} must be a CSV with a header holding the columns 'arch' (NB201 index or arch string) and "
            f"'latency_ms'; got columns {list(rows[0]) if rows else 'none (empty file)'}."
        )
    short = [i + 2 for i, r in enumerate(rows) if r["arch"] is None or r["latency_ms"] is None]
    if short:
        raise DataIntegrityError(f"{path}: line {short[0]} has fewer fields than the header (arch, latency_ms); "
                                 "give both on every line.")
    archs = [int(r["arch"]) if r["arch"].strip().isascii() and r["arch"].strip().isdigit() else r["arch"]
             for r in rows]
    indices, _ = get_space("nb201").to_indices(archs)
    try:
        y = np.array([float(r["latency_ms"]) for r in rows])
    except ValueError:
        raise DataIntegrityError(f"{path}: a latency_ms value is not a number.") from None
    from surrogates.latency.checks import check_latency_column, merge_duplicates

    what = f"{flag} {path}"
    y = check_latency_column(y, what=f"{what}: latency_ms values", allow_nan=False)
    return merge_duplicates(indices, y, what=what)  # an arch listed twice must carry one latency


def _adapt(args) -> int:
    import numpy as np

    from nasbench.benchmarks.latency import load_latency, save_device
    from nasbench.errors import UnknownNameError
    from surrogates.latency import CrossDeviceLatencyModel, latency_scores

    tables = load_latency("nb201")
    unknown = [d for d in args.exclude if d not in tables.devices]
    if unknown:
        raise UnknownNameError(f"--exclude names unknown devices {unknown}; expected among {list(tables.devices)}.")
    devices = _complete_devices(tables, exclude=set(args.exclude) | ({args.save_as} if args.save_as else set()))
    if not devices:
        raise UnknownNameError("no complete latency device is left to learn from; exclude fewer devices.")
    indices, y = _read_measurements(args.measurements)
    ops, _, meaningful = _nb201()
    if args.model == "hierarchical":
        if y.shape[0] < 3:
            raise UnknownNameError(f"--measurements needs at least 3 distinct archs; got {y.shape[0]}.")
        model, devices, like = _prior(tables, list(args.exclude) + ([args.save_as] if args.save_as in
                                                                    tables.devices else []), args.device_like)
        resolution = args.resolution_ms
        if resolution is None:  # whole-millisecond readings (phones) carry rounding noise
            resolution = 1.0 if np.all(y == np.round(y)) else 0.0
        if not resolution >= 0:
            raise UnknownNameError(f"--resolution-ms must be >= 0; got {resolution}.")

        def fit(rows, values):
            return model.adapt(ops[rows], values, resolution_ms=resolution, like=like)

        def predict(fitted, rows):
            return fitted.predict(ops[rows])

        label = f"hierarchical ({len(devices)} known devices, resolution {resolution:g} ms)"
    else:
        known, _ = tables.matrix(devices)
        basis = CrossDeviceLatencyModel(rank=args.rank).fit(known)

        def fit(rows, values):
            return basis.adapt(rows, values)

        def predict(fitted, rows):
            return fitted.predict(rows)

        label = f"cross_device rank {args.rank}"
    # honest estimate from the measurements alone: leave-one-out over the measured archs
    loo = np.empty(y.shape[0])
    for i in range(y.shape[0]):
        keep = np.arange(y.shape[0]) != i
        loo[i] = predict(fit(indices[keep], y[keep]), indices[i:i + 1])[0]
    model = fit(indices, y)
    scores = latency_scores(y, loo, meaningful[indices])
    raw = predict(model, np.arange(ops.shape[0]))
    # A linear model can go below zero for the fastest (degenerate) cells; as the simulator's cost
    # estimate does, clip below at the smallest measured value, and say how many were clipped.
    floor = float(y.min())
    prediction = np.maximum(raw, floor)
    from surrogates.latency.checks import check_latency_column

    check_latency_column(prediction, what=f"the latencies predicted from --measurements {args.measurements}",
                         allow_nan=False)  # a wild extrapolation is refused, not stored
    out = {"n_measured": int(y.shape[0]), "model": args.model, "predicted_by": f"{label}, {y.shape[0]} measured archs",
           "basis_devices": devices, "leave_one_out": scores, "clipped_below_ms": floor,
           "n_clipped": int((raw < floor).sum())}
    if args.model == "cross_device":
        out |= {"rank": args.rank, "explained_variance": model.explained_.tolist()}
    else:
        out |= {"prior_weights": {n: float(w) for n, w in zip(model.component_names_, model.weights_) if w > 0.005},
                "tau": model.tau_, "sigma": model.sigma_}
    if args.out:
        with open(args.out, "w") as fh:
            fh.write("arch_idx,latency_ms\n")
            fh.writelines(f"{i},{v!r}\n" for i, v in enumerate(prediction.tolist()))
        out["out"] = args.out
    if args.save_as:
        save_device(args.save_as, prediction, source="predicted", predicted_by=out["predicted_by"], kind="unknown", about=f"adapted from {args.measurements}",
                    provenance={"measured_archs": indices.tolist(), "basis_devices": devices,
                                "clipped_below_ms": floor, "n_clipped": out["n_clipped"]},
                    replace=args.replace)
        out["saved_as"] = args.save_as
    if args.json:
        print(json.dumps(out))
    else:
        if args.model == "cross_device":
            print(f"adapted a {model.factors_.shape[1]}-factor basis of {len(devices)} known devices to {y.shape[0]} "
                  f"measured archs (the factors explain {_pct(float(model.explained_.sum()))} of the known variance)")
        else:
            like = ", ".join(f"{k} {_pct(v).strip()}" for k, v in sorted(out["prior_weights"].items(), key=lambda kv: -kv[1]))
            print(f"adapted the {label} to {y.shape[0]} measured archs; prior means weighted: {like}; "
                  f"relative noise {model.sigma_:g}")
        print(f"leave-one-out on the measured archs: within +-10% {_pct(scores['within'])} "
              f"({scores['n_meaningful']} non-degenerate), Spearman {scores['spearman']:.3f}, RMSE {scores['rmse_ms']:.3f} ms")
        print(f"{out['n_clipped']} predictions below the smallest measured latency ({floor:.4g} ms) were clipped to it")
        if args.out:
            print(f"wrote predictions for all {prediction.shape[0]} archs to {args.out}")
        if args.save_as:
            print(f"stored as predicted device {args.save_as!r}: query it with --device {args.save_as}")
    return 0


def _report(args) -> int:
    from nasbench.errors import UnknownNameError

    family = args.holdout == "family"
    if any(v < 3 or v >= 15625 for v in args.sizes):
        raise UnknownNameError(f"--sizes values must be in [3, 15624]; got {args.sizes}.")
    args.shots = args.shots or ([10, 20, 50] if family else [10, 20])
    allowed = _ADAPT_MODELS if family else _FIT_MODELS
    args.models = args.models or list(allowed)
    if any(m not in allowed for m in args.models):
        raise UnknownNameError(f"--models for --holdout {args.holdout} must be among {list(allowed)}; got {args.models}.")
    if family:
        return _report_family(args)
    return _report_device(args)


def _report_family(args) -> int:
    import time

    from nasbench.benchmarks.latency import load_latency
    from nasbench.errors import UnknownNameError
    from surrogates.latency.holdout import family_holdout, family_of
    from surrogates.latency.report import format_family_report

    if any(v < 3 or v >= 15000 for v in args.shots):
        raise UnknownNameError(f"--shots values must be in [3, 14999]; got {args.shots}.")
    if args.repeats < 1:
        raise UnknownNameError(f"--repeats must be >= 1; got {args.repeats}.")
    start = time.perf_counter()
    tables = load_latency("nb201")
    devices = _complete_devices(tables)
    table, _ = tables.matrix(devices)
    ops, edges, meaningful = _nb201()
    families = _families(tables, devices)
    groups = {d: family_of(d, tables.info(d).kind)[1] for d in devices}
    print(f"# Few-shot latency on hardware never seen: {len(devices)} devices in {len(set(families))} families x "
          f"{int(meaningful.sum())} non-degenerate NB201 archs (the other {int((~meaningful).sum())} cells are "
          f"compiled away on pixel3/raspi4); random draws: mean of {args.repeats}, root seed {args.seed}",
          flush=True)
    result = family_holdout(ops, table, devices, families, meaningful, edges=edges, n_ops=5,
                            resolutions=[tables.info(d).resolution_ms or 0.0 for d in devices], shots=args.shots,
                            models=args.models, n_repeats=args.repeats, seed=args.seed,
                            progress=lambda line: print(f"{line} ({time.perf_counter() - start:.0f} s so far)",
                                                        file=sys.stderr, flush=True))
    for line in format_family_report(result, groups, shots=args.shots, models=args.models,
                                     per_device=args.per_device):
        print(line)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"holdout": "family", "families": dict(zip(devices, families)), "groups": groups, **result,
                       "seed": args.seed, "repeats": args.repeats}, fh, indent=1)
        print(f"\nwrote {args.json}", file=sys.stderr)
    return 0


def _report_device(args) -> int:
    from nasbench.benchmarks.latency import load_latency
    from nasbench.errors import UnknownNameError
    from surrogates.latency.report import adaptation_report, surrogate_report

    for name, values in (("--sizes", args.sizes), ("--shots", args.shots)):
        if any(v < 3 or v >= 15625 for v in values):
            raise UnknownNameError(f"{name} values must be in [3, 15624]; got {values}.")
    if args.repeats < 1:
        raise UnknownNameError(f"--repeats must be >= 1; got {args.repeats}.")
    tables = load_latency("nb201")
    devices = _complete_devices(tables)
    table, _ = tables.matrix(devices)
    ops, edges, meaningful = _nb201()
    print(f"# Latency models on {len(devices)} devices x {table.shape[0]} NB201 archs "
          f"(mean of {args.repeats} random training sets, root seed {args.seed})")
    print(f"# 'within' = share of test archs predicted within +-10%, over the {int(meaningful.sum())} archs whose "
          f"cell output depends on the input; the other {int((~meaningful).sum())} are excluded because pixel3/raspi4 "
          "report near-zero latencies for them. RMSE over all test archs. Phones measure integer ms.")
    sur = surrogate_report(ops, table, devices, meaningful, n_ops=5, edges=edges, sizes=args.sizes,
                           models=args.models, n_repeats=args.repeats, seed=args.seed)
    print("\n## Per-device latency models: train on N archs of a device, predict its other archs")
    print(f"{'model':<12}{'N':>6}{'median within':>15}{'min':>8}{'max':>8}  {'median device':<16}"
          f"{'Spearman':>9}{'RMSE ms':>9}")
    for s in sur["summary"]:
        print(f"{s['model']:<12}{s['n_train']:>6}{_pct(s['median']):>15}{_pct(s['min']):>8}{_pct(s['max']):>8}  "
              f"{s['median_device']:<16}{s['spearman_median']:>9.3f}{s['rmse_ms_median']:>9.3f}")
    if args.per_device:
        print(f"\n{'device':<16}" + "".join(f"{m[:3] + '@' + str(n):>10}" for m in args.models for n in args.sizes))
        for d in devices:
            cells = [r for r in sur["rows"] if r["device"] == d]
            print(f"{d:<16}" + "".join(f"{_pct(r['within']):>10}" for r in cells))
    families = _families(tables, devices)
    ada = adaptation_report(table, devices, meaningful, families=families, shots=args.shots,
                            n_repeats=args.repeats, seed=args.seed)
    print("\n## Few-shot adaptation: basis from the other devices, adapted with K measured archs of the held-out one")
    print("# leave-one-hardware-out also hides the held-out device's other batch sizes from the basis")
    print(f"{'protocol':<24}{'K':>4}{'median within':>15}{'min':>8}{'max':>8}  {'median device':<16}"
          f"{'Spearman':>9}{'RMSE ms':>9}")
    for s in ada["summary"]:
        print(f"{s['protocol']:<24}{s['n_shots']:>4}{_pct(s['median']):>15}{_pct(s['min']):>8}{_pct(s['max']):>8}  "
              f"{s['median_device']:<16}{s['spearman_median']:>9.3f}{s['rmse_ms_median']:>9.3f}")
    if args.per_device:
        print(f"\n{'device':<16}" + "".join(f"{p + '@' + str(k):>22}" for p in ("one-device-out", "one-hardware-out")
                                             for k in args.shots))
        for d in devices:
            cells = [r for r in ada["rows"] if r["device"] == d]
            print(f"{d:<16}" + "".join(f"{_pct(r['within']):>22}" for r in cells))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"surrogates": sur, "adaptation": ada, "devices": devices, "seed": args.seed,
                       "repeats": args.repeats}, fh, indent=1)
        print(f"\nwrote {args.json}", file=sys.stderr)
    return 0


def _search(args) -> int:
    from strategies.hardware import run_hardware_search

    result = run_hardware_search(args.benchmark, args.constraint, n_seeds=args.seeds, max_evals=args.max_evals,
                                 seed=args.seed, ref_accuracy=args.ref_accuracy)
    print(result["text"])
    if args.plot:
        from strategies.hardware import plot_fronts

        plot_fronts(result, args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({k: v for k, v in result.items() if k != "text"}, fh, indent=1)
    return 0
