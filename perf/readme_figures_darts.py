"""README figures of the darts/digits section (a part of perf/readme_figures.py's blocks).

The recipe and its pilot figures are data of the library (:data:`nasbench.training.recipes.DARTS_TRAIN_KWARGS`,
:data:`~nasbench.training.recipes.DARTS_PILOT`, measured by ``perf/perf_darts_recipes.py``), recorded in the manifest
of every part the generation assembles; the README quotes them from there.
"""

from __future__ import annotations

from pathlib import Path

from perf_darts_noise_ceiling import noise_ceiling
from readme_measures import NAMES

DARTS_RECIPE_TEMPLATE = (
    "Recipe: split {sp[0]}/{sp[1]}/{sp[2]} of scikit-learn's digits (train/valid/test, split seed 0), the DARTS "
    "macro skeleton scaled down to N={t[N]} cell per stage (normal, reduction, normal) with C={t[C]}, {t[epochs]} "
    "epochs of batch {t[batch_size]} ({steps} SGD steps), lr {t[lr]:g} with {t[warmup_steps]} warm-up steps then "
    "cosine, gradient norm clipped at {t[grad_clip]:g}, BatchNorm statistics recomputed before each evaluation, seeds "
    "0 and 1; about {p[cpu_s_per_run_median]:.1f} s of CPU per run. Pilot (`{p[command]}`, {p[n_archs]} genotypes of "
    "the held-out list, two seeds): seed-to-seed Spearman of the final validation accuracy **{p[spearman_valid_acc_seeds]:.3f}**, "
    "within-arch SD {p[within_arch_sd]:.2f} points against {p[between_arch_sd]:.2f} between archs, mean accuracy "
    "{p[mean_valid_acc]:.1f} %; on the same genotypes C=16 gave {c16:.3f} and C=24 {c24:.3f}. The former recipe (C=8, "
    "batch 64, 16 steps) agreed at only {b:.3f} on 500 archs: a 16-step run is chaotic (changing only the "
    "initialisation, or only the batch order, decorrelates it as much as changing both), and wider networks with "
    "larger batches shrink that noise more than the spread between archs.")


def measure_darts_recipe() -> dict:
    """The recipe and pilot figures of darts/digits (library constants; no training)."""
    import math

    from nasbench.training.recipes import DARTS_PILOT, DARTS_SPLIT, DARTS_TRAIN_KWARGS

    t, p = DARTS_TRAIN_KWARGS, DARTS_PILOT
    others = p["same_archs_other_widths"]
    return {"t": t, "p": p, "sp": DARTS_SPLIT, "steps": t["epochs"] * math.ceil(DARTS_SPLIT[0] / t["batch_size"]),
            "c16": others["C=16"], "c24": next(v for k, v in others.items() if k.startswith("C=24")),
            "b": p["rejected"]["B (C=8, 2 epochs of batch 64, the former recipe)"]["spearman_500_at_scale"]}


