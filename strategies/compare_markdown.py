"""``leaderboard.md``: the leaderboard of a comparison as Markdown, with its statistics.

One table per run, sorted as :func:`strategies.compare_score.score` sorted it (the run's one order),
with the place (``rank``) and the mean of the per-seed ranks (``mean rank``) as separate columns, a
caption that says how the intervals were made, and every cell escaped
(:func:`strategies.leaderboard.markdown_table`). The pairwise tests follow the same order; when
there are more than :data:`MAX_PAIRS_PRINTED`, one summary line replaces them (all are in
``stats.json``).
"""

from __future__ import annotations

from strategies import leaderboard as lb
from strategies.compare_score import INTERVAL_TEXT, CompareResult
from strategies.leaderboard import Interval

__all__ = ["MAX_PAIRS_PRINTED", "leaderboard_markdown"]

MAX_PAIRS_PRINTED = 10


def leaderboard_markdown(result: CompareResult) -> str:
    """The leaderboard as Markdown: a title, a caption, the table and the statistics lines."""
    c, task = result.config, result.task
    lines = [f"## {c.benchmark}: {len(c.strategies)} strategies x {c.n_seeds} seeds, budget {_budget(result)}, "
             f"{c.n_workers} worker{'s' if c.n_workers > 1 else ''}{_noise_text(task)}", ""]
    if task.best_report is None:
        return _report_markdown(result, lines)
    if result.setup is not None:
        return _hardware_markdown(result, lines)
    best = f"{task.best_report:.3f} (best {task.report_metric} at fidelity {task.report_fidelity})"
    regret = f"{best} - {task.report_metric} of the incumbent" if task.report_higher_is_better else \
        f"{task.report_metric} of the incumbent - {best}"
    lines += [f"{_search_text(task)}; regret = {regret}. {_sort_text('mean final regret')}", ""]
    # under a time budget (equal cost included) the simulated seconds each strategy used is a budget
    # column; leaderboard.csv always has it (sim_time_mean_s)
    timed = c.max_time_s is not None
    final = "final test" if task.report_metric == "test_acc" else f"final {task.report_metric}"
    head = ["rank", "strategy", "final regret", "anytime regret (AUC)", final, "mean rank", "evals"] \
        + (["simulated s"] if timed else [])
    rows = [[r.rank, r.strategy, _iv(r, "final_regret"), _iv(r, "auc_regret"), _iv(r, "final_report"),
             f"{r.mean_rank:.2f}", f"{r.n_evals_mean:.0f}"] + ([f"{r.sim_time_mean_s:.4g}"] if timed else [])
            for r in result.leaderboard.itertuples()]
    lines += lb.markdown_table(head, rows)
    _stat_lines(result, lines)
    lines += ["", plain_words(result, "final regret", f"points of {task.report_metric} below the best arch")]
    return "\n".join(lines) + "\n"


def plain_words(result: CompareResult, what: str, unit: str) -> str:
    """Two sentences on what the board means: whether the strategies differ at all (Friedman), and
    which pairs differ after Holm correction; ``what`` names the compared value and ``unit`` its unit."""
    fr, board = result.stats["friedman"], result.leaderboard
    if "skipped" in fr:
        return f"In plain words: no test was possible ({fr['skipped']}), so this board shows no difference."
    first, last = board.iloc[0], board.iloc[-1]
    n, p = int(first["n_seeds"]), fr["p_value"]
    if p >= 0.05:
        first_sentence = (f"In plain words: over {n} seeds the strategies cannot be told apart (Friedman "
                          f"p = {p:.3g}), so their order here may be chance; more seeds or a larger budget may "
                          "separate them.")
    else:
        first_sentence = (f"In plain words: the strategies differ (Friedman p = {p:.2g} over {n} seeds); "
                          f"{first['strategy']} has the best mean {what} ({first[f'{_column(what)}_mean']:.3g} "
                          f"{unit}) and {last['strategy']} the worst ({last[f'{_column(what)}_mean']:.3g}).")
    wins = [f"{q['a']} over {q['b']}" for q in result.stats["pairwise_wilcoxon"] if q["p_value_holm"] < 0.05]
    if not wins:
        return first_sentence + " No pair of strategies differs significantly after Holm correction."
    shown = wins[:4] + ([f"{len(wins) - 4} more pairs"] if len(wins) > 4 else [])
    shown = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
    return (first_sentence + f" After Holm correction the lead of {shown} is significant at 0.05; the other "
            "differences could be chance.")


def _column(what: str) -> str:
    return what.replace(" ", "_")


