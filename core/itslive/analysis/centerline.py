"""Velocity along glacier centerlines from an inversion NetCDF (``surfacemotion:itslive_invert``).

Each line (any CRS, e.g. OGGM flowlines) is transformed into the NetCDF's CRS and sampled every
``spacing`` metres from its start; at every sample the velocity of every time step is interpolated
bilinearly (nearest pixel where a bilinear neighbour is empty). Only the window of the grid that
the lines cross is read.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ...errors import InputError
from ...progress import Progress, ensure_progress
from ...resources import refuse_oversized
from .config import CenterlineConfig

if TYPE_CHECKING:
    import geopandas as gpd

VARIABLES = ("v", "vx", "vy")
#: memory per row of the profile table (9 columns) and its building copies
TABLE_ROW_BYTES = 200


@dataclass
class Inversion:
    """The grid of an inversion file: x, y pixel centres (m), times (datetime64[s]), EPSG code."""

    path: str
    x: np.ndarray
    y: np.ndarray
    times: np.ndarray
    epsg: int


def open_inversion(path: str | Path) -> Inversion:
    """Read the grid and time axis of an inversion NetCDF (errors name the file and the variable)."""
    import netCDF4

    try:
        ds = netCDF4.Dataset(str(path))
    except OSError as exc:
        raise InputError(path, f"not a NetCDF file ({exc})") from exc
    with ds:
        for name in ("time", "x", "y", "v"):
            if name not in ds.variables:
                raise InputError(path, "variable missing: not an ITS_LIVE inversion NetCDF", column=name)
        times = netCDF4.num2date(
            ds["time"][:], ds["time"].units, only_use_cftime_datetimes=False, only_use_python_datetimes=True
        )
        mapping = ds.variables.get(getattr(ds["v"], "grid_mapping", "mapping"))
        epsg = getattr(mapping, "spatial_epsg", None) if mapping is not None else None
        if epsg is None:
            raise InputError(path, "no grid mapping with spatial_epsg: unknown CRS", column="v")
        return Inversion(
            str(path),
            np.asarray(ds["x"][:], float),
            np.asarray(ds["y"][:], float),
            np.array(times, dtype="datetime64[s]"),
            int(epsg),
        )


def sample_lines(lines: gpd.GeoDataFrame, spacing: float) -> pd.DataFrame:
    """Points every ``spacing`` (CRS units) along each line: ``line_id, point_index, distance, x, y``.
    Multi-part lines are merged; parts that stay apart keep their own distance from their start."""
    import shapely

    rows = []
    ids = lines["line_id"].to_numpy()
    for line_id, geom in zip(ids, lines.geometry.values, strict=True):
        if geom is None or geom.is_empty:
            continue
        merged = shapely.line_merge(geom) if geom.geom_type == "MultiLineString" else geom
        for k, part in enumerate(getattr(merged, "geoms", [merged])):
            distance = np.arange(0.0, part.length + 1e-9, spacing)
            points = shapely.line_interpolate_point(part, distance)
            name = line_id if k == 0 else f"{line_id}.{k}"
            rows.append(
                pd.DataFrame(
                    {
                        "line_id": name,
                        "point_index": np.arange(len(distance)),
                        "distance": distance,
                        "x": shapely.get_x(points),
                        "y": shapely.get_y(points),
                    }
                )
            )
    if not rows:
        raise InputError("LINES", "no line with a geometry")
    return pd.concat(rows, ignore_index=True)


def pixel_position(p: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Fractional pixel index of coordinates ``p`` on a regular axis of pixel ``centres`` (0 = first
    centre), clamped to the outer centres within the outer pixels' half; NaN beyond the grid's edge.

    The outer half pixel is part of the grid: a line that starts on a glacier outline at the grid
    border lies there, and its first sample would otherwise be empty (a blank heat map column)."""
    n = len(centres)
    step = centres[1] - centres[0] if n > 1 else 1.0
    f = (np.asarray(p, float) - centres[0]) / step
    inside = (f >= -0.5 - 1e-9) & (f <= n - 0.5 + 1e-9)
    return np.where(inside, np.clip(f, 0, n - 1), np.nan)


