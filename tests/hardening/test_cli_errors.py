"""Class 6 of issue 13: every bad invocation ends in one line on stderr and exit status 2, no traceback.

The invocations go through :func:`nasbench.cli.main` in this process, so a traceback would escape
as an exception and fail the test; stderr must then be exactly one line.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hardening.conftest import BENCH, run_main

CMP = ["compare", BENCH, "--strategies", "random_search", "--seeds", "2", "--budget", "5", "--quiet"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Config files and paths that a careless or hostile user may pass."""
    d = tmp_path_factory.mktemp("bad")
    out = {
        "strategies_int": ('{"strategies": 5}', ".json"),
        "params_list": ('{"params": [1, 2]}', ".json"),
        "params_inner": ('{"strategies": ["random_search"], "params": {"random_search": 3}}', ".json"),
        "top_list": ("[1, 2, 3]", ".json"),
        "n_seeds_str": ('{"n_seeds": "50"}', ".json"),
        "n_seeds_float": ('{"n_seeds": 2.5}', ".json"),
        "seed_neg": ('{"seed": -1}', ".json"),
        "budget_bool": ('{"max_evals": true}', ".json"),
        "time_nan": ('{"max_time_s": NaN}', ".json"),
        "objective_list": ('{"objective": ["valid_acc"]}', ".json"),
        "objective_metric": ('{"objective": {"search_metric": 3}}', ".json"),
        "fidelity_str": ('{"objective": {"search_fidelity": "12"}}', ".json"),
        "constraint_int": ('{"constraint": 5}', ".json"),
        "hv_int": ('{"hv_reference": 5, "objectives": "test_acc,params_m"}', ".json"),
        "noise_bad": ('{"noise": "loud"}', ".json"),
        "benchmark_int": ('{"benchmark": 7}', ".json"),
        "workers_zero": ('{"n_workers": 0}', ".json"),
        "bad_toml": ("strategies = [", ".toml"),
        "toml_types": ('strategies = 5\n', ".toml"),
        "unknown_key": ('{"budget": 5}', ".json"),
        "nested": ("[" * 100_000 + "]" * 100_000, ".json"),
        "huge_seeds": ('{"n_seeds": 1000000000000, "strategies": ["random_search"]}', ".json"),
    }
    paths = {}
    for name, (text, suffix) in out.items():
        paths[name] = d / f"{name}{suffix}"
        paths[name].write_text(text)
    paths["latin1"] = d / "latin1.json"
    paths["latin1"].write_bytes('{"benchmark": "nb201/caf\u00e9"}'.encode("latin-1"))
    paths["afile"] = d / "afile"
    paths["afile"].write_text("x")
    paths["folder"] = d
    return paths


