"""strategies.zc_report: top-10% precision, undefined scores, NASLib's and our sample's score sets."""

import json

import numpy as np
import pytest

pytest.importorskip("scipy")

from nasbench.errors import DataIntegrityError, MissingValueError, NasbenchError  # noqa: E402
from strategies import zc_report as Z  # noqa: E402
from tests.conftest import require_shared  # noqa: E402


def test_top_precision_by_hand():
    target = np.arange(20.0)  # best 2: items 18, 19
    assert Z.top_precision(target, target) == 1.0
    assert Z.top_precision(-target, target) == 0.0
    score = target.copy()
    score[19] = -1  # now the proxy's best 2 are 17, 18: one of two hits
    assert Z.top_precision(score, target) == 0.5
    assert Z.top_precision(score, target, fraction=0.5) == 0.9  # 10 best: 9..18 vs 10..19


def test_undefined_scores_rank_lowest():
    out = Z._finite_low(np.array([3.0, -np.inf, 1.0, -1e8]))
    assert out.tolist() == [3.0, 0.0, 1.0, 0.0]


def _ours_file(tmp_path, **change):
    doc = {"dataset": "cifar10", "index": [0, 5, 7], "scores": {"synflow": [1.0, None, 3.0]},
           "rows": [{"proxy": "synflow", "our_s_per_arch": 0.25}]}
    doc.update(change)
    path = tmp_path / "ours.json"
    path.write_text(json.dumps(doc))
    return path


def test_our_sample_scores(tmp_path):
    (s,) = Z.our_sample_scores(_ours_file(tmp_path), "nb201/cifar10")
    assert s["source"] == "ours" and s["index"].tolist() == [0, 5, 7]
    assert s["score"].tolist() == [1.0, -np.inf, 3.0] and s["time"].tolist() == [0.25] * 3
    with pytest.raises(NasbenchError, match="scored NASLib's cifar100 sample, but nb201/cifar10 needs cifar10"):
        Z.our_sample_scores(_ours_file(tmp_path, dataset="cifar100"), "nb201/cifar10")
    with pytest.raises(DataIntegrityError, match="differ in length or leave 0..15624"):
        Z.our_sample_scores(_ours_file(tmp_path, index=[0, 5, 15625]), "nb201/cifar10")
    with pytest.raises(DataIntegrityError, match="is not a `nasbench zc naslib --out` file"):
        Z.our_sample_scores(_ours_file(tmp_path, rows=None), "nb201/cifar10")
    with pytest.raises(NasbenchError, match="--ours: no file"):
        Z.our_sample_scores(tmp_path / "absent.json", "nb201/cifar10")
    with pytest.raises(NasbenchError, match="NASLib's zero-cost scores cover nb201/"):
        Z.our_sample_scores(_ours_file(tmp_path), "nb201/digits")


def test_report_of_naslib_and_our_scores(nb201_cifar10, tmp_path):
    root = require_shared("naslib_zc_benchmarks/zc_nasbench201.json")
    rep = Z.proxy_report(nb201_cifar10, naslib_dir=root, ours=_ours_file(tmp_path))
    rows = {(r["proxy"], r["source"]): r for r in rep["rows"]}
    assert rep["metric"] == "valid_acc" and rep["fidelity"] == 200
    assert rows[("params", "naslib")]["n_archs"] > 700 and rows[("synflow", "ours")]["n_archs"] == 3
    # NASLib's parameter count ranks NB201's validation accuracy well (NAS-Bench-Suite-Zero: ~0.73)
    assert 0.6 < rows[("params", "naslib")]["spearman"] < 0.85
    spearmans = [r["spearman"] for r in rep["rows"]]
    assert spearmans == sorted(spearmans, reverse=True)
    md = Z.format_markdown(rep).splitlines()
    assert md[0].startswith("| proxy | scores | archs | Spearman") and len(md) == 2 + len(rep["rows"])
    assert "synflow" in Z.format_rows(rep)
    png = tmp_path / "r.png"
    pytest.importorskip("matplotlib")
    Z.plot_report(rep, png)
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_report_errors(nb201_cifar10):
    if any(m.startswith("zc_") for m in nb201_cifar10.metrics):
        pytest.skip("this store's nb201/cifar10 holds proxies")
    with pytest.raises(MissingValueError, match="has no zc_\\* metrics; run `nasbench zc compute nb201/cifar10`"):
        Z.proxy_report(nb201_cifar10)
    root = require_shared("naslib_zc_benchmarks/zc_nasbench201.json")
    with pytest.raises(NasbenchError, match="has no metric 'acc'; pass --metric"):
        Z.proxy_report(nb201_cifar10, "acc", naslib_dir=root)
