"""Class 5 of issue 13: a result folder is absent, a previous finished run, or a complete new run.

``compare --out`` checks its destination before the run, locks it, stages the files in a hidden
sibling and moves them into place whole (manifest last); ``validate`` and ``search --merge-into``
read only one finished run. Real ``kill -9`` at many moments never leaves anything else.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nasbench.errors import DataIntegrityError, MissingDataError, NasbenchError
from strategies._outdir import (
    OutputFolder,
    check_destination,
    finished_compare_run,
    folder_lock,
    is_finished_compare_run,
)
from strategies.compare import write_outputs
from tests.hardening.conftest import BENCH, cli, run_main

SMALL = ["compare", BENCH, "--strategies", "random_search,local_search", "--seeds", "3", "--budget", "20",
         "--quiet", "--no-plots"]


def _digest(folder: Path) -> dict:
    """sha256 of every visible file under ``folder`` (relative path -> hex)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _without_manifest(d: dict) -> dict:
    return {k: v for k, v in d.items() if k != "manifest.json"}


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".nasbench-" in p.name)


# ---------------------------------------------------------------- the destination, before the run
def test_cli_checks_out_before_the_run(tmp_path, capsys):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    for out, expected in ((blocker, "is a file"), (blocker / "sub", "lies under"),
                          (Path("/proc/nasbench-x"), "cannot write")):
        t = time.perf_counter()
        status, _, err = run_main([*SMALL, "--out", str(out)], capsys)
        assert status == 2 and expected in err and err.count("\n") == 1
        assert time.perf_counter() - t < 5  # refused before any run (a run takes seconds)
    assert blocker.read_text() == "x"


def test_python_api_checks_before_writing(tmp_path, two_results):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    with pytest.raises(NasbenchError, match=r"out_dir .*afile is a file; expected a folder"):
        write_outputs(two_results[0], blocker)
    with pytest.raises(NasbenchError, match=r"out_dir .*lies under .*afile, which is a file"):
        write_outputs(two_results[0], blocker / "run")
    with pytest.raises(NasbenchError, match=r"takes a folder path; got ''"):
        check_destination("")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere: no folder is unwritable")
def test_unwritable_destination(tmp_path, two_results):
    locked = tmp_path / "ro"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(NasbenchError, match="permission denied"):
            write_outputs(two_results[0], locked / "run")
    finally:
        locked.chmod(0o700)


def test_existing_run_needs_overwrite_and_is_replaced_whole(tmp_path, two_results, capsys):
    run = tmp_path / "run"
    write_outputs(two_results[0], run, plots=False)
    before = _digest(run)
    # other commands add files to a finished run: validate/ and the weight-sharing leaderboard
    (run / "validate").mkdir()
    (run / "validate" / "validate.json").write_text("{}")
    (run / "leaderboard_weight_sharing.md").write_text("old")
    with pytest.raises(NasbenchError, match="already holds a finished compare run; pass --overwrite"):
        write_outputs(two_results[1], run, plots=False)
    status, _, err = run_main([*SMALL, "--out", str(run)], capsys)
    assert status == 2 and "pass --overwrite" in err
    write_outputs(two_results[1], run, plots=False, overwrite=True)
    after = _digest(run)
    assert "validate/validate.json" not in after and "leaderboard_weight_sharing.md" not in after  # no stale files
    assert _without_manifest(after) != _without_manifest(before)  # the other result, whole
    finished_compare_run(run)
    assert _leftovers(tmp_path) == []


def test_foreign_or_unfinished_folders_are_never_replaced(tmp_path, two_results):
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "paper.tex").write_text("precious")
    for overwrite in (False, True):
        with pytest.raises(NasbenchError, match="is not one finished compare run .*paper.tex"):
            write_outputs(two_results[0], mine, overwrite=overwrite)
    run = tmp_path / "run"
    write_outputs(two_results[0], run, plots=False)
    (run / "paper.tex").write_text("precious")
    with pytest.raises(NasbenchError, match=r"holds files no nasbench command wrote \(paper.tex\)"):
        write_outputs(two_results[1], run, overwrite=True)
    assert (mine / "paper.tex").read_text() == "precious" == (run / "paper.tex").read_text()


def test_empty_folder_is_used(tmp_path, two_results):
    write_outputs(two_results[0], tmp_path, plots=False)
    finished_compare_run(tmp_path)


