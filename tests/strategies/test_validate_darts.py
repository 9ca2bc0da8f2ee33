"""nasbench validate on a compare run of darts/digits@surrogate: DARTS picks retrained with the recipe.

The benchmark is a small DARTS surrogate written by the project's ship step
(``nasbench.training.darts_ship.build_surrogate``) from synthetic generation parts into a data store in
a temporary folder. The parts record a tiny recipe (tests.training's ``TRAIN``: C=2, 2 epochs of
batch 32 on a 100/60/40 split), which the surrogate's models carry in their provenance, so
retraining "with the recipe" is the real DARTS trainer at a size that runs in a fraction of a second.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

pytest.importorskip("torch", reason="the training backend needs torch")
pytest.importorskip("xgboost", reason="the DARTS surrogate of the fixture is fitted with xgboost")

from nasbench.errors import InvalidArchError, MissingDataError, NasbenchError, UnknownNameError
from nasbench.spaces.darts import DARTSArch
from strategies.validate import parse_arch, picks_from_run, validate
from strategies.validate_config import DARTS_GENERATION_SEEDS, ValidateConfig
from tests.conftest import data_root_env

BENCH = "darts/digits@surrogate"
SPLIT = (100, 60, 40)  # the split of tests.training's make_part


def write_darts_surrogate(store, parts) -> None:
    """``darts/digits@surrogate`` in the data store ``store``, as the project ships it, from synthetic runs.

    Synthetic generation parts under ``parts`` (tests.training's ``make_part``: accuracy rises with
    the sep_conv_3x3 ops of the normal cell, a signal a search can follow), written into the store by
    :func:`nasbench.training.darts_ship.build_surrogate` (valid/test accuracy at epochs 1 and 2, and
    the training time). A latency model is added beside them, fitted on a synthetic latency, so the
    path of a surrogate that predicts latency is exercised too.
    """
    from nasbench.encodings.darts import N_FEATURES, adjacency_features
    from nasbench.training.darts_archs import sample_distinct
    from nasbench.training.darts_ship import build_surrogate
    from surrogates.fit import MODELS, NOISE_MODELS, fit_on_arrays
    from surrogates.io import save_model
    from tests.training.test_training_darts_runs import make_part

    rng = np.random.default_rng(0)
    held = sample_distinct(16, 1)
    train = sample_distinct(48, 0, exclude=held)
    make_part(parts, "heldout", held, (0, 1), rng)
    make_part(parts, "uniform-s01", train, (0, 1), rng)
    folder = store / "darts" / "digits@surrogate"
    build_surrogate(parts, folder, command="test fixture", n_members=2)
    latency = np.array([1.0 + 0.1 * sum(op >= 3 for _, op in a.normal + a.reduce) for a in train])
    fitted = fit_on_arrays(np.stack([adjacency_features(a) for a in train]), latency, n_members=2)
    nan = float("nan")
    save_model(fitted, folder / "latency_ms@static", {
        "space": "darts", "dataset": "digits", "source_benchmark": "synthetic latency (test fixture)",
        "metric": "latency_ms", "fidelity": None, "unit": "ms", "description": "batch-1 latency (synthetic)",
        "fidelity_meaning": "none", "encoding": "adjacency", "n_features": N_FEATURES,
        "model_name": MODELS["xgboost"], "split": {"kind": "all", "seed": 0, "n_train": len(train), "n_test": 0},
        "noise": {"model": NOISE_MODELS["xgboost"], "seed_scatter_std": 0.0},
        "scores_held_out": {"kendall_tau": nan, "spearman": nan, "r2": nan, "top10_kendall_tau": nan, "n": 0}})


@pytest.fixture(scope="module")
def darts_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("darts_data")
    write_darts_surrogate(root, tmp_path_factory.mktemp("darts_parts"))
    with data_root_env(root):
        yield root


@pytest.fixture(scope="module")
def darts_run(darts_root, tmp_path_factory):
    """A finished compare run on the fixture's darts/digits@surrogate."""
    from strategies.compare import CompareConfig, run_compare, write_outputs

    out = tmp_path_factory.mktemp("darts_run") / "run"
    config = CompareConfig(benchmark=BENCH, strategies=("random_search", "regularized_evolution"), n_seeds=3,
                           max_evals=15)
    write_outputs(run_compare(config, n_jobs=1), out, plots=False, parquet=False)
    return out