DARTS_DATA_TEMPLATE = (
    "Shipped with the package: the runs of {n_all} genotypes ({n_runs} training runs, {cpu_h:.1f} CPU hours of "
    "training). {n_archs} are for fitting: {n_uniform} drawn uniformly ({n_two_seeds} of them with seeds 0 and 1, "
    "the noise pairs) and {n_traj} proposed by {proposers} on the growing surrogate ({per_strategy}); the other {n_held}, drawn uniformly and trained with two seeds, are the held-out set that no fit "
    "sees (seed-to-seed Spearman {held_sp:.3f}, Kendall tau {held_tau:.3f}). The surrogate `darts/digits@surrogate` (XGBoost, {trees} trees on the `{encoding}` "
    "encoding, fit on log(100.5 - accuracy), {members} bagged members and Gaussian seed noise of SD "
    "{noise:.2f} points for a noisy query) scores on the held-out archs, against the mean of their two seeds: "
    "R2 {r2:.3f}, **Kendall tau {tau:.3f}**, top-10 % tau {top10:.3f}, Spearman {sp:.3f}; its mean absolute "
    "error against one seed is **{mae:.2f} points, against {mae_ss:.2f} between the two seeds** of an arch "
    "({verdict}). Seed noise caps the tau any surrogate can reach against a two-seed mean: a perfect predictor "
    "of each arch's true mean would score about {cap:.3f} (normal-score model of the seed pairs). Checked on "
    "data: the first {nc[n]} held-out genotypes trained again with seeds 2 and 3 rank alike at a tau of "
    "{nc[two_means_tau]:.3f} between the two two-seed means (the model says {nc[two_means_model]:.3f}), and the "
    "cap calibrated on that is {nc[cap_calibrated]:.3f} (`perf/perf_darts_noise_ceiling.py`). Accuracy "
    "after epoch 1: tau {tau_e1:.3f}; test accuracy: tau {tau_test:.3f}; training time: tau {tau_time:.3f} "
    "(wall-clock of a shared machine). Leave one strategy out (its archs predicted by a model fit without "
    "them), Kendall tau: {loso}.")


def _names(strategies) -> str:
    """``a, b and c`` in the README's words for the strategies."""
    words = [NAMES.get(s, s) for s in strategies]
    return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else "".join(words)


def _counts(counts) -> str:
    """``625 each`` when the strategies proposed alike, else ``a, b, c and d`` in the strategies' order."""
    return f"{counts[0]} each" if len(set(counts)) == 1 else _names([str(c) for c in counts])


def measure_darts_data() -> dict:
    """Counts and held-out figures of the shipped darts/digits runs and surrogate (the package's files)."""
    import numpy as np

    from nasbench.benchmarks.surrogate import load_surrogate
    from nasbench.paths import embedded_root
    from nasbench.training.darts_ship import RUNS_NAME, read_runs, score_surrogate
    from nasbench.training.darts_surrogate import leave_one_strategy_out

    runs = read_runs(embedded_root() / RUNS_NAME)
    bench = load_surrogate("darts", "digits", root=embedded_root())
    figures = score_surrogate(bench, runs, loso=False)["models"]
    part, proposed = np.array(runs["part"]), np.array(runs["proposed_by"])
    held, trained = part == "heldout", np.isfinite(runs["valid_acc"][:, :, -1])
    n_epochs = int(runs["n_epochs"])
    main = figures[f"valid_acc@{n_epochs}"]
    meta = bench.describe()["models"][f"valid_acc@{n_epochs}"]
    strategies = sorted(set(proposed[~held]) - {"uniform"})
    traj = np.isin(proposed, strategies)
    loso = leave_one_strategy_out(runs, n_members=0)
    return {
        "n_all": len(part), "n_archs": int((~held).sum()), "n_runs": int(trained.sum()),
        "cpu_h": float(np.nansum(runs["train_time_s"]) / 3600),
        "n_uniform": int(((proposed == "uniform") & ~held).sum()), "n_two_seeds": int((trained[~held].sum(1) >= 2).sum()),
        "n_traj": int(traj.sum()), "proposers": _names(strategies),
        "per_strategy": _counts([int((proposed == s).sum()) for s in strategies]),
        "n_held": int(held.sum()), "held_sp": main["seed_vs_seed"]["spearman"],
        "held_tau": main["seed_vs_seed"]["kendall_tau"],
        "trees": meta["model"]["params"]["n_estimators"], "encoding": meta["encoding"],
        "members": meta["model"]["n_members"],
        "noise": meta["model"]["noise_std"], "r2": main["r2"], "tau": main["kendall_tau"],
        "top10": main["top10_kendall_tau"], "sp": main["spearman"], "mae": main["mae_vs_one_seed"],
        "mae_ss": main["mae_seed_vs_seed"],
        "verdict": ("the surrogate predicts a run better than a second run does" if main["mae_vs_one_seed"] <=
                    main["mae_seed_vs_seed"] else "a second training run still predicts a run better"),
        "cap": main["perfect_predictor_kendall_tau"], "tau_e1": figures["valid_acc@1"]["kendall_tau"],
        "tau_test": figures[f"test_acc@{n_epochs}"]["kendall_tau"],
        "tau_time": figures[f"train_time_s@{n_epochs}"]["kendall_tau"],
        "loso": ", ".join(f"{NAMES.get(name, name)} {sc['kendall_tau']:.3f}" for name, sc in loso.items()),
        "nc": noise_ceiling(str(Path(__file__).resolve().parents[1] / "tabular_data/embedded/_build")),
    }


