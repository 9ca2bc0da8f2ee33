"""How well zero-cost proxies rank a benchmark's accuracy (``nasbench zc report``).

Each row is one proxy from one *source* of scores, compared with the benchmark's accuracy on the
archs where both are present:

* ``table``: every ``zc_<proxy>`` metric of the benchmark (``nasbench zc compute``), over all archs
  of the table (an NB201 isomorphism class counts once per member, as a user's query sees it); cost
  from ``zc_<proxy>_time_s`` (CPU seconds, one thread);
* ``naslib``: NASLib's published NB201 scores (NAS-Bench-Suite-Zero, ``../shared/data`` section 4)
  on its ~724 sampled archs, computed by NASLib on real training images at the dataset's network
  shape; cost is NASLib's recorded seconds (its GPU machine);
* ``ours``: our scores of those sampled archs, as written by ``nasbench zc naslib --out``.

Statistics: Spearman's rho and Kendall's tau with the accuracy, the top-10% precision (the share of
the proxy's best 10% of archs that are among the accuracy's best 10%), and the cost (median seconds
per arch). Undefined scores (``-inf``, NASLib's ``-1e8``) rank lowest.

Needs scipy; the plot needs matplotlib (``pip install "nasbench[report]"``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from nasbench.errors import DataIntegrityError, MissingValueError, NasbenchError

__all__ = ["proxy_report", "format_rows", "format_markdown", "plot_report", "top_precision", "table_scores",
           "naslib_scores", "our_sample_scores", "NASLIB_DATASETS"]

# benchmark dataset -> the dataset key of NASLib's NB201 file
NASLIB_DATASETS = {"cifar10": "cifar10", "cifar100": "cifar100", "imagenet16-120": "ImageNet16-120"}
UNDEFINED = -1e8  # NASLib's value of an undefined score


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
    """-inf and NASLib's -1e8 (undefined) as one value below every defined score: the lowest rank."""
    undefined = np.isneginf(values) | (values <= UNDEFINED)
    finite = values[np.isfinite(values) & ~undefined]
    low = (finite.min() - 1.0) if finite.size else 0.0
    return np.where(undefined, low, values)


def table_scores(bench) -> list[dict]:
    """Score sets of every ``zc_<proxy>`` metric of ``bench`` (see :func:`proxy_report`)."""
    names = sorted(m[3:] for m in bench.metrics if m.startswith("zc_") and not m.endswith("_time_s"))
    out = []
    for p in names:
        times = (np.asarray(bench.column(f"zc_{p}_time_s"), dtype=np.float64)
                 if f"zc_{p}_time_s" in bench.metrics else None)
        out.append({"proxy": p, "source": "table", "index": None,
                    "score": np.asarray(bench.column(f"zc_{p}"), dtype=np.float64), "time": times})
    return out


def _naslib_dataset(bench_name: str) -> str:
    space, _, dataset = bench_name.partition("@")[0].partition("/")
    if space != "nb201" or dataset not in NASLIB_DATASETS:
        raise NasbenchError(f"NASLib's zero-cost scores cover nb201/{{{', '.join(NASLIB_DATASETS)}}}; got "
                            f"{bench_name!r}. Drop --naslib / --ours for this benchmark.")
    return NASLIB_DATASETS[dataset]


def naslib_scores(source_dir, bench_name: str) -> list[dict]:
    """Score sets of NASLib's NB201 proxies for the dataset of ``bench_name`` (its ~724 sampled archs)."""
    from nasbench.training.proxies_naslib import read_naslib_nb201

    ref = read_naslib_nb201(source_dir, _naslib_dataset(bench_name))
    return [{"proxy": p, "source": "naslib", "index": ref["index"], "score": s, "time": ref["times"][p]}
            for p, s in ref["scores"].items() if not np.isnan(s).all()]


