"""Zero-cost proxies as extra surrogate features: held-out Kendall tau with and without them.

The experiment (``nasbench zc features``): a pool of archs that have the accuracy and every proxy
score; for each seed and training fraction, one random split of the pool; three XGBoost surrogates
(:func:`surrogates.fit.fit_on_arrays`, mean model only) fit on the same training archs:

* ``encoding``: the space's default encoding alone (NB201: ``iso``),
* ``encoding+zc``: the encoding plus one column per proxy,
* ``zc``: the proxy columns alone;

each scored by Kendall's tau on the rest of the pool. The effect of the proxies is the paired
difference ``tau(encoding+zc) - tau(encoding)`` over seeds: its mean with a 95% t-interval and the
Wilcoxon signed-rank test (two-sided).

Proxy columns are ``sign(s) * log1p(|s|)`` of the scores (monotone: trees see the same order; the
log keeps synflow's values of 1e30 and more finite in float32), undefined scores (``-inf``, NASLib's
``-1e8``) one below the column's lowest defined value. Isomorphic NB201 training archs are averaged
into one row (:func:`~nasbench.spaces.nb201.canonical_ids`), as :func:`~nasbench.benchmarks.surrogate.fit_surrogate` does.
"""

from __future__ import annotations

import numpy as np

from nasbench.errors import MissingValueError, NasbenchError

__all__ = ["proxy_columns", "score_sets_by_proxy", "features_experiment", "features_on_benchmark", "paired_effect",
           "format_markdown", "ARMS"]

ARMS = ("encoding", "encoding+zc", "zc")
UNDEFINED = -1e8  # NASLib's value of an undefined score


def proxy_columns(scores: dict) -> np.ndarray:
    """Feature columns of proxy scores.

    Parameters
    ----------
    scores : dict of proxy -> ndarray of float64, shape (n,)
        NaN is not allowed (drop those archs first); ``-inf`` and values <= -1e8 mean undefined.

    Returns
    -------
    ndarray of float32, shape (n, len(scores)), columns in the dict's order.
    """
    cols = []
    for p, s in scores.items():
        s = np.asarray(s, dtype=np.float64)
        if np.isnan(s).any():
            raise MissingValueError(f"proxy {p} has {int(np.isnan(s).sum())} missing scores among the pool's archs; "
                                    "keep only archs scored by every proxy.")
        undefined = np.isneginf(s) | (s <= UNDEFINED)
        col = np.sign(s) * np.log1p(np.abs(np.where(undefined, 0.0, s)))
        low = col[~undefined].min() - 1.0 if (~undefined).any() else 0.0
        cols.append(np.where(undefined, low, col))
    if not cols:
        raise NasbenchError("proxy_columns needs at least one proxy; got none.")
    return np.stack(cols, axis=1).astype(np.float32)


def score_sets_by_proxy(sets: list[dict], n_archs: int) -> dict:
    """Proxy -> score of every arch (float64 (n_archs,), NaN where not scored) from report score sets.

    ``sets`` as :func:`strategies.zc_report.table_scores` / :func:`~strategies.zc_report.naslib_scores`
    return them (``index`` None means all archs).
    """
    out = {}
    for s in sets:
        full = np.full(n_archs, np.nan)
        full[slice(None) if s["index"] is None else s["index"]] = s["score"]
        out[s["proxy"]] = full
    return out


def _fit_tau(X, y, train, test, groups, seed: int, params) -> float:
    from surrogates.fit import fit_on_arrays
    from surrogates.metrics import kendall_tau

    model = fit_on_arrays(X[train], y[train], groups=None if groups is None else groups[train], params=params,
                          n_members=0, seed=seed)
    return kendall_tau(y[test], model.predict(X[test]))


def _check_fractions(fractions, n_pool: int) -> list[float]:
    fractions = [float(f) for f in fractions]
    for f in fractions:
        n_train = int(round(f * n_pool))
        if not (0 < f < 1) or not 2 <= n_train <= n_pool - 2:
            raise NasbenchError(f"training fractions must be in (0, 1) and give 2 .. {n_pool - 2} of the pool's {n_pool} "
                                f"archs; got {f} ({n_train} archs). Pass --fractions in "
                                f"[{2 / n_pool:.4f}, {1 - 2 / n_pool:.4f}].")
    return fractions


