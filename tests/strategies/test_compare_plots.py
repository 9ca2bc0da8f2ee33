"""compare's plots: Okabe-Ito colours, a log regret axis that says where 0 is drawn, and small
multiples beyond five strategies."""

from __future__ import annotations

import numpy as np
import pytest

from strategies import report

pytest.importorskip("matplotlib")


def _curves(n: int, zero: bool = False) -> dict:
    x = np.linspace(10.0, 0.5, 40)
    out = {}
    for k in range(n):
        mean = x * (1 + 0.2 * k)
        low = mean * 0.7
        if zero and k == 0:
            mean, low = np.r_[mean[:-5], np.zeros(5)], np.r_[low[:-5], np.zeros(5)]
        out[f"s{k}"] = (mean, low, mean * 1.3 + 0.01)
    return out


def _pixels(path) -> set:
    from matplotlib.image import imread

    rgb = np.round(imread(path)[..., :3] * 255).astype(int).reshape(-1, 3)
    return {"#%02X%02X%02X" % tuple(p) for p in np.unique(rgb, axis=0)}


def test_strategies_get_okabe_ito_colours_in_the_runs_order():
    style = report.colours(["b", "a", "c"])
    assert [c for c, _ in style.values()] == list(report.OKABE_ITO[:3]) and list(style) == ["b", "a", "c"]
    many = report.colours([f"s{k}" for k in range(10)])
    assert many["s8"] == (report.OKABE_ITO[0], "--")  # colours repeat dashed, never leave the palette


def test_lines_are_drawn_in_the_palette_only(tmp_path):
    path = tmp_path / "c.png"
    report.plot_curves(path, np.arange(1, 41), _curves(3), xlabel="evaluations", ylabel="regret", title="t")
    seen = _pixels(path)
    assert set(report.OKABE_ITO[:3]) <= seen  # line cores in the exact palette colours
    assert not {"#1F77B4", "#FF7F0E", "#2CA02C"} & seen  # not matplotlib's default cycle


def test_log_floor_is_a_decade_below_the_smallest_positive_value():
    assert report.log_floor(_curves(2)) is None  # no zero: a plain log axis
    assert report.log_floor(_curves(2, zero=True)) == pytest.approx(0.001)  # smallest positive: 0.01
    zeros = {"a": (np.zeros(3), np.zeros(3), np.zeros(3))}
    with pytest.raises(ValueError, match="no positive value to draw on a log axis"):
        report.log_floor(zeros)


def test_regret_axis_is_log_and_labels_the_floor(tmp_path, monkeypatch):
    import matplotlib.figure

    seen = {}
    real = matplotlib.figure.Figure.savefig

    def keep(fig, *args, **kw):
        seen["axes"] = [(ax.get_yscale(), ax.get_ylabel()) for ax in fig.axes if ax.get_visible()]
        return real(fig, *args, **kw)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", keep)
    report.plot_curves(tmp_path / "a.png", np.arange(1, 41), _curves(2, zero=True), xlabel="e", ylabel="regret",
                       title="t")
    assert seen["axes"] == [("log", "regret, log scale (0 drawn at 0.001)")]
    report.plot_curves(tmp_path / "b.png", np.arange(1, 4), {"a": (np.zeros(3),) * 3}, xlabel="e",
                       ylabel="regret", title="t")
    assert seen["axes"] == [("linear", "regret")]  # all zero: nothing a log axis could show
    report.plot_curves(tmp_path / "c.png", np.arange(1, 41), _curves(7), xlabel="e", ylabel="regret", title="t",
                       caption="why the curves can rise", ranks={f"s{k}": k + 1 for k in range(7)})
    assert len(seen["axes"]) == 7 and {s for s, _ in seen["axes"]} == {"log"}  # one panel per strategy


def test_small_multiples_grey_out_the_other_strategies(tmp_path):
    from matplotlib.image import imread

    one, many = tmp_path / "one.png", tmp_path / "many.png"
    report.plot_curves(one, np.arange(1, 41), _curves(5), xlabel="e", ylabel="r", title="t")
    report.plot_curves(many, np.arange(1, 41), _curves(6), xlabel="e", ylabel="r", title="t")
    assert imread(many).shape[1] > imread(one).shape[1]  # a grid of panels, not one crowded axis
    assert "#CCCCCC" in _pixels(many) and set(report.OKABE_ITO[:6]) <= _pixels(many)
