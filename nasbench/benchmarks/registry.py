"""Benchmark names and how to load them.

Names are ``SPACE/DATASET[@KIND]``: ``nb201/cifar10`` (tabular, imported), ``nb201/digits``
(tabular, embedded in the package), ``nb201/cifar10@surrogate`` ... Kinds other than
``tabular`` map to import paths, so loading a name imports only what it needs.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from nasbench.errors import MissingDataError, UnknownNameError, choices_text
from nasbench.paths import data_root, embedded_root

__all__ = ["KNOWN_TABLES", "DEFAULT_BENCHMARKS", "register_kind", "parse_name", "load", "list_benchmarks", "table_dir",
           "default_benchmark"]


@dataclass(frozen=True)
class TableSpec:
    """A tabular benchmark this version knows how to obtain."""

    name: str
    how: str  # the command that creates it, or "embedded"
    about: str


_IMPORT_NB201 = "nasbench data import nb201 --from DIR"

KNOWN_TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec("nb201/cifar10", _IMPORT_NB201, "NB201 on CIFAR-10 (cifar10 and cifar10-valid runs)"),
        TableSpec("nb201/cifar100", _IMPORT_NB201, "NB201 on CIFAR-100"),
        TableSpec("nb201/imagenet16-120", _IMPORT_NB201, "NB201 on ImageNet16-120"),
        TableSpec("nb201/digits", "nasbench generate",
                  "every NB201 arch trained on scikit-learn digits, 4 epochs x 2 seeds (embedded, made by nasbench)"),
        *(TableSpec(f"transnas-micro/{task}", "nasbench data import transnas-micro --from DIR",
                    f"TransNAS-Bench-101 micro cells on Taskonomy {task} ({metric}, higher is better; NASLib's file)")
          for task, metric in (("autoencoder", "valid_ssim"), ("class_object", "valid_acc"),
                               ("class_scene", "valid_acc"), ("jigsaw", "valid_acc"), ("normal", "valid_ssim"),
                               ("room_layout", "valid_neg_l2_loss"), ("segmentsemantic", "valid_pixel_acc"))),
        TableSpec("macro/cifar10", "nasbench data import nas-bench-macro --from DIR",
                  "NAS-Bench-Macro: 6561 MBv2 chains on CIFAR-10, test_acc of 3 seeds (no validation split)"),
        # an imported surrogate, not a table: listed here for `nasbench list`, loaded by its kind
        TableSpec("darts/cifar10@yahpo", "nasbench data import yahpo-nb301 --from DIR",
                  "YAHPO Gym's NB301 surrogate (ONNX, v2): DARTS space, valid_acc and runtime at epoch 1..98"),
    )
}

# kind -> "module:function" taking (space, dataset) and returning a Benchmark
_KINDS: dict[str, str] = {}


def register_kind(kind: str, loader: str) -> None:
    """Register a benchmark kind (``"surrogate"``) by the import path of its loader.

    Refuses a name that is already registered, so two loaders never shadow each other.
    """
    if kind == "tabular" or kind in _KINDS:
        raise ValueError(f"benchmark kind {kind!r} is already registered; register the loader under another name")
    _KINDS[kind] = loader


register_kind("surrogate", "nasbench.benchmarks.surrogate:load_surrogate")
register_kind("latency", "nasbench.benchmarks.latency_benchmark:load_latency_benchmark")
register_kind("train", "nasbench.benchmarks.training:load_training")
register_kind("yahpo", "nasbench.benchmarks.yahpo:load_yahpo")


def parse_name(name) -> tuple[str, str, str]:
    """Split ``SPACE/DATASET[@KIND]`` into its parts; kind defaults to ``"tabular"``."""
    if not isinstance(name, str) or name.count("/") != 1:
        raise UnknownNameError(
            f"benchmark names look like 'SPACE/DATASET' or 'SPACE/DATASET@KIND', e.g. 'nb201/cifar10'; "
            f"got {name!r}. Run `nasbench list` to see them."
        )
    base, _, kind = name.partition("@")
    space, dataset = base.split("/")
    if not space or not dataset or (_ and not kind):
        raise UnknownNameError(f"benchmark name {name!r} is incomplete; expected e.g. 'nb201/cifar10'.")
    return space, dataset, kind or "tabular"


def table_dir(name: str) -> tuple[Path, str] | None:
    """Where the table ``SPACE/DATASET`` lives and how to repair it, or None when absent (the shipped
    table first: :func:`nasbench.paths.table_folder`)."""
    from nasbench.paths import table_folder

    folder = table_folder(name)
    if folder is None:
        return None
    if folder.is_relative_to(embedded_root()):
        return folder, "reinstall nasbench (the embedded table is damaged)"
    spec = KNOWN_TABLES.get(name)
    return folder, f"re-create it with `{spec.how if spec else 'the command that created it'}`"


# The embedded default first, then the table most users import first.
DEFAULT_BENCHMARKS = ("nb201/digits", "nb201/cifar10")


def default_benchmark() -> str:
    """``nb201/digits`` (the embedded default) when it is available here, else ``nb201/cifar10``
    (the name; that table may still need importing)."""
    for name in DEFAULT_BENCHMARKS:
        if table_dir(name) is not None:
            return name
    return DEFAULT_BENCHMARKS[-1]


def _known_names() -> list[str]:
    from tabular_data.atomic import is_leftover  # hidden temporary / set-aside folders of writers

    names = set(KNOWN_TABLES)
    for root in (embedded_root(), data_root()):
        if root.is_dir():
            names.update(f"{p.parent.parent.name}/{p.parent.name}" for p in root.glob("*/*/manifest.json")
                         if not is_leftover(p.parent.name) and not is_leftover(p.parent.parent.name))
    return sorted(names)


def load(name: str):
    """Load the benchmark called ``name``; errors say how to obtain missing data."""
    space, dataset, kind = parse_name(name)
    base = f"{space}/{dataset}"
    if kind != "tabular":
        if kind not in _KINDS:
            raise UnknownNameError(
                f"unknown benchmark kind {kind!r} in {name!r}; expected one of "
                f"{choices_text(['tabular', *_KINDS])}."
            )
        module, _, func = _KINDS[kind].partition(":")
        return getattr(importlib.import_module(module), func)(space, dataset)
    if space == "graph":  # NAS-Bench-Graph: read from the installed package, no import step
        from nasbench.benchmarks.graph import load_graph

        return load_graph(dataset)
    found = table_dir(base)
    if found is None:
        spec = KNOWN_TABLES.get(base)
        if spec is None:
            raise UnknownNameError(
                f"unknown benchmark {name!r}; expected one of {choices_text(_known_names())}."
            )
        raise MissingDataError(
            f"{base} is not imported into {data_root()} (set by $NASBENCH_DATA); run `{spec.how}` with DIR "
            f"holding the public source files (for example ../shared/data), or point NASBENCH_DATA at the "
            f"folder where it was imported."
        )
    from nasbench.benchmarks.tabular import TabularBenchmark
    from nasbench.spaces import get_space
    from tabular_data.store import Table

    directory, hint = found
    table = Table(directory, repair_hint=hint)
    bench = TabularBenchmark(table, get_space(table.space), name=base)
    if directory.is_relative_to(embedded_root()):
        bench.kind = "embedded"  # shipped with the package, made by `nasbench generate`
    return bench


def list_benchmarks() -> list[dict]:
    """Every known benchmark: ``{"name", "kind", "status", "location", "about"}`` dicts."""
    from tabular_data.atomic import clean_leftovers

    for space in (data_root().iterdir() if data_root().is_dir() else ()):  # never the package's folder
        clean_leftovers(space)  # what killed writers left, unless a live writer holds it
    rows = []
    for name in _known_names():
        found = table_dir(name)
        spec = KNOWN_TABLES.get(name)
        if found is None:
            status, location = f"not imported: run `{spec.how}`", ""
        else:
            directory, _ = found
            status = "embedded" if directory.is_relative_to(embedded_root()) else "imported"
            location = str(directory)
        rows.append({"name": name, "kind": parse_name(name)[2], "status": status, "location": location,
                     "about": spec.about if spec else ""})
    from nasbench.benchmarks.graph import DATASETS, graph_status  # no import step: the package's files

    rows += [{"name": f"graph/{d}", "kind": "tabular", "status": graph_status(d), "location": "",
              "about": f"NAS-Bench-Graph on {d} (PyPI nas-bench-graph)"} for d in DATASETS]
    return rows + _other_kinds()


def _other_kinds() -> list[dict]:
    """The surrogates fitted into the store, the latency benchmarks and live training, with readiness."""
    import importlib.util

    from nasbench.benchmarks.surrogate import model_folders
    from nasbench.training.darts_ship import run_parts, runs_folder

    rows, seen = [], set()
    for root, how in ((data_root(), "fitted"), (embedded_root(), "embedded")):  # the store's serves first
        for folder in sorted(root.glob("*/*@surrogate")) if root.is_dir() else ():
            fitted = [p.name for p in model_folders(folder)]
            name = f"{folder.parent.name}/{folder.name}"
            if fitted and name not in seen:
                seen.add(name)
                rows.append({"name": name, "kind": "surrogate", "status": f"{how}: {', '.join(fitted)}",
                             "location": str(folder),
                             "about": "fitted by `nasbench surrogate fit`; every value predicted by a named model"
                             if how == "fitted" else "shipped with nasbench, fit on its own measured runs "
                             "(`nasbench info` says how); every value predicted by a named model"})
    runs = runs_folder()  # the folder `surrogate eval` reads: the store's, else the package's
    if runs is not None:
        how = "embedded" if runs.is_relative_to(embedded_root()) else "in the store"
        rows.append({"name": "darts/digits", "kind": "runs", "status": f"{how}: parts {', '.join(run_parts(runs))}",
                     "location": str(runs),
                     "about": "the measured runs behind darts/digits@surrogate (not a table: "
                              "`nasbench surrogate eval darts/digits` scores the surrogate on them)"})
    from nasbench.benchmarks.latency import LATENCY_DATASETS, latency_dir

    for space, datasets in LATENCY_DATASETS.items():
        ready = (latency_dir(space, "help") / "manifest.json").is_file()
        rows += [{"name": f"{space}/{d}@latency", "kind": "latency",
                  "status": "imported" if ready else "not imported: run `nasbench data import help-latency --from DIR`",
                  "location": str(latency_dir(space, "help")) if ready else "",
                  "about": "per-device latency tables (metrics latency_ms@DEVICE)"} for d in datasets]
    torch = importlib.util.find_spec("torch") is not None
    rows.append({"name": "nb201/digits@train", "kind": "train",
                 "status": "ready: trains asked archs on demand (cached)" if torch else
                 "needs torch: see the README's install commands (the train extra)",
                 "location": "", "about": "live training with the nb201/digits recipe"})
    return rows
