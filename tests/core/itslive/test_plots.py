"""GP plots and heat maps: PNG/SVG written atomically, bad names refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from surface_motion.core.errors import ParameterError
from surface_motion.core.itslive.plots import plot_gp, plot_heatmap


def _panel():
    img1 = pd.date_range("2020-01-01", periods=30, freq="10D")
    series = pd.DataFrame({"img1": img1, "img2": img1 + pd.Timedelta(days=24), "v": np.linspace(100, 200, 30),
                           "mission": ["S", "L"] * 15})
    dates = pd.date_range("2020-01-01", "2020-11-01", freq="D")
    v = np.linspace(100, 200, len(dates))
    prediction = pd.DataFrame({"date": dates, "v": v, "v_lower": v - 10, "v_upper": v + 10})
    return "point 1", series, prediction


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_gp_plot_and_heatmap_files(tmp_path, suffix):
    path = plot_gp([_panel(), _panel()], tmp_path / f"gp.{suffix}")
    head = path.read_bytes()[:200]
    assert head.startswith(b"\x89PNG") if suffix == "png" else b"<svg" in path.read_bytes()[:2000] or b"<?xml" in head
    dates = pd.date_range("2020-01-01", periods=12, freq="30D")
    values = np.random.default_rng(0).normal(500, 50, (12, 40))
    values[0, :5] = np.nan
    heat = plot_heatmap([("line 1", np.arange(40) * 100.0, dates, values)], tmp_path / f"heat.{suffix}")
    assert heat.stat().st_size > 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f"gp.{suffix}", f"heat.{suffix}"])


def test_bad_plot_name(tmp_path):
    with pytest.raises(ParameterError, match="png or .svg"):
        plot_gp([_panel()], tmp_path / "gp.pdf")
    assert not list(tmp_path.iterdir())
