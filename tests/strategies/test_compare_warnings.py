"""compare's first words: a bad metric or fidelity is the only line printed; a search on a test-set
metric is allowed but said out loud (stderr and the leaderboard)."""

from __future__ import annotations

from nasbench.cli import main


def test_a_bad_fidelity_is_the_only_line(capsys):
    assert main(["compare", "nb201/digits", "--search-fidelity", "7", "--seeds", "2", "--budget", "5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "has no fidelity 7; expected one of 1, 2, 3, 4" in err[0]


def test_a_search_on_a_test_metric_is_said_out_loud(capsys):
    assert main(["compare", "nb201/digits", "--search-metric", "test_acc", "--strategies",
                 "random_search,local_search", "--seeds", "2", "--budget", "5", "--quiet"]) == 0
    out = capsys.readouterr()
    assert "warning: the search steers on test_acc, a test-set metric" in out.err
    assert "Search on test_acc (a test-set metric: the search sees the test set" in out.out
