"""The latency-model report: per-device accuracy by training size, and few-shot adaptation.

Arrays in, rows out (the CLI ``nasbench latency report`` feeds it the NB201 tables and prints).
"""

from __future__ import annotations

import numpy as np

from surrogates.latency.additive import AdditiveLatencyModel
from surrogates.latency.evaluate import evaluate_adaptation, evaluate_device, summarise
from surrogates.latency.interaction import InteractionLatencyModel

__all__ = ["surrogate_report", "adaptation_report", "MODELS"]

MODELS = ("additive", "interaction")


def _factory(name: str, n_ops: int, edges, none_op: int):
    if name == "additive":
        return lambda: AdditiveLatencyModel(n_ops, reference_op=none_op)
    return lambda: InteractionLatencyModel(n_ops, edges, none_op=none_op)


def surrogate_report(ops, table, devices, meaningful, *, n_ops: int, edges, none_op: int = 0,
                     sizes=(20, 100, 1000), models=MODELS, n_repeats: int = 3, seed: int = 0) -> dict:
    """Train each model on ``n`` archs of each device and score it on that device's other archs.

    Parameters
    ----------
    ops : int array of shape (n_archs, n_edges)
    table : float array of shape (n_archs, n_devices)
        Latency (ms) of every arch on every device.
    devices : sequence of str
        Column names of ``table``.
    meaningful : bool array of shape (n_archs,)
        Archs where relative errors count.

    Returns
    -------
    dict with ``rows`` (one per model, size and device, with the :func:`latency_scores` figures) and
    ``summary`` (per model and size: median / min / max over devices of ``within``, and the median device).
    """
    rows = []
    for model in models:
        make = _factory(model, n_ops, edges, none_op)
        for n in sizes:
            for j, device in enumerate(devices):
                scores = evaluate_device(make, ops, table[:, j], meaningful, n, n_repeats=n_repeats, seed=seed,
                                         device_key=j)
                rows.append({"model": model, "n_train": n, "device": device, **scores})
    summary = []
    for model in models:
        for n in sizes:
            subset = [r for r in rows if r["model"] == model and r["n_train"] == n]
            summary.append({"model": model, "n_train": n, **summarise(subset),
                            "spearman_median": float(np.median([r["spearman"] for r in subset])),
                            "rmse_ms_median": float(np.median([r["rmse_ms"] for r in subset]))})
    return {"rows": rows, "summary": summary}


def adaptation_report(table, devices, meaningful, *, families=None, shots=(10, 20), rank: int = 4,
                      n_repeats: int = 3, seed: int = 0) -> dict:
    """Leave each device out in turn, learn the basis on the others, adapt with a few measured archs.

    Parameters
    ----------
    families : sequence of str, optional
        Hardware family of each device (e.g. ``"1080ti"`` for ``1080ti_1/32/256``). When given, a
        *strict* variant also leaves out the held-out device's siblings, so the basis never saw that
        hardware at any batch size.

    Returns
    -------
    dict with ``rows`` (one per protocol, shot count and held-out device) and ``summary``.
    """
    protocols = ["leave-one-device-out"] + (["leave-one-hardware-out"] if families is not None else [])
    rows = []
    for protocol in protocols:
        for n in shots:
            for t, device in enumerate(devices):
                if protocol == "leave-one-device-out":
                    others = [k for k in range(len(devices)) if k != t]
                else:
                    others = [k for k in range(len(devices)) if families[k] != families[t]]
                scores = evaluate_adaptation(table, t, others, meaningful, n, rank=rank, n_repeats=n_repeats,
                                             seed=seed)
                rows.append({"protocol": protocol, "n_shots": n, "device": device, **scores})
    summary = []
    for protocol in protocols:
        for n in shots:
            subset = [r for r in rows if r["protocol"] == protocol and r["n_shots"] == n]
            summary.append({"protocol": protocol, "n_shots": n, **summarise(subset),
                            "spearman_median": float(np.median([r["spearman"] for r in subset])),
                            "rmse_ms_median": float(np.median([r["rmse_ms"] for r in subset]))})
    return {"rows": rows, "summary": summary}
