"""Shipping darts/digits: the surrogate folder and the runs written from build folders, served and scored."""

import json

import numpy as np
import pytest

from nasbench.errors import DataIntegrityError, MissingDataError, NasbenchError
from nasbench.training.darts_archs import sample_distinct
from tests.training.test_training_darts_runs import TRAIN, make_part

pytest.importorskip("xgboost")

COMMAND = "python -m nasbench.training.darts_ship --parent P"


@pytest.fixture(scope="module")
def parent(tmp_path_factory):
    """A generation in progress: held-out and two-seed parts done, the one-seed part half done."""
    from nasbench.training import generate as gen

    root = tmp_path_factory.mktemp("darts-digits")
    rng = np.random.default_rng(0)
    held = sample_distinct(40, 1)
    train = sample_distinct(120, 0, exclude=held)
    for name, archs, seeds in (("heldout", held, (0, 1)), ("uniform-s01", train[:40], (0, 1)),
                               ("uniform-s0", train[40:], (0,))):
        make_part(root, name, archs, seeds, rng)
    for k in (5, 6, 7, 8, 9):
        gen.chunk_path(root / "uniform-s0", k).unlink()
    return root


@pytest.fixture(scope="module")
def shipped(parent, tmp_path_factory):
    """The surrogate and runs written into a fresh data store."""
    from nasbench.training.darts_ship import build_surrogate, write_runs

    store = tmp_path_factory.mktemp("store")
    build_surrogate(parent, store / "darts" / "digits@surrogate", command=COMMAND, n_members=2)
    write_runs(parent, store / "darts" / "digits-runs", command=COMMAND)
    return store


def _flat(figures: dict, prefix: str = "") -> dict:
    """Nested figures as one flat dict (pytest.approx compares flat ones)."""
    out = {}
    for key, value in figures.items():
        out.update(_flat(value, f"{prefix}{key}.") if isinstance(value, dict) else {prefix + key: value})
    return out


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_surrogate_serves_every_epoch_and_records_how_it_was_made(shipped, parent, monkeypatch):
    import nasbench
    from nasbench.training.darts_runs import load_runs
    from nasbench.training.darts_surrogate import evaluate_runs
    from nasbench.training.recipes import DARTS_PILOT, DARTS_TRAIN_KWARGS

    monkeypatch.setenv("NASBENCH_DATA", str(shipped))
    bench = nasbench.load("darts/digits@surrogate")
    assert {m: bench.fidelities(m) for m in bench.metrics} == {"test_acc": (1, 2), "train_time_s": (2,),
                                                                "valid_acc": (1, 2)}
    meta = bench.describe()["models"]["valid_acc@1"]
    made = meta["provenance"]
    assert made["command"] == COMMAND and made["pilot"] == DARTS_PILOT
    assert made["recipe"]["train_kwargs"] == TRAIN and made["versions"]["xgboost"]  # the runs' own recipe ...
    assert made["recipe"]["is_darts_recipe"] is False and TRAIN != DARTS_TRAIN_KWARGS  # ... and if it is the module's
    assert made["generation"]["parts"]["uniform-s0"] == {"chunks_done": 5, "n_chunks": 10}
    assert made["generation"]["partial"] and made["generation"]["n_archs"] == 40 + 40 + 40
    assert meta["split"]["n_train"] == 80 and meta["split"]["train_parts"] == ["uniform-s0", "uniform-s01"]
    runs = load_runs(parent)
    _, fig = evaluate_runs(runs, metric="valid_acc", fidelity=1, n_members=2)
    assert _flat(meta["scores_held_out"]) == pytest.approx(_flat(fig["held_out"]))
    # the label names each epoch model's own held-out tau, not the first one's for both
    taus = [bench.describe()["models"][f"valid_acc@{e}"]["scores_held_out"]["kendall_tau"] for e in (1, 2)]
    assert f"held-out Kendall tau {taus[0]:.3f} at fidelity 1, {taus[1]:.3f} at fidelity 2)" in \
        bench.metrics["valid_acc"].predicted_by
    assert meta["noise"]["seed_scatter_std"] == pytest.approx(fig["noise_std"]) and fig["noise_std"] > 0
    assert meta["scores_held_out"]["mae_seed_vs_seed"] > 0 and meta["leave_one_strategy_out"] == {}
    # the epoch-1 model learned the epoch-1 curve, not the final one
    arch = [sample_distinct(1, 77)[0]]
    assert bench.query(arch, "valid_acc", 1)[0] != bench.query(arch, "valid_acc", 2)[0]
    assert 0.5 < float(bench.query(arch, "train_time_s", 2)[0]) < 1.5  # signal / 80 s in the synthetic runs