def _measured(arch, seed: int, **overrides):
    """The per-epoch curves of one run of the fixture's recipe (with ``overrides``), trained here."""
    from nasbench.training.darts_model import build_darts_network
    from nasbench.training.data import load_digits
    from nasbench.training.trainer import TrainConfig, train_arch
    from tests.training.test_training_darts_runs import TRAIN

    config = TrainConfig(**{**TRAIN, **overrides, "device": "cpu", "latency_repeats": 0})
    return train_arch(arch, load_digits(*SPLIT), config, seed=seed, build=build_darts_network)


def test_parse_arch_reads_every_written_form():
    from nasbench.training.darts_archs import arch_code, sample_distinct

    arch = sample_distinct(1, 3)[0]
    for form in (arch, repr(arch), arch.to_naslib(), arch_code(arch), f"  {arch_code(arch)} "):
        assert parse_arch("darts", form) == arch
    assert parse_arch("nb201", "6111").index == parse_arch("nb201", 6111).index == 6111
    with pytest.raises(InvalidArchError, match=r"expected a DARTS arch written as DARTSArch\(normal=\[...\]"):
        parse_arch("darts", "DARTSArch(normal=__import__('os').getcwd(), reduce=[])")
    with pytest.raises(InvalidArchError, match="expected a DARTS arch written as"):
        parse_arch("darts", "DARTSArch([(0, 1)], reduce=[])")
    with pytest.raises(InvalidArchError, match="a DARTS arch is a DARTSArch or genotype text; got 7 of type int"):
        parse_arch("darts", 7)
    with pytest.raises(InvalidArchError, match="a DARTS arch code is 32 decimal digits"):
        parse_arch("darts", "0301")


def test_picks_of_a_darts_run_are_its_best_distinct_genotypes(darts_run):
    import pandas as pd

    import nasbench

    picks = picks_from_run(darts_run, top_k=3)
    summary = pd.read_csv(darts_run / "summary.csv")
    finals = {}
    for row in summary.itertuples():
        finals.setdefault(parse_arch("darts", row.final_incumbent_arch), []).append(float(row.final_report))
    assert picks["benchmark"] == BENCH
    assert all(isinstance(a, DARTSArch) for a in picks["archs"]) and len(set(picks["archs"])) == len(picks["archs"])
    assert len(picks["archs"]) == min(3, len(finals))
    reports = [finals[a][0] for a in picks["archs"]]
    assert reports == sorted((v[0] for v in finals.values()), reverse=True)[:len(reports)]
    assert all(picks["n_runs"][a] == len(finals[a]) for a in picks["archs"])
    # the objective names what the run reported, though the run left it to the default
    bench = nasbench.load(BENCH)
    assert picks["objective"]["report_metric"] == "test_acc"
    assert picks["objective"]["report_fidelity"] == bench.default_fidelity("test_acc") == 2