def our_sample_scores(path, bench_name: str) -> list[dict]:
    """Score sets of a ``nasbench zc naslib --out`` file (our proxies on NASLib's sampled archs).

    The file holds ``dataset``, ``index`` (NB201 indices), ``scores`` (proxy -> list, null for
    undefined) and ``rows`` (``our_s_per_arch``, the median seconds, used as every arch's cost).
    """
    dataset = _naslib_dataset(bench_name)
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        index = np.asarray(doc["index"], dtype=np.int64)
        secs = {r["proxy"]: float(r["our_s_per_arch"]) for r in doc["rows"]}
        sets = [{"proxy": p, "source": "ours", "index": index,
                 "score": np.array([-np.inf if v is None else float(v) for v in values], dtype=np.float64),
                 "time": np.full(len(index), secs.get(p, np.nan))} for p, values in doc["scores"].items()]
        file_dataset = doc["dataset"]
    except FileNotFoundError:
        raise NasbenchError(f"--ours: no file {path}; write one with `nasbench zc naslib --from DIR --out FILE`.") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataIntegrityError(f"{path} is not a `nasbench zc naslib --out` file ({' '.join(str(exc).split())[:100]}); "
                                 "write it again with `nasbench zc naslib --out`.") from None
    if file_dataset != dataset:
        raise NasbenchError(f"{path} scored NASLib's {file_dataset} sample, but {bench_name} needs {dataset}; run "
                            f"`nasbench zc naslib --dataset {dataset} --out FILE`.")
    if any(len(s["score"]) != len(index) for s in sets) or (len(index) and not 0 <= index.min() <= index.max() < 15625):
        raise DataIntegrityError(f"{path}: scores and NB201 indices differ in length or leave 0..15624; write it again "
                                 "with `nasbench zc naslib --out`.")
    return sets


def _row(entry: dict, acc: np.ndarray) -> tuple[dict, tuple]:
    """Statistics of one score set against the accuracy of all archs ``acc`` (n_archs,)."""
    from scipy.stats import kendalltau, spearmanr

    idx = np.arange(len(acc)) if entry["index"] is None else entry["index"]
    score, a = entry["score"], acc[idx]
    ok = ~np.isnan(score) & ~np.isnan(a)
    s, a = _finite_low(score[ok]), a[ok]
    row = {"proxy": entry["proxy"], "source": entry["source"], "n_archs": int(ok.sum())}
    if ok.sum() >= 3 and np.ptp(s) > 0:
        row.update(spearman=float(spearmanr(s, a)[0]), kendall=float(kendalltau(s, a)[0]),
                   top10_precision=top_precision(s, a))
    else:
        row.update(spearman=float("nan"), kendall=float("nan"), top10_precision=float("nan"))
    t = None if entry["time"] is None else entry["time"][ok]
    row["s_per_arch_median"] = float(np.nanmedian(t)) if t is not None and np.isfinite(t).any() else float("nan")
    row["s_total"] = float(np.nansum(t)) if t is not None else float("nan")
    return row, (score[ok], a)


def proxy_report(bench, metric: str | None = None, fidelity=None, *, naslib_dir=None, ours=None,
                 table: bool = True) -> dict:
    """Rank statistics of every proxy score set against ``metric``.

    Parameters
    ----------
    bench : str or Benchmark
        A tabular benchmark (holding ``zc_*`` metrics unless only ``naslib_dir`` / ``ours`` are given).
    metric : str, optional
        The accuracy; default ``valid_acc`` when present, else ``test_acc``.
    fidelity : optional
        Default: the metric's default fidelity.
    naslib_dir : path, optional
        Folder holding NASLib's ``zc_nasbench201.json``: adds its proxies (source ``naslib``).
    ours : path, optional
        A ``nasbench zc naslib --out`` file: adds its proxies (source ``ours``).
    table : bool, default True
        Include the table's ``zc_*`` metrics (source ``table``).

    Returns
    -------
    dict
        ``bench``, ``metric``, ``fidelity``, ``rows`` (one dict per score set: ``proxy``, ``source``,
        ``n_archs``, ``spearman``, ``kendall``, ``top10_precision``, ``s_per_arch_median``, ``s_total``)
        sorted by Spearman, and ``arrays`` ((proxy, source) -> (scores, accuracy) over the archs used).
    """
    from nasbench.benchmarks.registry import load

    b = load(bench) if isinstance(bench, str) else bench
    sets = table_scores(b) if table else []
    if naslib_dir is not None:
        sets += naslib_scores(naslib_dir, b.name)
    if ours is not None:
        sets += our_sample_scores(ours, b.name)
    if not sets:
        raise MissingValueError(f"{b.name} has no zc_* metrics; run `nasbench zc compute {b.name}` first, or pass "
                                "--naslib DIR for NASLib's published scores.")
    if metric is None:
        metric = "valid_acc" if "valid_acc" in b.metrics else "test_acc"
    if metric not in b.metrics:
        raise NasbenchError(f"{b.name} has no metric {metric!r}; pass --metric with one of its accuracies.")
    if fidelity is not None and float(fidelity).is_integer():
        fidelity = int(fidelity)
    fidelity = b.default_fidelity(metric) if fidelity is None else fidelity
    acc = np.asarray(b.column(metric, fidelity), dtype=np.float64)
    rows, arrays = [], {}
    for entry in sets:
        row, pair = _row(entry, acc)
        rows.append(row)
        arrays[(row["proxy"], row["source"])] = pair
    rows.sort(key=lambda r: -np.nan_to_num(r["spearman"], nan=-2.0))
    return {"bench": b.name, "metric": metric, "fidelity": fidelity, "rows": rows, "arrays": arrays}


