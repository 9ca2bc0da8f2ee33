"""nb201/digits@train: live training behind the benchmark contract, its cache and its executor path."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch", reason="the training backend needs torch")
pytest.importorskip("sklearn", reason="the digits data come from scikit-learn")

import nasbench  # noqa: E402
from nasbench.benchmarks.base import Benchmark  # noqa: E402
from nasbench.benchmarks.training import TrainingBenchmark  # noqa: E402
from nasbench.benchmarks.training_runs import (  # noqa: E402
    Recipe,
    RunKey,
    publish,
    read_run,
)
from nasbench.errors import (  # noqa: E402
    DataIntegrityError,
    InvalidArchError,
    NasbenchError,
    UnknownNameError,
)
from nasbench.spaces.nb201 import canonical_ids, class_representatives  # noqa: E402
from nasbench.training import trainer  # noqa: E402
from nasbench.training.recipes import DIGITS_TRAIN_KWARGS  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
# a tiny recipe: 2 epochs of 2 steps on 64 images, C=4, N=1 (about 0.1 s per run)
TINY = {**DIGITS_TRAIN_KWARGS, "C": 4, "N": 1, "epochs": 2, "batch_size": 32, "bn_recalibration": 32,
        "warmup_steps": 1}
TINY_SPLIT = (64, 40, 30)
# an arch that is not its isomorphism class's representative, and that representative
MEMBER = int(np.nonzero(class_representatives()[canonical_ids()] != np.arange(15625))[0][0])
REP = int(class_representatives()[canonical_ids()[MEMBER]])


@pytest.fixture
def tiny(tmp_path):
    return TrainingBenchmark(Recipe(TINY, TINY_SPLIT), runs_dir=tmp_path / "runs", device="cpu")


@pytest.fixture
def calls(monkeypatch):
    """Every ``train_arch`` call: (arch_index, seed, TrainResult), in order."""
    seen = []
    real = trainer.train_arch

    def counting(arch, data, config, seed):
        result = real(arch, data, config, seed=seed)
        seen.append((int(arch), int(seed), result))
        return result

    monkeypatch.setattr(trainer, "train_arch", counting)
    return seen


def test_name_loads_the_table_recipe_and_its_metric_meanings(tmp_path, monkeypatch):
    from tabular_data.store import Table

    monkeypatch.setenv("NASBENCH_DATA", str(tmp_path))
    bench = nasbench.load("nb201/digits@train")
    assert isinstance(bench, TrainingBenchmark) and isinstance(bench, Benchmark) and not bench.enumerable
    assert (bench.name, bench.kind, bench.space.name) == ("nb201/digits@train", "train", "nb201")
    assert bench.runs_dir == tmp_path / "nb201" / "digits@train" / "runs"
    table = Table(REPO / "tabular_data" / "embedded" / "nb201" / "digits")
    job = table.manifest["info"]["job"]
    assert (bench.recipe.split, bench.recipe.seeds, bench.recipe.split_seed) == (
        tuple(job["split"]), tuple(job["seeds"]), job["split_seed"])
    assert {k: bench.recipe.train[k] for k in job["train"]} == job["train"]
    for metric, info in bench.metrics.items():  # same names, units and fidelities as the table
        assert (info.unit, info.fidelities) == (table.metric(metric).unit, table.metric(metric).fidelities), metric
        assert info.predicted_by is None
    assert "live training" in bench.metrics["valid_acc"].description
    assert bench.higher_is_better("valid_acc") and not bench.higher_is_better("train_time_s")
    assert bench.default_fidelity("valid_acc") == 4 and bench.default_fidelity("params_m") is None
    noise = bench.noise("valid_acc")
    assert noise == {"source": "training runs", "n_outcomes": 2, "about": noise["about"]}
    assert bench.noise("params_m")["n_outcomes"] == 1
    facts = bench.describe()
    assert json.loads(json.dumps(facts)) == facts and facts["n_runs_cached"] == 0 and facts["kind"] == "train"


def test_values_are_the_trainers_and_a_cache_hit_trains_nothing(tiny, calls):
    value = tiny.query(REP, "valid_acc", 2)
    assert [(a, s) for a, s, _ in calls] == [(REP, 0), (REP, 1)]
    runs = {s: r for _, s, r in calls}
    assert value == np.mean([runs[0].valid_acc[1], runs[1].valid_acc[1]])
    assert isinstance(value, np.float64)
    assert tiny.query([REP], "train_loss", 1)[0] == np.mean([runs[0].train_loss[0], runs[1].train_loss[0]])
    assert tiny.query(REP, "train_time_s") == np.mean([runs[0].train_time_s, runs[1].train_time_s])

    fresh = TrainingBenchmark(Recipe(TINY, TINY_SPLIT), runs_dir=tiny.runs_dir, device="cpu")  # reads the disk
    again = fresh.query([REP, REP], "test_acc", 1)
    assert len(calls) == 2  # nothing trained again
    assert np.array_equal(again, np.full(2, np.mean([runs[0].test_acc[0], runs[1].test_acc[0]])))
    record = read_run(fresh._key(REP, 1))
    assert record["result"]["valid_acc"] == runs[1].valid_acc.tolist() and record["result"]["device"] == "cpu"
    assert fresh.describe()["n_runs_cached"] == 2


def test_an_arch_is_trained_as_its_class_representative(tiny, calls):
    assert tiny.query(MEMBER, "valid_acc", 2, seed=0) == tiny.query(REP, "valid_acc", 2, seed=0)
    assert {a for a, _, _ in calls} == {REP}
    assert tiny.query([MEMBER, REP], "params_m").tolist() == [calls[0][2].params_m] * 2
    assert tiny.query(MEMBER, "flops_m") == calls[0][2].flops_m


def test_seeded_queries_and_draws_pick_one_seed_reproducibly(tiny, calls):
    archs = [0, 1, 2, 3, 4, 5]
    a = tiny.query(archs, "valid_acc", 2, seed=7)
    b = tiny.query(archs, "valid_acc", 2, seed=np.random.default_rng(7))
    u = np.random.default_rng(7).random(len(archs))
    assert np.array_equal(a, b) and np.array_equal(a, tiny.query_draws(archs, "valid_acc", 2, u))
    n_trained = len(calls)
    assert n_trained == len(archs)  # only the drawn seed of each arch
    by_key = {(arch, s): r for arch, s, r in calls}
    for arch, ui, value in zip(archs, u, a):
        assert value == by_key[(arch, int(ui * 2))].valid_acc[1]
    low = tiny.query_draws(archs, "test_acc", 1, np.zeros(len(archs)))  # seed 0 of every arch
    assert np.array_equal(low, [read_run(tiny._key(x, 0))["result"]["test_acc"][0] for x in archs])
    assert np.array_equal(tiny.query_draws([3], "params_m", None, [0.9]), tiny.query([3], "params_m"))


def test_cost_charges_the_measured_training_time(tiny, calls):
    cost = tiny.cost([REP, MEMBER, 9], 1, metric="valid_acc")
    assert [(a, s) for a, s, _ in calls] == [(REP, 0), (9, 0)]  # one run per class: the first seed's
    t = {a: r.train_time_s for a, _, r in calls}
    assert np.array_equal(cost.seconds, [t[REP] / 2, t[REP] / 2, t[9] / 2])  # epoch 1 of 2
    assert cost.provenance["source"] == "measured by live training" and cost.provenance["devices"] == ["cpu"]
    tiny.query(9, "valid_acc")  # seed 1 trains too; the cost stays that of the seed-0 run
    full = tiny.cost([9])
    assert full.seconds[0] == t[9] and tiny.cost([9], 2, metric="train_time_s").seconds[0] == t[9]
    assert tiny.cost([9], metric="params_m").seconds[0] == full.seconds[0]
    n = len(calls)
    empty = tiny.cost([], 2, metric="valid_acc")  # provenance without training anything
    assert empty.seconds.shape == (0,) and empty.provenance["source"] == "measured by live training"
    assert len(calls) == n


def test_errors_are_one_line(tiny, tmp_path):
    cases = [
        (UnknownNameError, r"live training \(@train\) exists for 'nb201/digits' only; got 'nb201/cifar10@train'",
         lambda: nasbench.load("nb201/cifar10@train")),
        (UnknownNameError, r"has no metric 'latency_ms'; expected one of 'train_loss'",
         lambda: tiny.query(0, "latency_ms")),
        (UnknownNameError, r"valid_acc of nb201/digits@train has no fidelity 5 \(training epochs\); expected one of 1, 2",
         lambda: tiny.query(0, "valid_acc", 5)),
        (UnknownNameError, r"has no fidelity '2'", lambda: tiny.query(0, "valid_acc", "2")),
        (UnknownNameError, r"train_time_s of .* has no fidelity 1 .*expected one of 2",
         lambda: tiny.query(0, "train_time_s", 1)),
        (UnknownNameError, r"params_m of nb201/digits@train does not depend on fidelity; got fidelity=2",
         lambda: tiny.query(0, "params_m", 2)),
        (UnknownNameError, r"missing must be one of 'raise', 'nan'; got 'zero'",
         lambda: tiny.query(0, "valid_acc", missing="zero")),
        (InvalidArchError, r"arch indices of nb201/digits@train must be in \[0, 15624\]; got 15625 at position 1",
         lambda: tiny.query(np.array([0, 15625]), "valid_acc")),
        (NasbenchError, r"uniforms must have shape \(2,\)", lambda: tiny.query_draws([0, 1], "valid_acc", 1, [0.5])),
        (NasbenchError, r"executor must have a map\(fn, tasks\) method", lambda: tiny.use_executor(object())),
        (NasbenchError, r"recipe must be a Recipe; got dict", lambda: TrainingBenchmark({"C": 4})),
        (UnknownNameError, r"device must be 'auto', 'cpu', 'cuda' or 'cuda:K'; got 'tpu'",
         lambda: TrainingBenchmark(Recipe(TINY, TINY_SPLIT), runs_dir=tmp_path, device="tpu")),
        (NasbenchError, r"seeds must be distinct non-negative ints; got \(0, 0\)",
         lambda: Recipe(TINY, TINY_SPLIT, seeds=(0, 0))),
        (NasbenchError, r"split must be \(n_train, n_valid, n_test\); got \(64, 40\)", lambda: Recipe(TINY, (64, 40))),
        (NasbenchError, r"unknown TrainConfig field in .*'width'", lambda: Recipe({**TINY, "width": 3}, TINY_SPLIT)),
    ]
    for error, match, call in cases:
        with pytest.raises(error, match=match) as info:
            call()
        assert "\n" not in str(info.value), match


def test_a_damaged_cache_file_is_named_not_trusted(tiny):
    key = tiny._key(REP, 0)
    key.path.parent.mkdir(parents=True)
    key.path.write_text('{"format": "nasbench-train-run", "arch_ind')
    with pytest.raises(DataIntegrityError, match=r"training cache file .*00\d+-s0\.json is not valid JSON .*; delete"):
        tiny.query(REP, "valid_acc")
    key.path.write_text(json.dumps({"format": "nasbench-train-run", "arch_index": REP + 1, "seed": 0}))
    with pytest.raises(DataIntegrityError, match=rf"is not a finished run of arch {REP}, seed 0, recipe"):
        read_run(key)
    key.path.write_text(" " * (2 << 20))
    with pytest.raises(DataIntegrityError, match=r"has 2097152 bytes \(a run has at most 1048576\)"):
        read_run(key)


def test_publishing_keeps_the_first_finished_run(tmp_path):
    path = tmp_path / "00001-s0.json"
    assert publish(path, {"v": 1}) == {"v": 1}
    assert publish(path, {"v": 2}) == {"v": 1}  # a second writer of the key gets the first value
    assert json.loads(path.read_text()) == {"v": 1} and sorted(p.name for p in tmp_path.iterdir()) == [path.name]


class _RecordingExecutor:
    """Runs ``map`` in this process and remembers the batches; ``elsewhere`` redirects the workers' cache."""

    def __init__(self, elsewhere=None):
        self.batches, self.elsewhere = [], elsewhere

    def map(self, fn, tasks):
        tasks = list(tasks)
        self.batches.append(tasks)
        if self.elsewhere is not None:  # a worker on another machine: it caches in its own folder
            import dataclasses

            tasks = [dataclasses.replace(t, runs_dir=str(self.elsewhere)) for t in tasks]
        return [fn(t) for t in tasks]

    def describe(self):
        return {"executor": "recording"}


