"""``nasbench generate``: train every NB201 isomorphism class on digits and build ``nb201/digits``.

Resumable and chunked (see :mod:`nasbench.training.generate`): run the same command again after an
interrupt to continue; the table is assembled when the last chunk is written (or with
``--assemble``). By default it trains in ``$NASBENCH_DATA/_build/nb201-digits`` and writes
``$NASBENCH_DATA/nb201/digits``; an existing table is refused unless ``--overwrite`` is given. The defaults are the setup chosen by the pilot
(:data:`nasbench.training.pilot.DIGITS_TRAIN_KWARGS`, :data:`~nasbench.training.pilot.DIGITS_SPLIT`).
"""

from __future__ import annotations

import json
import shlex
import sys

HELP = "train every NB201 isomorphism class on digits (resumable, chunked) and write the nb201/digits table"


def add_arguments(parser) -> None:
    parser.add_argument("--build", default=None,
                        help="build folder of chunk files (default $NASBENCH_DATA/_build/nb201-digits; --status and "
                             "--assemble read the committed record of the shipped table when that does not exist)")
    parser.add_argument("--table", default=None,
                        help="where the table is written (default $NASBENCH_DATA/nb201/digits; never the shipped "
                             "table unless named here together with --overwrite)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an existing table at the destination (default: refuse, before any training)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes, 1 torch thread each (default 2)")
    parser.add_argument("--assemble", action="store_true", help="only assemble the table from a finished build")
    parser.add_argument("--status", action="store_true", help="only print how many chunks are done, with the seed agreement and spread over them")
    parser.add_argument("--seeds", type=int, nargs="+", default=None, help="training seeds (default 0 1)")
    parser.add_argument("--chunk-size", type=int, default=None, help="classes per chunk file (default 16)")
    parser.add_argument("--n-classes", type=int, default=None, help="train only class ids 0..N-1 (trials, tests)")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--C", type=int, default=None, help="channels of the first stage")
    parser.add_argument("--N", type=int, default=None, help="cells per stage")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--warmup-steps", type=int, default=None)
    parser.add_argument("--grad-clip", type=float, default=None)
    parser.add_argument("--bn-recalibration", type=int, default=None)
    parser.add_argument("--split", type=int, nargs=3, default=None, metavar=("TRAIN", "VALID", "TEST"))
    parser.add_argument("--latency-repeats", type=int, default=None)


def _job(args, build):
    from pathlib import Path

    from nasbench.training.generate import JobConfig, read_job
    from nasbench.training.pilot import DIGITS_SPLIT, DIGITS_TRAIN_KWARGS

    stored = read_job(build) if (Path(build) / "config.json").exists() else None
    base = stored.to_dict() if stored is not None else {
        "train": dict(DIGITS_TRAIN_KWARGS), "split": list(DIGITS_SPLIT), "split_seed": 0, "seeds": [0, 1],
        "chunk_size": 16, "n_classes": None, "latency_repeats": 10}
    train = dict(base["train"])
    for field in ("epochs", "C", "N", "batch_size", "lr", "warmup_steps", "grad_clip", "bn_recalibration"):
        value = getattr(args, field)
        if value is not None:
            train[field] = value
    base["train"] = train
    for field in ("seeds", "chunk_size", "n_classes", "split", "latency_repeats"):
        value = getattr(args, field)
        if value is not None:
            base[field] = value
    return JobConfig.from_dict(base)


def _default_build(args, gen):
    """The user's build folder; for reading only (--status, --assemble), the committed record of the
    shipped table when the user has none. Training never writes into the package by default."""
    from pathlib import Path

    own = gen.default_build()
    if (args.status or args.assemble) and not (Path(own) / "config.json").exists() \
            and (gen.shipped_build() / "config.json").exists():
        return gen.shipped_build()
    return own


def _shadow_note(table) -> None:
    """Say, on stderr, when the destination is a data-store table of a name the package ships: the shipped
    table keeps that name (a name always means the published data), so this one needs a name of its own."""
    from pathlib import Path

    from nasbench.paths import data_root, embedded_root

    table = Path(table).resolve()
    if not table.is_relative_to(data_root().resolve()) or table.parent.parent != data_root().resolve():
        return
    name = f"{table.parent.name}/{table.name}"
    if (embedded_root() / name / "manifest.json").is_file():
        print(f"note: {table} is not what nasbench.load({name!r}) serves: the shipped {name} keeps its name. "
              f"Write to --table {table}-NEW (or rename the folder so) and load it as '{name}-NEW'.",
              file=sys.stderr, flush=True)


def run(args) -> int:
    from nasbench.training import generate as gen
    from nasbench.training.pilot import DIGITS_PILOT

    build = args.build or str(_default_build(args, gen))
    job = _job(args, build)
    command = "nasbench generate " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if len(sys.argv) > 1 \
        else "nasbench generate"
    extra = {"pilot": DIGITS_PILOT}
    if args.status:
        print(json.dumps({"build": build, **gen.finished_summary(build, job)}, indent=1, default=float))
        return 0
    if args.assemble:
        written = gen.assemble(build, args.table, command=command, extra_info=extra, overwrite=args.overwrite)
        print(written)
        _shadow_note(written)
        return 0
    table = args.table or str(gen.default_table())
    gen.check_destination(table, args.overwrite)  # refused first: a refusal stays one line
    _shadow_note(table)
    out = gen.generate(build, job, workers=args.workers, table=table, command=command, extra_info=extra,
                       log=lambda s: print(s, flush=True), overwrite=args.overwrite)
    print(json.dumps({k: out[k] for k in ("done", "total", "interrupted", "assembled")}), flush=True)
    return 130 if out["interrupted"] else 0
