"""Weight-sharing results on a leaderboard, beside the black-box strategies of a ``compare`` run.

:func:`leaderboard_rows` gives one :class:`~strategies.leaderboard.LeaderboardRow` per method (the
columns every leaderboard of the project shares, plus ``search_epochs``, ``search_time_mean_s`` and
``final_arch_indices``); :func:`merge_into_run` appends them to a compare run's leaderboard and writes
the merged files next to (never over) the run's own.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from nasbench.errors import MissingDataError, NasbenchError
from nasbench.rng import child_seed
from strategies._json import jsonable
from strategies.weight_sharing import lookup

__all__ = ["leaderboard_rows", "merge_into_run"]

# child of the root seed that the weight-sharing bootstrap resamples come from ("wsbt")
_BOOTSTRAP_SPAWN_KEY = 0x77736274
_N_RESAMPLES = 10_000


def leaderboard_rows(results, *, seed: int = 0) -> list[dict]:
    """Leaderboard rows (one per method, in first-seen order) in the columns of a compare leaderboard.

    ``final_regret`` is the regret of the arch derived at the last epoch, ``auc_regret`` the
    normalised area under the per-epoch regret curve (an epoch axis, not the evaluation axis of the
    black-box rows), ``final_report`` the report value of the final arch; each is the mean over seeds
    with a 95% percentile-bootstrap interval (within the range of the values, so never below 0;
    none from one seed), resampled from ``SeedSequence(seed)``'s own child stream. ``mean_rank`` is
    NaN (black-box ranks are over paired seeds of one simulator), ``n_evals_mean`` 0 (the search
    queries no table) and ``sim_time_mean_s`` NaN; ``search_epochs`` and ``search_time_mean_s`` (wall
    seconds) give its real cost and ``final_arch_indices`` the final arch of each seed. ``rank`` is 0
    until the rows are placed on a board (:func:`merge_into_run`).

    Parameters
    ----------
    results : sequence of SearchResult, every one looked up
    seed : int, default 0
        Root seed of the bootstrap resamples (a compare run's own seed when merged into it).

    Returns
    -------
    list of dict
        :meth:`~strategies.leaderboard.LeaderboardRow.record` of each row.
    """
    from strategies import leaderboard as lb

    by_method: dict[str, list] = {}
    for r in results:
        if r.report is None:
            raise NasbenchError(f"the {r.method} result (seed {r.seed}) is not looked up; call lookup(result) first.")
        by_method.setdefault(r.method, []).append(r)
    rows = []
    for method, rs in by_method.items():
        trajs = [r.trajectory() for r in rs]
        boot = lb.Bootstrap(len(rs), child_seed(seed, _BOOTSTRAP_SPAWN_KEY),
                            n_resamples=_N_RESAMPLES)
        row = lb.LeaderboardRow(
            strategy=method, n_seeds=len(rs),
            final_regret=boot.interval([t["regret"][-1] for t in trajs]),
            auc_regret=boot.interval([lb.normalized_auc(t["regret"]) for t in trajs]),
            final_report=boot.interval([t["report"][-1] for t in trajs]),
            mean_rank=float("nan"), n_evals_mean=0.0, sim_time_mean_s=float("nan"),
            extra={"search_epochs": len(trajs[0]["eval"]),
                   "search_time_mean_s": float(np.mean([t["end_s"][-1] for t in trajs])),
                   "final_arch_indices": " ".join(str(int(t["arch_index"][-1])) for t in trajs)})
        rows.append(row.record())
    return rows


def _merged_board(board, rows: list):
    """A compare leaderboard (DataFrame) with weight-sharing ``rows`` appended, sorted and ranked again."""
    import pandas as pd

    from strategies import leaderboard as lb

    board = board.drop(columns=["rank"], errors="ignore")
    board["search_epochs"] = np.nan
    board["search_time_mean_s"] = np.nan
    board["final_arch_indices"] = ""
    merged = pd.concat([board, pd.DataFrame(rows).drop(columns=["rank"], errors="ignore")], ignore_index=True)
    merged = merged.sort_values(["final_regret_mean", "mean_rank", "strategy"], kind="mergesort",
                                na_position="last").reset_index(drop=True)
    merged.insert(0, "rank", lb.competition_ranks(merged["final_regret_mean"].to_numpy()))
    return merged


def merge_into_run(run_dir, results, *, write: bool = True):
    """Put weight-sharing results beside the black-box strategies of a ``compare`` run.

    Reads ``leaderboard.csv`` and ``manifest.json`` of ``run_dir``, checks that every result was
    looked up on the run's benchmark with its report metric and fidelity, appends one row per
    method and (``write=True``) writes ``leaderboard_weight_sharing.csv`` / ``.md``,
    ``weight_sharing_trajectories.csv`` and ``weight_sharing.json`` into ``run_dir``. The compare
    run's own files are left unchanged, so its manifest checksums stay valid.

    Parameters
    ----------
    run_dir : str or os.PathLike
    results : list of SearchResult

    Returns
    -------
    pandas.DataFrame
        The merged leaderboard (the columns of :class:`~strategies.leaderboard.LeaderboardRow` first),
        sorted by mean final regret (ties: mean rank, then strategy name), ``rank`` recomputed over all
        rows. The weight-sharing intervals are bootstraps drawn from the compare run's root seed.

    Raises
    ------
    MissingDataError
        If ``run_dir`` holds no compare run.
    DataIntegrityError
        If it is not one finished run: half-written, files of two runs mixed, or edited
        (:func:`strategies._outdir.finished_compare_run`).
    NasbenchError
        If a result was looked up elsewhere than the run's benchmark and objective.
    """
    import pandas as pd

    from strategies._outdir import finished_compare_run

    run = Path(run_dir)
    # one finished run only: its manifest, written last, lists every output with its sha256
    manifest = finished_compare_run(run, what="--merge-into")
    if "leaderboard.csv" not in manifest["outputs"]:
        raise MissingDataError(f"--merge-into {run} lists no leaderboard.csv in its manifest; it is not a compare "
                               "run to merge into. Create one with `nasbench compare NAME --out DIR`.")
    bench_name = manifest["config"]["benchmark"]
    task = manifest.get("task", {})
    for r in results:
        if r.benchmark is None:
            lookup(r, bench_name, manifest["config"].get("objective") or None)
        want = (bench_name, task.get("report_metric"), task.get("report_fidelity"))
        got = (r.benchmark, r.objective["report_metric"], r.objective["report_fidelity"])
        if want[0] != got[0] or (want[1] is not None and want[1:] != got[1:]):
            raise NasbenchError(
                f"the {r.method} result was looked up on {got}, but the compare run in {run} reports {want} "
                "(benchmark, report metric, report fidelity). Look it up with "
                f"lookup(result, {bench_name!r}, manifest['config']['objective'])."
            )
    merged = _merged_board(pd.read_csv(run / "leaderboard.csv"),
                           leaderboard_rows(results, seed=int(manifest["config"].get("seed", 0))))
    if write:
        from strategies._outdir import amended_run

        rows = []
        for r in results:
            t = r.trajectory()
            for i in range(len(t["eval"])):
                rows.append({"strategy": r.method, "seed": r.seed, **{k: v[i].item() for k, v in t.items()}})
        with amended_run(run, flag="--merge-into") as stage:  # a kill leaves none or all of the four files
            merged.to_csv(stage / "leaderboard_weight_sharing.csv", index=False, float_format="%.6f",
                          lineterminator="\n")
            (stage / "leaderboard_weight_sharing.md").write_text(_markdown(merged, bench_name, task))
            pd.DataFrame(rows).to_csv(stage / "weight_sharing_trajectories.csv", index=False, float_format="%.6f",
                                      lineterminator="\n")
            (stage / "weight_sharing.json").write_text(
                json.dumps([jsonable(r.to_dict()) for r in results], indent=1, sort_keys=True) + "\n")
    return merged


def _markdown(board, bench_name: str, task: dict) -> str:
    from strategies import leaderboard as lb

    lines = [
        f"## {bench_name}: black-box strategies and weight-sharing search",
        "",
        (f"Regret = best {task.get('report_metric', 'report metric')} at fidelity {task.get('report_fidelity')} "
         "minus that of the final pick, mean [95% interval] over seeds; lower is better. Sorted by mean final "
         "regret; rank = place on this board (ties share it). Weight-sharing rows (no table queries; real "
         "supernet training) have no paired mean rank; their intervals are percentile bootstraps of the mean."),
        "",
    ]
    head = ["rank", "strategy", "final regret", f"final {task.get('report_metric', 'report')}", "mean rank", "evals", "search epochs", "final archs"]
    table = []
    for r in board.itertuples():
        regret = lb.Interval(r.final_regret_mean, r.final_regret_ci_low, r.final_regret_ci_high, int(r.n_seeds))
        table.append([r.rank, r.strategy, regret.text(), f"{r.final_report_mean:.3f}",
                      "" if _isna(r.mean_rank) else f"{r.mean_rank:.2f}", f"{r.n_evals_mean:.0f}",
                      "" if _isna(r.search_epochs) else f"{int(r.search_epochs)}",
                      "" if _isna(r.final_arch_indices) else r.final_arch_indices])
    return "\n".join(lines + lb.markdown_table(head, table)) + "\n"


def _isna(v) -> bool:
    """True for None, NaN and empty strings (cells of a merged leaderboard)."""
    if v is None or (isinstance(v, str) and v == ""):
        return True
    try:
        return bool(np.isnan(v))
    except TypeError:
        return False
