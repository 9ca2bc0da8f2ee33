"""Full zero-cost proxy tables: chunked, resumable, kill-safe (``nasbench zc compute``).

Like ``nasbench generate`` (:mod:`nasbench.training.generate`), the job scores the representative
of each of the 6466 NB201 isomorphism classes once and maps its scores to all members: isomorphic
cells build the same network up to the order of their parameters. A build folder holds

* ``config.json``: the :class:`ZcJob` (benchmark, proxies, network shape, batch, seed, chunk size);
  a restart must ask for the same job;
* ``chunk-KKKKK.npz``: one finished chunk (temporary name, then renamed: complete or absent) with
  ``class_id``, ``arch_index`` (n,) and per proxy ``score_<proxy>``, ``time_<proxy>`` (n,) float64
  (CPU seconds, see :func:`nasbench.training.proxies.compute`).

When every chunk exists, :func:`merge_into_table` adds metrics ``zc_<proxy>`` and
``zc_<proxy>_time_s`` to the benchmark's table: the table's existing files are copied byte for byte
(their sha256 checked), the new arrays and an extended manifest (metrics, a ``zc`` source and an
``info.zero_cost`` block saying how the scores were computed) are written beside them, and the
folder is replaced in one step (:func:`tabular_data.atomic.write_folder`).

Networks and inputs per benchmark (:func:`job_for`):

* ``nb201/digits``: the table's own training network (C, N from its manifest), input 1x8x8, 10
  classes; the batch is the first ``batch_size`` training images of the table's split.
* ``nb201/cifar10``, ``nb201/cifar100``, ``nb201/imagenet16-120``: NB201's network (C=16, N=5)
  at 3x32x32 (3x16x16 for ImageNet16-120) with 10 / 100 / 120 classes. nasbench ships no images of
  these datasets, so only the data-free proxies are allowed, unless ``inputs="noise"`` scores the
  others on a standard normal batch (and the metric says so).
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np

from nasbench.errors import DataIntegrityError, MissingDataError, NasbenchError, UnknownNameError, choices_text
from nasbench.training.chunks import (ChunkedJob, chunk_path, pending_chunks, prepare_build, read_chunk, read_job_dict,
                                      run_chunks, write_chunk)

__all__ = ["ZcJob", "job_for", "run_job", "pending_chunks", "load_chunks", "merge_into_table", "default_build",
           "status", "read_job", "assembled_zc", "NB201_SHAPES"]

NB201_SHAPES = {"cifar10": ((3, 32, 32), 10), "cifar100": ((3, 32, 32), 100),
                "imagenet16-120": ((3, 16, 16), 120)}
SOURCE_KEY = "zc"
COMMAND = "nasbench zc compute"


@dataclasses.dataclass(frozen=True)
class ZcJob(ChunkedJob):
    """Everything that determines the scores.

    Parameters
    ----------
    bench : str
        Benchmark name, e.g. ``"nb201/digits"``.
    proxies : tuple of str
    C, N : int
        Network width and cells per stage.
    input_shape : (channels, height, width)
    n_classes : int
    inputs : {"digits", "noise", "none"}
        The batch: digits training images, standard normal noise, or none (data-free proxies only;
        their batch is a noise batch whose values no proxy reads).
    split : tuple of 3 int or None
        The digits split (train, valid, test) when ``inputs == "digits"``.
    split_seed : int
    batch_size : int
    seed : int
        Initialisation seed of every network and zen's noise.
    chunk_size : int
        Classes per chunk file.
    n_arch_classes : int or None
        Score only class ids ``0 .. n - 1`` (tests, trials); None means all 6466.
    """

    bench: str
    proxies: tuple
    C: int
    N: int
    input_shape: tuple
    n_classes: int
    inputs: str
    split: tuple | None = None
    split_seed: int = 0
    batch_size: int = 64
    seed: int = 0
    chunk_size: int = 32
    n_arch_classes: int | None = None

    def __post_init__(self):
        from nasbench.training.proxies import DATA_FREE, check_proxies

        object.__setattr__(self, "proxies", tuple(check_proxies(self.proxies)))
        object.__setattr__(self, "input_shape", tuple(int(v) for v in self.input_shape))
        if self.split is not None:
            object.__setattr__(self, "split", tuple(int(v) for v in self.split))
        if self.inputs not in ("digits", "noise", "none"):
            raise NasbenchError(f"inputs must be 'digits', 'noise' or 'none'; got {self.inputs!r}.")
        needs_data = [p for p in self.proxies if p not in DATA_FREE]
        if self.inputs == "none" and needs_data:
            raise NasbenchError(
                f"{self.bench}: the proxies {', '.join(needs_data)} need a batch of images, and nasbench ships none for "
                f"this dataset; pass --proxies from {', '.join(DATA_FREE)}, or --inputs noise to score them on "
                "standard normal noise (the table then says so).")
        for name in ("chunk_size", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise NasbenchError(f"{name} must be an int >= 1; got {value!r}.")
        total = _n_all_classes()
        if self.n_arch_classes is not None and not 1 <= int(self.n_arch_classes) <= total:
            raise NasbenchError(f"n_arch_classes must be None or an int in [1, {total}]; got {self.n_arch_classes!r}.")

    @property
    def classes(self) -> np.ndarray:
        return np.arange(self.n_arch_classes or _n_all_classes(), dtype=np.int64)

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        for key in ("proxies", "input_shape", "split"):
            out[key] = None if out[key] is None else list(out[key])
        return out

    def batch(self):
        """The :class:`~nasbench.training.proxies.ProxyBatch` of this job."""
        from nasbench.training.proxies import batch_from_split, noise_batch

        if self.inputs == "digits":
            from nasbench.training.data import load_digits

            return batch_from_split(load_digits(*self.split, split_seed=self.split_seed), self.batch_size)
        return noise_batch(self.input_shape, n=self.batch_size, n_classes=self.n_classes, seed=self.seed)

    def build(self, arch: int):
        from nasbench.training.model import build_network

        return build_network(int(arch), C=self.C, N=self.N, in_channels=self.input_shape[0],
                             n_classes=self.n_classes, seed=self.seed)


def _n_all_classes() -> int:
    from nasbench.spaces.nb201 import class_representatives

    return len(class_representatives())


def job_for(bench: str, proxies, *, inputs: str | None = None, batch_size: int = 64, seed: int = 0,
            chunk_size: int = 32, n_arch_classes: int | None = None) -> ZcJob:
    """The job for benchmark ``bench`` (see the module docstring for shapes and inputs).

    ``inputs`` None means the benchmark's default: ``"digits"`` for nb201/digits, ``"none"`` for the
    CIFAR-shaped tables.
    """
    from nasbench.paths import table_folder
    from tabular_data.store import Table

    base, _, kind = str(bench).partition("@")  # every other name is refused just below
    dataset = base.partition("/")[2]
    supported = ["nb201/digits", *(f"nb201/{d}" for d in NB201_SHAPES)]
    if kind or base not in supported:
        raise UnknownNameError(f"nasbench zc compute builds tables for {choices_text(supported)}; got {bench!r}. "
                               "Score single networks with nasbench.training.proxies.compute.")
    common = dict(bench=base, proxies=proxies, batch_size=batch_size, seed=seed, chunk_size=chunk_size,
                  n_arch_classes=n_arch_classes)
    if dataset == "digits":
        folder = table_folder(base)
        if folder is None:
            raise MissingDataError("nb201/digits is missing; reinstall nasbench or run `nasbench generate`.")
        found = (folder, "reinstall nasbench or re-create it with `nasbench generate`")
        job = Table(found[0], found[1]).manifest["info"].get("job") or {}
        try:
            train, split = job["train"], job["split"]
        except (KeyError, TypeError):
            raise DataIntegrityError(f"{found[0]}: its manifest has no info.job (the settings of `nasbench generate`); "
                                     f"{found[1]}.") from None
        if inputs not in (None, "digits", "noise"):
            raise NasbenchError(f"--inputs for nb201/digits must be digits or noise; got {inputs!r}.")
        return ZcJob(C=int(train["C"]), N=int(train["N"]), input_shape=(1, 8, 8), n_classes=10,
                     inputs=inputs or "digits", split=tuple(split), split_seed=int(job.get("split_seed", 0)), **common)
    shape, n_classes = NB201_SHAPES[dataset]
    if inputs not in (None, "none", "noise"):
        raise NasbenchError(f"--inputs for {base} must be none or noise (nasbench ships no {dataset} images); "
                            f"got {inputs!r}.")
    return ZcJob(C=16, N=5, input_shape=shape, n_classes=n_classes, inputs=inputs or "none", **common)


def default_build(job: ZcJob) -> Path:
    """``$NASBENCH_DATA/_build/zc-SPACE-DATASET`` (never inside the package)."""
    from nasbench.paths import data_root

    return data_root() / "_build" / ("zc-" + job.bench.replace("/", "-"))


def score_chunk(job: ZcJob, k: int, batch=None) -> dict:
    """Score chunk ``k``'s class representatives with every proxy of the job (arrays as in the module doc)."""
    from nasbench.spaces.nb201 import class_representatives
    from nasbench.training.proxies import compute

    batch = job.batch() if batch is None else batch
    classes = job.chunk_classes(k)
    reps = class_representatives()[classes]
    out = {"class_id": classes, "arch_index": reps}
    for p in job.proxies:
        out[f"score_{p}"] = np.full(len(reps), np.nan)
        out[f"time_{p}"] = np.full(len(reps), np.nan)
    for i, arch in enumerate(reps.tolist()):
        for p, (value, seconds) in compute(lambda: job.build(arch), batch, job.proxies, seed=job.seed,
                                           device="cpu").items():
            out[f"score_{p}"][i], out[f"time_{p}"][i] = value, seconds
    return out