def features_experiment(encoded, accuracy, scores: dict, *, fractions=(0.01, 0.05, 0.1), n_seeds: int = 10,
                        seed: int = 0, groups=None, params=None, log=None) -> dict:
    """Held-out Kendall tau of the three feature sets (:data:`ARMS`) over seeds and training fractions.

    Parameters
    ----------
    encoded : ndarray of float32, shape (n_archs, d)
        The encoding of every arch.
    accuracy : ndarray of float64, shape (n_archs,)
        The target (NaN: not in the pool).
    scores : dict of proxy -> ndarray of float64, shape (n_archs,)
        NaN: not scored (not in the pool).
    fractions : sequence of float in (0, 1)
        Training share of the pool.
    n_seeds : int
        Splits per fraction; split ``i`` of every fraction and arm comes from child ``i`` of ``seed``.
    groups : ndarray of int, shape (n_archs,), optional
        Isomorphism classes: training archs of one class are averaged into one row.

    Returns
    -------
    dict
        ``pool`` (archs), ``proxies``, ``fractions``, ``tau[arm]`` float64 (n_fractions, n_seeds),
        ``n_train`` per fraction, ``effects`` (per fraction :func:`paired_effect` of encoding+zc vs
        encoding, and of zc vs encoding).
    """
    from nasbench.rng import spawn

    accuracy = np.asarray(accuracy, dtype=np.float64)
    if isinstance(n_seeds, bool) or not isinstance(n_seeds, int) or n_seeds < 2:
        raise NasbenchError(f"the paired statistic needs --seeds >= 2; got {n_seeds!r}.")
    in_pool = ~np.isnan(accuracy)
    for s in scores.values():
        in_pool &= ~np.isnan(np.asarray(s, dtype=np.float64))
    pool = np.flatnonzero(in_pool)
    if pool.size < 8:
        raise MissingValueError(f"only {pool.size} archs have the accuracy and every proxy score; need at least 8. "
                                "Compute the proxies first (`nasbench zc compute`) or pass --naslib DIR.")
    fractions = _check_fractions(fractions, pool.size)
    zc = proxy_columns({p: np.asarray(s)[pool] for p, s in scores.items()})
    X = {"encoding": np.asarray(encoded, dtype=np.float32)[pool]}
    X["encoding+zc"], X["zc"] = np.hstack([X["encoding"], zc]), zc
    y, g = accuracy[pool], None if groups is None else np.asarray(groups)[pool]
    tau = {arm: np.full((len(fractions), n_seeds), np.nan) for arm in ARMS}
    rngs = spawn(seed, n_seeds)
    perms = [r.permutation(pool.size) for r in rngs]
    for i, f in enumerate(fractions):
        n_train = int(round(f * pool.size))
        for k, perm in enumerate(perms):
            train, test = np.sort(perm[:n_train]), np.sort(perm[n_train:])
            for arm in ARMS:
                tau[arm][i, k] = _fit_tau(X[arm], y, train, test, g, seed * 1000 + k, params)
        if log is not None:
            log(f"fraction {f}: mean tau " + ", ".join(f"{a} {tau[a][i].mean():.3f}" for a in ARMS))
    effects = [{"fraction": f, "with_zc": paired_effect(tau["encoding+zc"][i], tau["encoding"][i]),
                "zc_only": paired_effect(tau["zc"][i], tau["encoding"][i])} for i, f in enumerate(fractions)]
    return {"pool": int(pool.size), "proxies": list(scores), "fractions": fractions,
            "n_train": [int(round(f * pool.size)) for f in fractions], "n_seeds": n_seeds, "tau": tau,
            "effects": effects}