def test_an_executor_trains_the_uncached_runs_of_a_batch(tiny, tmp_path, calls):
    from strategies.executors import LocalExecutor

    reference = tiny.query([1, 2, 3], "valid_acc", 2)
    ex = _RecordingExecutor(elsewhere=tmp_path / "worker")
    other = TrainingBenchmark(Recipe(TINY, TINY_SPLIT), runs_dir=tmp_path / "driver", device="cpu").use_executor(ex)
    assert np.array_equal(other.query([1, 2, 3, 1], "valid_acc", 2), [*reference, reference[0]])
    assert [sorted((k.arch_index, k.seed) for k in batch) for batch in ex.batches] == [
        [(1, 0), (1, 1), (2, 0), (2, 1), (3, 0), (3, 1)]]
    # the runs came back from the "remote" workers and were cached here as well, with the same values
    assert read_run(other._key(2, 1)) == read_run(RunKey(2, 1, other.recipe, str(tmp_path / "worker"), "cpu"))
    assert other.describe()["executor"] == {"executor": "recording"}
    with LocalExecutor(1) as local:
        third = TrainingBenchmark(Recipe(TINY, TINY_SPLIT), runs_dir=tmp_path / "local", device="cpu",
                                  executor=local)
        assert np.array_equal(third.query([1, 2, 3], "valid_acc", 2), reference)  # deterministic on the CPU


