"""Pilot study helpers: summary statistics, sampling, a tiny resumable run."""

import json

import numpy as np
import pytest

from nasbench.errors import NasbenchError
from nasbench.spaces.nb201 import canonical_ids
from nasbench.training.pilot import sample_representatives, summarise


def test_summarise_known_values():
    rng = np.random.default_rng(0)
    true = rng.normal(90, 3, size=400)
    noise = 0.5
    acc = true[:, None] + rng.normal(0, noise, size=(400, 2))
    s = summarise(acc)
    assert s["n_archs"] == 400 and s["n_seeds"] == 2
    assert s["spearman_seeds"] > 0.95
    assert s["spearman_seeds_ci95"][0] < s["spearman_seeds"] < s["spearman_seeds_ci95"][1]
    assert abs(s["noise_sd"] - noise) < 0.1
    mean = acc.mean(axis=1)
    assert s["spread_top1_median"] == pytest.approx(np.percentile(mean, 99) - np.median(mean))
    assert s["spread_over_noise"] == pytest.approx(s["spread_top1_median"] / s["noise_sd"])


def test_summarise_robust_noise_ignores_rare_outliers_but_reports_them():
    rng = np.random.default_rng(1)
    true = rng.normal(90, 3, size=400)
    acc = true[:, None] + rng.normal(0, 0.5, size=(400, 2))
    acc[:4, 1] -= 25.0  # four runs that fell 25 points behind
    s = summarise(acc)
    assert abs(s["noise_sd_robust"] - 0.5) < 0.1
    assert s["noise_sd"] > 1.5  # the plain SD is inflated by the outliers
    assert s["spread_over_robust_noise"] == pytest.approx(s["spread_top1_median"] / s["noise_sd_robust"])
    assert s["noise_sd_seed_mean"] == pytest.approx(s["noise_sd"] / np.sqrt(2))
    largest = s["largest_abs_seed_differences"]
    assert len(largest) == 5 and min(largest[:4]) > 20 > largest[4]


def test_summarise_measures_the_noise_where_the_spread_is():
    # poor archs (below the median) scatter by SD 4 between seeds, good ones by SD 0.5
    rng = np.random.default_rng(2)
    true = np.concatenate([rng.uniform(60, 80, 2000), rng.uniform(90, 98, 2000)])
    sd = np.where(true < 85, 4.0, 0.5)
    acc = true[:, None] + rng.normal(0, 1, size=(4000, 2)) * sd[:, None]
    s = summarise(acc)
    assert abs(s["noise_sd_upper_half"] - 0.5) < 0.05 and s["noise_sd"] > 2.5
    assert s["spread_over_upper_half_noise"] == pytest.approx(s["spread_top1_median"] / s["noise_sd_upper_half"])


def test_summarise_three_seeds_averages_pairs():
    acc = np.array([[1.0, 1.0, 3.0], [2.0, 2.0, 1.0], [3.0, 3.0, 2.0], [4.0, 4.0, 4.0]])
    s = summarise(acc)
    # pairs (0,1): rho 1; (0,2) and (1,2): rho 0.4
    assert s["spearman_seeds"] == pytest.approx((1 + 0.4 + 0.4) / 3)


@pytest.mark.parametrize("shape", [(10, 1), (2, 2), (10,)])
def test_summarise_rejects_bad_shapes(shape):
    with pytest.raises(NasbenchError, match="acc must have shape \\(n_archs >= 3, n_seeds >= 2\\)"):
        summarise(np.zeros(shape))


def test_sample_representatives():
    archs = sample_representatives(50, 0)
    assert len(set(archs.tolist())) == 50 and np.array_equal(archs, sample_representatives(50, 0))
    assert len(set(canonical_ids()[archs].tolist())) == 50  # one per isomorphism class
    with pytest.raises(NasbenchError, match=r"n_archs must be an int in \[1, 6466\]"):
        sample_representatives(7000, 0)


def test_tiny_pilot_runs_and_resumes(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    from nasbench.training.pilot import run_pilot
    from nasbench.training.trainer import TrainConfig

    config = TrainConfig(C=2, N=1, epochs=1, batch_size=25, device="cpu", latency_repeats=1, latency_warmup=0)
    kwargs = dict(n_archs=3, seeds=(0, 1), sample_seed=0, config=config, split=(50, 50, 50))
    lines = []
    first = run_pilot(tmp_path, log=lines.append, **kwargs)
    assert len(lines) == 6 and first["n_archs"] == 3
    # an interrupted write leaves a cut line; it is ignored and that run is redone
    runs = tmp_path / "runs.jsonl"
    text = runs.read_text().splitlines()
    runs.write_text("\n".join(text[:-1]) + "\n" + text[-1][:20])
    lines.clear()
    second = run_pilot(tmp_path, log=lines.append, **kwargs)
    assert len(lines) == 1
    for key in ("spearman_seeds", "noise_sd", "median_acc"):
        assert np.isclose(second[key], first[key], equal_nan=True)
    assert json.loads((tmp_path / "summary.json").read_text())["n_archs"] == 3
    with pytest.raises(NasbenchError, match="a pilot needs at least two distinct training seeds; got \\(0, 0\\)"):
        run_pilot(tmp_path, **{**kwargs, "seeds": (0, 0)})


def test_pilot_main_reports_errors_in_one_line(tmp_path, capsys):
    from nasbench.training.pilot import main

    assert main(["--out", str(tmp_path), "--n-archs", "0"]) == 2
    assert "error: n_archs must be an int in [1, 6466]" in capsys.readouterr().err


def test_cli_defaults_are_the_digits_setup():
    import argparse

    from nasbench.training.pilot import DIGITS_SPLIT, DIGITS_TRAIN_KWARGS, add_arguments

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--out", "x"])
    assert tuple(args.split) == DIGITS_SPLIT
    assert (args.C, args.N, args.epochs, args.batch_size, args.lr, args.weight_decay, args.bn_recalibration) == tuple(
        DIGITS_TRAIN_KWARGS[k] for k in ("C", "N", "epochs", "batch_size", "lr", "weight_decay", "bn_recalibration")
    )
    pytest.importorskip("torch")
    from nasbench.training.trainer import TrainConfig

    TrainConfig(**DIGITS_TRAIN_KWARGS)  # valid as a config
    assert (args.warmup_steps, args.grad_clip) == (DIGITS_TRAIN_KWARGS.get("warmup_steps", 0),
                                                   DIGITS_TRAIN_KWARGS.get("grad_clip", 0.0))