def features_on_benchmark(bench, *, naslib_dir=None, proxies=None, metric: str | None = None, fidelity=None,
                          **kwargs) -> dict:
    """:func:`features_experiment` on an enumerable benchmark.

    Parameters
    ----------
    bench : str or Benchmark
        E.g. ``"nb201/digits"`` (its ``zc_*`` metrics) or ``"nb201/cifar10"`` with ``naslib_dir``.
    naslib_dir : path, optional
        Use NASLib's published scores of its sampled archs (the pool) instead of the table's ``zc_*``.
    proxies : sequence of str, optional
        Use only these proxies (default: every proxy of the source).
    metric, fidelity : optional
        The target; default ``valid_acc`` (else ``test_acc``) at its default fidelity.
    **kwargs
        Passed to :func:`features_experiment`.

    Returns
    -------
    dict
        :func:`features_experiment`'s result plus ``bench``, ``metric``, ``fidelity``, ``scores``
        (``"table"`` or ``"naslib"``), ``encoding``.
    """
    from nasbench.benchmarks.registry import load
    from nasbench.encodings import get_encoding
    from strategies.zc_report import naslib_scores, table_scores

    b = load(bench) if isinstance(bench, str) else bench
    if not hasattr(b, "n_archs"):
        raise NasbenchError(f"the zc feature experiment needs an enumerable benchmark (a table); got {b.name}.")
    sets = naslib_scores(naslib_dir, b.name) if naslib_dir is not None else table_scores(b)
    if not sets:
        raise MissingValueError(f"{b.name} has no zc_* metrics; run `nasbench zc compute {b.name}` first, or pass "
                                "--naslib DIR for NASLib's published scores.")
    if proxies is not None:
        have = [s["proxy"] for s in sets]
        missing = [p for p in proxies if p not in have]
        if missing or not proxies:
            raise NasbenchError(f"--proxies must name proxies of these scores ({', '.join(have)}); got "
                                f"{', '.join(missing) or 'none'}.")
        sets = [s for s in sets if s["proxy"] in proxies]
    metric = metric or ("valid_acc" if "valid_acc" in b.metrics else "test_acc")
    if metric not in b.metrics:
        raise NasbenchError(f"{b.name} has no metric {metric!r}; pass --metric with one of its accuracies.")
    fidelity = b.default_fidelity(metric) if fidelity is None else fidelity
    enc = get_encoding(b.space.name, None)
    encoded = enc.encode(np.arange(b.n_archs))[0]
    groups = None
    if b.space.name == "nb201":
        from nasbench.spaces.nb201 import canonical_ids

        groups = canonical_ids()
    result = features_experiment(encoded, np.asarray(b.column(metric, fidelity), dtype=np.float64),
                                 score_sets_by_proxy(sets, b.n_archs), groups=groups, **kwargs)
    return {"bench": b.name, "metric": metric, "fidelity": fidelity, "encoding": enc.name,
            "scores": "naslib" if naslib_dir is not None else "table", **result}


def paired_effect(a, b) -> dict:
    """Paired difference ``a - b`` over seeds: mean, 95% t-interval, Wilcoxon signed-rank p, wins.

    Parameters
    ----------
    a, b : array-like of float, shape (n,)
        Paired values (seed ``i`` of both).
    """
    from scipy.stats import wilcoxon

    from strategies.leaderboard import mean_ci

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1 or a.size < 2:
        raise NasbenchError(f"a paired effect needs two arrays of one length >= 2; got shapes {a.shape} and {b.shape}.")
    d = a - b
    mean, low, high = mean_ci(d)
    # zero differences split between ranks, as the leaderboard's pairwise tests do
    p = float(wilcoxon(d, zero_method="zsplit").pvalue) if np.any(d != 0) else 1.0
    return {"mean_diff": mean, "ci95": [low, high], "wilcoxon_p": p, "wins": int((d > 0).sum()),
            "losses": int((d < 0).sum()), "n": int(d.size)}


def format_markdown(result: dict, title: str = "") -> str:
    """The experiment as a Markdown table: mean tau per arm and the paired effect per fraction."""
    lines = [title] if title else []
    lines += ["| train share (archs) | tau encoding | tau encoding+zc | tau zc only | diff (95% CI) | Wilcoxon p | "
              "wins/losses |", "|---|---:|---:|---:|---:|---:|---:|"]
    for i, (f, n) in enumerate(zip(result["fractions"], result["n_train"])):
        e = result["effects"][i]["with_zc"]
        lines.append(f"| {f:.0%} ({n}) | {result['tau']['encoding'][i].mean():.3f} | "
                     f"{result['tau']['encoding+zc'][i].mean():.3f} | {result['tau']['zc'][i].mean():.3f} | "
                     f"{e['mean_diff']:+.3f} ({e['ci95'][0]:+.3f}, {e['ci95'][1]:+.3f}) | {e['wilcoxon_p']:.2g} | "
                     f"{e['wins']}/{e['losses']} |")
    return "\n".join(lines)
