"""Cross-task transfer: the warm-start wrapper, correlation matrices, cold-vs-warm comparison, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from nasbench.errors import NasbenchError
from nasbench.spaces.transnas_micro import TNBMicroSpace
from strategies.evolution import RegularizedEvolution
from strategies.local_search import LocalSearch
from strategies.warm_start import WarmStart
from tests.conftest import data_root_env, require_shared

TNB = "transnas101_micro_naslib_zen/all_benchmarks_zen.zip"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from tabular_data.importers.nas_bench_macro import import_nas_bench_macro
    from tabular_data.importers.transnas_micro import import_transnas_micro

    shared = require_shared(TNB, "nas_bench_macro/nas-bench-macro_cifar10.json")
    root = tmp_path_factory.mktemp("transfer_store")
    import_transnas_micro(shared, root, log=lambda line: None)
    import_nas_bench_macro(shared, root, log=lambda line: None)
    with data_root_env(root):
        yield root


def _load(name):
    import nasbench

    return nasbench.load(name)


def test_warm_start_asks_the_given_archs_first_and_tells_the_inner_strategy_everything():
    space = TNBMicroSpace()
    initial = [space.from_index(i) for i in (5, 77, 3000)]
    inner = RegularizedEvolution(space, seed=0, population_size=4)
    warm = WarmStart(inner, initial)
    warm.set_fidelities((None,))
    asked = [warm.ask()[0] for _ in range(3)]
    assert asked == initial and inner.n_asked == 3  # the warm archs are 3 of the 4 initial population asks
    for i, a in enumerate(asked):
        warm.tell(a, None, float(i))
    assert [a for a, _ in inner.population] == initial and inner.n_told == 3
    nxt = warm.ask()[0]
    assert inner.n_asked == 4 and space.is_valid(nxt)
    assert warm.recommend() == initial[2] and warm.params()["n_initial"] == 3


def test_warm_local_search_climbs_from_the_first_warm_arch():
    space = TNBMicroSpace()
    start = space.from_index(123)
    warm = WarmStart(LocalSearch(space, seed=1), [start])
    warm.set_fidelities((None,))
    warm.tell(*warm.ask(), 1.0)
    assert warm.inner.current[0] == start and set(warm.inner.queue) <= set(space.neighbors(start))


def test_warm_start_refuses_bad_input():
    space = TNBMicroSpace()
    with pytest.raises(NasbenchError, match="wraps a Strategy"):
        WarmStart(object(), [])
    with pytest.raises(NasbenchError, match="archs of the transnas-micro space"):
        WarmStart(LocalSearch(space, seed=0), ["64-41414-3_23_232"])
    used = LocalSearch(space, seed=0)
    used.set_fidelities((None,))
    used.tell(space.from_index(0), None, 1.0)
    with pytest.raises(NasbenchError, match="needs a fresh local_search"):
        WarmStart(used, [])


def test_correlation_matrices(store):
    from strategies.transfer import correlation_matrices

    names = ["transnas-micro/class_scene", "transnas-micro/class_object", "transnas-micro/room_layout"]
    benches = [_load(n) for n in names]
    result = correlation_matrices(benches, top_k=50)
    for key in ("spearman", "kendall", "top_k_overlap"):
        m = result[key]
        assert m.shape == (3, 3) and np.allclose(m, m.T) and np.allclose(np.diag(m), 1.0)
    a, b = benches[0].column("valid_acc"), benches[2].column("valid_neg_l2_loss")
    assert result["spearman"][0, 2] == pytest.approx(stats.spearmanr(a, b).statistic)
    top_a, top_b = set(np.argsort(-a, kind="stable")[:50]), set(np.argsort(-b, kind="stable")[:50])
    assert result["top_k_overlap"][0, 2] == len(top_a & top_b) / 50
    with pytest.raises(NasbenchError, match="one space"):
        correlation_matrices([benches[0], _load("macro/cifar10")])
    with pytest.raises(NasbenchError, match="at least 2 benchmarks"):
        correlation_matrices(benches[:1])
    with pytest.raises(NasbenchError, match=r"--top-k must be in \[1, 4096\]"):
        correlation_matrices(benches, top_k=5000)


def test_warm_start_comparison_is_reproducible_and_paired(store):
    from strategies.transfer import top_archs, warm_start_comparison

    src, dst = _load("transnas-micro/class_scene"), _load("transnas-micro/class_object")
    kwargs = dict(strategies=["random_search", "regularized_evolution"], n_seeds=3, budget=15, k=5, seed=4)
    first = warm_start_comparison(src, dst, **kwargs)
    assert first == warm_start_comparison(src, dst, **kwargs)
    best = top_archs(src, 5)
    assert [w["arch"] for w in first["warm_archs"]] == [a.string for a in best]
    # the first warm arch is the source's best: evaluating it first bounds the warm regret from the start
    column = dst.column("valid_acc")
    regret_of_best = column.max() - column[best[0].index]
    for row in first["rows"]:
        assert max(row["final"]["warm"]) <= regret_of_best + 1e-12
    with pytest.raises(NasbenchError, match=r"--top-k must be in \[1, budget - 1\]"):
        warm_start_comparison(src, dst, **{**kwargs, "k": 15})


def test_cli_transfer(store, tmp_path, capsys):
    from nasbench.cli import main

    out = tmp_path / "tr"
    rc = main(["transfer", "transnas-micro/class_scene", "transnas-micro/jigsaw", "--seeds", "2", "--budget", "12",
               "--top-k", "3", "--strategies", "random_search", "--out", str(out)])
    text = capsys.readouterr().out
    assert rc == 0 and "Spearman rank correlation" in text and "Warm start on transnas-micro/jigsaw" in text
    saved = json.loads((out / "transfer.json").read_text())
    assert saved["names"] == ["transnas-micro/class_scene", "transnas-micro/jigsaw"] and saved["warm_start"]["k"] == 3
    assert main(["transfer", "transnas-micro/class_scene"]) == 2
    assert "takes SOURCE TARGET" in capsys.readouterr().err
    assert main(["transfer", "transnas-micro/class_scene", "transnas-micro/jigsaw", "--no-search", "--out",
                 str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
