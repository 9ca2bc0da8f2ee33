import numpy as np
import pytest

import nasbench
from nasbench.errors import DataIntegrityError, InvalidArchError, MissingDataError, MissingValueError, UnknownNameError
from nasbench.spaces.nb201 import NB201Arch

BEST = NB201Arch.from_index(6111)


def test_query_forms_agree(nb201_cifar10):
    b = nb201_cifar10
    value = b.query(6111, "test_acc", 200)
    assert isinstance(value, np.float64) and round(value, 3) == 94.373
    assert b.query(BEST.string, "test_acc", 200) == value
    assert b.query(BEST, "test_acc", 200) == value
    assert b.query(np.int64(6111), "test_acc", 200) == value
    batch = b.query([6111, BEST.string, BEST, 0], "test_acc", 200)
    assert batch.shape == (4,) and (batch[:3] == value).all()
    assert b.query(np.array([6111, 0]), "test_acc") .tolist() == [value, b.query(0, "test_acc")]
    assert b.query([], "test_acc").shape == (0,)


def test_batched_kernel_path_equals_column(nb201_cifar10):
    b = nb201_cifar10
    idx = np.random.default_rng(0).integers(0, 15625, size=5000)
    for metric, fid in (("test_acc", 12), ("valid_acc", 200), ("params_m", None)):
        np.testing.assert_array_equal(b.query(idx, metric, fid), b.column(metric, fid)[idx])


def test_default_fidelity_is_the_highest(nb201_cifar10):
    assert nb201_cifar10.default_fidelity("test_acc") == 200
    assert nb201_cifar10.default_fidelity("params_m") is None
    assert nb201_cifar10.query(5, "test_acc") == nb201_cifar10.query(5, "test_acc", 200)


def test_seeded_queries_are_reproducible(nb201_cifar10):
    b = nb201_cifar10
    idx = np.arange(1000)
    a1 = b.query(idx, "train_time_s", 200, seed=7)
    a2 = b.query(idx, "train_time_s", 200, seed=7)
    np.testing.assert_array_equal(a1, a2)
    rng1, rng2 = np.random.default_rng(3), np.random.default_rng(3)
    np.testing.assert_array_equal(b.query(idx, "test_acc", 12, seed=rng1), b.query(idx, "test_acc", 12, seed=rng2))


def test_missing_values_raise_or_return_nan(nb201_cifar10):
    b = nb201_cifar10
    with pytest.raises(MissingValueError, match="no value of train_time_s at fidelity 200 for arch 5000 .*covers 1000 of 15625"):
        b.query(5000, "train_time_s", 200)
    with pytest.raises(MissingValueError, match=r"2 of 3 queried archs missing"):
        b.query(np.array([1, 5000, 6000]), "train_time_s", 200)
    with pytest.raises(MissingValueError, match="no per-seed value of test_acc at fidelity 200 for arch 5000"):
        b.query([1, 5000], "test_acc", 200, seed=0)
    out = b.query([1, 5000], "train_time_s", 200, missing="nan")
    assert not np.isnan(out[0]) and np.isnan(out[1])
    big = np.full(1000, 5000)
    with pytest.raises(MissingValueError, match="1000 of 1000 queried archs missing"):
        b.query(big, "train_time_s", 12)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda b: b.query(1, "test_ac"), UnknownNameError, "no metric 'test_ac'; expected one of .*'test_acc'"),
        (lambda b: b.query(1, 5), UnknownNameError, "metric must be a str"),
        (lambda b: b.query(1, ["x"]), UnknownNameError, "metric must be a str"),
        (lambda b: b.query(1, "test_acc", 13), UnknownNameError, "has no fidelity 13 .*expected one of 12, 200"),
        (lambda b: b.query(1, "test_acc", "200"), UnknownNameError, "fidelity must be a number"),
        (lambda b: b.query(1, "params_m", 200), UnknownNameError, "does not depend on fidelity; got fidelity=200"),
        (lambda b: b.query(15625, "test_acc"), InvalidArchError, r"in \[0, 15624\]; got 15625"),
        (lambda b: b.query([0, -1], "test_acc"), InvalidArchError, r"in \[0, 15624\]; got -1"),
        (lambda b: b.query(np.arange(300) + 15500, "test_acc"), InvalidArchError, r"got 15625 at position 125"),
        (lambda b: b.query("|bad~0|", "test_acc"), InvalidArchError, "3 node groups"),
        (lambda b: b.query(1, "test_acc", missing="zero"), UnknownNameError, "missing must be one of 'raise', 'nan'"),
        (lambda b: b.query([1, 2], "valid_acc", 200, seed=1), MissingValueError, "no per-seed values of valid_acc"),
        (lambda b: b.query([1, 2], "test_acc", 200, seed=-1), nasbench.NasbenchError, "non-negative int"),
        (lambda b: nasbench.load("nb201/cifar100").query(0, "valid_acc", 200), UnknownNameError,
         r"expected one of 12\.$"),
    ],
)
def test_bad_queries_raise_clear_errors(nb201_cifar10, call, error, match):
    with pytest.raises(error, match=match):
        call(nb201_cifar10)


