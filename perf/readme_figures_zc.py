"""README figures of the zero-cost proxy section (a part of perf/readme_figures.py's blocks).

Each block runs one ``nasbench zc ...`` command as a user would and copies the Markdown table it prints
(the caption line above the table included) into the README, below the command itself.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from readme_measures import run_cli, shared_data


def zc_table(*args: str) -> dict:
    """Run ``nasbench zc ARGS`` (its PNG goes to a temporary folder); return ``{"command", "table"}``:
    the command as the README shows it and the caption and Markdown table it printed."""
    with tempfile.TemporaryDirectory(prefix="readme-zc-") as tmp:
        extra = ("--plot", str(Path(tmp) / "plot.png")) if args[0] in ("report", "warmstart") else ()
        lines = run_cli("zc", *args, *extra).splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("|"))
    caption = [line for line in lines[:first] if line.strip()][-1:]
    table = [line for line in lines[first:] if line.startswith("|")]
    shown = " ".join(a if a != shared_data() else "../shared/data" for a in args)
    return {"command": f"nasbench zc {shown}", "table": "\n".join(caption + [""] * bool(caption) + table)}


def measure_zc_digits_report() -> dict:
    return zc_table("report", "nb201/digits", "--markdown")


def measure_zc_cifar10_report() -> dict:
    return zc_table("report", "nb201/cifar10", "--naslib", shared_data(), "--markdown")


def measure_zc_features_digits() -> dict:
    return zc_table("features", "nb201/digits", "--seeds", "20")


def measure_zc_features_cifar10() -> dict:
    return zc_table("features", "nb201/cifar10", "--proxies", "synflow", "params", "flops", "l2_norm", "--seeds", "20")


def measure_zc_warmstart() -> dict:
    return zc_table("warmstart", "nb201/cifar10", "--proxy", "synflow", "--strategies",
                    "random_search", "regularized_evolution", "local_search", "bananas", "--seeds", "20",
                    "--time-budget", "200000")


ZC_TEMPLATE = "`{command}`:\n\n{table}"
