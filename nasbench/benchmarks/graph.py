"""NAS-Bench-Graph benchmarks ``graph/DATASET``, read from the installed ``nas-bench-graph`` package.

No import step: ``pip install "nasbench[graph]"`` installs the package, whose ``light/DATASET.bench``
files (plain-dict pickles ``{hash: {"valid_perf", "perf", "latency", "para"}}``) are read here with
a restricted unpickler that builds only builtin containers, numbers and numpy numeric scalars.
Values are exact lookups (:class:`~nasbench.benchmarks.tabular.TabularBenchmark` over an in-memory
table); nothing is written anywhere.

Metrics (as the light files hold them; the package does not say whether a value is one run or the
mean of the benchmark's 3 seeds, so each is served as one outcome per arch):

* node classification (cora, citeseer, pubmed, cs, physics, photo, computers, arxiv):
  ``valid_acc`` / ``test_acc`` (%) = ``valid_perf`` / ``perf`` x 100;
* proteins (ogbn-proteins, ROC-AUC): ``valid_roc_auc`` / ``test_roc_auc`` (0-1) = ``valid_perf`` / ``perf``;
* ``latency_s`` (s): the file's ``latency`` (the package does not state the unit; values are
  consistent with seconds per full-graph inference); ``params_m`` (M): the file's ``para``.
"""

from __future__ import annotations

import hashlib
import io
import math
import pickle
from pathlib import Path

import numpy as np

from nasbench.errors import DataIntegrityError, OptionalDependencyError, UnknownNameError, choices_text, install_hint

__all__ = ["DATASETS", "load_graph", "read_bench_file", "bench_file", "graph_status", "graph_space", "package_hash"]

DATASETS = ("cora", "citeseer", "pubmed", "cs", "physics", "photo", "computers", "arxiv", "proteins")
_FIELDS = ("valid_perf", "perf", "latency", "para")
_MAX_BYTES = 64 << 20  # the largest light file is ~2 MB


def _install() -> str:
    return f"{install_hint('graph')} (or pip install nas-bench-graph)"


def _guarded_scalar(dtype, data=None):
    """numpy's scalar reconstructor for numeric dtypes only (an object dtype could wrap anything)."""
    if not isinstance(dtype, np.dtype) or dtype.kind not in "biuf" or not isinstance(data, bytes) \
            or len(data) != dtype.itemsize:
        raise pickle.UnpicklingError(f"refusing a numpy scalar of dtype {dtype!r}")
    return np.frombuffer(data, dtype=dtype)[0]