def _budget(result: CompareResult) -> str:
    c, task = result.config, result.task
    budget = " and ".join(
        ([f"{c.max_evals} evaluations"] if c.max_evals is not None else [])
        + ([f"{c.max_time_s:g} simulated s"] if c.max_time_s is not None else []))
    origin = getattr(c, "equal_cost_from", None)
    if origin:
        multi = origin["multi_fidelity_strategies"]
        budget += (f" (equal cost: {origin['max_evals']} x the median {origin['median_cost_s']:.4g} s of one "
                   f"evaluation at fidelity {task.search_fidelity}, as {', '.join(multi)} "
                   f"{'evaluates' if len(multi) == 1 else 'evaluate'} at lower fidelities)")
    return budget


def _search_text(task) -> str:
    leak = " (a test-set metric: the search sees the test set, so the result is no unbiased estimate)" \
        if task.objective.search_metric.startswith("test_") else ""
    return f"Search on {task.objective.search_metric}{leak} at fidelity {task.search_fidelity}"


def _sort_text(by: str, tie: str = "mean rank") -> str:
    return (f"Mean [{INTERVAL_TEXT}]. Sorted by {by} (ties: {tie}); rank = place on this board (ties share "
            "it); mean rank = mean over seeds of the per-seed ranks that the Friedman test uses.")


def _iv(row, name: str, digits: int = 3) -> str:
    """The interval columns ``<name>_mean/_ci_low/_ci_high`` of a leaderboard row, as text."""
    return Interval(getattr(row, f"{name}_mean"), getattr(row, f"{name}_ci_low"), getattr(row, f"{name}_ci_high"),
                    int(row.n_seeds)).text(digits)


def _noise_text(task) -> str:
    """Header suffix: what an evaluation returns (nothing for means, so --noise mean files stay as they were)."""
    if task.noise == "mean":
        return ""
    n = {info["n_outcomes"] for info in task.noise_info()["per_fidelity"].values()}
    return f", one drawn training outcome per evaluation (of {max(n)} per arch)" if max(n) > 1 else \
        ", no training noise in the data (means)"


def _report_markdown(result: CompareResult, lines: list) -> str:
    """Leaderboard of a benchmark with no known optimum: ranked on the incumbent's report value."""
    task = result.task
    rm, sm = task.report_metric, task.objective.search_metric
    predicted_by = task.describe().get("report_predicted_by")
    better = "higher" if task.report_higher_is_better else "lower"
    lines += [
        f"No optimum is known ({task.benchmark.name} answers arch by arch, with no value for every arch of "
        f"{task.space.name}), so strategies are ranked on the "
        f"{rm} of the incumbent (best {sm} at fidelity {task.search_fidelity} among the run's evaluations)"
        + (f", predicted by {predicted_by}" if predicted_by else "") + f"; {better} is better. "
        f"Anytime = mean of the incumbent's {rm} over the budget. {_sort_text(f'mean final {rm}, {better} first')}",
        "",
    ]
    head = ["rank", "strategy", f"final {rm}", f"anytime {rm}", "mean rank", "evals", "simulated s"]
    rows = [[r.rank, r.strategy, _iv(r, "final_report"), _iv(r, "auc_report"), f"{r.mean_rank:.2f}",
             f"{r.n_evals_mean:.0f}", f"{r.sim_time_mean_s:.4g}"] for r in result.leaderboard.itertuples()]
    lines += lb.markdown_table(head, rows)
    _stat_lines(result, lines)
    lines += ["", plain_words(result, "final report", f"{rm}, {better} is better")]
    return "\n".join(lines) + "\n"


def _stat_lines(result: CompareResult, lines: list) -> None:
    what = "final regret" if result.task.best_report is not None else f"final {result.task.report_metric}"
    fr = result.stats["friedman"]
    cd = result.stats["nemenyi_critical_difference"]
    lines.append("")
    if "skipped" in fr:
        lines.append(f"Friedman test: skipped ({fr['skipped']}).")
    else:
        lines.append(
            f"Friedman test on {what}: chi2({fr['df']}) = {fr['statistic']:.3f}, p = {fr['p_value']:.3g}; "
            f"Nemenyi critical difference of mean ranks (alpha 0.05) = {cd['cd']:.3f}."
        )
    _pair_lines(lines, f"{what.capitalize()}", result.stats["pairwise_wilcoxon"], "pairwise_wilcoxon")