def test_best_ignores_missing_values(nb201_cifar10):
    index, value = nb201_cifar10.best("train_time_s", 200, maximize=False)
    assert 0 <= index < 1000 and value == np.nanmin(nb201_cifar10.column("train_time_s", 200))


def test_best_of_an_all_missing_column_raises(nb201_cifar10, monkeypatch):
    monkeypatch.setattr(nb201_cifar10, "column", lambda metric, fidelity=None: np.full(nb201_cifar10.n_archs, np.nan))
    with pytest.raises(MissingValueError, match="has no values of train_time_s at fidelity 200; pick another"):
        nb201_cifar10.best("train_time_s", 200)


def test_a_benchmark_without_space_cannot_convert_archs(nb201_cifar10):
    from nasbench.benchmarks.tabular import TabularBenchmark

    bench = TabularBenchmark(nb201_cifar10.table, None)
    assert bench.query(1, "test_acc") == nb201_cifar10.query(1, "test_acc")
    with pytest.raises(InvalidArchError, match="cannot convert 'x' to arch indices: it has no search space"):
        bench.query("x", "test_acc")


def test_a_kind_registers_once():
    from nasbench.benchmarks.registry import register_kind

    for kind in ("tabular", "surrogate"):
        with pytest.raises(ValueError, match=f"kind '{kind}' is already registered; register the loader under"):
            register_kind(kind, "nowhere:load")


@pytest.mark.parametrize(
    "name, error, match",
    [
        ("cifar10", UnknownNameError, "look like 'SPACE/DATASET'"),
        ("nb201/", UnknownNameError, "incomplete"),
        ("nb201/cifar10@", UnknownNameError, "incomplete"),
        ("nb201/mnist", UnknownNameError, "unknown benchmark 'nb201/mnist'; expected one of .*'nb201/cifar10'"),
        ("nb201/cifar10@magic", UnknownNameError, "unknown benchmark kind 'magic'"),
        (3, UnknownNameError, "look like"),
    ],
)
def test_bad_names(nb201_data_root, name, error, match):
    with pytest.raises(error, match=match):
        nasbench.load(name)


def test_missing_import_says_which_command(tmp_path, monkeypatch):
    monkeypatch.setenv("NASBENCH_DATA", str(tmp_path))
    with pytest.raises(MissingDataError, match=r"nb201/cifar10 is not imported .*run `nasbench data import nb201 --from DIR`"):
        nasbench.load("nb201/cifar10")
    rows = {r["name"]: r for r in nasbench.list_benchmarks()}
    assert rows["nb201/cifar10"]["status"].startswith("not imported")


def test_the_embedded_digits_table_needs_no_import(tmp_path, monkeypatch):
    from nasbench.benchmarks import registry

    monkeypatch.setenv("NASBENCH_DATA", str(tmp_path))  # an empty store: nothing imported
    rows = {r["name"]: r for r in nasbench.list_benchmarks()}
    if registry.table_dir("nb201/digits") is None:
        assert rows["nb201/digits"]["status"] == "not imported: run `nasbench generate`"
        pytest.skip("nb201/digits is not generated in this checkout (nasbench generate)")
    assert rows["nb201/digits"]["status"] == "embedded" and "digits" in rows["nb201/digits"]["about"]
    bench = nasbench.load("nb201/digits")
    assert registry.default_benchmark() == "nb201/digits"
    acc = bench.column("valid_acc", 4)
    assert acc.shape == (15625,) and np.isfinite(acc).all() and 0 <= acc.min() and acc.max() <= 100


def test_corrupt_store_is_detected_at_query(tmp_path, monkeypatch, nb201_data_root):
    import shutil

    shutil.copytree(nb201_data_root / "nb201" / "cifar100", tmp_path / "nb201" / "cifar100")
    monkeypatch.setenv("NASBENCH_DATA", str(tmp_path))
    path = tmp_path / "nb201" / "cifar100" / "test_acc.mean.npy"
    data = bytearray(path.read_bytes())
    data[200] ^= 1
    path.write_bytes(bytes(data))
    bench = nasbench.load("nb201/cifar100")
    with pytest.raises(DataIntegrityError, match="is corrupt .*nasbench data import nb201 --from DIR"):
        bench.query(0, "test_acc")


def test_list_benchmarks_reports_imported_tables(nb201_data_root):
    rows = {r["name"]: r for r in nasbench.list_benchmarks()}
    assert rows["nb201/cifar10"]["status"] == "imported"
    assert rows["nb201/imagenet16-120"]["location"].startswith(str(nb201_data_root))
