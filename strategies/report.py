"""Plots of a comparison (matplotlib, optional extra ``nasbench[report]``).

Every figure is drawn with the Agg backend, fixed size and DPI and no date in its metadata, so the
same numbers give the same PNG bytes. Colours are the Okabe-Ito palette (:data:`OKABE_ITO`, safe for
the common colour-vision deficiencies), given to strategies in the run's one order
(:func:`colours`), so a strategy has the same colour in every figure of a run.

Regret curves use a logarithmic y axis (regret spans tens of points early and tenths late). Where
a plotted value is exactly 0 (every seed found the optimum), it cannot sit on a log axis: such
values are drawn at a floor one decade below the smallest positive value, a dotted line marks the
floor and the axis label states it. Beyond :data:`MAX_OVERLAID` strategies the curves are drawn as
small multiples: one panel per strategy, with the others in light grey behind it.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np

from nasbench.errors import OptionalDependencyError, install_hint

__all__ = ["MAX_OVERLAID", "OKABE_ITO", "colours", "log_floor", "plot_critical_difference", "plot_curves",
           "plot_pareto_fronts", "pyplot"]

_METADATA = {"Software": None}
# Okabe & Ito (2008), "Color Universal Design": blue, orange, bluish green, vermillion, reddish purple,
# sky blue, black, yellow (yellow last: it is faint on white)
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442")
_LINESTYLES = ("-", "--", ":", "-.")
MAX_OVERLAID = 5
_GREY = "0.8"


def colours(names) -> dict:
    """Strategy -> ``(colour, linestyle)`` in the given order: Okabe-Ito colours, then the same colours
    dashed, dotted, ... beyond 8 strategies."""
    return {n: (OKABE_ITO[i % len(OKABE_ITO)], _LINESTYLES[(i // len(OKABE_ITO)) % len(_LINESTYLES)])
            for i, n in enumerate(names)}


def pyplot():
    """Import matplotlib's pyplot on the Agg backend; a clear error names the extra to install."""
    try:
        import matplotlib
    except ImportError:
        raise OptionalDependencyError(
            f"plots need matplotlib, which is not installed; run `{install_hint('report')}` (or pass --no-plots)."
        ) from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def log_floor(curves: dict) -> float | None:
    """Where 0 is drawn on a log regret axis: one decade below the smallest positive plotted value
    (rounded down to a power of 10), or None when no plotted value is 0 (a plain log axis).

    Parameters
    ----------
    curves : dict name -> (mean, low, high), float64 arrays (NaN = nothing to draw)

    Raises
    ------
    ValueError
        If no plotted value is positive (a log axis cannot show the curves; use a linear one).
    """
    values = np.concatenate([np.ravel(v) for band in curves.values() for v in band])
    values = values[np.isfinite(values)]
    positive = values[values > 0]
    if positive.size == 0:
        raise ValueError("no positive value to draw on a log axis")
    if (values > 0).all():
        return None
    return 10.0 ** (math.floor(math.log10(float(positive.min()))) - 1)


def plot_curves(path, x, curves: dict, *, xlabel: str, ylabel: str, title: str, logx: bool = False,
                regret: bool = True, caption: str | None = None, ranks: dict | None = None) -> None:
    """Mean curve with a 95% band per strategy; small multiples beyond :data:`MAX_OVERLAID` strategies.

    Parameters
    ----------
    path : output PNG path
    x : float64 array of shape (n_grid,)
    curves : dict name -> (mean, low, high), each float64 array of shape (n_grid,), in the run's order
    regret : bool, default True
        Regret (>= 0): a log y axis, 0 drawn at :func:`log_floor` (said in the axis label); a linear axis
        when every value is 0. False: a linear axis (report values).
    caption : str, optional
        Printed under the plot (what the curves are and why they can rise).
    ranks : dict name -> int, optional
        Places on the leaderboard, shown in the panel titles of small multiples.
    """
    plt = pyplot()
    names = list(curves)
    style = colours(names)
    floor, log = None, regret
    if regret:
        try:
            floor = log_floor(curves)
        except ValueError:  # every value is 0: nothing to separate on a log axis
            log = False
    if log:
        ylabel += f", log scale (0 drawn at {floor:g})" if floor is not None else ", log scale"
    small = len(names) > MAX_OVERLAID
    n_cols = 1 if not small else (3 if len(names) <= 9 else 4)
    n_rows = math.ceil(len(names) / n_cols) if small else 1
    size = (7.0, 4.5) if not small else (3.3 * n_cols, 2.4 * n_rows + 0.8)
    lines = textwrap.wrap(caption, int(18 * size[0])) if caption else []  # ~18 characters per inch at 7.5 pt
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(size[0], size[1] + 0.16 * len(lines)), dpi=100,
                             sharex=True, sharey=True, squeeze=False)
    panels = [[n] for n in names] if small else [names]
    for ax, shown in zip(axes.flat, panels):
        if small:  # the others in light grey behind the panel's strategy
            for other in names:
                if other not in shown:
                    ax.plot(x, _drawn(curves[other][0], floor), color=_GREY, linewidth=0.9, drawstyle="steps-post")
        for name in shown:
            colour, dash = style[name]
            mean, low, high = (_drawn(v, floor) for v in curves[name])
            # steps: the incumbent's value holds until the next result changes it
            ax.plot(x, mean, color=colour, linestyle=dash, label=name, linewidth=1.6, drawstyle="steps-post")
            ax.fill_between(x, low, high, color=colour, alpha=0.2, linewidth=0, step="post")
        if small:
            place = f"{ranks[shown[0]]}. " if ranks else ""
            ax.set_title(place + shown[0], fontsize=9, color=style[shown[0]][0])
        _axes(ax, logx=logx, log=log, floor=floor)
    for k in range(len(panels), n_rows * n_cols):  # an empty slot: the panel above shows the x axis
        axes.flat[k].set_visible(False)
        axes.flat[k - n_cols].xaxis.set_tick_params(labelbottom=True)
        axes.flat[k - n_cols].set_xlabel(xlabel)
    for ax in axes[-1]:
        ax.set_xlabel(xlabel)
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel, fontsize=9)
    if small:
        fig.suptitle(title + " (one panel per strategy, the others in grey)", fontsize=10)
    else:
        axes[0, 0].set_title(title)
        axes[0, 0].legend(fontsize=8)
    _caption(fig, lines)
    fig.savefig(path, metadata=_METADATA)
    plt.close(fig)


