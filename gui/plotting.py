"""What the inspector draws, on a matplotlib Figure (no Qt here; the dock owns the canvas).

EGMS: displacement (mm) of each picked point with its PD model in the legend, and east/up of
the same cells together when both L3 layers are loaded. ITS_LIVE: the pixel's inverted
velocity with its ±1σ band, the raw image pairs as horizontal bars over [img1, img2] (pairs the
robust inversion down-weighted drawn apart) and the GP band when one was computed.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from ..core.itslive.analysis.plots import draw_gp_band
from .egms_series import PointSeries, SeriesModel, legend_text
from .itslive_series import PixelSeries

#: pairs whose robust factor is below this are drawn as down-weighted
DOWNWEIGHTED = 0.5
TIME_LINE = {"color": "#d62728", "linewidth": 1.0, "alpha": 0.8}


@dataclass
class EgmsPick:
    """A picked EGMS point: its series, its model and, when loaded, the other L3 component's series."""

    series: PointSeries
    model: SeriesModel | None
    partner: PointSeries | None = None


def _dates(values) -> np.ndarray:
    return mdates.date2num(pd.to_datetime(np.asarray(values)).to_numpy())


def _finish_time_axis(ax) -> None:
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.grid(alpha=0.3)


def draw_egms(fig: Figure, picks: list[EgmsPick]) -> list:
    """One panel of the picked layer's series (+ a panel of east and up when partners exist); returns the axes."""
    fig.clear()
    with_partner = [p for p in picks if p.partner is not None]
    axes = [fig.add_subplot(2 if with_partner else 1, 1, 1)]
    colours = [f"C{i % 10}" for i in range(len(picks))]
    ax = axes[0]
    for pick, colour in zip(picks, colours, strict=True):
        s = pick.series
        ax.plot(
            _dates(s.dates), s.values, ".", color=colour, markersize=3, label=f"{s.label} ({s.layer_name})"
        )
        if pick.model is not None:
            ax.plot(
                _dates(pick.model.dates),
                pick.model.values,
                "-",
                color=colour,
                linewidth=1.2,
                label=f"model: {legend_text(s, pick.model)}",
            )
    ax.set_ylabel("displacement [mm]")
    if picks:
        ax.set_title(
            f"{picks[0].series.component} displacement"
            if picks[0].series.component != "LOS"
            else "line-of-sight displacement",
            fontsize=10,
        )
        ax.legend(loc="best", fontsize=7)
    _finish_time_axis(ax)
    if with_partner:
        ax2 = fig.add_subplot(2, 1, 2, sharex=ax)
        axes.append(ax2)
        for pick, colour in zip(picks, colours, strict=True):
            if pick.partner is None:
                continue
            by_component = {pick.series.component: pick.series, pick.partner.component: pick.partner}
            for component, style in (("E", "--"), ("U", "-")):
                s = by_component[component]
                ax2.plot(
                    _dates(s.dates),
                    s.values,
                    style,
                    color=colour,
                    linewidth=1.0,
                    label=f"{'east' if component == 'E' else 'up'} {s.point_id}",
                )
        ax2.set_ylabel("east (dashed), up [mm]")
        ax2.set_title("east and up of the same cells", fontsize=10)
        ax2.legend(loc="best", fontsize=7, ncol=2)
        _finish_time_axis(ax2)
    fig.tight_layout()
    return axes


def draw_itslive(
    fig: Figure,
    pixel: PixelSeries,
    components: tuple[str, ...],
    pairs: pd.DataFrame | None,
    gp: pd.DataFrame | None,
) -> list:
    """One panel per component (v, and vx/vy on demand); returns the axes."""
    fig.clear()
    axes = []
    t = _dates(pixel.times)
    for i, component in enumerate(components):
        ax = fig.add_subplot(len(components), 1, i + 1, sharex=axes[0] if axes else None)
        axes.append(ax)
        shown = [pixel.values[component]]
        if pairs is not None and len(pairs):
            _draw_pairs(ax, pairs, component)
            shown.append(pairs[component].to_numpy(float))
        value, error = pixel.values[component], pixel.values.get(f"{component}_error")
        if error is not None:
            ax.fill_between(
                t, value - error, value + error, color="C0", alpha=0.25, linewidth=0, label="inversion ±1σ"
            )
        ax.plot(
            t,
            value,
            "-o",
            color="C0",
            markersize=2.5,
            linewidth=1.4,
            label=f"inversion ({pixel.interval_days:g}-day bins)",
        )
        if gp is not None and component in gp.columns:
            draw_gp_band(ax, gp, component)
            shown.append(gp[component].to_numpy(float))
        _robust_limits(ax, np.concatenate(shown))
        ax.set_ylabel(f"{component} [m/yr]")
        ax.legend(loc="upper left", fontsize=7, ncol=3)
        _finish_time_axis(ax)
    axes[0].set_title(
        f"pixel row {pixel.row}, col {pixel.col} (x {pixel.x:.0f}, y {pixel.y:.0f})", fontsize=10
    )
    fig.tight_layout()
    return axes


def _draw_pairs(ax, pairs: pd.DataFrame, component: str) -> None:
    x1, x2 = _dates(pairs["img1"]), _dates(pairs["img2"])
    y = pairs[component].to_numpy(float)
    weight = pairs["weight"].to_numpy(float) if "weight" in pairs else np.ones(len(pairs))
    low = weight < DOWNWEIGHTED
    for sel, colour, style, label in (
        (~low, "#1f77b4", "solid", "image pairs"),
        (low, "#d62728", (0, (2, 2)), "pairs down-weighted (robust)"),
    ):
        if not sel.any():
            continue
        segments = np.stack([np.column_stack([x1[sel], y[sel]]), np.column_stack([x2[sel], y[sel]])], axis=1)
        ax.add_collection(
            LineCollection(
                segments,
                colors=colour,
                linestyles=style,
                linewidths=1.6,
                alpha=0.55 if colour == "#1f77b4" else 0.8,
                label=f"{label} ({sel.sum()})",
            )
        )


def _robust_limits(ax, values: np.ndarray) -> None:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return
    lo, hi = np.percentile(finite, [1, 99])
    pad = 0.15 * (hi - lo or max(abs(hi), 1.0))
    ax.set_ylim(lo - pad, hi + pad)


def draw_time_line(axes: list, when: np.datetime64 | None, lines: list) -> list:
    """Replace the vertical lines at the temporal controller's time; returns the new lines."""
    for line in lines:
        line.remove()
    if when is None:
        return []
    x = _dates([when])[0]
    return [ax.axvline(x, **TIME_LINE) for ax in axes]
