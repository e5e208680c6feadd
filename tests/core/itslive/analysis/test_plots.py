"""GP plots and heat maps: PNG/SVG written atomically, bad names refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from surface_motion.core.errors import ParameterError
from surface_motion.core.itslive.analysis.plots import REJECTED_LABEL, gp_figure, plot_gp, plot_heatmap


def _panel():
    img1 = pd.date_range("2020-01-01", periods=30, freq="10D")
    series = pd.DataFrame(
        {
            "img1": img1,
            "img2": img1 + pd.Timedelta(days=24),
            "v": np.linspace(100, 200, 30),
            "mission": ["S", "L"] * 15,
        }
    )
    dates = pd.date_range("2020-01-01", "2020-11-01", freq="D")
    v = np.linspace(100, 200, len(dates))
    prediction = pd.DataFrame({"date": dates, "v": v, "v_lower": v - 10, "v_upper": v + 10})
    return "point 1", series, prediction


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_gp_plot_and_heatmap_files(tmp_path, suffix):
    path = plot_gp([_panel(), _panel()], tmp_path / f"gp.{suffix}")
    head = path.read_bytes()[:200]
    assert (
        head.startswith(b"\x89PNG")
        if suffix == "png"
        else b"<svg" in path.read_bytes()[:2000] or b"<?xml" in head
    )
    dates = pd.date_range("2020-01-01", periods=12, freq="30D")
    values = np.random.default_rng(0).normal(500, 50, (12, 40))
    values[0, :5] = np.nan
    heat = plot_heatmap([("line 1", np.arange(40) * 100.0, dates, values)], tmp_path / f"heat.{suffix}")
    assert heat.stat().st_size > 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f"gp.{suffix}", f"heat.{suffix}"])


def test_bad_plot_name(tmp_path):
    with pytest.raises(ParameterError, match=r"png or \.svg"):
        plot_gp([_panel()], tmp_path / "gp.pdf")
    assert not list(tmp_path.iterdir())


def _bars(ax) -> dict[str, set[tuple[float, float, float]]]:
    """label → the (start, end, velocity) of the horizontal bars drawn under that label."""
    from matplotlib.collections import LineCollection

    return {
        c.get_label(): {
            (round(seg[0][0], 6), round(seg[1][0], 6), round(seg[0][1], 6)) for seg in c.get_segments()
        }
        for c in ax.collections
        if isinstance(c, LineCollection)
    }


def test_gp_plot_marks_the_rejected_pairs():
    import matplotlib.dates as mdates

    title, series, prediction = _panel()
    weights = np.ones(len(series))
    weights[[3, 4, 17]] = [0.0, 1e-6, 0.09]
    weights[9] = 0.1  # at the threshold: accepted
    series = series.assign(v_pair_weight=weights)
    ax = gp_figure([(title, series, prediction)]).axes[0]
    bars = _bars(ax)

    def expected(rows) -> set:
        sub = series.iloc[rows]
        return {
            (round(mdates.date2num(a), 6), round(mdates.date2num(b), 6), round(v, 6))
            for a, b, v in zip(sub["img1"], sub["img2"], sub["v"], strict=True)
        }

    assert bars[REJECTED_LABEL] == expected([3, 4, 17])
    kept = [i for i in range(len(series)) if i not in (3, 4, 17)]
    assert bars["Sentinel pairs"] | bars["Landsat pairs"] == expected(kept)
    assert REJECTED_LABEL in [t.get_text() for t in ax.get_legend().get_texts()]
    # without weights (not robust, or an older table) nothing is marked
    assert REJECTED_LABEL not in _bars(gp_figure([_panel()]).axes[0])
