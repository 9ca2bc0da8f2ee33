"""Live training as a benchmark: ``nb201/digits@train``.

:class:`TrainingBenchmark` answers the benchmark contract (:mod:`nasbench.benchmarks.base`) by
training the asked architectures for real, with the recipe that made the embedded table
``nb201/digits`` (scikit-learn digits, the table's split, network size, schedule and training seeds,
read from the table's manifest, ``info.job``). Metric names, units and fidelities are the table's,
with the same meaning: ``valid_acc``, ``test_acc``, ``train_acc`` (%) and ``train_loss`` (nats) after
epoch 1..E of the E-epoch schedule (fidelity = epoch on the learning curve, not a shorter schedule),
``train_time_s`` (s, training steps of the whole schedule, evaluation excluded) at fidelity E, and the
static ``params_m`` / ``flops_m`` counted from the model. As the table does, an arch is trained as
its isomorphism class's representative (the smallest NB201 index of the class), so on the CPU with
one thread a live run reproduces the table's per-seed values bit for bit (tested).

Runs are cached on disk (:mod:`nasbench.benchmarks.training_runs`), one small JSON file per (representative, training seed, recipe digest)::

    $NASBENCH_DATA/nb201/digits@train/runs/<recipe digest>/<arch index>-s<seed>.json

A run is trained once: the process that trains it holds an exclusive ``fcntl`` lock on the key (a
second process asking for the same key waits and then reads the finished file, so both get the same
value), writes a temporary file, flushes it to disk and links it into place (atomic; the first
published file wins where no lock is available). A process killed at any moment leaves either the
finished file or nothing readable: readers open only the final name, and stale temporary files are
removed by the next process that takes the key's lock.

Wall-clock times are measured, hence differ between machines and runs; the accuracies are
deterministic on the CPU (one torch thread). On CUDA (used when available) the last bits may differ
between runs; each file records the device, versions and machine.

Examples
--------
>>> bench = nasbench.load("nb201/digits@train")                   # doctest: +SKIP
>>> bench.query(6111, "valid_acc", 4, seed=None)                  # trains seeds 0 and 1 once  # doctest: +SKIP
94.7
"""

from __future__ import annotations

import glob
from pathlib import Path

import numpy as np

from nasbench.benchmarks.base import Benchmark, Cost, check_uniforms
from nasbench.benchmarks.training_runs import (
    SOURCE_TABLE,
    STATIC,
    Recipe,
    RunKey,
    _digits,
    adopt_run,
    read_run,
    train_one,
)
from nasbench.checks import is_number
from nasbench.errors import InvalidArchError, MissingValueError, NasbenchError, UnknownNameError, choices_text
from nasbench.rng import as_generator

__all__ = ["TrainingBenchmark", "load_training"]

NAME = "nb201/digits@train"
_MISSING_CHOICES = ("raise", "nan")


