"""The shipped nb201/digits table holds exactly what its committed build chunks measured."""

import numpy as np
import pytest

import nasbench
from nasbench.benchmarks import registry
from nasbench.spaces.nb201 import canonical_ids, class_representatives
from nasbench.training import generate as gen

BUILD = gen._repo_embedded() / gen.DEFAULT_BUILD

pytestmark = pytest.mark.skipif(
    registry.table_dir("nb201/digits") is None or not (BUILD / "config.json").exists(),
    reason="nb201/digits or its build folder is not in this checkout (nasbench generate)")


@pytest.fixture(scope="module")
def chunks():
    return gen.load_chunks(BUILD, gen.read_job(BUILD))


@pytest.fixture(scope="module")
def digits():
    return nasbench.load("nb201/digits")


def test_every_arch_is_covered_by_its_class_representative(chunks, digits):
    reps = class_representatives()
    np.testing.assert_array_equal(chunks["arch_index"], reps[chunks["class_id"]])
    assert len(chunks["class_id"]) == len(reps) == 6466
    for metric, fidelity in (("valid_acc", 4), ("test_acc", 4), ("train_loss", 1), ("train_time_s", 4),
                             ("latency_ms_cpu", None), ("params_m", None), ("flops_m", None)):
        assert np.isfinite(digits.column(metric, fidelity)).all(), metric


@pytest.mark.parametrize("metric", ["train_loss", "train_acc", "valid_acc", "test_acc", "train_time_s"])
def test_per_seed_values_and_means_equal_the_chunks(chunks, digits, metric):
    row = canonical_ids()  # the chunks hold classes 0..6465 in order
    expected = chunks[metric][row]  # (15625, n_seeds, n_epochs), or (15625, n_seeds) for train_time_s
    expected = expected if expected.ndim == 3 else expected[:, :, None]
    np.testing.assert_array_equal(digits.table.array(metric, "seeds"), expected)
    np.testing.assert_array_equal(digits.table.array(metric, "mean"), expected.mean(axis=1))
    assert digits.query(6111, metric, digits.fidelities(metric)[-1], seed=np.random.default_rng(0)) in \
        expected[6111, :, -1]


@pytest.mark.parametrize(("metric", "key"), [("latency_ms_cpu", "latency_ms"), ("params_m", "params_m"),
                                             ("flops_m", "flops_m")])
def test_static_values_equal_the_chunks(chunks, digits, metric, key):
    np.testing.assert_array_equal(digits.column(metric), chunks[key][canonical_ids()])


def test_the_manifest_records_the_seed_agreement_of_all_classes(chunks, digits):
    from nasbench.training.recipes import summarise

    info = digits.describe()["info"]
    agreement = info["seed_agreement_all_classes"]
    assert agreement["n_archs"] == 6466 and info["n_archs_covered"] == 15625
    assert agreement["spearman_seeds"] >= 0.8  # the target, over every trained class
    final = chunks["valid_acc"][:, :, -1]  # (6466, 2)
    recomputed = summarise(final)
    for key, value in recomputed.items():
        assert agreement[key] == pytest.approx(value), key
    assert agreement["test_spearman_seeds"] == pytest.approx(summarise(chunks["test_acc"][:, :, -1])["spearman_seeds"])


def test_median_cost_is_over_every_arch_and_is_what_compare_uses(digits):
    from strategies.task import Task

    median, provenance = digits.median_cost(4, metric="valid_acc", rng=np.random.default_rng(5))
    task = Task(digits)
    assert median == float(np.median(task.costs[4])) == float(np.median(digits.cost(np.arange(15625), 4).seconds))
    assert provenance["source"] == "measured"