def _setup(job_dict: dict, build: str) -> dict:
    """The context of a scoring process (:func:`nasbench.training.chunks.run_chunks`)."""
    job = ZcJob(**job_dict)
    return {"job": job, "build": build, "batch": job.batch()}


def _score_and_write(context: dict, k: int) -> None:
    write_chunk(context["build"], k, score_chunk(context["job"], k, context["batch"]))


def run_job(build, job: ZcJob, *, workers: int = 1, log=print) -> dict:
    """Score every pending chunk of ``job`` into ``build`` (SIGINT / SIGTERM keep finished chunks).

    Parameters
    ----------
    workers : int, default 1
        Worker processes (one torch thread each); 0 scores in this process.

    Returns
    -------
    dict
        ``done``, ``total`` chunks and ``interrupted``.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise NasbenchError(f"--workers must be an int >= 0; got {workers!r}.")
    build = Path(build)
    prepare_build(build, job.to_dict(), command=COMMAND)
    todo = pending_chunks(build, job)
    log(f"{job.n_chunks - len(todo)}/{job.n_chunks} chunks done; scoring {len(todo)} ({job.chunk_size} classes x "
        f"{len(job.proxies)} proxies each) with {workers} worker(s)")

    def on_done(k: int, wall: float, cpu: float) -> None:
        log(f"chunk {k} done in {wall:.1f}s ({job.n_chunks - len(pending_chunks(build, job))}/{job.n_chunks})")

    interrupted = run_chunks(todo, setup=_setup, setup_args=(job.to_dict(), str(build)), work=_score_and_write,
                             workers=workers, on_done=on_done, log=log)
    left = pending_chunks(build, job)
    return {"done": job.n_chunks - len(left), "total": job.n_chunks, "interrupted": interrupted}


def load_chunks(build, job: ZcJob, *, partial: bool = False) -> dict:
    """The finished chunks' arrays concatenated in class order (all chunks, unless ``partial``)."""
    left = pending_chunks(build, job)
    if left and not partial:
        raise MissingDataError(f"{len(left)} of {job.n_chunks} chunks are missing in {build} (first: {left[0]}); "
                               "run `nasbench zc compute` with the same settings to finish them.")
    keys = ["class_id", "arch_index"] + [f"{w}_{p}" for p in job.proxies for w in ("score", "time")]
    parts = []
    for k in range(job.n_chunks):
        if k in left:
            continue
        part = read_chunk(chunk_path(build, k), keys, command=COMMAND)
        if not np.array_equal(part["class_id"], job.chunk_classes(k)):
            raise DataIntegrityError(f"{chunk_path(build, k)} holds other classes than chunk {k} of this job; delete it "
                                     "and run `nasbench zc compute` again.")
        parts.append(part)
    if not parts:
        return {key: np.zeros(0) for key in keys}
    return {key: np.concatenate([p[key] for p in parts]) for key in keys}


