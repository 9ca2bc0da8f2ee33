"""The files of a comparison: tables, statistics, plots, the HTML page and the manifest.

:func:`write_outputs` writes, into a folder that appears whole or not at all:

``leaderboard.md`` / ``leaderboard.csv``
    one row per strategy (:class:`strategies.leaderboard.LeaderboardRow` columns), sorted by mean final
    regret: place, mean and 95% bootstrap interval of the final and anytime regret, final report value,
    mean rank over seeds (:mod:`strategies.compare_markdown`).
``stats.json``
    Friedman test (+ Iman-Davenport F), Nemenyi critical difference of mean ranks, every pairwise
    Wilcoxon signed-rank test (Holm-adjusted), the run's order and how intervals were made.
``regret_vs_evals.png``, ``regret_vs_time.png``, ``critical_difference.png`` (``nasbench[report]``)
    log regret axes, Okabe-Ito colours, small multiples beyond 5 strategies (:mod:`strategies.report`).
``trajectories.parquet``
    every evaluation of every run (pyarrow, ``nasbench[report]``).
``summary.csv``
    one row per (strategy, seed), in config order.
``pareto_fronts.png`` (with objectives)
    per strategy, the median attainment front over seeds with the true front of the feasible archs.
``report.html``
    all of it on one self-contained page (:mod:`strategies.report_html`).
``manifest.json``
    package and library versions, benchmark checksums, the config, seeds, the task and the sha256 of
    each output; only ``manifest["run"]`` (timestamp, wall time) changes between two runs of a config.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
from pathlib import Path

import numpy as np

from nasbench.provenance import versions
from nasbench.errors import OptionalDependencyError, install_hint
from strategies._json import jsonable
from strategies.compare_markdown import leaderboard_markdown
from strategies.compare_run import make_for_run
from strategies.compare_score import INTERVAL_TEXT, CompareResult
from strategies.registry import resolve
from strategies.report_html import render_report
from strategies.task import Task

__all__ = ["write_outputs"]

_PLOTS = ("regret_vs_evals.png", "regret_vs_time.png", "critical_difference.png")


def _trajectory_table(result: CompareResult):
    cols: dict[str, list] = {}
    for name in result.config.strategies:
        for i, t in enumerate(result.trajectories[name]):
            n = len(t["eval"])
            cols.setdefault("strategy", []).append(np.array([name] * n, dtype=object))
            cols.setdefault("seed", []).append(np.full(n, i, dtype=np.int64))
            for k, v in t.items():
                cols.setdefault(k, []).append(v)
    return {k: np.concatenate(v) for k, v in cols.items()}



def write_outputs(result: CompareResult, out_dir, *, plots: bool = True, parquet: bool = True,
                  overwrite: bool = False) -> dict:
    """Write the result files into the folder ``out_dir``, whole; returns ``{file: sha256}`` (manifest excluded).

    The destination is checked before anything is written: it must be missing or an empty folder,
    or (with ``overwrite=True``) a finished compare run, which is then replaced whole. The files go
    into a hidden sibling folder, the manifest last, and move into place in one step, while a lock
    beside ``out_dir`` refuses a second writer: a crash or kill leaves the previous folder or the
    complete new one (:mod:`strategies._outdir`). A missing optional library (matplotlib, pyarrow)
    skips its files with a note in the manifest.

    Raises
    ------
    NasbenchError
        If ``out_dir`` is a file, lies under a file, is not writable, is in use by another process,
        holds something other than a finished compare run, or holds one and ``overwrite`` is False.
    """
    from strategies._outdir import COMPARE_EXTRAS, OutputFolder, is_finished_compare_run

    with OutputFolder(out_dir, flag="out_dir", overwrite=overwrite, is_finished=is_finished_compare_run,
                      extras=COMPARE_EXTRAS) as out:
        return _write_into(result, out, plots=plots, parquet=parquet)


def _write_into(result: CompareResult, out: Path, *, plots: bool, parquet: bool) -> dict:
    """The files of :func:`write_outputs`, written into the staging folder ``out`` (the manifest last)."""
    from nasbench._version import __version__

    written, skipped = {}, {}

    def put(name, data: bytes):
        (out / name).write_bytes(data)
        written[name] = hashlib.sha256(data).hexdigest()

    markdown = leaderboard_markdown(result)
    put("leaderboard.md", markdown.encode())
    put("leaderboard.csv", result.leaderboard.to_csv(index=False, float_format="%.6f", lineterminator="\n").encode())
    put("summary.csv", result.summary.to_csv(index=False, float_format="%.6f", lineterminator="\n").encode())
    put("stats.json", (json.dumps(jsonable(result.stats), indent=1, sort_keys=True) + "\n").encode())
    if parquet:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            skipped["trajectories.parquet"] = f"pyarrow is not installed: {install_hint('report')}"
        else:
            buf = io.BytesIO()
            pq.write_table(pa.table(_trajectory_table(result)), buf, compression="zstd")
            put("trajectories.parquet", buf.getvalue())
    figures = []
    if plots:
        try:
            from strategies import report

            report.pyplot()
        except OptionalDependencyError:
            for f in _PLOTS + (("pareto_fronts.png",) if "fronts" in result.curves else ()):
                skipped[f] = f"matplotlib is not installed: {install_hint('report')}"
        else:
            figures = _plots(result, out)
            for f, _ in figures:
                written[f] = hashlib.sha256((out / f).read_bytes()).hexdigest()
    facts = _provenance(result)
    # which path ran (compiled or Python) gives the same numbers, so the page leaves it to the manifest
    shown = {**facts, "strategies": {n: {k: v for k, v in d.items() if k != "path"}
                                     for n, d in facts["strategies"].items()}}
    put("report.html", render_report(markdown, figures, out, shown))
    manifest = {
        "format": "nasbench-compare",
        "format_version": 1,
        "nasbench_version": __version__,
        **facts,
        "outputs": dict(sorted(written.items())),
        "skipped": skipped,
        "run": {"created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "wall_time_s": round(result.wall_time_s, 3)},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return written


def curve_caption(result: CompareResult) -> str:
    """What the regret curves show, and why a mean curve can rise although each run keeps its best."""
    task = result.task
    rm, sm = task.report_metric, task.objective.search_metric
    what = f"regret of {rm}" if task.best_report is not None else rm
    text = (f"Each curve: the {what} of the incumbent (the arch a run would return: best {sm} among the evaluations "
            f"at the highest fidelity evaluated so far), mean over seeds; band: {INTERVAL_TEXT}. ")
    if result.config.max_time_s is not None:
        text += ("Under a time budget strategies make different numbers of evaluations: on the evaluation axis a "
                 "run keeps its last value after its last evaluation. ")
    if sm != rm:
        text += (f"The incumbent is chosen by {sm}, not {rm}, so a curve can rise: a new incumbent with a better "
                 f"{sm} can have a worse {rm}")
        from strategies.registry import strategy_class

        multi = [s for s in result.order if getattr(strategy_class(s), "multi_fidelity", False)]
        text += (f"; {', '.join(multi)} also switch{'es' if len(multi) == 1 else ''} the incumbent to the first arch "
                 "evaluated at a higher fidelity, whatever its value." if multi else ".")
    return text


def _plots(result: CompareResult, out: Path) -> list:
    """Draw the plots into ``out``; returns ``[(file name, caption), ...]`` in the order the page shows them."""
    from strategies import report

    c, task = result.config, result.task
    known = task.best_report is not None
    unit = " (pp)" if task.report_metric.endswith("_acc") else ""
    label = f"regret of {task.report_metric}{unit}" if known else \
        f"{task.report_metric} of the incumbent" + (" (predicted)" if getattr(
            task.benchmark.metrics[task.report_metric], "predicted_by", None) else "")
    title = f"{c.benchmark}, {c.n_seeds} seeds, mean and 95% bootstrap interval"
    caption = curve_caption(result)
    ranks = dict(zip(result.leaderboard.strategy, result.leaderboard["rank"]))
    for name, xs, key, xlabel, logx in (("regret_vs_evals.png", "evals", "by_evals", "evaluations", False),
                                        ("regret_vs_time.png", "time_s", "by_time", "simulated time (s)", True)):
        report.plot_curves(out / name, result.curves[xs], result.curves[key], xlabel=xlabel, ylabel=label,
                           title=title, logx=logx, regret=known, caption=caption, ranks=ranks)
    cd = result.stats["nemenyi_critical_difference"]
    what = "final regret" if known else f"final {task.report_metric}"
    report.plot_critical_difference(out / "critical_difference.png", cd["mean_ranks"], cd["cd"],
                                    cd["not_significantly_different"], order=result.order,
                                    title=f"mean rank of {what}, {c.n_seeds} seeds (Nemenyi, alpha 0.05)")
    figures = [(n, caption) for n in _PLOTS[:2]] + [(
        "critical_difference.png", f"Mean rank of {what} over seeds (1 = best), so placed by mean rank rather than "
        "by the leaderboard's mean value; colours as in the other plots. A bar joins strategies whose mean ranks "
        "differ by less than the critical difference (not significantly different, Nemenyi, alpha 0.05).")]
    if "fronts" in result.curves:
        setup = result.setup
        o = setup.describe()["objectives"]
        report.plot_pareto_fronts(
            out / "pareto_fronts.png", setup.cost, task.report, setup.feasible, setup.true_front,
            result.curves["fronts"]["grid"], result.curves["fronts"]["by_strategy"], setup.reference,
            xlabel=o["cost"], ylabel=o["accuracy"],
            title=f"{c.benchmark}{', ' + str(setup.constraint) if setup.constrained else ''}: median "
                  f"attainment fronts over {c.n_seeds} seeds")
        figures.append(("pareto_fronts.png", "Median attainment front of each strategy over seeds (the best "
                        f"{o['accuracy']} reached at each {o['cost']} by at least half of the runs), the true front "
                        "(black) and the hypervolume reference point (dotted)."))
    return figures


def _provenance(result: CompareResult) -> dict:
    """What a reader needs to trust the numbers (manifest and report.html): versions, config, seeds,
    benchmark checksums, the resolved task and every strategy's parameters. No timestamps."""
    return {
        "versions": versions("python", "numpy", "numba", "scipy", "pandas", "pyarrow", "matplotlib"),
        "config": result.config.to_dict(),
        **({"equal_cost_from": result.config.equal_cost_from} if hasattr(result.config, "equal_cost_from") else {}),
        "seeds": {"root": result.config.seed, "n_seeds": result.config.n_seeds,
                  "scheme": "seed i of every strategy = numpy SeedSequence(root, spawn_key=(i,)) "
                            "(common random numbers across strategies)",
                  "bootstrap": "interval resamples from numpy SeedSequence(root, spawn_key=(0x626F6F74,))"},
        "benchmark": _benchmark_checksums(result.task),
        "task": jsonable(result.task.describe()),
        "strategies": {
            n: {"class": resolve(n),
                "params": make_for_run(n, result.task, result.setup, 0, result.config.params.get(n, {})).params(),
                "path": result.paths[n]}
            for n in result.config.strategies
        },
        **({"hardware": {**jsonable(result.setup.describe()), "latency_tables_sha256": result.setup.latency_checksums()}}
           if result.setup is not None else {}),
    }


def _benchmark_checksums(task: Task) -> dict:
    bench = task.benchmark
    info = {"name": bench.name}
    table = getattr(bench, "table", None)
    if table is None or getattr(table, "directory", None) is None:  # no table folder: the sources it read
        described = bench.describe()
        for key in ("sources", "models"):
            if described.get(key):
                info[f"{key}_sha256"] = hashlib.sha256(
                    json.dumps(jsonable(described[key]), sort_keys=True, default=str).encode()).hexdigest()
        return info
    path = Path(table.directory) / "manifest.json"
    info["manifest_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    used = {task.objective.search_metric, task.report_metric, task.objective.cost_metric}
    info["files_sha256"] = {
        f"{m}.{kind}": entry["sha256"]
        for m in sorted(used) if m in table.metrics
        for kind, entry in sorted(table.metrics[m].files.items())
    }
    return info
