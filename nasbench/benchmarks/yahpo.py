"""``darts/cifar10@yahpo``: YAHPO Gym's NB301 surrogate over the DARTS space, epoch 1..98.

YAHPO Gym (Pfisterer et al., AutoML-Conf 2022) ships, for its ``nb301`` scenario, a feed-forward
network in ONNX (``model_v2.onnx``) that maps a DARTS cell pair (34 categorical parameters of
NAS-Bench-301's ConfigSpace) and ``epoch`` to 4 outputs, in the order of ``y_names`` in
``yahpo_gym/benchmarks/nb301.py``: ``val_accuracy``, ``val_cross_entropy``, ``runtime``,
``runtime_increase``. The graph itself undoes the training-time scaling of each output (sigmoid,
rescale, clip to [0, 1] for the accuracy; ``exp`` for the two times), so its outputs are served as
they come, with ``valid_acc = 100 * val_accuracy`` (the project's accuracies are in %).

What it was trained on: YAHPO's documentation cites, for ``nb301``, the NAS-Bench-301 paper and
"nasbench301_full_data" (Zimmer 2020, figshare 10.6084/m9.figshare.13286105), which NAS-Bench-301's
README describes as the full training logs of the architectures it trained, with learning curves:
real training runs of NB301's pipeline on CIFAR-10, not samples of NB301's own surrogate. Every value
here is nonetheless a *prediction* of YAHPO's model (``predicted_by``), for any arch, seen or not.

Metrics (all at fidelity ``epoch`` in 1..98):

* ``valid_acc`` (%, higher is better): 100 x ``val_accuracy``;
* ``valid_loss`` (cross-entropy, nats, lower is better): ``val_cross_entropy``;
* ``train_time_s`` (s): ``runtime``, the training time of the first ``epoch`` epochs (cumulative:
  YAHPO's timed objective charges it for an evaluation at that epoch, and its FAQ notes the model does
  not force it to grow with ``epoch``, which it slightly fails to do at a few epochs);
* ``runtime_increase_s`` (s): ``runtime_increase``, served under YAHPO's name because YAHPO does not
  define it; its values (tens of seconds at every epoch) fit the time one more epoch adds.

The model is deterministic: one outcome per arch and epoch (``noise``). An evaluation at epoch ``e``
costs ``train_time_s`` at ``e`` (``cost``): a run trained from scratch to ``e``, nothing resumed.

Two engines evaluate the same graph: ``"numpy"`` (default; :mod:`surrogates.onnx_graph`, no extra
dependency, the same on every machine with the same numpy) and ``"onnxruntime"`` (YAHPO's own
runtime, ``pip install "nasbench[yahpo]"``). They agree to a relative 2e-6 (tests require 1e-5).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from nasbench.benchmarks.base import Benchmark, Cost, check_uniforms
from nasbench.checks import is_int
from nasbench.errors import (
    DataIntegrityError,
    MissingDataError,
    OptionalDependencyError,
    UnknownNameError,
    choices_text,
    install_hint,
)

__all__ = ["KIND", "PREDICTED_BY", "OUTPUTS", "ENGINES", "YahpoBenchmark", "load_yahpo", "yahpo_dir"]

KIND = "yahpo"
PREDICTED_BY = "YAHPO Gym NB301 surrogate (ONNX, v2)"
OUTPUTS = ("val_accuracy", "val_cross_entropy", "runtime", "runtime_increase")  # yahpo_gym nb301 y_names
ENGINES = ("numpy", "onnxruntime")
FIDELITIES = tuple(range(1, 99))
_IMPORT = "nasbench data import yahpo-nb301 --from DIR"
_MAX_CACHE = 1 << 20  # (arch, epoch) rows kept; cleared beyond (values are recomputed identically)
_FIDELITY_MEANING = ("epoch of NB301's 98-epoch training run at which the value is predicted (YAHPO's `epoch`, "
                     "1..98)")

# metric -> (output column, factor, unit, higher is better, description)
_METRICS = {
    "valid_acc": (0, 100.0, "%", True,
                  "CIFAR-10 validation accuracy (%) after `epoch` epochs of NB301's training pipeline: 100 x the "
                  "surrogate's val_accuracy (a fraction in [0, 1])"),
    "valid_loss": (1, 1.0, "nats", False,
                   "CIFAR-10 validation cross-entropy after `epoch` epochs: the surrogate's val_cross_entropy"),
    "train_time_s": (2, 1.0, "s", False,
                     "training time of the first `epoch` epochs (cumulative): the surrogate's runtime"),
    "runtime_increase_s": (3, 1.0, "s", False,
                           "the surrogate's runtime_increase output (undocumented by YAHPO; its values fit the "
                           "time one more epoch adds)"),
}


def yahpo_dir(root=None) -> Path:
    """The store folder of ``darts/cifar10@yahpo``."""
    from nasbench.paths import data_root

    return Path(root or data_root()) / "darts" / f"cifar10@{KIND}"


class _OnnxRuntime:
    """YAHPO's runtime on one thread (as deterministic as onnxruntime gets; a shared machine stays usable)."""

    def __init__(self, model_path: Path):
        try:
            import onnxruntime as ort
        except ImportError:
            raise OptionalDependencyError(f"the onnxruntime engine needs onnxruntime; install it with "
                                          f"{install_hint('yahpo')}, or use the numpy engine (the default), "
                                          "which agrees with it to 2e-6.") from None
        options = ort.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(model_path), sess_options=options,
                                            providers=["CPUExecutionProvider"])

    def run(self, feeds: dict) -> dict:
        return {"output": self.session.run(["output"], feeds)[0]}


