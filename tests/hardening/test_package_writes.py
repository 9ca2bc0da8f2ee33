"""Class 2 of issue 13: work that can be destroyed.

``nasbench generate`` and ``--assemble`` write into the user's data store by default, never into
the installed package; an existing table (the shipped ``nb201/digits`` above all) is refused before
any training unless ``--overwrite`` is given; a ``kill -9`` at any moment of ``generate`` leaves the
previous state or a complete new one.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")

from nasbench.training import generate as gen  # noqa: E402
from nasbench.training.chunks import read_chunk  # noqa: E402
from tabular_data.atomic import FolderExistsError  # noqa: E402
from tabular_data.store import Table  # noqa: E402
from tests.hardening.conftest import REPO, run_main  # noqa: E402

SHIPPED = gen._repo_embedded() / gen.DEFAULT_TABLE
TINY_ARGS = ["--n-classes", "2", "--chunk-size", "1", "--seeds", "0", "--epochs", "1", "--C", "2", "--N", "1",
             "--batch-size", "32", "--lr", "0.05", "--warmup-steps", "1", "--grad-clip", "5",
             "--bn-recalibration", "32", "--split", "60", "30", "30", "--latency-repeats", "1"]


def _fingerprint(folder: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("NASBENCH_DATA", str(tmp_path / "store"))
    return tmp_path / "store"


def test_defaults_point_into_the_data_store_not_the_package(store):
    package = Path(gen._repo_embedded()).resolve()
    for path in (gen.default_build(), gen.default_table()):
        assert path.is_relative_to(store) and not path.resolve().is_relative_to(package)


@pytest.mark.skipif(not (SHIPPED / "manifest.json").exists(), reason="nb201/digits is not in this checkout")
@pytest.mark.parametrize("argv", [
    ["--assemble", "--table", str(SHIPPED)],
    ["--table", str(SHIPPED), *TINY_ARGS],
    ["--table", str(SHIPPED), "--workers", "0", *TINY_ARGS],
])
def test_no_command_overwrites_the_shipped_table_without_the_flag(store, capsys, argv):
    before = _fingerprint(SHIPPED)
    status, out, err = run_main(["generate", *argv], capsys)
    assert status == 2 and err.count("\n") == 1
    assert "(the table shipped with nasbench) already exists and is kept" in err and "--overwrite" in err
    assert _fingerprint(SHIPPED) == before
    assert not (store / "_build").exists()  # refused before anything was trained or written


@pytest.mark.skipif(not (gen.shipped_build() / "config.json").exists(), reason="no build record in this checkout")
def test_assemble_reads_the_record_and_writes_the_store_then_refuses_a_second_time(store, capsys):
    before = _fingerprint(SHIPPED), _fingerprint(gen.shipped_build())
    status, out, err = run_main(["generate", "--assemble"], capsys)
    assert status == 0 and out.strip() == str(store / "nb201" / "digits")
    # the shipped table keeps its name; the note says so and how to serve this one
    assert err.count("\n") == 1 and "is not what nasbench.load('nb201/digits') serves" in err
    assert "load it as 'nb201/digits-NEW'" in err
    ours, shipped = Table(store / "nb201" / "digits"), Table(SHIPPED)
    for metric in shipped.metrics:
        np.testing.assert_array_equal(ours.array(metric), shipped.array(metric))
    status, _, err = run_main(["generate", "--assemble"], capsys)
    assert status == 2 and err.count("\n") == 1 and "already exists and is kept" in err and "--overwrite" in err
    import nasbench

    (store / "nb201" / "digits").rename(store / "nb201" / "digits-NEW")
    assert nasbench.load("nb201/digits-NEW").table.directory == store / "nb201" / "digits-NEW"
    assert nasbench.load("nb201/digits").kind == "embedded"
    assert (_fingerprint(SHIPPED), _fingerprint(gen.shipped_build())) == before


def test_the_api_refuses_an_existing_table_before_training(tmp_path, monkeypatch):
    job = gen.JobConfig(train={"epochs": 1, "C": 2, "N": 1}, split=(60, 30, 30), n_classes=1, chunk_size=1,
                        seeds=(0,), latency_repeats=1)
    (tmp_path / "t").mkdir()
    monkeypatch.setattr(gen, "train_chunk", lambda *a, **k: pytest.fail("trained although refused"))
    with pytest.raises(FolderExistsError, match="already exists and is kept: expected a new destination"):
        gen.generate(tmp_path / "b", job, workers=0, table=tmp_path / "t", log=lambda s: None)
    assert not (tmp_path / "b").exists()


def _generate(build, table, *extra) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "nasbench", "generate", "--build", str(build), "--table",
                             str(table), "--workers", "0", *TINY_ARGS, *extra], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The tiny job of TINY_ARGS run uninterrupted in this process: (build, table)."""
    import argparse

    from nasbench.cli.generate_cmd import _job, add_arguments

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    root = tmp_path_factory.mktemp("reference")
    job = _job(parser.parse_args(TINY_ARGS), root / "build")
    gen.generate(root / "build", job, workers=0, table=root / "table", log=lambda s: None)
    return root / "build", root / "table"


def test_kill_9_at_random_moments_of_generate_then_resume(tmp_path, reference):
    """Each kill leaves whole chunks only and either no table or a complete one; the resumed job's
    table equals the uninterrupted one's (deterministic fields)."""
    build, table = tmp_path / "build", tmp_path / "table"
    rng = np.random.default_rng(0)
    for _ in range(2):
        proc = _generate(build, table, "--overwrite")
        time.sleep(rng.uniform(1.5, 3.5))  # python + torch start ~1.5 s, then train, assemble, write
        proc.send_signal(signal.SIGKILL)
        proc.wait(60)
        job = gen.read_job(build) if (build / "config.json").exists() else None
        if job is not None:
            for k in range(job.n_chunks):
                if gen.chunk_path(build, k).exists():
                    read_chunk(gen.chunk_path(build, k), command=gen.COMMAND)  # complete and readable
        if (table / "manifest.json").exists():
            Table(table).verify()
    proc = _generate(build, table, "--overwrite")
    assert proc.wait(300) == 0, proc.stdout.read().decode()
    assert not list(build.glob(".chunk-*")) and not list(build.glob(".config.json.tmp-*"))
    resumed = Table(table)
    resumed.verify()
    for metric in ("valid_acc", "test_acc", "params_m", "flops_m"):
        np.testing.assert_array_equal(resumed.array(metric), Table(reference[1]).array(metric))


def test_kill_9_while_replacing_a_generated_table_keeps_the_previous(tmp_path, reference):
    import shutil

    table = tmp_path / "table"
    shutil.copytree(reference[1], table)
    before = _fingerprint(table)
    script = ("import os, signal, sys; import tabular_data.atomic as a; "
              "a.put_in_place = lambda *x: os.kill(os.getpid(), signal.SIGKILL); "
              "from nasbench.cli import main; sys.exit(main(sys.argv[1:]))")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", script, "generate", "--assemble", "--build", str(reference[0]),
                           "--table", str(table), "--overwrite"], env=env, capture_output=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    assert _fingerprint(table) == before
    Table(table).verify()
