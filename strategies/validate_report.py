"""The files of a validate report: ``validate.csv``, ``validate.md``, ``validate.json`` and the scatter.

:func:`write_report` writes them from the dict :func:`strategies.validate.validate` returns;
:func:`scatter_figure` draws predicted against measured accuracy and latency, one point per arch,
with the line y = x on which a perfect prediction would lie.
"""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import numpy as np

from nasbench.errors import OptionalDependencyError, install_hint
from strategies._json import jsonable
from strategies.report import OKABE_ITO

__all__ = ["COLUMNS", "markdown", "scatter_figure", "write_report"]

#: Columns of ``validate.csv``, in order.
#: ``arch_index`` is the NB201 index (empty for DARTS archs, which have none); ``pick`` numbers the
#: validated archs from 1 (best pick first) and labels DARTS archs in the markdown table and the scatter.
COLUMNS = ("pick", "arch_index", "arch", "picked_by", "predicted_acc", "measured_acc", "abs_err_acc", "predicted_rank",
           "measured_rank", "predicted_latency_ms", "measured_latency_ms", "abs_err_latency_ms",
           "measured_valid_acc", "measured_test_acc", "measured_acc_sd", "train_time_s", "params_m", "flops_m",
           "latency_trained_ms", "device")
_TEXT_COLUMNS = ("arch", "picked_by", "device")
# from Okabe & Ito's colour-blind-safe palette (the one every plot uses): blue points, vermillion labels, black y = x
_POINT, _LABEL, _DIAGONAL = OKABE_ITO[0], OKABE_ITO[3], OKABE_ITO[6]


def write_report(report: dict, out_dir, *, plot: bool = True) -> list[str]:
    """Write ``validate.csv``, ``validate.md``, ``validate.json`` and ``validate_scatter.png``.

    Without matplotlib the scatter is skipped and ``report["notes"]`` (and ``validate.json``) say so.

    Returns
    -------
    list of str
        The file names written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "validate.csv").write_text(_csv(report["rows"]))
    (out / "validate.json").write_text(json.dumps(jsonable(report), indent=1, sort_keys=True) + "\n")
    (out / "validate.md").write_text(markdown(report))
    written = ["validate.csv", "validate.json", "validate.md"]
    if plot:
        try:
            _scatter(out / "validate_scatter.png", report["rows"], report["summary"])
            written.append("validate_scatter.png")
        except OptionalDependencyError as exc:
            report["notes"].append(f"validate_scatter.png skipped: {exc}")
            (out / "validate.json").write_text(json.dumps(jsonable(report), indent=1, sort_keys=True) + "\n")
    return written


def _fmt(v) -> str:
    if v is None:  # no value of this kind (the NB201 index of a DARTS arch): an empty cell
        return ""
    if isinstance(v, float):
        return "nan" if not math.isfinite(v) else f"{v:.6f}"
    return str(v)


def _csv(rows) -> str:
    """CSV text: one line per arch; text cells quoted (arch strings hold ``|``, ``~`` and ``+``)."""
    lines = [",".join(COLUMNS)]
    for r in rows:
        lines.append(",".join('"' + str(r[c]).replace('"', '""') + '"' if c in _TEXT_COLUMNS else _fmt(r.get(c))
                              for c in COLUMNS))
    return "\n".join(lines) + "\n"


def markdown(report: dict) -> str:
    """``validate.md``: what was predicted and measured, the summary figures, one table row per arch.

    Every table cell is escaped, so an NB201 arch string (``|nor_conv_3x3~0|+|...``) stays in its cell.
    """
    from strategies.leaderboard import markdown_table

    rows, s = report["rows"], report["summary"]
    md = [
        f"## Validation of {len(rows)} picks from {report['benchmark']}",
        "",
        f"- predicted accuracy: {s['predicted_acc']}; measured: {s['measured_acc']}",
        f"- predicted latency: {s['predicted_latency']}; measured: {s['measured_latency']}",
        f"- Kendall tau, accuracy: {s['kendall_tau_acc']:.3f}; latency: {s['kendall_tau_latency']:.3f}",
        (f"- mean (max) absolute error, accuracy: {s['mae_acc']:.2f} ({s['max_abs_err_acc']:.2f}) pp; "
         f"latency: {s['mae_latency_ms']:.3f} ({s['max_abs_err_latency_ms']:.3f}) ms"),
        *_seed_lines(s),
        *[f"- note: {n}" for n in report["notes"]],
        "",
    ]
    head = ("arch", "picked by", "predicted acc", "measured acc", "abs err", "predicted latency ms",
            "measured latency ms", "abs err ms")
    table = [(f"{_label(r)} `{r['arch']}`", r["picked_by"], f"{r['predicted_acc']:.2f}",
              f"{r['measured_acc']:.2f}", f"{r['abs_err_acc']:.2f}", f"{r['predicted_latency_ms']:.3f}",
              f"{r['measured_latency_ms']:.3f}", f"{r['abs_err_latency_ms']:.3f}") for r in rows]
    return "\n".join(md + markdown_table(head, table)) + "\n"


def _seed_lines(s: dict) -> list[str]:
    """The prediction's error against one training run beside a second run's, where seeds were repeated."""
    one, two = float(s.get("mae_acc_vs_one_seed", math.nan)), float(s.get("mae_acc_seed_vs_seed", math.nan))
    if not (math.isfinite(one) and math.isfinite(two)):
        return []
    return [f"- against one training run: the prediction's mean absolute error is {one:.2f} pp; a second run "
            f"of the same arch differs by {two:.2f} pp on average (a prediction better than one more run has the "
            "smaller figure)"]


def _label(row) -> str:
    """How a row is named in the table and the scatter: its NB201 index, or ``#pick`` for a DARTS arch."""
    return row.get("label") or str(row["arch_index"])


