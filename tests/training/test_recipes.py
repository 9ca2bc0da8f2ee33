"""The training recipes: the seed-agreement summary, the pilot sample, the recipes themselves."""

import json

import numpy as np
import pytest

from nasbench.errors import NasbenchError
from nasbench.spaces.nb201 import canonical_ids
from nasbench.training.recipes import sample_representatives, summarise


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


@pytest.mark.parametrize("name", ["DIGITS", "DARTS"])
def test_recipes_are_valid_train_configs_and_their_pilots_are_recorded(name):
    from nasbench.training import recipes

    split, kwargs, pilot = (getattr(recipes, f"{name}_{part}") for part in ("SPLIT", "TRAIN_KWARGS", "PILOT"))
    assert len(split) == 3 and sum(split) <= 1797  # images of scikit-learn's digits
    assert pilot["seeds"] == [0, 1] and pilot["n_archs"] >= 40 and 0 < pilot["spearman_valid_acc_seeds"] < 1
    pytest.importorskip("torch")
    from nasbench.training.trainer import TrainConfig

    assert TrainConfig(**kwargs).epochs == kwargs["epochs"]


def test_shipped_table_records_the_pilot_of_its_recipe():
    """The manifest of nb201/digits holds DIGITS_PILOT as data (the figures the README quotes)."""
    from nasbench.paths import embedded_root
    from nasbench.training.recipes import DIGITS_PILOT, DIGITS_SPLIT, DIGITS_TRAIN_KWARGS

    info = json.loads((embedded_root() / "nb201" / "digits" / "manifest.json").read_text())["info"]
    assert info["pilot"] == DIGITS_PILOT
    assert info["job"]["train"] == DIGITS_TRAIN_KWARGS and tuple(info["job"]["split"]) == DIGITS_SPLIT
