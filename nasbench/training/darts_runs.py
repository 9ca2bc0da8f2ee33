"""Read the DARTS runs of ``darts/digits`` from its build folders (finished chunks, all parts).

The data is made by several ``nasbench generate --space darts`` jobs, one build folder each under
one parent (:mod:`nasbench.training.darts_generate`). :func:`load_runs` reads every part's
finished chunks (a generation still running gives what is done so far) into one set of arrays on a
common seed axis, with the part and the proposer of each arch.

No torch is imported here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nasbench.errors import MissingDataError, NasbenchError

__all__ = ["load_runs", "combine_parts", "PER_RUN", "PER_ARCH", "CURVES"]

RUNS_FORMAT = "nasbench-darts-runs/1"
UNITS = {"train_loss": "nats", "train_acc": "%", "valid_acc": "%", "test_acc": "%", "train_time_s": "s",
         "latency_ms": "ms (batch 1, 1 CPU thread, generating machine)", "params_m": "M",
         "flops_m": "M multiply-accumulates per image"}
AXES = "curves (arch, seed, epoch); train_time_s (arch, seed); static metrics (arch,)"
CURVES = ("train_loss", "train_acc", "valid_acc", "test_acc")  # (arch, seed, epoch)
PER_RUN = ("train_time_s",)  # (arch, seed)
PER_ARCH = ("latency_ms", "params_m", "flops_m")  # (arch,)


def part_runs(folder: Path):
    """``(job, runs)`` of one build folder's finished chunks (``runs`` None before the first chunk)."""
    from nasbench.training import generate as gen
    from nasbench.training.chunks import read_chunk
    from nasbench.training.darts_archs import arch_code, archs_from_array

    job = gen.read_job(folder)
    if job.space != "darts":
        raise NasbenchError(f"{folder} holds a {job.space} job; expected a DARTS part of darts/digits.")
    done = [k for k in range(job.n_chunks) if gen.chunk_path(folder, k).exists()]
    if not done:
        return job, None
    parts = [read_chunk(gen.chunk_path(folder, k), command=gen.COMMAND) for k in done]
    out = {key: np.concatenate([p[key] for p in parts]) for key in parts[0] if key != "seeds"}
    codes = [arch_code(a) for a in archs_from_array(out["arch_cells"])]
    listed = [job.archs[i] for i in out["arch_id"].tolist()]
    if codes != listed:
        raise NasbenchError(f"the chunks of {folder} hold other genotypes than its config.json lists; they come "
                            "from another job: delete them and run `nasbench generate` again.")
    out["codes"] = codes
    return job, out


def load_runs(parent, parts=None) -> dict:
    """All finished DARTS runs under ``parent`` (one sub-folder per part).

    Parameters
    ----------
    parent : path
        For example ``tabular_data/embedded/_build/darts-digits``.
    parts : sequence of str or None
        Sub-folders to read; None reads every sub-folder with a ``config.json``.

    Returns
    -------
    dict
        ``codes`` (list of n arch codes), ``part`` and ``proposed_by`` (lists of n str), ``seeds``
        (tuple of S ints, the union over parts), ``n_epochs``; ``train_loss``, ``train_acc``,
        ``valid_acc``, ``test_acc`` of shape (n, S, E) and ``train_time_s`` (n, S), NaN where a
        part did not train that seed; ``latency_ms``, ``params_m``, ``flops_m`` (n,).

    Raises
    ------
    MissingDataError
        If no part has a finished chunk.
    NasbenchError
        If parts disagree on the recipe (epochs) or list the same genotype twice.
    """
    parent = Path(parent)
    if not parent.is_dir():
        raise MissingDataError(f"{parent} is not a folder; expected the parent of the darts/digits build folders "
                               "(e.g. tabular_data/embedded/_build/darts-digits). Check the path.")
    names = sorted(p.name for p in parent.iterdir() if (p / "config.json").exists()) if parts is None else list(parts)
    loaded = [(name, *part_runs(parent / name)) for name in names]
    loaded = [x for x in loaded if x[2] is not None]
    if not loaded:
        raise MissingDataError(f"no finished DARTS chunks under {parent} (parts {names}); run "
                               "`nasbench generate --space darts` first.")
    return combine_parts(loaded, parent)


def combine_parts(loaded, parent) -> dict:
    """Put the parts ``[(name, job, runs)]`` on one seed axis (see :func:`load_runs`); ``job`` needs
    ``train``, ``seeds`` and ``proposed_by``, ``runs`` the arrays of :data:`CURVES`, :data:`PER_RUN`,
    :data:`PER_ARCH` and ``codes``; ``parent`` names the data in messages."""
    epochs = {int(job.train["epochs"]) for _, job, _ in loaded}
    recipes = {tuple(sorted(job.train.items())) for _, job, _ in loaded}
    if len(recipes) > 1:
        raise NasbenchError(f"the parts under {parent} were trained with different recipes ({len(recipes)}); "
                            "expected one recipe for all parts of darts/digits.")
    seeds = tuple(sorted({s for _, job, _ in loaded for s in job.seeds}))
    n_epochs = epochs.pop()
    out = {"codes": [], "part": [], "proposed_by": [], "seeds": seeds, "n_epochs": n_epochs}
    blocks = {key: [] for key in CURVES + PER_RUN + PER_ARCH}
    for name, job, runs in loaded:
        n = len(runs["codes"])
        out["codes"] += runs["codes"]
        out["part"] += [name] * n
        out["proposed_by"] += [job.proposed_by] * n
        cols = [seeds.index(s) for s in job.seeds]
        for key in CURVES:
            block = np.full((n, len(seeds), n_epochs), np.nan)
            block[:, cols] = runs[key]
            blocks[key].append(block)
        block = np.full((n, len(seeds)), np.nan)
        block[:, cols] = runs["train_time_s"]
        blocks["train_time_s"].append(block)
        for key in PER_ARCH:
            blocks[key].append(runs[key])
    from nasbench.training.darts_archs import arch_from_code

    keys = [arch_from_code(c).key for c in out["codes"]]
    if len(set(keys)) != len(keys):
        raise NasbenchError(f"a genotype is listed in two parts under {parent}; expected disjoint parts "
                            "(held-out archs must never be trained on).")
    out.update({key: np.concatenate(b) for key, b in blocks.items()})
    return out


def write_part(folder: Path, arrays: dict, info: dict) -> None:
    """Write one part of the runs format into the new folder ``folder``: every array as ``KEY.npy``
    (no pickles) and ``manifest.json`` = ``{"format": RUNS_FORMAT, "info": info}`` with
    ``info["arrays"]`` set to each array's shape, dtype and sha256 (checked on reading)."""
    import hashlib
    import json

    folder.mkdir(exist_ok=True)
    entries = {}
    for key in sorted(arrays):
        a = np.ascontiguousarray(arrays[key])
        np.save(folder / f"{key}.npy", a, allow_pickle=False)
        entries[key] = {"shape": list(a.shape), "dtype": str(a.dtype),
                        "sha256": hashlib.sha256((folder / f"{key}.npy").read_bytes()).hexdigest()}
    doc = {"format": RUNS_FORMAT, "info": {**info, "arrays": entries}}
    (folder / "manifest.json").write_text(json.dumps(doc, indent=1, sort_keys=True, default=float) + "\n")
