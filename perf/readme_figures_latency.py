"""README figures of the per-device latency section (a part of perf/readme_figures.py's blocks).

One run of ``nasbench latency report --learnable-ceiling --replans 10`` (leave one hardware family out,
10/20/50 measured archs, root seed 0, plans also made on 10 random halves of the candidates) gives every figure the section quotes: its summary rows of the
hierarchical model and its edge-device table are copied into the README as the command prints them,
and the closing paragraph's numbers are read from the same run.
"""

from __future__ import annotations

import re

from readme_measures import run_cli


def latency_report_text() -> str:
    """stdout of ``nasbench latency report --learnable-ceiling --replans 10`` (needs help-latency imported, xgboost)."""
    return run_cli("latency", "report", "--learnable-ceiling", "--replans", "10")


def _section(text: str, title_start: str) -> list[str]:
    """The lines of the report section whose ``## `` title starts with ``title_start`` (title excluded)."""
    lines, inside = [], False
    for line in text.splitlines():
        if line.startswith("## "):
            inside = line[3:].startswith(title_start)
            continue
        if inside and line.strip():
            lines.append(line.rstrip())
    if not lines:
        raise ValueError(f"the latency report has no section starting {title_start!r}")
    return lines


def _percent(line: str, column: int) -> float:
    return float(re.findall(r"(\d+\.\d)%", line)[column])


def measure_latency_family() -> dict:
    """The hierarchical model's summary rows, the edge table and the headline figures of one report run."""
    text = latency_report_text()
    summary = _section(text, "Summary over held-out families")
    rows = [summary[0]] + [line for line in summary[1:] if line.startswith("hierarchical")]
    edge = _section(text, "Edge devices")
    pick = {(line.split()[1], line.split()[2]): line for line in rows[1:]}
    meets = [line.split()[0] + (" (with `--device-like`)" if "device-like" in line else "")
             for line in edge[1:] if "meets the target" in line]
    below = [line.split()[0] for line in edge[1:] if line.split()[-1] != "target" and "meets" not in line]
    fragile = []  # devices that meet the target from the plan but not on average over the replanned halves
    for line in edge[1:]:
        if "meets the target" in line:
            halves = _percent(line, 3 if "device-like" in line else 2)
            worst = re.search(r"\((\d+)\)" + (r".*?\((\d+)\)" if "device-like" in line else ""), line).groups()[-1]
            if halves < 70:
                fragile.append(f"{line.split()[0]} averages {halves:.1f}% (worst {worst}%)")
    return {
        "summary": "\n".join(rows), "edge": "\n".join(edge),
        "plan20": _percent(pick["plan", "20"], 0), "like20": _percent(pick["like", "20"], 0),
        "random20": _percent(pick["random", "20"], 0),
        "meets": ", ".join(meets), "below": ", ".join(below),
        "fragile": ("A plan of 20 archs is one design, and its figure depends on the exact candidates: planned on 10 "
                    f"random halves of them, {' and '.join(fragile)}" if fragile else
                    "Planned on 10 random halves of the candidates, every device that meets the target still "
                    "meets it on average"),
    }


LATENCY_TEMPLATE = (
    "```\n"
    "$ nasbench latency report --learnable-ceiling --replans 10    # excerpt: the hierarchical model's summary\n"
    "{summary}\n\n"
    "# Edge devices, 20 planned archs; like = with --device-like; halves = planned on 10 random halves of the\n"
    "# candidates: mean (worst); learn = the better of trees and the latency features fit on 90% of the device's archs\n"
    "{edge}\n"
    "```\n\n"
    "From 20 archs chosen by `plan`, the median held-out family reaches {plan20:.1f}% within +-10% "
    "({like20:.1f}% when the user names the device kind with `--device-like`; {random20:.1f}% from 20 random "
    "archs). Edge devices that meet 70%: {meets}; below it: {below}. {fragile}.")