def test_ray_tasks_train_a_batch_with_the_local_values(tmp_path):
    """With ``--executor ray`` the uncached runs of a batch train as Ray tasks (a GPU each where present)."""
    try:
        import ray
    except ImportError:
        if os.environ.get("NASBENCH_REQUIRE_RAY") == "1":
            pytest.fail("ray is not installed; NASBENCH_REQUIRE_RAY=1 forbids skipping")
        pytest.skip('ray is not installed (pip install "nasbench[distributed]")')
    if ray.is_initialized():
        pytest.skip("a Ray instance is already running in this process")
    from strategies.executors import RayExecutor

    recipe = Recipe(TINY, TINY_SPLIT)
    reference = TrainingBenchmark(recipe, runs_dir=tmp_path / "here", device="cpu").query([1, 2], "valid_acc", 2)
    with RayExecutor(num_cpus=2, gpus_per_task="auto") as ex:
        bench = TrainingBenchmark(recipe, runs_dir=tmp_path / "ray", device="cpu", executor=ex)
        assert np.array_equal(bench.query([1, 2], "valid_acc", 2), reference)
    record = read_run(bench._key(2, 1))
    assert record["result"]["device"] == "cpu" and record["machine"]


_CHILD = textwrap.dedent("""
    import json, os, sys, time
    from nasbench.benchmarks.training_runs import Recipe, RunKey, train_one
    from nasbench.training import trainer
    spec = json.loads(sys.argv[1])
    n = [0]
    real = trainer.train_arch
    def counting(*a, **k):
        n[0] += 1
        return real(*a, **k)
    trainer.train_arch = counting
    if spec.get("hang_in_fsync"):  # stop inside the write, after the temporary file has its bytes
        def hang(fd):
            print("writing", flush=True)
            time.sleep(120)
        os.fsync = hang
    key = RunKey(spec["arch"], 0, Recipe(spec["train"], spec["split"]), spec["runs_dir"], "cpu")
    print("ready", flush=True)
    sys.stdin.readline()  # start together with the other child
    record = train_one(key)
    print(json.dumps({"trained": n[0], "valid_acc": record["result"]["valid_acc"],
                      "time": record["result"]["train_time_s"]}), flush=True)
""")


