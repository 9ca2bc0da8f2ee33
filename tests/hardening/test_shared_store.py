"""Class 9 of issue 13: a data store shared by processes and users.

* Replacing a table is atomic and recoverable: ``kill -9`` at any step (real kills of subprocesses,
  at fixed steps and at random moments) leaves the previous table or the complete new one, and
  what a killed writer left is ignored by ``nasbench list`` and cleaned.
* New folders and files follow the umask (not 0700).
* Concurrent writers (tables, latency devices) are serialised by a lock: none crashes, none is lost.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tabular_data.atomic import clean_leftovers, is_leftover, lock
from tabular_data.store import MetricData, Table, write_table
from tests.hardening.conftest import REPO, run_main

# The child writes version A or B of one table; SIZE fidelities make a write take tens of ms.
CHILD = textwrap.dedent("""
    import os, signal, sys
    import numpy as np
    sys.path.insert(0, {repo!r})
    import tabular_data.atomic as atomic
    from tabular_data.store import MetricData, write_table

    def write(path, version, size):
        mean = np.full((15625, size), float(version))
        write_table(path, name="nb201/cifar10", space="nb201", dataset="cifar10", n_archs=15625,
                    metrics={{"acc": MetricData(mean, tuple(range(1, size + 1)), "%", "v" + str(version))}},
                    sources={{}}, info={{"version": version}})

    path, version, size, kill_at = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    die = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
    if kill_at == "fill":          # half of the files written
        real = np.save
        np.save = lambda fh, a, **k: (real(fh, a, **k), die())
    elif kill_at == "before-swap":  # complete temporary folder, not yet in place
        atomic.put_in_place = die
    elif kill_at == "between-renames":  # the fallback without RENAME_EXCHANGE, killed between its renames
        atomic._exchange = lambda a, b: False
        real_rename, calls = os.rename, []
        def rename(a, b):
            calls.append(a)
            if len(calls) == 2 and os.path.exists(b) is False and ".tmp-" in str(a):
                die()
            return real_rename(a, b)
        atomic.os.rename = rename
    elif kill_at == "after-swap":  # new table in place, the previous one not yet deleted
        real_put = atomic.put_in_place
        atomic.shutil.rmtree = lambda *a, **k: die()
    elif kill_at == "loop":        # keep rewriting until killed from outside
        while True:
            write(path, version, size)
            version = 1 - version
    write(path, version, size)
""")


def _child(path, version, size, kill_at) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CHILD.format(repo=str(REPO)), str(path), str(version), str(size),
                             kill_at], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _version(directory) -> int:
    """The version of the table in ``directory``, after checking every file of it."""
    table = Table(directory)
    table.verify()
    version = table.manifest["info"]["version"]
    assert np.all(table.array("acc") == float(version))
    return version


def _entries(parent) -> list[str]:
    return sorted(p.name for p in parent.iterdir())


@pytest.mark.parametrize("kill_at, expected", [("fill", 0), ("before-swap", 0), ("between-renames", None),
                                               ("after-swap", 1)])
def test_a_kill_at_any_step_of_a_replacement_leaves_one_complete_table(tmp_path, kill_at, expected, monkeypatch):
    import nasbench
    from nasbench.benchmarks.registry import _known_names

    table = tmp_path / "nb201" / "cifar10"
    assert _child(table, 0, 2, "none").wait(60) == 0
    proc = _child(table, 1, 2, kill_at)
    assert proc.wait(60) == -signal.SIGKILL, proc.stderr.read().decode()
    leftovers = [n for n in _entries(table.parent) if n not in ("cifar10", ".cifar10.lock")]
    if kill_at == "between-renames":
        assert not table.exists() and any(".old-" in n for n in leftovers)  # the window the fallback has
    else:
        assert _version(table) == expected and leftovers
    monkeypatch.setenv("NASBENCH_DATA", str(tmp_path))
    assert not [n for n in _known_names() if "old-" in n or "/." in n]  # leftovers are not benchmarks
    if kill_at == "between-renames":  # a reader puts the set-aside table back, without waiting for a writer
        assert nasbench.load("nb201/cifar10").query([0], "acc", 1)[0] == 0.0 and _version(table) == 0
    rows = {r["name"]: r for r in nasbench.list_benchmarks()}  # recovers and cleans
    assert rows["nb201/cifar10"]["status"] == "imported"
    assert _entries(table.parent) == [".cifar10.lock", "cifar10"]
    assert _version(table) == (0 if expected is None else expected)


def test_kills_at_random_moments_never_leave_a_mix(tmp_path):
    table = tmp_path / "nb201" / "cifar10"
    assert _child(table, 0, 20, "none").wait(60) == 0
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(6):
        proc = _child(table, 1, 20, "loop")
        time.sleep(0.4 + rng.uniform(0, 0.6))  # the child's import takes ~0.3 s, then it rewrites
        proc.kill()
        proc.wait(60)
        with lock(table):  # what the next writer does first: recover, then clean
            from tabular_data.atomic import recover

            recover(table)
        seen.add(_version(table))
        assert _entries(table.parent) == [".cifar10.lock", "cifar10"]
    assert seen <= {0, 1}


def test_listing_ignores_and_cleans_what_older_writers_left(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NASBENCH_DATA", str(tmp_path))
    metrics = {"acc": MetricData(np.zeros((3, 1)), (1,), "%", "x")}
    for name in ("cifar10.old-123", ".cifar10.abcd1234", ".cifar10.tmp-5-ab12", ".cifar100.old-7-ff"):
        write_table(tmp_path / "nb201" / name, name="nb201/cifar10", space="nb201", dataset="cifar10", n_archs=3,
                    metrics=metrics, sources={}, info={})
    assert all(is_leftover(n) for n in ("cifar10.old-123", ".cifar10.abcd1234", ".x.lock"))
    status, out, _ = run_main(["list"], capsys)
    assert status == 0 and "old-" not in out and ".cifar10" not in out
    # cifar10 was missing: its set-aside previous version is put back; cifar100's too
    assert "nb201/cifar10 " in out and _entries(tmp_path / "nb201") == sorted(
        [".cifar10.lock", ".cifar100.lock", "cifar10", "cifar100"] + [f".{n}.lock" for n in
                                                                   ("cifar10.old-123", ".cifar10.abcd1234",
                                                                    ".cifar10.tmp-5-ab12", ".cifar100.old-7-ff")])


def test_a_leftover_held_by_a_live_writer_is_not_cleaned(tmp_path):
    import threading

    (tmp_path / ".t.tmp-1-ab").mkdir()
    held, done = threading.Event(), threading.Event()

    def writer():  # another writer (a thread here: its own flock, like another process)
        with lock(tmp_path / "t"):
            held.set()
            done.wait(30)

    thread = threading.Thread(target=writer)
    thread.start()
    held.wait(30)
    clean_leftovers(tmp_path)
    assert (tmp_path / ".t.tmp-1-ab").exists()
    done.set()
    thread.join()
    clean_leftovers(tmp_path)
    assert not (tmp_path / ".t.tmp-1-ab").exists()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(umask=st.sampled_from([0o002, 0o022, 0o027, 0o077, 0o007]))
def test_folders_and_files_follow_the_umask(tmp_path_factory, umask):
    root = tmp_path_factory.mktemp("store")
    old = os.umask(umask)
    try:
        write_table(root / "nb201" / "t", name="nb201/t", space="nb201", dataset="t", n_archs=2,
                    metrics={"acc": MetricData(np.zeros((2, 1)), (1,), "%", "x")}, sources={}, info={})
        write_table(root / "nb201" / "t", name="nb201/t", space="nb201", dataset="t", n_archs=2,  # replacement
                    metrics={"acc": MetricData(np.ones((2, 1)), (1,), "%", "x")}, sources={}, info={})
    finally:
        os.umask(old)
    for path in (root / "nb201", root / "nb201" / "t"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o777 & ~umask, path
    for path in [root / "nb201" / ".t.lock", *(root / "nb201" / "t").iterdir()]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path


CONCURRENT = textwrap.dedent("""
    import sys
    import numpy as np
    sys.path.insert(0, {repo!r})
    from nasbench.benchmarks.latency import save_device
    i = int(sys.argv[2])
    values = np.full(15625, np.nan)
    values[i::7] = 1.0 + i
    save_device(f"dev{{i}}", values, root=sys.argv[1], kind="cpu", about="concurrency test")
