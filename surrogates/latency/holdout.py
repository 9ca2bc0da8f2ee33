"""Honest few-shot evaluation: leave out a whole hardware family, adapt from a few measured archs.

A *family* is every configuration of one piece of hardware (all batch sizes) together with its
near-duplicates: the same chip in another product, or the same core in another SKU. Holding out a
single column while its siblings stay in the prior measures how well a model copies a sibling, not how
it does on a device never seen. :data:`HELP_FAMILIES` defines the families of HELP's 27 columns:

* ``pascal``: GTX 1080 Ti, Titan Xp and Titan X (Pascal): one GP102 chip in three products (the
  batch-256 columns of the three correlate at 0.998 in log latency), batch 1, 32 and 256;
* ``turing``: RTX 2080 Ti and Titan RTX, one TU102 chip, batch 1, 32 and 256;
* ``xeon``: Gold 6226, Gold 6240, Silver 4210R (Cascade Lake) and Silver 4114 (Skylake-SP): one core
  micro-architecture in four SKUs;
* ``snapdragon835``: Pixel 2 and Essential PH-1, both Snapdragon 835 phones;
* one family each for Samsung A50 (Exynos 9610), Samsung S7, Pixel 3 and Raspberry Pi 4 (TFLite,
  from HW-NAS-Bench), Eyeriss (ASIC simulator) and the FPGA (estimated).

Groups: ``edge`` (phones, Raspberry Pi, FPGA, Eyeriss) and ``server`` (GPUs, Xeon CPUs).

What no model can beat is measured too (:mod:`surrogates.latency.ceilings`): the noise between twin
cells, the reading resolution, and what a model fit on the device's own archs reaches.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata, spearmanr

from nasbench.errors import InvalidArchError
from nasbench.timing import Stopwatch

__all__ = ["HELP_FAMILIES", "family_of", "scores", "family_holdout", "summarise_families", "SHOTS", "MODELS", "METHODS"]

HELP_FAMILIES = {
    **{f"{gpu}_{b}": ("pascal", "server") for gpu in ("1080ti", "titanxp", "titanx") for b in (1, 32, 256)},
    **{f"{gpu}_{b}": ("turing", "server") for gpu in ("2080ti", "titan_rtx") for b in (1, 32, 256)},
    **{cpu: ("xeon", "server") for cpu in ("gold_6226", "gold_6240", "silver_4114", "silver_4210r")},
    "pixel2": ("snapdragon835", "edge"), "essential_ph_1": ("snapdragon835", "edge"),
    "samsung_a50": ("samsung_a50", "edge"), "samsung_s7": ("samsung_s7", "edge"),
    "pixel3": ("pixel3", "edge"), "raspi4": ("raspi4", "edge"), "eyeriss": ("eyeriss", "edge"),
    "fpga": ("fpga", "edge"),
}
SHOTS = (10, 20, 50)
MODELS = ("hierarchical", "cross_device", "additive")
METHODS = ("plan", "random", "like", "plan_halves", "like_halves")


def family_of(device: str, kind: str = "unknown") -> tuple[str, str]:
    """(family, group) of a device: HELP's from :data:`HELP_FAMILIES`, others their own family."""
    if device in HELP_FAMILIES:
        return HELP_FAMILIES[device]
    return device, "server" if kind in ("gpu", "cpu") else "edge"


