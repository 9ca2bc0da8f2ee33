"""Regenerate the figures README.md quotes, so that they are re-measured, not remembered.

README.md holds generated blocks between two HTML comments (invisible on GitHub)::

    <!-- figures: NAME -->
    ...text this script renders for NAME...
    <!-- /figures -->

Each block is a template of prose (kept here, beside the code that measures its numbers) and a
function that runs the commands a user would run and returns the numbers. Blocks come in two kinds:

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
import json
import math
import os
import re
import subprocess
import sys
import tempfile
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
        if self.wrap:
            text = textwrap.fill(text, width=WIDTH, break_on_hyphens=False, break_long_words=False)
        return text + "\n"


# ---------------------------------------------------------------- running compare like a user

def run_compare(*flags: str, after: Callable[[Path], object] | None = None) -> dict:
    """Run ``nasbench compare FLAGS`` in a fresh process; return its leaderboard rows and statistics.

    Returns ``{"rows": {strategy: leaderboard.csv row as floats}, "stats": stats.json, "config":
    manifest["config"], "manifest": manifest.json}``; rows keep the leaderboard's order in ``"order"``.
    ``after(out_dir)``, when given, runs on the output folder before it is deleted; its result is ``"after"``.
    """
    with tempfile.TemporaryDirectory(prefix="readme-figures-") as tmp:
        out = Path(tmp) / "run"
        command = [sys.executable, "-m", "nasbench", "compare", *flags, "--out", str(out), "--quiet", "--no-plots"]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command[2:])} failed (rc {done.returncode}):\n{done.stderr[-2000:]}")
        rows, order = {}, []
        lines = (out / "leaderboard.csv").read_text().splitlines()
        header = lines[0].split(",")
        for line in lines[1:]:
            cells = dict(zip(header, line.split(",")))
            name = cells.pop("strategy")
            order.append(name)
            rows[name] = {key: float(value) for key, value in cells.items() if value not in ("", "nan")}
        stats = json.loads((out / "stats.json").read_text())
        manifest = json.loads((out / "manifest.json").read_text())
        extra = after(out) if after else None
    return {"rows": rows, "order": order, "stats": stats, "config": manifest["config"], "manifest": manifest,
            "after": extra}


def run_cli(*args: str) -> str:
    """Run ``nasbench ARGS`` in a fresh process as a user would; return its stdout (raise on failure)."""
    command = [sys.executable, "-m", "nasbench", *args]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[2:])} failed (rc {done.returncode}):\n{done.stderr[-2000:]}")
    return done.stdout


def run_transfer(*args: str) -> dict:
    """Run ``nasbench transfer ARGS`` in a fresh process; return its ``transfer.json``."""
    with tempfile.TemporaryDirectory(prefix="readme-figures-") as tmp:
        run_cli("transfer", *args, "--out", str(Path(tmp) / "run"))
        return json.loads((Path(tmp) / "run" / "transfer.json").read_text())


def md_matrix(labels: list[str], matrix: list[list[float]], digits: int) -> str:
    """A square matrix as a Markdown table with ``labels`` on both axes."""
    lines = ["| | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
    lines += [f"| {label} | " + " | ".join(f"{v:.{digits}f}" for v in row) + " |" for label, row in zip(labels, matrix)]
    return "\n".join(lines)


def listed(items: list[str]) -> str:
    """``["9", "10", "13"]`` as "9, 10 and 13" ("none" when empty)."""
    return "none" if not items else items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def pair(stats: dict, a: str, b: str) -> dict:
    """The pairwise Wilcoxon record of strategies ``a`` and ``b`` (either order) from stats.json."""
    for record in stats["pairwise_wilcoxon"]:
        if {record["a"], record["b"]} == {a, b}:
            return record
    raise KeyError(f"no pairwise test of {a} and {b} in stats.json")


def p_text(p: float) -> str:
    """A p-value as the README writes it: 3 significant digits, scientific below 0.001."""
    return f"{p:.2g}" if p < 0.001 else f"{p:.3g}"


# ---------------------------------------------------------------- blocks

NAMES = {"random_search": "random search", "regularized_evolution": "regularized evolution",
         "local_search": "local search", "bohb": "BOHB", "reinforce": "REINFORCE",
         "hyperband": "Hyperband", "bananas": "BANANAS"}


def measure_main_job() -> dict:
    """README command 1: ``nasbench compare`` with its defaults on nb201/digits."""
    run = run_compare()
    rows, stats, config = run["rows"], run["stats"], run["config"]
    by_regret = sorted(rows, key=lambda name: rows[name]["final_regret_mean"])
    best, worst = by_regret[0], by_regret[-1]
    significant = [f"{NAMES.get(q['a'], q['a'])} over {NAMES.get(q['b'], q['b'])} (Holm p = {p_text(q['p_value_holm'])})"
                   for q in stats["pairwise_wilcoxon"] if q["p_value_holm"] < 0.05]
    return {
        "n_strategies": len(rows), "n_seeds": config["n_seeds"], "budget_s": config["max_time_s"],
        "best": NAMES.get(best, best), "best_regret": rows[best]["final_regret_mean"],
        "worst": NAMES.get(worst, worst), "worst_regret": rows[worst]["final_regret_mean"],
        "re_regret": rows["regularized_evolution"]["final_regret_mean"],
        "rs_regret": rows["random_search"]["final_regret_mean"],
        "chi2": stats["friedman"]["statistic"], "df": stats["friedman"]["df"],
        "friedman_p": p_text(stats["friedman"]["p_value"]),
        "significant": "; ".join(significant) if significant else "none",
        "n_significant": len(significant), "n_pairs": len(stats["pairwise_wilcoxon"]),
        "p50": p_text(run_compare("--seeds", "50")["stats"]["friedman"]["p_value"]),
    }


def measure_digits_three() -> dict:
    """RS, RE and LS on nb201/digits at 300 evaluations, noisy and on the means."""
    flags = ("--strategies", "random_search,regularized_evolution,local_search", "--seeds", "100", "--budget", "300")
    values = {}
    for tag, extra in (("", ()), ("mean_", ("--noise", "mean"))):
        run = run_compare(*flags, *extra)
        rows, stats = run["rows"], run["stats"]
        for short, name in (("rs", "random_search"), ("re", "regularized_evolution"), ("ls", "local_search")):
            values[f"{tag}{short}"] = rows[name]["final_regret_mean"]
        values[f"{tag}friedman_p"] = p_text(stats["friedman"]["p_value"])
        re_rs = pair(stats, "random_search", "regularized_evolution")
        values[f"{tag}re_rs_w"] = re_rs["wilcoxon_W"]
        values[f"{tag}re_rs_holm"] = p_text(re_rs["p_value_holm"])
    values.update(measure_digits_floor())
    return values


def measure_digits_floor() -> dict:
    """The regret of the arch with the best mean validation accuracy on nb201/digits (epoch 4)."""
    import numpy as np

    import nasbench

    bench = nasbench.load("nb201/digits")
    valid, test = bench.column("valid_acc", 4), bench.column("test_acc", 4)
    pick = int(np.nanargmax(valid))
    best_test = float(np.nanmax(test))
    return {"floor": best_test - float(test[pick]), "floor_index": pick, "floor_valid": float(valid[pick]),
            "floor_test": float(test[pick]), "best_test": best_test}


def measure_cifar10_re_rs() -> dict:
    """RE against RS on nb201/cifar10 at 300 evaluations over 100 seeds."""
    run = run_compare("nb201/cifar10", "--strategies", "random_search,regularized_evolution,local_search",
                      "--seeds", "100", "--budget", "300")
    rows, record = run["rows"], pair(run["stats"], "random_search", "regularized_evolution")
    return {"re": rows["regularized_evolution"]["final_regret_mean"], "rs": rows["random_search"]["final_regret_mean"],
            "w": record["wilcoxon_W"], "p": p_text(record["p_value"])}


def measure_reference_values() -> dict:
    """Best ``test_acc`` at 200 epochs (and its index) on the three NB201 datasets."""
    import nasbench

    values = {}
    for dataset in ("cifar10", "cifar100", "imagenet16-120"):
        index, value = nasbench.load(f"nb201/{dataset}").best("test_acc", 200)
        key = dataset.split("-")[0]
        values[f"{key}_best"], values[f"{key}_index"] = float(value), int(index)
    return values


def measure_yahpo_compare() -> dict:
    """Five strategies on YAHPO's NB301 surrogate at equal simulated cost: the leaderboard as a table."""
    run = run_compare("darts/cifar10@yahpo", "--strategies",
                      "random_search,regularized_evolution,local_search,bohb,hyperband", "--seeds", "10", "--budget", "100")
    rows, stats = run["rows"], run["stats"]
    table = ["| rank | strategy | final valid_acc [95% bootstrap interval] | mean rank | evals | simulated s |",
             "|---|---|---|---|---|---|"]
    for name in run["order"]:
        r = rows[name]
        table.append(f"| {r['rank']:.0f} | {name} | {r['final_report_mean']:.2f} [{r['final_report_ci_low']:.2f}, "
                     f"{r['final_report_ci_high']:.2f}] | {r['mean_rank']:.1f} | {r['n_evals_mean']:.0f} | "
                     f"{r['sim_time_mean_s']:.3g} |")
    re_rs = pair(stats, "random_search", "regularized_evolution")
    return {"table": "\n".join(table), "chi2": stats["friedman"]["statistic"], "df": stats["friedman"]["df"],
            "p": p_text(stats["friedman"]["p_value"]), "re_rs_p": p_text(re_rs["p_value"]),
            "re_rs_holm": p_text(re_rs["p_value_holm"])}


