"""Point series: the cube column under each point (or the median of its 3×3 neighbourhood).

Points come in any CRS; each is placed on the pixel of the first cube that contains it (its
coordinates transformed into the cube's CRS). Points falling in the same chunk column are read
together, so a chunk is fetched once and only the chunks under the points are read.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ...errors import InputError
from ...io import atomic_output
from ...progress import Progress, ensure_progress
from .config import PointSeriesConfig

if TYPE_CHECKING:
    import geopandas as gpd

    from ..io.cube import Cube

VARIABLES = ("v", "vx", "vy", "v_error")
COLUMNS = (
    "point_id",
    "mid_date",
    "img1",
    "img2",
    "date_dt",
    "v",
    "vx",
    "vy",
    "v_error",
    "vx_error",
    "vy_error",
    "mission_img1",
    "satellite_img1",
    "mission_img2",
    "satellite_img2",
    "lon",
    "lat",
    "x",
    "y",
    "epsg",
    "zarr_url",
)


def check_points(points: gpd.GeoDataFrame | None) -> None:
    """Raise a specific error for a points layer that cannot be used."""
    if points is None or len(points) == 0:
        raise InputError("POINTS", "the layer has no features: add at least one point")
    if points.crs is None:
        raise InputError("POINTS", "the layer has no CRS")
    geoms = points.geometry
    if geoms.isna().all() or geoms.is_empty.all():
        raise InputError("POINTS", "no feature has a geometry")
    if not geoms.dropna().geom_type.isin(["Point"]).all():
        raise InputError("POINTS", "expected single points (explode multipoints first)")


def pixel_of(cube: Cube, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row and column of the pixels under (x, y) (cube CRS, m) and whether they are inside the grid."""
    dx = cube.x[1] - cube.x[0] if len(cube.x) > 1 else 1.0
    dy = cube.y[1] - cube.y[0] if len(cube.y) > 1 else -1.0
    col = np.floor((x - cube.x[0]) / dx + 0.5).astype(np.int64)
    row = np.floor((y - cube.y[0]) / dy + 0.5).astype(np.int64)
    inside = (
        (col >= 0) & (col < len(cube.x)) & (row >= 0) & (row < len(cube.y)) & np.isfinite(x) & np.isfinite(y)
    )
    return row, col, inside


def _column_stack(values: dict[str, np.ndarray], rows: np.ndarray, cols: np.ndarray, half: int) -> dict:
    """Per point (n_layers,) series from window arrays (n_layers, wy, wx): the pixel or the window median."""
    out = {}
    for name, block in values.items():
        if half == 0:
            out[name] = block[:, rows, cols]  # (n_layers, n_points)
        else:
            stacks = [
                block[:, r - half : r + half + 1, c - half : c + half + 1].reshape(len(block), -1)
                for r, c in zip(rows, cols, strict=True)
            ]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows stay NaN
                out[name] = np.stack([np.nanmedian(s, axis=1) for s in stacks], axis=1)
    return out