def _metric_infos() -> dict:
    from tabular_data.store import MetricInfo

    return {name: MetricInfo(
        name=name, unit=unit, description=f"predicted: {text}", fidelities=FIDELITIES,
        fidelity_meaning=_FIDELITY_MEANING, mean_over="one deterministic prediction per arch and epoch",
        n_seeds=0, coverage=tuple({"fidelity": f, "n_archs_mean": None, "n_archs_seeds": 0} for f in FIDELITIES),
        sources=("model",), predicted_by=PREDICTED_BY, higher_is_better=higher)
        for name, (_, _, unit, higher, text) in _METRICS.items()}


class YahpoBenchmark(Benchmark):
    """YAHPO Gym's NB301 surrogate behind the benchmark contract (see the module docstring).

    Parameters
    ----------
    graph : surrogates.onnx_graph.OnnxGraph
        The decoded model (also the numpy engine).
    codes : nasbench.encodings.darts_yahpo.YahpoCodes
    manifest : dict
        The store's manifest (files, sha256, sources).
    directory : Path
    engine : {"numpy", "onnxruntime"}
    """

    kind = KIND

    def __init__(self, graph, codes, manifest: dict, directory: Path, engine: str = "numpy"):
        from nasbench.encodings.darts_yahpo import DARTSChoiceSpace

        if engine not in ENGINES:
            raise UnknownNameError(f"engine must be one of {choices_text(ENGINES)}; got {engine!r}.")
        self.space = DARTSChoiceSpace()  # the DARTS space, with a categorical view for BOHB and the like
        self.dataset = "cifar10"
        self.name = f"darts/cifar10@{KIND}"
        self.n_archs = None
        self.directory = Path(directory)
        self.manifest = manifest
        self.engine = engine
        self._codes = codes
        self._runner = graph if engine == "numpy" else _OnnxRuntime(self.directory / manifest["files"]["model"]["file"])
        self._metrics = _metric_infos()
        self._rows: dict = {}  # (arch, epoch) -> float64 (4,) outputs

    # ------------------------------------------------------------------ contract
    @property
    def metrics(self) -> dict:
        return self._metrics

    def fidelities(self, metric: str) -> tuple:
        self.metric_info(metric)
        return FIDELITIES

    def _epoch(self, fidelity) -> int:
        if fidelity is None:
            return FIDELITIES[-1]
        if not is_int(fidelity) or not FIDELITIES[0] <= fidelity <= FIDELITIES[-1]:
            raise UnknownNameError(f"{self.name} has no fidelity {fidelity!r}; expected an epoch, an int in "
                                   f"[{FIDELITIES[0]}, {FIDELITIES[-1]}] (or None for {FIDELITIES[-1]}).")
        return int(fidelity)

    def _archs(self, archs) -> tuple[list, bool]:
        from nasbench.encodings.darts_yahpo import config_to_arch
        from nasbench.spaces.darts import DARTSArch

        scalar = isinstance(archs, (DARTSArch, dict))
        items = [archs] if scalar else list(archs)
        return [config_to_arch(a) if isinstance(a, dict) else a for a in items], scalar

    def outputs(self, archs, fidelity=None) -> np.ndarray:
        """The model's 4 raw outputs (:data:`OUTPUTS`) for ``archs`` at epoch ``fidelity``.

        Parameters
        ----------
        archs : sequence of DARTSArch (or YAHPO configuration dicts)
        fidelity : int in 1..98 or None (98)

        Returns
        -------
        float64 ndarray of shape (n_archs, 4), the model's float32 values widened exactly.
        """
        epoch = self._epoch(fidelity)
        archs, _ = self._archs(archs)
        rows = self._rows
        todo = list(dict.fromkeys(a for a in archs if (a, epoch) not in rows))
        if todo:
            x_cat = self._codes.encode(todo)
            x_cont = np.full((len(todo), 1), epoch, dtype=np.float32)
            out = np.asarray(self._runner.run({"x_cat": x_cat, "x_cont": x_cont})["output"], dtype=np.float64)
            if len(rows) + len(todo) > _MAX_CACHE:
                rows.clear()
            for a, row in zip(todo, out):
                rows[(a, epoch)] = row
        return np.array([rows[(a, epoch)] for a in archs], dtype=np.float64).reshape(len(archs), len(OUTPUTS))

    def query(self, archs, metric: str, fidelity=None, seed=None, *, missing: str = "raise"):
        """Predicted ``metric`` at epoch ``fidelity`` for ``archs`` (see :meth:`Benchmark.query`).

        ``archs`` may be a DARTSArch, a YAHPO configuration dict, or a sequence of either. The model
        is deterministic, so ``seed`` (validated) changes nothing, and every arch has a value, so
        ``missing`` (validated) never applies.
        """
        from nasbench.rng import as_generator

        self.metric_info(metric)
        if missing not in ("raise", "nan"):
            raise UnknownNameError(f"missing must be one of 'raise', 'nan'; got {missing!r}.")
        if seed is not None:
            as_generator(seed)
        column, factor = _METRICS[metric][:2]
        _, scalar = self._archs(archs)
        values = self.outputs(archs, fidelity)[:, column] * factor
        return values[0] if scalar else values

    def query_draws(self, archs, metric: str, fidelity, uniforms) -> np.ndarray:
        """One outcome per arch: the prediction itself (one outcome per arch; see :meth:`noise`)."""
        values = np.atleast_1d(self.query(archs if not isinstance(archs, dict) else [archs], metric, fidelity))
        check_uniforms(uniforms, values.shape[0])
        return values

    def noise(self, metric: str, fidelity=None) -> dict:
        self.metric_info(metric)
        return {"source": "none", "n_outcomes": 1,
                "about": f"{PREDICTED_BY} is deterministic: one prediction per arch and epoch (YAHPO's noisy "
                         "variant is not in the v2 files), so a noisy evaluation returns that prediction"}

    def cost(self, archs, fidelity=None, *, metric: str | None = None) -> Cost:
        """Predicted ``train_time_s`` at ``fidelity`` (default: the searched metric's highest, 98): the
        training time of a run from scratch to that epoch (labelled ``predicted_by``)."""
        if metric is not None:
            self.metric_info(metric)
        archs = [archs] if isinstance(archs, dict) else archs
        seconds = np.asarray(self.query(archs, "train_time_s", fidelity), dtype=np.float64).reshape(-1)
        return Cost(np.maximum(seconds, 0.0), {
            "source": "predicted", "metric": "train_time_s", "output": "runtime", "predicted_by": PREDICTED_BY,
            "rule": "an evaluation at epoch e is charged the cumulative training time of epochs 1..e (a run "
                    "from scratch; nothing is resumed)"})

    def describe(self) -> dict:
        files = self.manifest.get("files", {})
        return {
            "name": self.name, "kind": KIND, "space": "darts", "dataset": "cifar10", "n_archs": None,
            "engine": self.engine, "folder": str(self.directory),
            "info": {
                "about": "YAHPO Gym's nb301 surrogate (v2): a ResNet-style MLP in ONNX over NAS-Bench-301's 34 "
                         "categorical DARTS parameters plus epoch, predicting validation accuracy, cross-entropy "
                         "and runtime; every value is a prediction",
                "trained_on": "per YAHPO's docs, nasbench301_full_data (figshare 13286105): the training logs "
                              "(learning curves) of the architectures NAS-Bench-301 trained for real on CIFAR-10",
                "outputs": f"{', '.join(OUTPUTS)} (yahpo_gym/benchmarks/nb301.py y_names); the graph un-scales "
                           "them; valid_acc = 100 x val_accuracy",
                "fidelity": _FIDELITY_MEANING,
                "noise": "none: deterministic (one outcome per arch)",
                "cost": "train_time_s at the evaluated epoch (cumulative runtime, predicted)",
                "engine": f"{self.engine} ('numpy': surrogates.onnx_graph; 'onnxruntime': the yahpo extra); the "
                          "two agree to a relative 1e-5",
                "no_test_split": "the surrogate predicts validation metrics only: a search selects and reports "
                                 "on valid_acc",
                "translation": "nasbench.encodings.darts_yahpo: DARTSArch <-> YAHPO configuration",
            },
            "metrics": {m: {"unit": i.unit, "higher_is_better": i.higher_is_better, "description": i.description,
                            "predicted_by": i.predicted_by} for m, i in self._metrics.items()},
            "sources": self.manifest.get("sources", {}),
            "files": files,
        }

    def verify(self) -> list[str]:
        """Check every stored file against its sha256 in the manifest now; return the files checked."""
        return _verify_files(self.directory, self.manifest)