def measure_python_api() -> dict:
    """The values the README's Python API example prints on nb201/cifar10."""
    import numpy as np

    import nasbench
    from nasbench.errors import MissingValueError

    bench = nasbench.load("nb201/cifar10")
    value = bench.query(6111, metric="test_acc", fidelity=200)
    batch = bench.query([6111, 0, "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"], "valid_acc", 12)
    try:
        bench.query(5000, "train_time_s", 200)
        raise RuntimeError("nb201/cifar10 now has train_time_s for arch 5000: update the README example")
    except MissingValueError:
        pass
    best = bench.best("test_acc", 200)
    return {"value": repr(float(value)), "value_type": f"{type(value).__module__.split('.')[0]} {type(value).__name__}",
            "batch_shape": batch.shape, "n_timed": int(np.isfinite(bench.column("train_time_s", 200)).sum()),
            "n_archs": len(bench.column("test_acc", 200)), "best": (int(best[0]), float(best[1]))}


def measure_digits_api() -> dict:
    """The values the README's nb201/digits example prints (the embedded table: no import)."""
    import nasbench

    digits = nasbench.load("nb201/digits")
    best = digits.best("test_acc", 4)
    return {"mean": float(digits.query(6111, "valid_acc", 4)), "seed0": float(digits.query(6111, "valid_acc", 4, seed=0)),
            "best": (int(best[0]), float(best[1])), "latency": float(digits.query(6111, "latency_ms_cpu"))}


