"""Fit and evaluate the ``darts/digits`` surrogate on the runs generated so far (NB301's figures).

The surrogate is fit on every part except the held-out one (:func:`fit_and_evaluate`), on the
DARTS ``cellstats_iso`` encoding (:data:`ENCODING`, :mod:`nasbench.encodings.darts`: edge-op counts
per cell plus per-cell op counts and depths, of the genotype relabelled to its isomorphism-canonical
form), with :func:`fit_model`; targets are each arch's mean accuracy over its trained seeds, after
the last epoch or (``fidelity``) after an earlier one, or the mean training time of a run. On the
held-out archs (trained with two seeds, never fit on) it reports NAS-Bench-301's figures
(:func:`heldout_figures`, which also scores a saved model:
:func:`nasbench.training.darts_ship.score_surrogate`):

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
import functools
import json
import sys

import numpy as np

from nasbench.errors import MissingDataError, NasbenchError

__all__ = ["ENCODING", "XGB_PARAMS", "LOG_TARGETS", "N_MEMBERS", "target_text", "fit_model", "encode_archs",
           "fit_and_evaluate", "evaluate_runs", "fit_surrogate_on_runs", "heldout_figures", "leave_one_strategy_out",
           "generation_status", "is_partial", "normal_scores", "perfect_predictor_tau", "main", "HELDOUT",
           "METRICS"]

HELDOUT = "heldout"


METRICS = ("valid_acc", "test_acc", "train_time_s")


def _final(runs: dict, metric: str, fidelity=None) -> np.ndarray:
    """(n, S): a curve at epoch ``fidelity`` (None: the last), or the per-run training time (which
    exists for the whole recipe only: ``fidelity`` None or the recipe's epochs)."""
    if metric not in METRICS:
        raise NasbenchError(f"metric must be one of {', '.join(METRICS)}; got {metric!r}.")
    n_epochs = int(runs["n_epochs"])
    allowed = (None, n_epochs) if metric == "train_time_s" else (None, *range(1, n_epochs + 1))
    if fidelity not in allowed or isinstance(fidelity, bool):
        raise NasbenchError(f"fidelity of {metric} must be one of {', '.join(map(str, allowed))} (epochs of the "
                            f"recipe); got {fidelity!r}.")
    if metric == "train_time_s":
        return runs[metric]
    return runs[metric][:, :, (n_epochs if fidelity is None else int(fidelity)) - 1]


# The surrogate's encoding (nasbench.encodings.darts): edge-op counts plus per-cell op counts and depths of
# the isomorphism-canonical genotype
ENCODING = "cellstats_iso"


def encode_archs(archs) -> np.ndarray:
    """:data:`ENCODING` features of DARTSArch values: float32 of shape (n, n_features)."""
    from nasbench.encodings.darts import FEATURES

    return np.stack([FEATURES[ENCODING][0](a) for a in archs])


def _encode(codes) -> np.ndarray:
    """:data:`ENCODING` features of arch codes, float32 (n, n_features)."""
    return np.stack([_encoded_code(c) for c in codes])


@functools.lru_cache(maxsize=16384)
def _encoded_code(code: str) -> np.ndarray:
    """One code's features, read-only; cached because the surrogate build encodes the same runs for every
    model, fit, held-out score and leave-one-strategy-out refit (15 times per arch)."""
    from nasbench.training.darts_archs import arch_from_code

    row = encode_archs([arch_from_code(code)])[0]
    row.setflags(write=False)
    return row


def _noise_std(y: np.ndarray, rows: np.ndarray) -> float:
    """Single-run SD from the seed pairs of ``rows`` (``std(seed0 - seed1) / sqrt 2``), NaN under 10 pairs."""
    pairs = rows & (np.isfinite(y).sum(axis=1) >= 2) if y.shape[1] >= 2 else np.zeros_like(rows)
    if pairs.sum() < 10:
        return float("nan")
    return float(np.std(y[pairs, 0] - y[pairs, 1], ddof=1) / np.sqrt(2))


# XGBoost settings of the darts/digits surrogate, chosen by 5-fold cross-validation over the uniform-s01
# archs, never on the held-out ones (perf/perf_darts_surrogates.py, CV=1, 5000 training archs, cellstats_iso):
# Kendall tau 0.727 and error against one seed 3.81 points, against 0.716 and 3.92 with the defaults (200
# trees at 0.1) and no log; 1000 trees at 0.03 gave 0.725 and 3.82 in 2.5x the file size.
XGB_PARAMS = {"n_estimators": 400, "learning_rate": 0.05, "min_child_weight": 3.0}
# the trees fit log(offset + scale * y): an accuracy's log distance from 100 % (errors shrink
# multiplicatively near the cap), a training time's log
LOG_TARGETS = {"valid_acc": (100.5, -1.0), "test_acc": (100.5, -1.0), "train_time_s": (0.0, 1.0)}
N_MEMBERS = 3


def target_text(metric: str) -> str:
    """What the mean model of ``metric`` estimates, in words (recorded in the model's metadata)."""
    offset, scale = LOG_TARGETS[metric]
    inner = "y" if abs(scale) == 1 else f"{abs(scale):g} * y"
    expr = f"log({inner})" if offset == 0 and scale > 0 else f"log({offset:g} {'-' if scale < 0 else '+'} {inner})"
    return (f"y = the arch's mean over its trained seeds, fit as {expr}: the mean model predicts the "
            f"back-transform of the expected {expr}")


def fit_model(X, y, metric: str, *, model: str = "xgboost", n_members: int = N_MEMBERS, noise_std: float = 0.0,
              seed: int = 0):
    """The surrogate of ``metric`` fit on features ``X`` (n, d) and targets ``y`` (n,): XGBoost with
    :data:`XGB_PARAMS` and :data:`LOG_TARGETS`, or (``model="mlp"``) the default MLP ensemble on ``y``."""
    from surrogates.fit import fit_on_arrays

    if model == "xgboost":
        return fit_on_arrays(X, y, params=XGB_PARAMS, n_members=n_members, noise_std=noise_std, seed=seed,
                             model=model, log_target=LOG_TARGETS[metric])
    return fit_on_arrays(X, y, n_members=n_members, noise_std=noise_std, seed=seed, model=model)


def fit_surrogate_on_runs(runs: dict, *, metric: str = "valid_acc", fidelity=None, model: str = "xgboost",
                          n_members: int = N_MEMBERS, seed: int = 0):
    """Fit the surrogate on every non-held-out arch of ``runs`` (:func:`load_runs`).

    ``fidelity``: the epoch of the accuracy curves (None: the last); targets are each arch's mean
    over its trained seeds.

    Returns
    -------
    (fitted model, noise_std, n_train_archs)
        ``noise_std`` is NaN with fewer than 10 seed pairs (then the model has no noise).
    """
    y = _final(runs, metric, fidelity)
    train = np.array(runs["part"]) != HELDOUT
    if train.sum() < 20:
        raise MissingDataError(f"a surrogate needs >= 20 training archs outside the held-out part; got "
                               f"{int(train.sum())} (parts: {', '.join(sorted(set(runs['part'])))}). Let the "
                               "generation run longer.")
    noise_std = _noise_std(y, train)
    fitted = fit_model(_encode([c for c, t in zip(runs["codes"], train) if t]), np.nanmean(y[train], axis=1),
                       metric, model=model, n_members=n_members, seed=seed,
                       noise_std=noise_std if np.isfinite(noise_std) else 0.0)
    return fitted, noise_std, int(train.sum())


def heldout_figures(runs: dict, predict, *, metric: str = "valid_acc", fidelity=None) -> dict:
    """NB301's figures of ``predict`` on the held-out archs of ``runs`` that have two seeds.

    Parameters
    ----------
    runs : dict
        :func:`nasbench.training.darts_runs.load_runs`.
    predict : callable
        Arch codes (list of n str) -> predictions (n,), in the metric's unit.

    Returns
    -------
    dict
        :func:`surrogates.metrics.scores` against the two seeds' mean, ``mae_vs_one_seed``,
        ``mae_seed_vs_seed``, ``seed_vs_seed`` (the scores of seed 1 against seed 0) and
        ``perfect_predictor_kendall_tau`` (:func:`perfect_predictor_tau`: the tau seed noise allows).
    """
    from surrogates.metrics import scores

    y = _final(runs, metric, fidelity)
    held = np.array(runs["part"]) == HELDOUT
    pairs = held & np.isfinite(y[:, :2]).all(axis=1) if y.shape[1] >= 2 else np.zeros_like(held)
    if pairs.sum() < 10:
        raise MissingDataError(f"the held-out figures need >= 10 held-out archs with two seeds; got "
                               f"{int(pairs.sum())}. Let the generation run longer.")
    pred = np.asarray(predict([c for c, p in zip(runs["codes"], pairs) if p]), dtype=np.float64)
    y1, y2 = y[pairs, 0], y[pairs, 1]
    figures = scores((y1 + y2) / 2, pred)
    figures.update(mae_vs_one_seed=float((np.abs(pred - y1).mean() + np.abs(pred - y2).mean()) / 2),
                   mae_seed_vs_seed=float(np.abs(y1 - y2).mean()),
                   seed_vs_seed=scores(y1, y2),
                   perfect_predictor_kendall_tau=perfect_predictor_tau(y1, y2))
    return figures


def normal_scores(x) -> np.ndarray:
    """Ranks of ``x`` (n,) mapped to standard normal quantiles, float64 (n,) (ties share a rank)."""
    from scipy import stats

    return stats.norm.ppf((stats.rankdata(x) - 0.5) / len(x))


def perfect_predictor_tau(y1, y2) -> float:
    """Estimated Kendall tau of each arch's *true* mean (a perfect surrogate) against the two-seed mean.

    Seed noise caps every surrogate's tau against a noisy two-seed mean below 1. Model: on normal scores
    (ranks mapped to standard normal quantiles) the two seeds are bivariate normal with correlation
    ``r``; the two-seed mean then has reliability ``2r / (1 + r)`` (Spearman-Brown), its correlation with
    the true mean is the square root of that, and Kendall tau of a bivariate normal with correlation
    ``rho`` is ``2 / pi * asin(rho)``.
    """
    r = float(np.corrcoef(normal_scores(y1), normal_scores(y2))[0, 1])
    return float(2 / np.pi * np.arcsin(np.sqrt(max(2 * r / (1 + r), 0.0))))


def leave_one_strategy_out(runs: dict, *, metric: str = "valid_acc", fidelity=None, model: str = "xgboost",
                           n_members: int = N_MEMBERS, seed: int = 0) -> dict:
    """Per proposing strategy (every ``proposed_by`` of the training parts but ``uniform``): the
    scores of its archs predicted by a model fit on the other training archs; ``{}`` without such parts."""
    from surrogates.metrics import scores

    rows = np.flatnonzero(np.array(runs["part"]) != HELDOUT)
    proposers = np.array(runs["proposed_by"])[rows]
    names = sorted(set(proposers) - {"uniform"})
    if not names:
        return {}
    target = np.nanmean(_final(runs, metric, fidelity)[rows], axis=1)
    X = _encode([runs["codes"][i] for i in rows])
    out = {}
    for name in names:
        keep = proposers != name
        f = fit_model(X[keep], target[keep], metric, model=model, n_members=n_members, seed=seed)
        out[name] = scores(target[~keep], f.predict(X[~keep]))
    return out


def evaluate_runs(runs: dict, *, metric: str = "valid_acc", fidelity=None, model: str = "xgboost",
                  n_members: int = N_MEMBERS, seed: int = 0):
    """Fit on the training parts of ``runs``, score on the held-out part (see the module doc).

    Returns
    -------
    (fitted model, dict)
        The model :func:`fit_surrogate_on_runs` fits, and its figures: ``held_out``
        (:func:`heldout_figures`), ``noise_std``, counts (``n_train_archs``, ``n_heldout_archs``,
        ``n_seed_pairs_train``), ``parts`` and ``leave_one_strategy_out``.
    """
    from nasbench.encodings.darts import FEATURES

    y = _final(runs, metric, fidelity)
    train = np.array(runs["part"]) != HELDOUT
    fitted, noise_std, n_train = fit_surrogate_on_runs(runs, metric=metric, fidelity=fidelity, model=model,
                                                       n_members=n_members, seed=seed)
    figures = heldout_figures(runs, lambda codes: fitted.predict(_encode(codes)), metric=metric, fidelity=fidelity)
    out = {"metric": metric, "fidelity": fidelity, "model": model,
           "encoding": f"darts {ENCODING} ({FEATURES[ENCODING][1]} features)", "n_train_archs": n_train,
           "n_heldout_archs": figures["n"],
           "n_seed_pairs_train": int((train & (np.isfinite(y).sum(axis=1) >= 2)).sum()), "noise_std": noise_std,
           "held_out": figures, "parts": sorted(set(runs["part"])),
           # the XGBoost mean model does not depend on the bagged members: none are fit for these scores
           "leave_one_strategy_out": leave_one_strategy_out(runs, metric=metric, fidelity=fidelity, model=model,
                                                            n_members=0 if model == "xgboost" else n_members,
                                                            seed=seed)}
    return fitted, out


def fit_and_evaluate(parent, *, metric: str = "valid_acc", fidelity=None, model: str = "xgboost",
                     n_members: int = N_MEMBERS, seed: int = 0) -> dict:
    """:func:`evaluate_runs` on the runs of the build folders under ``parent`` (its figures dict).

    Parameters
    ----------
    parent : path
        Folder of the parts' build folders.
    metric : {"valid_acc", "test_acc", "train_time_s"}
        Accuracy (%) at epoch ``fidelity`` (None: the last), or the training time of a run (s).
    fidelity : int or None
    model : {"xgboost", "mlp"}
    n_members : int
    seed : int
    """
    from nasbench.training.darts_runs import load_runs

    if metric not in METRICS:
        raise NasbenchError(f"metric must be one of {', '.join(METRICS)}; got {metric!r}.")
    return evaluate_runs(load_runs(parent), metric=metric, fidelity=fidelity, model=model, n_members=n_members,
                         seed=seed)[1]


def generation_status(parent) -> dict:
    """``{part: {"chunks_done": k, "n_chunks": n}}`` of every build folder under ``parent``."""
    from pathlib import Path

    from nasbench.training import generate as gen

    if not Path(parent).is_dir():
        raise MissingDataError(f"{parent} is not a folder; expected the parent of the darts/digits build folders "
                               "(e.g. tabular_data/embedded/_build/darts-digits). Check the path.")
    status = {}
    for p in sorted(Path(parent).iterdir()):
        if (p / "config.json").exists():
            job = gen.read_job(p)
            status[p.name] = {"chunks_done": job.n_chunks - len(gen.pending_chunks(p, job)), "n_chunks": job.n_chunks}
    return status


def is_partial(status: dict) -> bool:
    """Whether a part of :func:`generation_status` still has chunks to train."""
    return any(s["chunks_done"] < s["n_chunks"] for s in status.values())


def _run(args) -> int:
    out = fit_and_evaluate(args.parent, metric=args.metric, fidelity=args.fidelity, model=args.model, seed=args.seed)
    status = generation_status(args.parent)
    out["generation"] = {name: f"{s['chunks_done']}/{s['n_chunks']} chunks" for name, s in status.items()}
    out["partial"] = is_partial(status)
    print(json.dumps(out, indent=1, default=float))
    return 0


def main(argv=None) -> int:
    """``python -m nasbench.training.darts_surrogate --parent DIR [--metric M] [--fidelity E] [--model xgboost]``."""
    from nasbench.training.scripts import script_main

    parser = argparse.ArgumentParser(prog="python -m nasbench.training.darts_surrogate",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--parent", required=True, help="folder of the parts' build folders")
    parser.add_argument("--metric", default="valid_acc", choices=METRICS)
    parser.add_argument("--fidelity", type=int, default=None, help="epoch of the accuracy curve (default: the last)")
    parser.add_argument("--model", default="xgboost", choices=("xgboost", "mlp"))
    parser.add_argument("--seed", type=int, default=0)
    return script_main(parser, _run, argv)


if __name__ == "__main__":
    sys.exit(main())