DARTS_COMPARE_TEMPLATE = (
    "`nasbench compare darts/digits@surrogate --strategies random_search,regularized_evolution,local_search,bananas "
    "--seeds {n_seeds} --budget {budget}` (root seed 0; each evaluation is the surrogate's "
    "prediction plus seed noise, as one training run would answer; each run's incumbent, the arch with the best "
    "valid_acc@2 it evaluated, is scored by its predicted test_acc@2):\n\n{table}\n\n"
    "Regularized evolution against random search: {re_verdict} (paired Wilcoxon over the {n_seeds} seeds, W = {w:g}, "
    "p = {p}, Holm-adjusted p = {holm}); over all four, Friedman chi2({df}) = {chi2:.2f}, p = {fp}. "
    "`nasbench validate RUN --top 3` then retrains the three best picks with the recipe (seeds 0 and 1): Kendall tau {val_tau:.3f} between predicted and measured test accuracy "
    "(three archs), mean absolute error {val_mae:.2f} points against one run, where two runs of the same arch "
    "differ by {val_ss:.2f}.")


def measure_darts_compare() -> dict:
    """Four strategies on the shipped darts/digits@surrogate, then validate's retraining of the top 3."""
    import json
    import subprocess
    import sys

    from readme_measures import ROOT, pair, p_text, run_compare

    def validate(out):
        command = [sys.executable, "-m", "nasbench", "validate", str(out), "--top", "3", "--out", str(out / "val"),
                   "--no-plot"]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"nasbench validate failed (rc {done.returncode}):\n{done.stderr[-2000:]}")
        return json.loads((out / "val" / "validate.json").read_text())

    run = run_compare("darts/digits@surrogate", "--strategies",
                      "random_search,regularized_evolution,local_search,bananas", "--seeds", "20", "--budget", "200",
                      after=validate)
    report = run["after"]
    rows, stats = run["rows"], run["stats"]
    table = ["| rank | strategy | final test_acc@2 [95% bootstrap interval] | mean rank |", "|---|---|---|---|"]
    for name in run["order"]:
        r = rows[name]
        table.append(f"| {r['rank']:.0f} | {name} | {r['final_report_mean']:.2f} [{r['final_report_ci_low']:.2f}, "
                     f"{r['final_report_ci_high']:.2f}] | {r['mean_rank']:.2f} |")
    re_rs = pair(stats, "random_search", "regularized_evolution")
    re, rs = rows["regularized_evolution"]["final_report_mean"], rows["random_search"]["final_report_mean"]
    significant = re_rs["p_value_holm"] < 0.05
    verdict = (f"{'higher' if re > rs else 'lower'} final test accuracy ({re:.2f} against {rs:.2f}), "
               + ("significant" if significant else "not significant at 0.05 after Holm correction"))
    summary = report["summary"]
    return {"n_seeds": 20, "budget": 200, "table": "\n".join(table),
            "re_verdict": verdict, "w": re_rs["wilcoxon_W"], "p": p_text(re_rs["p_value"]),
            "holm": p_text(re_rs["p_value_holm"]), "df": stats["friedman"]["df"],
            "chi2": stats["friedman"]["statistic"], "fp": p_text(stats["friedman"]["p_value"]),
            "val_tau": summary["kendall_tau_acc"], "val_mae": summary["mae_acc_vs_one_seed"],
            "val_ss": summary["mae_acc_seed_vs_seed"]}
