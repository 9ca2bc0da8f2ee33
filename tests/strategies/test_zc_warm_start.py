"""strategies.zc_warm_start: picking the warm archs, charging their scoring time, paired statistics."""

import numpy as np
import pytest

pytest.importorskip("scipy")

from nasbench.errors import MissingValueError, NasbenchError  # noqa: E402
from strategies import zc_warm_start as W  # noqa: E402
from tests.conftest import require_shared  # noqa: E402


def _pool():
    return {"index": np.arange(100, 110), "score": np.array([5.0, -np.inf, 9.0, 1.0, 7.0, 7.0, 0.0, 2.0, 3.0, 4.0]),
            "time_s": np.arange(10, dtype=np.float64) / 10, "source": "t", "proxy": "p"}


def test_pick_warm_by_hand():
    pool = _pool()
    best, cost = W.pick_warm(pool, 10, 3, np.random.default_rng(0))  # everything scored
    assert best.tolist()[0] == 102 and set(best.tolist()[1:]) == {104, 105} and cost == pytest.approx(4.5)
    rng = np.random.default_rng(3)
    chosen = np.random.default_rng(3).choice(10, size=4, replace=False)
    best, cost = W.pick_warm(pool, 4, 2, rng)
    want = chosen[np.argsort(-pool["score"][chosen], kind="stable")[:2]] + 100
    assert best.tolist() == want.tolist() and cost == pytest.approx(pool["time_s"][chosen].sum())
    with pytest.raises(NasbenchError, match=r"--n-score must be an int in \[1, 10\]; got 11 \(10 archs have a score\)"):
        W.pick_warm(pool, 11, 1, rng)
    with pytest.raises(NasbenchError, match=r"--top-k must be an int in \[1, 4\]; got 5 \(at most --n-score\)"):
        W.pick_warm(pool, 4, 5, rng)


@pytest.fixture(scope="module")
def naslib_root():
    return require_shared("naslib_zc_benchmarks/zc_nasbench201.json")


def test_proxy_pool(nb201_cifar10, naslib_root):
    pool = W.proxy_pool(nb201_cifar10, "synflow", naslib_dir=naslib_root)
    assert 700 < pool["index"].shape[0] == pool["score"].shape[0] == pool["time_s"].shape[0]
    assert not (pool["score"] <= -1e8).any() or np.isneginf(pool["score"][pool["score"] <= -1e8]).all()
    with pytest.raises(NasbenchError, match="NASLib's NB201 file has no scores of 'zen'"):
        W.proxy_pool(nb201_cifar10, "zen", naslib_dir=naslib_root)
    if "zc_synflow" not in nb201_cifar10.metrics:
        with pytest.raises(MissingValueError, match="has no zc_synflow with its zc_synflow_time_s; run `nasbench zc"):
            W.proxy_pool(nb201_cifar10, "synflow")


def test_the_warm_run_starts_from_the_best_after_scoring(nb201_cifar10, naslib_root):
    from strategies.task import Task

    task = Task(nb201_cifar10)
    pool = W.proxy_pool(nb201_cifar10, "synflow", naslib_dir=naslib_root)
    pair = W.warm_cold_pair(task, "regularized_evolution", pool, root_seed=0, i=1, n_score=50, top_k=5,
                            max_time_s=60000.0)
    best, cost = W.pick_warm(pool, 50, 5, np.random.default_rng(np.random.SeedSequence(0, spawn_key=(1, 1))))
    warm, cold = pair["warm"], pair["cold"]
    assert pair["cost_s"] == cost > 0
    assert warm.arch_index[:5].tolist() == best.tolist()  # the warm archs are the first evaluations
    assert warm.start_s[0] == cost and cold.start_s[0] == 0.0  # scoring charged on the clock
    assert warm.end_s[-1] <= 60000.0 and cold.end_s[-1] <= 60000.0


def test_warm_vs_cold_and_its_errors(nb201_cifar10, naslib_root):
    r = W.warm_vs_cold(nb201_cifar10, ["random_search"], "synflow", n_score=50, top_k=5, n_seeds=3,
                       max_time_s=60000.0, naslib_dir=naslib_root)
    row = r["rows"][0]
    assert r["n_seeds"] == 3 and len(r["per_seed"]["random_search"]["warm"]) == 3
    assert row["final"]["diff"]["n"] == 3 and 0 <= row["final"]["wilcoxon"]["p_value"] <= 1
    assert row["final"]["wilcoxon"]["p_value"] <= row["final"]["p_holm"] <= 1  # two tests: final and anytime
    assert row["auc"]["cold"][1] <= row["auc"]["cold"][0] <= row["auc"]["cold"][2]
    assert len(r["curves"]["random_search"]["warm"]) == len(r["time_grid_s"]) == W.N_TIME_GRID
    assert r["time_grid_s"][-1] == 60000.0
    md = W.format_markdown(r).splitlines()
    assert md[2].startswith("| strategy | score |") and len(md) == 6 and "| random_search | final regret |" in md[4]
    kw = dict(naslib_dir=naslib_root, n_score=50, top_k=5)
    with pytest.raises(NasbenchError, match="needs --seeds >= 2|need --seeds >= 2"):
        W.warm_vs_cold(nb201_cifar10, ["random_search"], "synflow", n_seeds=1, max_time_s=6e4, **kw)
    with pytest.raises(NasbenchError, match="ends before its first evaluation"):
        W.warm_vs_cold(nb201_cifar10, ["random_search"], "synflow", n_seeds=2, max_time_s=100.0, **kw)
    with pytest.raises(NasbenchError, match="costs .* the whole --time-budget"):
        W.warm_vs_cold(nb201_cifar10, ["random_search"], "synflow", n_seeds=2, max_time_s=1.0, **kw)
    with pytest.raises(NasbenchError, match="--strategy-params name bananas, which is not in --strategies"):
        W.warm_vs_cold(nb201_cifar10, ["random_search"], "synflow", n_seeds=2, max_time_s=6e4,
                       params={"bananas": {"n_init": 3}}, **kw)


def test_a_pool_of_ones_own(nb201_cifar10):
    pool = {"index": np.arange(0, 15625, 50), "score": np.arange(313.0), "time_s": np.full(313, 2.0), "source": "mine"}
    r = W.warm_vs_cold(nb201_cifar10, ["random_search"], "mine", n_score=20, top_k=2, n_seeds=2, max_time_s=3e4,
                       pool=pool)
    assert r["pool"] == "mine" and r["pool_size"] == 313 and r["rows"][0]["cost_s"] == 40.0
    for bad in ({**pool, "score": np.full(313, np.nan)}, {**pool, "index": pool["index"] + 100},
                {**pool, "time_s": np.ones(3)}):
        with pytest.raises(NasbenchError, match="must be 1-D arrays of one length"):
            W.warm_vs_cold(nb201_cifar10, ["random_search"], "mine", n_seeds=2, max_time_s=3e4, pool=bad)
    with pytest.raises(NasbenchError, match="a pool holds index, score, time_s arrays and a source text"):
        W.warm_vs_cold(nb201_cifar10, ["random_search"], "mine", n_seeds=2, max_time_s=3e4, pool={"index": [1]})


def test_needs_an_enumerable_benchmark():
    from types import SimpleNamespace

    with pytest.raises(NasbenchError, match="needs an enumerable benchmark \\(a table\\); got darts/x"):
        W.warm_vs_cold(SimpleNamespace(name="darts/x", enumerable=False), ["random_search"], "synflow",
                       max_time_s=10.0)
