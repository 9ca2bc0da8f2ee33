"""README figures of the darts/digits section (a part of perf/readme_figures.py's blocks).

The recipe and its pilot figures are data of the library (:data:`nasbench.training.recipes.DARTS_TRAIN_KWARGS`,
:data:`~nasbench.training.recipes.DARTS_PILOT`, measured by ``perf/perf_darts_recipes.py``), recorded in the manifest
of every part the generation assembles; the README quotes them from there.
"""

from __future__ import annotations

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
