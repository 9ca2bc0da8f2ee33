"""Write what ``darts/digits`` ships with: the surrogate folder and the measured runs.

From the build folders of the generation (:mod:`nasbench.training.darts_runs`, finished chunks of
every part) this module writes

* **the surrogate** ``darts/digits@surrogate`` (:func:`build_surrogate`): one saved model per
  metric and fidelity in the project's no-pickle format (:mod:`surrogates.io`), the folders
  ``valid_acc@E`` and ``test_acc@E`` for every epoch ``E`` of the recipe (the learning-curve model
  of the epoch fidelity) and ``train_time_s@<epochs>`` (a run's training time, which exists for the
  whole recipe only). Each is fit on every non-held-out arch (targets: the mean over its trained
  seeds) with the noise model calibrated on the seed pairs, and its metadata records how it was
  made: the command, package versions, the recipe, the pilot figures, the generation status and
  the held-out quality figures (:func:`nasbench.training.darts_surrogate.evaluate_runs`);
* **the runs** ``darts/digits-runs/<part>/`` (:func:`write_runs`): each part's finished runs as
  ``.npy`` files and a ``manifest.json``, the format :func:`nasbench.training.darts_generate.assemble_darts`
  writes (read back by :func:`read_runs`).

Both are written kill-safely (:func:`tabular_data.atomic.write_folder`) and deterministically (the
same runs give the same bytes). The default destinations are in the data store
(``$NASBENCH_DATA/darts/digits@surrogate`` and ``.../darts/digits-runs``); the package's embedded
folder is written only when given explicitly together with ``--overwrite``::

    python -m nasbench.training.darts_ship --parent tabular_data/embedded/_build/darts-digits \\
        --surrogate-out tabular_data/embedded/darts/digits@surrogate \\
        --runs-out tabular_data/embedded/darts/digits-runs --overwrite

:func:`runs_folder` finds the runs ``nasbench surrogate eval darts/digits`` reads (the store first,
then the package). No torch is imported here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from nasbench.errors import DataIntegrityError, MissingDataError, NasbenchError

__all__ = ["build_surrogate", "write_runs", "read_runs", "run_parts", "runs_folder", "score_surrogate",
           "surrogate_models", "RUNS_NAME", "main"]

RUNS_NAME = "darts/digits-runs"
SURROGATE_NAME = "darts/digits@surrogate"
# arrays of a part folder: the chunk arrays of a DARTS job (nasbench.training.darts_generate)
_ARRAYS = ("arch_id", "arch_cells", "seeds", "train_loss", "train_acc", "valid_acc", "test_acc", "train_time_s",
           "latency_ms", "params_m", "flops_m")
_MAX_ARRAY_BYTES = 256 << 20
_DESCRIPTIONS = {
    "valid_acc": "accuracy (%) on the {1} validation images of digits after the epoch",
    "test_acc": "accuracy (%) on the {2} test images of digits after the epoch",
    "train_time_s": "wall-clock seconds of the recipe's training steps (all epochs), 1 CPU thread, generating machine",
}


def surrogate_models(n_epochs: int) -> list[tuple[str, int]]:
    """The (metric, fidelity) pairs of the surrogate: both accuracies at every epoch, the time at the last."""
    return [(m, e) for m in ("valid_acc", "test_acc") for e in range(1, n_epochs + 1)] + [("train_time_s", n_epochs)]


def _is_inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _destination(dest, default: Path, overwrite: bool, what: str) -> Path:
    """``dest`` (default: ``default`` in the data store); the package only when explicit and ``overwrite``."""
    from nasbench.paths import embedded_root

    if dest is None:
        return default
    dest = Path(dest)
    package = (embedded_root(), Path(__file__).resolve().parents[1])  # the tables and the nasbench package
    if any(_is_inside(dest, p) for p in package) and not overwrite:
        raise NasbenchError(f"{what} destination {dest} is inside the installed package; expected a folder in the data "
                            "store, or pass --overwrite (overwrite=True) to write the shipped folder on purpose.")
    return dest


def _provenance(runs: dict, parent, command: str) -> dict:
    """How the models were made: command, versions, recipe, pilot, generation status, data digest."""
    from nasbench.provenance import versions
    from nasbench.training import generate as gen
    from nasbench.training.darts_surrogate import generation_status, is_partial
    from nasbench.training.recipes import DARTS_PILOT, DARTS_SPLIT, DARTS_TRAIN_KWARGS

    status = generation_status(parent)
    job = gen.read_job(Path(parent) / sorted(set(runs["part"]))[0])  # load_runs checked: one recipe for all parts
    return {
        "command": command or "python -m nasbench.training.darts_ship",
        "versions": versions("nasbench", "python", "numpy", "scipy", "xgboost"),
        "recipe": {"train_kwargs": dict(job.train), "split": list(job.split), "split_seed": job.split_seed,
                   "dataset": "scikit-learn digits (8x8 images, 10 classes)",
                   "is_darts_recipe": dict(job.train) == DARTS_TRAIN_KWARGS and tuple(job.split) == tuple(DARTS_SPLIT)},
        "pilot": DARTS_PILOT,
        "generation": {"parts": status, "partial": is_partial(status),
                       "n_archs": len(runs["codes"]), "seeds": list(runs["seeds"]),
                       "n_archs_per_part": {p: runs["part"].count(p) for p in sorted(set(runs["part"]))}},
        "runs_sha256": _runs_digest(runs),
    }


def _runs_digest(runs: dict) -> str:
    """sha256 of the runs a model was fit and scored on (codes, parts and every measured array)."""
    h = hashlib.sha256()
    h.update(json.dumps([runs["codes"], runs["part"], runs["proposed_by"]]).encode())
    for key in ("train_loss", "train_acc", "valid_acc", "test_acc", "train_time_s"):
        h.update(np.ascontiguousarray(runs[key], dtype=np.float64).tobytes())
    return h.hexdigest()


def _fit_one(runs: dict, metric: str, fidelity: int, provenance: dict, *, n_members: int, seed: int):
    """One fitted model and its metadata (what :class:`SurrogateBenchmark` serves and ``info`` prints)."""
    from nasbench.encodings.darts import FEATURES
    from nasbench.training.darts_runs import UNITS
    from nasbench.training.darts_surrogate import ENCODING, HELDOUT, evaluate_runs, target_text
    from surrogates.fit import MODELS, NOISE_MODELS

    model, fig = evaluate_runs(runs, metric=metric, fidelity=fidelity, n_members=n_members, seed=seed)
    noise = fig["noise_std"] if np.isfinite(fig["noise_std"]) else 0.0
    train_parts = sorted(set(runs["part"]) - {HELDOUT})
    meta = {
        "space": "darts", "dataset": "digits", "source_benchmark": "darts/digits (measured runs)",
        "metric": metric, "fidelity": int(fidelity), "unit": UNITS[metric],
        "description": _DESCRIPTIONS[metric].format(*provenance["recipe"]["split"]),
        "fidelity_meaning": "training epochs of the darts/digits recipe", "encoding": ENCODING,
        "n_features": FEATURES[ENCODING][1], "model_name": MODELS["xgboost"], "dedup_isomorphic": False,
        "target": target_text(metric),
        "split": {"kind": "parts", "seed": int(seed), "held_out_part": HELDOUT, "train_parts": train_parts,
                  "n_train": fig["n_train_archs"], "n_test": fig["n_heldout_archs"]},
        "training_data_sha256": provenance["runs_sha256"],
        "noise": {"model": NOISE_MODELS["xgboost"], "seed_scatter_std": float(noise),
                  "n_seed_pairs": fig["n_seed_pairs_train"],
                  "calibration": "std(seed 0 - seed 1) / sqrt(2) over the seed pairs of the training parts"},
        "scores_held_out": fig["held_out"],
        "leave_one_strategy_out": fig["leave_one_strategy_out"],
        "provenance": provenance,
    }
    return model, meta


def build_surrogate(parent, dest=None, *, overwrite: bool = False, command: str = "", n_members: int | None = None,
                    seed: int = 0) -> Path:
    """Fit every model of :func:`surrogate_models` on the runs under ``parent``; write the surrogate folder.

    Parameters
    ----------
    parent : path
        Folder of the parts' build folders (``tabular_data/embedded/_build/darts-digits``).
    dest : path or None
        Default ``$NASBENCH_DATA/darts/digits@surrogate``; a folder inside the package only with
        ``overwrite=True``.
    overwrite : bool, default False
        Replace an existing destination (otherwise it is kept and this raises).
    command : str
        The command recorded in every model's metadata.
    n_members, seed : int
        Bagged members of the noise model (None: :data:`~nasbench.training.darts_surrogate.N_MEMBERS`);
        the root seed of the fits.

    Returns
    -------
    Path
        The folder, with one ``<metric>@<fidelity>/`` model folder per pair.
    """
    from nasbench.paths import data_root
    from nasbench.training.darts_runs import load_runs
    from nasbench.training.darts_surrogate import N_MEMBERS
    from surrogates.io import save_model
    from tabular_data.atomic import write_folder

    dest = _destination(dest, data_root() / SURROGATE_NAME, overwrite, "the surrogate")
    runs = load_runs(parent)
    provenance = _provenance(runs, parent, command)
    n_members = N_MEMBERS if n_members is None else n_members
    fitted = [(f"{m}@{e}", *_fit_one(runs, m, e, provenance, n_members=n_members, seed=seed))
              for m, e in surrogate_models(int(runs["n_epochs"]))]

    def fill(tmp: Path) -> None:
        for name, model, meta in fitted:
            save_model(model, tmp / name, meta)
        for lock_file in tmp.glob(".*.lock"):  # the writers' lock files are not part of the folder
            lock_file.unlink()

    return write_folder(dest, fill, overwrite=overwrite, what="the surrogate folder", flag="--overwrite")


def write_runs(parent, dest=None, *, overwrite: bool = False, command: str = "") -> Path:
    """Write the finished runs of every part under ``parent`` as ``dest/<part>/`` (``.npy`` + manifest).

    A part still generating is written with its finished chunks and says so (``chunks_done`` of
    ``n_chunks``). Default destination ``$NASBENCH_DATA/darts/digits-runs``; inside the package only
    with ``overwrite=True``. Returns ``dest``.
    """
    from nasbench.paths import data_root
    from nasbench.training.darts_runs import part_runs
    from nasbench.training.darts_surrogate import generation_status
    from tabular_data.atomic import write_folder

    dest = _destination(dest, data_root() / RUNS_NAME, overwrite, "the runs")
    status = generation_status(parent)
    parts = [(name, *part_runs(Path(parent) / name)) for name in status]
    parts = [p for p in parts if p[2] is not None]
    if not parts:
        raise MissingDataError(f"no finished DARTS chunks under {parent}; run `nasbench generate --space darts` first.")

    def fill(tmp: Path) -> None:
        for name, job, runs in parts:
            _write_part(tmp / name, name, job, runs, status[name], command)

    return write_folder(dest, fill, overwrite=overwrite, what="the runs folder", flag="--overwrite")


def _write_part(folder: Path, name: str, job, runs: dict, status: dict, command: str) -> None:
    from nasbench.training.darts_runs import AXES, UNITS, write_part

    arrays = {key: runs[key] if key != "seeds" else np.asarray(job.seeds, dtype=np.int64) for key in _ARRAYS}
    info = {"space": "darts", "dataset": "digits", "part": name, "proposed_by": job.proposed_by,
            "arch_source": job.arch_source, "n_archs": len(runs["codes"]), "n_archs_listed": len(job.archs),
            "seeds": list(job.seeds), "made_by": command or "python -m nasbench.training.darts_ship",
            "train_config": dict(job.train), "split": list(job.split), "split_seed": job.split_seed,
            "generation": status, "units": UNITS, "axes": AXES}
    write_part(folder, arrays, info)


def _read_array(folder: Path, key: str, entry: dict) -> np.ndarray:
    """One array of a part folder, checked against its manifest entry (size, sha256 when recorded, shape)."""
    path = folder / f"{key}.npy"
    fix = f"re-write it with `python -m nasbench.training.darts_ship` (or reinstall nasbench if {folder} is shipped)."
    if not path.is_file():
        raise DataIntegrityError(f"{path} is missing; {fix}")
    if path.stat().st_size > _MAX_ARRAY_BYTES:
        raise DataIntegrityError(f"{path}: expected at most {_MAX_ARRAY_BYTES} bytes; got {path.stat().st_size}. {fix}")
    blob = path.read_bytes()
    if entry.get("sha256") is not None and hashlib.sha256(blob).hexdigest() != entry["sha256"]:
        raise DataIntegrityError(f"{path} does not match its sha256 in manifest.json; {fix}")
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError):
        raise DataIntegrityError(f"{path}: expected a plain numpy array (no pickled objects); {fix}") from None
    if list(array.shape) != list(entry.get("shape", [])) or array.dtype.kind not in "fiu":
        raise DataIntegrityError(f"{path}: expected a numeric array of shape {entry.get('shape')}; got "
                                 f"{array.dtype} {list(array.shape)}. {fix}")
    return array


def _read_part(folder: Path):
    """``(name, job-like, runs)`` of one part folder, as :func:`nasbench.training.darts_runs.combine_parts` takes."""
    from nasbench.training.darts_archs import arch_code, archs_from_array
    from nasbench.training.darts_runs import RUNS_FORMAT

    try:
        doc = json.loads((folder / "manifest.json").read_text())
        info = doc["info"]
        entries = info["arrays"]
        job = SimpleNamespace(train=dict(info["train_config"]), seeds=tuple(int(s) for s in info["seeds"]),
                              proposed_by=str(info["proposed_by"]))
        ok = doc.get("format") == RUNS_FORMAT and set(_ARRAYS) <= set(entries)
    except (ValueError, KeyError, TypeError, AttributeError):
        ok = False
    if not ok:
        raise DataIntegrityError(f"{folder / 'manifest.json'} is not a {RUNS_FORMAT} manifest with the arrays "
                                 f"{', '.join(_ARRAYS)}; re-write the runs with "
                                 "`python -m nasbench.training.darts_ship`.")
    runs = {key: _read_array(folder, key, entries[key]) for key in _ARRAYS}
    runs["codes"] = [arch_code(a) for a in archs_from_array(runs["arch_cells"])]
    return folder.name, job, runs


def read_runs(folder) -> dict:
    """Every part folder under ``folder`` (:func:`write_runs`) as one set of runs, as
    :func:`nasbench.training.darts_runs.load_runs` returns them."""
    from nasbench.training.darts_runs import combine_parts

    folder = Path(folder)
    parts = [folder / name for name in run_parts(folder)]
    if not parts:
        raise MissingDataError(f"no darts/digits runs in {folder} (no PART/manifest.json); write them with "
                               "`python -m nasbench.training.darts_ship --parent DIR`.")
    return combine_parts([_read_part(p) for p in parts], folder)


def run_parts(folder) -> list[str]:
    """The part names of a runs folder (:func:`write_runs`; not a writer's hidden temp folder), sorted."""
    return sorted(p.parent.name for p in Path(folder).glob("*/manifest.json") if not p.parent.name.startswith("."))


def runs_folder() -> Path | None:
    """The folder of the ``darts/digits`` runs: the data store's when it holds a part, else the package's."""
    from nasbench.paths import data_root, embedded_root

    for root in (data_root(), embedded_root()):
        if run_parts(root / RUNS_NAME):
            return root / RUNS_NAME
    return None


def score_surrogate(bench, runs: dict, *, loso: bool = True) -> dict:
    """NB301's figures of a served surrogate on the held-out part of ``runs``, computed now.

    Parameters
    ----------
    bench : SurrogateBenchmark
        ``nasbench.load("darts/digits@surrogate")`` (duck-typed: ``metrics``, ``fidelities``,
        ``query`` and ``describe``).
    runs : dict
        :func:`read_runs` or :func:`nasbench.training.darts_runs.load_runs`.
    loso : bool
        Also refit without each proposing strategy's archs (needs xgboost; skipped, and said so,
        without it or without strategy parts).

    Returns
    -------
    dict
        ``models``: ``{"METRIC@FIDELITY": heldout figures}``; ``leave_one_strategy_out``: per model,
        per strategy, the scores (``{}`` without strategy parts); ``loso_note``; ``same_runs``:
        whether ``runs`` are the runs the models were fit on (sha256 in their metadata).
    """
    import importlib.util

    from nasbench.training.darts_archs import arch_from_code
    from nasbench.training.darts_surrogate import heldout_figures, leave_one_strategy_out

    meta = bench.describe()["models"]
    digest = _runs_digest(runs)
    out = {"models": {}, "leave_one_strategy_out": {}, "same_runs": {}}
    strategies = sorted(set(runs["proposed_by"]) - {"uniform"})
    can_refit = importlib.util.find_spec("xgboost") is not None
    out["loso_note"] = ("no parts proposed by search strategies in these runs" if not strategies else
                        "" if can_refit else "needs xgboost to refit (install the surrogate extra)")
    for metric in bench.metrics:
        for fid in bench.fidelities(metric):
            key = f"{metric}@{fid}"
            predict = lambda codes, m=metric, f=fid: bench.query([arch_from_code(c) for c in codes], m, f)  # noqa: E731
            out["models"][key] = heldout_figures(runs, predict, metric=metric, fidelity=fid)
            out["same_runs"][key] = meta[key].get("training_data_sha256") == digest
            if strategies and can_refit and loso:
                out["leave_one_strategy_out"][key] = leave_one_strategy_out(runs, metric=metric, fidelity=fid,
                                                                               n_members=0)
    return out


def _run(args) -> int:
    command = "python -m nasbench.training.darts_ship " + " ".join(args.argv)
    out = {}
    if "surrogate" in args.what:
        out["surrogate"] = str(build_surrogate(args.parent, args.surrogate_out, overwrite=args.overwrite,
                                               command=command, n_members=args.members, seed=args.seed))
    if "runs" in args.what:
        out["runs"] = str(write_runs(args.parent, args.runs_out, overwrite=args.overwrite, command=command))
    print(json.dumps(out, indent=1))
    return 0


def main(argv=None) -> int:
    """``python -m nasbench.training.darts_ship --parent DIR [--surrogate-out DIR] [--runs-out DIR] [--overwrite]``."""
    from nasbench.training.scripts import script_main

    parser = argparse.ArgumentParser(prog="python -m nasbench.training.darts_ship", description=__doc__.split("\n")[0])
    parser.add_argument("--parent", required=True, help="folder of the parts' build folders")
    parser.add_argument("--surrogate-out", default=None, help="default $NASBENCH_DATA/darts/digits@surrogate")
    parser.add_argument("--runs-out", default=None, help="default $NASBENCH_DATA/darts/digits-runs")
    parser.add_argument("--what", default="surrogate,runs", help="comma-separated: surrogate, runs (default both)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing destinations")
    parser.add_argument("--members", type=int, default=None, help="bagged members of the noise model (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="root seed of the fits (default 0)")
    argv = list(sys.argv[1:] if argv is None else argv)

    def run(args) -> int:
        args.argv = argv
        args.what = [w for w in args.what.split(",") if w]
        unknown = set(args.what) - {"surrogate", "runs"}
        if unknown or not args.what:
            raise NasbenchError(f"--what takes surrogate, runs or both; got {','.join(sorted(unknown)) or 'nothing'}.")
        return _run(args)

    return script_main(parser, run, argv)


if __name__ == "__main__":
    sys.exit(main())