def _cases(f):
    return [
        # config files with wrong types, shapes and encodings
        *[["compare", "--config", str(f[k]), "--quiet"] for k in (
            "strategies_int", "params_list", "params_inner", "top_list", "n_seeds_str", "n_seeds_float",
            "seed_neg", "budget_bool", "time_nan", "objective_list", "objective_metric", "fidelity_str",
            "constraint_int", "hv_int", "noise_bad", "benchmark_int", "workers_zero", "bad_toml", "toml_types",
            "unknown_key", "nested", "latin1", "huge_seeds")],
        ["compare", "--config", str(f["folder"])],
        ["compare", "--config", str(f["folder"] / "missing.json")],
        # flag values, in flag terms
        [*CMP, "--seeds", "0"], [*CMP, "--seeds", "1"], [*CMP, "--seeds", "-4"], [*CMP, "--seeds", "abc"],
        [*CMP, "--seeds", "٣"], [*CMP, "--budget", "10**30"], [*CMP, "--budget", "0"], [*CMP, "--budget", "1e9"],
        [*CMP, "--budget", "1" + "0" * 5000], [*CMP, "--time-budget", "-1"], [*CMP, "--time-budget", "nan"],
        [*CMP, "--time-budget", "inf"], [*CMP, "--workers", "-1"], [*CMP, "--workers", "0"],
        [*CMP, "--jobs", "-3"], [*CMP, "--jobs", "0"], [*CMP, "--seed", "-1"], [*CMP, "--strategies", "nope"],
        [*CMP, "--strategies", ","], [*CMP, "--constraint", "test_acc > 94"], [*CMP, "--constraint", "x"],
        [*CMP, "--hv-reference", "a,b"], [*CMP, "--objectives", "nope"], [*CMP, "--search-metric", "nope"],
        [*CMP, "--search-fidelity", "-1"], [*CMP, "--overwrite"], [*CMP, "--address", "auto"],
        [*CMP, "--no-such-flag"], ["compare", "nope/nope", "--seeds", "2", "--budget", "5"],
        # destinations
        [*CMP, "--out", str(f["afile"])], [*CMP, "--out", str(f["afile"] / "sub")],
        [*CMP, "--out", str(f["folder"])], [*CMP, "--out", "/proc/nasbench-out"],
        # queries
        ["query", BENCH, "²", "--metric", "test_acc"], ["query", BENCH, "٣", "--metric", "test_acc"],
        ["query", BENCH, "99999", "--metric", "test_acc"], ["query", BENCH, "-1", "--metric", "test_acc"],
        ["query", BENCH, "1" * 40, "--metric", "test_acc"], ["query", BENCH, "|x~0|", "--metric", "test_acc"],
        ["query", BENCH, "1", "--metric", "nope"], ["query", BENCH, "1", "--metric", "test_acc", "--fidelity", "nan"],
        ["query", BENCH, "1", "--metric", "test_acc", "--fidelity", "1e400"],
        ["query", BENCH, "1", "--metric", "test_acc", "--fidelity", "7"],
        ["query", BENCH, "1", "--metric", "test_acc", "--seed", "-2"], ["query", "nope", "1", "--metric", "x"],
        ["info", "nope/nope"], ["nope"],
        # validate and search
        ["validate"], ["validate", str(f["folder"])], ["validate", str(f["afile"])],
        ["validate", "--archs", "1,2", "--top", "0"], ["validate", "--archs", "1", "--jobs", "-1"],
        ["validate", "--archs", "1", "--epochs", "0", "--out", str(f["folder"] / "v")],
        ["validate", "--archs", "1", "--lr", "-0.1", "--out", str(f["folder"] / "v")],
        ["validate", "--archs", "1", "--out", str(f["afile"])],
        ["search", "nope"], ["search", "darts", "--seeds", "0"], ["search", "darts", "--jobs", "-3"],
        ["search", "darts", "--epochs", "0"], ["search", "darts", "--merge-into", str(f["folder"])],
        ["search", "darts", "--out", str(f["afile"])],
        # surrogates
        ["surrogate", "fit", BENCH, "--params", '{"n_estimators": -1}'],
        ["surrogate", "fit", BENCH, "--params", "[1]"], ["surrogate", "fit", BENCH, "--params", '{"nope": 1}'],
        ["surrogate", "fit", BENCH, "--params", '{"max_depth": 2.5}'],
        ["surrogate", "fit", BENCH, "--model", "mlp", "--params", '{"epochs": 0}'],
        ["surrogate", "fit", BENCH, "--train-fraction", "2"], ["surrogate", "fit", BENCH, "--members", "-1"],
        ["surrogate", "evaluate", BENCH, "--train-fractions", "0.1,x"], ["surrogate", "evaluate", BENCH, "--seeds", ""],
        ["surrogate", "check", BENCH, "--budget", "0"],
        # found by the audit: endless or special config files, time budgets, process and thread counts, sizes
        ["compare", "--config", "/dev/zero", "--quiet"],
        ["compare", BENCH, "--strategies", "random_search", "--seeds", "2", "--time-budget", "1e13", "--quiet"],
        ["generate", "--workers", "-1"], ["generate", "--status", "--build", str(f["folder"] / "missing")],
        ["latency", "measure", "--archs", "1", "--threads", "0", "--no-save"],
        ["latency", "measure", "--archs", "1", "--threads", "100000", "--no-save"],
        ["latency", "measure", "--archs", "1", "--input-size", "100000", "--no-save"],
        ["latency", "measure", "--archs", "1", "--batch-size", "100000000", "--no-save"],
        ["latency", "measure", "--plan", "/dev/zero", "--no-save"],
        ["latency", "measure", "--plan", str(f["latin1"]), "--no-save"],
        ["surrogate", "fit", BENCH, "--train-indices", "/dev/zero"],
        ["surrogate", "fit", BENCH, "--train-indices", str(f["folder"])],
    ]


