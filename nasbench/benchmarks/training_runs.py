"""The run cache of live training (``nb201/digits@train``): recipes, run keys, cached runs.

A run is one (architecture, training seed) trained with a :class:`Recipe`; :func:`train_one` reads
it from the cache or trains it once and caches it. See :mod:`nasbench.benchmarks.training` for the
layout of the cache and the guarantees a killed or concurrent trainer keeps; this module holds the
cache and the training call, :class:`~nasbench.benchmarks.training.TrainingBenchmark` the
benchmark contract.
"""

from __future__ import annotations

import dataclasses
import functools
import glob
import hashlib
import json
import os
import time
from pathlib import Path

from nasbench.errors import DataIntegrityError, NasbenchError
from nasbench.provenance import machine, versions

__all__ = ["Recipe", "RunKey", "train_one", "read_run", "publish", "adopt_run", "SOURCE_TABLE", "CURVES", "STATIC"]

SOURCE_TABLE = "nb201/digits"
RUN_FORMAT = "nasbench-train-run"
# A run file holds a few curves of E floats; anything much larger is not one of ours.
MAX_RUN_BYTES = 1 << 20
CURVES = ("train_loss", "train_acc", "valid_acc", "test_acc")
STATIC = ("params_m", "flops_m")
# TrainConfig fields that do not change the measured values, so they stay out of the recipe digest
_NOT_IN_RECIPE = ("device", "n_threads", "latency_warmup", "latency_repeats")


@dataclasses.dataclass(frozen=True)
class Recipe:
    """What determines a run's values: data split, training config and the training seeds.

    Parameters
    ----------
    train : dict
        :class:`~nasbench.training.trainer.TrainConfig` fields; normalised to all fields but
        ``device``, ``n_threads`` and the latency settings (which do not change the values).
    split : (int, int, int)
        Digits images for train / valid / test.
    split_seed : int
    seeds : tuple of int
        The recipe's training seeds (the outcomes a query averages over or draws from).
    """

    train: dict
    split: tuple
    split_seed: int = 0
    seeds: tuple = (0, 1)

    def __post_init__(self):
        from nasbench.training.trainer import TrainConfig

        object.__setattr__(self, "split", tuple(int(v) for v in self.split))
        object.__setattr__(self, "seeds", tuple(int(v) for v in self.seeds))
        if len(self.split) != 3:
            raise NasbenchError(f"split must be (n_train, n_valid, n_test); got {self.split!r}.")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds) or min(self.seeds) < 0:
            raise NasbenchError(f"seeds must be distinct non-negative ints; got {self.seeds!r}.")
        fields = {k: v for k, v in self.train.items() if k not in _NOT_IN_RECIPE}
        try:
            full = TrainConfig(**fields).to_dict()
        except TypeError as exc:
            raise NasbenchError(f"unknown TrainConfig field in {sorted(fields)}: {exc}") from None
        object.__setattr__(self, "train", {k: v for k, v in full.items() if k not in _NOT_IN_RECIPE})

    @property
    def epochs(self) -> int:
        return int(self.train["epochs"])

    def train_config(self, device: str = "auto"):
        """The :class:`TrainConfig` of one run on ``device`` (one CPU thread, as the table; no latency)."""
        from nasbench.training.trainer import TrainConfig

        return TrainConfig(**self.train, device=device, n_threads=1, latency_repeats=0)

    def to_dict(self) -> dict:
        return {"dataset": "digits", "protocol": "isomorphism-class representative", "train": dict(self.train),
                "split": list(self.split), "split_seed": self.split_seed, "seeds": list(self.seeds)}

    @functools.cached_property  # in the instance's __dict__ (allowed on a frozen dataclass); read per cache lookup
    def _digest(self) -> str:
        fields = self.to_dict()
        fields.pop("seeds")
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]

    def digest(self) -> str:
        """16 hex digits of the SHA-256 of the values-determining fields (seeds excluded: one file per seed)."""
        return self._digest

    @classmethod
    def from_table(cls, name: str = SOURCE_TABLE) -> "Recipe":
        """The recipe recorded in the manifest of the table ``name`` (``info.job``)."""
        from nasbench.benchmarks.registry import table_dir
        from tabular_data.store import Table

        found = table_dir(name)
        if found is None:
            raise NasbenchError(f"the table {name} is not available here, so its training recipe is unknown; "
                                "reinstall nasbench (nb201/digits is embedded) or pass recipe=Recipe(...).")
        job = Table(found[0], repair_hint=found[1]).manifest["info"]["job"]  # the manifest's checksum is checked
        return cls(train=job["train"], split=job["split"], split_seed=job["split_seed"], seeds=job["seeds"])


@dataclasses.dataclass(frozen=True)
class RunKey:
    """One training run: what :func:`train_one` needs, picklable (a task for an executor).

    Attributes
    ----------
    arch_index : int
        NB201 index of the trained network (an isomorphism-class representative).
    seed : int
        Training seed.
    recipe : Recipe
    runs_dir : str
        Folder of the cache (the recipe's digest is appended).
    device : str
        ``"auto"``, ``"cpu"`` or ``"cuda[:K]"``; not part of the key (recorded in the run).
    """

    arch_index: int
    seed: int
    recipe: Recipe
    runs_dir: str
    device: str = "auto"

    @property
    def path(self) -> Path:
        """Cache file of the run: ``runs_dir/<recipe digest>/<arch index>-s<seed>.json``."""
        return Path(self.runs_dir) / self.recipe.digest() / f"{self.arch_index:05d}-s{self.seed}.json"