# ---------------------------------------------------------------- readers trust one finished run only
def _damage(run: Path, how: str, other: Path) -> None:
    if how == "no manifest":
        (run / "manifest.json").unlink()
    elif how == "mixed":  # one run's leaderboard beside another's files
        shutil.copy(other / "leaderboard.csv", run / "leaderboard.csv")
    elif how == "missing output":
        (run / "summary.csv").unlink()
    elif how == "manifest keys":
        m = json.loads((run / "manifest.json").read_text())
        del m["config"]
        (run / "manifest.json").write_text(json.dumps(m))
    elif how == "manifest bytes":
        (run / "manifest.json").write_bytes(b"\xff\xfe{")


@pytest.mark.parametrize("how,error,match", [
    ("no manifest", MissingDataError, "no manifest.json"),
    ("mixed", DataIntegrityError, "leaderboard.csv differs from the sha256"),
    ("missing output", DataIntegrityError, "summary.csv, listed in its manifest, is missing"),
    ("manifest keys", DataIntegrityError, r"manifest.json lacks \['config'\]"),
    ("manifest bytes", DataIntegrityError, "manifest.json is unreadable"),
])
def test_readers_refuse_a_folder_that_is_not_one_finished_run(tmp_path, two_results, capsys, how, error, match):
    from strategies.validate import picks_from_run
    from strategies.weight_sharing_board import merge_into_run

    run, other = tmp_path / "run", tmp_path / "other"
    write_outputs(two_results[0], run, plots=False, parquet=False)
    write_outputs(two_results[1], other, plots=False, parquet=False)
    picks_from_run(run, 2)  # whole: read
    _damage(run, how, other)
    assert not is_finished_compare_run(run)
    with pytest.raises(error, match=match):
        picks_from_run(run, 2)
    with pytest.raises(error, match=match):
        merge_into_run(run, [])
    for argv in (["validate", str(run)], ["search", "darts", "--merge-into", str(run)]):
        status, _, err = run_main(argv, capsys)
        assert status == 2 and err.count("\n") == 1 and "Traceback" not in err
    with pytest.raises(NasbenchError, match="not one finished compare run"):
        write_outputs(two_results[1], run, overwrite=True)  # --overwrite never deletes what it cannot vouch for