def status(build, job: ZcJob) -> dict:
    """Chunks done, and the median seconds per arch of each proxy over the finished chunks."""
    c = load_chunks(build, job, partial=True)
    return {"build": str(build), "done": job.n_chunks - len(pending_chunks(build, job)), "total": job.n_chunks,
            "median_s_per_arch": {p: (float(np.median(c[f"time_{p}"])) if len(c[f"time_{p}"]) else None)
                                  for p in job.proxies}}


def _metrics(job: ZcJob, c: dict, batch_source: str) -> dict:
    from nasbench.training.generate import class_to_members
    from nasbench.training.proxies import DATA_FREE, PAPERS
    from tabular_data.store import MetricData

    shape = "x".join(str(v) for v in job.input_shape)
    net = (f"untrained NB201 network of the class representative (C={job.C}, N={job.N}, input {shape}, "
           f"{job.n_classes} classes, PyTorch default initialisation from seed {job.seed}, training mode)")
    mean_over = "one computation per isomorphism class (its representative), mapped to all members"
    out = {}
    for p in job.proxies:
        data = "no data (only the input shape)" if p in DATA_FREE else batch_source
        if p == "zen":
            data = f"standard normal noise of batch {job.batch_size} drawn from seed {job.seed}"
        unit = {"params": "M", "flops": "M"}.get(p, "score")
        out[f"zc_{p}"] = MetricData(
            mean=class_to_members(c[f"score_{p}"][:, None], c["class_id"]), fidelities=(None,), unit=unit,
            description=f"zero-cost proxy {p} ({PAPERS[p]}) of the {net}, input: {data}; computed by "
                        "nasbench.training.proxies (nasbench zc compute); -inf where undefined",
            fidelity_meaning="none (static)", mean_over=mean_over, sources=(SOURCE_KEY,), higher_is_better=True)
        out[f"zc_{p}_time_s"] = MetricData(
            mean=class_to_members(c[f"time_{p}"][:, None], c["class_id"]), fidelities=(None,), unit="s",
            description=f"CPU seconds (one torch thread, time.process_time) to compute zc_{p} for the class "
                        "representative, network copy included, construction excluded, on the generating machine",
            fidelity_meaning="none (static)", mean_over=mean_over, sources=(SOURCE_KEY,), higher_is_better=False)
    return out


