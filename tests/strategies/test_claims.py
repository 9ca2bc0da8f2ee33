"""Published-behaviour checks on the real nb201/cifar10 table (skipped without the public data)."""

import numpy as np
from scipy import stats

from strategies.compare import seed_of
from strategies.fast import run_fast
from strategies.history import trajectory


def test_evolution_beats_random_search_at_300_evals_over_100_seeds(cifar10_task):
    seeds = [seed_of(0, i) for i in range(100)]
    final = {}
    for name in ("random_search", "regularized_evolution"):
        runs = run_fast(name, cifar10_task, seeds, max_evals=300)
        final[name] = np.array([trajectory(h, cifar10_task)["regret"][-1] for h in runs])
    rs, re = final["random_search"], final["regularized_evolution"]
    assert re.mean() < rs.mean()
    w = stats.wilcoxon(rs, re, zero_method="zsplit", alternative="greater")
    assert w.pvalue < 1e-3
    mw = stats.mannwhitneyu(rs, re, alternative="greater")
    assert mw.pvalue < 1e-3


def test_quickstart_notebook_runs(nb201_data_root):
    import pytest

    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "notebooks" / "quickstart.ipynb"
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3").execute()
    text = "".join(str(o.get("data", {}).get("text/markdown", "")) for c in nb.cells for o in c.get("outputs", []))
    assert "regularized_evolution" in text and "random_search" in text
