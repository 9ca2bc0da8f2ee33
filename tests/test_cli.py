"""The command line, run in-process through ``main`` and, for the entry point, as a subprocess."""

import json
import math
import os
import subprocess
import sys

import pytest

from nasbench.cli import main

BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"


def test_query_json_gives_the_reference_value(nb201_data_root, capsys):
    assert main(["query", "nb201/cifar10", "6111", "--metric", "test_acc", "--fidelity", "200", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert round(row["value"], 3) == 94.373
    assert row["arch"] == BEST and row["arch_index"] == 6111 and row["unit"] == "%" and row["fidelity"] == 200
    assert main(["query", "nb201/cifar10", BEST, "--metric", "test_acc", "--fidelity", "200", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["value"] == row["value"]


def test_query_several_archs_and_a_seed(nb201_data_root, capsys):
    assert main(["query", "nb201/cifar10", "0", "1", "--metric", "train_time_s", "--fidelity", "12", "--seed", "3"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == ["0", "1"]


@pytest.mark.parametrize(
    "argv, match",
    [
        (["query", "nb201/cifar10", "6111", "--metric", "test_ac"], "no metric 'test_ac'"),
        (["query", "nb201/cifar10", "15625", "--metric", "test_acc"], r"in \[0, 15624\]; got 15625"),
        (["query", "nb201/cifar10", "|x~0|", "--metric", "test_acc"], "3 node groups"),
        (["query", "nb201/cifar10", "1", "--metric", "test_acc", "--fidelity", "13"], "no fidelity 13"),
        (["query", "nb201/cifar10", "5000", "--metric", "train_time_s"], "covers 1000 of 15625"),
        (["query", "nb201/nope", "1", "--metric", "test_acc"], "unknown benchmark 'nb201/nope'"),
        (["info", "nb201"], "look like 'SPACE/DATASET'"),
        (["data", "import", "nb999", "--from", "."], "unknown import source 'nb999'; expected one of 'nb201'"),
        (["data", "import", "nb201", "--from", "/no/such/dir"], "is not a folder"),
    ],
)
def test_errors_are_one_line_without_traceback(nb201_data_root, capsys, argv, match):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith(f"nasbench {argv[0]}: error: ")
    import re

    assert re.search(match, err)


def test_debug_shows_the_exception(nb201_data_root):
    from nasbench.errors import UnknownNameError

    with pytest.raises(UnknownNameError):
        main(["--debug", "query", "nb201/cifar10", "1", "--metric", "nope"])


def test_list_info_verify(nb201_data_root, capsys):
    assert main(["list"]) == 0
    assert "nb201/cifar10" in capsys.readouterr().out
    assert main(["list", "--json"]) == 0
    assert {r["name"] for r in json.loads(capsys.readouterr().out)} >= {"nb201/cifar10", "nb201/cifar100"}
    assert main(["info", "nb201/cifar10"]) == 0
    out = capsys.readouterr().out
    assert "valid_acc [%, higher is better]" in out and "cifar10-valid" in out and "sha256" in out
    assert main(["info", "nb201/cifar10", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "nb201/cifar10"
    assert main(["data", "verify", "nb201/cifar100"]) == 0
    assert "files match their sha256" in capsys.readouterr().out


def test_info_opens_with_a_short_summary_in_plain_words(capsys):
    assert main(["info", "nb201/digits"]) == 0
    lines = capsys.readouterr().out.splitlines()
    head = lines[: lines.index("details:")]
    assert len(head) <= 8, head  # short: everything else comes below "details:"
    assert head[0] == "nb201/digits: embedded benchmark over the nb201 space (15625 archs)"
    assert head[1].startswith("  what: scikit-learn digits")
    assert "  search: valid_acc [%, higher is better] at fidelity 4 (training epochs)" in head
    assert ("  noise: an evaluation draws one of 2 equally likely outcomes per arch (training seeds; `--noise mean` "
            "uses their mean)") in head
    assert any(line.startswith("  cost: median 1.") and line.endswith("simulated s per evaluation (measured)") for line in head)
    assert "  best test_acc: 98.65 (arch 11428, fidelity 4)" in head


def test_info_summary_of_a_benchmark_without_validation_metric_says_what_to_do(capsys):
    from nasbench.cli.info_cmd import summary_lines

    class NoValidation:
        name, kind, enumerable, n_archs, live = "x/y", "tabular", True, 3, False
        space = type("S", (), {"name": "toy"})()
        metrics = {"test_acc": None}

        def default_search_metric(self):
            return None

    lines = summary_lines(NoValidation(), {"info": {"about": "A toy. More words."}, "dataset": "toyset"})
    assert lines == ["x/y: tabular benchmark over the toy space (3 archs)", "  what: toyset; A toy",
                     "  search: no validation metric; choose one knowingly with --search-metric",
                     "  metrics: test_acc (details below)"]


def test_errors_on_the_command_line_name_flags_not_python_arguments(nb201_data_root, capsys):
    assert main(["query", "nb201/cifar10", "5000", "--metric", "train_time_s"]) == 2
    err = capsys.readouterr().err
    assert "pass --missing nan to get NaN instead" in err and "missing=" not in err
    assert main(["query", "nb201/cifar10", "5000", "--metric", "train_time_s", "--missing", "nan", "--json"]) == 0
    assert math.isnan(json.loads(capsys.readouterr().out)["value"])  # NaN, nothing imputed


def test_in_cli_terms_translates_only_keywords_the_command_has_as_flags():
    import argparse

    from nasbench.cli import in_cli_terms

    parser = argparse.ArgumentParser()
    for flag in ("--seed", "--device", "--missing", "--seeds"):
        parser.add_argument(flag)
    assert in_cli_terms("pass missing='nan' or seed=0.", parser) == "pass --missing nan or --seed 0."
    assert in_cli_terms("pass device= one of 'a', 'b'", parser) == "pass --device one of 'a', 'b'"
    assert in_cli_terms("n_seeds=3 is too few", parser) == "--seeds 3 is too few"
    assert in_cli_terms("use engine='numpy' (API only)", parser) == "use engine='numpy' (API only)"


def test_data_import_writes_the_store(tmp_path, shared_data, capsys):
    assert main(["data", "import", "nb201", "--from", str(shared_data), "--to", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "wrote nb201/imagenet16-120" in out and "train_time_s" in out
    assert (tmp_path / "nb201/cifar10/manifest.json").is_file()


def test_entry_point_runs_and_no_command_prints_help(nb201_data_root):
    env = dict(os.environ)
    proc = subprocess.run([sys.executable, "-m", "nasbench", "query", "nb201/cifar10", "6111", "--metric", "test_acc",
                           "--json"], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert round(json.loads(proc.stdout)["value"], 3) == 94.373
    proc = subprocess.run([sys.executable, "-m", "nasbench"], capture_output=True, text=True, env=env)
    assert proc.returncode == 2 and "COMMAND" in proc.stdout


def test_import_nasbench_loads_neither_torch_nor_xgboost_nor_numba():
    code = ("import sys, nasbench; nasbench.load; import nasbench.cli; "
            "print(sorted(m for m in ('torch', 'xgboost', 'numba', 'pandas') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"