def measure_digits_seed_agreement() -> dict:
    """Seed-agreement figures of nb201/digits, read from its manifest (``nasbench info nb201/digits --json``)."""
    info = json.loads(run_cli("info", "nb201/digits", "--json"))["info"]
    pilot, full = info["pilot"], info["seed_agreement_all_classes"]
    return {"p": pilot, "a": full, "n_classes": info["n_classes_trained"],
            "largest": ", ".join(f"{d:.0f}" for d in full["largest_abs_seed_differences"][:4])
            + f" and {full['largest_abs_seed_differences'][4]:.0f}"}


def measure_digits_vs_cifar10() -> dict:
    """How nb201/digits ranks archs against nb201/cifar10 (test_acc at epoch 4 vs at 200 epochs)."""
    import numpy as np
    from scipy.stats import spearmanr

    import nasbench

    digits = nasbench.load("nb201/digits").column("test_acc", 4)
    cifar = nasbench.load("nb201/cifar10").column("test_acc", 200)
    top = digits >= np.quantile(digits, 0.99)
    return {"rho": float(spearmanr(digits, cifar).statistic), "n_archs": len(digits),
            "top_median": float(np.median(cifar[top])), "median": float(np.median(cifar)),
            "relation": "below" if np.median(cifar[top]) < np.median(cifar) else "above"}


TNB_TASKS = ("class_scene", "class_object", "autoencoder", "jigsaw", "normal", "room_layout", "segmentsemantic")


def warm_rows(run: dict) -> list[str]:
    """The warm-start rows of a transfer.json as README table rows (final regret; Wilcoxon p to 2 digits)."""
    short = {name: name.split("/")[1] for name in run["names"]}
    ws = run["warm_start"]
    return [f"| {short[ws['source']]} -> {short[ws['target']]} | {row['strategy']} | {f['cold_mean']:.3f} | "
            f"{f['warm_mean']:.3f} | {f['gain_mean']:+.3f} [{f['gain_low']:+.3f}, {f['gain_high']:+.3f}] | {f['p']:.2g} |"
            for row in ws["rows"] for f in [row["final"]]]