def test_validate_a_darts_run_end_to_end_via_cli(darts_run, tmp_path):
    """The issue's loop: the top picks retrained as DARTS networks with the recipe and the seeds of the data."""
    import nasbench
    from nasbench.cli import main
    from strategies.validate import surrogate_recipe
    from surrogates.metrics import kendall_tau
    from tests.training.test_training_darts_runs import TRAIN

    out = tmp_path / "report"
    assert main(["validate", str(darts_run), "--top", "2", "--latency-repeats", "2", "--device", "cpu",
                 "--out", str(out)]) == 0
    report = json.loads((out / "validate.json").read_text())
    # the recipe is the one the surrogate's models record, not this version's darts/digits recipe
    bench = nasbench.load(BENCH)
    recipe = surrogate_recipe(bench)
    assert recipe["train_kwargs"] == TRAIN and tuple(recipe["split"]) == SPLIT
    config = ValidateConfig(**report["config"])
    assert config == ValidateConfig.darts_digits_setup(recipe, device="cpu", latency_repeats=2)
    assert (config.space, config.train_seeds, config.C, config.epochs) == ("darts", DARTS_GENERATION_SEEDS, 2, 2)
    chosen = picks_from_run(darts_run, 2)
    picks = chosen["archs"]
    rows = report["rows"]
    assert [parse_arch("darts", r["arch"]) for r in rows] == picks and len(rows) == 2
    assert [r["picked_by"] for r in rows] == [" ".join(chosen["picked_by"][a]) for a in picks]
    assert all(r["picked_by"] for r in rows)
    assert [r["pick"] for r in rows] == [1, 2] and all(r["arch_index"] is None for r in rows)
    # predicted: the surrogate's mean prediction of what the run reported, labelled with its model
    assert [r["predicted_acc"] for r in rows] == bench.query(picks, "test_acc", 2).tolist()
    s = report["summary"]
    assert s["predicted_acc"].endswith(f"predicted by {bench.metrics['test_acc'].predicted_by}")
    # measured: the same metric, mean over seeds 0 and 1 of the recipe's runs, equal to training them here
    assert s["measured_metric"] == "test_acc" and "mean over the seeds 0, 1" in s["measured_acc"]
    assert sorted((r["pick"], r["seed"]) for r in report["runs"]) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    for row, arch in zip(rows, picks):
        runs = [_measured(arch, seed).test_acc[-1] for seed in (0, 1)]
        assert row["measured_acc"] == pytest.approx(np.mean(runs), abs=1e-9)
        assert row["abs_err_acc"] == pytest.approx(abs(row["measured_acc"] - row["predicted_acc"]))
        assert row["device"] == "cpu"
    assert s["mae_acc"] == pytest.approx(np.mean([r["abs_err_acc"] for r in rows]))
    # NB301's yardstick on the picks: the prediction against one run, a second run against the first
    seed_values = [[r["test_acc"] for r in report["runs"] if r["pick"] == k] for k in range(2)]
    assert s["mae_acc_vs_one_seed"] == pytest.approx(
        np.mean([abs(v - row["predicted_acc"]) for row, vals in zip(rows, seed_values) for v in vals]))
    assert s["mae_acc_seed_vs_seed"] == pytest.approx(np.mean([abs(a - b) for a, b in seed_values]))
    assert f"a second run of the same arch differs by {s['mae_acc_seed_vs_seed']:.2f} pp" in \
        (out / "validate.md").read_text()
    if len({r["measured_acc"] for r in rows}) == 2 and len({r["predicted_acc"] for r in rows}) == 2:
        assert s["kendall_tau_acc"] == pytest.approx(
            kendall_tau([r["predicted_acc"] for r in rows], [r["measured_acc"] for r in rows]))
    # latency: the surrogate's model of the recipe's network against that network timed here
    assert [r["predicted_latency_ms"] for r in rows] == bench.query(picks, "latency_ms").tolist()
    assert all(r["measured_latency_ms"] > 0 for r in rows)
    assert s["predicted_latency"].startswith(f"{BENCH} latency_ms (predicted by ")
    assert "DARTS C=2, N=1 network at 1x8x8" in s["measured_latency"]
    assert report["notes"] == []  # trained as the data was made: nothing to warn about
    # the report names DARTS picks by their number; the CSV leaves their NB201 index empty
    md = (out / "validate.md").read_text()
    assert f"| #1 `{rows[0]['arch']}` |" in md and "Kendall tau, accuracy" in md
    with open(out / "validate.csv") as fh:
        table = list(csv.DictReader(fh))
    assert [t["arch_index"] for t in table] == ["", ""] and [t["arch"] for t in table] == [r["arch"] for r in rows]
    pytest.importorskip("matplotlib")
    assert (out / "validate_scatter.png").read_bytes()[:4] == b"\x89PNG"