def bilinear(values: np.ndarray, x: np.ndarray, y: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Interpolate (t, ny, nx) gridded values at points (px, py): bilinear between pixel centres (the
    outer pixel's value in its outer half), nearest pixel where a neighbour is NaN, NaN outside the grid.
    Returns (t, n_points)."""
    fx, fy = pixel_position(px, x), pixel_position(py, y)
    inside = np.isfinite(fx) & np.isfinite(fy)
    out = np.full((values.shape[0], len(px)), np.nan)
    if not inside.any():
        return out
    fx, fy = fx[inside], fy[inside]
    c0 = np.clip(np.floor(fx).astype(int), 0, max(len(x) - 2, 0))
    r0 = np.clip(np.floor(fy).astype(int), 0, max(len(y) - 2, 0))
    c1, r1 = np.minimum(c0 + 1, len(x) - 1), np.minimum(r0 + 1, len(y) - 1)
    wx, wy = fx - c0, fy - r0
    v00, v01, v10, v11 = values[:, r0, c0], values[:, r0, c1], values[:, r1, c0], values[:, r1, c1]
    bil = v00 * (1 - wx) * (1 - wy) + v01 * wx * (1 - wy) + v10 * (1 - wx) * wy + v11 * wx * wy
    nearest = values[:, np.rint(fy).astype(int), np.rint(fx).astype(int)]
    out[:, inside] = np.where(np.isfinite(bil), bil, nearest)
    return out


def centerline_profile(
    lines: gpd.GeoDataFrame, config: CenterlineConfig, progress: Progress | None = None
) -> tuple[pd.DataFrame, int]:
    """Velocity along the lines at every time step of the inversion.

    ``lines``: GeoDataFrame of (multi)lines in any CRS; their ``line_id`` is the ``config.id_field``
    attribute, else their own ``line_id`` column, else 1…n. Returns the
    long table ``line_id, point_index, distance (m from the line start), date, v, vx, vy, x, y``
    (x/y in the NetCDF CRS, one row per sample point and time step) and that CRS's EPSG code.
    """
    import netCDF4

    progress = ensure_progress(progress)
    config.validate()
    if lines is None or len(lines) == 0:
        raise InputError("LINES", "the layer has no features")
    if lines.crs is None:
        raise InputError("LINES", "the layer has no CRS; set it so that the lines can be placed on the grid")
    kinds = set(lines.geometry.dropna().geom_type) - {"LineString", "MultiLineString"}
    if kinds:
        raise InputError(
            "LINES",
            f"holds {', '.join(sorted(kinds))} geometries; give lines (e.g. OGGM centerlines; "
            "'Polygons to lines' turns outlines into lines)",
        )
    lines = lines.copy()
    if config.id_field:
        if config.id_field not in lines.columns:
            raise InputError("LINES", f"no attribute '{config.id_field}'", column=config.id_field)
        lines["line_id"] = lines[config.id_field]
    elif "line_id" not in lines.columns:
        lines["line_id"] = np.arange(1, len(lines) + 1)
    inv = open_inversion(config.netcdf)
    lines = lines.to_crs(inv.epsg)
    n_samples = int(sum(np.ceil(g.length / config.spacing) + 1 for g in lines.geometry.dropna()))
    refuse_oversized(
        "SPACING",
        n_samples * len(inv.times) * TABLE_ROW_BYTES,
        f"{n_samples:,} samples × {len(inv.times)} dates × {TABLE_ROW_BYTES} bytes",
        "use a larger SPACING (about the grid resolution is enough)",
    )
    samples = sample_lines(lines, config.spacing)
    progress.report(0.1, f"{len(samples)} points on {samples['line_id'].nunique()} line(s)")
    px, py = samples["x"].to_numpy(), samples["y"].to_numpy()
    dx = abs(inv.x[1] - inv.x[0]) if len(inv.x) > 1 else 1.0
    cols = np.flatnonzero((inv.x >= px.min() - 2 * dx) & (inv.x <= px.max() + 2 * dx))
    rows = np.flatnonzero((inv.y >= py.min() - 2 * dx) & (inv.y <= py.max() + 2 * dx))
    if len(cols) == 0 or len(rows) == 0:
        raise InputError(
            "LINES", f"no line crosses the grid of {Path(config.netcdf).name}; check the layer's CRS"
        )
    window = (slice(None), slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    x, y = inv.x[window[2]], inv.y[window[1]]
    columns = {}
    with netCDF4.Dataset(config.netcdf) as ds:
        for k, name in enumerate(VARIABLES):
            progress.check()
            if name not in ds.variables:
                continue
            var = ds[name]
            var.set_auto_mask(True)
            data = np.ma.filled(var[window].astype(float), np.nan)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                columns[name] = bilinear(data, x, y, px, py)  # (t, n)
            progress.report(0.1 + 0.8 * (k + 1) / len(VARIABLES), f"Sampled {name}")
    n_t, n_p = len(inv.times), len(samples)
    table = pd.DataFrame(
        {
            "line_id": np.tile(samples["line_id"].to_numpy(), n_t),
            "point_index": np.tile(samples["point_index"].to_numpy(), n_t),
            "distance": np.tile(samples["distance"].to_numpy(), n_t),
            "date": np.repeat(inv.times, n_p),
        }
    )
    for name in VARIABLES:
        table[name] = columns[name].ravel() if name in columns else np.nan
    table["x"], table["y"] = np.tile(px, n_t), np.tile(py, n_t)
    if table["v"].isna().all():
        raise InputError("LINES", f"the lines cross only empty pixels of {Path(config.netcdf).name}")
    return table, inv.epsg


def heatmap_panels(table: pd.DataFrame, variable: str = "v", max_panels: int = 6) -> list:
    """Distance–time panels ``(title, distance, dates, values (t, n))`` of the longest lines."""
    panels = []
    lengths = table.groupby("line_id")["distance"].max().sort_values(ascending=False)
    for line_id in lengths.index[:max_panels]:
        sub = table[table["line_id"] == line_id]
        grid = sub.pivot_table(index="date", columns="distance", values=variable, dropna=False)
        panels.append(
            (
                f"line {line_id}: {variable}",
                grid.columns.to_numpy(float),
                grid.index.to_numpy(),
                grid.to_numpy(float),
            )
        )
    return panels