def test_build_is_deterministic_and_kill_safe(shipped, parent, tmp_path):
    from nasbench.training.darts_ship import build_surrogate, write_runs
    from tabular_data.atomic import FolderExistsError

    again = build_surrogate(parent, tmp_path / "s", command=COMMAND, n_members=2)
    assert _files(again) == _files(shipped / "darts" / "digits@surrogate")
    assert not list(again.rglob(".*"))  # no writer's lock or temp files in the folder
    runs = write_runs(parent, tmp_path / "r", command=COMMAND)
    assert _files(runs) == _files(shipped / "darts" / "digits-runs")
    with pytest.raises(FolderExistsError, match="already exists and is kept.*--overwrite"):
        write_runs(parent, runs, command=COMMAND)
    assert write_runs(parent, runs, command=COMMAND, overwrite=True) == runs


def test_the_package_is_written_only_on_purpose(parent, tmp_path, monkeypatch):
    from nasbench.training.darts_ship import build_surrogate, write_runs

    monkeypatch.setenv("NASBENCH_DATA", str(tmp_path / "store"))
    from nasbench.paths import embedded_root

    inside = embedded_root() / "darts" / "never-written@surrogate"
    with pytest.raises(NasbenchError, match="inside the installed package; expected a folder in the data store"):
        build_surrogate(parent, inside)
    with pytest.raises(NasbenchError, match="inside the installed package"):
        write_runs(parent, embedded_root() / "darts" / "never-written-runs")
    assert not inside.exists()
    assert write_runs(parent) == tmp_path / "store" / "darts" / "digits-runs"  # the default: the store


