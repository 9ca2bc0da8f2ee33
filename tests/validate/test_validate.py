"""nasbench validate: top picks of a compare run trained for real on digits, report with tau and errors."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

pytest.importorskip("torch", reason="the training backend needs torch")

from nasbench.errors import (
    InvalidArchError,
    MissingDataError,
    NasbenchError,
    UnknownNameError,
)
from strategies.validate import picks_from_run, validate
from strategies.validate_config import ValidateConfig
from strategies.validate_jobs import train_task
from strategies.validate_report import write_report


def _digits_table_missing() -> bool:
    from nasbench.benchmarks.registry import table_dir

    return table_dir("nb201/digits") is None


@pytest.fixture(scope="module")
def compare_run(validate_data_root, tmp_path_factory):
    from strategies.compare import CompareConfig, run_compare, write_outputs

    out = tmp_path_factory.mktemp("compare_run")
    config = CompareConfig(benchmark="nb201/cifar10", strategies=("random_search", "local_search"), n_seeds=4,
                           max_evals=15)
    write_outputs(run_compare(config, n_jobs=1), out, plots=False, parquet=False)
    return out


def test_picks_are_the_best_distinct_final_incumbents(compare_run, nb201_cifar10):
    picks = picks_from_run(compare_run, top_k=3)
    with open(compare_run / "summary.csv") as fh:
        rows = list(csv.DictReader(fh))
    finals = {int(r["final_incumbent_index"]) for r in rows}
    values = {a: float(nb201_cifar10.query(a, "test_acc", 200)) for a in finals}
    assert picks["benchmark"] == "nb201/cifar10"
    assert len(picks["archs"]) == min(3, len(finals))
    assert [values[a] for a in picks["archs"]] == sorted(values.values(), reverse=True)[:len(picks["archs"])]
    assert all(set(picks["picked_by"][a]) <= {"random_search", "local_search"} for a in picks["archs"])


def test_validate_top3_end_to_end_via_cli(compare_run, nb201_cifar10, tmp_path):
    from nasbench.benchmarks.latency import load_latency
    from nasbench.cli import main
    from surrogates.metrics import kendall_tau

    out = tmp_path / "report"
    status = main(["validate", str(compare_run), "--top", "3", "--epochs", "1", "--latency-repeats", "3",
                   "--device", "cpu", "--out", str(out)])
    assert status == 0
    names = {p.name for p in out.iterdir()}
    assert {"validate.csv", "validate.md", "validate.json"} <= names
    report = json.loads((out / "validate.json").read_text())
    rows = report["rows"]
    picks = picks_from_run(compare_run, 3)["archs"]
    assert [r["arch_index"] for r in rows] == picks
    predicted = nb201_cifar10.query(picks, "test_acc", 200)
    np.testing.assert_allclose([r["predicted_acc"] for r in rows], predicted)
    lat = load_latency("nb201").query(picks, "gold_6240")
    np.testing.assert_allclose([r["predicted_latency_ms"] for r in rows], lat)
    assert s_abs(rows)
    for r in rows:
        assert 0 <= r["measured_acc"] <= 100 and r["measured_latency_ms"] > 0
        assert r["abs_err_acc"] == pytest.approx(abs(r["measured_acc"] - r["predicted_acc"]))
    s = report["summary"]
    assert s["mae_acc"] == pytest.approx(np.mean([r["abs_err_acc"] for r in rows]))
    if len(rows) >= 2 and len({r["measured_acc"] for r in rows}) > 1 and len({r["predicted_acc"] for r in rows}) > 1:
        assert s["kendall_tau_acc"] == pytest.approx(
            kendall_tau([r["predicted_acc"] for r in rows], [r["measured_acc"] for r in rows]))
    assert "Kendall tau, accuracy" in (out / "validate.md").read_text()
    pytest.importorskip("matplotlib")
    assert (out / "validate_scatter.png").read_bytes()[:4] == b"\x89PNG"


def s_abs(rows) -> bool:
    return all(r["abs_err_latency_ms"] == pytest.approx(abs(r["measured_latency_ms"] - r["predicted_latency_ms"]))
               for r in rows)


def test_validate_archs_ranks_a_good_cell_above_an_empty_one(validate_data_root, tmp_path):
    # 6111 is NB201's best CIFAR-10 cell; the all-none cell makes the network output a constant
    config = ValidateConfig(device="cpu", epochs=1, latency_repeats=0)
    a = validate(["|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", 6111], "nb201/cifar10", config)
    assert np.isnan(a["rows"][0]["measured_latency_ms"])
    assert a["rows"][0]["measured_acc"] < 30 < a["rows"][1]["measured_acc"]
    assert [r["predicted_rank"] for r in a["rows"]] == [2, 1] == [r["measured_rank"] for r in a["rows"]]
    assert a["summary"]["kendall_tau_acc"] == pytest.approx(1.0)
    assert write_report(a, tmp_path, plot=False) == ["validate.csv", "validate.json", "validate.md"]


def test_train_task_reports_what_it_trained():
    config = ValidateConfig(device="cpu", epochs=1, latency_repeats=2, latency_where="task")
    out = train_task({"arch_index": 6111, "seed": 1, "config": config.to_dict()})
    assert out["arch_index"] == 6111 and out["seed"] == 1 and out["device"] == "cpu"
    assert out["latency_ms"] > 0 and out["params_m"] > 0
    # by default the job leaves the timing to the validate process
    config = ValidateConfig(device="cpu", epochs=1, latency_repeats=2)
    assert np.isnan(train_task({"arch_index": 6111, "seed": 1, "config": config.to_dict()})["latency_ms"])


@pytest.mark.skipif(_digits_table_missing(), reason="nb201/digits is not generated yet (nasbench generate)")
def test_tied_predictions_get_a_note_and_the_digits_network_is_timed():
    from strategies.validate_config import NB201_CIFAR_NETWORK

    # 53 and 954 are one isomorphism class, so nb201/digits predicts the same accuracy and latency
    config = ValidateConfig.digits_table_setup(epochs=1, latency_repeats=2)
    report = validate([53, 954], "nb201/digits", config)
    rows = report["rows"]
    assert rows[0]["predicted_acc"] == rows[1]["predicted_acc"]
    assert np.isnan(report["summary"]["kendall_tau_acc"]) and np.isnan(report["summary"]["kendall_tau_latency"])
    assert sum("is undefined (NaN): every predicted_acc is" in n for n in report["notes"]) == 1
    assert "C=8, N=2 network at 1x8x8" in report["summary"]["measured_latency"]
    # another network size than the table's: the table's latency no longer describes it
    report = validate([53], "nb201/digits", ValidateConfig.digits_table_setup(epochs=1, C=4, latency_repeats=0))
    C, N, shape = NB201_CIFAR_NETWORK
    assert f"C={C}, N={N} network at {'x'.join(map(str, shape))}" in report["summary"]["measured_latency"]
    assert not report["summary"]["predicted_latency"].startswith("nb201/digits")


def test_validate_errors(tmp_path, validate_data_root):
    with pytest.raises(MissingDataError, match="holds no finished compare run"):
        picks_from_run(tmp_path)
    with pytest.raises(NasbenchError, match="top_k must be an int >= 1; got 0"):
        picks_from_run(tmp_path, 0)
    with pytest.raises(UnknownNameError, match="unknown dataset 'mnist'"):
        ValidateConfig(dataset="mnist")
    with pytest.raises(NasbenchError, match="dataset 'cifar10' needs data_dir"):
        ValidateConfig(dataset="cifar10")
    with pytest.raises(NasbenchError, match="ValidateConfig.epochs must be an int >= 1; got 0"):
        ValidateConfig(epochs=0)
    with pytest.raises(NasbenchError, match="ValidateConfig.C must be None or an int >= 1; got 0"):
        ValidateConfig(C=0)
    with pytest.raises(NasbenchError, match="config must be a ValidateConfig; got dict"):
        validate([5], "nb201/cifar10", {"epochs": 1})
    with pytest.raises(UnknownNameError, match="latency_where must be 'driver' or 'task'; got 'gpu'"):
        ValidateConfig(latency_where="gpu")
    with pytest.raises(NasbenchError, match="at least one arch"):
        validate([], "nb201/cifar10")
    with pytest.raises(NasbenchError, match="archs must be distinct"):
        validate([5, 5], "nb201/cifar10")
    with pytest.raises(InvalidArchError):
        validate([99999], "nb201/cifar10")
    with pytest.raises(UnknownNameError, match="unknown latency device 'abacus'"):
        validate([5], "nb201/cifar10", ValidateConfig(epochs=1, latency_device="abacus", latency_repeats=0))
    with pytest.raises(MissingDataError, match="CIFAR-10 batch file"):
        validate([5], "nb201/cifar10", ValidateConfig(dataset="cifar10", data_dir=str(tmp_path), epochs=1))


def test_scatter_without_matplotlib_names_the_extra(monkeypatch, tmp_path):
    import re
    import sys

    from nasbench.errors import OptionalDependencyError, install_hint
    from strategies.validate_report import _scatter

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(OptionalDependencyError, match="scatter plot needs matplotlib .*" + re.escape(install_hint("report"))):
        _scatter(tmp_path / "s.png", [], {})


def test_digits_table_setup_is_the_setup_that_made_the_table():
    from nasbench.training.recipes import DIGITS_SPLIT, DIGITS_TRAIN_KWARGS
    from nasbench.training.trainer import TrainConfig

    config = ValidateConfig.digits_table_setup(epochs=2)
    assert config.epochs == 2 and config.split == DIGITS_SPLIT and config.dataset == "digits"
    carried = {f for f in ValidateConfig.__dataclass_fields__}
    for key, value in DIGITS_TRAIN_KWARGS.items():
        if key == "epochs":
            continue
        # a field validate does not carry must be the trainer's default, or validate would train differently
        assert getattr(config, key) == value if key in carried else getattr(TrainConfig(), key) == value, key
    # a JSON round trip (what an executor task carries) gives the same config
    assert ValidateConfig(**json.loads(json.dumps(config.to_dict()))) == config


def test_validate_config_split_and_clip_errors():
    with pytest.raises(NasbenchError, match=r"split must be three ints >= 1 \(train, valid, test\); got \(500, 0, 297\)"):
        ValidateConfig(split=(500, 0, 297))
    with pytest.raises(NasbenchError, match="split applies to digits only"):
        ValidateConfig(dataset="cifar10", data_dir="x", split=(1, 1, 1))
    with pytest.raises(NasbenchError, match="grad_clip must be a number >= 0"):
        ValidateConfig(grad_clip=-1.0)
    with pytest.raises(NasbenchError, match="warmup_steps must be an int >= 0"):
        ValidateConfig(warmup_steps=-2)


def test_cli_validate_errors(capsys, tmp_path):
    from nasbench.cli import main

    assert main(["validate"]) == 2
    assert "give either RUN_DIR (a compare run) or --archs" in capsys.readouterr().err
    assert main(["validate", "--archs", "5,6"]) == 2
    assert "with --archs, give --out DIR" in capsys.readouterr().err
    assert main(["search", "enas"]) == 2
    assert "methods must be among ['darts', 'gdas']" in capsys.readouterr().err


def test_cli_refuses_another_benchmark_than_the_run(compare_run, capsys):
    from nasbench.cli import main

    assert main(["validate", str(compare_run), "--benchmark", "nb201/cifar100"]) == 2
    err = capsys.readouterr().err
    assert "is on nb201/cifar10; got --benchmark nb201/cifar100. Drop --benchmark" in err and err.count("\n") == 1
    assert main(["search", "darts", "--merge-into", str(compare_run), "--benchmark", "nb201/cifar100"]) == 2
    err = capsys.readouterr().err
    assert "is on nb201/cifar10; got --benchmark nb201/cifar100. Drop --benchmark" in err and err.count("\n") == 1


@pytest.mark.skipif(_digits_table_missing(), reason="nb201/digits is not generated yet (nasbench generate)")
def test_validate_a_digits_compare_run_end_to_end(validate_data_root, tmp_path):
    """The issue's case: a compare run on the embedded nb201/digits, its top 3 retrained as the table was made."""
    import nasbench
    from nasbench.cli import main
    from nasbench.training.recipes import DIGITS_TRAIN_KWARGS

    run = tmp_path / "run"
    assert main(["compare", "--strategies", "random_search,regularized_evolution", "--seeds", "3", "--budget", "20",
                 "--out", str(run), "--no-plots"]) == 0
    out = tmp_path / "report"
    assert main(["validate", str(run), "--top", "3", "--latency-repeats", "3", "--device", "cpu",
                 "--out", str(out), "--no-plot"]) == 0
    report = json.loads((out / "validate.json").read_text())
    assert report["benchmark"] == "nb201/digits"
    config = report["config"]
    assert (config["epochs"], config["C"], config["N"], config["lr"]) == tuple(
        DIGITS_TRAIN_KWARGS[k] for k in ("epochs", "C", "N", "lr"))
    rows = report["rows"]
    picks = picks_from_run(run, 3)["archs"]
    assert [r["arch_index"] for r in rows] == picks and len(picks) == 3
    digits = nasbench.load("nb201/digits")
    np.testing.assert_array_equal([r["predicted_acc"] for r in rows],
                                  digits.query(picks, "test_acc", DIGITS_TRAIN_KWARGS["epochs"]))
    # latency: the table's own CPU latency of the very network that was trained (C=8, N=2, 1x8x8)
    np.testing.assert_array_equal([r["predicted_latency_ms"] for r in rows], digits.query(picks, "latency_ms_cpu"))
    for r in rows:
        assert r["abs_err_acc"] == pytest.approx(abs(r["measured_acc"] - r["predicted_acc"]))
        assert 0 < r["measured_latency_ms"] < 1000
    s = report["summary"]
    assert "split 500/1000/297" in s["measured_acc"]
    assert s["predicted_latency"].startswith("nb201/digits latency_ms_cpu")
    assert "C=8, N=2 network at 1x8x8" in s["measured_latency"]
    assert s["mae_acc"] == pytest.approx(np.mean([r["abs_err_acc"] for r in rows]))
    for key, col in (("kendall_tau_acc", "predicted_acc"), ("kendall_tau_latency", "predicted_latency_ms")):
        tau = float(s[key])  # NaN is written as the string "nan"
        # the top picks of a run often tie on the table's 297-image test accuracy: then tau is
        # undefined and the report says why
        if len({r[col] for r in rows}) > 1 and len({r[col.replace("predicted", "measured")] for r in rows}) > 1:
            assert -1 <= tau <= 1
        else:
            assert np.isnan(tau) and any("is undefined" in n for n in report["notes"])
    assert "Kendall tau, accuracy" in (out / "validate.md").read_text()


