"""Fit and evaluate the ``darts/digits`` surrogate on the runs generated so far (NB301's figures).

The surrogate is fit on every part except the held-out one (:func:`fit_and_evaluate`), on the
DARTS ``adjacency`` encoding (:mod:`nasbench.encodings.darts`: edge-op counts per cell, blind to the
order of a node's two inputs), with :func:`surrogates.fit.fit_on_arrays`; targets
are each arch's mean final accuracy over its trained seeds. On the held-out archs (trained with two
seeds, never fit on) it reports NAS-Bench-301's figures:

* R2, Kendall tau, Spearman and the Kendall tau of the top 10 % of the prediction against the
  **mean of the two seeds**;
* ``mae_vs_one_seed``: mean absolute error of the prediction against a single seed (both seeds
  averaged), next to ``mae_seed_vs_seed``: mean absolute difference between the two seeds, i.e.
  the error of predicting one training run by another (NB301's "better than one more run" claim
  holds when the first is not larger);
* the noise model's scale ``noise_std``: the single-run SD estimated from the seed pairs of the
  training parts (``std(seed0 - seed1) / sqrt 2``).

Leave-one-strategy-out figures need parts proposed by search strategies; they are reported when
such parts exist (each strategy's archs predicted by a model fit without them).

``python -m nasbench.training.darts_surrogate --parent DIR`` prints the figures as JSON, with the
numbers of archs used; on a generation still running they are labelled ``partial``.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from nasbench.errors import MissingDataError, NasbenchError

__all__ = ["fit_and_evaluate", "fit_surrogate_on_runs", "main", "HELDOUT"]

HELDOUT = "heldout"


METRICS = ("valid_acc", "test_acc", "train_time_s")


def _final(runs: dict, metric: str) -> np.ndarray:
    """(n, S): the last epoch of a curve, or the per-run training time."""
    return runs[metric] if metric == "train_time_s" else runs[metric][:, :, -1]


def _encode(codes) -> np.ndarray:
    from nasbench.encodings.darts import adjacency_features
    from nasbench.training.darts_archs import arch_from_code

    return np.stack([adjacency_features(arch_from_code(c)) for c in codes])


def _noise_std(y: np.ndarray, rows: np.ndarray) -> float:
    """Single-run SD from the seed pairs of ``rows`` (``std(seed0 - seed1) / sqrt 2``), NaN under 10 pairs."""
    pairs = rows & (np.isfinite(y).sum(axis=1) >= 2) if y.shape[1] >= 2 else np.zeros_like(rows)
    if pairs.sum() < 10:
        return float("nan")
    return float(np.std(y[pairs, 0] - y[pairs, 1], ddof=1) / np.sqrt(2))


def fit_surrogate_on_runs(runs: dict, *, metric: str = "valid_acc", model: str = "xgboost", n_members: int = 5,
                          seed: int = 0):
    """Fit the surrogate on every non-held-out arch of ``runs`` (:func:`load_runs`).

    Returns
    -------
    (fitted model, noise_std, n_train_archs)
        ``noise_std`` is NaN with fewer than 10 seed pairs (then the model has no noise).
    """
    from surrogates.fit import fit_on_arrays

    y = _final(runs, metric)
    train = np.array(runs["part"]) != HELDOUT
    if train.sum() < 20:
        raise MissingDataError(f"a surrogate needs >= 20 trained archs outside the held-out part; got "
                               f"{int(train.sum())}. Let the generation run longer.")
    noise_std = _noise_std(y, train)
    fitted = fit_on_arrays(_encode([c for c, t in zip(runs["codes"], train) if t]), np.nanmean(y[train], axis=1),
                           n_members=n_members, seed=seed, model=model,
                           noise_std=noise_std if np.isfinite(noise_std) else 0.0)
    return fitted, noise_std, int(train.sum())


def fit_and_evaluate(parent, *, metric: str = "valid_acc", model: str = "xgboost", n_members: int = 5,
                     seed: int = 0) -> dict:
    """Fit on the training parts under ``parent``, score on the held-out part (see the module doc).

    Parameters
    ----------
    parent : path
        Folder of the parts' build folders.
    metric : {"valid_acc", "test_acc", "train_time_s"}
        Final-epoch accuracy (%), or the training time of a run (s).
    model : {"xgboost", "mlp"}
    n_members : int
    seed : int

    Returns
    -------
    dict
        ``held_out`` figures, ``noise_std``, counts (``n_train_archs``, ``n_heldout_archs``,
        ``n_seed_pairs``), ``leave_one_strategy_out`` (per strategy, when present).
    """
    from surrogates.fit import fit_on_arrays
    from nasbench.training.darts_runs import load_runs
    from surrogates.metrics import scores

    if metric not in METRICS:
        raise NasbenchError(f"metric must be one of {', '.join(METRICS)}; got {metric!r}.")
    runs = load_runs(parent)
    y = _final(runs, metric)
    part = np.array(runs["part"])
    held, train = part == HELDOUT, part != HELDOUT
    pairs = held & np.isfinite(y[:, :2]).all(axis=1) if y.shape[1] >= 2 else np.zeros_like(held)
    if train.sum() < 20 or pairs.sum() < 10:
        raise MissingDataError(f"fit_and_evaluate needs >= 20 training archs and >= 10 held-out archs with two "
                               f"seeds; got {int(train.sum())} and {int(pairs.sum())}. Let the generation run longer.")
    X = _encode(runs["codes"])
    target = np.nanmean(y, axis=1)
    train_pairs = train & (np.isfinite(y).sum(axis=1) >= 2)
    fitted, noise_std, _ = fit_surrogate_on_runs(runs, metric=metric, model=model, n_members=n_members, seed=seed)
    pred = fitted.predict(X[pairs])
    y1, y2 = y[pairs, 0], y[pairs, 1]
    figures = scores((y1 + y2) / 2, pred)
    figures.update(mae_vs_one_seed=float((np.abs(pred - y1).mean() + np.abs(pred - y2).mean()) / 2),
                   mae_seed_vs_seed=float(np.abs(y1 - y2).mean()),
                   seed_vs_seed=scores(y1, y2))
    out = {"metric": metric, "model": model, "encoding": "darts adjacency (196 edge-op counts)",
           "n_train_archs": int(train.sum()), "n_heldout_archs": int(pairs.sum()),
           "n_seed_pairs_train": int(train_pairs.sum()), "noise_std": noise_std, "held_out": figures,
           "parts": sorted(set(runs["part"])), "leave_one_strategy_out": {}}
    proposers = np.array(runs["proposed_by"])
    for name in sorted(set(proposers[train]) - {"uniform"}):
        keep, left = train & (proposers != name), train & (proposers == name)
        f = fit_on_arrays(X[keep], target[keep], n_members=n_members, seed=seed, model=model)
        out["leave_one_strategy_out"][name] = scores(target[left], f.predict(X[left]))
    return out


def _run(args) -> int:
    from pathlib import Path

    from nasbench.training import generate as gen

    out = fit_and_evaluate(args.parent, metric=args.metric, model=args.model, seed=args.seed)
    status = {}
    for p in sorted(Path(args.parent).iterdir()):
        if (p / "config.json").exists():
            job = gen.read_job(p)
            status[p.name] = f"{job.n_chunks - len(gen.pending_chunks(p, job))}/{job.n_chunks} chunks"
    out["generation"] = status
    out["partial"] = any(s.split("/")[0] != s.split("/")[1].split()[0] for s in status.values())
    print(json.dumps(out, indent=1, default=float))
    return 0


def main(argv=None) -> int:
    """``python -m nasbench.training.darts_surrogate --parent DIR [--metric M] [--model xgboost]``."""
    from nasbench.training.scripts import script_main

    parser = argparse.ArgumentParser(prog="python -m nasbench.training.darts_surrogate",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--parent", required=True, help="folder of the parts' build folders")
    parser.add_argument("--metric", default="valid_acc", choices=METRICS)
    parser.add_argument("--model", default="xgboost", choices=("xgboost", "mlp"))
    parser.add_argument("--seed", type=int, default=0)
    return script_main(parser, _run, argv)


if __name__ == "__main__":
    sys.exit(main())