def _versions() -> dict:
    import platform

    import torch

    from nasbench._version import __version__

    return {"nasbench": __version__, "torch": torch.__version__, "numpy": np.__version__,
            "python": platform.python_version(), "platform": platform.platform()}


def _zc_parts(build, job: ZcJob) -> dict:
    """The finished job's metrics, its source entry and its ``info.zero_cost`` block."""
    chunks = load_chunks(build, job)
    source = job.batch().source if job.inputs != "none" else "none (data-free proxies)"
    return {"metrics": _metrics(job, chunks, source if job.inputs != "none" else "no data"),
            "sources": {SOURCE_KEY: {"path": Path(build).name, "chunks": job.n_chunks,
                                     "provenance": "computed by nasbench zc compute"}},
            "info": {"zero_cost": {"job": job.to_dict(), "batch": source, "versions": _versions(),
                                   "made_by": "nasbench zc compute",
                                   "protocol": "each isomorphism class's representative scored once; scores mapped "
                                               "to all members"}}}


def read_job(build) -> ZcJob:
    """The :class:`ZcJob` stored in a build folder's ``config.json``."""
    stored = read_job_dict(build, command=COMMAND)
    try:
        return ZcJob(**stored)
    except TypeError as exc:
        reason = " ".join(str(exc).split())[:120]
        raise DataIntegrityError(f"{Path(build) / 'config.json'} is not a zc build config ({reason}); restore it or "
                                 "use another --build.") from None


