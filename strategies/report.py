"""Plots of a comparison (matplotlib, optional extra ``nasbench[report]``).

Every figure is drawn with the Agg backend, fixed size and DPI and no date in its metadata, so the
same numbers give the same PNG bytes.
"""

from __future__ import annotations

import numpy as np

from nasbench.errors import OptionalDependencyError

__all__ = ["plot_critical_difference", "plot_curves", "plot_pareto_fronts", "pyplot"]

_METADATA = {"Software": None}


def pyplot():
    """Import matplotlib's pyplot on the Agg backend; a clear error names the extra to install."""
    try:
        import matplotlib
    except ImportError:
        raise OptionalDependencyError(
            'plots need matplotlib, which is not installed; run `pip install "nasbench[report]"` '
            "(or pass --no-plots)."
        ) from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def plot_curves(path, x, curves: dict, *, xlabel: str, ylabel: str, title: str, logx: bool = False,
                regret: bool = True) -> None:
    """Mean curve with a 95% confidence band per strategy.

    Parameters
    ----------
    path : output PNG path
    x : float64 array of shape (n_grid,)
    curves : dict name -> (mean, low, high), each float64 array of shape (n_grid,)
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.0, 4.5), dpi=100)
    for i, (name, (mean, low, high)) in enumerate(curves.items()):
        color = f"C{i % 10}"
        ax.plot(x, mean, color=color, label=name, linewidth=1.6)
        ax.fill_between(x, np.maximum(low, 0.0), high, color=color, alpha=0.2, linewidth=0)
    if logx:
        ax.set_xscale("log")
    if regret:  # regret spans ~50 pp early and ~0.1 pp late: linear below 0.1, logarithmic above
        ax.set_yscale("symlog", linthresh=0.1)
        ax.set_ylim(bottom=0.0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, metadata=_METADATA)
    plt.close(fig)


def plot_critical_difference(path, mean_ranks: dict, cd: float, *, title: str) -> None:
    """Critical-difference diagram: strategies on a mean-rank axis; a bar joins strategies whose
    mean ranks differ by less than ``cd`` (not significantly different, Nemenyi)."""
    plt = pyplot()
    names = sorted(mean_ranks, key=lambda n: (mean_ranks[n], n))
    ranks = np.array([mean_ranks[n] for n in names])
    k = len(names)
    fig, ax = plt.subplots(figsize=(7.0, 1.2 + 0.35 * k), dpi=100)
    ax.set_xlim(0.5, k + 0.5)
    ax.set_ylim(-(k + 1), 2)
    ax.axhline(0, color="black", linewidth=1)
    for r in range(1, k + 1):
        ax.plot([r, r], [0, 0.2], color="black", linewidth=1)
        ax.text(r, 0.35, str(r), ha="center", fontsize=8)
    for i, (name, rank) in enumerate(zip(names, ranks)):
        y = -(i + 1)
        ax.plot([rank, rank], [0, y], color="gray", linewidth=0.8)
        ax.text(k + 0.45 if i >= k / 2 else 0.55, y, f"{name} ({rank:.2f})", va="center",
                ha="right" if i >= k / 2 else "left", fontsize=8)
        ax.plot([rank, k + 0.4 if i >= k / 2 else 0.6], [y, y], color="gray", linewidth=0.8)
    # cliques: maximal runs of strategies within cd of each other
    level = 0
    last_end = -1
    for i in range(k):
        j = i
        while j + 1 < k and ranks[j + 1] - ranks[i] < cd:
            j += 1
        if j > i and j > last_end:
            ax.plot([ranks[i] - 0.03, ranks[j] + 0.03], [-0.3 - 0.25 * level] * 2, color="red", linewidth=3)
            level += 1
            last_end = j
    if np.isfinite(cd):
        ax.plot([1, 1 + cd], [1.3, 1.3], color="black", linewidth=2)
        ax.text(1 + cd / 2, 1.45, f"CD = {cd:.2f}", ha="center", fontsize=8)
    ax.axis("off")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, metadata=_METADATA)
    plt.close(fig)


def plot_pareto_fronts(path, cost, accuracy, feasible, true_front, grid, fronts: dict, reference, *,
                       xlabel: str, ylabel: str, title: str) -> None:
    """Accuracy-versus-cost fronts: every feasible arch (grey), the table's true front (black) and each
    strategy's median attainment front over seeds (the best accuracy reached at each cost by at least
    half of the runs), above the hypervolume reference point (dotted lines).

    Parameters
    ----------
    cost, accuracy : float64 arrays of shape (n_archs,)
    feasible : bool array of shape (n_archs,)
    true_front : int array of arch indices
    grid : float64 array of shape (n_grid,), ascending costs
    fronts : dict name -> float64 array of shape (n_grid,) (NaN where undefined)
    reference : (accuracy, cost)
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.0, 4.5), dpi=100)
    f = np.flatnonzero(feasible)
    ax.scatter(cost[f], accuracy[f], s=2, c="0.82", linewidths=0, label="feasible archs", rasterized=True)
    t = np.asarray(true_front)[np.argsort(cost[np.asarray(true_front)], kind="stable")]
    ax.step(np.r_[cost[t], reference[1]], np.r_[accuracy[t], accuracy[t][-1:]], where="post", color="black",
            linewidth=1.8, label="true front")
    for i, (name, front) in enumerate(fronts.items()):
        ax.step(grid, front, where="post", color=f"C{i % 10}", linewidth=1.4, label=f"{name} (median)")
    ref_acc, ref_cost = reference
    ax.axhline(ref_acc, color="0.4", linestyle=":", linewidth=1)
    ax.axvline(ref_cost, color="0.4", linestyle=":", linewidth=1)
    top = float(np.max(accuracy[f]))
    ax.set_ylim(ref_acc - 0.25 * (top - ref_acc), top + 0.1 * (top - ref_acc))
    ax.set_xlim(float(np.min(cost[f])) - 0.02 * ref_cost, ref_cost * 1.05)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, metadata=_METADATA)
    plt.close(fig)