def test_validate_off_the_recipe_says_what_differs(darts_root):
    """Another network or schedule than the data's: notes say so, and the latency model no longer applies."""
    import nasbench
    from nasbench.training.darts_archs import sample_distinct
    from strategies.validate import surrogate_recipe

    arch = sample_distinct(1, 5)[0]
    bench = nasbench.load(BENCH)
    recipe = surrogate_recipe(bench)
    config = ValidateConfig.darts_digits_setup(recipe, C=4, epochs=1, train_seeds=(1,), latency_repeats=2,
                                               device="cpu")
    report = validate([arch.to_naslib()], BENCH, config, objective={"report_metric": "valid_acc"})
    row, s, notes = report["rows"][0], report["summary"], report["notes"]
    assert row["predicted_acc"] == float(bench.query(arch, "valid_acc", 2))
    assert row["measured_acc"] == pytest.approx(_measured(arch, 1, C=4, epochs=1).valid_acc[-1], abs=1e-9)
    assert s["measured_metric"] == "valid_acc" and row["measured_acc"] == row["measured_valid_acc"]
    assert any(n.startswith("trained with C=4 (recipe 2), epochs=1 (recipe 2): not the recipe") for n in notes)
    assert any("the prediction is of valid_acc at epoch 2, the measurement after 1 epoch;" in n for n in notes)
    assert any("latency_ms describes the recipe's C=2, N=1 network on digits, not the C=4, N=1" in n for n in notes)
    assert np.isnan(row["predicted_latency_ms"]) and "DARTS C=4, N=1 network at 1x8x8" in s["measured_latency"]
    assert any("Kendall tau needs at least 2 archs" in n for n in notes)
    assert np.isnan(s["mae_acc_seed_vs_seed"]) and s["mae_acc_vs_one_seed"] == row["abs_err_acc"]  # one seed
    # at the recipe, a prediction at epoch 1 is measured on the training curve after epoch 1
    config = ValidateConfig.darts_digits_setup(recipe, train_seeds=(1,), latency_repeats=0, device="cpu")
    report = validate([arch], BENCH, config, objective={"report_metric": "valid_acc", "report_fidelity": 1})
    row, s = report["rows"][0], report["summary"]
    assert row["predicted_acc"] == float(bench.query(arch, "valid_acc", 1))
    assert row["measured_acc"] == pytest.approx(_measured(arch, 1).valid_acc[0], abs=1e-9)
    assert "valid_acc after epoch 1 of 2 epochs" in s["measured_acc"]
    assert not any("recipe" in n or "the prediction is of" in n for n in report["notes"])
    assert s["predicted_acc"].startswith(f"{BENCH} valid_acc at fidelity 1, predicted by ")


def test_cli_archs_of_a_darts_benchmark_with_fresh_seeds(darts_root, tmp_path):
    from nasbench.cli import main
    from nasbench.rng import child_int_seeds
    from nasbench.training.darts_archs import arch_code, sample_distinct

    a, b = sample_distinct(2, 9)
    out = tmp_path / "report"
    # 32-digit codes are genotypes, not indices; --seeds asks for seeds spawned from --seed
    assert main(["validate", "--archs", f"{arch_code(a)},{arch_code(b)}", "--benchmark", BENCH, "--epochs", "1",
                 "--C", "2", "--seeds", "1", "--latency-repeats", "0", "--device", "cpu", "--out", str(out),
                 "--no-plot"]) == 0
    report = json.loads((out / "validate.json").read_text())
    assert report["config"]["train_seeds"] is None and report["config"]["n_seeds"] == 1
    assert [r["seed"] for r in report["runs"]] == child_int_seeds(0, 1) * 2
    assert [parse_arch("darts", r["arch"]) for r in report["rows"]] == [a, b]
    # a finished report is kept unless --overwrite, which replaces it whole
    argv = ["validate", "--archs", arch_code(a), "--benchmark", BENCH, "--epochs", "1", "--C", "2",
            "--latency-repeats", "0", "--device", "cpu", "--out", str(out), "--no-plot"]
    assert main(argv) == 2
    assert main(argv + ["--overwrite"]) == 0
    assert len(json.loads((out / "validate.json").read_text())["rows"]) == 1


def test_darts_digits_setup_is_the_recipe_that_made_the_data():
    from nasbench.training.recipes import DARTS_SPLIT, DARTS_TRAIN_KWARGS
    from nasbench.training.trainer import TrainConfig

    config = ValidateConfig.darts_digits_setup()
    assert (config.space, config.dataset, config.split) == ("darts", "digits", DARTS_SPLIT)
    assert config.train_seeds == DARTS_GENERATION_SEEDS and config.n_seeds == 2
    assert config.network == (DARTS_TRAIN_KWARGS["C"], DARTS_TRAIN_KWARGS["N"])
    carried = set(ValidateConfig.__dataclass_fields__)
    for key, value in DARTS_TRAIN_KWARGS.items():
        # a field validate does not carry must be the trainer's default, or validate would train differently
        assert getattr(config, key) == value if key in carried else getattr(TrainConfig(), key) == value, key
    assert ValidateConfig(**json.loads(json.dumps(config.to_dict()))) == config
    # asking for seeds by number or root seed trains fresh seeds instead of the generation's
    assert ValidateConfig.darts_digits_setup(n_seeds=3).train_seeds is None
    assert ValidateConfig.darts_digits_setup(seed=4).train_seeds is None
    # a recorded recipe: fields it leaves out are the trainer's defaults, as in the generation
    recipe = {"train_kwargs": {"C": 4, "N": 1, "epochs": 3}, "split": [50, 40, 30], "split_seed": 0}
    config = ValidateConfig.darts_digits_setup(recipe)
    assert (config.C, config.epochs, config.split, config.lr, config.batch_size, config.bn_recalibration) == (
        4, 3, (50, 40, 30), TrainConfig().lr, TrainConfig().batch_size, TrainConfig().bn_recalibration)
    with pytest.raises(NasbenchError, match=r"the recipe sets \{'momentum': 0.5\}, which validate does not carry"):
        ValidateConfig.darts_digits_setup({**recipe, "train_kwargs": {"C": 4, "momentum": 0.5}})
    with pytest.raises(NasbenchError, match=r"the recipe sets \{'split_seed': 3\}, which validate does not carry"):
        ValidateConfig.darts_digits_setup({**recipe, "split_seed": 3})


