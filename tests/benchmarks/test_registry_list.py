"""`nasbench list` shows every benchmark kind and whether it is ready."""

from __future__ import annotations

from tests.conftest import data_root_env


def test_list_shows_every_kind_with_its_readiness(tmp_path):
    from nasbench.benchmarks.registry import list_benchmarks

    with data_root_env(tmp_path):
        rows = {r["name"]: r for r in list_benchmarks()}
    assert rows["nb201/digits"]["status"] == "embedded"
    assert rows["nb201/cifar10"]["status"].startswith("not imported: run `nasbench data import nb201")
    assert rows["nb201/cifar10@latency"]["kind"] == "latency" and "help-latency" in rows["nb201/cifar10@latency"]["status"]
    assert rows["nb201/digits@train"]["kind"] == "train"
    # nothing fitted in an empty store: the only surrogate is the one the package ships, and its runs
    assert [n for n, r in rows.items() if r["kind"] == "surrogate"] == ["darts/digits@surrogate"]
    assert rows["darts/digits@surrogate"]["status"].startswith("embedded: test_acc@1, test_acc@2, train_time_s@2")
    assert rows["darts/digits"]["kind"] == "runs" and rows["darts/digits"]["status"].startswith("embedded: parts heldout")


def test_list_shows_fitted_surrogates(nb201_data_root, tmp_path):
    from nasbench.benchmarks.registry import list_benchmarks
    from nasbench.benchmarks.surrogate_fit import fit_surrogate, save_surrogate

    save_surrogate(fit_surrogate("nb201/cifar10", "test_acc", 200, train_fraction=0.05, n_members=2), tmp_path)
    with data_root_env(tmp_path):
        rows = {r["name"]: r for r in list_benchmarks()}
    assert rows["nb201/cifar10@surrogate"]["status"] == "fitted: test_acc@200"
