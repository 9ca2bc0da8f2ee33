"""Regenerate the figures README.md quotes, so that they are re-measured, not remembered.

README.md holds generated blocks between two HTML comments (invisible on GitHub)::

    <!-- figures: NAME -->
    ...text this script renders for NAME...
    <!-- /figures -->

Each block is a template of prose (kept here) and a function that runs the commands a user would run
and returns the numbers (in ``perf/readme_measures.py``; the latency section's in
``perf/readme_figures_latency.py``). Blocks come in two kinds:

* ``exact``: deterministic figures (seeded searches, table values); ``--check`` re-runs them and
  requires the README text to be identical.
* ``timing``: wall-clock figures that depend on the machine and its load; ``--write`` re-measures them,
  ``--check`` compares the README with the rendering with every number masked (the prose and the
  set of figures must agree, the values may differ).

Usage (from the repository root, in the project's venv)::

    python perf/readme_figures.py --check            # every block; exit 1 and a diff when one disagrees
    python perf/readme_figures.py --check --only main_job
    python perf/readme_figures.py --write            # re-measure and rewrite the blocks in README.md
    python perf/readme_figures.py --list

Blocks with ``needs`` read benchmarks imported into ``$NASBENCH_DATA`` (``nasbench data import nb201
--from ../shared/data``, ``... yahpo-nb301 ...``); without them they are reported as skipped.
``tests/test_readme_figures.py`` runs ``--check`` on the blocks in CI.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"<!-- figures: (?P<name>[a-z0-9_]+) -->\n(?P<body>.*?)<!-- /figures -->", re.S)
WIDTH = 105  # README prose line width
NUMBER = re.compile(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?")


@dataclass(frozen=True)
class Block:
    """One generated README block: ``render(measure())`` is its text (ending with a newline)."""

    name: str
    kind: str                     # "exact" or "timing"
    measure: Callable[[], dict]   # runs the commands; returns the numbers the template needs
    template: str                 # str.format template over measure()'s keys
    needs: tuple = ()             # benchmarks imported into $NASBENCH_DATA that it reads
    about: str = ""
    wrap: bool = True             # fill the prose to README's line width (False: keep the template's lines)
    in_ci: bool = True            # checked by tests/test_readme_figures.py (False: minutes; run --check by hand)

    def render(self, values: dict) -> str:
        text = self.template.format(**values).rstrip("\n")
        if self.wrap:  # a bullet ("* ...") keeps its continuation lines indented under the text
            text = textwrap.fill(text, width=WIDTH, break_on_hyphens=False, break_long_words=False,
                                 subsequent_indent="  " if text.startswith("* ") else "")
        return text + "\n"


# the measure functions live beside this script (perf/readme_measures.py)
sys.path.insert(0, str(Path(__file__).resolve().parent))
from readme_measures import (  # noqa: E402
    TNB_TASKS, GRAPH_DATASETS, measure_main_job, measure_digits_three, measure_cifar10_re_rs,
    measure_reference_values, measure_yahpo_compare, measure_python_api, measure_digits_api,
    measure_digits_seed_agreement, measure_digits_vs_cifar10, measure_transfer, measure_transfer_graph,
    measure_hardware, measure_nb201_protocol, measure_surrogate_eval, measure_surrogate_mlp,
    measure_sample_surrogates, measure_surrogate_check, measure_optuna_tpe, measure_optuna_all, measure_speed,
    measure_simulator_costs, measure_weight_sharing, measure_cost_rule, measure_digits_setup,
    measure_warm_refits)


BLOCKS = [
    Block("main_job", "exact", measure_main_job, about="README command 1 (nasbench compare, defaults)",
          template=(
              "README command 1 ({n_strategies} strategies, {n_seeds} seeds, BOHB among them, so every strategy "
              "gets the same simulated time of {budget_s:.0f} s, 100 x the median time of one 4-epoch evaluation): "
              "mean final regret {best_regret:.2f} ({best}) to {worst_regret:.2f} ({worst}), regularized "
              "evolution {re_regret:.2f} and random search {rs_regret:.2f}; the strategies differ (Friedman "
              "chi2({df}) = {chi2:.2f}, p = {friedman_p}), and {n_significant} of the {n_pairs} pairwise Wilcoxon "
              "tests are significant after Holm correction: {significant}. The default is 100 seeds because with "
              "`--seeds 50` the same comparison gives Friedman p = {p50}: on nb201/digits these strategies differ "
              "by a few tenths of a point, which is small beside its seed noise.")),
    Block("digits_three", "exact", measure_digits_three, about="RS/RE/LS on nb201/digits, noisy and means",
          template=(
              "Measured on nb201/digits (root seed 0; `nasbench compare --strategies "
              "random_search,regularized_evolution,local_search --seeds 100 --budget 300`, noisy evaluations): "
              "regularized evolution reaches a mean final test regret of {re:.2f} points, local search {ls:.2f} "
              "and random search {rs:.2f} (Friedman p = {friedman_p}; regularized evolution vs random search: "
              "Wilcoxon W = {re_rs_w:g}, Holm-adjusted p = {re_rs_holm}). Each evaluation sees one of the two "
              "training seeds, so an incumbent can be a lucky draw; with `--noise mean` the same command gives "
              "{mean_re:.2f}, {mean_ls:.2f} and {mean_rs:.2f} (Friedman p = {mean_friedman_p}), and the floor is "
              "{floor:.2f}: the arch with the best mean validation accuracy (index {floor_index}, {floor_valid:.2f} %) "
              "tests at {floor_test:.2f} against the best test accuracy of {best_test:.2f}.")),
    Block("cifar10_re_rs", "exact", measure_cifar10_re_rs, needs=("nb201/cifar10",), wrap=False,
          about="RE vs RS on nb201/cifar10",
          template=(
              "* Regularized evolution beats random search at 300 evaluations over 100 seeds: mean final test\n"
              "  regret {re:.3f} vs {rs:.3f} points, paired Wilcoxon W = {w:g}, p = {p}\n"
              "  (`nasbench compare nb201/cifar10 --strategies random_search,regularized_evolution,local_search "
              "--seeds 100 --budget 300`).")),
    Block("reference_values", "exact", measure_reference_values, needs=("nb201/cifar10", "nb201/cifar100", "nb201/imagenet16-120"),
          about="NB201 best test_acc",
          template=(
              "Reference values reproduced from the data: best `test_acc` at 200 epochs is {cifar10_best:.3f} "
              "(index {cifar10_index}) on\ncifar10, {cifar100_best:.3f} ({cifar100_index}) on cifar100, "
              "{imagenet16_best:.3f} ({imagenet16_index}) on imagenet16-120.")),
    Block("yahpo_compare", "exact", measure_yahpo_compare, needs=("darts/cifar10@yahpo",), wrap=False, in_ci=False,
          about="five strategies on darts/cifar10@yahpo (2 min)",
          template=(
              "`nasbench compare darts/cifar10@yahpo --strategies random_search,regularized_evolution,local_search,bohb,hyperband\n"
              "--seeds 10 --budget 100` (2 min; final `valid_acc` of the incumbent, mean [95% bootstrap interval]). BOHB and\n"
              "Hyperband climb a geometric ladder of rungs over the 98 epochs (eta 3: epochs 1, 4, 11, 33, 98, as\n"
              "HpBandSter spaces budgets), so every strategy gets the same simulated time, 100 x the median {median_s:.0f} s\n"
              "of one 98-epoch evaluation:\n\n"
              "{table}\n\nFriedman chi2({df}) = {chi2:.1f}, p = {p}; regularized evolution vs random search: "
              "Wilcoxon p = {re_rs_p} (Holm\n{re_rs_holm}) over 10 paired seeds.")),

    Block("python_api", "exact", measure_python_api, needs=("nb201/cifar10",), wrap=False,
          about="the Python API example on nb201/cifar10",
          template=(
              "```python\n"
              "import nasbench\n\n"
              'bench = nasbench.load("nb201/cifar10")\n'
              'bench.query(6111, metric="test_acc", fidelity=200)            # {value} ({value_type})\n'
              'bench.query([6111, 0, "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"], "valid_acc", 12)  # ndarray {batch_shape}\n'
              'bench.query(range(1000), "train_time_s", 200, seed=0)          # one sampled training seed per arch\n'
              'bench.query(5000, "train_time_s", 200)                         # MissingValueError: the data covers {n_timed} archs\n'
              'bench.query(5000, "train_time_s", 200, missing="predicted")    # after `nasbench surrogate fill`: values, '
              "predicted mask, predicted_by\n"
              'bench.query(5000, "train_time_s", 200, missing="nan")          # nan, never an imputed number\n'
              'bench.column("test_acc", 200)                                  # all {n_archs} values, for vectorised code\n'
              'bench.best("test_acc", 200)                                    # {best}\n'
              "```")),
    Block("digits_api", "exact", measure_digits_api, wrap=False, about="the nb201/digits example (embedded table)",
          template=(
              "```python\n"
              'digits = nasbench.load("nb201/digits")                  # ships with the package: no import step\n'
              'digits.query(6111, "valid_acc", 4)                      # {mean!r} (mean of seeds 0 and 1, %)\n'
              'digits.query(6111, "valid_acc", 4, seed=0)              # {seed0!r} (one sampled training seed)\n'
              'digits.best("test_acc", 4)                              # {best}\n'
              'digits.query(6111, "latency_ms_cpu")                    # {latency:.2f} ms, batch 1, 1 thread, the generating machine\n'
              "```")),
    Block("digits_setup", "exact", measure_digits_setup, about="how nb201/digits was generated (from its manifest)",
          template=(
              "`nasbench generate` trained every one of the {info[n_classes_trained]} NB201 isomorphism classes for real "
              "on scikit-learn's digits (bundled with scikit-learn, no download): split "
              "{sp[n_train]}/{sp[n_valid]}/{sp[n_test]} (train/valid/test, split seed {sp[split_seed]}), C={t[C]}, "
              "N={t[N]}, {t[epochs]} epochs of batch {t[batch_size]}, lr {t[lr]:g} with {t[warmup_steps]} warm-up steps "
              "then cosine, gradient norm clipped at {t[grad_clip]:g}, Nesterov {t[momentum]:g}, weight decay {wd}, "
              "BatchNorm statistics recomputed before each evaluation, seeds {seeds}; each class is trained once per "
              "seed (its smallest NB201 index) and mapped to all its members, so the table covers all "
              "{info[n_archs_covered]} archs. Metrics: per-epoch `train_loss`, `train_acc`, `valid_acc` and `test_acc` "
              "(fidelity = epoch 1..{t[epochs]}, per seed and mean), `train_time_s`, `latency_ms_cpu`, `params_m` and "
              "`flops_m`. Their arrays take {mib:.1f} MiB; `nasbench info nb201/digits` shows the command, versions, seeds, "
              "split, training setup and the figures below.")),
    Block("digits_seed_agreement", "exact", measure_digits_seed_agreement, wrap=False,
          about="nb201/digits seed agreement (from its manifest)",
          template=(
              "| | {p[n_archs]}-arch pilot | all {n_classes} classes |\n"
              "|---|---|---|\n"
              "| Spearman | {p[spearman_valid_acc_seeds]:.3f} (95% CI {p[spearman_ci95][0]:.3f}-{p[spearman_ci95][1]:.3f}) | "
              "**{a[spearman_seeds]:.3f}** ({a[spearman_seeds_ci95][0]:.3f}-{a[spearman_seeds_ci95][1]:.3f}); test accuracy "
              "{a[test_spearman_seeds]:.3f}; Kendall {a[kendall_seeds]:.3f} |\n"
              "| median / top 1% accuracy | {p[median_valid_acc]:.1f} / {p[top1_valid_acc]:.1f} % | {a[median_acc]:.1f} / "
              "{a[top1_acc]:.1f} % |\n"
              "| spread (top 1% - median) | {p[spread_top1_median]:.2f} points | {a[spread_top1_median]:.2f} points |\n"
              "| single-run noise SD / robust SD (1.4826 MAD / sqrt 2) | {p[noise_sd_single_run]:.2f} / {p[noise_sd_robust]:.2f} | "
              "{a[noise_sd]:.2f} / {a[noise_sd_robust]:.2f} |\n"
              "| spread / SD, spread / robust SD | {p[spread_over_noise_sd]:.2f} x / {p[spread_over_robust_sd]:.2f} x | "
              "{a[spread_over_noise]:.2f} x / {a[spread_over_robust_noise]:.2f} x |\n"
              "| noise SD of the archs at or above the median; spread / it | - | {a[noise_sd_upper_half]:.2f}; "
              "{a[spread_over_upper_half_noise]:.2f} x |\n\n"
              "The Spearman target (>= 0.8) is met. The spread is about {a[spread_over_robust_noise]:.0f} times the typical "
              "seed-to-seed noise\n(robust SD) and {a[spread_over_upper_half_noise]:.1f} times the noise of the archs it spans "
              "(median and up), but only {a[spread_over_noise]:.1f} times the\nplain SD over all archs, whose heavy tail comes "
              "from slow learners below the median: deep cells\nwithout a skip from the input that are still far from "
              "convergence after 32 SGD steps, how far\ndepending on the seed (the five largest seed differences are "
              "{largest} points).\nAveraging the two seeds, as `query` does without `seed`, divides the noise by sqrt 2 "
              "(SD {a[noise_sd_seed_mean]:.2f}).")),
    Block("digits_vs_cifar10", "exact", measure_digits_vs_cifar10, needs=("nb201/cifar10",),
          about="nb201/digits against nb201/cifar10 rankings",
          template=(
              "nb201/digits is a benchmark of its own, not a stand-in for CIFAR-10: its ranking is nearly unrelated to "
              "NB201's CIFAR-10 one (Spearman {rho:.2f} between its `test_acc` at epoch 4 and nb201/cifar10's at 200 "
              "epochs over all {n_archs} archs), and its top 1% has a median CIFAR-10 test accuracy of {top_median:.1f} %, "
              "just {relation} the CIFAR-10 median of {median:.1f} %.")),
    Block("transfer", "exact", measure_transfer, wrap=False,
          needs=tuple(f"transnas-micro/{task}" for task in TNB_TASKS) + ("nb201/cifar10", "nb201/cifar100", "nb201/imagenet16-120"),
          about="nasbench transfer on TNB micro and NB201",
          template=(
              "{tnb_matrix}\n\n"
              "Warm start, 20 paired seeds, budget 100, final regret (gain = cold - warm; Wilcoxon signed-rank); the\n"
              "rows come from the two commands above and `nasbench transfer transnas-micro/class_scene transnas-micro/autoencoder`\n"
              "(defaults: `--seeds 20 --budget 100 --seed 0`, 10 warm archs):\n\n"
              "| source -> target | strategy | cold | warm | gain [95% CI] | p |\n"
              "|---|---|---|---|---|---|\n"
              "{warm_rows}\n\n"
              "NB201 (`nasbench transfer nb201/cifar10 nb201/imagenet16-120 nb201/cifar100 --metric test_acc`): Spearman\n"
              "cifar10-imagenet16-120 {c10_in:.3f}, cifar10-cifar100 {c10_c100:.3f}, imagenet16-120-cifar100 {in_c100:.3f}. "
              "Similar tasks transfer: seeding with the class_scene or cifar10 best archs lowers the final\n"
              "regret of {every} significantly; class_scene -> autoencoder (Spearman {scene_auto:.2f}) gives {far_gain}\n"
              "final gain.")),
    Block("hardware", "exact", measure_hardware, needs=("nb201/cifar10", "nb201/cifar10@latency"), in_ci=False,
          about="RE vs RS under a Pixel 3 latency bound (2 min)",
          template=(
              "**Hardware-aware comparison.** `--constraint \"latency_ms@pixel3 <= 15\"` makes every strategy search "
              "only the archs meeting the bound (none other is ever evaluated) and measures regret against the best "
              "feasible arch ({best_feasible_report:.3f}, {n_feasible} of {n_archs} archs feasible); `--objectives "
              "test_acc,latency_ms@pixel3` sorts by mean hypervolume and allows `pareto_evolution`, a registered strategy "
              "(listed by `--list-strategies`) that needs a cost column, so it runs only with `--objectives` (and "
              "`--strategies all` includes it only then). The leaderboard adds final test and validation accuracy and "
              "the relative hypervolume (area dominated by the evaluated archs in test accuracy up, latency down, divided "
              "by that of all feasible archs; reference point: the feasible archs' median test accuracy and the bound, "
              "or `--hv-reference`), and `pareto_fronts.png` draws each strategy's median front. Under 15 ms with 300 "
              "evaluations and the NB201 defaults, regularized evolution beats random search on final test regret: "
              "{re0:.3f} vs {rs0:.3f} over 500 seeds (root seed 0, Wilcoxon p = {p0}) and, independently, {re1:.3f} vs "
              "{rs1:.3f} (root seed 1, p = {p1}); hypervolume {re_hv0:.3f} vs {rs_hv0:.3f}. With 100 seeds the test "
              "difference is {sweep}, and at 10 ms {ahead10} is ahead: the feasible arch with the "
              "best validation accuracy tests at only {test_of_best_valid10:.2f}.")),
    Block("nb201_protocol", "exact", measure_nb201_protocol, needs=("nb201/cifar10",), in_ci=False,
          about="NB201's protocol on CIFAR-10, 500 runs (1 min)", wrap=False,
          template=(
              "{table}\n\n"
              "REA is ahead of RS over all {n} paired runs (final regret {re:.3f} vs {rs:.3f}, Wilcoxon p = {p}, Holm\n"
              "{holm}). RS, REA and BOHB land within {gap:.1f} points of the paper.")),
    Block("surrogate_eval", "exact", measure_surrogate_eval, needs=("nb201/cifar10", "nb201/cifar100", "nb201/imagenet16-120"),
          wrap=False, about="XGBoost surrogate quality on NB201",
          template="{table}\n\n(one-hot XGBoost at 10% on cifar10: {onehot:.3f})."),
    Block("surrogate_mlp", "exact", measure_surrogate_mlp, needs=("nb201/cifar10",), in_ci=False,
          about="MLP ensemble vs XGBoost on nb201/cifar10 (1 min)",
          template=(
              "`--model mlp` fits a PyTorch MLP ensemble instead (needs `nasbench[train]`; served in numpy, equal to "
              "torch's forward to 1e-5): on cifar10 at 10% its held-out tau is {mlp[kendall_tau]:.3f} +- "
              "{mlp[kendall_tau_sd]:.3f} against XGBoost's {xgb[kendall_tau]:.3f} +- {xgb[kendall_tau_sd]:.3f}, top-10% "
              "tau {mlp[top10_kendall_tau]:.3f} against {xgb[top10_kendall_tau]:.3f}.")),
    Block("sample_surrogates", "exact", measure_sample_surrogates, in_ci=False,
          about="NB101 and DARTS surrogates on NASLib's samples (reads ../shared/data; under 1 min)",
          template=(
              "NB101 (hash written from NB101's published algorithm) and DARTS spaces have surrogates fit on the NASLib "
              "samples; their quality is modest and reported as measured (held-out Kendall tau of `valid_acc` at 80% "
              "training, mean of 3 splits, `nasbench surrogate eval nb101/cifar10 --from ../shared/data --metric "
              "valid_acc --train-fractions 0.8`: NB101 {nb101[kendall_tau]:.3f} +- {nb101[kendall_tau_sd]:.3f} on "
              "{nb101[n_train]} training archs, DARTS {darts[kendall_tau]:.3f} +- {darts[kendall_tau_sd]:.3f} on "
              "{darts[n_train]}; the DARTS targets are themselves probably NB301 predictions).")),
    Block("surrogate_check", "exact", measure_surrogate_check, needs=("nb201/cifar10",),
          about="search on nb201/cifar10 and on its surrogate",
          template=(
              "`nasbench surrogate check nb201/cifar10` runs the same strategy comparison on the table and on a "
              "surrogate fit on {fraction:.0%}: every strategy's mean final test accuracy is {within} {tolerance:g} "
              "points ({diffs} over {n_seeds} seeds).")),
    Block("optuna_tpe", "exact", measure_optuna_tpe, needs=("nb201/cifar10",), in_ci=False,
          about="Optuna TPE vs RS and RE on nb201/cifar10 (1 min)",
          template=(
              "TPE reaches a mean final test regret of {tpe[final_regret_mean]:.3f} [{tpe[final_regret_ci_low]:.3f}, "
              "{tpe[final_regret_ci_high]:.3f}], regularized evolution {re[final_regret_mean]:.3f} "
              "[{re[final_regret_ci_low]:.3f}, {re[final_regret_ci_high]:.3f}], random search {rs[final_regret_mean]:.3f} "
              "[{rs[final_regret_ci_low]:.3f}, {rs[final_regret_ci_high]:.3f}] (Friedman p = {friedman_p}; TPE vs "
              "regularized evolution: mean difference {diff:+.3f}, Wilcoxon W = {w:g}, Holm p = {holm_re}; TPE vs random "
              "search Holm p = {holm_rs}).")),
    Block("optuna_all", "exact", measure_optuna_all, needs=("nb201/cifar10",), in_ci=False,
          about="TPE beside every built-in on nb201/cifar10 and nb201/digits (6 min)",
          template=(
              "On nb201/cifar10 TPE is number {c10_place} of 10 by mean rank (mean final regret in mean-rank order: "
              "{c10_board}; Friedman p = {c10_p}); on nb201/digits (noisy evaluations) number {digits_place} ("
              "{digits_board}; Friedman p = {digits_p}).")),
    Block("warm_refits", "exact", measure_warm_refits, needs=("nb201/cifar10",), in_ci=False,
          about="BANANAS and gradient: warm vs scratch refits, 100 seeds (15 min on 2 busy cores)",
          template=(
              "Warm refits leave the result within noise: `nasbench compare {command}` gives final regret {b_warm:.3f} "
              "(warm) vs {b_scratch:.3f} (scratch) for BANANAS, Wilcoxon p = {b_p} over the 100 paired seeds, and "
              "{g_warm:.3f} vs {g_scratch:.3f} for the gradient method, p = {g_p} (Friedman over all four p = "
              "{friedman_p}).")),
    Block("speed", "timing", measure_speed, needs=("nb201/cifar10",), wrap=False, about="perf/perf_query.py lookup speed",
          template=(
              "| what | nasbench | baseline in the same run |\n"
              "|---|---|---|\n"
              "| 10^6 random archs, `bench.query` (numba kernel) | {api:.2f} ms = {api_rate} lookups/s | Python dict: "
              "{dict:.0f} ms = {dict_rate}/s; numpy indexing: {numpy:.2f} ms |\n"
              "| one arch by index, `bench.query(6111, \"test_acc\", 200)` | {single:.2f} us | Python dict lookup: "
              "{dict_single:.2f} us |\n"
              "| one arch by arch string | {string:.2f} us | |")),
    Block("cost_rule", "exact", measure_cost_rule, needs=("nb201/cifar10", "nb201/cifar100"),
          about="NB201's training times follow the per-image rule",
          template=(
              "**Costs of the searched run.** An evaluation costs the training time of the run whose metric is "
              "searched (`nasbench/benchmarks/_cost.py`). On nb201/cifar10, `valid_acc` comes from NB201's "
              "`cifar10-valid` run, trained on 25k images, while `train_time_s` times the `cifar10` run on 50k: NB201 "
              "derived every recorded time from one per-epoch time scaled by the number of training images, so the "
              "`cifar10-valid` run costs exactly half (our {n_timed} timed archs follow that rule: CIFAR-100/CIFAR-10 "
              "time ratio {ratio}). An epoch inside a longer run (the digits table's epochs 1-3, the learning curves) "
              "costs that run's time times epoch / run length.")),
    Block("simulator_costs", "exact", measure_simulator_costs, needs=("nb201/cifar10",),
          about="the simulated cost of an evaluation on nb201/cifar10",
          template=(
              "A simulator runs them with W asynchronous workers on a simulated clock: each evaluation costs the "
              "table's `train_time_s` (measured for every arch of nb201/digits; on the NB201 tables, where "
              "{n_estimated} of the {n_archs} archs have none, a least-squares per-edge op model fit on the {n_fit} "
              "measured archs stands in (R^2 {r2:.3f}), and the run manifest says so; a stored `surrogate fill` of "
              "`train_time_s` takes its place and is named instead). Search uses `valid_acc` at its highest fidelity; "
              "regret is measured on `test_acc` at the highest fidelity (epoch 4 on nb201/digits, 200 epochs on the "
              "NB201 tables) against the benchmark's best.")),
    Block("weight_sharing", "exact", measure_weight_sharing, needs=("nb201/cifar10",), in_ci=False,
          about="DARTS and GDAS on digits looked up in NB201 tables (4 min)",
          template=(
              "* `nasbench search darts,gdas --epochs E [--merge-into RUN_DIR]` trains an NB201 weight-sharing supernet "
              "(DARTS first order: softmax-mixed ops; GDAS: one Gumbel-sampled op per edge and step), derives the argmax "
              "arch, looks it up in the benchmark and places it on the compare leaderboard beside the black-box "
              "strategies, as NB201's paper does (same columns, bootstrap intervals, ranks recomputed on the merged "
              "board). On digits with a tiny supernet (C=8, N=1, 10 epochs) DARTS found archs at {darts_c10_accs} test accuracy "
              "on nb201/cifar10 (regret {darts_c10:.2f} on average over 2 seeds) and GDAS collapsed to skip/pool-heavy "
              "cells ({gdas_c10_accs}, regret {gdas_c10:.1f}), against random search's {rs_c10:.2f} at 100 table evaluations (`nasbench compare "
              "nb201/cifar10 --strategies random_search`). Looked up in nb201/digits (the default; `nasbench search "
              "darts,gdas --seeds 2 --jobs 2 --merge-into results`), the same DARTS cells are deep convolution stacks "
              "that learn slowly in a 4-epoch schedule (regret {darts_digits_regrets}) and GDAS scores regret "
              "{gdas_digits_regrets}, against random search's "
              "{rs_digits:.2f} in README command 1.")),
    Block("transfer_graph", "exact", measure_transfer_graph, needs=tuple(f"graph/{name}" for name in GRAPH_DATASETS),
          wrap=False, about="NAS-Bench-Graph Spearman matrix", template="{matrix}"),
]


# the per-device latency section's blocks live beside this script (perf/readme_figures_latency.py)
from readme_figures_latency import LATENCY_TEMPLATE, measure_latency_family  # noqa: E402

BLOCKS.append(Block("latency_family", "exact", measure_latency_family, LATENCY_TEMPLATE, needs=("nb201/cifar10@latency",),
                    wrap=False, in_ci=False, about="nasbench latency report --learnable-ceiling --replans 10 (1.3 min)"))


# the zero-cost proxy section's blocks (perf/readme_figures_zc.py); the CIFAR-10 ones need the data-free zc_*
# metrics added to the imported table (nasbench zc compute nb201/cifar10 --proxies synflow,params,flops,l2_norm)
from readme_figures_zc import (ZC_TEMPLATE, measure_zc_cifar10_report, measure_zc_digits_report,  # noqa: E402
                               measure_zc_features_cifar10, measure_zc_features_digits, measure_zc_warmstart)

BLOCKS += [
    Block("zc_digits_report", "exact", measure_zc_digits_report, ZC_TEMPLATE, wrap=False,
          about="nasbench zc report nb201/digits"),
    Block("zc_cifar10_report", "exact", measure_zc_cifar10_report, ZC_TEMPLATE, needs=("nb201/cifar10",), wrap=False,
          in_ci=False, about="zc report on nb201/cifar10 with NASLib's scores (needs its zc table, 20 min)"),
    Block("zc_features_digits", "exact", measure_zc_features_digits, ZC_TEMPLATE, wrap=False, in_ci=False,
          about="proxies as surrogate features on nb201/digits (3 min)"),
    Block("zc_features_cifar10", "exact", measure_zc_features_cifar10, ZC_TEMPLATE, needs=("nb201/cifar10",),
          wrap=False, in_ci=False, about="data-free proxies as surrogate features on nb201/cifar10 (3 min)"),
    Block("zc_warmstart", "exact", measure_zc_warmstart, ZC_TEMPLATE, needs=("nb201/cifar10",), wrap=False,
          in_ci=False, about="synflow warm start on nb201/cifar10 (5 min)"),
]


# the darts/digits section's block (perf/readme_figures_darts.py): recipe and pilot figures, library data
from readme_figures_darts import (DARTS_COMPARE_TEMPLATE, DARTS_DATA_TEMPLATE, DARTS_RECIPE_TEMPLATE,  # noqa: E402
                                  measure_darts_compare, measure_darts_data, measure_darts_recipe)

BLOCKS += [
    Block("darts_recipe", "exact", measure_darts_recipe, DARTS_RECIPE_TEMPLATE,
          about="darts/digits recipe and pilot (recipes.DARTS_PILOT)"),
    Block("darts_data", "exact", measure_darts_data, DARTS_DATA_TEMPLATE,
          about="the shipped darts/digits runs and its surrogate's held-out figures"),
    # exact but for the wall times (validate trains on the CPU); checked by hand
    Block("darts_compare", "exact", measure_darts_compare, DARTS_COMPARE_TEMPLATE, wrap=False, in_ci=False,
          about="compare on darts/digits@surrogate and validate --top 3 (1 min)"),
]

# ---------------------------------------------------------------- README plumbing

def readme_blocks(text: str) -> dict[str, str]:
    """``{name: body}`` of every generated block in the README text; a name may appear once."""
    found: dict[str, str] = {}
    for match in BLOCK.finditer(text):
        name = match["name"]
        if name in found:
            raise ValueError(f"README.md has two blocks named {name!r}; each block may appear once")
        found[name] = match["body"]
    return found


def missing_benchmarks(block: Block) -> list[str]:
    """The benchmarks ``block`` reads that do not load here (not imported into ``$NASBENCH_DATA``)."""
    import nasbench
    from nasbench.errors import NasbenchError

    missing = []
    for name in block.needs:
        try:
            nasbench.load(name)
        except NasbenchError:
            missing.append(name)
    return missing


def masked(text: str) -> str:
    """``text`` with every number replaced by ``#``: what a timing block must keep between runs."""
    return NUMBER.sub("#", text)