# ------------------------------------------------------------------ the cache
def read_run(key: RunKey) -> dict | None:
    """The finished run of ``key`` from the cache, or None when it is not there.

    Raises
    ------
    DataIntegrityError
        If the file exists but is not a finished run of this key (the message names it).
    """
    path = key.path
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return None
    fix = f"delete {path} and query again to retrain it"
    if size > MAX_RUN_BYTES:
        raise DataIntegrityError(f"training cache file {path} has {size} bytes (a run has at most "
                                 f"{MAX_RUN_BYTES}); {fix}.")
    try:
        record = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataIntegrityError(f"training cache file {path} is not valid JSON ({exc}); {fix}.") from None
    _check_record(record, key, f"training cache file {path}", fix)
    return record


def _check_record(record, key: RunKey, where: str, fix: str) -> None:
    E = key.recipe.epochs
    ok = (isinstance(record, dict) and record.get("format") == RUN_FORMAT and record.get("arch_index") == key.arch_index
          and record.get("seed") == key.seed and record.get("recipe_digest") == key.recipe.digest()
          and isinstance(record.get("result"), dict))
    if ok:
        result = record["result"]
        ok = all(isinstance(result.get(c), list) and len(result[c]) == E for c in CURVES) and all(
            isinstance(result.get(k), (int, float)) for k in ("train_time_s", *STATIC))
    if not ok:
        raise DataIntegrityError(f"{where} is not a finished run of arch {key.arch_index}, seed {key.seed}, recipe "
                                 f"{key.recipe.digest()} ({E} epochs); {fix}.")


def publish(path: Path, record: dict) -> dict:
    """Write ``record`` to ``path`` atomically; returns the record the file holds afterwards.

    The text goes to a temporary file in the same folder, is flushed to disk, then linked to the final
    name, which fails when the name exists: the first published run wins and later writers return it.
    """
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{time.monotonic_ns()}")
    try:
        with open(tmp, "w") as fh:
            json.dump(record, fh, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return json.loads(path.read_text())
        except OSError:  # a file system without hard links: rename (last writer wins there)
            os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return record


class _KeyLock:
    """Exclusive lock on one run's key (``fcntl.flock`` on ``.<name>.lock``); a no-op where fcntl is missing.

    The kernel releases the lock when the holder dies, so a killed trainer never blocks the key.
    """

    def __init__(self, path: Path):
        self.path = path.with_name(f".{path.name}.lock")
        self.fh = None

    def __enter__(self):
        try:
            import fcntl
        except ImportError:  # not POSIX: publishing by link still gives one value per key
            return self
        self.fh = open(self.path, "a")
        fcntl.flock(self.fh.fileno(), fcntl.LOCK_EX)
        return self

    @property
    def held(self) -> bool:
        return self.fh is not None

    def __exit__(self, *exc):
        if self.fh is not None:
            self.fh.close()  # closing releases the flock
        return False


# ------------------------------------------------------------------ training
_DATA: dict = {}


def _digits(recipe: Recipe):
    """The recipe's digits split, loaded once per process."""
    key = (recipe.split, recipe.split_seed)
    if key not in _DATA:
        from nasbench.training.data import load_digits

        _DATA[key] = load_digits(*recipe.split, split_seed=recipe.split_seed)
    return _DATA[key]


def _train(key: RunKey) -> dict:
    """Train ``key``'s run now (no cache) and return its record."""
    from nasbench.training import trainer  # looked up at call time, so tests can count the calls

    result = trainer.train_arch(key.arch_index, _digits(key.recipe), key.recipe.train_config(key.device),
                                seed=key.seed)
    return {"format": RUN_FORMAT, "version": 1, "arch_index": key.arch_index, "seed": key.seed,
            "recipe_digest": key.recipe.digest(), "recipe": key.recipe.to_dict(), "result": result.to_dict(),
            "versions": versions("nasbench", "torch", "numpy", "scikit-learn", "python"), "machine": machine(),
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def train_one(key: RunKey) -> dict:
    """The run of ``key``: read from the cache, or trained (once, under the key's lock) and cached.

    A module-level function of one picklable argument, so executors (local processes, Ray tasks)
    can run it; concurrent callers of one key all get the value of the one run that was trained.

    Returns
    -------
    dict
        The run's record (``result`` holds :meth:`TrainResult.to_dict`).
    """
    record = read_run(key)
    if record is not None:
        return record
    path = key.path
    path.parent.mkdir(parents=True, exist_ok=True)
    with _KeyLock(path) as lock:
        record = read_run(key)  # another process may have finished it while we waited
        if record is not None:
            return record
        if lock.held:  # we hold the key, so these were left by killed writers
            for stale in glob.glob(glob.escape(str(path.parent / f".{path.name}.tmp-")) + "*"):
                os.remove(stale)
        return publish(path, _train(key))


def adopt_run(key: RunKey, record: dict) -> dict:
    """The cached run of ``key`` here, publishing ``record`` (trained elsewhere, e.g. by an executor's
    worker on another machine) when there is none, so one key keeps one value on this machine.

    Raises
    ------
    DataIntegrityError
        ``record`` is not a finished run of ``key``.
    """
    _check_record(record, key, "a run returned by the executor", "check the executor's workers")
    cached = read_run(key)
    if cached is not None:
        return cached
    key.path.parent.mkdir(parents=True, exist_ok=True)
    with _KeyLock(key.path):
        return read_run(key) or publish(key.path, record)
