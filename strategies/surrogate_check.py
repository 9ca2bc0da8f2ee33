"""Does a surrogate rank strategies as its table does? The experiment behind ``nasbench surrogate check``.

:func:`check_surrogate` fits a surrogate on a share of a table's archs, runs the same strategy
comparison on the table and on the surrogate (same strategy seeds), and reports each strategy's mean
final value on both; :func:`format_report` prints it as a table.
"""

from __future__ import annotations

import numpy as np

from nasbench.rng import child_seed
from strategies import Objective, Task, make_strategy, simulate, trajectory

__all__ = ["check_surrogate", "format_report"]


def check_surrogate(name: str, metric: str = "test_acc", fidelity=None, *, train_fraction: float = 0.1,
                    strategies=("random_search", "regularized_evolution", "local_search"), n_seeds: int = 20,
                    budget: int = 100, seed: int = 0, search_metric: str = "valid_acc",
                    tolerance: float = 0.2, params: dict | None = None) -> dict:
    """Run the same strategy comparison on a table and on a surrogate fit on ``train_fraction`` of it.

    The surrogate models the search metric and ``metric`` (both at their highest fidelity unless
    ``fidelity`` is given for ``metric``), fit on one random split. Every strategy runs ``n_seeds``
    times with ``budget`` evaluations on each benchmark, with the same strategy seeds. Reported per
    strategy: mean final report value (incumbent's ``metric``) on the table, on the surrogate (its
    prediction), their difference, and the table's value of the archs the surrogate runs picked.

    Returns
    -------
    dict with ``rows`` (one per strategy), ``order_table``, ``order_surrogate``, ``order_agrees``,
    ``all_within_tolerance``, ``fits`` (held-out scores) and the settings.
    """
    import nasbench
    from nasbench.benchmarks.surrogate import surrogate_from_results
    from nasbench.benchmarks.surrogate_fit import check_train_fraction, fit_surrogate

    check_train_fraction(train_fraction)
    table = nasbench.load(name)
    fid = table.default_fidelity(metric) if fidelity is None else fidelity
    search_fid = table.default_fidelity(search_metric)
    # searches read whole predicted columns (mean model), so no noise members are needed
    fits = [fit_surrogate(name, m, f, train_fraction=train_fraction, seed=seed, params=params, n_members=0)
            for m, f in dict.fromkeys([(search_metric, search_fid), (metric, fid)])]
    surrogate = surrogate_from_results(fits)
    objective = Objective(search_metric=search_metric, search_fidelity=search_fid, report_metric=metric,
                          report_fidelity=fid, cost_metric="train_time_s")
    tasks = {"table": Task(table, objective), "surrogate": Task(surrogate, objective)}
    rows = []
    for j, strategy in enumerate(strategies):  # run i of strategy j: seed (j, i), a fresh object for each task
        finals = {"table": [], "surrogate": [], "surrogate_picks_on_table": []}
        for i in range(n_seeds):
            for kind, task in tasks.items():
                strat = make_strategy(strategy, task.space, seed=child_seed(seed, j, i))
                traj = trajectory(simulate(strat, task, max_evals=budget), task)
                finals[kind].append(float(traj["incumbent_report"][-1]))
                if kind == "surrogate":
                    finals["surrogate_picks_on_table"].append(float(tasks["table"].report[traj["incumbent_index"][-1]]))
        row = {"strategy": strategy}
        for kind, vals in finals.items():
            row[f"mean_{kind}"] = float(np.mean(vals))
        row["difference"] = row["mean_surrogate"] - row["mean_table"]
        row["within_tolerance"] = abs(row["difference"]) <= tolerance
        rows.append(row)

    def order(key):
        return [r["strategy"] for r in sorted(rows, key=lambda r: -r[key])]

    return {
        "benchmark": name, "metric": metric, "fidelity": fid, "search_metric": search_metric,
        "train_fraction": train_fraction, "n_seeds": n_seeds, "budget": budget, "seed": seed,
        "tolerance": tolerance, "rows": rows,
        "order_table": order("mean_table"), "order_surrogate": order("mean_surrogate"),
        "order_agrees": order("mean_table") == order("mean_surrogate"),
        "all_within_tolerance": all(r["within_tolerance"] for r in rows),
        "fits": [{"metric": f.metadata["metric"], "fidelity": f.metadata["fidelity"], **f.scores} for f in fits],
    }


def format_report(report: dict) -> str:
    """Plain-text table of :func:`check_surrogate`'s result."""
    lines = [
        f"{report['benchmark']}: {report['n_seeds']} runs x {report['budget']} evaluations per strategy, searching "
        f"{report['search_metric']}, reporting {report['metric']}@{report['fidelity']}; surrogate fit on "
        f"{report['train_fraction']:.0%} of archs",
    ]
    for f in report["fits"]:
        lines.append(f"  surrogate {f['metric']}@{f['fidelity']}: held-out Kendall tau {f['kendall_tau']:.4f}")
    lines.append(f"{'strategy':<24}{'table':>10}{'surrogate':>11}{'diff':>9}{'picks on table':>16}"
                 f"  within {report['tolerance']}")
    for r in report["rows"]:
        lines.append(f"{r['strategy']:<24}{r['mean_table']:>10.3f}{r['mean_surrogate']:>11.3f}{r['difference']:>+9.3f}"
                     f"{r['mean_surrogate_picks_on_table']:>16.3f}  {'yes' if r['within_tolerance'] else 'NO'}")
    lines.append(f"leaderboard order agrees: {'yes' if report['order_agrees'] else 'NO'} "
                 f"(table: {', '.join(report['order_table'])}; surrogate: {', '.join(report['order_surrogate'])})")
    return "\n".join(lines)
