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


def test_bootstrap_interval_stays_in_the_range_of_the_values():
    """Regret values near 0 with one outlier: a t-interval goes below 0, the bootstrap one cannot."""
    x = np.array([0.0, 0.0, 0.0, 0.1, 0.0, 6.0])
    assert lb.mean_ci(x)[1] < 0.0
    iv = lb.Bootstrap(6, np.random.SeedSequence(0)).interval(x)
    assert 0.0 <= iv.low <= iv.mean <= iv.high <= 6.0 and iv.n == 6
    assert iv.mean == pytest.approx(x.mean())
    y = np.random.default_rng(0).random(6)
    first = lb.Bootstrap(6, np.random.SeedSequence(0)).interval(y)
    assert first == lb.Bootstrap(6, np.random.SeedSequence(0)).interval(y)
    assert first != lb.Bootstrap(6, np.random.SeedSequence(1)).interval(y)  # drawn from the given seed only


def test_bootstrap_interval_covers_the_mean_like_the_t_interval_on_normal_data():
    x = np.random.default_rng(3).normal(10.0, 2.0, 40)
    iv = lb.Bootstrap(40, 5).interval(x)
    _, low, high = lb.mean_ci(x)
    assert iv.low == pytest.approx(low, abs=0.15) and iv.high == pytest.approx(high, abs=0.15)


def test_bootstrap_band_per_column_with_missing_values():
    m = np.array([[1.0, np.nan, 3.0], [2.0, np.nan, np.nan], [3.0, np.nan, 5.0]])
    mean, low, high = lb.Bootstrap(3, 0).band(m)
    np.testing.assert_allclose(mean, [2.0, np.nan, 4.0])
    assert np.isnan(low[1]) and np.isnan(high[1])
    assert 1.0 <= low[0] <= 2.0 <= high[0] <= 3.0 and 3.0 <= low[2] <= high[2] <= 5.0
    with pytest.raises(ValueError, match=r"expected an array of shape \(3, n_points\); got \(2, 3\)"):
        lb.Bootstrap(3, 0).band(m[:2])


def test_one_seed_prints_a_note_not_an_interval():
    one = lb.Bootstrap(1, 0).interval([5.051])
    assert (one.mean, one.low, one.high, one.n) == (5.051, 5.051, 5.051, 1)
    assert one.text() == "5.051 (1 seed: no interval)"
    assert lb.Interval(1.0, 0.5, 1.5, 4).text(2) == "1.00 [0.50, 1.50]"
    assert lb.NAN_INTERVAL.text() == "n/a"
    assert lb.Interval.t([2.0]).text() == "2.000 (1 seed: no interval)"


def test_leaderboard_row_columns():
    row = lb.LeaderboardRow("rs", 3, final_regret=lb.Interval(1.0, 0.5, 2.0, 3), mean_rank=1.5, rank=2,
                            extra={"hypervolume_mean": 0.5})
    rec = row.record()
    assert list(rec)[:6] == ["rank", "strategy", "n_seeds", "final_regret_mean", "final_regret_ci_low",
                             "final_regret_ci_high"]
    assert rec["rank"] == 2 and rec["mean_rank"] == 1.5 and list(rec)[-1] == "hypervolume_mean"
    assert math.isnan(rec["auc_regret_mean"])


def test_competition_ranks_share_places():
    assert lb.competition_ranks([0.1, 0.2, 0.2, 0.5]) == [1, 2, 2, 4]


def test_markdown_cells_escape_pipes_of_arch_strings():
    from strategies.report_html import _cells, _markdown_to_html

    arch = "|nor_conv_3x3~0|+|skip_connect~0|none~1|"
    lines = lb.markdown_table(["#", "arch"], [[1, arch], [2, "a\\b"]])
    assert lines[2] == "| 1 | \\|nor_conv_3x3~0\\|+\\|skip_connect~0\\|none~1\\| |"
    assert [len(_cells(line)) for line in lines] == [2, 2, 2, 2]  # the table keeps its two columns
    assert _cells(lines[2]) == ["1", arch] and _cells(lines[3]) == ["2", "a\\b"]
    page = _markdown_to_html("\n".join(lines))
    assert f"<td>{arch}</td>" in page and page.count("<td>") == 4


def test_pairwise_summary_counts_significant_pairs():
    rows = [{"p_value_holm": p} for p in (0.01, 0.2, 0.04, 0.5)]
    assert lb.pairwise_summary(rows) == "4 pairs: 2 significant at 0.05 after Holm correction"


def test_bootstrap_fast_path_equals_numpy_percentiles():
    m = np.random.default_rng(2).normal(size=(12, 30))
    boot = lb.Bootstrap(12, 4, n_resamples=999)
    _, low, high = boot.band(m)
    means = boot.weights @ m / 12
    np.testing.assert_allclose(low, np.percentile(means, 2.5, axis=0), rtol=0, atol=1e-12)
    np.testing.assert_allclose(high, np.percentile(means, 97.5, axis=0), rtol=0, atol=1e-12)