def format_rows(rep: dict) -> str:
    """The report as a fixed-width text table."""
    lines = [f"{rep['bench']}: zero-cost proxies vs {rep['metric']} at fidelity {rep['fidelity']}",
             f"{'proxy':<10} {'source':<7} {'n_archs':>7} {'spearman':>9} {'kendall':>8} {'top10%':>7} {'s/arch':>8}"]
    for r in rep["rows"]:
        lines.append(f"{r['proxy']:<10} {r['source']:<7} {r['n_archs']:>7} {r['spearman']:>9.3f} {r['kendall']:>8.3f} "
                     f"{r['top10_precision']:>7.3f} {r['s_per_arch_median']:>8.4f}")
    return "\n".join(lines)


def format_markdown(rep: dict) -> str:
    """The report as a Markdown table (what the README shows)."""
    lines = ["| proxy | scores | archs | Spearman | Kendall | top-10% precision | s / arch (median) |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for r in rep["rows"]:
        lines.append(f"| {r['proxy']} | {r['source']} | {r['n_archs']} | {r['spearman']:.3f} | {r['kendall']:.3f} | "
                     f"{r['top10_precision']:.2f} | {r['s_per_arch_median']:.3g} |")
    return "\n".join(lines)


def plot_report(rep: dict, path) -> None:
    """Save a PNG: the rank correlations per score set, and each one's rank against the accuracy."""
    from strategies.report import pyplot

    plt = pyplot()
    from scipy.stats import rankdata

    rows = rep["rows"]
    n = len(rows)
    cols = 5
    grid = 1 + -(-n // cols)
    fig = plt.figure(figsize=(3.4 * cols, 3.0 * grid))
    ax = fig.add_subplot(grid, 1, 1)
    x = np.arange(n)
    ax.bar(x - 0.2, [r["spearman"] for r in rows], 0.4, label="Spearman")
    ax.bar(x + 0.2, [r["kendall"] for r in rows], 0.4, label="Kendall")
    several = len({r["source"] for r in rows}) > 1
    ax.set_xticks(x, [f"{r['proxy']}\n{r['source']}" if several else r["proxy"] for r in rows], fontsize=7)
    ax.axhline(0, color="black", lw=0.5)
    ax.set_ylabel(f"rank corr. with {rep['metric']}")
    ax.set_title(f"{rep['bench']}: zero-cost proxies vs {rep['metric']} (fidelity {rep['fidelity']})")
    ax.legend()
    for i, r in enumerate(rows):
        score, acc = rep["arrays"][(r["proxy"], r["source"])]
        sub = fig.add_subplot(grid, cols, cols + i + 1)
        if len(score):
            ranks = rankdata(_finite_low(score)) / len(score)
            sub.scatter(ranks, acc, s=1 if len(score) > 2000 else 3, alpha=0.3, rasterized=True)
        sub.set_title(f"{r['proxy']} [{r['source']}, {r['n_archs']}] rho {r['spearman']:.2f}", fontsize=8)
        sub.set_xlabel("proxy rank (fraction)", fontsize=7)
        sub.set_ylabel(rep["metric"], fontsize=7)
        sub.tick_params(labelsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