def _child(spec: dict) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, json.dumps(spec)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=env, cwd=REPO)
    assert proc.stdout.readline().strip() == "ready"
    return proc


def test_two_processes_on_one_key_train_once_and_agree(tmp_path):
    spec = {"arch": 11, "train": TINY, "split": TINY_SPLIT, "runs_dir": str(tmp_path / "runs")}
    procs = [_child(spec), _child(spec)]
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    outs = [json.loads(p.communicate(timeout=120)[0].strip().splitlines()[-1]) for p in procs]
    assert sorted(o["trained"] for o in outs) == [0, 1]  # the second waited for the first's run
    assert outs[0]["valid_acc"] == outs[1]["valid_acc"] and outs[0]["time"] == outs[1]["time"]
    files = [p.name for p in (tmp_path / "runs").rglob("*") if p.is_file()]
    assert sorted(f for f in files if not f.endswith(".lock")) == ["00011-s0.json"]


def test_a_writer_killed_mid_write_leaves_nothing_readable(tmp_path, calls):
    runs = tmp_path / "runs"
    proc = _child({"arch": 12, "train": TINY, "split": TINY_SPLIT, "runs_dir": str(runs), "hang_in_fsync": True})
    proc.stdin.write("go\n")
    proc.stdin.flush()
    assert proc.stdout.readline().strip() == "writing"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    bench = TrainingBenchmark(Recipe(TINY, TINY_SPLIT), runs_dir=runs, device="cpu")
    key = bench._key(12, 0)
    leftovers = [p for p in key.path.parent.iterdir() if ".tmp-" in p.name]
    assert len(leftovers) == 1 and leftovers[0].stat().st_size > 0 and not key.path.exists()
    assert read_run(key) is None  # readers never see the temporary file
    value = bench.query_draws([12], "valid_acc", 2, [0.0])[0]  # seed 0; the lock died with its holder
    assert [(a, s) for a, s, _ in calls] == [(12, 0)] and value == calls[0][2].valid_acc[1]
    assert not [p for p in key.path.parent.iterdir() if ".tmp-" in p.name]  # the next writer cleaned up


