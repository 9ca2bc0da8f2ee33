"""nasbench.training.chunks: the build folder and worker pool shared by generate and zc compute."""

import dataclasses
import json
import os
import signal

import numpy as np
import pytest

from nasbench.errors import DataIntegrityError, MissingDataError, NasbenchError
from nasbench.training import chunks

COMMAND = "nasbench test-job"


@dataclasses.dataclass(frozen=True)
class Job(chunks.ChunkedJob):
    n: int = 5
    chunk_size: int = 2

    @property
    def classes(self):
        return np.arange(self.n, dtype=np.int64)


def square_setup(build: str) -> dict:
    """Module level, so that spawned workers import it."""
    return {"build": build, "pid": os.getpid()}


def square_work(context: dict, k: int) -> None:
    ids = Job().chunk_classes(k)
    chunks.write_chunk(context["build"], k, {"class_id": ids, "square": ids.astype(np.float64) ** 2,
                                             "pid": np.array([context["pid"]])})


def test_chunk_arithmetic_and_pending():
    job = Job()
    assert job.n_chunks == 3 and job.chunk_classes(2).tolist() == [4]


def test_prepare_build_writes_the_config_once_and_refuses_another_job(tmp_path):
    build = tmp_path / "b"
    chunks.prepare_build(build, {"a": 1}, command=COMMAND)
    assert json.loads((build / "config.json").read_text()) == {"job": {"a": 1}}
    (build / ".chunk-00000.npz.tmp-123").write_bytes(b"half")  # a killed writer's leftover
    chunks.prepare_build(build, {"a": 1}, command=COMMAND)  # the same job resumes
    assert not list(build.glob(".chunk-*"))
    assert chunks.read_job_dict(build, command=COMMAND) == {"a": 1}
    with pytest.raises(NasbenchError, match=r"(?s)was started with other settings \(another job\).*stored \{'a': 1\}"):
        chunks.prepare_build(build, {"a": 2}, command=COMMAND)
    (build / "config.json").write_text("[1")
    with pytest.raises(DataIntegrityError, match="is not a readable build config .*`nasbench test-job` writes"):
        chunks.read_job_dict(build, command=COMMAND)
    (build / "config.json").write_text("[1]")
    with pytest.raises(DataIntegrityError, match=r'expected \{"job": \{...\}\} as `nasbench test-job` writes it; got list'):
        chunks.prepare_build(build, {"a": 1}, command=COMMAND)
    with pytest.raises(MissingDataError, match="no config.json in .*`nasbench test-job --build"):
        chunks.read_job_dict(tmp_path / "none", command=COMMAND)


def test_chunks_hold_plain_numeric_arrays_only(tmp_path):
    path = chunks.write_chunk(tmp_path, 7, {"x": np.arange(3)})
    assert path.name == "chunk-00007.npz" and path == chunks.chunk_path(tmp_path, 7)
    assert chunks.read_chunk(path, command=COMMAND)["x"].tolist() == [0, 1, 2]
    with pytest.raises(DataIntegrityError, match="expected a chunk of plain numeric arrays as `nasbench test-job`"):
        chunks.read_chunk(path, ["y"], command=COMMAND)
    np.savez(tmp_path / "s.npz", s=np.array(["a"]))
    with pytest.raises(DataIntegrityError, match="expected numeric arrays; s is <U1"):
        chunks.read_chunk(tmp_path / "s.npz", command=COMMAND)
    np.savez(tmp_path / "o.npz", o=np.array([{}], dtype=object))
    with pytest.raises(DataIntegrityError, match="fails .*pickle"):
        chunks.read_chunk(tmp_path / "o.npz", command=COMMAND)


def test_in_process_run_stops_on_sigterm_and_restores_the_handler(tmp_path):
    pytest.importorskip("torch")
    done, lines, before = [], [], signal.getsignal(signal.SIGTERM)

    def on_done(k, wall, cpu):
        done.append(k)
        if k == 1:
            os.kill(os.getpid(), signal.SIGTERM)

    interrupted = chunks.run_chunks([0, 1, 2], setup=square_setup, setup_args=(str(tmp_path),), work=square_work,
                                    workers=0, on_done=on_done, log=lines.append)
    assert interrupted and done == [0, 1] and chunks.pending_chunks(tmp_path, Job()) == [2]
    assert lines == ["interrupted: finished chunks are kept; run the same command to continue"]
    assert signal.getsignal(signal.SIGTERM) is before


def test_worker_pool_writes_every_chunk(tmp_path):
    pytest.importorskip("torch")
    done = []
    interrupted = chunks.run_chunks(chunks.pending_chunks(tmp_path, Job()), setup=square_setup,
                                    setup_args=(str(tmp_path),), work=square_work, workers=1,
                                    on_done=lambda k, wall, cpu: done.append((k, wall >= 0, cpu >= 0)))
    assert not interrupted and sorted(done) == [(0, True, True), (1, True, True), (2, True, True)]
    parts = [chunks.read_chunk(chunks.chunk_path(tmp_path, k), command=COMMAND) for k in range(3)]
    assert np.concatenate([p["square"] for p in parts]).tolist() == [0, 1, 4, 9, 16]
    assert {int(p["pid"][0]) for p in parts} != {os.getpid()}  # computed in the worker, not here
