"""nasbench generate --space darts: jobs, kill and resume, byte-identical re-assembly, errors."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")

from nasbench.errors import NasbenchError  # noqa: E402
from nasbench.training import darts_generate as dg  # noqa: E402
from nasbench.training import chunks  # noqa: E402
from nasbench.training import generate as gen  # noqa: E402
from nasbench.training.assemble import assemble  # noqa: E402
from nasbench.training.darts_archs import arch_code, archs_from_array, sample_distinct  # noqa: E402

TINY = {"C": 2, "N": 1, "epochs": 1, "batch_size": 32, "lr": 0.05, "lr_min": 0.0, "momentum": 0.9,
        "nesterov": True, "weight_decay": 5e-4, "bn_recalibration": 32, "warmup_steps": 1, "grad_clip": 5.0}
TINY_ARGS = ["--space", "darts", "--part", "heldout", "--n-archs", "3", "--chunk-size", "1", "--epochs", "1",
             "--C", "2", "--N", "1", "--batch-size", "32", "--lr", "0.05", "--warmup-steps", "1",
             "--bn-recalibration", "32", "--split", "100", "60", "40", "--latency-repeats", "1"]
DETERMINISTIC = ("arch_id", "arch_cells", "seeds", "train_loss", "train_acc", "valid_acc", "test_acc", "params_m",
                 "flops_m")


def tiny_job(n=3, **kw):
    fields = dict(train=dict(TINY), split=(100, 60, 40), seeds=(0, 1), chunk_size=1, latency_repeats=1,
                  space="darts", archs=tuple(arch_code(a) for a in sample_distinct(n, 11)), proposed_by="uniform")
    fields.update(kw)
    return gen.JobConfig(**fields)


def test_kill_and_resume_equals_uninterrupted_run(tmp_path):
    build, table = tmp_path / "build", tmp_path / "runs"
    cmd = [sys.executable, "-m", "nasbench", "generate", "--build", str(build), "--table", str(table),
           "--workers", "1", *TINY_ARGS]
    env = dict(os.environ, PYTHONUNBUFFERED="1", NASBENCH_DATA=str(tmp_path / "store"))
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 180
    while not gen.chunk_path(build, 0).exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, out.decode()
    job = gen.read_job(build)
    assert job.space == "darts" and len(job.archs) == 3 and job.proposed_by == "uniform"
    done_first = job.n_chunks - len(gen.pending_chunks(build, job))
    assert 1 <= done_first < job.n_chunks and not table.exists()
    assert not list(build.glob(".chunk-*"))
    # resume with only the build folder: its settings are read from it
    rerun = subprocess.run([sys.executable, "-m", "nasbench", "generate", "--build", str(build), "--table",
                            str(table), "--workers", "0"], capture_output=True, env=env, timeout=300)
    assert rerun.returncode == 0, rerun.stdout.decode() + rerun.stderr.decode()
    assert f"{done_first}/{job.n_chunks} chunks done" in rerun.stdout.decode()
    manifest = json.loads((table / "manifest.json").read_text())
    assert manifest["info"]["proposed_by"] == "uniform" and manifest["info"]["n_archs"] == 3
    reference = {k: gen.train_chunk(job, k) for k in range(job.n_chunks)}
    for k in range(job.n_chunks):
        with np.load(gen.chunk_path(build, k)) as z:
            for key in DETERMINISTIC:
                np.testing.assert_array_equal(z[key], reference[k][key], err_msg=f"chunk {k} {key}")
            assert np.all(z["train_time_s"] > 0) and np.all(z["latency_ms"] > 0)
    valid = np.load(table / "valid_acc.npy")
    assert valid.shape == (3, 2, 1)
    np.testing.assert_array_equal(valid[1], reference[1]["valid_acc"][0])


def test_reassembly_gives_identical_files(tmp_path):
    job = tiny_job(n=2, chunk_size=2, seeds=(0,))
    gen.generate(tmp_path / "b", job, workers=0, table=tmp_path / "t1", command="c", log=lambda s: None)
    assemble(tmp_path / "b", tmp_path / "t2", command="c")
    names = sorted(os.listdir(tmp_path / "t1"))
    assert names == sorted(os.listdir(tmp_path / "t2")) and "manifest.json" in names and "arch_cells.npy" in names
    for name in names:
        assert (tmp_path / "t1" / name).read_bytes() == (tmp_path / "t2" / name).read_bytes(), name
    with pytest.raises(NasbenchError, match="already exists and is kept.*--overwrite"):
        assemble(tmp_path / "b", tmp_path / "t2", command="c")
    assemble(tmp_path / "b", tmp_path / "t2", command="c", overwrite=True)
    cells = np.load(tmp_path / "t1" / "arch_cells.npy")
    assert [arch_code(a) for a in archs_from_array(cells)] == list(job.archs)


def test_nb201_job_dict_is_unchanged_by_the_darts_fields():
    """The committed nb201/digits build record must be read, compared and rewritten byte-identically."""
    path = gen.shipped_build() / "config.json"
    if not path.exists():
        pytest.skip("no committed nb201/digits build record in this checkout")
    text = path.read_text()
    job = gen.read_job(gen.shipped_build())
    assert job.space == "nb201" and job.archs is None
    assert json.dumps({"job": job.to_dict()}, indent=1, sort_keys=True) == text


def test_darts_job_validation():
    with pytest.raises(NasbenchError, match="space must be one of nb201, darts; got 'nb101'"):
        tiny_job(space="nb101")
    with pytest.raises(NasbenchError, match="needs a non-empty list of arch codes"):
        tiny_job(archs=())
    with pytest.raises(NasbenchError, match=r"archs\[1\] is not a DARTS arch code"):
        tiny_job(archs=(arch_code(sample_distinct(1, 0)[0]), "123"))
    code = arch_code(sample_distinct(1, 0)[0])
    with pytest.raises(NasbenchError, match=r"archs\[1\] .* repeats an earlier genotype"):
        tiny_job(archs=(code, code))
    with pytest.raises(NasbenchError, match="needs proposed_by"):
        tiny_job(proposed_by=None)
    with pytest.raises(NasbenchError, match="n_classes is an NB201 field"):
        tiny_job(n_classes=2)
    with pytest.raises(NasbenchError, match="are DARTS fields; got them with space 'nb201'"):
        gen.JobConfig(train=dict(TINY), split=(100, 60, 40), archs=(code,))


def test_darts_chunks_of_another_job_are_refused(tmp_path):
    job = tiny_job(n=2)
    for k, i in enumerate([1, 0]):
        chunks.write_chunk(tmp_path, k, {"arch_id": np.array([i]), "seeds": np.array([0, 1])})
    with pytest.raises(NasbenchError, match=r"do not cover arch ids 0\.\.1 in order"):
        gen.load_chunks(tmp_path, job)


def test_uniform_jobs_hold_out_the_test_set():
    jobs = dg.uniform_jobs(TINY, (100, 60, 40), n_heldout=20, n_uniform=50, n_second_seed=10)
    held, s01, s0 = jobs["heldout"], jobs["uniform-s01"], jobs["uniform-s0"]
    assert (len(held.archs), len(s01.archs), len(s0.archs)) == (20, 10, 40)
    assert held.seeds == (0, 1) and s01.seeds == (0, 1) and s0.seeds == (0,)
    assert not set(held.archs) & (set(s01.archs) | set(s0.archs)) and not set(s01.archs) & set(s0.archs)
    # the full-size lists start with the small ones (prefix-stable samplers)
    big = dg.uniform_jobs(TINY, (100, 60, 40), n_heldout=20, n_uniform=60, n_second_seed=10)
    assert big["uniform-s01"].archs == s01.archs and big["heldout"].archs == held.archs
    with pytest.raises(NasbenchError, match="n_second_seed must be in"):
        dg.uniform_jobs(TINY, (100, 60, 40), n_uniform=10, n_second_seed=10)


@pytest.mark.parametrize("args, match", [
    (["--space", "darts"], "needs --build DIR .* or --part NAME"),
    (["--space", "darts", "--part", "bogus"], "--part must be one of heldout, uniform-s01, uniform-s0"),
    (["--space", "darts", "--part", "x", "--archs-file", "a.json"], "--archs-file needs --proposed-by"),
    (["--space", "darts", "--part", "heldout", "--n-classes", "3"], "--n-classes is an NB201 option"),
    (["--part", "heldout", "--space", "nb201"], "--part is a DARTS option"),
    (["--space", "darts", "--part", "heldout", "--n-archs", "501"], r"--n-archs must be in \[1, 500\]"),
])
def test_cli_errors(tmp_path, monkeypatch, capsys, args, match):
    from nasbench.cli import main

    monkeypatch.setenv("NASBENCH_DATA", str(tmp_path))
    if "--space" in args and args[args.index("--space") + 1] == "nb201":
        args = [*args, "--build", str(tmp_path / "b")]
    assert main(["generate", *args]) != 0
    err = capsys.readouterr().err
    import re

    assert re.search(match, err), err


def test_cli_refuses_a_space_other_than_the_build_folders(tmp_path, monkeypatch, capsys):
    from nasbench.cli import main

    chunks.prepare_build(tmp_path / "b", tiny_job(n=1).to_dict(), command=gen.COMMAND)
    assert main(["generate", "--build", str(tmp_path / "b"), "--space", "nb201"]) != 0
    assert "holds a darts job" in capsys.readouterr().err


def test_default_build_and_runs_go_to_the_data_store_not_the_package(tmp_path, monkeypatch, capsys):
    from nasbench.cli import main

    monkeypatch.setenv("NASBENCH_DATA", str(tmp_path))
    args = [a if a != "3" or i == 0 else "1" for i, a in enumerate(TINY_ARGS)]  # one arch
    assert main(["generate", *args, "--workers", "0"]) == 0
    build = tmp_path / "_build" / "darts-digits" / "heldout"
    assert gen.read_job(build).archs == (arch_code(sample_distinct(1, dg.SAMPLE_SEEDS["heldout"])[0]),)
    assert (tmp_path / "darts" / "digits-runs" / "heldout" / "manifest.json").exists()
    # --status without a build of one's own reads the committed record (read-only)
    monkeypatch.setenv("NASBENCH_DATA", str(tmp_path / "other"))
    shipped = gen.shipped_build().parent / "darts-digits" / "heldout"
    if (shipped / "config.json").exists():
        capsys.readouterr()
        assert main(["generate", "--space", "darts", "--part", "heldout", "--status"]) == 0
        assert json.loads(capsys.readouterr().out)["build"] == str(shipped)