def measure_transfer() -> dict:
    """``nasbench transfer`` on TNB micro (7 tasks; class_scene -> autoencoder) and NB201 (3 datasets)."""
    tnb = run_transfer(*(f"transnas-micro/{task}" for task in TNB_TASKS))
    far = run_transfer("transnas-micro/class_scene", "transnas-micro/autoencoder")
    nb201 = run_transfer("nb201/cifar10", "nb201/imagenet16-120", "nb201/cifar100", "--metric", "test_acc")
    rho = nb201["spearman"]
    near = [row["final"]["p"] < 0.05 and row["final"]["gain_mean"] > 0 for run in (tnb, nb201) for row in run["warm_start"]["rows"]]
    far_significant = [row["final"]["p"] < 0.05 for row in far["warm_start"]["rows"]]
    return {"every": "every strategy" if all(near) else f"{sum(near)} of {len(near)} strategy runs",
            "far_gain": "some significant" if any(far_significant) else "no significant",
            "tnb_matrix": md_matrix(list(TNB_TASKS), tnb["spearman"], 2),
            "warm_rows": "\n".join(warm_rows(tnb) + warm_rows(far) + warm_rows(nb201)),
            "c10_in": rho[0][1], "c10_c100": rho[0][2], "in_c100": rho[1][2], "scene_auto": tnb["spearman"][0][2]}


GRAPH_DATASETS = ("cora", "citeseer", "pubmed", "cs", "physics", "photo", "computers", "arxiv")


def measure_transfer_graph() -> dict:
    """Spearman matrix of valid_acc over eight NAS-Bench-Graph datasets (``nasbench transfer --no-search``)."""
    run = run_transfer(*(f"graph/{name}" for name in GRAPH_DATASETS), "--no-search")
    return {"matrix": md_matrix(list(GRAPH_DATASETS), run["spearman"], 3)}


def measure_hardware() -> dict:
    """RE vs RS on nb201/cifar10 under a Pixel 3 latency bound: 500 seeds at 15 ms (root seeds 0, 1), 100 at 8-20 ms."""
    import numpy as np

    import nasbench

    flags = ("nb201/cifar10", "--strategies", "random_search,regularized_evolution", "--budget", "300")
    values = {}
    for seed in (0, 1):
        run = run_compare(*flags, "--constraint", "latency_ms@pixel3 <= 15", "--seeds", "500", "--seed", str(seed))
        rows, record = run["rows"], pair(run["stats"], "random_search", "regularized_evolution")
        values.update({f"re{seed}": rows["regularized_evolution"]["final_regret_mean"], f"p{seed}": f"{record['p_value']:.2g}",
                       f"rs{seed}": rows["random_search"]["final_regret_mean"],
                       f"re_hv{seed}": rows["regularized_evolution"]["hypervolume_mean"],
                       f"rs_hv{seed}": rows["random_search"]["hypervolume_mean"]})
        values.update(run["manifest"]["hardware"]["constraint"]) if seed == 0 else None
    sweep = {ms: run_compare(*flags, "--constraint", f"latency_ms@pixel3 <= {ms}", "--seeds", "100") for ms in range(8, 21)}
    ahead = {name: [str(ms) for ms, run in sweep.items() if pair(run["stats"], "random_search", "regularized_evolution")
                    ["p_value"] < 0.05 and run["order"][0] == name] for name in ("regularized_evolution", "random_search")}
    n_significant = len(ahead["regularized_evolution"]) + len(ahead["random_search"])
    ten = sweep[10]["rows"]
    cifar = nasbench.load("nb201/cifar10")
    latency = nasbench.load("nb201/cifar10@latency").column("latency_ms@pixel3")
    valid = np.where(latency <= 10, cifar.column("valid_acc", 200), -np.inf)
    return {**values, "sweep": "not significant at any of the bounds 8-20 ms" if not n_significant else
            f"significant (p < 0.05) at {n_significant} of the 13 bounds 8-20 ms (regularized evolution ahead at "
            f"{listed(ahead['regularized_evolution'])}, random search at {listed(ahead['random_search'])} ms)",
            "ahead10": "random search" if ten["random_search"]["final_regret_mean"] < ten["regularized_evolution"]["final_regret_mean"]
            else "regularized evolution", "test_of_best_valid10": float(cifar.column("test_acc", 200)[int(np.argmax(valid))])}