# ---------------------------------------------------------------- one writer at a time
def test_a_folder_in_use_is_refused(tmp_path, capsys):
    run = tmp_path / "run"
    code = ("import sys, time; from strategies._outdir import folder_lock\n"
            f"with folder_lock({str(run)!r}):\n    print('held', flush=True); time.sleep(30)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[2])
    try:
        assert proc.stdout.readline().strip() == "held"
        status, _, err = run_main([*SMALL, "--out", str(run)], capsys)
        assert status == 2 and f"in use by another nasbench process (pid {proc.pid})" in err
        with pytest.raises(NasbenchError, match="is in use by another nasbench process"):
            with folder_lock(run):
                pass
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    with folder_lock(run):  # the kernel freed the killed holder's lock
        pass
    assert _leftovers(tmp_path) == []


def test_two_compares_into_one_folder_one_wins(tmp_path):
    run = tmp_path / "run"
    procs = [cli(*SMALL, "--out", str(run)) for _ in range(2)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    assert sorted(status for status, _ in results) == [0, 2], results
    loser = next(err for status, err in results if status == 2)
    assert "in use by another nasbench process" in loser or "already holds a finished compare run" in loser
    assert loser.count("\n") == 1
    finished_compare_run(run)


# ---------------------------------------------------------------- kill -9 at any moment
def _write_forever(results, run, ready):
    ready.set()
    k = 1  # the folder starts as result 0: write result 1 first
    while True:  # no plots: many whole writes per second, so kills land before, in and after commits
        write_outputs(results[k % 2], run, overwrite=True, plots=False)
        k += 1


def test_kill_9_while_writing_leaves_one_whole_run(tmp_path, two_results):
    """Kill a process that rewrites the run (two different results in turn) at 12 moments."""
    refs = []
    for i, result in enumerate(two_results):
        write_outputs(result, tmp_path / f"ref{i}", plots=False)
        refs.append(_without_manifest(_digest(tmp_path / f"ref{i}")))
    run = tmp_path / "run"
    shutil.copytree(tmp_path / "ref0", run)
    ctx = multiprocessing.get_context("fork")
    seen = set()
    for delay in (0.0, 0.01, 0.03, 0.05, 0.08, 0.1, 0.13, 0.17, 0.2, 0.25, 0.31, 0.4):
        ready = ctx.Event()
        child = ctx.Process(target=_write_forever, args=(two_results, run, ready))
        child.start()
        ready.wait(10)
        time.sleep(delay)
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        assert child.exitcode == -signal.SIGKILL
        finished_compare_run(run)  # whole, with every checksum
        state = _without_manifest(_digest(run))
        assert state in refs, f"after a kill at {delay} s the folder mixes runs"
        seen.add(refs.index(state))
    assert seen == {0, 1}, "the kills should have caught both results in place"
    write_outputs(two_results[0], run, overwrite=True)  # the next writer cleans what the killed ones left
    assert _leftovers(tmp_path) == []


def test_kill_9_of_the_cli_leaves_the_previous_or_the_new_run(tmp_path, two_results):
    """Real `nasbench compare --out DIR --overwrite` processes, killed in the run and in the write."""
    runs = []
    for i in range(2):
        write_outputs(two_results[1], tmp_path / f"run{i}")  # the previous run: seed 1
        runs.append((tmp_path / f"run{i}", _digest(tmp_path / f"run{i}")))
    procs = [cli(*SMALL[:-1], "--out", str(run), "--overwrite") for run, _ in runs]  # plots on: a longer write
    time.sleep(0.5)
    os.kill(procs[0].pid, signal.SIGKILL)  # in the imports or the run
    while "|" not in (procs[1].stdout.readline() or "|"):  # the leaderboard is printed: the write starts
        pass
    time.sleep(0.05)
    os.kill(procs[1].pid, signal.SIGKILL)
    for proc, (run, previous) in zip(procs, runs):
        proc.wait()
        finished_compare_run(run)  # whole, every checksum
        now = _digest(run)
        assert now == previous or _without_manifest(now) != _without_manifest(previous)
    for run, _ in runs:  # the next writer of each folder cleans what the killed one left
        write_outputs(two_results[0], run, overwrite=True, plots=False)
    assert _leftovers(tmp_path) == []


def _amend(run, kill_at):
    """In a forked child: merge (no results) into ``run`` through :func:`amended_run`, killed at a step."""
    import pathlib

    import pandas as pd

    import strategies._outdir as outdir
    from strategies.weight_sharing_board import merge_into_run

    die = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)  # noqa: E731
    if kill_at == "second-file":  # two of the four files written
        real, calls = pd.DataFrame.to_csv, []
        pd.DataFrame.to_csv = lambda *a, **k: (calls.append(1), real(*a, **k), die() if len(calls) == 2 else None)
    elif kill_at == "last-file":
        pathlib.Path.write_text = die
    elif kill_at == "before-move":
        outdir._move_into_place = die
    elif kill_at == "after-move":  # the amended run in place, the previous one not yet deleted
        real_move = outdir._move_into_place
        outdir._move_into_place = lambda a, b: (real_move(a, b), die())
    merge_into_run(run, [])


@pytest.mark.parametrize("kill_at", ["second-file", "last-file", "before-move", "after-move"])
def test_kill_9_while_merging_into_a_run_leaves_it_whole(tmp_path, two_results, kill_at):
    """``search --merge-into`` adds four files to a finished run: a kill leaves none or all of them."""
    from strategies.weight_sharing_board import merge_into_run

    run = tmp_path / "run"
    write_outputs(two_results[0], run, plots=False)
    before = _digest(run)
    child = multiprocessing.get_context("fork").Process(target=_amend, args=(run, kill_at))
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    finished_compare_run(run)
    added = set(_digest(run)) - set(before)
    assert added == (set() if kill_at != "after-move" else
                     {"leaderboard_weight_sharing.md", "leaderboard_weight_sharing.csv",
                      "weight_sharing_trajectories.csv", "weight_sharing.json"})
    assert {k: v for k, v in _digest(run).items() if k in before} == before  # the run's own files untouched
    merge_into_run(run, [])  # the next writer cleans what the killed one left
    assert _leftovers(tmp_path) == [] and len(_digest(run)) == len(before) + 4


# ---------------------------------------------------------------- the staging folder itself
def test_output_folder_discards_a_failed_write(tmp_path):
    dest = tmp_path / "out"
    with pytest.raises(RuntimeError):
        with OutputFolder(dest) as stage:
            (stage / "half.csv").write_text("a,b\n")
            raise RuntimeError("the writer failed")
    assert not dest.exists() and _leftovers(tmp_path) == []


def test_output_folder_respects_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        with OutputFolder(tmp_path / "out") as stage:
            (stage / "a").write_text("x")
    finally:
        os.umask(old)
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o755
