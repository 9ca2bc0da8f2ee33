"""Chunked proxy tables: job settings, resume, kill-safety, and merging into a table byte for byte."""

import math
import os
import shutil

import numpy as np
import pytest

pytest.importorskip("torch")

from nasbench.benchmarks import registry  # noqa: E402
from nasbench.errors import DataIntegrityError, MissingDataError, NasbenchError, UnknownNameError  # noqa: E402
from nasbench.spaces.nb201 import canonical_ids, class_representatives  # noqa: E402
from nasbench.training import chunks  # noqa: E402
from nasbench.training import proxies_job as zj  # noqa: E402
from nasbench.training.assemble import assemble  # noqa: E402
from nasbench.training.proxies import compute  # noqa: E402
from tabular_data.store import Table, sha256_file  # noqa: E402

pytestmark = pytest.mark.skipif(registry.table_dir("nb201/digits") is None, reason="nb201/digits is not installed")


@pytest.fixture(autouse=True)
def _own_data_root(tmp_path, monkeypatch):
    monkeypatch.setenv("NASBENCH_DATA", str(tmp_path / "store"))


def small_job(**kw):
    kw = {"proxies": ("synflow", "nwot", "params"), "chunk_size": 2, "n_arch_classes": 3, **kw}
    return zj.job_for("nb201/digits", kw.pop("proxies"), **kw)


def test_digits_job_uses_the_tables_network_and_split():
    job = small_job()
    info = Table(registry.table_dir("nb201/digits")[0]).manifest["info"]["job"]
    assert (job.C, job.N) == (info["train"]["C"], info["train"]["N"])
    assert job.split == tuple(info["split"]) and job.input_shape == (1, 8, 8) and job.inputs == "digits"
    assert job.n_chunks == 2 and job.chunk_classes(1).tolist() == [2]
    assert job.batch().source == f"digits train images 0..{job.batch_size - 1}"


def test_job_errors():
    with pytest.raises(UnknownNameError, match="builds tables for 'nb201/digits'"):
        zj.job_for("nb101/cifar10", ["synflow"])
    with pytest.raises(NasbenchError, match="snip need a batch of images.*--inputs noise"):
        zj.job_for("nb201/cifar10", ["snip", "synflow"])
    assert zj.job_for("nb201/cifar10", ["snip"], inputs="noise").input_shape == (3, 32, 32)
    assert zj.job_for("nb201/imagenet16-120", ["zen"]).n_classes == 120
    with pytest.raises(NasbenchError, match="--inputs for nb201/cifar10 must be none or noise"):
        zj.job_for("nb201/cifar10", ["synflow"], inputs="digits")
    with pytest.raises(NasbenchError, match="chunk_size must be an int >= 1"):
        small_job(chunk_size=0)
    with pytest.raises(NasbenchError, match=r"n_arch_classes must be None or an int in \[1, 6466\]"):
        small_job(n_arch_classes=7000)


def test_run_resume_and_values(tmp_path):
    job, build = small_job(), tmp_path / "build"
    (build).mkdir()
    (build / ".chunk-00000.npz.tmp-1").write_bytes(b"left by a killed writer")
    logs = []
    assert zj.run_job(build, job, workers=0, log=logs.append) == {"done": 2, "total": 2, "interrupted": False}
    assert not (build / ".chunk-00000.npz.tmp-1").exists()
    chunks = zj.load_chunks(build, job)
    rep = int(class_representatives()[2])
    direct = compute(lambda: job.build(rep), job.batch(), job.proxies, device="cpu")
    for p in job.proxies:
        assert chunks[f"score_{p}"][2] == direct[p][0]
    first = sha256_file(zj.chunk_path(build, 0))
    os.remove(zj.chunk_path(build, 1))
    logs.clear()
    zj.run_job(build, job, workers=0, log=logs.append)
    assert logs[0].startswith("1/2 chunks done; scoring 1")
    assert sha256_file(zj.chunk_path(build, 0)) == first
    again = zj.load_chunks(build, job)
    for p in job.proxies:
        np.testing.assert_array_equal(again[f"score_{p}"], chunks[f"score_{p}"])
    assert zj.status(build, job)["done"] == 2
    with pytest.raises(NasbenchError, match="was started with other settings"):
        zj.run_job(build, small_job(seed=1), workers=0, log=logs.append)


def test_an_interrupt_keeps_finished_chunks(tmp_path, monkeypatch):
    job, build = small_job(), tmp_path / "build"
    real = zj.score_chunk

    def stop_on_second(job_, k, batch=None):
        if k == 1:
            raise KeyboardInterrupt
        return real(job_, k, batch)

    monkeypatch.setattr(zj, "score_chunk", stop_on_second)
    out = zj.run_job(build, job, workers=0, log=lambda s: None)
    assert out == {"done": 1, "total": 2, "interrupted": True}
    assert zj.pending_chunks(build, job) == [1]
    with pytest.raises(MissingDataError, match="1 of 2 chunks are missing"):
        zj.load_chunks(build, job)
    assert len(zj.load_chunks(build, job, partial=True)["class_id"]) == 2


