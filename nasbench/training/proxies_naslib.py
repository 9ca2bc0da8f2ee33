"""Agreement of our zero-cost proxies with NASLib's published NB201 scores (NAS-Bench-Suite-Zero).

NASLib's ``zc_nasbench201.json`` (``../shared/data`` section 4) holds, for about 724 sampled NB201
archs per dataset, the scores of 12 proxies computed by NASLib on its own NB201 network at the
dataset's shape (C=16, N=5; CIFAR 3x32x32, ImageNet16-120 3x16x16), with real training images for
the data-dependent ones. :func:`naslib_agreement` scores the same archs with
:mod:`nasbench.training.proxies` on a network of the same shape and reports the rank agreement:

* data-free proxies (synflow, l2_norm, params, flops; zen is not in NASLib's NB201 file) are
  directly comparable: both sides see no data, only the initialisation differs (same distribution,
  other random draws);
* data-dependent proxies need the CIFAR-10 images NASLib used, which are not available here; they
  are scored on a documented noise batch instead (:func:`~nasbench.training.proxies.noise_batch`),
  so their agreement measures how much of the proxy is architecture rather than data, and each
  side's Spearman with NASLib's validation accuracy is reported next to it.

NASLib stores ``-1e8`` (and once ``-inf``) where a proxy was undefined; we store ``-inf``: both rank
lowest, so ranks agree.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from nasbench.errors import DataIntegrityError, MissingDataError, UnknownNameError, choices_text

__all__ = ["NASLIB_NB201_FILE", "SHAPES", "read_naslib_nb201", "naslib_agreement"]

NASLIB_NB201_FILE = "zc_nasbench201.json"
# NASLib dataset key -> (input shape, classes)
SHAPES = {"cifar10": ((3, 32, 32), 10), "cifar100": ((3, 32, 32), 100), "ImageNet16-120": ((3, 16, 16), 120)}
NASLIB_PROXIES = ("grad_norm", "snip", "grasp", "fisher", "synflow", "jacov", "nwot", "epe_nas", "l2_norm", "plain",
                  "params", "flops")


def read_naslib_nb201(source_dir, dataset: str = "cifar10") -> dict:
    """NASLib's NB201 zero-cost scores for ``dataset``.

    Returns
    -------
    dict
        ``index`` int64 (n,) NB201 indices (converted from NASLib's op tuples with
        :meth:`~nasbench.spaces.nb201.NB201Arch.from_naslib`), ``val_acc`` float64 (n,) and, per
        proxy, ``scores[proxy]`` and ``times[proxy]`` float64 (n,) (NaN where absent).
    """
    from nasbench.spaces.nb201 import NB201Arch
    from tabular_data.importers._files import find_files

    if dataset not in SHAPES:
        raise UnknownNameError(f"NASLib's NB201 file has datasets {choices_text(SHAPES)}; got {dataset!r}.")
    found = find_files(Path(source_dir), {NASLIB_NB201_FILE})
    if NASLIB_NB201_FILE not in found:
        raise MissingDataError(f"{NASLIB_NB201_FILE} not found under {source_dir} (searched 3 levels deep); pass the "
                               "folder holding NASLib's zero-cost files (for example ../shared/data).")
    path = found[NASLIB_NB201_FILE]
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))[dataset]
        keys = list(doc)
        index = np.array([NB201Arch.from_naslib(tuple(int(v) for v in k.strip("()").split(","))).index
                          for k in keys], dtype=np.int64)
        scores = {p: np.array([float(doc[k][p]["score"]) if p in doc[k] else np.nan for k in keys])
                  for p in NASLIB_PROXIES}
        times = {p: np.array([float(doc[k][p]["time"]) if p in doc[k] else np.nan for k in keys])
                 for p in NASLIB_PROXIES}
        val = np.array([float(doc[k]["val_accuracy"]) for k in keys])
    except (KeyError, TypeError, ValueError) as exc:
        raise DataIntegrityError(f"{path} is not NASLib's NB201 zero-cost format ({exc!r}); re-download it from "
                                 "NASLib's naslib/data at commit 1bdbd960.") from None
    return {"index": index, "val_acc": val, "scores": scores, "times": times, "path": str(path)}


def _ranks_agree(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    from scipy.stats import kendalltau, spearmanr

    # -inf and NASLib's -1e8 both mean "undefined, worst": rank them equal and lowest
    a = np.where(np.isneginf(a) | (a <= -1e8), -np.inf, a)
    b = np.where(np.isneginf(b) | (b <= -1e8), -np.inf, b)
    ok = ~(np.isnan(a) | np.isnan(b))
    a, b = a[ok], b[ok]
    lo = min(np.min(a[np.isfinite(a)], initial=0.0), np.min(b[np.isfinite(b)], initial=0.0)) - 1.0
    a, b = np.where(np.isfinite(a), a, lo), np.where(np.isfinite(b), b, lo)
    return float(spearmanr(a, b)[0]), float(kendalltau(a, b)[0])


def naslib_agreement(source_dir, dataset: str = "cifar10", proxies=NASLIB_PROXIES, *, n_archs: int | None = None,
                     seed: int = 0, batch_size: int = 64, device=None, log=None) -> dict:
    """Score NASLib's sampled archs with our proxies and compare ranks with NASLib's scores.

    Parameters
    ----------
    source_dir : path
        Folder holding ``zc_nasbench201.json`` (searched 3 levels deep).
    dataset : {"cifar10", "cifar100", "ImageNet16-120"}
    proxies : sequence of str
    n_archs : int or None
        Score only the first ``n_archs`` archs of the file (None: all).
    seed : int
        Initialisation seed of every network, zen's noise and the noise batch.
    batch_size : int
        Images of the noise batch of the data-dependent proxies.

    Returns
    -------
    dict
        ``rows``: one dict per proxy (``proxy``, ``data_free``, ``spearman``, ``kendall`` with
        NASLib's scores, ``ours_vs_val`` and ``naslib_vs_val`` Spearman with NASLib's validation
        accuracy, ``our_s_per_arch`` and ``naslib_s_per_arch`` median seconds); ``n_archs``,
        ``inputs`` (the batch description), ``scores`` (ours, float64 (n,) per proxy), ``index``.
    """
    from scipy.stats import spearmanr

    from nasbench.training.model import build_network
    from nasbench.training.proxies import DATA_FREE, compute, noise_batch

    ref = read_naslib_nb201(source_dir, dataset)
    names = [p for p in proxies if p in NASLIB_PROXIES or p == "zen"]
    shape, n_classes = SHAPES[dataset]
    batch = noise_batch(shape, n=batch_size, n_classes=n_classes, seed=seed)
    import torch

    idx = ref["index"] if n_archs is None else ref["index"][:n_archs]
    ours = {p: np.full(len(idx), np.nan) for p in names}
    secs = {p: np.full(len(idx), np.nan) for p in names}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one thread: the CPU seconds read as single-core cost, and bits do not vary
    try:
        for i, arch in enumerate(idx.tolist()):
            out = compute(lambda: build_network(arch, C=16, N=5, in_channels=shape[0], n_classes=n_classes,
                                                seed=seed), batch, names, seed=seed, device=device)
            for p, (value, s) in out.items():
                ours[p][i], secs[p][i] = value, s
            if log is not None and (i + 1) % 25 == 0:
                log(f"{i + 1}/{len(idx)} archs scored")
    finally:
        torch.set_num_threads(threads)
    val = ref["val_acc"][:len(idx)]
    rows = []
    for p in names:
        row = {"proxy": p, "data_free": p in DATA_FREE, "our_s_per_arch": float(np.median(secs[p]))}
        finite = np.isfinite(ours[p])
        row["ours_vs_val"] = float(spearmanr(ours[p][finite], val[finite])[0])
        if p in ref["scores"]:
            theirs = ref["scores"][p][:len(idx)]
            row["spearman"], row["kendall"] = _ranks_agree(ours[p], theirs)
            ok = np.isfinite(theirs) & (theirs > -1e8)
            row["naslib_vs_val"] = float(spearmanr(theirs[ok], val[ok])[0])
            row["naslib_s_per_arch"] = float(np.nanmedian(ref["times"][p][:len(idx)]))
        rows.append(row)
    return {"dataset": dataset, "n_archs": int(len(idx)), "inputs": batch.source, "seed": seed, "rows": rows,
            "scores": ours, "index": idx, "naslib_file": ref["path"], "made_at": time.strftime("%Y-%m-%d")}
