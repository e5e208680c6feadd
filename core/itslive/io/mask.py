"""Glacier masks: outlines rasterised on the cube grids and stitched onto one output grid.

The grid of each cube is built from its ``x``/``y`` pixel centres (early cubes carry a wrong
GeoTransform). A pixel belongs to a glacier when its centre lies inside the outline; a glacier
smaller than a pixel keeps the pixel under its representative point. Glaciers spanning
several cubes of one projection get one output grid covering them all; cubes in different
projections cannot share a grid and are refused with a clear error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely

from ...errors import InputError
from .cube import Cube

if TYPE_CHECKING:
    import geopandas as gpd


@dataclass
class GlacierGrid:
    """The output grid and, per pixel, its glacier and where to read it.

    x, y: (nx,), (ny,) pixel centres (m, cube CRS ``epsg``), y descending like the cubes.
    glacier_id: (ny, nx) int32, 1-based row of ``glaciers`` (0 = no glacier).
    cube_index: (ny, nx) int16 index into the cube list (-1 = none); cube_row, cube_col: (ny, nx)
    int32 position in that cube. glaciers: the outlines in the cube CRS with their attributes and
    ``glacier_id``/``n_pixels`` columns (glaciers outside every cube are dropped, see ``outside``).
    """

    epsg: int
    x: np.ndarray
    y: np.ndarray
    glacier_id: np.ndarray
    cube_index: np.ndarray
    cube_row: np.ndarray
    cube_col: np.ndarray
    glaciers: object
    outside: list[str]

    @property
    def n_pixels(self) -> int:
        return int((self.glacier_id > 0).sum())


def common_epsg(cubes: list[Cube]) -> int:
    """The one projection of ``cubes``; several give an :class:`InputError` naming them."""
    codes = sorted({c.epsg for c in cubes})
    if not codes:
        raise InputError("CUBES", "no cube given")
    if len(codes) > 1:
        per = "; ".join(
            f"EPSG:{e}: " + ", ".join(c.url.rsplit("/", 1)[-1] for c in cubes if c.epsg == e) for e in codes
        )
        raise InputError(
            "CUBES",
            f"the glaciers span cubes in {len(codes)} projections ({per}); one output grid "
            "needs one projection: run once per projection with the glaciers of each",
        )
    return codes[0]


def _label(glaciers: gpd.GeoDataFrame, i: int) -> str:
    for key in ("RGIId", "rgi_id", "Name", "name"):
        if key in glaciers.columns and glaciers[key].iloc[i] is not None:
            return str(glaciers[key].iloc[i])
    return f"feature {i + 1}"


def rasterise_glaciers(glaciers: gpd.GeoDataFrame | None, cubes: list[Cube]) -> GlacierGrid:
    """Rasterise ``glaciers`` (GeoDataFrame, any CRS) on the grid shared by ``cubes`` (one projection).

    Raises :class:`InputError` when the outlines have no CRS, the cubes use several projections, or
    no glacier lies on any cube. Glaciers outside every cube are listed in ``outside``.
    """
    if glaciers is None or len(glaciers) == 0:
        raise InputError("GLACIERS", "no glacier outline given")
    if glaciers.crs is None:
        raise InputError("GLACIERS", "the outlines have no CRS")
    epsg = common_epsg(cubes)
    g = glaciers.to_crs(epsg).reset_index(drop=True)
    res = float(np.median([c.resolution for c in cubes]))
    # the output grid: the glaciers' bounds snapped onto the (common) pixel lattice of the cubes
    ref = cubes[0]
    x_ref, y_ref = ref.x[0], ref.y[0]
    minx, miny, maxx, maxy = g.total_bounds
    i0, i1 = np.floor((minx - x_ref) / res), np.ceil((maxx - x_ref) / res)
    j0, j1 = np.floor((y_ref - maxy) / res), np.ceil((y_ref - miny) / res)
    x = x_ref + res * np.arange(i0, i1 + 1)
    y = y_ref - res * np.arange(j0, j1 + 1)
    xx, yy = np.meshgrid(x, y)

    cube_index = np.full(xx.shape, -1, np.int16)
    cube_row = np.full(xx.shape, -1, np.int32)
    cube_col = np.full(xx.shape, -1, np.int32)
    for k, cube in enumerate(cubes):
        if abs(cube.resolution - res) > 1e-6 * res:
            raise InputError(
                cube.url, f"pixel size {cube.resolution} m differs from the other cubes' {res} m"
            )
        col = np.rint((xx - cube.x[0]) / (cube.x[1] - cube.x[0])).astype(np.int64)
        row = np.rint((yy - cube.y[0]) / (cube.y[1] - cube.y[0])).astype(np.int64)
        inside = (col >= 0) & (col < len(cube.x)) & (row >= 0) & (row < len(cube.y)) & (cube_index < 0)
        if inside.any() and not np.allclose(cube.x[col[inside]], xx[inside], atol=1e-3 * res):
            raise InputError(cube.url, "its pixel grid is not aligned with the other cubes' grid")
        cube_index[inside] = k
        cube_row[inside] = row[inside]
        cube_col[inside] = col[inside]

    glacier_id = np.zeros(xx.shape, np.int32)
    n_pixels = np.zeros(len(g), np.int64)
    for i, geom in enumerate(g.geometry):
        if geom is None or geom.is_empty:
            continue
        hit = shapely.contains_xy(geom, xx, yy) & (glacier_id == 0) & (cube_index >= 0)
        if not hit.any():  # smaller than a pixel: keep the pixel under its representative point
            p = geom.representative_point()
            c, r = int(np.rint((p.x - x[0]) / res)), int(np.rint((y[0] - p.y) / res))
            if 0 <= r < len(y) and 0 <= c < len(x) and cube_index[r, c] >= 0 and glacier_id[r, c] == 0:
                hit[r, c] = True
        glacier_id[hit] = i + 1
        n_pixels[i] = hit.sum()
    outside = [_label(g, i) for i in np.flatnonzero(n_pixels == 0)]
    if len(outside) == len(g):
        bounds = ", ".join(
            f"{c.url.rsplit('/', 1)[-1]} x {c.x.min():.0f}…{c.x.max():.0f} y {c.y.min():.0f}…{c.y.max():.0f}"
            for c in cubes
        )
        raise InputError(
            "GLACIERS",
            f"no glacier lies on any cube (EPSG:{epsg}: {bounds}); choose the cubes "
            "that cover the glaciers, or leave CUBES empty to find them in the catalog",
        )
    g["glacier_id"] = np.arange(1, len(g) + 1, dtype=np.int32)
    g["n_pixels"] = n_pixels
    keep = n_pixels > 0
    # crop the grid to the glacier pixels
    rows, cols = np.flatnonzero((glacier_id > 0).any(1)), np.flatnonzero((glacier_id > 0).any(0))
    r, c = slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)
    return GlacierGrid(
        epsg=epsg,
        x=x[c],
        y=y[r],
        glacier_id=glacier_id[r, c],
        cube_index=cube_index[r, c],
        cube_row=cube_row[r, c],
        cube_col=cube_col[r, c],
        glaciers=g.loc[keep].reset_index(drop=True),
        outside=outside,
    )