def _pair_lines(lines: list, what: str, pairs: list, key: str, digits: int = 3) -> None:
    """The pairwise tests in leaderboard order, or (beyond :data:`MAX_PAIRS_PRINTED`) a summary line
    with the significant pairs; every pair is in ``stats.json`` under ``key`` either way."""
    if not pairs:
        return
    lines.append(f"{what}, pairwise Wilcoxon signed-rank tests (paired by seed, Holm-corrected; a is placed above "
                 f"b): {lb.pairwise_summary(pairs)}" + ("." if len(pairs) <= MAX_PAIRS_PRINTED else
                                                       f"; every pair is in stats.json ({key})."))
    significant = [p for p in pairs if p["p_value_holm"] < 0.05]
    shown = pairs if len(pairs) <= MAX_PAIRS_PRINTED else significant[:MAX_PAIRS_PRINTED]
    for p in shown:
        lines.append(f"- {p['a']} vs {p['b']}: mean difference {p['mean_difference']:+.{digits}f}, W = "
                     f"{p['wilcoxon_W']:.1f}, p = {p['p_value']:.3g} (Holm {p['p_value_holm']:.3g})")
    if len(shown) < len(significant):
        lines.append(f"- ... and {len(significant) - len(shown)} more significant pairs (stats.json).")


def _hardware_markdown(result: CompareResult, lines: list) -> str:
    """Leaderboard of a constrained and/or multi-objective comparison."""
    setup, task = result.setup, result.task
    rm, sm = task.report_metric, task.objective.search_metric
    lines += _hardware_caption(result)
    head = ["rank", "strategy", "final regret", f"final {rm}", f"final {sm}", "anytime regret (AUC)", "mean rank"]
    if setup.cost is not None:
        head += ["hypervolume", "HV mean rank"] if setup.multi_objective else ["hypervolume"]
    head += (["infeasible evals"] if setup.constrained else []) + ["evals"]
    rows = []
    for r in result.leaderboard.itertuples():
        cells = [r.rank, r.strategy, _iv(r, "final_regret"), _iv(r, "final_report"), _iv(r, "final_search"),
                 _iv(r, "auc_regret"), f"{r.mean_rank:.2f}"]
        if setup.cost is not None:
            cells.append(_iv(r, "hypervolume", 4))
            if setup.multi_objective:
                cells.append(f"{r.hypervolume_mean_rank:.2f}")
        rows.append(cells + ([str(r.infeasible_evals)] if setup.constrained else []) + [f"{r.n_evals_mean:.0f}"])
    lines += lb.markdown_table(head, rows)
    _stat_lines(result, lines)
    _pair_lines(lines, f"Final {sm}", result.stats["pairwise_wilcoxon_final_search"], "pairwise_wilcoxon_final_search")
    hv = result.stats.get("hypervolume")
    if hv is not None:
        fr = hv["friedman"]
        lines.append("Hypervolume: " + (f"Friedman skipped ({fr['skipped']})." if "skipped" in fr else
                     f"Friedman chi2({fr['df']}) = {fr['statistic']:.3f}, p = {fr['p_value']:.3g}."))
        _pair_lines(lines, "Hypervolume", hv["pairwise_wilcoxon"], "hypervolume.pairwise_wilcoxon", digits=4)
    return "\n".join(lines) + "\n"


def _hardware_caption(result: CompareResult) -> list:
    """The paragraphs above a hardware-aware table: constraint, regret, hypervolume, sorting."""
    setup, task = result.setup, result.task
    info = setup.describe()
    rm, sm = task.report_metric, task.objective.search_metric
    lines = []
    if setup.constrained:
        c = info["constraint"]
        lines += [
            (f"Constraint {c['text']}: {c['n_feasible']} of {c['n_archs']} archs feasible; every strategy evaluates "
             f"feasible archs only. Best feasible {rm} {c['best_feasible_report']:.3f} (arch {c['best_feasible_index']}; "
             f"best overall {c['best_overall_report']:.3f}); regret = best feasible {rm} - {rm} of the incumbent "
             f"(best {sm} at fidelity {task.search_fidelity} among the run's evaluations)."),
            "",
        ]
    else:
        lines += [(f"Regret = best {rm} {task.best_report:.3f} - {rm} of the incumbent (best {sm} at fidelity "
                   f"{task.search_fidelity} among the run's evaluations)."), ""]
    if setup.cost is not None:
        o = info["objectives"]
        ref = o["reference_point"]
        lines += [
            (f"Hypervolume of the evaluated archs in ({o['accuracy']} up, {o['cost']} down) / that of all "
             f"{'feasible ' if setup.constrained else ''}archs of the table ({o['full_front_hypervolume']:.4g}); "
             f"reference point ({o['accuracy']} {ref[0]:.3f}, {o['cost']} {ref[1]:.4g}) = {o['reference_rule']}. "
             f"1 = the whole front found; higher is better."),
            "",
        ]
    lines += [_sort_text("mean hypervolume, highest first", "HV mean rank") if setup.multi_objective
              else _sort_text("mean final regret"), ""]
    return lines