def measure_nb201_protocol() -> dict:
    """``configs/nb201-protocol.toml`` (500 runs of RS, REA, REINFORCE, BOHB) and its report script's table."""
    def report(out: Path) -> str:
        done = subprocess.run([sys.executable, "configs/nb201_protocol_report.py", str(out)], cwd=ROOT,
                              capture_output=True, text=True, check=True)
        return "\n".join(line for line in done.stdout.splitlines() if line.startswith("|"))

    run = run_compare("--config", "configs/nb201-protocol.toml", after=report)
    cells = {line.split(" | ")[0][2:]: line.split(" | ") for line in run["after"].splitlines()[2:]}
    gaps = [abs(float(cells[m][i].split(" +- ")[0]) - float(cells[m][i + 1].split(" +- ")[0]))
            for m in ("RS", "REA", "BOHB") for i in (2, 4)]
    record = pair(run["stats"], "random_search", "regularized_evolution")
    rows = run["rows"]
    return {"table": run["after"], "n": run["config"]["n_seeds"], "re": rows["regularized_evolution"]["final_regret_mean"],
            "rs": rows["random_search"]["final_regret_mean"], "p": p_text(record["p_value"]),
            "holm": p_text(record["p_value_holm"]), "gap": math.ceil(max(gaps) * 10) / 10}


def surrogate_eval(name: str, *flags: str) -> list[dict]:
    """``nasbench surrogate eval NAME FLAGS --json``: one row per training fraction (taus are means over the seeds)."""
    return json.loads(run_cli("surrogate", "eval", name, *flags, "--json"))["rows"]


def measure_surrogate_eval() -> dict:
    """Held-out Kendall tau of the default XGBoost surrogate on the three NB201 tables, and of one-hot features."""
    datasets = ("cifar10", "cifar100", "imagenet16-120")
    taus = {dataset: [row["kendall_tau"] for row in surrogate_eval(f"nb201/{dataset}")] for dataset in datasets}
    lines = ["| training archs | " + " | ".join(datasets) + " |", "|---|---|---|---|"]
    lines += [f"| {fraction} | " + " | ".join(f"{taus[d][i]:.3f}" for d in datasets) + " |"
              for i, fraction in enumerate(("1%", "5%", "10%"))]
    onehot = surrogate_eval("nb201/cifar10", "--encoding", "onehot", "--train-fractions", "0.1")[0]["kendall_tau"]
    return {"table": "\n".join(lines), "onehot": onehot}


def measure_surrogate_mlp() -> dict:
    """The MLP ensemble against XGBoost on nb201/cifar10 at 10% training archs (3 splits)."""
    mlp, xgb = (surrogate_eval("nb201/cifar10", "--train-fractions", "0.1", *flags)[0]
                for flags in (("--model", "mlp"), ()))
    return {"mlp": mlp, "xgb": xgb}


def measure_surrogate_check() -> dict:
    """``nasbench surrogate check nb201/cifar10``: table vs 10%-surrogate search results (20 seeds)."""
    check = json.loads(run_cli("surrogate", "check", "nb201/cifar10", "--json"))
    diff = {row["strategy"]: row["difference"] for row in check["rows"]}
    return {"fraction": check["train_fraction"], "n_seeds": check["n_seeds"], "tolerance": check["tolerance"],
            "within": "within" if check["all_within_tolerance"] else "not always within",
            "diffs": ", ".join(f"{NAMES.get(name, name)} {d:+.3f}" for name, d in diff.items())}


def measure_optuna_tpe() -> dict:
    """Optuna's TPE beside RS and RE on nb201/cifar10, 300 evaluations, 50 seeds."""
    run = run_compare("nb201/cifar10", "--strategies", "optuna:tpe,random_search,regularized_evolution", "--seeds", "50",
                      "--budget", "300")
    rows, stats = run["rows"], run["stats"]
    board = {short: rows[name] for short, name in (("tpe", "optuna:tpe"), ("re", "regularized_evolution"), ("rs", "random_search"))}
    tpe_re, tpe_rs = pair(stats, "optuna:tpe", "regularized_evolution"), pair(stats, "optuna:tpe", "random_search")
    sign = 1 if tpe_re["a"] == "optuna:tpe" else -1  # mean_difference is a - b
    return {**board, "friedman_p": f"{stats['friedman']['p_value']:.2g}", "diff": sign * tpe_re["mean_difference"],
            "w": tpe_re["wilcoxon_W"], "holm_re": f"{tpe_re['p_value_holm']:.2g}", "holm_rs": f"{tpe_rs['p_value_holm']:.2g}"}