def _fake_report(n: int = 3) -> dict:
    """A report as validate() returns it, without training: NB201 arch strings, chosen numbers."""
    from nasbench.spaces.nb201 import NB201Arch

    rows = []
    for k, index in enumerate((6111, 53, 954)[:n]):
        arch = NB201Arch.from_index(index)
        rows.append({"arch_index": index, "arch": arch.string, "picked_by": "random_search local_search",
                     "predicted_acc": 90.0 + k, "measured_acc": 80.0 + 2 * k, "abs_err_acc": 10.0 - k,
                     "predicted_rank": n - k, "measured_rank": n - k, "predicted_latency_ms": 1.0 + k,
                     "measured_latency_ms": 1.5 + k, "abs_err_latency_ms": 0.5, "measured_valid_acc": 79.0,
                     "measured_acc_sd": float("nan"), "train_time_s": 1.0, "params_m": 0.1, "flops_m": 1.0,
                     "latency_trained_ms": 0.2, "device": "cpu"})
    summary = {"kendall_tau_acc": 1.0, "kendall_tau_latency": 1.0, "mae_acc": 9.0, "max_abs_err_acc": 10.0,
               "mae_latency_ms": 0.5, "max_abs_err_latency_ms": 0.5, "predicted_acc": "nb201/cifar10 test_acc at 200",
               "measured_acc": "test_acc after 1 epoch on digits", "predicted_latency": "latency table, gold_6240",
               "measured_latency": "median batch-1 latency here"}
    return {"benchmark": "nb201/cifar10", "rows": rows, "summary": summary, "notes": [], "config": {}}


