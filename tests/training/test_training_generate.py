"""nasbench generate: chunk files, interrupt and resume, assembly of classes to members."""

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

from nasbench.errors import MissingDataError, NasbenchError  # noqa: E402
from nasbench.spaces.nb201 import canonical_ids, class_representatives  # noqa: E402
from nasbench.training import chunks  # noqa: E402
from nasbench.training import generate as gen  # noqa: E402
from nasbench.training.assemble import assemble  # noqa: E402

TINY = {"C": 2, "N": 1, "epochs": 2, "batch_size": 32, "lr": 0.05, "lr_min": 0.0, "momentum": 0.9,
        "nesterov": True, "weight_decay": 5e-4, "bn_recalibration": 32, "warmup_steps": 2, "grad_clip": 5.0}
TINY_ARGS = ["--n-classes", "4", "--chunk-size", "1", "--seeds", "0", "1", "--epochs", "2", "--C", "2", "--N", "1",
             "--batch-size", "32", "--lr", "0.05", "--warmup-steps", "2", "--grad-clip", "5",
             "--bn-recalibration", "32", "--split", "100", "60", "40", "--latency-repeats", "1"]
DETERMINISTIC = ("class_id", "arch_index", "seeds", "train_loss", "train_acc", "valid_acc", "test_acc", "params_m",
                 "flops_m")


def tiny_job(**kw):
    fields = dict(train=dict(TINY), split=(100, 60, 40), seeds=(0, 1), chunk_size=1, n_classes=4, latency_repeats=1)
    fields.update(kw)
    return gen.JobConfig(**fields)


def test_kill_and_restart_equals_uninterrupted_run(tmp_path):
    build, table = tmp_path / "build", tmp_path / "table"
    cmd = [sys.executable, "-m", "nasbench", "generate", "--build", str(build), "--table", str(table),
           "--workers", "1", *TINY_ARGS]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 120
    while not gen.chunk_path(build, 0).exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, out.decode()
    job = gen.read_job(build)
    done_first = job.n_chunks - len(gen.pending_chunks(build, job))
    assert 1 <= done_first < job.n_chunks
    assert not table.exists()
    assert not list(build.glob(".chunk-*"))  # no half-written chunk under a final name
    with pytest.raises(MissingDataError, match="chunks are missing"):
        assemble(build, tmp_path / "early")
    # restart: continues, finishes, assembles
    # (in-process this time: the worker-pool path was exercised by the interrupted run)
    rerun = subprocess.run([c if c != "1" or cmd[i - 1] != "--workers" else "0" for i, c in enumerate(cmd)],
                           capture_output=True, env=env, timeout=300)
    assert rerun.returncode == 0, rerun.stdout.decode() + rerun.stderr.decode()
    assert f"{done_first}/{job.n_chunks} chunks done" in rerun.stdout.decode()
    assert (table / "manifest.json").exists()
    # the uninterrupted reference: the same chunks trained in this process
    reference = {k: gen.train_chunk(job, k) for k in range(job.n_chunks)}
    for k in range(job.n_chunks):
        with np.load(gen.chunk_path(build, k)) as z:
            for key in DETERMINISTIC:
                np.testing.assert_array_equal(z[key], reference[k][key], err_msg=f"chunk {k} {key}")
            assert np.all(z["train_time_s"] > 0) and np.all(z["latency_ms"] > 0)


def test_assembly_maps_classes_to_members(tmp_path):
    job = tiny_job(n_classes=3, chunk_size=2, train=dict(TINY, epochs=1))
    out = gen.generate(tmp_path / "b", job, workers=0, table=tmp_path / "t", command="test", log=lambda s: None)
    assert out["done"] == out["total"] == 2 and out["assembled"]
    from tabular_data.store import Table

    table = Table(tmp_path / "t")
    ids = canonical_ids()
    chunks = gen.load_chunks(tmp_path / "b", job)
    valid = table.array("valid_acc", "seeds")
    assert valid.shape == (15625, 2, 1)
    for c in range(3):
        members = np.flatnonzero(ids == c)
        assert class_representatives()[c] == members.min() == chunks["arch_index"][c]
        np.testing.assert_array_equal(valid[members], np.broadcast_to(chunks["valid_acc"][c], (len(members), 2, 1)))
        np.testing.assert_array_equal(table.array("params_m")[members, 0], chunks["params_m"][c])
    others = ~np.isin(ids, [0, 1, 2])
    assert np.isnan(valid[others]).all()
    mean = table.array("valid_acc", "mean")
    np.testing.assert_allclose(mean[ids == 1], chunks["valid_acc"][1].mean(axis=0)[None, :])
    manifest = json.loads((tmp_path / "t" / "manifest.json").read_text())
    assert manifest["info"]["seeds"] == [0, 1] and manifest["info"]["made_by"] == "test"
    assert "torch" in manifest["info"]["versions"]
    assert manifest["metrics"]["train_time_s"]["fidelities"] == [1]
    assert manifest["metrics"]["latency_ms_cpu"]["fidelities"] == [None]
    agreement = manifest["info"]["seed_agreement_all_classes"]
    final = chunks["valid_acc"][:, :, -1]
    assert agreement["n_archs"] == 3 and agreement["median_acc"] == pytest.approx(np.median(final.mean(axis=1)))
    status = gen.finished_summary(tmp_path / "b", job)
    assert (status["n_chunks_done"], status["n_classes_done"]) == (2, 3)
    assert status["train_time_s_median"] == pytest.approx(np.median(chunks["train_time_s"]))