def extract_cube(
    cube: Cube,
    points_xy: np.ndarray,
    point_ids: np.ndarray,
    lonlat: np.ndarray,
    layers: pd.DataFrame,
    half: int,
    progress: Progress,
    stats: dict,
) -> list[pd.DataFrame]:
    """Series of the points (already inside ``cube``) over the chosen ``layers``, one frame per chunk group."""
    from ..io.cube import read_window

    row, col, _ = pixel_of(cube, points_xy[:, 0], points_xy[:, 1])
    ny, nx = cube.shape
    _, cy, cx = cube.chunks
    groups = pd.DataFrame({"i": np.arange(len(row)), "key": list(zip(row // cy, col // cx, strict=True))})
    present = [v for v in VARIABLES if v in cube.group]
    frames = []
    layer_index = layers["layer"].to_numpy()
    for k, (_, group) in enumerate(groups.groupby("key", sort=True)):
        progress.check()
        idx = group["i"].to_numpy()
        r0, r1 = max(row[idx].min() - half, 0), min(row[idx].max() + half + 1, ny)
        c0, c1 = max(col[idx].min() - half, 0), min(col[idx].max() + half + 1, nx)
        values = read_window(cube, slice(r0, r1), slice(c0, c1), present, layers=layer_index, stats=stats)
        # pad so that edge windows keep their shape (outside the grid = NaN)
        values = {
            n: np.pad(a, ((0, 0), (half, half), (half, half)), constant_values=np.nan)
            for n, a in values.items()
        }
        series = _column_stack(values, row[idx] - r0 + half, col[idx] - c0 + half, half)
        if "v" not in series:
            series["v"] = np.hypot(series["vx"], series["vy"])
        n_layers = len(layers)
        for j, i in enumerate(idx):
            frame = layers[
                [
                    "mid_date",
                    "img1",
                    "img2",
                    "date_dt",
                    "vx_error",
                    "vy_error",
                    "mission_img1",
                    "satellite_img1",
                    "mission_img2",
                    "satellite_img2",
                ]
            ].copy()
            for name in ("v", "vx", "vy", "v_error"):
                frame[name] = series[name][:, j] if name in series else np.full(n_layers, np.nan)
            frame["point_id"] = point_ids[i]
            frame["lon"], frame["lat"] = lonlat[i]
            frame["x"], frame["y"] = cube.x[col[i]], cube.y[row[i]]
            frame["epsg"] = cube.epsg
            frame["zarr_url"] = cube.url
            frames.append(frame[frame["v"].notna()])
        progress.report((k + 1) / groups["key"].nunique(), f"Read {k + 1} chunk column(s)")
    return frames


def point_series(
    points: gpd.GeoDataFrame, config: PointSeriesConfig, progress: Progress | None = None
) -> pd.DataFrame:
    """The velocity series of every point (GeoDataFrame of points in any CRS; ``point_id`` column
    optional, else 1…n) as one long table with :data:`COLUMNS` (velocities and errors in m/yr,
    date_dt in days, x/y the pixel centre in the cube CRS), sorted by point and mid_date.

    Raises :class:`InputError` for an empty layer, points outside every cube, or no pair left
    after the filters; warns about points outside the cubes and about missing chunks.
    """
    from ..filters import filter_layers
    from ..io.catalog import cubes_under
    from ..io.cube import open_cube

    progress = ensure_progress(progress)
    config.validate()
    check_points(points)
    points = points[points.geometry.notna() & ~points.geometry.is_empty].copy()
    ids = points["point_id"].to_numpy() if "point_id" in points.columns else np.arange(1, len(points) + 1)
    lonlat = np.column_stack([points.to_crs(4326).geometry.x, points.to_crs(4326).geometry.y])
    urls = list(config.cubes) or list(
        cubes_under(points, config.catalog, "POINTS", "any of the points", progress.sub(0.0, 0.05))[
            "zarr_url"
        ]
    )
    todo = np.ones(len(points), dtype=bool)
    frames, stats, n_filtered = [], {}, 0
    for k, url in enumerate(urls):
        if not todo.any():
            break
        progress.check()
        sub = progress.sub(0.05 + 0.95 * k / len(urls), 0.05 + 0.95 * (k + 1) / len(urls))
        sub.report(0.0, f"Opening {url}")
        cube = open_cube(url, storage_options=config.storage_options)
        for note in cube.notes:
            progress.info(f"{url}: {note}")
        xy = np.column_stack([points.to_crs(cube.epsg).geometry.x, points.to_crs(cube.epsg).geometry.y])
        _, _, inside = pixel_of(cube, xy[:, 0], xy[:, 1])
        take = inside & todo
        if not take.any():
            continue
        todo &= ~take
        layers = filter_layers(
            cube.layers, config.missions, config.start, config.end, config.min_dt, config.max_dt
        )
        n_filtered += len(layers)
        if len(layers) == 0:
            progress.warn(f"{url}: no pair left after the filters")
            continue
        frames += extract_cube(
            cube, xy[take], ids[take], lonlat[take], layers, config.neighborhood // 2, sub, stats
        )
    if todo.all():
        raise InputError(
            "POINTS", "no point lies inside the given cubes; check the layer's CRS and the cubes"
        )
    if todo.any():
        progress.warn(f"{int(todo.sum())} point(s) outside every cube, skipped: ids {list(ids[todo])[:20]}")
    if stats.get("missing_chunks"):
        progress.warn(
            f"{stats['missing_chunks']} chunk(s) missing from the store: "
            f"{stats['missing_values']} values set to NaN"
        )
    if n_filtered == 0:
        raise InputError("CUBES", "no image pair is left after the mission/date/date_dt filters")
    if not frames or all(f.empty for f in frames):
        raise InputError("POINTS", "no valid velocity under the points for the chosen pairs")
    table = pd.concat(frames, ignore_index=True)
    return table[list(COLUMNS)].sort_values(["point_id", "mid_date"], kind="stable").reset_index(drop=True)


def write_series_csv(table: pd.DataFrame, path: str | Path) -> Path:
    """Write a point-series table as CSV (ISO dates), atomically; :func:`.series_table.read_series_csv` reads it back."""
    path = Path(path)
    with atomic_output(path) as tmp:
        table.to_csv(tmp, index=False, date_format="%Y-%m-%dT%H:%M:%S.%f")
    return path