""")


def test_concurrent_latency_writers_all_land(tmp_path):
    procs = [subprocess.Popen([sys.executable, "-c", CONCURRENT.format(repo=str(REPO)), str(tmp_path), str(i)],
                              stderr=subprocess.PIPE) for i in range(6)]
    errors = [p.stderr.read().decode() for p in procs if p.wait(120) != 0]
    assert errors == []
    from nasbench.benchmarks.latency import LatencyTables

    tables = LatencyTables("nb201", tmp_path)
    assert tables.devices == tuple(f"dev{i}" for i in range(6))
    for i in range(6):
        column = tables.column(f"dev{i}")
        assert np.all(column[i::7] == 1.0 + i) and np.isnan(column).sum() == 15625 - len(column[i::7])


def test_concurrent_table_writers_leave_one_complete_table(tmp_path):
    table = tmp_path / "nb201" / "cifar10"
    procs = [_child(table, i % 2, 5, "none") for i in range(6)]
    assert [p.wait(120) for p in procs] == [0] * 6
    assert _version(table) in (0, 1)
    assert _entries(table.parent) == [".cifar10.lock", "cifar10"]


def test_data_import_killed_at_random_moments(tmp_path, shared_data):
    """``kill -9`` of ``nasbench data import`` leaves each table previous or completely new."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "nats_bench.csv").symlink_to(shared_data / "nb201_nats_bench_landscape" / "nats_bench.csv")
    root = tmp_path / "store"
    for ds in ("cifar10", "cifar100", "imagenet16-120"):  # the previous state: recognisable tables
        write_table(root / "nb201" / ds, name=f"nb201/{ds}", space="nb201", dataset=ds, n_archs=15625,
                    metrics={"test_acc": MetricData(np.zeros((15625, 1)), (200,), "%", "old")}, sources={},
                    info={"old": True})
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    rng = np.random.default_rng(1)
    states = set()
    for _ in range(4):
        proc = subprocess.Popen([sys.executable, "-m", "nasbench", "data", "import", "nb201", "--from", str(src),
                                 "--to", str(root)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.3, 2.0))
        proc.kill()
        proc.wait(60)
        for ds in ("cifar10", "cifar100", "imagenet16-120"):
            with lock(root / "nb201" / ds):
                from tabular_data.atomic import recover

                recover(root / "nb201" / ds)
            table = Table(root / "nb201" / ds)
            table.verify()
            states.add("old" if table.manifest["info"].get("old") else "new")
            if "old" not in table.manifest["info"]:
                assert table.metric("test_acc").fidelities == (200,) and table.metric("test_acc").coverage[0][
                    "n_archs_mean"] == 15625
    assert states <= {"old", "new"}