def assembled_zc(build) -> dict:
    """What ``nasbench generate --assemble`` adds for the digits build folder ``build``.

    The proxies of a finished ``nasbench zc compute nb201/digits`` whose build folder sits beside
    ``build`` as ``zc-<build name>`` (the shipped record: ``_build/zc-nb201-digits``), so that
    re-assembling the shipped table from its records gives back its ``zc_*`` metrics. Returns empty
    parts when that folder is absent or unfinished; refuses one scored with another network or split.
    """
    from nasbench.training.generate import read_job as read_train_job

    zc_build = Path(build).parent / f"zc-{Path(build).name}"
    empty = {"metrics": {}, "sources": {}, "info": {}}
    if not (zc_build / "config.json").is_file():
        return empty
    job, train = read_job(zc_build), read_train_job(build)
    if (job.bench, job.C, job.N, job.split, job.split_seed) != ("nb201/digits", train.train["C"], train.train["N"],
                                                                  train.split, train.split_seed):
        raise DataIntegrityError(f"{zc_build} scored another network or split than {build} trained; move it away or "
                                 "rerun `nasbench zc compute` for this build.")
    if pending_chunks(zc_build, job):
        return empty
    return _zc_parts(zc_build, job)


def merge_into_table(build, job: ZcJob, table, dest=None) -> Path:
    """Add the finished job's ``zc_*`` metrics to the table in ``table`` and write it to ``dest``.

    The table's other files are copied unchanged (checked against their recorded sha256); metrics of
    the same names are replaced. ``dest`` defaults to ``table`` (replaced in one step).
    """
    from tabular_data.atomic import write_folder
    from tabular_data.store import Table, _metric_entry, sha256_file, write_manifest

    table, dest = Path(table), Path(dest or table)
    src = Table(table, repair_hint="restore the table before adding proxies")
    if src.name != job.bench:
        raise NasbenchError(f"the table in {table} is {src.name}, but the job scored {job.bench}; pass --table with "
                            f"the folder of {job.bench}.")
    parts = _zc_parts(build, job)
    kept = {m: e for m, e in src.manifest["metrics"].items() if m not in parts["metrics"]}

    def fill(tmp: Path) -> None:
        for entry in kept.values():
            for f in entry["files"].values():
                shutil.copyfile(table / f["file"], tmp / f["file"])
                if sha256_file(tmp / f["file"]) != f["sha256"]:
                    raise DataIntegrityError(f"{table / f['file']} does not match its manifest's sha256; restore the "
                                             "table before adding proxies.")
        entries = {m: _metric_entry(m, d, tmp) for m, d in parts["metrics"].items()}
        manifest = dict(src.manifest)
        manifest["metrics"] = {**kept, **entries}
        manifest["sources"] = {**src.manifest["sources"], **parts["sources"]}
        manifest["info"] = {**src.manifest["info"], **parts["info"]}
        write_manifest(tmp, manifest)

    return write_folder(dest, fill, overwrite=True, what=f"the table {job.bench}")