def test_validate_darts_errors(darts_root):
    import pandas as pd

    from strategies.validate import _final_archs

    arch = DARTSArch.from_naslib("[[(0, 1), (1, 3), (0, 2), (2, 4), (1, 5), (3, 6), (0, 0), (4, 1)], "
                                 "[(1, 0), (0, 3), (2, 5), (1, 2), (3, 1), (0, 6), (4, 3), (2, 2)]]")
    swapped = DARTSArch([arch.normal[1], arch.normal[0], *arch.normal[2:]], arch.reduce)
    config = ValidateConfig.darts_digits_setup(epochs=1)
    with pytest.raises(NasbenchError, match="are one genotype"):
        validate([arch, swapped], BENCH, config)
    with pytest.raises(NasbenchError, match=r"darts/digits@surrogate is a darts benchmark but the config trains "
                                            r"nb201 networks; pass ValidateConfig\(space='darts', ...\) or "
                                            r"ValidateConfig.darts_digits_setup\(\)"):
        validate([arch], BENCH, ValidateConfig(epochs=1))
    with pytest.raises(NasbenchError, match="validate trains networks of 'nb201', 'darts'; got the transnas-micro"):
        validate([0], "transnas-micro/jigsaw", ValidateConfig(epochs=1))
    with pytest.raises(UnknownNameError, match="unknown space 'nb101'; validate trains networks of"):
        ValidateConfig(space="nb101")
    with pytest.raises(NasbenchError, match=r"train_seeds must be None or distinct ints >= 0 .*got \(0, 0\)"):
        ValidateConfig(train_seeds=(0, 0))
    with pytest.raises(NasbenchError, match=r"train_seeds must be None or distinct ints >= 0 .*got \(\)"):
        ValidateConfig(train_seeds=())
    with pytest.raises(NasbenchError, match=r"n_seeds is 3 but train_seeds lists 2 seeds \(0, 1\)"):
        ValidateConfig(n_seeds=3, train_seeds=(0, 1))
    summary = pd.DataFrame({"strategy": ["random_search"], "final_report": [1.0], "final_incumbent_index": [-1]})
    with pytest.raises(MissingDataError, match="has no final_incumbent_arch column"):
        _final_archs(summary, "darts", darts_root)


def test_cli_config_of_darts_benchmarks(darts_root):
    """darts/digits picks retrain with its recorded recipe and seeds; another DARTS benchmark's with this
    version's recipe and one fresh seed."""
    import argparse

    import nasbench
    from nasbench.cli import validate_cmd
    from strategies.validate import surrogate_recipe

    parser = argparse.ArgumentParser()
    validate_cmd.add_arguments(parser)
    config = validate_cmd._config(parser.parse_args(["run"]), BENCH)
    assert config == ValidateConfig.darts_digits_setup(surrogate_recipe(nasbench.load(BENCH))) and config.C == 2
    config = validate_cmd._config(parser.parse_args(["run"]), "darts/cifar10@surrogate")
    assert (config.space, config.train_seeds, config.n_seeds, config.seed) == ("darts", None, 1, 0)
    assert config.network == ValidateConfig.darts_digits_setup().network
    config = validate_cmd._config(parser.parse_args(["run", "--seeds", "2", "--C", "4"]), BENCH)
    assert (config.train_seeds, config.n_seeds, config.C) == (None, 2, 4)
    config = validate_cmd._config(parser.parse_args(["run", "--dataset", "cifar10", "--data-dir", "d"]), BENCH)
    assert (config.space, config.dataset, config.network) == ("darts", "cifar10", (16, 5))