def test_markdown_escapes_the_pipes_of_arch_strings(tmp_path):
    import re

    report = _fake_report()
    assert all("|" in r["arch"] for r in report["rows"])  # NB201 strings: |op~0|+|op~0|op~1|+...
    write_report(report, tmp_path, plot=False)
    lines = (tmp_path / "validate.md").read_text().splitlines()
    table = [ln for ln in lines if ln.startswith("|")]
    head, rule, body = table[0], table[1], table[2:]
    assert len(body) == 3

    def cells(line):  # split on the pipes a Markdown renderer splits on: those not escaped
        return [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]

    assert len(cells(head)) == len(cells(rule)) == 8
    for line, row in zip(body, report["rows"]):
        got = cells(line)
        assert len(got) == 8, line
        assert got[0] == f"{row['arch_index']} `{row['arch'].replace('|', chr(92) + '|')}`"
        assert got[0].replace("\\|", "|") == f"{row['arch_index']} `{row['arch']}`"  # unescaped: the string itself
    # the CSV keeps the string whole in one quoted cell
    import csv

    with open(tmp_path / "validate.csv") as fh:
        assert [r["arch"] for r in csv.DictReader(fh)] == [r["arch"] for r in report["rows"]]


def test_scatter_has_the_identity_line_equal_axes_and_a_caption(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    from strategies.validate_report import scatter_figure

    report = _fake_report()
    fig = scatter_figure(report["rows"], report["summary"])
    try:
        for ax, (p, m) in zip(fig.axes, (("predicted_acc", "measured_acc"),
                                         ("predicted_latency_ms", "measured_latency_ms"))):
            diagonal = [ln for ln in ax.get_lines() if ln.get_label().startswith("y = x")]
            assert len(diagonal) == 1
            x, y = diagonal[0].get_xdata(), diagonal[0].get_ydata()
            np.testing.assert_array_equal(x, y)  # the line is y = x ...
            values = [r[k] for r in report["rows"] for k in (p, m)]
            assert x[0] < min(values) and x[-1] > max(values)  # ... across every point
            assert ax.get_xlim() == ax.get_ylim() == (x[0], x[-1])  # equal axes
            assert list(ax.get_xticks()) == list(ax.get_yticks()) and 3 <= len(ax.get_xticks()) <= 7
            assert ax.get_aspect() == 1.0
            # Okabe-Ito blue points, one per arch, labelled by index
            points = ax.collections[0]
            assert len(points.get_offsets()) == 3
            assert tuple(np.round(points.get_facecolor()[0][:3], 3)) == (0.0, 0.447, 0.698)
            assert {t.get_text() for t in ax.texts} == {"6111", "53", "954"}
        assert [t.get_text() for t in fig.legends[0].get_texts()] == ["y = x (measured = predicted)",
                                                                       "validated arch (label: NB201 index)"]
        caption = " ".join(t.get_text() for t in fig.texts)
        assert "dashed line: y = x" in caption and "gold_6240" in caption
    finally:
        plt.close(fig)
    # a panel without measured values says so instead of drawing empty axes
    for r in report["rows"]:
        r["measured_latency_ms"] = float("nan")
    fig = scatter_figure(report["rows"], report["summary"])
    try:
        assert "nothing to compare" in fig.axes[1].texts[0].get_text()
    finally:
        plt.close(fig)
    assert write_report(report, tmp_path)[-1] == "validate_scatter.png"
