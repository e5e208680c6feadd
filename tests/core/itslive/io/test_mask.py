"""Glacier masks on cube grids: any CRS, several glaciers, stitched cubes, projection clash, outside."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box
from surface_motion.core.errors import InputError
from surface_motion.core.itslive.io.cube import Cube
from surface_motion.core.itslive.io.mask import rasterise_glaciers

RES = 120.0


def fake_cube(x0: float, y0: float, n: int = 20, epsg: int = 3413, name: str = "c") -> Cube:
    """A cube's grid only (pixel centres from the NW corner x0, y0), enough for masking."""
    x = x0 + RES * (np.arange(n) + 0.5)
    y = y0 - RES * (np.arange(n) + 0.5)
    return Cube(
        url=f"s3://b/{name}.zarr", group=None, epsg=epsg, x=x, y=y, layers=pd.DataFrame(), chunks=(10, 10, 10)
    )


def glaciers(geoms, crs="EPSG:3413"):
    return gpd.GeoDataFrame(
        {
            "RGIId": [f"RGI60-01.{i:05d}" for i in range(len(geoms))],
            "Name": [f"G{i}" for i in range(len(geoms))],
        },
        geometry=geoms,
        crs=crs,
    )


def test_pixels_whose_centre_is_inside_any_crs_attributes_kept():
    cube = fake_cube(0.0, 2400.0)
    poly = shapely.Polygon([(130, 2300), (1500, 2200), (1700, 700), (300, 400)])
    g = glaciers([poly, box(1900, 1900, 2300, 2300)])
    grid = rasterise_glaciers(g.to_crs(4326), [cube])  # given in lon/lat, rasterised in the cube CRS
    xx, yy = np.meshgrid(grid.x, grid.y)
    inside_first = shapely.contains_xy(poly, xx, yy)
    # reprojection round trip moves vertices by far less than a pixel: identical pixel sets
    np.testing.assert_array_equal(grid.glacier_id == 1, inside_first)
    assert (grid.glacier_id == 2).sum() == 9  # 400 m box: 3 × 3 centres
    assert list(grid.glaciers["RGIId"]) == ["RGI60-01.00000", "RGI60-01.00001"]
    assert list(grid.glaciers["n_pixels"]) == [inside_first.sum(), 9]
    on = grid.glacier_id > 0
    np.testing.assert_allclose(cube.x[grid.cube_col[on]], xx[on])
    np.testing.assert_allclose(cube.y[grid.cube_row[on]], yy[on])


def test_glacier_spanning_two_cubes_is_stitched_on_one_grid():
    west, east = fake_cube(0.0, 2400.0, name="west"), fake_cube(2400.0, 2400.0, name="east")
    g = glaciers([box(1510, 500, 3290, 1900)])
    grid = rasterise_glaciers(g, [west, east])
    on = grid.glacier_id > 0
    assert set(np.unique(grid.cube_index[on])) == {0, 1}
    assert on.sum() == 14 * 12  # one continuous grid: centres 1620…3180 (x) by 540…1860 (y)
    xx, yy = np.meshgrid(grid.x, grid.y)
    for k, cube in enumerate((west, east)):
        sel = on & (grid.cube_index == k)
        np.testing.assert_allclose(cube.x[grid.cube_col[sel]], xx[sel])
        np.testing.assert_allclose(cube.y[grid.cube_row[sel]], yy[sel])
    assert np.allclose(np.diff(grid.x), RES) and np.allclose(np.diff(grid.y), -RES)


def test_several_projections_are_refused():
    cubes = [fake_cube(0.0, 2400.0, name="a"), fake_cube(0.0, 2400.0, epsg=32607, name="b")]
    with pytest.raises(InputError, match=r"EPSG:3413.*EPSG:32607.*one projection"):
        rasterise_glaciers(glaciers([box(100, 100, 500, 500)]), cubes)


def test_glacier_outside_every_cube():
    cube = fake_cube(0.0, 2400.0)
    with pytest.raises(InputError, match="GLACIERS: no glacier lies on any cube"):
        rasterise_glaciers(glaciers([box(50_000, 50_000, 51_000, 51_000)]), [cube])
    grid = rasterise_glaciers(
        glaciers([box(50_000, 50_000, 51_000, 51_000), box(100, 100, 600, 600)]), [cube]
    )
    assert grid.outside == ["RGI60-01.00000"]
    assert list(grid.glaciers["RGIId"]) == ["RGI60-01.00001"]


def test_glacier_smaller_than_a_pixel_keeps_one_pixel():
    grid = rasterise_glaciers(glaciers([box(610, 610, 650, 650)]), [fake_cube(0.0, 2400.0)])
    assert (grid.glacier_id == 1).sum() == 1


def test_outlines_without_crs_are_refused():
    g = glaciers([box(100, 100, 500, 500)]).set_crs(None, allow_override=True)
    with pytest.raises(InputError, match="no CRS"):
        rasterise_glaciers(g, [fake_cube(0.0, 2400.0)])
