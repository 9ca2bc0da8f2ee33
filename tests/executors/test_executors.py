"""Executors: task order, errors, and Ray giving exactly the local results for compare-like tasks."""

from __future__ import annotations

import functools
import hashlib
import inspect
import io
import json
import operator
import os
import re
import sys

import numpy as np
import pytest

from nasbench.errors import NasbenchError, OptionalDependencyError, UnknownNameError, install_hint
from strategies.executors import LocalExecutor, RayExecutor, make_executor, require_ray


def test_local_serial_and_pool_keep_task_order():
    tasks = list(range(-5, 5))
    with LocalExecutor(1) as serial:
        a = serial.map(abs, tasks)
    with LocalExecutor(2) as pool:
        b = pool.map(abs, tasks)
        c = pool.starmap(operator.sub, [(t, 2 * t) for t in tasks])
    assert a == b == [abs(t) for t in tasks]
    assert c == [-t for t in tasks]
    assert LocalExecutor(2).map(abs, []) == []


def test_make_executor_errors():
    with pytest.raises(UnknownNameError, match="unknown executor 'dask'; expected one of 'local', 'ray'"):
        make_executor("dask")
    with pytest.raises(NasbenchError, match="applies to the Ray executor only"):
        make_executor("local", address="auto")
    with pytest.raises(NasbenchError, match="n_jobs must be an int >= 1; got 0"):
        make_executor("local", n_jobs=0)
    assert make_executor("local", n_jobs=2).describe() == {"executor": "local", "n_jobs": 2}