ALL_WITH_TPE = "random_search,regularized_evolution,local_search,reinforce,bananas,successive_halving,hyperband,bohb,gradient,optuna:tpe"


def measure_optuna_all() -> dict:
    """TPE beside every built-in at equal simulated cost on nb201/cifar10 and nb201/digits (50 seeds, 300 x median)."""
    values = {}
    for key, name in (("c10", "nb201/cifar10"), ("digits", "nb201/digits")):
        run = run_compare(name, "--strategies", ALL_WITH_TPE, "--seeds", "50", "--budget", "300")
        by_rank = sorted(run["rows"], key=lambda strategy: run["rows"][strategy]["mean_rank"])
        values[f"{key}_place"] = by_rank.index("optuna:tpe") + 1
        values[f"{key}_board"] = ", ".join(f"{NAMES.get(s, s.replace('optuna:tpe', 'TPE'))} "
                                           f"{run['rows'][s]['final_regret_mean']:.3f}" for s in by_rank)
        values[f"{key}_p"] = f"{run['stats']['friedman']['p_value']:.2g}"
    return values


def measure_speed() -> dict:
    """``python perf/perf_query.py`` on the imported nb201/cifar10: lookup times beside baselines (best of 7)."""
    done = subprocess.run([sys.executable, "perf/perf_query.py"], cwd=ROOT, capture_output=True, text=True, check=True)
    found = dict(re.findall(r"^\s+(.+?)\s{2,}([\d.]+) (?:ms|us)", done.stdout, re.M))
    ms = {key: float(found[label]) for key, label in (
        ("api", "bench.query (numba kernel)"), ("dict", "baseline: Python dict in a list"),
        ("numpy", "baseline: numpy fancy indexing"), ("single", "bench.query(6111, 'test_acc', 200)"),
        ("string", "bench.query(arch_string, ...)"), ("dict_single", "baseline: Python dict lookup"))}
    def rate(t_ms):  # lookups per second of 10**6 archs in t_ms, as 5.5e8
        return f"{1e9 / t_ms:.1e}".replace("e+0", "e")
    return {**ms, "api_rate": rate(ms["api"]), "dict_rate": rate(ms["dict"])}


def measure_simulator_costs() -> dict:
    """How a compare run on nb201/cifar10 charges evaluations: the cost model of its manifest."""
    run = run_compare("nb201/cifar10", "--strategies", "random_search", "--seeds", "2", "--budget", "10")
    cost = run["manifest"]["task"]["cost"]["per_fidelity"]["200"]
    return {"n_estimated": cost["n_estimated"], "n_archs": cost["n_estimated"] + cost["n_measured"],
            "n_fit": cost["estimate"]["n_fit"], "r2": cost["estimate"]["r2_fit"]}


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
    Block("speed", "timing", measure_speed, needs=("nb201/cifar10",), wrap=False, about="perf/perf_query.py lookup speed",
          template=(
              "| what | nasbench | baseline in the same run |\n"
              "|---|---|---|\n"
              "| 10^6 random archs, `bench.query` (numba kernel) | {api:.2f} ms = {api_rate} lookups/s | Python dict: "
              "{dict:.0f} ms = {dict_rate}/s; numpy indexing: {numpy:.2f} ms |\n"
              "| one arch by index, `bench.query(6111, \"test_acc\", 200)` | {single:.2f} us | Python dict lookup: "
              "{dict_single:.2f} us |\n"
              "| one arch by arch string | {string:.2f} us | |")),
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
    Block("transfer_graph", "exact", measure_transfer_graph, needs=tuple(f"graph/{name}" for name in GRAPH_DATASETS),
          wrap=False, about="NAS-Bench-Graph Spearman matrix", template="{matrix}"),
]


# the per-device latency section's blocks live beside this script (perf/readme_figures_latency.py)
sys.path.insert(0, str(Path(__file__).resolve().parent))
from readme_figures_latency import LATENCY_TEMPLATE, measure_latency_family  # noqa: E402

BLOCKS.append(Block("latency_family", "exact", measure_latency_family, LATENCY_TEMPLATE, needs=("nb201/cifar10@latency",),
                    wrap=False, in_ci=False, about="nasbench latency report --learnable-ceiling (1 min)"))


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
