import math

import numpy as np
import pytest
from scipy import stats

from strategies import leaderboard as lb


def test_mean_ci_matches_the_t_interval():
    x = np.array([1.0, 2.0, 4.0, 7.0])
    mean, low, high = lb.mean_ci(x)
    ref = stats.t.interval(0.95, 3, loc=x.mean(), scale=stats.sem(x))
    assert mean == pytest.approx(3.5)
    assert (low, high) == pytest.approx(ref)
    assert lb.mean_ci([2.0]) == (2.0, 2.0, 2.0)


def test_grids_and_auc():
    regret = np.array([5.0, 3.0, 3.0, 1.0])
    np.testing.assert_array_equal(lb.regret_on_eval_grid(regret, 6), [5, 3, 3, 1, 1, 1])
    np.testing.assert_array_equal(lb.regret_on_eval_grid(regret, 2), [5, 3])
    got = lb.regret_on_time_grid(np.array([10.0, 20, 30, 40]), regret, np.array([5.0, 10, 25, 100]))
    np.testing.assert_array_equal(got, [np.nan, 5, 3, 1])
    assert lb.normalized_auc(np.array([np.nan, 4.0, 2.0])) == pytest.approx(10 / 3)
    assert math.isnan(lb.normalized_auc(np.array([np.nan])))


def test_ranks_friedman_and_cd():
    rng = np.random.default_rng(0)
    scores = rng.random((20, 4)) + np.array([0.0, 0.2, 0.4, 0.6])
    ranks = lb.rank_matrix(scores)
    np.testing.assert_allclose(ranks.sum(axis=1), 10.0)
    assert lb.rank_matrix(np.array([[1.0, 1.0, 2.0]])).tolist() == [[1.5, 1.5, 3.0]]
    fr = lb.friedman(scores)
    ref = stats.friedmanchisquare(*scores.T)
    assert fr["statistic"] == pytest.approx(ref.statistic)
    assert fr["p_value"] == pytest.approx(ref.pvalue)
    assert "skipped" in lb.friedman(scores[:, :2])
    assert lb.friedman(np.ones((5, 3)))["p_value"] == 1.0
    # Demsar (2006), Table 5: q_0.05 = 2.343 (k=3), 2.728 (k=5)
    assert lb.critical_difference(10, 3) == pytest.approx(2.343 * math.sqrt(3 * 4 / 60), abs=2e-3)
    assert lb.critical_difference(30, 5) == pytest.approx(2.728 * math.sqrt(5 * 6 / 180), abs=2e-3)


def test_holm_and_pairwise():
    assert lb.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    scores = np.column_stack([np.arange(12.0), np.arange(12.0) + 1.0, np.arange(12.0)])
    rows = lb.pairwise_wilcoxon(scores, ["a", "b", "c"])
    assert [(r["a"], r["b"]) for r in rows] == [("a", "b"), ("a", "c"), ("b", "c")]
    assert rows[1]["p_value"] == 1.0 and rows[1]["mean_difference"] == 0.0
    assert rows[0]["p_value"] < 0.01
    assert all(r["p_value_holm"] >= r["p_value"] for r in rows)
