"""The DARTS side of ``nasbench generate``: train listed genotypes on digits, assemble the runs.

A DARTS job (:class:`nasbench.training.generate.JobConfig` with ``space="darts"``) lists its
genotypes as codes (:mod:`nasbench.training.darts_archs`); chunk ``k`` trains entries
``k * chunk_size ..`` with every seed of the job. Chunk arrays (plain numeric, no pickles):

* ``arch_id`` (n,): position in the job's list; ``arch_cells`` int8 (n, 2, 8, 2): the genotypes;
* ``seeds`` (S,); ``train_loss``, ``train_acc``, ``valid_acc``, ``test_acc`` (n, S, E) in % (loss
  in nats) per epoch; ``train_time_s`` (n, S) wall-clock seconds of the training steps;
* ``latency_ms`` (n,) median batch-1 CPU latency (1 thread) after the first seed's training;
  ``params_m`` and ``flops_m`` (n,) counted from the model.

The data of ``darts/digits`` is made of several jobs, one build folder each under one parent
(``tabular_data/embedded/_build/darts-digits/<part>`` for the committed record): a held-out set of
uniformly drawn genotypes (never seen by a fit), uniform training archs (part of them with two
seeds) and, later, the archs proposed by search strategies on the growing surrogate, each job
labelled with its proposer (``proposed_by``). :func:`uniform_jobs` makes the uniform ones.

:func:`assemble_darts` writes one job's runs as a samples folder: one ``.npy`` file per array
(``np.save`` is byte-deterministic, unlike zip archives, which stamp the time) and a
``manifest.json`` with sorted keys, kill-safely (:func:`tabular_data.atomic.write_folder`); the
same chunks always give the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nasbench.errors import NasbenchError

__all__ = ["DEFAULT_PARENT", "train_darts_chunk", "assemble_darts", "uniform_jobs", "default_build",
           "default_samples", "SAMPLE_SEEDS"]

DEFAULT_PARENT = "_build/darts-digits"  # under $NASBENCH_DATA (or the embedded folder for the committed record)
# Seeds of the uniform samplers: the held-out set is drawn first, the training archs exclude it.
SAMPLE_SEEDS = {"heldout": 1, "uniform": 0}


def default_build(part: str) -> Path:
    """``$NASBENCH_DATA/_build/darts-digits/<part>`` (never the package)."""
    from nasbench.paths import data_root

    return data_root() / DEFAULT_PARENT / part


def default_samples(part: str) -> Path:
    """Where :func:`assemble_darts` writes by default: ``$NASBENCH_DATA/darts/digits-runs/<part>``."""
    from nasbench.paths import data_root

    return data_root() / "darts" / "digits-runs" / part


def train_darts_chunk(job, k: int, data, log=None) -> dict:
    """Train chunk ``k`` of a DARTS job with every seed; returns the chunk's arrays (module doc)."""
    from nasbench.training.darts_archs import arch_from_code, archs_to_array
    from nasbench.training.darts_model import build_darts_network
    from nasbench.training import generate as gen
    from nasbench.training.generate import CURVES

    ids = job.chunk_classes(k)
    archs = [arch_from_code(job.archs[i]) for i in ids.tolist()]
    n, S, E = len(ids), len(job.seeds), int(job.train["epochs"])
    out = {c: np.full((n, S, E), np.nan) for c in CURVES}
    out.update(arch_id=ids, arch_cells=archs_to_array(archs), seeds=np.asarray(job.seeds, dtype=np.int64),
               train_time_s=np.full((n, S), np.nan), latency_ms=np.full(n, np.nan),
               params_m=np.full(n, np.nan), flops_m=np.full(n, np.nan))
    with_latency, without = job.train_config(), job.train_config(latency_repeats=0)
    for i, arch in enumerate(archs):
        gen.record_runs(out, i, arch, data, job, (with_latency, without), build=build_darts_network)
        if log is not None:
            log(f"chunk {k}: arch {int(ids[i])} valid {', '.join(f'{v:.1f}' for v in out['valid_acc'][i, :, -1])}%")
    return out