def scores(y_true, y_pred, tol: float = 0.1, *, true_ranks=None) -> dict:
    """``within`` (share with relative error <= tol), ``spearman``, ``mare`` (median absolute relative error).

    ``true_ranks`` (the average ranks of ``y_true``, ties shared) may be passed to save re-ranking.
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    rel = np.abs(y_pred - y_true) / y_true
    if true_ranks is None:
        rho = float(spearmanr(y_true, y_pred).statistic)
    else:
        rho = float(np.corrcoef(true_ranks, rankdata(y_pred))[0, 1])
    return {"within": float(np.mean(rel <= tol)), "spearman": rho, "mare": float(np.median(rel))}


def one_blas_thread():
    """A context that limits BLAS to one thread where threadpoolctl is installed (else does nothing).

    The evaluation runs thousands of small products ((15625, 55) by (55,)): BLAS threads cost more to
    wake than they save, and on a shared machine they spin against other people's jobs (10-25x slower
    measured under load).
    """
    import contextlib

    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: only speed depends on it
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _adapted(model_name, prior, cross, ops, features, table_rows, y, resolution, n_ops, none_op, like=None):
    """Predictions (ms) for every arch after adapting ``model_name`` to ``y`` on the archs ``table_rows``."""
    if model_name == "hierarchical":
        return features @ prior.adapt(ops[table_rows], y, resolution_ms=resolution, like=like).coef_
    if model_name == "cross_device":
        return cross.adapt(table_rows, y).predict(np.arange(ops.shape[0]))
    from surrogates.latency.additive import AdditiveLatencyModel

    return AdditiveLatencyModel(n_ops, reference_op=none_op).fit(ops[table_rows], y).predict(ops)


def family_holdout(ops, table, devices, families, meaningful, *, edges, n_ops: int, none_op: int = 0,
                   resolutions=None, shots=SHOTS, models=MODELS, n_repeats: int = 3, seed: int = 0,
                   progress=None, kinds=None, learnable=(), replans: int = 0) -> dict:
    """Leave out each family in turn: prior from the others, adapt from K planned or random archs.

    Parameters
    ----------
    ops : int array of shape (n_archs, n_edges)
    table : float array of shape (n_archs, n_devices)
        Latency (ms) of every arch on every device.
    devices, families : sequence of str, length n_devices
    meaningful : bool array of shape (n_archs,)
        Archs whose latency means something (plans, random draws and scores use only these).
    resolutions : sequence of float, optional
        Reading resolution (ms) of each device, 0 when fine.
    shots : sequence of int
        K, the numbers of measured archs.
    models : sequence of str
        Among :data:`MODELS`.
    n_repeats : int
        Random draws of K archs per device (the plan is deterministic: one run).
    progress : callable, optional
        Receives one line per family.
    kinds : dict, optional
        ``family -> kind`` (what a user knows about a new device, e.g. "gpu", "arm cpu"). When given,
        method ``like`` plans and adapts the hierarchical model with the prior means of the other
        families of the held-out family's kind (as ``--device-like`` would; the plain prior where no
        other family shares the kind).
    learnable : sequence of str
        Devices whose :func:`~surrogates.latency.ceilings.learnable_ceiling` is computed too (slow:
        gradient-boosted trees and the latency features on 90 % of the device's archs; needs xgboost).
    replans : int
        Also plan (and, with ``kinds``, plan like) on this many random halves of the candidates, and score
        the hierarchical model adapted from each: methods ``plan_halves`` / ``like_halves`` with the mean
        and, as ``within_min``, the worst. A plan of 20 archs is one design; these say how much its figure
        depends on the exact candidate set.

    Returns
    -------
    dict with ``rows``: one per (device, K, method, model) with :func:`scores` figures averaged over the
    method's draws and ``within_min`` the worst draw (method ``plan``, ``random`` and, with ``kinds``,
    ``like``; with ``replans`` the ``_halves`` methods), and ``devices``: one per device with its family,
    ceilings and the families its ``like`` run used.
    """
    with one_blas_thread():
        return _family_holdout(ops, table, devices, families, meaningful, edges, n_ops, none_op, resolutions,
                               shots, models, n_repeats, seed, progress, kinds, learnable, replans)


def _family_holdout(ops, table, devices, families, meaningful, edges, n_ops, none_op, resolutions, shots, models,
                    n_repeats, seed, progress, kinds, learnable, replans=0) -> dict:
    """The loop of :func:`family_holdout` (over families; :func:`_score_device` does one device)."""
    from surrogates.latency.adapt import CrossDeviceLatencyModel
    from surrogates.latency.features import twin_pairs
    from surrogates.latency.prior import HierarchicalLatencyModel

    table = np.asarray(table, dtype=np.float64)
    meaningful = np.asarray(meaningful, dtype=bool)
    families = list(families)
    if len(families) != table.shape[1] or len(devices) != table.shape[1]:
        raise InvalidArchError(f"devices and families must have one entry per column ({table.shape[1]}).")
    if len(set(families)) < 2:
        raise InvalidArchError("leaving a family out needs at least 2 families.")
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise InvalidArchError(f"unknown models {unknown}; expected among {list(MODELS)}.")
    resolutions = [0.0] * table.shape[1] if resolutions is None else [float(r or 0.0) for r in resolutions]
    rows_ok = np.flatnonzero(meaningful)
    cand_ops = ops[rows_ok]
    ctx = {"ops": ops, "meaningful": meaningful, "rows_ok": rows_ok, "n_ops": n_ops, "none_op": none_op,
           "shots": shots, "models": models, "edges": edges, "n_repeats": n_repeats, "seed": seed,
           "twins": twin_pairs(cand_ops, edges, none_op),
           "features": HierarchicalLatencyModel(n_ops, edges, none_op).features(ops)}  # computed once for every fit
    # each device's weights do not depend on which family is held out: fit them once
    all_coef = HierarchicalLatencyModel(n_ops, edges, none_op).fit(ops, table, families, meaningful).device_coef_
    out_rows, out_devices = [], []
    names = sorted(set(families), key=families.index)
    for f_i, family in enumerate(names):
        clock = Stopwatch()
        test = [j for j in range(table.shape[1]) if families[j] == family]
        train = [j for j in range(table.shape[1]) if families[j] != family]
        prior = HierarchicalLatencyModel(n_ops, edges, none_op).fit(
            ops, table[:, train], [families[j] for j in train], meaningful, device_coef=all_coef[train])
        cross = CrossDeviceLatencyModel().fit(table[:, train]) if "cross_device" in models else None
        likes = {"plan": None}
        if kinds is not None:  # what a user who knows the device's kind would pass as --device-like
            likes["like"] = sorted({families[j] for j in train if kinds.get(families[j]) == kinds.get(family)}) or None
        halves = [np.sort(np.random.default_rng([seed, f_i, r]).choice(rows_ok, rows_ok.size // 2, replace=False))
                  for r in range(replans)]
        plans = {}  # method -> (planned orders, like)
        for method, like in likes.items():
            plans[method] = ([rows_ok[prior.plan(cand_ops, max(shots), like=like)]], like)
            if halves:
                plans[f"{method}_halves"] = ([h[prior.plan(ops[h], max(shots), like=like)] for h in halves], like)
        for j in test:
            rows, info = _score_device(ctx, table[:, j], prior, cross, plans, resolutions[j], j,
                                       devices[j] in learnable)
            out_rows.extend({"device": devices[j], "family": family, **r} for r in rows)
            out_devices.append({"device": devices[j], "family": family, **info})
        if progress is not None:
            progress(f"[{f_i + 1}/{len(names)}] held out {family} ({len(test)} device"
                     f"{'s' if len(test) > 1 else ''}): {clock.wall_s:.1f} s")
    return {"rows": out_rows, "devices": out_devices}


def _score_device(ctx, y, prior, cross, plans, resolution, key, learnable=False):
    """Rows (one per K, method, model) and ceilings of one held-out device of latencies ``y`` (n_archs,)."""
    from surrogates.latency.ceilings import learnable_ceiling, resolution_ceiling, self_ceiling, twin_ceiling

    rows_ok, meaningful = ctx["rows_ok"], ctx["meaningful"]
    y_ok = y[rows_ok]
    info = {"resolution_ms": resolution, "twin_ceiling": twin_ceiling(y_ok, *ctx["twins"]),
            "resolution_ceiling": resolution_ceiling(y_ok, resolution),
            "self_ceiling": self_ceiling(ctx["features"][rows_ok], y_ok, np.random.default_rng([ctx["seed"], key])),
            "like_families": plans["like"][1] if "like" in plans else None}
    if learnable:
        info["learnable_ceiling"] = learnable_ceiling(
            ctx["ops"][rows_ok], y_ok, np.random.default_rng([ctx["seed"], key]), edges=ctx["edges"],
            n_ops=ctx["n_ops"], none_op=ctx["none_op"])
    out = []
    for k in ctx["shots"]:
        draws = {method: ([order[:k] for order in orders], like) for method, (orders, like) in plans.items()}
        draws = {"plan": draws.pop("plan"),
                 "random": ([np.random.default_rng([ctx["seed"], key, k, r]).choice(rows_ok, k, replace=False)
                             for r in range(ctx["n_repeats"])], None), **draws}
        for method, (sets, like) in draws.items():
            for model in ctx["models"]:
                if method not in ("plan", "random") and model != "hierarchical":
                    continue  # only the hierarchical prior has per-family means; the halves study it alone
                runs = []
                for chosen in sets:
                    pred = _adapted(model, prior, cross, ctx["ops"], ctx["features"], chosen, y[chosen], resolution,
                                    ctx["n_ops"], ctx["none_op"], like)
                    rest = meaningful.copy()
                    rest[chosen] = False
                    runs.append(scores(y[rest], pred[rest], true_ranks=rankdata(y[rest])))
                out.append({"n_shots": k, "method": method, "model": model,
                            **{m: float(np.mean([r[m] for r in runs])) for m in runs[0]},
                            "within_min": float(min(r["within"] for r in runs))})
    return out, info


def summarise_families(result: dict, groups: dict, *, n_shots: int = 20, method: str = "plan",
                       model: str = "hierarchical") -> dict:
    """Per-family means of one (K, method, model) cell; median and worst family; edge devices apart.

    Parameters
    ----------
    groups : dict
        ``device -> "edge" | "server"``.

    Returns
    -------
    dict with ``families`` (family -> mean within over its devices), ``median``, ``worst`` (name, value),
    ``edge`` (device -> within) and ``server_median``.
    """
    cell = [r for r in result["rows"] if r["n_shots"] == n_shots and r["method"] == method and r["model"] == model]
    if not cell:
        raise InvalidArchError(f"no rows for K={n_shots}, method={method!r}, model={model!r}.")
    fams: dict[str, list] = {}
    for r in cell:
        fams.setdefault(r["family"], []).append(r["within"])
    means = {f: float(np.mean(v)) for f, v in fams.items()}
    worst = min(means, key=means.get)
    server = [r["within"] for r in cell if groups.get(r["device"]) == "server"]
    return {"families": means, "median": float(np.median(list(means.values()))), "worst": (worst, means[worst]),
            "edge": {r["device"]: r["within"] for r in cell if groups.get(r["device"]) == "edge"},
            "server_median": float(np.median(server)) if server else float("nan")}