def _verify_files(directory: Path, manifest: dict) -> list[str]:
    from tabular_data.store import sha256_file

    checked = []
    for key, entry in manifest.get("files", {}).items():
        path = directory / str(entry.get("file", ""))
        if not path.is_file() or path.parent != directory:
            raise DataIntegrityError(f"{directory} lacks the {key} file {entry.get('file')!r} its manifest lists; "
                                     f"re-create it with `{_IMPORT}`.")
        if path.stat().st_size != entry.get("bytes") or sha256_file(path) != entry.get("sha256"):
            raise DataIntegrityError(f"{path} does not match the sha256 in {directory}/manifest.json (corrupt or "
                                     f"replaced); re-create it with `{_IMPORT}`.")
        checked.append(path.name)
    return checked


def _read_manifest(directory: Path) -> dict:
    from tabular_data.importers.yahpo_nb301 import FORMAT, MANIFEST, REQUIRED, read_json

    manifest = read_json(directory / MANIFEST, "manifest")
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or manifest.get("format") != FORMAT or any(
            not isinstance(files.get(k), dict) for k in REQUIRED):
        raise DataIntegrityError(f"{directory}/{MANIFEST} is not a nasbench YAHPO manifest listing "
                                 f"{', '.join(REQUIRED)}; re-create it with `{_IMPORT}`.")
    return manifest