def test_every_bad_invocation_is_one_line_with_status_2(files, capsys):
    failures = []
    for argv in _cases(files):
        status, _, err = run_main(argv, capsys)
        lines = err.splitlines()
        if status != 2 or len(lines) != 1 or "Traceback" in err or "internal error" in err:
            failures.append((argv[:6], status, err[:300]))
    assert not failures, "\n".join(map(str, failures))


def test_errors_name_the_flag_not_the_python_argument(files, capsys):
    for argv, flag in (([*CMP, "--seeds", "1"], "--seeds"), ([*CMP, "--workers", "-1"], "--workers"),
                       ([*CMP, "--jobs", "-3"], "--jobs"), ([*CMP, "--budget", "10**30"], "--budget"),
                       ([*CMP, "--time-budget", "0"], "--time-budget"),
                       (["compare", "--config", str(files["strategies_int"])], "--strategies"),
                       (["compare", "--config", str(files["workers_zero"])], "--workers"),
                       ([*CMP, "--out", str(files["afile"])], "--out"),
                       (["surrogate", "fit", BENCH, "--params", '{"n_estimators": -1}'], "--params")):
        status, _, err = run_main(argv, capsys)
        assert status == 2 and flag in err, (argv, err)
    status, _, err = run_main(["compare", "--config", str(files["strategies_int"])], capsys)
    assert "got 5 of type int" in err  # what was given
    assert "nested too deeply" in run_main(["compare", "--config", str(files["nested"])], capsys)[2]
    assert "not UTF-8" in run_main(["compare", "--config", str(files["latin1"])], capsys)[2]


def test_debug_shows_the_traceback(capsys):
    from nasbench.errors import NasbenchError

    with pytest.raises(NasbenchError, match="one finished compare run|no manifest"):
        run_main(["--debug", "validate", "/"], capsys)


def test_a_bug_is_one_line_with_status_1(monkeypatch, capsys):
    """Anything that is not a user error is reported as a bug, still in one line."""
    from nasbench.cli import query_cmd

    monkeypatch.setattr(query_cmd, "run", lambda args: {}["boom"])
    status, _, err = run_main(["query", BENCH, "1", "--metric", "test_acc"], capsys)
    assert status == 1 and len(err.splitlines()) == 1 and "internal error (KeyError" in err and "--debug" in err


_FLAGS = ["--seeds", "--seed", "--budget", "--time-budget", "--workers", "--jobs", "--search-fidelity",
          "--report-fidelity", "--constraint", "--strategies", "--hv-reference", "--objectives"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flag=st.sampled_from(_FLAGS), value=st.one_of(
    st.text(min_size=1, max_size=12).filter(lambda t: not t.startswith("-") and "\x00" not in t),
    st.sampled_from(["-1", "0", "1e999", "nan", "-inf", "10**9", "0x10", "١٢", "²", " ", "1,", ",,", "1e9"])))
def test_any_flag_value_is_accepted_or_one_line(flag, value, capsys):
    """Property: for any text as a compare flag value, the CLI runs or refuses in one line (status 2)."""
    argv = ["compare", BENCH, "--strategies", "random_search", "--seeds", "2", "--budget", "3", "--quiet",
            flag, value]
    if flag in ("--seeds", "--budget"):  # the flag given twice: argparse keeps the last
        argv = argv[:4] + argv[8:]
    status, _, err = run_main(argv, capsys)
    assert status in (0, 2), err
    if status == 2:
        assert len(err.splitlines()) == 1 and "Traceback" not in err, err


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(config=st.dictionaries(
    st.sampled_from(["strategies", "params", "n_seeds", "seed", "max_evals", "max_time_s", "n_workers", "objective",
                     "constraint", "objectives", "hv_reference", "noise", "benchmark"]),
    st.recursive(st.none() | st.booleans() | st.integers(-3, 6) | st.just(10**15) | st.floats() | st.text(max_size=8),
                 lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                 max_leaves=6), max_size=4))
def test_any_config_file_is_accepted_or_one_line(config, tmp_path_factory, capsys):
    """Property: any JSON config runs or is refused in one line with status 2."""
    path = tmp_path_factory.mktemp("cfg") / "c.json"
    small = {"strategies": ["random_search"], "n_seeds": 2, "max_evals": 3}  # absent keys: a run of a moment
    path.write_text(json.dumps({**small, **config}))
    status, _, err = run_main(["compare", "--config", str(path), "--quiet"], capsys)
    assert status in (0, 2), err
    if status == 2:
        assert len(err.splitlines()) == 1 and "Traceback" not in err, err