def test_merge_keeps_every_file_and_serves_the_proxies(tmp_path):
    import nasbench
    from nasbench.benchmarks.tabular import TabularBenchmark
    from nasbench.spaces import get_space

    job, build = small_job(), tmp_path / "build"
    zj.run_job(build, job, workers=0, log=lambda s: None)
    source = registry.table_dir("nb201/digits")[0]
    dest = zj.merge_into_table(build, job, source, tmp_path / "digits")
    old = Table(source)
    new = Table(dest)
    new.verify()
    merged = {f"zc_{p}{suffix}" for p in job.proxies for suffix in ("", "_time_s")}
    for metric, info in old.metrics.items():
        if metric in merged:  # the shipped table holds these too: the merge replaces them with this job's
            continue
        for entry in info.files.values():
            assert sha256_file(dest / entry["file"]) == sha256_file(source / entry["file"]) == entry["sha256"]
        assert new.manifest["metrics"][metric] == old.manifest["metrics"][metric]
    bench = TabularBenchmark(new, get_space("nb201"))
    members = np.flatnonzero(canonical_ids() < 3)
    chunks = zj.load_chunks(build, job)
    expected = chunks["score_synflow"][canonical_ids()[members]]
    np.testing.assert_array_equal(bench.query(members, "zc_synflow"), expected)
    assert bench.query(members, "zc_synflow_time_s").min() > 0
    assert new.metric("zc_nwot").coverage[0]["n_archs_mean"] == len(members)
    assert "digits train images 0..63" in new.metric("zc_nwot").description
    assert "no data" in new.metric("zc_synflow").description
    assert new.manifest["info"]["zero_cost"]["job"] == job.to_dict()
    assert math.isnan(bench.query(int(np.flatnonzero(canonical_ids() == 5)[0]), "zc_params", missing="nan"))
    assert nasbench.load("nb201/digits").table.manifest_sha256 == old.manifest_sha256  # the source is untouched
    other = zj.merge_into_table(build, job, dest, tmp_path / "other")  # merging again replaces the zc metrics
    assert Table(other).metrics.keys() == new.metrics.keys()
    with pytest.raises(NasbenchError, match="is nb201/digits, but the job scored nb201/cifar10; pass --table"):
        zj.merge_into_table(build, zj.job_for("nb201/cifar10", ["synflow"], n_arch_classes=1), other)


def test_a_corrupt_chunk_is_refused(tmp_path):
    job, build = small_job(), tmp_path / "build"
    zj.run_job(build, job, workers=0, log=lambda s: None)
    zj.chunk_path(build, 0).write_bytes(b"not a zip")
    with pytest.raises(DataIntegrityError, match="expected a chunk of plain numeric arrays as `nasbench zc compute` writes; .*Delete it"):
        zj.load_chunks(build, job)


def test_assembly_takes_the_proxies_of_a_finished_sibling_build(tmp_path):
    from nasbench.training import generate as gen

    train_build = tmp_path / "_build" / "nb201-digits"
    shutil.copytree(gen.shipped_build(), train_build)
    assert zj.assembled_zc(train_build) == {"metrics": {}, "sources": {}, "info": {}}  # no zc folder beside it
    job = small_job(n_arch_classes=None, chunk_size=4000, proxies=("params",))
    zc_build = tmp_path / "_build" / "zc-nb201-digits"
    chunks.prepare_build(zc_build, job.to_dict(), command=zj.COMMAND)
    assert zj.assembled_zc(train_build)["metrics"] == {}  # unfinished: nothing yet
    # a finished job: write its chunks directly (scoring 6466 classes is the real job's work)
    for k in range(job.n_chunks):
        classes = job.chunk_classes(k)
        arrays = {"class_id": classes, "arch_index": class_representatives()[classes],
                  "score_params": classes * 1.0, "time_params": np.full(len(classes), 0.5)}
        chunks.write_chunk(zc_build, k, arrays)
    table = assemble(train_build, tmp_path / "table")
    assembled = Table(table)
    np.testing.assert_array_equal(assembled.array("zc_params")[:, 0], canonical_ids() * 1.0)
    assert assembled.manifest["sources"]["zc"]["path"] == "zc-nb201-digits"
    shipped = Table(registry.table_dir("nb201/digits")[0])
    for metric in shipped.metrics:
        if not metric.startswith("zc_"):
            assert assembled.metric(metric).files == shipped.metric(metric).files  # same bytes as shipped
    other = small_job(n_arch_classes=None, proxies=("params",), inputs="noise")
    (zc_build / "config.json").write_text(__import__("json").dumps({"job": {**other.to_dict(), "C": 99}}))
    with pytest.raises(DataIntegrityError, match="scored another network or split"):
        zj.assembled_zc(train_build)
