"""One conformance suite for the benchmark contract (nasbench/benchmarks/base.py).

Every kind (imported tables, the embedded table, surrogates of NB201, NB101 and DARTS, latency
tables, live training) inherits :class:`BenchmarkConformance` and only provides the ``bench``
fixture; enumerable kinds add :class:`EnumerableConformance`. A test checks that every registered
kind has a class here.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from nasbench.benchmarks.base import Benchmark, Cost, EnumerableBenchmark
from nasbench.errors import NasbenchError, UnknownNameError
from tests.latency.conftest import help_dir, latency_root  # noqa: F401  (fixtures)

N = 6  # archs per check: enough to see batching, few enough for live training


def _metric(bench):
    """The metric a search would use: valid_acc where present, else the first metric."""
    return "valid_acc" if "valid_acc" in bench.metrics else next(iter(bench.metrics))


def _archs(bench, n=N, seed=0):
    rng = np.random.default_rng(seed)
    return [bench.space.sample(rng) for _ in range(n)]


class BenchmarkConformance:
    """What every benchmark kind answers; subclasses provide the ``bench`` fixture."""

    kind: str

    def test_role_attributes(self, bench):
        assert isinstance(bench, Benchmark) and bench.kind == self.kind
        assert bench.name.startswith(f"{bench.space.name}/") and isinstance(bench.enumerable, bool)
        assert isinstance(bench, EnumerableBenchmark) == bench.enumerable

    def test_describe_is_json(self, bench):
        json.dumps(bench.describe(), default=str)

    def test_metrics_carry_unit_direction_and_fidelities(self, bench):
        assert bench.metrics
        for name, info in bench.metrics.items():
            assert isinstance(info.unit, str) and isinstance(bench.higher_is_better(name), bool)
            fids = bench.fidelities(name)
            assert fids and bench.default_fidelity(name) == (None if fids == (None,) else max(fids))
        with pytest.raises(UnknownNameError, match="has no metric 'no_such_metric'"):
            bench.metric_info("no_such_metric")

    def test_batched_query_equals_one_by_one(self, bench):
        m, archs = _metric(bench), _archs(bench)
        batch = bench.query(archs, m)
        assert batch.shape == (N,) and batch.dtype == np.float64 and np.isfinite(batch).all()
        assert [float(bench.query(a, m)) for a in archs] == batch.tolist()

    def test_draws_are_outcomes_picked_by_the_uniform(self, bench):
        m, archs = _metric(bench), _archs(bench)
        info = bench.noise(m)
        assert set(info) >= {"source", "n_outcomes", "about"} and info["n_outcomes"] >= 1
        u = np.linspace(0.0, 0.999, N)
        first = bench.query_draws(archs, m, None, u)
        assert first.shape == (N,) and np.isfinite(first).all()
        np.testing.assert_array_equal(first, bench.query_draws(archs, m, None, u))
        if info["n_outcomes"] == 1:
            np.testing.assert_array_equal(first, bench.query(archs, m))
        with pytest.raises(NasbenchError, match=r"uniforms must have shape \(6,\)"):
            bench.query_draws(archs, m, None, np.zeros(N + 1))
        with pytest.raises(NasbenchError, match=r"uniforms must lie in \[0, 1\)"):
            bench.query_draws(archs, m, None, np.ones(N))

    def test_cost_is_simulated_seconds_with_provenance(self, bench):
        m, archs = _metric(bench), _archs(bench)
        cost = bench.cost(archs, bench.default_fidelity(m), metric=m)
        assert isinstance(cost, Cost) and cost.seconds.shape == (N,)
        assert np.isfinite(cost.seconds).all() and (cost.seconds >= 0).all()
        assert isinstance(cost.provenance, dict) and cost.provenance
        json.dumps(cost.provenance, default=str)


class EnumerableConformance(BenchmarkConformance):
    """Enumerable kinds: whole columns agree with the query."""

    def test_column_agrees_with_query(self, bench):
        m = _metric(bench)
        column = bench.column(m)
        assert column.shape == (bench.n_archs,) and not column.flags.writeable
        rows = np.random.default_rng(1).choice(bench.n_archs, N, replace=False)
        np.testing.assert_array_equal(column[rows], bench.query(rows, m))
        index, value = bench.best(m)
        assert value == (np.nanmax(column) if bench.higher_is_better(m) else np.nanmin(column))

    def test_column_draws_match_query_draws(self, bench):
        m = _metric(bench)
        table = bench.column_draws(m)
        rows = np.arange(N) * 7
        u = np.linspace(0.05, 0.95, N)
        drawn = bench.query_draws(rows, m, None, u)
        if table is None:
            np.testing.assert_array_equal(drawn, bench.column(m)[rows])
            return
        assert table.shape[0] == bench.n_archs and table.shape[1] == bench.noise(m)["n_outcomes"]
        for r, v, row in zip(rows, drawn, table[rows]):
            present = row[~np.isnan(row)]
            assert v == present[min(int(u[list(rows).index(r)] * present.size), present.size - 1)]


# ---------------------------------------------------------------- the kinds
class TestTabular(EnumerableConformance):
    kind = "tabular"

    @pytest.fixture(scope="class")
    def bench(self, nb201_cifar10):
        return nb201_cifar10


class TestEmbedded(EnumerableConformance):
    kind = "embedded"

    @pytest.fixture(scope="class")
    def bench(self):
        import nasbench

        return nasbench.load("nb201/digits")


class TestSurrogateNB201(EnumerableConformance):
    kind = "surrogate"

    @pytest.fixture(scope="class")
    def bench(self, nb201_data_root):
        from nasbench.benchmarks.surrogate import surrogate_from_results
        from nasbench.benchmarks.surrogate_fit import fit_surrogate

        fits = [fit_surrogate("nb201/cifar10", m, 200, train_fraction=0.05, seed=0, n_members=3)
                for m in ("valid_acc", "test_acc")]
        return surrogate_from_results(fits)


@pytest.fixture(scope="module")
def sample_surrogates(shared_data):
    from nasbench.benchmarks.surrogate import surrogate_from_results
    from nasbench.benchmarks.surrogate_fit import fit_samples

    return {space: surrogate_from_results([fit_samples(space, "cifar10", "valid_acc", shared_data, n_members=3)])
            for space in ("nb101", "darts")}


class TestSurrogateNB101(BenchmarkConformance):
    kind = "surrogate"

    @pytest.fixture(scope="class")
    def bench(self, sample_surrogates):
        return sample_surrogates["nb101"]


class TestSurrogateDARTS(BenchmarkConformance):
    kind = "surrogate"

    @pytest.fixture(scope="class")
    def bench(self, sample_surrogates):
        return sample_surrogates["darts"]


class TestLatency(EnumerableConformance):
    kind = "latency"

    @pytest.fixture(scope="class")
    def bench(self, latency_root):  # noqa: F811
        import nasbench

        return nasbench.load("nb201/cifar10@latency")


class TestLiveTraining(BenchmarkConformance):
    kind = "train"

    @pytest.fixture(scope="class")
    def bench(self, tmp_path_factory):
        pytest.importorskip("torch", reason="live training needs torch")
        from nasbench.benchmarks.training import TrainingBenchmark
        from nasbench.benchmarks.training_runs import Recipe
        from nasbench.training.recipes import DIGITS_TRAIN_KWARGS

        tiny = {**DIGITS_TRAIN_KWARGS, "C": 4, "N": 1, "epochs": 2, "batch_size": 32, "bn_recalibration": 32,
                "warmup_steps": 1}
        return TrainingBenchmark(Recipe(tiny, (64, 40, 30)), runs_dir=tmp_path_factory.mktemp("runs"), device="cpu")


def test_every_registered_kind_has_a_conformance_class():
    from nasbench.benchmarks import registry

    covered = {cls.kind for cls in (TestTabular, TestEmbedded, TestSurrogateNB201, TestSurrogateNB101,
                                    TestSurrogateDARTS, TestLatency, TestLiveTraining, TestYahpo)}
    assert {"tabular", "embedded", *registry._KINDS} <= covered


# ---------------------------------------------------------------- issue 14: more benchmark families
@pytest.fixture(scope="module")
def grid_tables(tmp_path_factory):
    """transnas-micro/* and macro/cifar10 imported from the public files into a fresh store."""
    from tabular_data.importers.nas_bench_macro import import_nas_bench_macro
    from tabular_data.importers.transnas_micro import import_transnas_micro
    from tests.conftest import require_shared

    shared = require_shared("transnas101_micro_naslib_zen/all_benchmarks_zen.zip",
                            "nas_bench_macro/nas-bench-macro_cifar10.json")
    root = tmp_path_factory.mktemp("grid_tables")
    import_transnas_micro(shared, root, log=lambda line: None)
    import_nas_bench_macro(shared, root, log=lambda line: None)
    return root


def _load_from(root, name):
    import nasbench
    from tests.conftest import data_root_env

    with data_root_env(root):
        return nasbench.load(name)


class TestTransNASMicro(EnumerableConformance):
    kind = "tabular"

    @pytest.fixture(scope="class")
    def bench(self, grid_tables):
        return _load_from(grid_tables, "transnas-micro/room_layout")  # negated loss: higher is better


class TestMacro(EnumerableConformance):
    kind = "tabular"

    @pytest.fixture(scope="class")
    def bench(self, grid_tables):
        return _load_from(grid_tables, "macro/cifar10")  # test_acc with 3 seeds per arch


class TestGraph(EnumerableConformance):
    kind = "tabular"

    @pytest.fixture(scope="class")
    def bench(self):
        pytest.importorskip("nas_bench_graph", reason="NAS-Bench-Graph needs pip install 'nasbench[graph]'")
        import nasbench

        return nasbench.load("graph/proteins")  # ROC-AUC in 0-1, its own 5-layer space


class TestYahpo(BenchmarkConformance):
    kind = "yahpo"

    @pytest.fixture(scope="class")
    def bench(self, tmp_path_factory):
        from tabular_data.importers.yahpo_nb301 import import_yahpo_nb301
        from tests.conftest import require_shared

        shared = require_shared("yahpo_nb301/model_v2.onnx")
        root = tmp_path_factory.mktemp("yahpo")
        import_yahpo_nb301(shared, root, log=lambda line: None)
        return _load_from(root, "darts/cifar10@yahpo")  # deterministic: one outcome per arch and epoch