def test_the_real_recipe_reproduces_the_tables_runs_bit_for_bit(tmp_path):
    """On the CPU with one thread, a live run of the table's recipe equals the table's per-seed values."""
    from tabular_data.store import Table

    table = Table(REPO / "tabular_data" / "embedded" / "nb201" / "digits")
    bench = TrainingBenchmark(runs_dir=tmp_path, device="cpu")
    arch = MEMBER  # trained as its class's representative, as the table was
    for metric in ("valid_acc", "test_acc", "train_acc", "train_loss"):
        seeds = table.array(metric, "seeds")[arch]  # (n_seeds, 4)
        for f in (1, 2, 3, 4):
            for s in (0, 1):
                assert bench.query_draws([arch], metric, f, [s / 2]) == seeds[s, f - 1], (metric, f, s)
            assert bench.query(arch, metric, f) == table.array(metric, "mean")[arch, f - 1], (metric, f)
    for metric in ("params_m", "flops_m"):
        assert bench.query(arch, metric) == table.array(metric, "mean")[arch, 0]


def test_a_search_rerun_over_the_cache_repeats_itself_without_training(tmp_path, calls):
    """The simulator on live training: values and simulated times of a rerun equal the first run's."""
    from strategies.registry import make_strategy
    from strategies.simulator import simulate
    from strategies.task import Task

    def run():
        bench = TrainingBenchmark(Recipe(TINY, TINY_SPLIT), runs_dir=tmp_path, device="cpu")
        return simulate(make_strategy("regularized_evolution", bench.space, seed=3), Task(bench), n_workers=2,
                        max_evals=12)

    first = run()
    n_trained = len(calls)
    assert len(first) == 12 and n_trained >= 12
    again = run()
    assert len(calls) == n_trained  # every run came from the cache
    for field in ("arch_index", "value", "start_s", "end_s", "worker"):
        assert np.array_equal(getattr(first, field), getattr(again, field)), field
