"""``nasbench query ... --metric latency_ms --device D`` and ``nasbench latency ...``, in-process."""

import json

import numpy as np
import pytest

from nasbench.cli import main



def test_query_latency(latency_root, capsys, help_csv):
    devices, values = help_csv
    assert main(["query", "nb201/cifar10", "6111", "--metric", "latency_ms", "--device", "pixel3", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["value"] == values[6111, devices.index("pixel3")] and row["unit"] == "ms" and row["device"] == "pixel3"
    assert main(["query", "nb201/cifar10", "0", "1", "--metric", "latency_ms", "--device", "fpga"]) == 0
    lines = capsys.readouterr().out.split()
    assert [float(v) for v in lines[1::2]] == values[[0, 1], devices.index("fpga")].tolist()


@pytest.mark.parametrize("argv, match", [
    (["query", "nb201/cifar10", "1", "--metric", "latency_ms", "--device", "pixel9"],
     "unknown latency device 'pixel9'; expected one of '1080ti_1'"),
    (["query", "nb201/cifar10", "1", "--metric", "latency_ms"], "latency_ms needs a device"),
    (["query", "nb201/cifar10", "1", "--metric", "test_acc", "--device", "pixel3"], "--device applies only to the metric .latency_ms."),
    (["latency", "fit", "--device", "pixel3", "--n-train", "1"], "--n-train must be in \\[2, 15624\\]"),
    (["latency", "measure", "--no-save"], "give the archs to measure"),
    (["latency", "report", "--sizes", "2"], "--sizes values must be in"),
    (["latency", "report", "--sizes", "100", "--shots", "20", "--repeats", "0"], "--repeats must be >= 1; got 0"),
    (["latency", "report", "--replans", "-1"], "--replans must be in \\[0, 100\\] and goes with --holdout family; got -1"),
    (["latency", "report", "--holdout", "device", "--replans", "2"], "goes with --holdout family; got 2 with --holdout device"),
    (["latency", "measure", "--n-random", "0", "--no-save"], "--n-random must be >= 1; got 0"),
    (["latency", "adapt", "--measurements", "/nonexistent.csv"], "does not exist"),
    (["latency", "adapt", "--measurements", "x.csv", "--exclude", "pixel9"], "--exclude names unknown devices"),
])
def test_errors_are_one_line(latency_root, capsys, argv, match):
    import re

    assert main(argv) == 2
    err = capsys.readouterr().err
    assert re.search(match, err) and err.count("\n") == 1


def test_devices_and_import(latency_root, help_dir, tmp_path, capsys):
    assert main(["latency", "devices", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 27 and {r["source"] for r in rows} == {"help"}
    assert main(["latency", "import", "--from", str(help_dir / "original"), "--to", str(tmp_path)]) == 0
    assert (tmp_path / "latency/nb201/help/manifest.json").is_file()
    assert main(["data", "import", "help-latency", "--from", str(help_dir), "--to", str(tmp_path / "b")]) == 0
    assert (tmp_path / "b/latency/nb201/help/latency_ms.mean.npy").is_file()


def test_fit_and_save(latency_root, tmp_path, capsys):
    from surrogates.latency import load_latency_model

    assert main(["latency", "fit", "--device", "1080ti_1", "--n-train", "100", "--json", "--save", str(tmp_path / "m")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["within"] > 0.9 and out["n"] == 15525
    model, meta = load_latency_model(tmp_path / "m")
    assert meta["device"] == "1080ti_1" and meta["scores"]["within"] == out["within"]
    assert main(["latency", "fit", "--device", "pixel3", "--n-train", "50", "--model", "interaction"]) == 0
    assert "within +-10%" in capsys.readouterr().out


def test_adapt_from_a_measurement_file(own_store, help_csv, tmp_path, capsys):
    devices, values = help_csv
    arch = np.random.default_rng(0).choice(15625, 20, replace=False)
    path = tmp_path / "pixel3_20.csv"
    path.write_text("arch,latency_ms\n" + "".join(f"{a},{float(values[a, devices.index('pixel3')])!r}\n" for a in arch))
    assert main(["latency", "adapt", "--measurements", str(path), "--exclude", "pixel3", "--model", "cross_device", "--json",
                 "--out", str(tmp_path / "pred.csv"), "--save-as", "pixel3_fewshot"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_measured"] == 20 and "pixel3" not in out["basis_devices"] and len(out["basis_devices"]) == 26
    predicted = np.loadtxt(tmp_path / "pred.csv", delimiter=",", skiprows=1)
    assert predicted.shape == (15625, 2)
    from nasbench.benchmarks.latency import load_latency

    tables = load_latency("nb201")
    assert tables.info("pixel3_fewshot").predicted_by.startswith("cross_device")
    np.testing.assert_allclose(tables.column("pixel3_fewshot"), predicted[:, 1])
    path.write_text("idx,ms\n1,2\n")
    assert main(["latency", "adapt", "--measurements", str(path)]) == 2
    assert "columns 'arch'" in capsys.readouterr().err
    path.write_text("arch,latency_ms\n1,fast\n")
    assert main(["latency", "adapt", "--measurements", str(path)]) == 2
    assert "pixel3_20.csv: a latency_ms value is not a number" in capsys.readouterr().err
    assert main(["latency", "adapt", "--measurements", str(path), "--exclude", *devices, "pixel3_fewshot"]) == 2
    assert "no complete latency device is left to learn from; exclude fewer devices" in capsys.readouterr().err


def test_report_prints_the_figures(latency_root, tmp_path, capsys):
    assert main(["latency", "report", "--holdout", "device", "--sizes", "100", "--shots", "20", "--repeats", "1", "--models", "additive",
                 "--per-device", "--json", str(tmp_path / "r.json")]) == 0
    out = capsys.readouterr().out
    assert "median within" in out and "leave-one-hardware-out" in out and "pixel3" in out
    report = json.loads((tmp_path / "r.json").read_text())
    (summary,) = report["surrogates"]["summary"]
    assert summary["median"] >= 0.9
    assert all(s["median"] >= 0.8 for s in report["adaptation"]["summary"])


@pytest.mark.parametrize("argv", [["latency", "search"], ["latency", "search", "--seeds", "3", "--constraint",
                                                             "latency_ms@pixel3 <= 15"]])
def test_search_points_at_compare(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "nasbench compare nb201/cifar10 --constraint 'latency_ms@DEVICE <= X'" in err
    assert err.count("\n") == 1


def test_measure_latency_checks_its_settings():
    pytest.importorskip("torch")
    from nasbench.benchmarks.latency_measure import measure_latency
    from nasbench.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match="--device must be 'cpu' or 'cuda'; got 'tpu'"):
        measure_latency([0], device="tpu")
    with pytest.raises(UnknownNameError, match="batch_size must be an int >= 1; got 0"):
        measure_latency([0], batch_size=0)
    with pytest.raises(UnknownNameError, match="input_size must be an int >= 4; got 2"):
        measure_latency([0], input_size=2)


def test_measure_stores_a_new_device(own_store, capsys):
    pytest.importorskip("torch")
    assert main(["latency", "measure", "--device", "cpu", "--archs", "0", "6111", "--repeats", "2", "--warmup", "1",
                 "--name", "here"]) == 0
    assert "stored 2 archs as device 'here_b1'" in capsys.readouterr().out
    from nasbench.benchmarks.latency import load_latency
    from nasbench.errors import MissingValueError

    tables = load_latency("nb201")
    assert tables.info("here_b1").source == "measured" and tables.info("here_b1").n_archs == 2
    assert np.all(tables.query([0, 6111], "here_b1") > 0)
    with pytest.raises(MissingValueError, match="covers 2 of 15625"):
        tables.query(1, "here_b1")
    assert main(["latency", "measure", "--archs", "1", "--repeats", "1", "--warmup", "0", "--name", "here"]) == 0
    assert load_latency("nb201").info("here_b1").n_archs == 3  # added to the earlier measurements
    assert main(["latency", "measure", "--device", "cuda", "--archs", "1", "--no-save"]) in (0, 2)
