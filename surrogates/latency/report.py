"""The latency-model report: per-device accuracy by training size, and few-shot adaptation.

Arrays in, rows out (the CLI ``nasbench latency report`` feeds it the NB201 tables and prints).
"""

from __future__ import annotations

import numpy as np

from surrogates.latency.additive import AdditiveLatencyModel
from surrogates.latency.evaluate import evaluate_adaptation, evaluate_device, summarise
from surrogates.latency.interaction import InteractionLatencyModel

__all__ = ["surrogate_report", "adaptation_report", "format_family_report", "format_device_report", "MODELS"]

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
        The edge target; an edge device whose ceilings are below it is marked as limited.
    """
    focus = min(shots, key=lambda k: abs(k - focus))
    main = models[0]
    like = any(r["method"] == "like" for r in result["rows"])
    lines = [f"\n## Leave one hardware family out: prior from the other families, K archs measured on the "
             f"held-out one ({main} model; 'within' = share of the other archs within +-10%)",
             "# plan = archs chosen by `nasbench latency plan`; rand = uniform random archs (mean of repeats)"
             + ("; like = plan and adapt with --device-like the known families of the same kind (gpu, server "
                "cpu, arm cpu, accelerator)" if like else "")
             + ". Ceilings: twin = a perfect model given the measurement noise seen between twin cells (same "
             "computation); self = the model's features fit on half of the device's own archs."]
    lines += _family_table(result, groups, shots, main, focus, like, per_device)
    lines += _summary_table(result, groups, shots, models, like)
    lines += _edge_table(result, groups, main, focus, like, target)
    return lines


def _cell(rows, k, method, model, key="within") -> float:
    vals = [r[key] for r in rows if r["n_shots"] == k and r["method"] == method and r["model"] == model]
    return float(np.mean(vals)) if vals else float("nan")


def _family_table(result, groups, shots, main, focus, like, per_device) -> list[str]:
    """One line per held-out family (and per device of it with ``per_device``)."""
    methods = ("plan", "random") + (("like",) if like else ())
    head = "".join(f"{m[:4] + '@' + str(k):>10}" for k in shots for m in methods)
    lines = [f"{'family':<15}{'group':<7}{'n':>3}{head}{'rho@' + str(focus):>9}{'MARE@' + str(focus):>9}"
             f"{'twin':>7}{'self':>7}"]

    def figures(rows, members):
        return ("".join(f"{100 * _cell(rows, k, m, main):>9.1f}%" for k in shots for m in methods)
                + f"{_cell(rows, focus, 'plan', main, 'spearman'):>9.3f}"
                + f"{100 * _cell(rows, focus, 'plan', main, 'mare'):>8.1f}%"
                + f"{100 * np.mean([c['twin_ceiling'] for c in members]):>6.0f}%"
                + f"{100 * np.mean([c['self_ceiling'] for c in members]):>6.0f}%")

    for fam in dict.fromkeys(d["family"] for d in result["devices"]):
        members = [d for d in result["devices"] if d["family"] == fam]
        subset = [r for r in result["rows"] if r["family"] == fam]
        lines.append(f"{fam:<15}{groups.get(members[0]['device'], '?'):<7}{len(members):>3}" + figures(subset, members))
        if per_device and len(members) > 1:
            for c in members:
                lines.append(f"  {c['device']:<20}{'':>3}"
                             + figures([r for r in subset if r["device"] == c["device"]], [c]))
    return lines


def _summary_table(result, groups, shots, models, like) -> list[str]:
    """Median and worst family, and the server median, per model, method and K."""
    from surrogates.latency.holdout import summarise_families

    lines = ["\n## Summary over held-out families (family = mean over its devices)",
             f"{'model':<14}{'archs':<8}{'K':>4}{'median family':>15}  {'worst family':<26}{'server median':>14}"]
    for model in models:
        methods = ("plan", "random") + (("like",) if like and model == "hierarchical" else ())
        for method in methods:
            for k in shots:
                s = summarise_families(result, groups, n_shots=k, method=method, model=model)
                worst = f"{s['worst'][0]} {100 * s['worst'][1]:.1f}%"
                lines.append(f"{model:<14}{method:<8}{k:>4}{100 * s['median']:>14.1f}%  {worst:<26}"
                             f"{100 * s['server_median']:>13.1f}%")
    return lines


def _edge_table(result, groups, main, focus, like, target) -> list[str]:
    """Edge devices at K = ``focus`` with their ceilings and a verdict against ``target``."""
    from surrogates.latency.holdout import summarise_families

    ceilings = {d["device"]: d for d in result["devices"]}
    s = summarise_families(result, groups, n_shots=focus, method="plan", model=main)
    s_like = (summarise_families(result, groups, n_shots=focus, method="like", model=main)["edge"]
              if like and main == "hierarchical" else {})
    learn = any("learnable_ceiling" in c for c in ceilings.values())
    halves = [m for m in ("plan_halves", "like_halves") if main == "hierarchical"
              and any(r["method"] == m and r["n_shots"] == focus for r in result["rows"])]
    lines = [f"\n## Edge devices, {focus} planned archs ({main}); the target is {100 * target:.0f}% within +-10%"
             + ("; like = with --device-like the other arm-cpu / accelerator families" if s_like else "")
             + ("; halves = planned on random halves of the candidates: mean (worst)" if halves else "")
             + ("; learn = the better of trees and the latency features fit on 90% of the device's own archs"
                if learn else ""),
             f"{'device':<16}{'within':>8}{'like':>8}" + "".join(f"{m.replace('_halves', ' halves'):>14}" for m in halves)
             + f"{'twin':>7}{'self':>7}{'learn' if learn else '':>7}  {'resolution (ceiling)':<22}verdict"]
    for device, within in s["edge"].items():
        c = ceilings[device]
        res = f"{c['resolution_ms']:g} ms ({100 * c['resolution_ceiling']:.1f}%)" if c["resolution_ms"] else "fine"
        like_text = f"{100 * s_like[device]:>7.1f}%" if device in s_like else f"{'':>8}"
        half_text = "".join(f"{_mean_and_worst(result['rows'], m, focus, main, device):>14}" for m in halves)
        learn_text = f"{100 * c['learnable_ceiling']:>6.0f}%" if "learnable_ceiling" in c else f"{'':>7}"
        lines.append(f"{device:<16}{100 * within:>7.1f}%{like_text}{half_text}{100 * c['twin_ceiling']:>6.0f}%"
                     f"{100 * c['self_ceiling']:>6.0f}%{learn_text}  {res:<22}"
                     f"{_verdict(within, s_like.get(device), c, target)}")
    return lines


def _mean_and_worst(rows, method, k, model, device) -> str:
    """``"mean% (worst)"`` of a device's row of ``method`` (one averaged over several draws)."""
    row = next(r for r in rows if r["method"] == method and r["n_shots"] == k and r["model"] == model
               and r["device"] == device)
    return f"{100 * row['within']:.1f}% ({100 * row['within_min']:.0f})"


