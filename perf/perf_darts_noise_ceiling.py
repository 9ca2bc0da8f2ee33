"""Issue 15 lab: how high can any surrogate's Kendall tau against a two-seed mean be on darts/digits?

The held-out figures score a surrogate against the mean of seeds 0 and 1 of each held-out arch. That mean is
noisy, so even a perfect predictor of each arch's true mean ranks it imperfectly;
:func:`nasbench.training.darts_surrogate.perfect_predictor_tau` estimates that cap from the seed pairs with a
normal-score model. This script checks the model on data: the first 256 held-out genotypes were trained
again with seeds 2 and 3 (``tabular_data/embedded/_build/darts-digits-noise/heldout-s23``, outside the
darts/digits parts so that no fit or score reads them), and it compares

* the tau between two independent two-seed means (seeds 0+1 against 2+3), measured, with the model's
  prediction for it, ``2/pi * asin(2r / (1 + r))``;
* the cap estimated from seeds 0 and 1 alone, from all four seeds, and calibrated so that the model
  reproduces the measured tau between two two-seed means.

Measured 2026-11-29 (256 genotypes): tau between two-seed means 0.703 (model 0.684); cap 0.778 (seeds 0, 1),
0.774 (cross pairs), 0.788 (calibrated). Every estimate is below 0.8.

Run: python perf/perf_darts_noise_ceiling.py        (after the heldout-s23 part has finished)
"""
import numpy as np
from scipy import stats

from nasbench.training.darts_runs import load_runs
from nasbench.training.darts_surrogate import normal_scores, perfect_predictor_tau

BUILD = "tabular_data/embedded/_build"


def normal_score_r(a, b) -> float:
    return float(np.corrcoef(normal_scores(a), normal_scores(b))[0, 1])


def noise_ceiling(build=BUILD) -> dict:
    """The figures of the module doc, from the held-out part and the heldout-s23 part under ``build``."""
    held = load_runs(f"{build}/darts-digits", ["heldout"])
    extra = load_runs(f"{build}/darts-digits-noise", ["heldout-s23"])
    index = {c: i for i, c in enumerate(held["codes"])}
    rows = [index[c] for c in extra["codes"]]
    s01 = held["valid_acc"][rows, :, -1]
    s23 = extra["valid_acc"][:, :, -1]
    assert held["seeds"] == (0, 1) and extra["seeds"] == (2, 3)
    m01, m23 = s01.mean(axis=1), s23.mean(axis=1)
    r = float(np.mean([normal_score_r(s01[:, i], s23[:, j]) for i in range(2) for j in range(2)]))
    measured = float(stats.kendalltau(m01, m23)[0])
    # calibrated: the reliability of a two-seed mean that reproduces the measured tau between two of them
    reliability = np.sin(measured * np.pi / 2)
    return {"n": len(rows), "tau_01": float(stats.kendalltau(*s01.T)[0]), "tau_23": float(stats.kendalltau(*s23.T)[0]),
            "r": r, "two_means_tau": measured, "two_means_model": float(2 / np.pi * np.arcsin(2 * r / (1 + r))),
            "cap_01": perfect_predictor_tau(*s01.T), "cap_cross": float(2 / np.pi * np.arcsin(np.sqrt(2 * r / (1 + r)))),
            "cap_calibrated": float(2 / np.pi * np.arcsin(np.sqrt(reliability)))}


def main():
    f = noise_ceiling()
    print(f"{f['n']} held-out genotypes with seeds 0-3")
    print(f"seed vs seed Kendall tau: 0/1 {f['tau_01']:.3f}, 2/3 {f['tau_23']:.3f}; normal-score r over the four "
          f"cross pairs {f['r']:.3f}")
    print(f"two-seed mean vs two-seed mean: Kendall tau measured {f['two_means_tau']:.3f}, model {f['two_means_model']:.3f}")
    print(f"cap of a perfect predictor against the 0+1 mean: {f['cap_01']:.3f} (seeds 0, 1), {f['cap_cross']:.3f} "
          f"(r from the cross pairs), {f['cap_calibrated']:.3f} (calibrated on the measured tau between two-seed means)")


if __name__ == "__main__":
    main()
