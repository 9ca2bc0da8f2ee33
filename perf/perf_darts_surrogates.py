"""Issue 15 lab: which model predicts darts/digits accuracy best on the held-out archs (NB301's figures).

Fits on every non-held-out part found (each arch's mean over its seeds of the final validation accuracy),
scores the 500 held-out archs: Kendall tau against the mean of the two seeds, and the mean absolute error
against one seed next to the mean absolute difference between the two seeds (the done-means figures). It
also prints the **ceiling**: the Kendall tau a perfect predictor of each arch's true mean would reach against
the two-seed mean (:func:`nasbench.training.darts_surrogate.perfect_predictor_tau`).

Model selection must not look at the held-out archs: ``CV=1`` scores the variants instead by 5-fold
cross-validation over the ``uniform-s01`` archs (two seeds each; the other training archs always fit).

``ENC=NAME`` picks another encoding of :data:`nasbench.encodings.darts.FEATURES` (default: the surrogate's).

Run: [CV=1] [ENC=cellstats] python perf/perf_darts_surrogates.py [PARENT] [VARIANT ...]   (default: every variant)
"""
import os
import sys
import time

import numpy as np
from scipy import stats

from nasbench.training.darts_runs import load_runs
from nasbench.training.darts_surrogate import ENCODING, HELDOUT, perfect_predictor_tau


def xgb_fit(params, n_rounds, transform=None, members=1, objective="reg:squarederror"):
    import xgboost as xgb

    forward, backward = transform or (lambda v: v, lambda v: v)

    def fit(X, y, Xt):
        preds = []
        for m in range(members):
            rows = np.random.default_rng(m).integers(0, len(y), len(y)) if members > 1 else np.arange(len(y))
            p = dict(objective=objective, tree_method="hist", nthread=1, seed=m, **params)
            booster = xgb.train(p, xgb.DMatrix(X[rows], label=forward(y[rows])), num_boost_round=n_rounds)
            preds.append(backward(booster.predict(xgb.DMatrix(Xt))))
        return np.mean(preds, axis=0)

    return fit


LOGERR = (lambda a: np.log(100.5 - a), lambda z: 100.5 - np.exp(z))
BASE = dict(eta=0.1, max_depth=6, subsample=0.8, colsample_bytree=0.5)
SLOW = dict(eta=0.03, max_depth=6, subsample=0.8, colsample_bytree=0.5, min_child_weight=3)
def mlp_fit(members=0, transform=None, params=None):
    from surrogates.fit import fit_on_arrays

    forward, backward = transform or (lambda v: v, lambda v: v)

    def fit(X, y, Xt):
        model = fit_on_arrays(X, forward(y), n_members=members, seed=0, model="mlp", params=params)
        return backward(model.predict(Xt))

    return fit


VARIANTS = {
    "shipped_bagged5": lambda: __import__("surrogates.fit", fromlist=["x"]).fit_on_arrays,
    "xgb200": lambda: xgb_fit(BASE, 200),
    "xgb1000_slow": lambda: xgb_fit(SLOW, 1000),
    "xgb1000_slow_logerr": lambda: xgb_fit(SLOW, 1000, LOGERR),
    "xgb1000_slow_mae": lambda: xgb_fit(SLOW, 1000, objective="reg:absoluteerror"),
    "xgb1000_slow_d4": lambda: xgb_fit(dict(SLOW, max_depth=4), 1000),
    "xgb2000_slow_d3_logerr": lambda: xgb_fit(dict(SLOW, max_depth=3), 2000, LOGERR),
    "xgb1000_slow_logerr_bag5": lambda: xgb_fit(SLOW, 1000, LOGERR, members=5),
    "xgb2000_slow_d3_mae": lambda: xgb_fit(dict(SLOW, max_depth=3), 2000, objective="reg:absoluteerror"),
    "xgb2000_slow_d4_mae": lambda: xgb_fit(dict(SLOW, max_depth=4), 2000, objective="reg:absoluteerror"),
    "xgb3000_d6_mae_eta02": lambda: xgb_fit(dict(SLOW, eta=0.02), 3000, objective="reg:absoluteerror"),
    "xgb1000_slow_huber": lambda: xgb_fit(dict(SLOW, huber_slope=3.0), 1000, objective="reg:pseudohubererror"),
    "xgb200_logerr": lambda: xgb_fit(BASE, 200, LOGERR),
    "xgb400_eta05_logerr": lambda: xgb_fit(dict(SLOW, eta=0.05), 400, LOGERR),
    "xgb300_eta05_mcw3_logerr": lambda: xgb_fit(dict(SLOW, eta=0.05), 300, LOGERR),
    "mlp": lambda: mlp_fit(),
    "mlp_logerr": lambda: mlp_fit(transform=LOGERR),
    "xgb1000_slow_mae_runs": lambda: xgb_fit(SLOW, 1000, objective="reg:absoluteerror"),
    "xgb1000_slow_runs": lambda: xgb_fit(SLOW, 1000),
    "xgb1000_slow_mae_bag5": lambda: xgb_fit(SLOW, 1000, objective="reg:absoluteerror", members=5),
}


