"""``nasbench generate``: train every NB201 isomorphism class on digits and build ``nb201/digits``.

Resumable and chunked (see :mod:`nasbench.training.generate`): run the same command again after an
interrupt to continue; the table is assembled when the last chunk is written (or with
``--assemble``). By default it trains in ``$NASBENCH_DATA/_build/nb201-digits`` and writes
``$NASBENCH_DATA/nb201/digits``; an existing table is refused unless ``--overwrite`` is given. The defaults are the setup chosen by the pilot
(:data:`nasbench.training.recipes.DIGITS_TRAIN_KWARGS`, :data:`~nasbench.training.recipes.DIGITS_SPLIT`).

``--space darts --part PART`` trains DARTS genotypes instead (:mod:`nasbench.training.darts_generate`):
PART ``heldout``, ``uniform-s01`` or ``uniform-s0`` are the uniform parts of ``darts/digits``
(:func:`~nasbench.training.darts_generate.uniform_jobs`), or any name with ``--archs-file`` (a JSON
list of 32-digit arch codes) and ``--proposed-by``. Defaults: build
``$NASBENCH_DATA/_build/darts-digits/PART``, runs written to ``$NASBENCH_DATA/darts/digits-runs/PART``,
recipe :data:`nasbench.training.recipes.DARTS_TRAIN_KWARGS`. A started build folder is resumed
with ``nasbench generate --space darts --build DIR`` (its settings are read from it).
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

HELP = ("train every NB201 isomorphism class (or listed DARTS genotypes, --space darts) on digits (resumable, "
        "chunked) and write the nb201/digits table (or the DARTS runs)")


def add_arguments(parser) -> None:
    parser.add_argument("--build", default=None,
                        help="build folder of chunk files (default $NASBENCH_DATA/_build/nb201-digits; --status and "
                             "--assemble read the committed record of the shipped table when that does not exist)")
    parser.add_argument("--table", default=None,
                        help="where the table is written (default $NASBENCH_DATA/nb201/digits; never the shipped "
                             "table unless named here together with --overwrite)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an existing table at the destination (default: refuse, before any training)")
    from nasbench.cli._args import int_at_least

    parser.add_argument("--workers", type=int_at_least(0, why="0 trains in this process"), default=2,
                        help="worker processes, 1 torch thread each (default 2; 0: in this process); capped at "
                             "the CPUs available")
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
    parser.add_argument("--space", choices=("nb201", "darts"), default=None,
                        help="search space to train (default nb201; a started build folder keeps its own)")
    parser.add_argument("--part", default=None,
                        help="DARTS: which part of darts/digits (heldout, uniform-s01, uniform-s0, or a name for "
                             "--archs-file); names the default build folder")
    parser.add_argument("--archs-file", default=None, help="DARTS: JSON list of 32-digit arch codes to train")
    parser.add_argument("--proposed-by", default=None, help="DARTS: who proposed --archs-file's archs (a strategy)")
    parser.add_argument("--n-archs", type=int, default=None, help="DARTS: train only the first N archs (trials, tests)")


def _job(args, build):
    from pathlib import Path

    from nasbench.training.generate import JobConfig, read_job
    from nasbench.training.recipes import DIGITS_SPLIT, DIGITS_TRAIN_KWARGS

    stored = read_job(build) if (Path(build) / "config.json").exists() else None
    if stored is not None and args.space is not None and stored.space != args.space:
        raise UsageError(f"--space {args.space} was given, but the build folder {build} holds a {stored.space} job; "
                         f"drop --space or use another --build.")
    if (stored.space if stored is not None else args.space) == "darts":
        return _darts_job(args, stored)
    for flag in ("part", "archs_file", "proposed_by", "n_archs"):
        if getattr(args, flag) is not None:
            raise UsageError(f"--{flag.replace('_', '-')} is a DARTS option; got it for an NB201 job. Add --space "
                             "darts or drop it.")
    base = stored.to_dict() if stored is not None else {
        "train": dict(DIGITS_TRAIN_KWARGS), "split": list(DIGITS_SPLIT), "split_seed": 0, "seeds": [0, 1],
        "chunk_size": 16, "n_classes": None, "latency_repeats": 10}
    train = dict(base["train"])
    _overrides(args, train, base, ("n_classes",))
    base["train"] = train
    return JobConfig.from_dict(base)


class UsageError(Exception):
    """A CLI flag combination that cannot work (turned into a NasbenchError by the caller)."""


def _overrides(args, train: dict, base: dict, extra=()) -> None:
    """Apply the flags that were given: recipe flags to ``train``, job flags (and ``extra``) to ``base``."""
    for field in ("epochs", "C", "N", "batch_size", "lr", "warmup_steps", "grad_clip", "bn_recalibration"):
        value = getattr(args, field)
        if value is not None:
            train[field] = value
    for field in ("seeds", "chunk_size", "split", "latency_repeats", *extra):
        value = getattr(args, field)
        if value is not None:
            base[field] = value


def _darts_job(args, stored):
    """The DARTS job: the stored one (with any flags applied, so a mismatch is refused), or a new
    one for --part (a uniform part, or --archs-file with --proposed-by)."""
    import json

    from nasbench.training.darts_generate import uniform_jobs
    from nasbench.training.recipes import DARTS_SPLIT, DARTS_TRAIN_KWARGS
    from nasbench.training.generate import JobConfig

    if args.n_classes is not None:
        raise UsageError("--n-classes is an NB201 option; for DARTS use --n-archs N (the first N archs).")
    if stored is not None:
        base = stored.to_dict()
    else:
        train, fields = dict(DARTS_TRAIN_KWARGS), {"split": list(DARTS_SPLIT)}
        _overrides(args, train, fields)
        if args.archs_file is not None:
            if not args.proposed_by or not args.part:
                raise UsageError("--archs-file needs --proposed-by STRATEGY and --part NAME; got "
                                 f"--proposed-by {args.proposed_by!r}, --part {args.part!r}.")
            try:
                codes = json.loads(open(args.archs_file).read())
            except (OSError, ValueError) as exc:
                raise UsageError(f"--archs-file {args.archs_file}: expected a readable JSON list of arch codes; "
                                 f"got {' '.join(str(exc).split())}.") from None
            base = JobConfig(train=train, split=fields["split"], space="darts", archs=codes,
                             proposed_by=args.proposed_by, arch_source=f"--archs-file {args.archs_file}").to_dict()
        else:
            parts = uniform_jobs(train, fields["split"])
            if args.part not in parts:
                raise UsageError(f"--part must be one of {', '.join(parts)} (or a name with --archs-file) for a new "
                                 f"DARTS build; got {args.part!r}.")
            base = parts[args.part].to_dict()
        base.update({k: v for k, v in fields.items() if k != "split"})
    if args.n_archs is not None and stored is None:
        if not 1 <= args.n_archs <= len(base["archs"]):
            raise UsageError(f"--n-archs must be in [1, {len(base['archs'])}]; got {args.n_archs}.")
        base["archs"] = base["archs"][:args.n_archs]
        base["arch_source"] = f"{base['arch_source']}[:{args.n_archs}]"
    train = dict(base["train"])
    _overrides(args, train, base)
    base["train"] = train
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


def _darts_build(args) -> str:
    from nasbench.training import darts_generate as dg
    from nasbench.training.generate import shipped_build

    if not args.part:
        raise UsageError("a DARTS job needs --build DIR (to resume) or --part NAME (heldout, uniform-s01, "
                         "uniform-s0, or a name with --archs-file); got neither.")
    own = dg.default_build(args.part)
    shipped = shipped_build().parent / "darts-digits" / args.part
    if (args.status or args.assemble) and not (own / "config.json").exists() and (shipped / "config.json").exists():
        return str(shipped)
    return str(own)


def run(args) -> int:
    from nasbench.errors import NasbenchError

    try:
        return _run(args)
    except UsageError as exc:
        raise NasbenchError(str(exc)) from None


def _run(args) -> int:
    from nasbench.training import generate as gen
    from nasbench.training.recipes import DIGITS_PILOT

    darts = args.space == "darts" or (args.build is None and args.part is not None)
    build = args.build or (_darts_build(args) if darts else str(_default_build(args, gen)))
    job = _job(args, build)
    command = "nasbench generate " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if len(sys.argv) > 1 \
        else "nasbench generate"
    if job.space == "darts":
        from nasbench.training.darts_generate import default_samples
        from nasbench.training.recipes import DARTS_PILOT

        extra = {"pilot": DARTS_PILOT}
        if args.table is None:
            args.table = str(default_samples(Path(build).name))
    else:
        extra = {"pilot": DIGITS_PILOT}
    if args.status:
        if not (Path(build) / "config.json").is_file():  # a mistyped --build must not read as "0 chunks done"
            raise UsageError(f"--build {build} holds no generate job (no config.json); expected the folder a "
                             f"`nasbench generate --build DIR` run writes its chunks to. Check the path.")
        print(json.dumps({"build": build, **gen.finished_summary(build, job)}, indent=1, default=float))
        return 0
    if args.assemble:
        from nasbench.training.assemble import assemble

        written = assemble(build, args.table, command=command, extra_info=extra, overwrite=args.overwrite)
        print(written)
        _shadow_note(written)
        return 0
    table = args.table or str(gen.default_table())
    from nasbench.cli._args import n_processes

    workers = n_processes(args.workers, False, flag="--workers") if args.workers else 0
    noted = []

    def log(line: str) -> None:  # the note comes with the first progress line: after every check passed
        if not noted:
            noted.append(_shadow_note(table))
        print(line, flush=True)

    out = gen.generate(build, job, workers=workers, table=table, command=command, extra_info=extra,
                       log=log, overwrite=args.overwrite)
    print(json.dumps({k: out[k] for k in ("done", "total", "interrupted", "assembled")}), flush=True)
    return 130 if out["interrupted"] else 0
