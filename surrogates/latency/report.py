"""The latency-model report: per-device accuracy by training size, and few-shot adaptation.

Arrays in, rows out (the CLI ``nasbench latency report`` feeds it the NB201 tables and prints).
"""

from __future__ import annotations

import numpy as np

from surrogates.latency.additive import AdditiveLatencyModel
from surrogates.latency.evaluate import evaluate_adaptation, evaluate_device, summarise
from surrogates.latency.interaction import InteractionLatencyModel

__all__ = ["surrogate_report", "adaptation_report", "format_family_report", "MODELS"]

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


def format_family_report(result: dict, groups: dict, *, shots, models, per_device: bool = False,
                         focus: int = 20, target: float = 0.7) -> list[str]:
    """Text lines of a :func:`~surrogates.latency.holdout.family_holdout` result.

    Parameters
    ----------
    groups : dict
        ``device -> "edge" | "server"``.
    focus : int
        The K whose Spearman and median relative error the family table shows (the nearest run K).
    target : float
        The edge target; an edge device whose noise ceilings are below it is marked as limited.
    """
    from surrogates.latency.holdout import summarise_families

    rows, ceilings = result["rows"], {d["device"]: d for d in result["devices"]}
    focus = min(shots, key=lambda k: abs(k - focus))
    main = models[0]
    lines = [f"\n## Leave one hardware family out: prior from the other families, K archs measured on the "
             f"held-out one ({main} model; 'within' = share of the other archs within +-10%)",
             "# plan = archs chosen by `nasbench latency plan`; rand = uniform random archs (mean of repeats). "
             "Ceilings: twin = a perfect model given the measurement noise seen between twin cells (same "
             "computation); self = the model's features fit on half of the device's own archs."]
    head = "".join(f"{m + '@' + str(k):>10}" for k in shots for m in ("plan", "rand"))
    lines.append(f"{'family':<15}{'group':<7}{'n':>3}{head}{'rho@' + str(focus):>9}{'MARE@' + str(focus):>9}"
                 f"{'twin':>7}{'self':>7}")

    def cell(subset, k, method, key="within"):
        vals = [r[key] for r in subset if r["n_shots"] == k and r["method"] == method and r["model"] == main]
        return float(np.mean(vals)) if vals else float("nan")

    families = list(dict.fromkeys(d["family"] for d in result["devices"]))
    for fam in families:
        members = [d for d in result["devices"] if d["family"] == fam]
        subset = [r for r in rows if r["family"] == fam]
        group = groups.get(members[0]["device"], "?")
        lines.append(f"{fam:<15}{group:<7}{len(members):>3}"
                     + "".join(f"{100 * cell(subset, k, m):>9.1f}%" for k in shots for m in ("plan", "random"))
                     + f"{cell(subset, focus, 'plan', 'spearman'):>9.3f}{100 * cell(subset, focus, 'plan', 'mare'):>8.1f}%"
                     + f"{100 * np.mean([c['twin_ceiling'] for c in members]):>6.0f}%"
                     + f"{100 * np.mean([c['self_ceiling'] for c in members]):>6.0f}%")
        if per_device and len(members) > 1:
            for c in members:
                sub = [r for r in subset if r["device"] == c["device"]]
                lines.append(f"  {c['device']:<20}{'':>3}" + "".join(
                    f"{100 * cell(sub, k, m):>9.1f}%" for k in shots for m in ("plan", "random"))
                    + f"{cell(sub, focus, 'plan', 'spearman'):>9.3f}{100 * cell(sub, focus, 'plan', 'mare'):>8.1f}%"
                    + f"{100 * c['twin_ceiling']:>6.0f}%{100 * c['self_ceiling']:>6.0f}%")
    lines.append("\n## Summary over held-out families (family = mean over its devices)")
    lines.append(f"{'model':<14}{'archs':<8}{'K':>4}{'median family':>15}  {'worst family':<26}{'server median':>14}")
    for model in models:
        for method in ("plan", "random"):
            for k in shots:
                s = summarise_families(result, groups, n_shots=k, method=method, model=model)
                worst = f"{s['worst'][0]} {100 * s['worst'][1]:.1f}%"
                lines.append(f"{model:<14}{method:<8}{k:>4}{100 * s['median']:>14.1f}%  {worst:<26}"
                             f"{100 * s['server_median']:>13.1f}%")
    s = summarise_families(result, groups, n_shots=focus, method="plan", model=main)
    lines.append(f"\n## Edge devices, {focus} planned archs ({main}); the target is {100 * target:.0f}% within +-10%")
    lines.append(f"{'device':<16}{'within':>8}{'twin':>7}{'self':>7}  {'resolution (ceiling)':<22}verdict")
    for device, within in s["edge"].items():
        c = ceilings[device]
        limit = max(c["twin_ceiling"], c["self_ceiling"])
        verdict = ("meets the target" if within >= target else
                   f"below; noise limits any model to ~{100 * limit:.0f}%" if limit < target else "below the target")
        res = f"{c['resolution_ms']:g} ms ({100 * c['resolution_ceiling']:.1f}%)" if c["resolution_ms"] else "fine"
        lines.append(f"{device:<16}{100 * within:>7.1f}%{100 * c['twin_ceiling']:>6.0f}%{100 * c['self_ceiling']:>6.0f}%"
                     f"  {res:<22}{verdict}")
    return lines