def _label_words(rows) -> str:
    """What the point labels are, in words."""
    return "NB201 index" if all(r.get("arch_index") is not None for r in rows) else "pick number, as in validate.md"


# ---------------------------------------------------------------- the scatter
def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise OptionalDependencyError(
            f"the scatter plot needs matplotlib ({exc}); install it with {install_hint('report')}, "
            "or pass --no-plot."
        ) from None
    return plt


def _scatter(path, rows, s) -> None:
    """Draw :func:`scatter_figure` into the PNG ``path`` (fixed size and DPI, no date in the metadata)."""
    plt = _pyplot()
    fig = scatter_figure(rows, s)
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)


def scatter_figure(rows, s):
    """Predicted (x) against measured (y) accuracy and latency, one labelled point per arch.

    Each panel has equal axes (the same range and ticks on x and y, square) and the line y = x, on
    which a perfect prediction lies; points above it measured higher than predicted. A caption says
    what was predicted and what was measured (they may differ in scale: e.g. 200-epoch CIFAR-10
    accuracy against a few epochs on digits, where Kendall tau is the figure to read).

    Parameters
    ----------
    rows : list of dict
        The report's rows (``predicted_acc``, ``measured_acc``, ``predicted_latency_ms``, ...).
    s : dict
        The report's summary (Kendall tau and the descriptions of both sides).

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 6.2))
    panels = (("predicted_acc", "measured_acc", "test accuracy (%)", "kendall_tau_acc"),
              ("predicted_latency_ms", "measured_latency_ms", "latency (ms)", "kendall_tau_latency"))
    for ax, (p, m, label, tau) in zip(axes, panels):
        _panel(ax, rows, p, m, label, s.get(tau, math.nan))
    caption = textwrap.wrap(
        f"Each point is one validated arch (label: its {_label_words(rows)}); dashed line: y = x (measured = predicted). "
        f"Accuracy predicted: {s.get('predicted_acc', '?')}; measured: {s.get('measured_acc', '?')}. "
        f"Latency predicted: {s.get('predicted_latency', '?')}; measured: {s.get('measured_latency', '?')}.", 160)
    # caption lines at the bottom, one legend for both panels above them (it never hides a point), then the panels
    line = 0.026  # height of a 7-point line (1.2 spacing) in figure units, with room to spare (6.2 inch figure)
    fig.text(0.01, 0.012, "\n".join(caption), fontsize=7, va="bottom", ha="left")
    legend_y = 0.02 + line * len(caption)
    handles = {h.get_label(): h for ax in axes for h in ax.get_legend_handles_labels()[0]}
    fig.legend(list(handles.values()), list(handles), loc="lower center", ncol=len(handles), fontsize=9,
               bbox_to_anchor=(0.5, legend_y), frameon=False)
    fig.tight_layout(rect=(0, legend_y + 0.05, 1, 1))
    return fig


def _panel(ax, rows, p: str, m: str, label: str, tau: float) -> None:
    """One square panel: the points, their labels, y = x, equal limits and ticks."""
    from matplotlib.ticker import MaxNLocator

    x = np.array([r[p] for r in rows], dtype=np.float64)
    y = np.array([r[m] for r in rows], dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    ax.set_xlabel(f"predicted {label}")
    ax.set_ylabel(f"measured {label}")
    tau = float(tau)  # a report read back from validate.json holds NaN as "nan"
    tau_text = "n/a" if not math.isfinite(tau) else f"{tau:.2f}"
    ax.set_title(f"{label.split(' (')[0]}: Kendall tau = {tau_text} ({int(ok.sum())} archs)", fontsize=10)
    if not ok.any():
        ax.text(0.5, 0.5, "nothing to compare\n(no measured or no predicted value)", ha="center", va="center",
                transform=ax.transAxes, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        return
    lo, hi = float(min(x[ok].min(), y[ok].min())), float(max(x[ok].max(), y[ok].max()))
    pad = 0.06 * (hi - lo) if hi > lo else max(abs(hi) * 0.05, 0.5)
    lo, hi = lo - pad, hi + pad
    ax.plot([lo, hi], [lo, hi], linestyle="--", color=_DIAGONAL, linewidth=1, label="y = x (measured = predicted)",
            zorder=1)
    ax.scatter(x[ok], y[ok], s=36, color=_POINT, edgecolor="white", linewidth=0.6,
               label=f"validated arch (label: {_label_words(rows)})", zorder=3)
    for r, xi, yi in zip((r for r, k in zip(rows, ok) if k), x[ok], y[ok]):
        ax.annotate(_label(r), (xi, yi), fontsize=7, color=_LABEL, xytext=(4, 3),
                    textcoords="offset points")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal", adjustable="box")
    locator = MaxNLocator(nbins=5)
    ticks = [t for t in locator.tick_values(lo, hi) if lo <= t <= hi]
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    ax.tick_params(labelsize=9)
    ax.grid(alpha=0.3)
