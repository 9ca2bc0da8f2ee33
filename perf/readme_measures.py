"""What perf/readme_figures.py measures: one function per README block, run as a user would.

Each ``measure_*`` function runs the commands a README block quotes (the ``nasbench`` CLI in a fresh
process, or the public Python API) and returns the numbers its template needs; the templates and the
README plumbing are in ``readme_figures.py``.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent


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


def shared_data() -> str:
    """The public data folder: ``$NASBENCH_SHARED_DATA``, else ``../shared/data`` beside the checkout."""
    return os.environ.get("NASBENCH_SHARED_DATA") or str(ROOT.parent / "shared" / "data")


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
         "hyperband": "Hyperband", "bananas": "BANANAS",
         "successive_halving": "successive halving"}


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
            "re_rs_holm": p_text(re_rs["p_value_holm"]), "median_s": run["manifest"]["equal_cost_from"]["median_cost_s"]}


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


def measure_digits_setup() -> dict:
    """How nb201/digits was generated, read from its manifest, and the size of the shipped table."""
    info = json.loads(run_cli("info", "nb201/digits", "--json"))["info"]
    folder = ROOT / "tabular_data" / "embedded" / "nb201" / "digits"
    return {"info": info, "t": info["train_config"], "sp": info["split"], "wd": f"{info['train_config']['weight_decay']:.0e}"
            .replace("e-0", "e-"), "seeds": " and ".join(map(str, info["seeds"])),
            # the training results' arrays only: `nasbench zc compute` adds zc_* arrays (and manifest entries) to the folder
            "mib": sum(f.stat().st_size for f in folder.glob("*.npy") if not f.name.startswith("zc_")) / 2**20}


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


def measure_sample_surrogates() -> dict:
    """Held-out tau of the NB101 and DARTS surrogates at 80% of NASLib's samples (3 splits)."""
    return {space: surrogate_eval(f"{space}/cifar10", "--from", shared_data(), "--metric", "valid_acc", "--train-fractions",
                                  "0.8")[0] for space in ("nb101", "darts")}


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


WARM_SCRATCH = ("nb201/cifar10", "--strategies", "bananas,strategies.bananas:Bananas,gradient,strategies.gradient:GradientSurrogate",
                "--strategy-params", "strategies.bananas:Bananas.refit=scratch", "strategies.gradient:GradientSurrogate.refit=scratch",
                "--seeds", "100", "--budget", "300")


def measure_warm_refits() -> dict:
    """BANANAS and the gradient method with warm refits (default) against refits from scratch, 100 paired seeds."""
    run = run_compare(*WARM_SCRATCH)
    rows, stats = run["rows"], run["stats"]
    values = {"friedman_p": f"{stats['friedman']['p_value']:.2g}", "command": " ".join(WARM_SCRATCH)}
    for key, warm, scratch in (("b", "bananas", "strategies.bananas:Bananas"),
                               ("g", "gradient", "strategies.gradient:GradientSurrogate")):
        values.update({f"{key}_warm": rows[warm]["final_regret_mean"], f"{key}_scratch": rows[scratch]["final_regret_mean"],
                       f"{key}_p": f"{pair(stats, warm, scratch)['p_value']:.2g}"})
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


def measure_cost_rule() -> dict:
    """CIFAR-100 / CIFAR-10 training-time ratio on the archs both NB201 tables time (NB201's per-image rule)."""
    import numpy as np

    import nasbench

    c10, c100 = (nasbench.load(f"nb201/{d}").column("train_time_s", 200) for d in ("cifar10", "cifar100"))
    both = np.isfinite(c10) & np.isfinite(c100)
    low, high = (f"{r:.6f}" for r in (np.min(c100[both] / c10[both]), np.max(c100[both] / c10[both])))
    return {"n_timed": int(both.sum()), "ratio": low if low == high else f"{low}-{high}"}


def measure_simulator_costs() -> dict:
    """How a compare run on nb201/cifar10 charges evaluations: the cost model of its manifest."""
    run = run_compare("nb201/cifar10", "--strategies", "random_search", "--seeds", "2", "--budget", "10")
    cost = run["manifest"]["task"]["cost"]["per_fidelity"]["200"]
    return {"n_estimated": cost["n_estimated"], "n_archs": cost["n_estimated"] + cost["n_measured"],
            "n_fit": cost["estimate"]["n_fit"], "r2": cost["estimate"]["r2_fit"]}


def measure_weight_sharing() -> dict:
    """DARTS and GDAS (tiny supernet on digits, 2 seeds each) looked up in nb201/cifar10 and nb201/digits, beside RS."""
    import nasbench

    with tempfile.TemporaryDirectory(prefix="readme-figures-") as tmp:
        run_cli("search", "darts,gdas", "--seeds", "2", "--jobs", "2", "--out", f"{tmp}/search")
        results = json.loads(Path(tmp, "search", "search.json").read_text())
    values = {}
    for key, name, fidelity in (("c10", "nb201/cifar10", 200), ("digits", "nb201/digits", 4)):
        bench = nasbench.load(name)
        best = bench.best("test_acc", fidelity)[1]
        for method in ("darts", "gdas"):
            accs = [float(bench.query(r["arch_index"][-1], "test_acc", fidelity)) for r in results if r["method"] == method]
            values[f"{method}_{key}_accs"] = " and ".join(f"{a:.2f}" for a in accs)
            values[f"{method}_{key}_regrets"] = " and ".join(f"{best - a:.1f}" for a in accs)
            values[f"{method}_{key}"] = best - sum(accs) / len(accs)
    rs_c10 = run_compare("nb201/cifar10", "--strategies", "random_search", "--budget", "100")["rows"]["random_search"]
    rs_digits = run_compare()["rows"]["random_search"]  # README command 1, the run `--merge-into results` joins
    return {**values, "rs_c10": rs_c10["final_regret_mean"], "rs_digits": rs_digits["final_regret_mean"]}