def load_yahpo(space: str, dataset: str, *, root=None, engine: str = "numpy") -> YahpoBenchmark:
    """Load ``darts/cifar10@yahpo`` from the store (the loader registered for the kind ``yahpo``).

    Every file's sha256 is checked against the manifest, and the files are checked as at import
    (:func:`tabular_data.importers.yahpo_nb301.check_yahpo_files`) before the benchmark is built.
    """
    from tabular_data.atomic import repair
    from tabular_data.importers.yahpo_nb301 import MANIFEST, check_yahpo_files

    if (space, dataset) != ("darts", "cifar10"):
        raise UnknownNameError(f"the {KIND} kind has one benchmark, 'darts/cifar10@{KIND}'; got "
                               f"'{space}/{dataset}@{KIND}'.")
    directory = yahpo_dir(root)
    repair(directory)  # a replacement killed between its two renames is put back first
    if not (directory / MANIFEST).is_file():
        raise MissingDataError(f"darts/cifar10@{KIND} is not imported into {directory.parent.parent} (set by "
                               f"$NASBENCH_DATA); run `{_IMPORT}` with DIR holding YAHPO's nb301 files (for example "
                               "../shared/data).")
    manifest = _read_manifest(directory)
    _verify_files(directory, manifest)
    paths = {key: directory / entry["file"] for key, entry in manifest["files"].items()}
    graph, codes, _ = check_yahpo_files(paths)
    return YahpoBenchmark(graph, codes, manifest, directory, engine=engine)
