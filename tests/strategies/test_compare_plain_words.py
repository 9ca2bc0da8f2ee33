"""The two plain sentences that end a leaderboard say whether the strategies differ and which pairs do."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from strategies.compare_markdown import plain_words


def _result(p_friedman, pairs, skipped=None):
    board = pd.DataFrame({"strategy": ["bohb", "regularized_evolution", "random_search"], "n_seeds": [100] * 3,
                          "final_regret_mean": [1.346, 1.572, 1.682]})
    friedman = {"skipped": skipped} if skipped else {"p_value": p_friedman, "statistic": 1.0, "df": 2}
    return SimpleNamespace(leaderboard=board, stats={"friedman": friedman, "pairwise_wilcoxon": pairs})


def _pair(a, b, holm):
    return {"a": a, "b": b, "p_value_holm": holm, "p_value": holm / 3, "mean_difference": -0.1, "wilcoxon_W": 1.0}


def test_significant_board_names_best_worst_and_the_significant_pairs():
    pairs = [_pair("bohb", "random_search", 0.00255), _pair("bohb", "regularized_evolution", 0.2),
             _pair("regularized_evolution", "random_search", 0.03)]
    text = plain_words(_result(0.00485, pairs), "final regret", "points of test_acc below the best arch")
    assert text == ("In plain words: the strategies differ (Friedman p = 0.0049 over 100 seeds); bohb has the best "
                    "mean final regret (1.35 points of test_acc below the best arch) and random_search the worst "
                    "(1.68). After Holm correction the lead of bohb over random_search and regularized_evolution "
                    "over random_search is significant at 0.05; the other differences could be chance.")


def test_board_that_cannot_tell_strategies_apart_says_so_and_what_to_do():
    text = plain_words(_result(0.0717, [_pair("bohb", "random_search", 0.2)]), "final regret", "points")
    assert text.startswith("In plain words: over 100 seeds the strategies cannot be told apart (Friedman p = 0.0717)")
    assert "more seeds or a larger budget" in text
    assert text.endswith("No pair of strategies differs significantly after Holm correction.")


def test_skipped_test_is_reported_as_no_difference_shown():
    text = plain_words(_result(None, [], skipped="one strategy"), "final regret", "points")
    assert text == "In plain words: no test was possible (one strategy), so this board shows no difference."
