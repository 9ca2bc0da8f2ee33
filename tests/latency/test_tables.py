"""Latency tables: every HELP configuration queryable, equal to the source for every arch."""

import numpy as np
import pytest

import nasbench
from nasbench.benchmarks.latency import LatencyTables, load_latency, save_device
from nasbench.benchmarks.latency_benchmark import LatencyBenchmark
from nasbench.errors import InvalidArchError, MissingDataError, MissingValueError, UnknownNameError

ALL = np.arange(15625)
BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"


@pytest.fixture(scope="module")
def bench(latency_root):
    return nasbench.load("nb201/cifar10")


def test_all_27_devices_equal_the_csv_for_every_arch(bench, help_csv):
    devices, expected = help_csv
    assert len(devices) == 27
    for col, device in enumerate(devices):
        np.testing.assert_array_equal(bench.query(ALL, "latency_ms", device=device), expected[:, col])


def test_scalar_queries_and_arch_forms(bench):
    assert bench.query(6111, "latency_ms", device="1080ti_1") == pytest.approx(14.263429641723633, abs=0)
    assert bench.query(BEST, "latency_ms", device="2080ti_1") == bench.query(6111, "latency_ms", device="2080ti_1")
    assert round(float(bench.query(6111, "latency_ms", device="2080ti_1")), 2) == 11.41
    cifar100 = nasbench.load("nb201/cifar100")
    assert cifar100.query(0, "latency_ms", device="pixel3") == bench.query(0, "latency_ms", device="pixel3")


def test_medians_match_the_data_readme(latency_root):
    tables = load_latency("nb201")
    for device, median in (("titan_rtx_1", 6.38), ("gold_6226", 9.61), ("fpga", 3.73), ("eyeriss", 5.12)):
        assert float(np.median(tables.column(device))) == pytest.approx(median, abs=0.006)
    values, names = tables.matrix(["pixel2", "raspi4"])
    assert values.shape == (15625, 2) and names == ("pixel2", "raspi4")
    assert np.median(values[:, 0]) == 15 and round(float(np.median(values[:, 1])), 1) == 25.7
    info = tables.info("pixel2")
    assert info.kind == "phone" and info.resolution_ms == 1.0 and info.source == "help" and info.n_archs == 15625
    assert tables.info("1080ti_32").batch_size == 32
    assert len(tables.describe()) == 27


@pytest.mark.parametrize("kwargs, error, match", [
    ({"device": "pixel9"}, UnknownNameError, "unknown latency device 'pixel9'; expected one of '1080ti_1'.*'titanxp_32'"),
    ({}, UnknownNameError, "latency_ms needs a device; pass device= one of '1080ti_1'"),
    ({"device": "pixel3", "fidelity": 200}, UnknownNameError, "neither fidelity nor training seed"),
    ({"device": "pixel3", "seed": 0}, UnknownNameError, "neither fidelity nor training seed"),
    ({"device": "pixel3", "missing": "zero"}, UnknownNameError, "missing must be one of"),
])
def test_query_errors(bench, kwargs, error, match):
    with pytest.raises(error, match=match):
        bench.query(1, "latency_ms", **kwargs)


def test_device_with_another_metric_and_bad_archs(bench):
    with pytest.raises(UnknownNameError, match="device= applies only to the metric 'latency_ms'"):
        bench.query(1, "test_acc", device="pixel3")
    with pytest.raises(InvalidArchError, match=r"in \[0, 15624\]; got 15625"):
        bench.query(np.array([0, 15625]), "latency_ms", device="pixel3")
    with pytest.raises(MissingDataError, match="nb201/imagenet16-120 has no latency_ms"):
        nasbench.load("nb201/imagenet16-120").query(1, "latency_ms", device="pixel3")


def test_training_metrics_unchanged(bench):
    assert round(float(bench.query(6111, "test_acc", 200)), 3) == 94.373


def test_no_latency_tables(tmp_path):
    with pytest.raises(MissingDataError, match="no latency table for nb201 .*help-latency"):
        LatencyTables("nb201", tmp_path)


def test_a_device_defined_twice_is_refused(tmp_path, latency_root):
    import shutil

    from nasbench.errors import DataIntegrityError

    for source in ("help", "measured"):
        shutil.copytree(latency_root / "latency/nb201/help", tmp_path / "latency/nb201" / source)
    with pytest.raises(DataIntegrityError, match="device '1080ti_1' is defined twice \\(in help and measured\\); remove"):
        LatencyTables("nb201", tmp_path)


def test_latency_benchmark(latency_root):
    import nasbench

    lb = nasbench.load("nb201/cifar10@latency")
    assert isinstance(lb, LatencyBenchmark) and lb.kind == "latency"
    assert lb.query([0, 1], "latency_ms@fpga").shape == (2,) and "latency_ms@fpga" in lb.metrics
    assert not lb.higher_is_better("latency_ms@fpga") and lb.best("latency_ms@fpga")[1] == np.nanmin(
        lb.column("latency_ms@fpga"))
    with pytest.raises(UnknownNameError, match="has no metric 'test_acc'; expected one of 'latency_ms@"):
        lb.query(0, "test_acc")
    with pytest.raises(UnknownNameError, match="does not depend on fidelity or training seed"):
        lb.query(0, "latency_ms@fpga", fidelity=12)
    with pytest.raises(UnknownNameError, match="latency tables describe the networks of 'nb201/cifar10', "
                                               "'nb201/cifar100' of nb201; got nb201/digits"):
        nasbench.load("nb201/digits@latency")


def test_save_device_round_trip_and_errors(tmp_path, latency_root):
    import shutil

    root = tmp_path / "store"
    shutil.copytree(latency_root / "latency", root / "latency")
    values = np.full(15625, np.nan)
    values[[3, 5]] = [1.5, 2.5]
    save_device("mycpu_b1", values, kind="cpu", batch_size=1, about="test", root=root)
    tables = load_latency("nb201", root)
    assert tables.devices[-1] == "mycpu_b1" and tables.info("mycpu_b1").n_archs == 2
    assert tables.query([3, 5], "mycpu_b1").tolist() == [1.5, 2.5]
    assert np.isnan(tables.query(4, "mycpu_b1", missing="nan"))
    with pytest.raises(MissingValueError, match="no latency for arch 4 .*covers 2 of 15625"):
        tables.query([3, 4], "mycpu_b1")
    with pytest.raises(UnknownNameError, match="already exists \\(in the measured table\\).*--replace"):
        save_device("mycpu_b1", values, root=root)
    save_device("mycpu_b1", values * 2, root=root, replace=True)
    assert load_latency("nb201", root).query(3, "mycpu_b1") == 3.0
    with pytest.raises(UnknownNameError, match="already exists \\(in the help table\\)"):
        save_device("pixel3", values, root=root)
    with pytest.raises(UnknownNameError, match="needs predicted_by"):
        save_device("new", values, source="predicted", root=root)
    with pytest.raises(UnknownNameError, match="source must be"):
        save_device("new", values, source="help", root=root)
    with pytest.raises(UnknownNameError, match="device names use"):
        save_device("bad name", values, root=root)
    with pytest.raises(InvalidArchError, match=r"shape \(15625,\)"):
        save_device("new", values[:3], root=root)
    with pytest.raises(InvalidArchError, match="must be positive"):
        save_device("new", -np.ones(15625), root=root)
    save_device("adapted", np.ones(15625), source="predicted", predicted_by="factor", root=root)
    assert load_latency("nb201", root).info("adapted").predicted_by == "factor"