class TrainingBenchmark(Benchmark):
    """NB201 on digits, answered by training the asked archs for real (cached runs).

    Parameters
    ----------
    recipe : Recipe, optional
        Default: the recipe of the embedded table ``nb201/digits`` (:meth:`Recipe.from_table`).
    runs_dir : path, optional
        Cache folder; default ``$NASBENCH_DATA/nb201/digits@train/runs`` (never inside the package).
    device : str, default "auto"
        Where runs train: ``"auto"`` (CUDA when torch sees it, else the CPU), ``"cpu"``, ``"cuda[:K]"``.
    executor : strategies.executors.Executor, optional
        Runs a batch of uncached trainings in parallel (:meth:`use_executor`).
    name : str, default "nb201/digits@train"

    Notes
    -----
    ``seed=None`` queries train every recipe seed of each asked arch (once; then cached) and return
    the mean, as the table's mean; an int or Generator seed trains only the drawn seed.
    """

    kind = "train"
    live = True

    def __init__(self, recipe: Recipe | None = None, *, runs_dir=None, device: str = "auto", executor=None,
                 name: str = NAME):
        from nasbench.paths import data_root
        from nasbench.spaces import get_space

        self.recipe = Recipe.from_table() if recipe is None else recipe
        if not isinstance(self.recipe, Recipe):
            raise NasbenchError(f"recipe must be a Recipe; got {type(self.recipe).__name__}.")
        from nasbench.training.trainer import resolve_device

        resolve_device(device)  # a bad name or a missing CUDA fails here, not at the first training
        self.name = name
        self.space = get_space("nb201")
        self.device = device
        self.runs_dir = Path(runs_dir) if runs_dir is not None else data_root() / "nb201" / "digits@train" / "runs"
        self.executor = executor
        self._records: dict = {}  # (arch_index, seed) -> run record, read or trained by this object
        self._static: dict = {}  # (metric, arch_index) -> counted value
        self._metrics = self._describe_metrics()

    def use_executor(self, executor) -> "TrainingBenchmark":
        """Train batches of uncached runs with ``executor.map(train_one, keys)`` (None: in this process).

        Results do not depend on the executor; only where and how fast runs train does.
        """
        if executor is not None and not callable(getattr(executor, "map", None)):
            raise NasbenchError(f"executor must have a map(fn, tasks) method (strategies.executors); got "
                                f"{type(executor).__name__}.")
        self.executor = executor
        return self

    # ---- metadata
    def _describe_metrics(self) -> dict:
        from tabular_data.store import MetricInfo

        r, E = self.recipe, self.recipe.epochs
        n = self.space.n_archs
        live = (f"measured by live training on this machine (recipe {r.digest()}, trained on demand and cached per "
                "arch and seed)")
        seeds_txt = f"training seeds {list(r.seeds)}"
        bn = " (BatchNorm statistics recomputed from training images first)" if r.train["bn_recalibration"] else ""
        text = {
            "train_loss": ("nats", "mean cross-entropy (nats) over the epoch's training mini-batches, measured during "
                                   "the epoch"),
            "train_acc": ("%", "accuracy (%) on the epoch's training mini-batches, measured during the epoch"),
            "valid_acc": ("%", f"accuracy (%) on the {r.split[1]} validation images after the epoch{bn}"),
            "test_acc": ("%", f"accuracy (%) on the {r.split[2]} test images after the epoch{bn}"),
        }
        epochs = tuple(range(1, E + 1))
        out = {}
        for m, (unit, about) in text.items():  # fidelity f: after epoch f of the E-epoch schedule, as the table
            out[m] = MetricInfo(m, unit, f"{about} (epoch f of the {E}-epoch schedule); {live}", epochs,
                                "training epochs", seeds_txt, len(r.seeds),
                                tuple({"fidelity": f, "n_archs_mean": n, "n_archs_seeds": n} for f in epochs),
                                ("live training",))
        out["train_time_s"] = MetricInfo(
            "train_time_s", "s", f"wall-clock seconds of the {E} training epochs (evaluation excluded); {live}",
            (E,), "training epochs", seeds_txt, len(r.seeds), ({"fidelity": E, "n_archs_mean": n, "n_archs_seeds": n},),
            ("live training",))
        for m, about in (("params_m", "trainable parameters (millions)"),
                         ("flops_m", "multiply-accumulates of one forward pass of one image (millions)")):
            out[m] = MetricInfo(m, "M", f"{about}, counted from the model (no training)", (None,), "none (static)",
                                "one count per arch", 0, ({"fidelity": None, "n_archs_mean": n, "n_archs_seeds": 0},),
                                ("model",))
        return out

    @property
    def metrics(self) -> dict:
        return self._metrics

    def fidelities(self, metric: str) -> tuple:
        return self.metric_info(metric).fidelities

    def _fidelity(self, metric: str, fidelity):
        """Validated fidelity of ``metric`` (None -> the highest; None for a static metric)."""
        fids = self.fidelities(metric)
        if fids == (None,):
            if fidelity is not None:
                raise UnknownNameError(f"{metric} of {self.name} does not depend on fidelity; got fidelity="
                                       f"{fidelity!r}. Pass fidelity=None.")
            return None
        if fidelity is None:
            return fids[-1]
        if not is_number(fidelity) or fidelity not in fids:
            raise UnknownNameError(f"{metric} of {self.name} has no fidelity {fidelity!r} (training epochs); expected "
                                   f"one of {', '.join(map(str, fids))}.")
        return int(fidelity)

    def _indices(self, archs) -> tuple[np.ndarray, bool]:
        idx, scalar = self.space.to_indices(archs)
        bad = (idx < 0) | (idx >= self.space.n_archs)
        if bad.any():
            i = int(np.argmax(bad))
            raise InvalidArchError(f"arch indices of {self.name} must be in [0, {self.space.n_archs - 1}]; got "
                                   f"{int(idx[i])} at position {i}.")
        return idx, scalar

    @staticmethod
    def _representatives(idx: np.ndarray) -> np.ndarray:
        """The trained network of each arch: its isomorphism class's representative, as in the table."""
        from nasbench.spaces.nb201 import canonical_ids, class_representatives

        return class_representatives()[canonical_ids()[idx]]

    # ---- runs
    def _key(self, arch_index: int, seed: int) -> RunKey:
        return RunKey(int(arch_index), int(seed), self.recipe, str(self.runs_dir), self.device)

    def _cached(self, pair) -> dict | None:
        record = self._records.get(pair)
        if record is None:
            record = read_run(self._key(*pair))
            if record is not None:
                self._records[pair] = record
        return record

    def _runs(self, pairs) -> dict:
        """(arch_index, seed) -> record for every pair, training the uncached ones (with the executor if set)."""
        pairs = list(dict.fromkeys((int(a), int(s)) for a, s in pairs))
        todo = [p for p in pairs if self._cached(p) is None]
        if todo:
            keys = [self._key(*p) for p in todo]
            if self.executor is not None and len(keys) > 1:
                for key, record in zip(keys, self.executor.map(train_one, keys)):
                    # a worker on another machine cached it there: keep one value here too
                    self._records[(key.arch_index, key.seed)] = adopt_run(key, record)
            else:
                for key in keys:
                    self._records[(key.arch_index, key.seed)] = train_one(key)
        return {p: self._records[p] for p in pairs}

    def _values(self, reps: np.ndarray, metric: str, fidelity, picks) -> np.ndarray:
        """Values of ``metric`` for each rep: the mean over seeds (``picks`` None) or seed ``picks[i]``."""
        seeds = self.recipe.seeds
        if metric in STATIC:
            return np.array([self._count(metric, int(a)) for a in reps], dtype=np.float64)
        pos = None if metric == "train_time_s" else fidelity - 1

        def value(record):
            v = record["result"][metric]
            return float(v if pos is None else v[pos])

        if picks is None:
            runs = self._runs((a, s) for a in reps.tolist() for s in seeds)
            per_seed = np.array([[value(runs[(a, s)]) for s in seeds] for a in reps.tolist()], dtype=np.float64)
            return per_seed.reshape(len(reps), len(seeds)).mean(axis=1)  # as the table's mean over seeds
        chosen = [seeds[p] for p in picks.tolist()]
        runs = self._runs(zip(reps.tolist(), chosen))
        return np.array([value(runs[(a, s)]) for a, s in zip(reps.tolist(), chosen)], dtype=np.float64)

    def _count(self, metric: str, arch_index: int) -> float:
        """``params_m`` / ``flops_m`` of the trained network, counted as the trainer counts them."""
        key = (metric, arch_index)
        if key not in self._static:
            from nasbench.training.flops import count_flops
            from nasbench.training.model import build_network, count_params

            data = _digits(self.recipe)
            model = build_network(arch_index, C=self.recipe.train["C"], N=self.recipe.train["N"],
                                  in_channels=data.input_shape[0], n_classes=data.n_classes, seed=0)
            self._static[("params_m", arch_index)] = count_params(model) / 1e6
            self._static[("flops_m", arch_index)] = count_flops(model, data.input_shape) / 1e6
        return self._static[key]

    # ---- the contract
    def query(self, archs, metric: str, fidelity=None, seed=None, *, missing: str = "raise"):
        fidelity = self._fidelity(metric, fidelity)
        if missing not in _MISSING_CHOICES:
            raise UnknownNameError(f"missing must be one of {choices_text(_MISSING_CHOICES)}; got {missing!r}.")
        idx, scalar = self._indices(archs)
        picks = None
        if seed is not None:
            u = as_generator(seed).random(idx.shape[0])
            picks = np.minimum((u * len(self.recipe.seeds)).astype(np.int64), len(self.recipe.seeds) - 1)
        out = self._values(self._representatives(idx), metric, fidelity, picks)
        self._check_nan(out, idx, metric, fidelity, missing)
        return out[0] if scalar else out

    def query_draws(self, archs, metric: str, fidelity, uniforms) -> np.ndarray:
        """Seed ``recipe.seeds[floor(uniforms[i] * n_seeds)]`` of arch i, trained (or read) now."""
        fidelity = self._fidelity(metric, fidelity)
        idx, _ = self._indices(archs if isinstance(archs, (list, tuple, np.ndarray, range)) else [archs])
        u = check_uniforms(uniforms, idx.shape[0])
        S = len(self.recipe.seeds)
        picks = None if metric in STATIC else np.minimum((u * S).astype(np.int64), S - 1)
        return self._values(self._representatives(idx), metric, fidelity, picks)  # NaN stays NaN (no `missing`)

    def _check_nan(self, out, idx, metric, fidelity, missing) -> None:
        if missing == "raise" and np.isnan(out).any():
            i = int(np.argmax(np.isnan(out)))
            raise MissingValueError(
                f"the live training of arch {int(idx[i])} gave no {metric} at fidelity {fidelity} (NaN: the run "
                f"diverged); nothing is imputed: pass missing='nan' to get NaN instead.")

    def noise(self, metric: str, fidelity=None) -> dict:
        self._fidelity(metric, fidelity)
        if metric in STATIC:
            return {"source": "none", "n_outcomes": 1, "about": f"{metric} is counted from the model, the same for "
                                                                 "every training run"}
        return {"source": "training runs", "n_outcomes": len(self.recipe.seeds),
                "about": f"one run per training seed of the recipe {list(self.recipe.seeds)} (recipe "
                         f"{self.recipe.digest()}), trained live on demand and cached"}

    def cost(self, archs, fidelity=None, *, metric: str | None = None) -> Cost:
        """Measured training seconds of each arch at ``fidelity``.

        The seconds are the measured ``train_time_s`` (training steps of the whole schedule, evaluation
        excluded) of the arch's run with the recipe's first seed (trained now when not cached), times
        ``fidelity / E`` (every epoch has the same number of steps). A static ``metric`` (``params_m``)
        and ``metric=None`` are charged the full schedule's run.

        One fixed run per arch, rather than the run a draw picked (``cost`` does not see the draw) or
        the mean of the runs cached so far (which changes as more seeds train), makes the cost of an
        arch the same in every search and in every rerun over the same cache. Wall-clock times vary
        between machines, so a fresh cache measures new costs.
        """
        E = self.recipe.epochs
        if metric is not None and self.fidelities(metric) == (None,):
            self._fidelity(metric, fidelity)  # a static metric: fidelity must be None; the full run is charged
            fid = E
        else:
            fid = self._fidelity(metric or "valid_acc", fidelity)
        idx, _ = self._indices(archs if isinstance(archs, (list, tuple, np.ndarray, range)) else [archs])
        reps = self._representatives(idx).tolist()
        seed = self.recipe.seeds[0]
        runs = self._runs((a, seed) for a in reps)
        seconds = np.array([runs[(a, seed)]["result"]["train_time_s"] * fid / E for a in reps], dtype=np.float64)
        devices = sorted({runs[(a, seed)]["result"]["device"] for a in reps})
        return Cost(seconds, {"source": "measured by live training", "metric": "train_time_s", "fidelity": fid,
                              "devices": devices, "recipe": self.recipe.digest(),
                              "about": f"measured train_time_s of the arch's seed-{seed} run x fidelity / {E}"})

    def describe(self) -> dict:
        runs = self.runs_dir / self.recipe.digest()
        return {
            "name": self.name, "kind": self.kind, "space": "nb201", "dataset": "digits",
            "source_table": SOURCE_TABLE,
            "about": ("every queried arch is trained for real with the recipe of the embedded table nb201/digits "
                      "(its isomorphism class's representative, as the table); runs are cached on disk per arch, "
                      "seed and recipe, and cost the measured training time"),
            "recipe": self.recipe.to_dict(), "recipe_digest": self.recipe.digest(), "runs_dir": str(runs),
            "n_runs_cached": len(glob.glob(str(runs / "*.json"))) if runs.is_dir() else 0,
            "device": self.device,
            "executor": None if self.executor is None else self.executor.describe(),
            "metrics": {m: {"unit": i.unit, "fidelities": list(i.fidelities), "description": i.description}
                        for m, i in self.metrics.items()},
        }


def load_training(space: str, dataset: str) -> TrainingBenchmark:
    """Load ``SPACE/DATASET@train`` (the loader registered for the kind): only ``nb201/digits`` exists."""
    if (space, dataset) != ("nb201", "digits"):
        raise UnknownNameError(f"live training (@train) exists for 'nb201/digits' only; got '{space}/{dataset}@train'. "
                               "Use nasbench.load('nb201/digits@train'), or a table or @surrogate of that dataset.")
    return TrainingBenchmark()
