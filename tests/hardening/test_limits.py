"""Class 8 of issue 13: work that cannot fit is refused before it starts; processes are capped at the CPUs."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nasbench.cli._args import available_cpus, n_processes
from nasbench.errors import NasbenchError
from strategies._limits import BYTES_PER_EVAL, available_memory, check_fits
from tests.hardening.conftest import BENCH, run_main, small_config


@pytest.mark.parametrize("kw", [dict(n_seeds=10**12), dict(max_evals=10**9, n_seeds=100),
                                dict(max_evals=10**30), dict(n_seeds=10**6, max_evals=10**6)])
def test_huge_comparisons_are_refused_at_once(kw):
    t = time.perf_counter()
    with pytest.raises(NasbenchError, match=r"needs about .* of memory .* are available .* Split the work"):
        small_config(**kw)
    assert time.perf_counter() - t < 1.0  # sized, not attempted


def test_cli_names_the_limit_and_the_split(capsys):
    status, _, err = run_main(["compare", BENCH, "--strategies", "random_search", "--seeds", "2",
                               "--budget", "1000000000"], capsys)
    assert status == 2 and len(err.splitlines()) == 1
    assert "evaluations" in err and "available" in err and "--budget" in err


@settings(max_examples=200, deadline=None)
@given(n_strategies=st.integers(1, 12), n_seeds=st.integers(2, 10**7), max_evals=st.integers(1, 10**7),
       available=st.integers(10**6, 2**40))
def test_refused_exactly_when_the_estimate_exceeds_the_share(n_strategies, n_seeds, max_evals, available):
    """Property: refusal iff estimate > 80% of the memory; a refusal's advice fits the memory."""
    need = BYTES_PER_EVAL * n_strategies * n_seeds * max_evals
    if need > 0.8 * available:
        with pytest.raises(NasbenchError, match="Split the work") as info:
            check_fits(n_strategies, n_seeds, max_evals, available=available)
        text = str(info.value)
        if "seeds (n_seeds, --seeds) per comparison" in text:  # the advice itself must fit
            fit = int(text.split("at most ")[1].split(" seeds")[0])
            assert 2 <= fit < n_seeds and BYTES_PER_EVAL * n_strategies * fit * max_evals <= 0.8 * available
    else:
        assert check_fits(n_strategies, n_seeds, max_evals, available=available) == need


def test_available_memory_is_known_here():
    have = available_memory()
    assert have is None or have > 0


def test_a_normal_comparison_passes():
    assert small_config(n_seeds=50, max_evals=100).n_seeds == 50


@pytest.mark.parametrize("jobs", [1, 2, 32, 10_000])
def test_jobs_are_capped_at_the_cpus_unless_asked(jobs, capsys):
    cpus = available_cpus()
    assert n_processes(jobs, False) == min(jobs, cpus)
    assert n_processes(jobs, True) == jobs
    err = capsys.readouterr().err
    assert ("capped at the" in err) == (jobs > cpus)
    assert n_processes(None, False) is None and n_processes(None, False, default=1) == 1


@pytest.mark.parametrize("argv", [["compare", BENCH, "--jobs", "-3"], ["compare", BENCH, "--jobs", "0"],
                                  ["validate", "--archs", "1", "--jobs", "-1"], ["search", "darts", "--jobs", "0"]])
def test_nonpositive_jobs_are_refused(argv, capsys):
    status, _, err = run_main(argv, capsys)
    assert status == 2 and "argument --jobs: expected an int >= 1" in err


def test_cli_caps_jobs_and_says_so(capsys):
    status, out, err = run_main(["compare", BENCH, "--strategies", "random_search", "--seeds", "2", "--budget", "5",
                                 "--jobs", "4096", "--quiet"], capsys)
    assert status == 0 and f"--jobs 4096 capped at the {available_cpus()} CPU(s)" in err