def _drawn(values: np.ndarray, floor: float | None) -> np.ndarray:
    """Values as drawn: at least ``floor`` (0 on a log axis) when there is one."""
    return values if floor is None else np.maximum(values, floor)


def _axes(ax, *, logx: bool, log: bool, floor: float | None) -> None:
    if logx:
        ax.set_xscale("log")
    if log:
        from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

        ax.set_yscale("log")
        # 1, 2, 5 per decade, written as plain numbers: a reader sees 0.5 pp, not 5 x 10^-1
        ax.yaxis.set_major_locator(LogLocator(base=10.0, subs=(1.0, 2.0, 5.0)))
        # the floor's tick reads 0: what is drawn there (the dotted line marks the break in the axis)
        ax.yaxis.set_major_formatter(FuncFormatter(
            lambda v, _: "0" if floor is not None and math.isclose(v, floor) else f"{v:g}"))
        ax.yaxis.set_minor_formatter(NullFormatter())
        if floor is not None:
            ax.axhline(floor, color="0.5", linestyle=":", linewidth=0.9)
            ax.set_ylim(bottom=floor / 1.6)
    ax.grid(True, alpha=0.3, which="major")


def _caption(fig, lines: list) -> None:
    """Lay the figure out with room for the caption ``lines`` at the bottom."""
    bottom = (0.16 * len(lines) + 0.1) / fig.get_figheight() if lines else 0.0
    fig.tight_layout(rect=(0.0, bottom, 1.0, 1.0))
    for k, line in enumerate(lines):
        fig.text(0.01, bottom - (k + 1) * 0.16 / fig.get_figheight(), line, fontsize=7.5, color="0.25",
                 ha="left", va="bottom")


def plot_critical_difference(path, mean_ranks: dict, cd: float, cliques: list, *, title: str,
                             order=None) -> None:
    """Critical-difference diagram: strategies on a mean-rank axis; a bar joins each group of strategies
    whose mean ranks differ by less than ``cd`` (not significantly different, Nemenyi).

    Parameters
    ----------
    mean_ranks : dict name -> float
    cd : float
    cliques : list of list of str
        The groups joined by a bar (``stats.json``: ``not_significantly_different``).
    order : list of str, optional
        The run's order, which gives each strategy its colour (default: by mean rank).
    """
    plt = pyplot()
    names = sorted(mean_ranks, key=lambda n: (mean_ranks[n], n))
    style = colours(order if order is not None else names)
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
        y, right = -(i + 1), i >= k / 2
        ax.plot([rank, rank], [0, y], color="gray", linewidth=0.8)
        ax.text(k + 0.45 if right else 0.55, y, f"{name} ({rank:.2f})", va="center",
                ha="right" if right else "left", fontsize=8)
        ax.plot([rank, k + 0.4 if right else 0.6], [y, y], color="gray", linewidth=0.8)
        ax.plot([rank], [0], marker="o", markersize=5, color=style[name][0], zorder=3)
    for level, group in enumerate(cliques):
        lo, hi = min(mean_ranks[n] for n in group), max(mean_ranks[n] for n in group)
        ax.plot([lo - 0.03, hi + 0.03], [-0.3 - 0.25 * level] * 2, color="black", linewidth=3)
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
    fronts : dict name -> float64 array of shape (n_grid,) (NaN where undefined), in the run's order
    reference : (accuracy, cost)
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.0, 4.5), dpi=100)
    f = np.flatnonzero(feasible)
    ax.scatter(cost[f], accuracy[f], s=2, c="0.82", linewidths=0, label="feasible archs", rasterized=True)
    t = np.asarray(true_front)[np.argsort(cost[np.asarray(true_front)], kind="stable")]
    ax.step(np.r_[cost[t], reference[1]], np.r_[accuracy[t], accuracy[t][-1:]], where="post", color="black",
            linewidth=1.8, label="true front")
    style = colours(fronts)
    for name, front in fronts.items():
        colour, dash = style[name]
        ax.step(grid, front, where="post", color=colour, linestyle=dash, linewidth=1.4, label=f"{name} (median)")
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