def test_missing_ray_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` raise ImportError
    with pytest.raises(OptionalDependencyError, match=re.escape(install_hint("distributed"))):
        require_ray()
    with pytest.raises(OptionalDependencyError, match="--executor ray needs Ray"):
        make_executor("ray")


def test_unreachable_ray_cluster_says_how_to_start_one(monkeypatch):
    import types

    def refuse(**kwargs):
        raise ConnectionError(f"nothing listens at {kwargs['address']}")

    fake = types.SimpleNamespace(is_initialized=lambda: False, init=refuse)
    monkeypatch.setitem(sys.modules, "ray", fake)
    with pytest.raises(NasbenchError, match=r"could not connect to the Ray cluster at address='ray://nowhere:1' "
                                            r"\(nothing listens at ray://nowhere:1\)\. Start it with `ray start --head`"):
        RayExecutor("ray://nowhere:1")


def _require_ray():
    """The ray module; skips without it, or fails when NASBENCH_REQUIRE_RAY=1 (CI)."""
    try:
        import ray
    except ImportError:
        reason = 'ray is not installed (pip install "nasbench[distributed]")'
        if os.environ.get("NASBENCH_REQUIRE_RAY") == "1":
            pytest.fail(reason + "; NASBENCH_REQUIRE_RAY=1 forbids skipping")
        pytest.skip(reason)
    return ray


def test_ray_executor_argument_errors():
    _require_ray()
    with pytest.raises(NasbenchError, match="gpus_per_task must be 'auto' or a number >= 0; got -1"):
        RayExecutor(gpus_per_task=-1)
    with pytest.raises(NasbenchError, match="cpus_per_task must be a number > 0; got 0"):
        RayExecutor(cpus_per_task=0)


@pytest.fixture(scope="module")
def ray_executor():
    """A local Ray instance with 2 CPUs and no dashboard, shut down afterwards."""
    ray = _require_ray()
    if ray.is_initialized():
        pytest.skip("a Ray instance is already running in this process")
    ex = RayExecutor(num_cpus=2)
    assert ex._started and ray.is_initialized()
    yield ex
    ex.close()
    assert not ray.is_initialized()


def _compare_jobs(benchmark: str):
    """Compare's unit of dispatched work for two Python-path strategies, seeds in 2 chunks: (function, jobs).

    Uses ``strategies.compare.run_job`` / ``RunJob`` when compare has them, else the older
    ``_python_chunk`` with argument tuples.
    """
    from strategies import compare_run as compare

    seeds = ([0, 1], [2])
    if hasattr(compare, "RunJob"):
        budget = {"n_workers": 1, "max_evals": 12, "max_time_s": None}
        jobs = [compare.RunJob(benchmark, {}, (None, None, None), name, {}, 0, tuple(ids), **budget)
                for name in ("reinforce", "bohb") for ids in seeds]
        return compare.run_job, jobs
    args = [(benchmark, {}, name, {}, 0, ids, 1, 12, None) for name in ("reinforce", "bohb") for ids in seeds]
    return functools.partial(_star_chunk, compare._python_chunk), args


def _star_chunk(fn, args):
    return fn(*args)


def _digest(chunks) -> str:
    h = hashlib.sha256()
    for histories in chunks:
        for hist in histories:
            for field in ("arch_index", "fidelity", "worker", "start_s", "end_s", "value"):
                buf = io.BytesIO()
                np.save(buf, np.asarray(getattr(hist, field)))
                h.update(buf.getvalue())
    return h.hexdigest()


def test_ray_map_equals_local_map_on_compare_jobs(ray_executor, nb201_data_root):
    fn, jobs = _compare_jobs("nb201/cifar10")
    local = LocalExecutor(1).map(fn, jobs)
    remote = ray_executor.map(fn, jobs)
    assert len(remote) == len(jobs) and [len(c) for c in remote] == [2, 1, 2, 1]
    assert _digest(remote) == _digest(local)
    # and the runs differ between seeds, so equality is not trivial
    assert not np.array_equal(remote[0][0].arch_index, remote[0][1].arch_index)


def test_ray_map_keeps_order_and_needs_no_gpu_here(ray_executor):
    assert ray_executor.map(abs, [-3, 1, -2, 0]) == [3, 1, 2, 0]
    assert ray_executor.starmap(operator.mul, [(2, 3), (4, 5)]) == [6, 20]
    if ray_executor.ray.cluster_resources().get("GPU", 0) == 0:
        auto = RayExecutor.__new__(RayExecutor)
        auto.ray, auto.gpus_per_task = ray_executor.ray, "auto"
        assert auto._n_gpus() == 0.0


def test_compare_with_ray_executor_is_byte_identical(ray_executor, nb201_data_root, tmp_path):
    """``nasbench compare --executor ray`` writes the same bytes as the local executor (and as no executor)."""
    from nasbench.cli import main
    from strategies.compare import CompareConfig, run_compare, write_outputs

    if "executor" not in inspect.signature(run_compare).parameters:
        pytest.skip("strategies.compare.run_compare has no executor= parameter yet")
    config = CompareConfig(benchmark="nb201/cifar10", strategies=("random_search", "reinforce"), n_seeds=3,
                           max_evals=20)
    out = {}
    for name, ex in (("none", None), ("local", LocalExecutor(1)), ("ray", ray_executor)):
        out[name] = write_outputs(run_compare(config, n_jobs=1, executor=ex), tmp_path / name, plots=False)
    assert out["none"] == out["local"] == out["ray"] and "trajectories.parquet" in out["none"]
    # the command line: same files, byte for byte; the manifests differ only in "run" (timestamp, wall time)
    argv = ["compare", "nb201/cifar10", "--strategies", "random_search,reinforce", "--seeds", "3", "--budget", "20",
            "--no-plots", "--quiet"]
    assert main([*argv, "--out", str(tmp_path / "cli_local")]) == 0
    assert main([*argv, "--executor", "ray", "--out", str(tmp_path / "cli_ray")]) == 0
    files = sorted(p.name for p in (tmp_path / "cli_local").iterdir())
    assert files == sorted(p.name for p in (tmp_path / "cli_ray").iterdir())
    for f in files:
        a, b = (tmp_path / "cli_local" / f).read_bytes(), (tmp_path / "cli_ray" / f).read_bytes()
        if f == "manifest.json":
            a, b = (json.loads(x) for x in (a, b))
            a.pop("run"), b.pop("run")
        assert a == b, f


def test_validate_training_jobs_on_ray_equal_local(ray_executor):
    """validate's training jobs give the same accuracies as Ray tasks as in this process (CPU, 1 thread)."""
    pytest.importorskip("torch", reason="the training backend needs torch")
    from strategies.validate_config import ValidateConfig
    from strategies.validate_jobs import train_task

    config = ValidateConfig(device="cpu", epochs=1, C=4, latency_repeats=0).to_dict()
    tasks = [{"arch_index": 6111, "seed": 1, "config": config}]  # one job: a Ray worker imports torch once
    local = LocalExecutor(1).map(train_task, tasks)
    remote = ray_executor.map(train_task, tasks)
    for a, b in zip(local, remote):
        for key in ("arch_index", "seed", "test_acc", "valid_acc", "params_m", "flops_m"):
            assert a[key] == b[key], key


def test_compare_address_needs_the_ray_executor(nb201_data_root, capsys):
    from nasbench.cli import main

    argv = ["compare", "nb201/cifar10", "--strategies", "random_search", "--seeds", "2", "--budget", "5",
            "--address", "auto", "--quiet"]
    assert main(argv) == 2
    assert "--address applies to --executor ray only" in capsys.readouterr().err
