"""How well the zero-cost proxies of a table rank its accuracy (``nasbench zc report``).

For every ``zc_<proxy>`` metric of a benchmark and the archs where both it and the accuracy are
present: Spearman's rho and Kendall's tau with the accuracy, the top-10% precision (the share of the
proxy's best 10% of archs that are among the accuracy's best 10%), and the compute cost (median and
total seconds per arch from ``zc_<proxy>_time_s``). Undefined scores (``-inf``) rank lowest.
Values are taken over all archs of the table, so an NB201 isomorphism class counts once per member,
as a user's query sees it.

Needs scipy; the plot needs matplotlib (``pip install "nasbench[report]"``).
"""

from __future__ import annotations

import numpy as np

from nasbench.errors import MissingValueError, NasbenchError, OptionalDependencyError

__all__ = ["proxy_report", "format_rows", "plot_report", "top_precision"]


def top_precision(score: np.ndarray, target: np.ndarray, fraction: float = 0.1) -> float:
    """Share of the ``fraction`` highest-``score`` items that are among the ``fraction`` highest-``target``.

    Ties at the cut are broken by position (stable sort), ``k = max(1, round(fraction * n))``.
    """
    n = len(score)
    k = max(1, int(round(fraction * n)))
    top_s = np.argsort(-score, kind="stable")[:k]
    top_t = np.argsort(-target, kind="stable")[:k]
    return float(len(np.intersect1d(top_s, top_t)) / k)


def _finite_low(values: np.ndarray) -> np.ndarray:
    """-inf (undefined) as one value below every finite score, so rank statistics see the lowest rank."""
    finite = values[np.isfinite(values)]
    low = (finite.min() - 1.0) if finite.size else 0.0
    return np.where(np.isneginf(values), low, values)


def proxy_report(bench, metric: str | None = None, fidelity=None) -> dict:
    """Rank statistics of every ``zc_*`` metric of ``bench`` against ``metric``.

    Parameters
    ----------
    bench : str or Benchmark
        A tabular benchmark holding ``zc_*`` metrics (``nasbench zc compute``).
    metric : str, optional
        The accuracy; default ``valid_acc`` when present, else ``test_acc``.
    fidelity : optional
        Default: the metric's default fidelity.

    Returns
    -------
    dict
        ``bench``, ``metric``, ``fidelity``, ``rows`` (one dict per proxy: ``proxy``, ``n_archs``,
        ``spearman``, ``kendall``, ``top10_precision``, ``s_per_arch_median``, ``s_total``) and
        ``arrays`` (proxy -> (scores, accuracy) over the archs used).
    """
    from scipy.stats import kendalltau, spearmanr

    from nasbench.benchmarks.registry import load

    b = load(bench) if isinstance(bench, str) else bench
    names = sorted(m[3:] for m in b.metrics if m.startswith("zc_") and not m.endswith("_time_s"))
    if not names:
        raise MissingValueError(f"{b.name} has no zc_* metrics; run `nasbench zc compute {b.name}` first.")
    if metric is None:
        metric = "valid_acc" if "valid_acc" in b.metrics else "test_acc"
    if metric not in b.metrics:
        raise NasbenchError(f"{b.name} has no metric {metric!r}; pass --metric with one of its accuracies.")
    if fidelity is not None and float(fidelity).is_integer():
        fidelity = int(fidelity)
    fidelity = b.default_fidelity(metric) if fidelity is None else fidelity
    acc = np.asarray(b.column(metric, fidelity), dtype=np.float64)
    rows, arrays = [], {}
    for p in names:
        score = np.asarray(b.column(f"zc_{p}"), dtype=np.float64)
        ok = ~np.isnan(score) & ~np.isnan(acc)
        s, a = _finite_low(score[ok]), acc[ok]
        row = {"proxy": p, "n_archs": int(ok.sum())}
        if ok.sum() >= 3 and np.ptp(s) > 0:
            row.update(spearman=float(spearmanr(s, a)[0]), kendall=float(kendalltau(s, a)[0]),
                       top10_precision=top_precision(s, a))
        else:
            row.update(spearman=float("nan"), kendall=float("nan"), top10_precision=float("nan"))
        if f"zc_{p}_time_s" in b.metrics:
            t = np.asarray(b.column(f"zc_{p}_time_s"), dtype=np.float64)[ok]
            row.update(s_per_arch_median=float(np.median(t)) if t.size else float("nan"), s_total=float(np.sum(t)))
        rows.append(row)
        arrays[p] = (score[ok], a)
    rows.sort(key=lambda r: -np.nan_to_num(r["spearman"], nan=-2.0))
    return {"bench": b.name, "metric": metric, "fidelity": fidelity, "rows": rows, "arrays": arrays}


def format_rows(rep: dict) -> str:
    """The report as a fixed-width text table."""
    lines = [f"{rep['bench']}: zero-cost proxies vs {rep['metric']} at fidelity {rep['fidelity']}",
             f"{'proxy':<10} {'n_archs':>7} {'spearman':>9} {'kendall':>8} {'top10%':>7} {'s/arch':>8}"]
    for r in rep["rows"]:
        lines.append(f"{r['proxy']:<10} {r['n_archs']:>7} {r['spearman']:>9.3f} {r['kendall']:>8.3f} "
                     f"{r['top10_precision']:>7.3f} {r.get('s_per_arch_median', float('nan')):>8.4f}")
    return "\n".join(lines)


def plot_report(rep: dict, path) -> None:
    """Save a PNG: the rank correlations per proxy, and each proxy's rank against the accuracy."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise OptionalDependencyError(f"the zc report plot needs matplotlib ({exc}); pip install \"nasbench[report]\""
                                      ) from exc
    from scipy.stats import rankdata

    rows = rep["rows"]
    n = len(rows)
    cols = 4
    grid = 1 + -(-n // cols)
    fig = plt.figure(figsize=(4 * cols, 3.2 * grid))
    ax = fig.add_subplot(grid, 1, 1)
    x = np.arange(n)
    ax.bar(x - 0.2, [r["spearman"] for r in rows], 0.4, label="Spearman")
    ax.bar(x + 0.2, [r["kendall"] for r in rows], 0.4, label="Kendall")
    ax.set_xticks(x, [r["proxy"] for r in rows])
    ax.axhline(0, color="black", lw=0.5)
    ax.set_ylabel(f"rank corr. with {rep['metric']}")
    ax.set_title(f"{rep['bench']}: zero-cost proxies vs {rep['metric']} (fidelity {rep['fidelity']})")
    ax.legend()
    for i, r in enumerate(rows):
        score, acc = rep["arrays"][r["proxy"]]
        sub = fig.add_subplot(grid, cols, cols + i + 1)
        if len(score):
            ranks = rankdata(_finite_low(score)) / len(score)
            sub.scatter(ranks, acc, s=1, alpha=0.3, rasterized=True)
        sub.set_title(f"{r['proxy']} (rho {r['spearman']:.2f})", fontsize=9)
        sub.set_xlabel("proxy rank (fraction)", fontsize=8)
        sub.set_ylabel(rep["metric"], fontsize=8)
        sub.tick_params(labelsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