def test_runs_round_trip_and_checks(shipped, parent, tmp_path):
    import shutil

    from nasbench.training.darts_runs import load_runs
    from nasbench.training.darts_ship import read_runs

    direct, back = load_runs(parent), read_runs(shipped / "darts" / "digits-runs")
    for key in ("codes", "part", "proposed_by", "seeds", "n_epochs"):
        assert back[key] == direct[key]
    for key in ("valid_acc", "test_acc", "train_loss", "train_acc", "train_time_s", "latency_ms", "params_m"):
        np.testing.assert_array_equal(back[key], direct[key])
    bad = tmp_path / "runs"
    shutil.copytree(shipped / "darts" / "digits-runs", bad)
    np.save(bad / "heldout" / "valid_acc.npy", np.zeros((40, 2, 2)))
    with pytest.raises(DataIntegrityError, match="valid_acc.npy does not match its sha256 in manifest.json"):
        read_runs(bad)
    (bad / "heldout" / "manifest.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(DataIntegrityError, match="is not a nasbench-darts-runs/1 manifest"):
        read_runs(bad)
    with pytest.raises(MissingDataError, match="no darts/digits runs in"):
        read_runs(tmp_path / "empty")


def test_eval_scores_the_served_surrogate_on_the_held_out_runs(shipped, monkeypatch, capsys):
    from nasbench.cli import main

    monkeypatch.setenv("NASBENCH_DATA", str(shipped))
    assert main(["surrogate", "eval", "darts/digits", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    meta = json.loads((shipped / "darts" / "digits@surrogate" / "valid_acc@2" / "metadata.json").read_text())
    # recomputed with the served model: the figures its metadata recorded
    assert _flat(out["models"]["valid_acc@2"]) == pytest.approx(_flat(meta["scores_held_out"]))
    assert out["same_runs"]["valid_acc@2"] and out["runs"] == str(shipped / "darts" / "digits-runs")
    assert out["loso_note"] == "no parts proposed by search strategies in these runs"
    assert main(["surrogate", "eval", "darts/digits"]) == 0
    text = capsys.readouterr().out
    assert "40 archs never fit on" in text and "train_time_s@2" in text and "MAE_seed_vs_seed" in text
    assert main(["info", "darts/digits@surrogate"]) == 0
    text = capsys.readouterr().out
    assert f"made by: {COMMAND}" in text
    assert "pilot: seed-to-seed Spearman of valid_acc 0.856 on the pilot's 100 archs; 0.843 on heldout" in text
    assert "uniform-s0 5/10 chunks" in text and "; generation still running" in text and "error vs one seed" in text


def test_eval_with_strategy_parts_reports_leave_one_strategy_out(parent, tmp_path, monkeypatch, capsys):
    import shutil

    from nasbench.cli import main
    from nasbench.training.darts_ship import build_surrogate, write_runs

    grown = tmp_path / "parent"
    shutil.copytree(parent, grown)
    held, train = sample_distinct(40, 1), sample_distinct(120, 0, exclude=sample_distinct(40, 1))
    archs = sample_distinct(24, 9, exclude=held + train)
    make_part(grown, "traj-re", archs, (0,), np.random.default_rng(1), proposed_by="regularized_evolution")
    store = tmp_path / "store"
    build_surrogate(grown, store / "darts" / "digits@surrogate", n_members=0)
    write_runs(grown, store / "darts" / "digits-runs")
    monkeypatch.setenv("NASBENCH_DATA", str(store))
    assert main(["surrogate", "eval", "darts/digits", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["leave_one_strategy_out"]["valid_acc@2"]["regularized_evolution"]["n"] == 24
    meta = json.loads((store / "darts" / "digits@surrogate" / "valid_acc@2" / "metadata.json").read_text())
    assert _flat(meta["leave_one_strategy_out"]) == pytest.approx(_flat(out["leave_one_strategy_out"]["valid_acc@2"]))


def test_the_package_folder_serves_when_the_store_has_none(shipped, tmp_path, monkeypatch, capsys):
    import nasbench
    import nasbench.benchmarks.registry as registry
    import nasbench.benchmarks.surrogate as surrogate
    import nasbench.paths as paths
    from nasbench.cli import main
    from nasbench.training.darts_ship import runs_folder

    package = tmp_path / "embedded"
    for module in (registry, surrogate, paths):
        monkeypatch.setattr(module, "embedded_root", lambda: package)
    monkeypatch.setenv("NASBENCH_DATA", str(tmp_path / "empty-store"))
    with pytest.raises(MissingDataError, match="no surrogate models for darts/digits"):
        nasbench.load("darts/digits@surrogate")
    assert runs_folder() is None
    with pytest.raises(MissingDataError, match="no measured runs of darts/digits here"):
        main(["--debug", "surrogate", "eval", "darts/digits"])
    import shutil

    shutil.copytree(shipped / "darts" / "digits-runs", package / "darts" / "digits-runs")
    with pytest.raises(MissingDataError, match="no darts/digits@surrogate to score .*darts_ship --parent DIR"):
        main(["--debug", "surrogate", "eval", "darts/digits"])
    shutil.copytree(shipped / "darts" / "digits@surrogate", package / "darts" / "digits@surrogate")
    bench = nasbench.load("darts/digits@surrogate")
    assert str(bench.describe()["info"]["valid_acc@2"]["folder"]).startswith(str(package))
    assert runs_folder() == package / "darts" / "digits-runs"
    rows = {r["name"]: r for r in registry.list_benchmarks()}
    assert rows["darts/digits@surrogate"]["status"].startswith("embedded: test_acc@1")
    assert "darts/digits-runs" not in rows  # the runs are read by `surrogate eval`, not served as a table
    assert rows["darts/digits"]["kind"] == "runs" and rows["darts/digits"]["status"] == (
        "embedded: parts heldout, uniform-s0, uniform-s01")
    shutil.copytree(shipped / "darts" / "digits@surrogate", tmp_path / "empty-store" / "darts" / "digits@surrogate")
    assert nasbench.load("darts/digits@surrogate").describe()["info"]["valid_acc@2"]["folder"].startswith(
        str(tmp_path / "empty-store"))  # the store's first
    rows = {r["name"]: r for r in registry.list_benchmarks()}
    assert rows["darts/digits@surrogate"]["status"].startswith("fitted: ")


def test_script_errors(parent, tmp_path, capsys):
    from nasbench.training.darts_ship import main

    assert main(["--parent", str(parent), "--what", "tables"]) == 2
    assert "--what takes surrogate, runs or both; got tables." in capsys.readouterr().err
    assert main(["--parent", str(tmp_path / "missing"), "--what", "runs"]) == 2
    assert "missing is not a folder; expected the parent of the darts/digits build folders" in capsys.readouterr().err


def test_the_shipped_folder_when_present():
    """The surrogate and runs the package ships: served, made as recorded, and scored on the runs it ships."""
    import nasbench
    from nasbench.paths import embedded_root
    from nasbench.training.darts_ship import read_runs, score_surrogate

    surrogate, runs = embedded_root() / "darts" / "digits@surrogate", embedded_root() / "darts" / "digits-runs"
    if not surrogate.is_dir() or not runs.is_dir():
        pytest.skip(f"{surrogate} or {runs} is not shipped yet (written by python -m nasbench.training.darts_ship)")
    from nasbench.benchmarks.surrogate import load_surrogate

    bench = load_surrogate("darts", "digits", root=embedded_root())
    assert set(bench.metrics) == {"valid_acc", "test_acc", "train_time_s"}
    out = score_surrogate(bench, read_runs(runs), loso=False)
    models = bench.describe()["models"]
    for key, fig in out["models"].items():
        assert out["same_runs"][key], f"{key} was fit on other runs than the shipped ones"
        assert _flat(fig) == pytest.approx(_flat(models[key]["scores_held_out"]))
    assert models["valid_acc@2"]["provenance"]["recipe"]["train_kwargs"]["epochs"] == 2
    assert nasbench.load("darts/digits@surrogate").metrics  # served with no import step (unless the store has one)


def test_the_shipped_runs_are_what_the_committed_chunks_give(tmp_path):
    """Re-assembling the committed build chunks gives the shipped runs byte for byte."""
    import json

    from nasbench.paths import embedded_root
    from nasbench.training.darts_ship import write_runs

    shipped = embedded_root() / "darts" / "digits-runs"
    build = embedded_root() / "_build" / "darts-digits"
    if not shipped.is_dir() or not build.is_dir():
        pytest.skip(f"{shipped} is not shipped yet or {build} is absent (a wheel install ships no build chunks)")
    made_by = json.loads((shipped / "heldout" / "manifest.json").read_text())["info"]["made_by"]
    again = write_runs(build, tmp_path / "runs", command=made_by)
    files = sorted(p.relative_to(shipped) for p in shipped.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for name in files:
        assert (shipped / name).read_bytes() == (again / name).read_bytes(), f"{name} differs"


def test_runs_assembled_by_generate_read_the_same(parent, tmp_path):
    """A finished part that `nasbench generate` assembled into the store reads as the build folder does."""
    from nasbench.training import generate as gen
    from nasbench.training.darts_generate import assemble_darts
    from nasbench.training.darts_runs import load_runs
    from nasbench.training.darts_ship import read_runs

    assemble_darts(parent / "heldout", gen.read_job(parent / "heldout"), tmp_path / "runs" / "heldout")
    back, direct = read_runs(tmp_path / "runs"), load_runs(parent, parts=["heldout"])
    assert back["codes"] == direct["codes"] and back["part"] == direct["part"] == ["heldout"] * 40
    np.testing.assert_array_equal(back["valid_acc"], direct["valid_acc"])