def uniform_jobs(train: dict, split, *, n_heldout: int = 500, n_uniform: int = 2500, n_second_seed: int = 1000,
                 chunk_size: int = 16, latency_repeats: int = 10) -> dict:
    """The uniform parts of ``darts/digits`` as jobs: ``heldout``, ``uniform-s01`` and ``uniform-s0``.

    ``heldout``: ``n_heldout`` genotypes from :func:`sample_distinct` with seed
    ``SAMPLE_SEEDS["heldout"]``, seeds (0, 1). The training list is ``n_uniform`` genotypes with
    seed ``SAMPLE_SEEDS["uniform"]`` that exclude the held-out ones; its first ``n_second_seed``
    form ``uniform-s01`` (seeds 0 and 1: the noise pairs, and the pilot is their first archs),
    the rest ``uniform-s0`` (seed 0).

    Returns
    -------
    dict
        part name -> JobConfig.
    """
    from nasbench.training.darts_archs import arch_code, sample_distinct
    from nasbench.training.generate import JobConfig

    if not 1 <= n_second_seed < n_uniform:
        raise NasbenchError(f"n_second_seed must be in [1, n_uniform - 1] = [1, {n_uniform - 1}]; got {n_second_seed}.")
    held = sample_distinct(n_heldout, SAMPLE_SEEDS["heldout"])
    train_archs = sample_distinct(n_uniform, SAMPLE_SEEDS["uniform"], exclude=held)
    common = dict(train=dict(train), split=tuple(split), chunk_size=chunk_size, latency_repeats=latency_repeats,
                  space="darts", proposed_by="uniform")
    src_h = f"nasbench.training.darts_archs.sample_distinct({n_heldout}, seed={SAMPLE_SEEDS['heldout']})"
    src_u = (f"nasbench.training.darts_archs.sample_distinct({n_uniform}, seed={SAMPLE_SEEDS['uniform']}, "
             f"exclude=heldout)")
    return {
        "heldout": JobConfig(archs=tuple(arch_code(a) for a in held), seeds=(0, 1), arch_source=src_h, **common),
        "uniform-s01": JobConfig(archs=tuple(arch_code(a) for a in train_archs[:n_second_seed]), seeds=(0, 1),
                                 arch_source=f"{src_u}[:{n_second_seed}]", **common),
        "uniform-s0": JobConfig(archs=tuple(arch_code(a) for a in train_archs[n_second_seed:]), seeds=(0,),
                                arch_source=f"{src_u}[{n_second_seed}:]", **common),
    }


def assemble_darts(build, job, table=None, *, command: str = "", extra_info=None, overwrite: bool = False) -> Path:
    """Write the runs of a finished DARTS build folder as a samples folder (see the module doc).

    Parameters
    ----------
    build : path
    job : JobConfig
        The build folder's job (``space="darts"``).
    table : path or None
        Destination; default :func:`default_samples` of the build folder's name.
    command : str
        The command that generated the chunks (recorded).
    extra_info : dict or None
        Merged into the manifest's ``info``.
    overwrite : bool, default False
        Replace an existing destination; otherwise it raises and is kept.

    Returns
    -------
    Path
    """
    from tabular_data.atomic import write_folder

    from nasbench.training import generate as gen
    from nasbench.training.darts_runs import AXES, UNITS, write_part

    build = Path(build)
    table = default_samples(build.name) if table is None else Path(table)
    gen.check_destination(table, overwrite)
    c = gen.load_chunks(build, job)
    info = {"space": "darts", "dataset": "digits", "part": build.name, "proposed_by": job.proposed_by,
            "arch_source": job.arch_source, "n_archs": len(job.archs), "seeds": list(job.seeds),
            "made_by": command or "nasbench generate", "train_config": job.train_config().to_dict(),
            "split": list(job.split), "split_seed": job.split_seed,
            "units": UNITS, "axes": AXES}
    if len(job.seeds) >= 2 and len(job.archs) >= 3:
        info["seed_agreement"] = gen.finished_summary(build, job).get("valid")
    if extra_info:
        info.update(extra_info)

    def fill(tmp: Path) -> None:
        write_part(tmp, c, info)

    return write_folder(table, fill, overwrite=overwrite, what="the samples folder", flag=gen.OVERWRITE_FLAG)