def agrees(block: Block, readme_body: str, rendered: str) -> bool:
    """Whether the README body of ``block`` agrees with a fresh rendering (see the module docstring)."""
    if block.kind == "timing":
        return masked(readme_body) == masked(rendered)
    return readme_body == rendered


def write_blocks(text: str, rendered: dict[str, str]) -> str:
    """``text`` with the bodies of the blocks in ``rendered`` replaced."""
    def replace(match):
        body = rendered.get(match["name"], match["body"])
        return f"<!-- figures: {match['name']} -->\n{body}<!-- /figures -->"
    return BLOCK.sub(replace, text)


def selected(only: list[str] | None) -> list[Block]:
    known = {block.name: block for block in BLOCKS}
    unknown = sorted(set(only or ()) - set(known))
    if unknown:
        raise SystemExit(f"error: --only {','.join(unknown)}: no such block; known: {', '.join(known)}")
    return [known[name] for name in only] if only else list(BLOCKS)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--check", action="store_true", help="re-measure and compare with README.md")
    action.add_argument("--write", action="store_true", help="re-measure and rewrite README.md's blocks")
    action.add_argument("--list", action="store_true", help="list the blocks")
    parser.add_argument("--only", type=lambda s: s.split(","), default=None, metavar="NAME,...")
    args = parser.parse_args(argv)
    blocks = selected(args.only)
    if args.list:
        for block in BLOCKS:
            print(f"{block.name:20s} {block.kind:7s} {block.about}" + (f" (reads {', '.join(block.needs)})" if block.needs else ""))
        return 0
    text = README.read_text()
    in_readme = readme_blocks(text)
    missing = sorted({block.name for block in BLOCKS} - set(in_readme))
    extra = sorted(set(in_readme) - {block.name for block in BLOCKS})
    if missing or extra:
        print(f"README.md and this script disagree on the blocks: missing in README {missing}, unknown {extra}")
        return 1
    rendered, failed = {}, []
    for block in blocks:
        if missing := missing_benchmarks(block):
            print(f"{block.name}: skipped (import {', '.join(missing)} into $NASBENCH_DATA first)")
            continue
        rendered[block.name] = block.render(block.measure())
        ok = agrees(block, in_readme[block.name], rendered[block.name])
        print(f"{block.name}: {'agrees' if ok else 'DIFFERS'}", flush=True)
        if not ok:
            failed.append(block.name)
            if args.check:
                sys.stdout.writelines(difflib.unified_diff(
                    in_readme[block.name].splitlines(True), rendered[block.name].splitlines(True),
                    "README.md", "measured now"))
    if args.write:
        # Re-read: measuring can take minutes, and others may edit README.md meanwhile; keep their edits.
        new = write_blocks(README.read_text(), rendered)
        tmp = README.with_suffix(".md.tmp")
        tmp.write_text(new)
        os.replace(tmp, README)  # atomic: a kill leaves the old README, never half a new one
        print(f"wrote {len(rendered)} block(s) into README.md")
        return 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