def _unpickler(blob: bytes):
    from tabular_data.safe_pickle import PLAIN, RestrictedUnpickler

    allowed = PLAIN | {("numpy", "dtype"), ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar")}

    class _Unpickler(RestrictedUnpickler):
        def find_class(self, module, name):
            if name == "scalar" and (module, name) in allowed:
                return _guarded_scalar
            return super().find_class(module, name)

    return _Unpickler(io.BytesIO(blob), allowed)


def bench_file(dataset: str) -> Path:
    """Path of the installed package's ``light/DATASET.bench`` (the package is located, not imported)."""
    import importlib.util

    if dataset not in DATASETS:
        raise UnknownNameError(f"unknown NAS-Bench-Graph dataset {dataset!r}; expected one of {choices_text(DATASETS)}.")
    spec = importlib.util.find_spec("nas_bench_graph")
    if spec is None or not spec.submodule_search_locations:
        raise OptionalDependencyError(f"graph/{dataset} reads the nas-bench-graph package's files; install it with "
                                      f"{_install()}.")
    return Path(list(spec.submodule_search_locations)[0]) / "light" / f"{dataset}.bench"


def read_bench_file(path) -> tuple[dict, str]:
    """Read one ``.bench`` file safely: ``{hash (int): (valid_perf, perf, latency, para) floats}`` and its sha256."""
    path = Path(path)
    size = path.stat().st_size
    if size > _MAX_BYTES:
        raise DataIntegrityError(f"{path} is {size} bytes; NAS-Bench-Graph light files are below {_MAX_BYTES}. "
                                 f"Reinstall the package ({_install()}).")
    blob = path.read_bytes()
    digest = hashlib.sha256(blob).hexdigest()
    try:
        doc = _unpickler(blob).load()
    except Exception as exc:  # noqa: BLE001 - any failure of a hostile or broken pickle is the same user error
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        raise DataIntegrityError(f"{path}: expected NAS-Bench-Graph's dict of arch results; got a pickle that cannot "
                                 f"be read safely ({reason}). Reinstall the package ({_install()}).") from None
    if not isinstance(doc, dict):
        raise DataIntegrityError(f"{path}: expected a dict of arch results; got {type(doc).__name__}.")
    out = {}
    for key, rec in doc.items():
        if not isinstance(key, int) or not isinstance(rec, dict) or set(rec) != set(_FIELDS):
            raise DataIntegrityError(f"{path}: entry {key!r} must map an int hash to {{{', '.join(_FIELDS)}}}; got "
                                     f"{str(rec)[:80]}.")
        values = tuple(float(rec[f]) for f in _FIELDS)
        if not all(math.isfinite(v) for v in values):
            raise DataIntegrityError(f"{path}: entry {key} holds a non-finite value {values}.")
        out[key] = values
    return out, digest


def _metrics(dataset: str, values: np.ndarray, digest: str):
    """MetricInfo and mean arrays (n_archs, 1) of one dataset."""
    from tabular_data.store import MetricInfo

    roc = dataset == "proteins"
    perf_unit, scale = ("", 1.0) if roc else ("%", 100.0)
    what = "ROC-AUC (0-1) of ogbn-proteins node prediction" if roc else f"node classification accuracy (%) on {dataset}"
    prefix = "roc_auc" if roc else "acc"
    rows = {
        f"valid_{prefix}": (values[:, 0] * scale, perf_unit, True, f"validation {what}: the light file's valid_perf"
                                                                   f"{' x 100' if not roc else ''}"),
        f"test_{prefix}": (values[:, 1] * scale, perf_unit, True, f"test {what}: the light file's perf"
                                                                  f"{' x 100' if not roc else ''}"),
        "latency_s": (values[:, 2], "s", False, "inference latency as the light file's latency gives it (unit not "
                                                "stated by the package; the values fit seconds per full-graph pass)"),
        "params_m": (values[:, 3], "M", False, "parameters (millions): the light file's para"),
    }
    infos, arrays = {}, {}
    for name, (column, unit, higher, text) in rows.items():
        mean = np.ascontiguousarray(column[:, None], dtype=np.float64)
        mean.setflags(write=False)
        arrays[name] = mean
        infos[name] = MetricInfo(
            name=name, unit=unit, description=text, fidelities=(None,),
            fidelity_meaning="none: NAS-Bench-Graph's one training schedule",
            mean_over="as the light file gives it (the package does not say: one run or the 3 seeds' mean)",
            n_seeds=0, coverage=({"fidelity": None, "n_archs_mean": int(mean.shape[0]), "n_archs_seeds": 0},),
            sources=("nas_bench_graph",), higher_is_better=higher)
    return infos, arrays


class _MemoryTable:
    """The part of :class:`tabular_data.store.Table` a TabularBenchmark reads, held in memory."""

    def __init__(self, name, space, dataset, n_archs, metrics, arrays, manifest):
        self.name, self.space, self.dataset, self.n_archs = name, space, dataset, n_archs
        self.metrics, self._arrays, self.manifest = metrics, arrays, manifest
        self.directory = None  # nothing on disk: the source file and its sha256 are in manifest["sources"]

    def metric(self, name):
        try:
            return self.metrics[name]
        except (KeyError, TypeError):
            raise UnknownNameError(f"{self.name} has no metric {name!r}; expected one of "
                                   f"{choices_text(self.metrics)}.") from None

    def array(self, metric, kind="mean"):
        self.metric(metric)
        return self._arrays[metric] if kind == "mean" else None

    def verify(self):
        raise DataIntegrityError(f"{self.name} is read from the installed nas-bench-graph package, not stored in the "
                                 "data store; reinstall the package to repair it.")


def package_hash(link: tuple, ops: tuple) -> int:
    """NAS-Bench-Graph's table key of a valid (link, ops) pair: the installed package's ``Arch.valid_hash``."""
    try:
        from nas_bench_graph.architecture import Arch
    except ImportError:
        raise OptionalDependencyError(f"the NAS-Bench-Graph space needs the nas-bench-graph package; install it with "
                                      f"{_install()}.") from None
    return int(Arch(list(link), list(ops)).valid_hash())


_SPACES: dict = {}


def graph_space(dataset: str = "cora"):
    """The space of ``graph/DATASET`` (all 9 layers; proteins: its 5), shared per process."""
    from nasbench.spaces.graph import OPS, PROTEIN_OPS, GraphSpace

    ops = PROTEIN_OPS if dataset == "proteins" else OPS
    if ops not in _SPACES:
        _SPACES[ops] = GraphSpace(package_hash, ops)
    return _SPACES[ops]


def load_graph(dataset: str):
    """The benchmark ``graph/DATASET`` (a :class:`TabularBenchmark` over the package's light file)."""
    from nasbench.benchmarks.tabular import TabularBenchmark

    path = bench_file(dataset)
    if not path.is_file():
        raise OptionalDependencyError(f"{path} is missing: the installed nas-bench-graph lacks {dataset}; reinstall it "
                                      f"with {_install()}.")
    records, digest = read_bench_file(path)
    space = graph_space(dataset)
    keys = space.keys.tolist()
    if set(records) != set(keys):
        raise DataIntegrityError(f"{path}: holds {len(records)} archs, expected the {len(keys)} distinct archs of "
                                 f"the space ({len(set(keys) - set(records))} missing); reinstall the package.")
    values = np.array([records[k] for k in keys], dtype=np.float64)
    metrics, arrays = _metrics(dataset, values, digest)
    name = f"graph/{dataset}"
    manifest = {
        "name": name, "space": "graph", "dataset": dataset, "n_archs": len(keys),
        "info": {
            "about": f"NAS-Bench-Graph on {dataset}: values read at load time from the installed package's "
                     "light file, no import step; rows are the space's distinct archs in increasing hash order",
            "layers": ", ".join(space.ops),
            "arch_string": "'l1,l2,l3,l4|op1,op2,op3,op4': node i takes input from node l_i (0 the input)",
            "cost": "no training times in the light files: every evaluation costs 1 simulated second (unit_cost)",
        },
        "sources": {"nas_bench_graph": {"file": str(path), "sha256": digest, "bytes": path.stat().st_size,
                                        "provenance": "PyPI nas-bench-graph (THUMNLab, Apache-2.0) "
                                                      f"nas_bench_graph/light/{dataset}.bench"}},
        "metrics": {m: {"unit": i.unit, "description": i.description, "higher_is_better": i.higher_is_better}
                    for m, i in metrics.items()},
    }
    table = _MemoryTable(name, "graph", dataset, len(keys), metrics, arrays, manifest)
    return TabularBenchmark(table, space, name=name)


def graph_status(dataset: str) -> str:
    """``"installed"`` or what to run, for ``nasbench list``."""
    try:
        return "installed (nas-bench-graph package)" if bench_file(dataset).is_file() else f"not installed: {_install()}"
    except OptionalDependencyError:
        return f"not installed: {_install()}"
