"""Issue 15 lab: which DARTS encoding lets XGBoost predict darts/digits accuracy from few archs.

5-fold cross-validation on the finished held-out runs (the mean of seeds 0 and 1 of the final validation
accuracy; 400 archs fit, 100 predicted per fold), Kendall tau of the out-of-fold predictions, for every encoding
of :data:`nasbench.encodings.darts.FEATURES`. A lab figure, not the benchmark's: its held-out figures fit on the
training parts and score all 500 held-out archs (``nasbench surrogate eval darts/digits``).

Run: python perf/perf_darts_encodings.py [PARENT]     (default tabular_data/embedded/_build/darts-digits)

Measured 2026-11-29 on the 500 held-out archs of the C=20 recipe: adjacency 0.597, cellstats 0.645.
"""
import sys

import numpy as np
from scipy.stats import kendalltau

from nasbench.encodings.darts import FEATURES
from nasbench.training.darts_archs import arch_from_code
from nasbench.training.darts_runs import load_runs
from surrogates.fit import fit_on_arrays

runs = load_runs(sys.argv[1] if len(sys.argv) > 1 else "tabular_data/embedded/_build/darts-digits", ["heldout"])
target = runs["valid_acc"][:, :2, -1].mean(axis=1)
archs = [arch_from_code(c) for c in runs["codes"]]
order = np.random.default_rng(0).permutation(len(target))
for name, (features, n_features) in FEATURES.items():
    X = np.stack([features(a) for a in archs])
    pred = np.zeros_like(target)
    for fold in np.array_split(order, 5):
        fit = np.setdiff1d(order, fold)
        pred[fold] = fit_on_arrays(X[fit], target[fit], n_members=1, seed=0, model="xgboost").predict(X[fold])
    print(f"{name} ({n_features} features): Kendall tau {kendalltau(pred, target).statistic:.3f}", flush=True)
