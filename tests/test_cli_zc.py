"""``nasbench zc``: compute (refusals first, then a small table), status, report with its plot, naslib."""

import json
import re

import pytest

pytest.importorskip("torch")

from nasbench.benchmarks import registry  # noqa: E402
from nasbench.cli import main  # noqa: E402
from tests.conftest import require_shared  # noqa: E402

pytestmark = pytest.mark.skipif(registry.table_dir("nb201/digits") is None, reason="nb201/digits is not installed")
SMALL = ["--proxies", "params", "synflow", "nwot", "--n-classes", "3", "--chunk-size", "2"]


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("NASBENCH_DATA", str(tmp_path / "store"))
    return tmp_path / "store"


def _one_line_error(capsys, match):
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert re.search(match, err), err


def test_the_shipped_table_is_written_only_when_named(store, tmp_path, capsys):
    build = tmp_path / "build"
    assert main(["zc", "compute", "nb201/digits", *SMALL, "--build", str(build), "--workers", "0"]) == 2
    _one_line_error(capsys, r"shipped inside the package .* pass --table .*, or --no-merge")
    assert not build.exists()  # refused before any scoring


def test_compute_status_report(store, tmp_path, capsys):
    build, table = tmp_path / "build", store / "nb201" / "digitszc"
    argv = ["zc", "compute", "nb201/digits", *SMALL, "--build", str(build), "--workers", "0", "--table", str(table)]
    assert main(argv) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert json.loads(out[-1]) == {"done": 2, "total": 2, "interrupted": False, "table": str(table)}
    assert main(["zc", "status", "nb201/digits", *SMALL, "--build", str(build)]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["done"] == 2 and set(status["median_s_per_arch"]) == {"params", "synflow", "nwot"}
    plot = tmp_path / "report.png"
    assert main(["zc", "report", "nb201/digitszc", "--plot", str(plot)]) == 0
    text = capsys.readouterr().out
    assert "nb201/digitszc: zero-cost proxies vs valid_acc at fidelity 4" in text
    from nasbench.spaces.nb201 import canonical_ids

    n_members = int((canonical_ids() < 3).sum())  # archs of the 3 scored classes
    rows = {line.split()[0]: int(line.split()[2]) for line in text.splitlines()[2:]}
    assert {p: rows[p] for p in ("params", "synflow", "nwot")} == dict.fromkeys(("params", "synflow", "nwot"), n_members)
    # other zc_* metrics of the source table (the shipped one, once it holds proxies) are kept as they were
    assert all(n == 15625 for p, n in rows.items() if p not in ("params", "synflow", "nwot"))
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["zc", "report", "nb201/digitszc", "--json", "--plot", str(plot)]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert all(-1 <= r["spearman"] <= 1 and 0 <= r["top10_precision"] <= 1 for r in rows)
    # the table's zc_* metrics drive the warm start and the feature experiment (3 classes scored here)
    assert main(["zc", "warmstart", "nb201/digitszc", "--proxy", "synflow", "--n-score", "3", "--top-k", "2",
                 "--seeds", "2", "--time-budget", "30", "--strategies", "random_search"]) == 0
    assert "| random_search | final regret |" in capsys.readouterr().out
    assert main(["zc", "features", "nb201/digitszc", "--fractions", "0.5", "--seeds", "2"]) == 0
    assert re.search(r"\d+ proxies \(table scores\), pool \d+ archs", capsys.readouterr().out)


@pytest.mark.parametrize("argv, match", [
    (["zc", "compute", "nb201/digits", "--proxies", "snap"], "unknown proxy 'snap'"),
    (["zc", "compute", "nb201/cifar10", "--proxies", "snip"], "need a batch of images"),
    (["zc", "compute", "darts/cifar10", "--proxies", "snip"], "builds tables for"),
    (["zc", "report", "nb201/digits"], r"has no zc_\* metrics|no metric"),
])
def test_errors_are_one_line(store, capsys, argv, match):
    if argv[1] == "report" and "zc_synflow" in registry.load("nb201/digits").metrics:
        pytest.skip("the shipped table already holds proxies")
    assert main(argv) == 2
    _one_line_error(capsys, match)


def test_naslib_agreement_of_the_data_free_proxies(tmp_path, capsys):
    root = require_shared("naslib_zc_benchmarks/zc_nasbench201.json")
    out = tmp_path / "agree.json"
    assert main(["zc", "naslib", "--from", str(root), "--proxies", "params", "synflow", "--n-archs", "12",
                 "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    rows = {r["proxy"]: r for r in doc["rows"]}
    assert doc["n_archs"] == 12 and len(doc["scores"]["synflow"]) == 12
    assert rows["params"]["spearman"] >= 0.99 and rows["synflow"]["spearman"] >= 0.95
    assert "synflow" in capsys.readouterr().out


def test_report_and_features_from_naslib_scores(nb201_data_root, tmp_path, capsys):
    root = require_shared("naslib_zc_benchmarks/zc_nasbench201.json")
    plot = tmp_path / "r.png"
    assert main(["zc", "report", "nb201/cifar10", "--naslib", str(root), "--markdown", "--plot", str(plot)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("| proxy | scores | archs |") and len(lines) == 2 + 12
    assert all("| naslib |" in line for line in lines[2:]) and plot.exists()
    out = tmp_path / "f.json"
    assert main(["zc", "features", "nb201/cifar10", "--naslib", str(root), "--fractions", "0.05", "--seeds", "2",
                 "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "pool 724 archs, 2 paired splits" in text and "| 5% (36) |" in text
    doc = json.loads(out.read_text())
    assert len(doc["tau"]["encoding+zc"][0]) == 2 and doc["effects"][0]["with_zc"]["n"] == 2
    assert main(["zc", "features", "nb201/cifar10", "--naslib", str(root), "--seeds", "1"]) == 2
    _one_line_error(capsys, "needs --seeds >= 2")


def test_warmstart_from_naslib_scores(nb201_data_root, tmp_path, capsys):
    root = require_shared("naslib_zc_benchmarks/zc_nasbench201.json")
    out = tmp_path / "w.json"
    argv = ["zc", "warmstart", "nb201/cifar10", "--proxy", "synflow", "--naslib", str(root), "--seeds", "2",
            "--n-score", "30", "--top-k", "3", "--time-budget", "40000", "--strategies", "regularized_evolution",
            "--strategy-params", "regularized_evolution.population_size=5", "--plot", str(tmp_path / "w.png"),
            "--json", str(out)]
    assert main(argv) == 0
    assert (tmp_path / "w.png").read_bytes()[:4] == b"\x89PNG"
    text = capsys.readouterr().out
    assert "synflow warm start (3 best of 30 random archs, scoring charged) vs cold" in text
    assert "| regularized_evolution | anytime regret |" in text
    assert json.loads(out.read_text())["rows"][0]["final"]["diff"]["n"] == 2
    assert main(argv[:-2] + ["--top-k", "31"]) == 2
    _one_line_error(capsys, r"--top-k must be an int in \[1, 30\]")
