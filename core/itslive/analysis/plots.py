"""Figures people look at: GP regressions of point series and distance–time heat maps (PNG or SVG).

matplotlib's object API with the Agg canvas (no pyplot): no GUI backend, safe in QGIS worker threads.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from ...errors import ParameterError
from ...io import atomic_output
from ...progress import Progress, ensure_progress
from .config import PLOT_FORMATS

#: a GP plot shows at most this many points (one panel each)
MAX_PLOT_PANELS = 12
_MISSION_COLOURS = {"S": "#1f77b4", "L": "#ff7f0e"}
_MISSION_NAMES = {"S": "Sentinel pairs", "L": "Landsat pairs"}
REJECTED_COLOUR = "#d62728"
REJECTED_LABEL = "rejected by the robust GP"


def _check_format(path: Path) -> str:
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in PLOT_FORMATS:
        raise ParameterError("PLOT", f"{path.name}: use a .png or .svg file name")
    return fmt


def _save(fig: Figure, path: str | Path) -> Path:
    path = Path(path)
    fmt = _check_format(path)
    FigureCanvasAgg(fig)
    with atomic_output(path) as tmp:
        fig.savefig(tmp, format=fmt, dpi=150, bbox_inches="tight")
    return path


def _mission_of(series: pd.DataFrame) -> np.ndarray:
    for column in ("mission", "mission_img1"):
        if column in series.columns:
            return series[column].astype(str).str.strip().str.upper().str[:1].to_numpy()
    return np.full(len(series), "?")


def rejected_pairs(series: pd.DataFrame, component: str) -> np.ndarray:
    """Which pairs the robust GP rejected (``<component>_pair_weight`` below :data:`.gp.ACCEPT_WEIGHT`);
    none when the series has no weights."""
    from .gp import ACCEPT_WEIGHT

    column = f"{component}_pair_weight"
    if column not in series.columns:
        return np.zeros(len(series), dtype=bool)
    return (series[column] < ACCEPT_WEIGHT).to_numpy()


def draw_gp_band(ax: Axes, prediction: pd.DataFrame, component: str) -> np.ndarray:
    """The GP mean and its ±2σ band (``date, <component>, <component>_lower, <component>_upper``) on
    ``ax``; returns the dates as matplotlib numbers. The plots here and the inspector draw it alike."""
    dates = mdates.date2num(pd.to_datetime(prediction["date"]).to_numpy())
    ax.fill_between(
        dates,
        prediction[f"{component}_lower"],
        prediction[f"{component}_upper"],
        color="k",
        alpha=0.18,
        linewidth=0,
        label="GP ±2σ",
    )
    ax.plot(dates, prediction[component], color="k", linewidth=1.2, label="GP mean")
    return dates


def _gp_axes(ax: Axes, series: pd.DataFrame, prediction: pd.DataFrame, component: str, title: str) -> None:
    x1 = mdates.date2num(pd.to_datetime(series["img1"]).to_numpy())
    x2 = mdates.date2num(pd.to_datetime(series["img2"]).to_numpy())
    y = series[component].to_numpy(float)
    mission = _mission_of(series)
    down = rejected_pairs(series, component)

    def bars(sel: np.ndarray) -> np.ndarray:
        return np.stack([np.column_stack([x1[sel], y[sel]]), np.column_stack([x2[sel], y[sel]])], axis=1)

    for code in np.unique(mission[~down]):
        ax.add_collection(
            LineCollection(
                bars((mission == code) & ~down),
                colors=_MISSION_COLOURS.get(code, "0.5"),
                linewidths=1.2,
                alpha=0.45,
                label=_MISSION_NAMES.get(code, "pairs"),
            )
        )
    if down.any():  # pairs the fit hardly used: drawn apart, so that a band far from them is explained
        ax.add_collection(
            LineCollection(
                bars(down),
                colors=REJECTED_COLOUR,
                linewidths=1.0,
                alpha=0.8,
                linestyles="dashed",
                label=REJECTED_LABEL,
            )
        )
    dates = draw_gp_band(ax, prediction, component)
    finite = np.concatenate([y[np.isfinite(y)], prediction[component].to_numpy(float)])
    lo, hi = np.nanpercentile(finite, [0.5, 99.5]) if finite.size else (0.0, 1.0)
    pad = 0.1 * (hi - lo or 1.0)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlim(min(x1.min(), dates.min()), max(x2.max(), dates.max()))
    ax.xaxis_date()
    ax.set_ylabel(f"{component} [m/yr]")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=7, ncol=4)


def plot_gp(
    panels: Sequence[tuple[str, pd.DataFrame, pd.DataFrame]], path: str | Path, component: str = "v"
) -> Path:
    """One panel per (title, observations, prediction): each pair as a horizontal bar over
    [img1, img2] at its velocity (coloured by mission; dashed red when the robust GP rejected it),
    the GP mean and its ±2σ band.

    observations: ``img1, img2, <component>`` (+ ``mission``, ``<component>_pair_weight``); prediction:
    ``date, <component>, <component>_lower, <component>_upper``. Written atomically as PNG or SVG (from the suffix).
    """
    if not panels:
        raise ParameterError("PLOT", "nothing to plot")
    _check_format(Path(path))
    return _save(gp_figure(panels, component), path)


def write_gp_plot(
    panels: list, path: str | Path, component: str = "v", progress: Progress | None = None
) -> Path:
    """The GP plot (PNG/SVG from the suffix) of the first :data:`MAX_PLOT_PANELS` points; warns when it
    leaves points out."""
    if len(panels) > MAX_PLOT_PANELS:
        ensure_progress(progress).warn(f"the plot shows the first {MAX_PLOT_PANELS} of {len(panels)} points")
    return plot_gp(panels[:MAX_PLOT_PANELS], path, component)


def gp_figure(panels: Sequence[tuple[str, pd.DataFrame, pd.DataFrame]], component: str = "v") -> Figure:
    """The figure of :func:`plot_gp`; pairs with a ``<component>_pair_weight`` below
    :data:`.gp.ACCEPT_WEIGHT` are drawn dashed red with their own legend entry."""
    fig = Figure(figsize=(11, 3.2 * len(panels)))
    for i, (title, series, prediction) in enumerate(panels):
        _gp_axes(fig.add_subplot(len(panels), 1, i + 1), series, prediction, component, title)
    return fig


def plot_heatmap(
    panels: Sequence[tuple[str, np.ndarray, pd.DatetimeIndex | np.ndarray, np.ndarray]],
    path: str | Path,
    label: str = "v [m/yr]",
) -> Path:
    """Distance–time heat maps, one panel per (title, distance (n,) m, dates (t,), values (t, n))."""
    if not panels:
        raise ParameterError("HEATMAP", "nothing to plot")
    _check_format(Path(path))
    fig = Figure(figsize=(10, 3.6 * len(panels)))
    finite = np.concatenate([np.asarray(v, float).ravel() for _, _, _, v in panels])
    finite = finite[np.isfinite(finite)]
    vmin, vmax = np.percentile(finite, [1, 99]) if finite.size else (0.0, 1.0)
    for i, (title, distance, dates, values) in enumerate(panels):
        ax = fig.add_subplot(len(panels), 1, i + 1)
        t = mdates.date2num(pd.to_datetime(np.asarray(dates)).to_numpy())
        mesh = ax.pcolormesh(
            np.asarray(distance) / 1000.0,
            t,
            np.ma.masked_invalid(values),
            shading="nearest",
            cmap="viridis",
            vmin=vmin,
            vmax=vmax,
        )
        ax.yaxis_date()
        ax.set_xlabel("distance along line [km]")
        ax.set_title(title, fontsize=10)
        fig.colorbar(mesh, ax=ax, label=label)
    return _save(fig, path)