def test_assembled_table_loads_by_name(tmp_path, monkeypatch, capsys):
    import nasbench.benchmarks.registry as registry
    import nasbench.paths as paths
    from nasbench.cli import main

    # hide the shipped nb201/digits, which takes precedence over NASBENCH_DATA (the lookup is in paths)
    for module in (registry, paths):
        monkeypatch.setattr(module, "embedded_root", lambda: tmp_path / "no-embedded-tables")
    job = tiny_job(n_classes=2, chunk_size=2, seeds=(0,), train=dict(TINY, epochs=1))
    gen.generate(tmp_path / "b", job, workers=0, table=tmp_path / "root" / "nb201" / "digits", log=lambda s: None)
    monkeypatch.setenv("NASBENCH_DATA", str(tmp_path / "root"))
    import nasbench

    bench = nasbench.load("nb201/digits")
    chunks = gen.load_chunks(tmp_path / "b", job)
    member = int(np.flatnonzero(canonical_ids() == 1)[-1])
    assert bench.query(member, "valid_acc", 1) == chunks["valid_acc"][1, 0, 0]
    assert np.isnan(bench.query(15624, "valid_acc", 1, missing="nan"))
    assert main(["info", "nb201/digits"]) == 0
    text = capsys.readouterr().out
    assert "seeds: [0]" in text and "generate: b\n" in text and "split." in text


def test_class_to_members_spreads_rows():
    ids = canonical_ids()
    values = np.array([[1.0], [2.0]])
    out = gen.class_to_members(values, np.array([5, 0]))
    assert out.shape == (15625, 1)
    np.testing.assert_array_equal(out[ids == 5, 0], 1.0)
    np.testing.assert_array_equal(out[ids == 0, 0], 2.0)
    assert np.isnan(out[(ids != 5) & (ids != 0)]).all()


def test_sigterm_stops_in_process_training_and_keeps_finished_chunks(tmp_path, monkeypatch):
    def terminated(job, k, data):
        os.kill(os.getpid(), signal.SIGTERM)  # the handler turns it into KeyboardInterrupt

    monkeypatch.setattr(gen, "_load_data", lambda job: None)
    monkeypatch.setattr(gen, "train_chunk", terminated)
    lines, before = [], signal.getsignal(signal.SIGTERM)
    out = gen.generate(tmp_path / "b", tiny_job(n_classes=2), workers=0, log=lines.append)
    assert out["interrupted"] and out["done"] == 0 and out["total"] == 2
    assert "interrupted: finished chunks are kept" in lines[-1]
    assert signal.getsignal(signal.SIGTERM) is before  # the previous handler is restored


def test_chunks_of_another_job_are_refused(tmp_path):
    job = tiny_job(n_classes=2)
    for k, class_id in enumerate([1, 0]):
        chunks.write_chunk(tmp_path, k, {"class_id": np.array([class_id]), "seeds": np.array([0, 1])})
    with pytest.raises(NasbenchError, match=r"do not cover class ids 0\.\.1 in order; .*run `nasbench generate` again"):
        gen.load_chunks(tmp_path, job)


def test_restart_with_other_settings_is_refused(tmp_path):
    chunks.prepare_build(tmp_path, tiny_job().to_dict(), command=gen.COMMAND)
    with pytest.raises(NasbenchError, match="started with other settings"):
        chunks.prepare_build(tmp_path, tiny_job(seeds=(0, 1, 2)).to_dict(), command=gen.COMMAND)


def test_job_config_validation():
    with pytest.raises(NasbenchError, match="seeds must be distinct"):
        tiny_job(seeds=(0, 0))
    with pytest.raises(NasbenchError, match="chunk_size must be an int"):
        tiny_job(chunk_size=0)
    with pytest.raises(NasbenchError, match="n_classes must be None or an int"):
        tiny_job(n_classes=10**6)
    with pytest.raises(NasbenchError, match="n_classes must be None or an int in .*; got 2.5"):
        tiny_job(n_classes=2.5)  # not truncated to 2
    with pytest.raises(NasbenchError, match="unknown TrainConfig field"):
        tiny_job(train=dict(TINY, bogus=1))
    with pytest.raises(MissingDataError, match="no config.json"):
        gen.read_job("/nonexistent-build-folder")
