import numpy as np
import pytest
from scipy.stats import kendalltau

from surrogates import kendall_tau, r2, scores, spearman, top_kendall_tau


def test_rank_metrics():
    t = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert kendall_tau(t, t) == pytest.approx(1.0)
    assert kendall_tau(t, -t) == pytest.approx(-1.0)
    p = np.array([1.0, 3.0, 2.0, 5.0, 4.0])
    assert kendall_tau(t, p) == pytest.approx(kendalltau(t, p).statistic)
    assert spearman(t, p) == pytest.approx(0.8)
    assert r2(t, t) == 1.0
    assert r2(t, np.full(5, 3.0)) == 0.0


def test_top_tau_uses_best_true_values():
    rng = np.random.default_rng(0)
    t = rng.random(100)
    p = t.copy()
    worst = np.argsort(t)[:90]
    p[worst] = rng.random(90)  # scramble only outside the top 10%
    assert top_kendall_tau(t, p, 0.1) == pytest.approx(1.0)
    assert set(scores(t, p)) == {"kendall_tau", "spearman", "r2", "top10_kendall_tau", "n"}


def test_metric_input_errors():
    with pytest.raises(ValueError, match="same length"):
        kendall_tau([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="at least 2 values"):
        spearman([1], [1])