def predict(name, X, y, train, test):
    """Variant ``name`` fit on rows ``train`` (bool), predicting rows ``test``."""
    fit = VARIANTS[name]()
    if name == "shipped_bagged5":
        return fit(X[train], np.nanmean(y[train], axis=1), n_members=5, seed=0).predict(X[test])
    if name.endswith("_runs"):  # one row per training run, not per arch
        Xr, yr = X[train][:, None, :].repeat(y.shape[1], 1), y[train]
        ok = np.isfinite(yr)
        return fit(Xr[ok], yr[ok], X[test])
    return fit(X[train], np.nanmean(y[train], axis=1), X[test])


def main(argv):
    parent = argv[1] if len(argv) > 1 else "tabular_data/embedded/_build/darts-digits"
    names = argv[2:] or list(VARIANTS)
    runs = load_runs(parent)
    y = runs["valid_acc"][:, :, -1]
    part = np.array(runs["part"])
    from nasbench.encodings.darts import FEATURES
    from nasbench.training.darts_archs import arch_from_code

    features = FEATURES[os.environ.get("ENC", ENCODING)][0]
    X = np.stack([features(arch_from_code(c)) for c in runs["codes"]])
    held = part == HELDOUT
    if os.environ.get("CV") == "1":
        pool = np.flatnonzero(part == "uniform-s01")
        folds = np.array_split(np.random.default_rng(0).permutation(pool), 5)
        scored = np.zeros(len(part), bool)
        scored[pool] = True
    else:
        folds, scored = None, held
    y1, y2 = y[scored, 0], y[scored, 1]
    mean2 = (y1 + y2) / 2
    print(f"{(~held).sum()} training archs, {held.sum()} held-out; scored {scored.sum()} "
          f"({'5-fold CV over uniform-s01' if folds else 'held-out'}); seed vs seed: tau "
          f"{stats.kendalltau(y1, y2)[0]:.3f}, MAE {np.abs(y1 - y2).mean():.3f}; ceiling tau {perfect_predictor_tau(y1, y2):.3f}")
    for name in names:
        start = time.perf_counter()
        if folds is None:
            pred = predict(name, X, y, ~held, held)
        else:
            pred = np.zeros(len(part))
            for fold in folds:
                test = np.zeros(len(part), bool)
                test[fold] = True
                pred[test] = predict(name, X, y, ~held & ~test, test)
            pred = pred[scored]
        mae = (np.abs(pred - y1).mean() + np.abs(pred - y2).mean()) / 2
        print(f"{name:28s} tau {stats.kendalltau(pred, mean2)[0]:.3f}  spearman {stats.spearmanr(pred, mean2)[0]:.3f}"
              f"  MAE vs one seed {mae:.3f}  ({time.perf_counter() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main(sys.argv)
