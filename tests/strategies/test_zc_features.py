"""strategies.zc_features: proxy columns, the paired with/without experiment, its statistics."""

import numpy as np
import pytest

pytest.importorskip("scipy")
pytest.importorskip("xgboost")

from nasbench.errors import MissingValueError, NasbenchError  # noqa: E402
from strategies import zc_features as Z  # noqa: E402
from tests.conftest import require_shared  # noqa: E402


def test_proxy_columns_by_hand():
    cols = Z.proxy_columns({"a": np.array([0.0, np.e - 1, -(np.e - 1)]), "b": np.array([1.0, -np.inf, -1e8])})
    assert cols.dtype == np.float32 and cols.shape == (3, 2)
    np.testing.assert_allclose(cols[:, 0], [0.0, 1.0, -1.0], atol=1e-6)
    # undefined scores sit one below the lowest defined one (log1p(1) = 0.693)
    np.testing.assert_allclose(cols[:, 1], [np.log(2), np.log(2) - 1, np.log(2) - 1], atol=1e-6)
    assert np.isfinite(Z.proxy_columns({"synflow": np.array([1e300, 1e38])})).all()  # float32-safe
    with pytest.raises(MissingValueError, match="proxy a has 1 missing scores"):
        Z.proxy_columns({"a": np.array([1.0, np.nan])})
    with pytest.raises(NasbenchError, match="needs at least one proxy"):
        Z.proxy_columns({})


def test_score_sets_by_proxy():
    sets = [{"proxy": "a", "index": None, "score": np.arange(4.0)},
            {"proxy": "b", "index": np.array([1, 3]), "score": np.array([5.0, 6.0])}]
    out = Z.score_sets_by_proxy(sets, 4)
    assert out["a"].tolist() == [0, 1, 2, 3]
    np.testing.assert_array_equal(out["b"], [np.nan, 5.0, np.nan, 6.0])


def test_paired_effect_by_hand():
    e = Z.paired_effect([1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.0, 0.0])
    assert e["mean_diff"] == 2.5 and e["wins"] == 4 and e["losses"] == 0 and e["n"] == 4
    assert e["ci95"][0] < 2.5 < e["ci95"][1]
    assert e["wilcoxon_p"] == pytest.approx(0.125)  # exact two-sided: 2 / 2**4
    assert Z.paired_effect([1.0, 1.0], [1.0, 1.0])["wilcoxon_p"] == 1.0
    with pytest.raises(NasbenchError, match="two arrays of one length >= 2"):
        Z.paired_effect([1.0, 2.0], [1.0])


def _synthetic(n=300, seed=0):
    rng = np.random.default_rng(seed)
    encoded = rng.integers(0, 2, size=(n, 6)).astype(np.float32)
    hidden = rng.standard_normal(n)  # what the encoding does not show, but the proxy does
    acc = encoded[:, 0] * 0.3 + hidden
    return encoded, acc, {"good": hidden + 0.05 * rng.standard_normal(n), "noise": rng.standard_normal(n)}


def test_the_experiment_finds_an_informative_proxy():
    encoded, acc, scores = _synthetic()
    acc[:5] = np.nan  # not in the pool
    scores["noise"][5] = np.nan  # neither
    r = Z.features_experiment(encoded, acc, scores, fractions=[0.1, 0.3], n_seeds=4, seed=1)
    assert r["pool"] == 294 and r["n_train"] == [29, 88] and r["proxies"] == ["good", "noise"]
    assert r["tau"]["encoding"].shape == (2, 4)
    for i in range(2):
        assert (r["tau"]["encoding+zc"][i] > r["tau"]["encoding"][i] + 0.2).all()
        assert r["effects"][i]["with_zc"]["wins"] == 4
    again = Z.features_experiment(encoded, acc, scores, fractions=[0.1, 0.3], n_seeds=4, seed=1)
    np.testing.assert_array_equal(again["tau"]["zc"], r["tau"]["zc"])  # seeded
    md = Z.format_markdown(r, "title").splitlines()
    assert md[0] == "title" and md[3].startswith("| 10% (29) |") and len(md) == 5


def test_experiment_errors():
    encoded, acc, scores = _synthetic(40)
    with pytest.raises(NasbenchError, match="needs --seeds >= 2; got 1"):
        Z.features_experiment(encoded, acc, scores, n_seeds=1)
    with pytest.raises(NasbenchError, match=r"give 2 .. 38 of the pool's 40 archs; got 0.01 \(0 archs\)"):
        Z.features_experiment(encoded, acc, scores, fractions=[0.01], n_seeds=2)
    with pytest.raises(MissingValueError, match="only 0 archs have the accuracy and every proxy score"):
        Z.features_experiment(encoded, np.full(40, np.nan), scores, n_seeds=2)


def test_on_nb201_cifar10_with_naslib_scores(nb201_cifar10):
    root = require_shared("naslib_zc_benchmarks/zc_nasbench201.json")
    r = Z.features_on_benchmark(nb201_cifar10, naslib_dir=root, fractions=[0.1], n_seeds=2)
    assert r["scores"] == "naslib" and r["encoding"] == "iso" and r["pool"] > 700 and len(r["proxies"]) == 12
    assert (r["tau"]["encoding"] > 0.4).all()  # a surrogate of 72 archs ranks NB201 well already
    if not any(m.startswith("zc_") for m in nb201_cifar10.metrics):
        with pytest.raises(MissingValueError, match="has no zc_\\* metrics"):
            Z.features_on_benchmark(nb201_cifar10)
    r = Z.features_on_benchmark(nb201_cifar10, naslib_dir=root, proxies=["synflow", "params"], fractions=[0.1],
                                n_seeds=2)
    assert sorted(r["proxies"]) == ["params", "synflow"]
    with pytest.raises(NasbenchError, match="--proxies must name proxies of these scores .*; got zen"):
        Z.features_on_benchmark(nb201_cifar10, naslib_dir=root, proxies=["synflow", "zen"])
    with pytest.raises(NasbenchError, match="has no metric 'acc'"):
        Z.features_on_benchmark(nb201_cifar10, naslib_dir=root, metric="acc")


def test_needs_an_enumerable_benchmark():
    from types import SimpleNamespace

    with pytest.raises(NasbenchError, match="needs an enumerable benchmark \\(a table\\); got darts/x"):
        Z.features_on_benchmark(SimpleNamespace(name="darts/x", metrics={}))