def _verdict(within: float, like, c: dict, target: float) -> str:
    """Whether a device meets ``target`` (plain, or with --device-like: ``like``, None when not run), else the
    ceiling that keeps it below (``c``: its ceilings)."""
    if within >= target:
        return "meets the target"
    if like is not None and like >= target:
        return "meets the target with --device-like"
    if "learnable_ceiling" in c:  # the most direct estimate: it supersedes the twin and self ones
        learn = 100 * c["learnable_ceiling"]
        return f"below; a model fit on 90% of its own archs reaches {'only ' if learn < 100 * target else ''}{learn:.0f}%"
    if c["twin_ceiling"] < target:
        return f"below; the noise between twins allows ~{100 * c['twin_ceiling']:.0f}%"
    if c["self_ceiling"] < target:
        return f"below; its own archs fit only {100 * c['self_ceiling']:.0f}%"
    return "below the target"


def format_device_report(report: dict, *, models, sizes, shots, n_repeats: int, seed: int,
                         per_device: bool = False) -> list[str]:
    """Text lines of the per-device report (``surrogate_report`` and ``adaptation_report`` results).

    ``report`` holds ``surrogates``, ``adaptation``, ``devices``, ``n_archs``, ``n_meaningful`` and
    ``n_degenerate``.
    """
    sur, ada, devices = report["surrogates"], report["adaptation"], report["devices"]
    lines = [f"# Latency models on {len(devices)} devices x {report['n_archs']} NB201 archs "
             f"(mean of {n_repeats} random training sets, root seed {seed})",
             f"# 'within' = share of test archs predicted within +-10%, over the {report['n_meaningful']} archs "
             f"whose cell output depends on the input; the other {report['n_degenerate']} are excluded because "
             "pixel3/raspi4 report near-zero latencies for them. RMSE over all test archs. Phones measure integer ms.",
             "\n## Per-device latency models: train on N archs of a device, predict its other archs"]
    lines += _summary_lines(sur["summary"], ("model", 12), ("n_train", 6, "N"))
    if per_device:
        lines.append(f"\n{'device':<16}" + "".join(f"{m[:3] + '@' + str(n):>10}" for m in models for n in sizes))
        lines += [f"{d:<16}" + "".join(f"{_pct(r['within']):>10}" for r in sur["rows"] if r["device"] == d)
                  for d in devices]
    lines += ["\n## Few-shot adaptation: basis from the other devices, adapted with K measured archs of the held-out one",
              "# leave-one-hardware-out also hides the held-out device's other batch sizes from the basis"]
    lines += _summary_lines(ada["summary"], ("protocol", 24), ("n_shots", 4, "K"))
    if per_device:
        lines.append(f"\n{'device':<16}" + "".join(f"{p + '@' + str(k):>22}" for p in ("one-device-out",
                                                                                      "one-hardware-out")
                                                   for k in shots))
        lines += [f"{d:<16}" + "".join(f"{_pct(r['within']):>22}" for r in ada["rows"] if r["device"] == d)
                  for d in devices]
    return lines


def _summary_lines(summary, label, count) -> list[str]:
    """Header and one line per summary row: ``label`` (key, width) left, ``count`` (key, width, title) right."""
    (key, width), (ckey, cwidth, title) = label, count
    lines = [f"{key:<{width}}{title:>{cwidth}}{'median within':>15}{'min':>8}{'max':>8}  {'median device':<16}"
             f"{'Spearman':>9}{'RMSE ms':>9}"]
    lines += [f"{s[key]:<{width}}{s[ckey]:>{cwidth}}{_pct(s['median']):>15}{_pct(s['min']):>8}{_pct(s['max']):>8}  "
              f"{s['median_device']:<16}{s['spearman_median']:>9.3f}{s['rmse_ms_median']:>9.3f}" for s in summary]
    return lines


def _pct(x: float) -> str:
    return f"{100 * x:5.1f}%"
