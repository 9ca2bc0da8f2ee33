"""Published-behaviour checks on the real nb201/cifar10 table (skipped without the public data)."""

import numpy as np
from scipy import stats

from strategies.compare_run import seed_of
from strategies.fast import run_fast
from strategies.history import trajectory


def test_evolution_beats_random_search_at_300_evals_over_100_seeds(cifar10_task):
    seeds = [seed_of(0, i) for i in range(100)]
    final = {}
    for name in ("random_search", "regularized_evolution"):
        runs = run_fast(name, cifar10_task, seeds, max_evals=300)
        final[name] = np.array([trajectory(h, cifar10_task)["regret"][-1] for h in runs])
    rs, re = final["random_search"], final["regularized_evolution"]
    assert re.mean() < rs.mean()
    w = stats.wilcoxon(rs, re, zero_method="zsplit", alternative="greater")
    assert w.pvalue < 1e-3
    mw = stats.mannwhitneyu(rs, re, alternative="greater")
    assert mw.pvalue < 1e-3

