"""Centerline sampling of an inversion NetCDF: spacing, distances, exact values of a linear field,
lines in another CRS, NaN handling, bad inputs."""

from __future__ import annotations

import geopandas as gpd
import netCDF4
import numpy as np
import pytest
import shapely
from surface_motion.core.errors import InputError, ParameterError
from surface_motion.core.itslive.analysis.centerline import (
    CenterlineConfig,
    centerline_profile,
    heatmap_panels,
)

X = -3300000.0 + 120.0 * (np.arange(40) + 0.5)
Y = 300000.0 - 120.0 * (np.arange(30) + 0.5)
DAYS = np.array([17897.0, 17927.0, 17957.0])  # 2019-01-01 + 0, 30, 60 days


def field(t, x, y):
    """A linear velocity field (bilinear interpolation reproduces it exactly)."""
    return 100.0 + 0.01 * (x - X[0]) - 0.02 * (y - Y[0]) + 2.0 * (t - DAYS[0])


def write_inversion(path, hole=False):
    t, y, x = np.meshgrid(DAYS, Y, X, indexing="ij")
    v = field(t, x, y)
    if hole:
        v[:, 10, 10] = np.nan
    with netCDF4.Dataset(path, "w") as ds:
        for name, values in (("time", DAYS), ("y", Y), ("x", X)):
            ds.createDimension(name, len(values))
            var = ds.createVariable(name, "f8", (name,))
            var[:] = values
        ds["time"].units = "days since 1970-01-01 00:00:00"
        mapping = ds.createVariable("mapping", "i4")
        mapping.spatial_epsg = 3413
        for name, values in (("v", v), ("vx", 0.6 * v), ("vy", -0.8 * v)):
            var = ds.createVariable(name, "f4", ("time", "y", "x"), fill_value=np.float32(np.nan))
            var.grid_mapping = "mapping"
            var[:] = values
    return path


def _line(crs=3413, coords=((X[2], Y[5]), (X[30], Y[5]), (X[30], Y[25]))):
    line = gpd.GeoDataFrame({"line_id": ["A"]}, geometry=[shapely.LineString(coords)], crs=3413)
    return line.to_crs(crs)


def test_profile_values_and_distances(tmp_path):
    nc = write_inversion(tmp_path / "inv.nc")
    table, epsg = centerline_profile(_line(crs=4326), CenterlineConfig(str(nc), spacing=250.0))
    assert epsg == 3413
    length = 28 * 120.0 + 20 * 120.0
    first = table[table["date"] == table["date"].min()]
    assert len(first) == int(length // 250) + 1 and first["distance"].iloc[1] == pytest.approx(250.0)
    assert sorted(table["date"].dt.strftime("%Y-%m-%d").unique()) == [
        "2019-01-01",
        "2019-01-31",
        "2019-03-02",
    ]
    t = (table["date"] - np.datetime64("1970-01-01")).dt.total_seconds().to_numpy() / 86400.0
    # the line went through lon/lat and back: allow a few cm of round trip
    np.testing.assert_allclose(table["v"], field(t, table["x"], table["y"]), atol=1e-3)
    np.testing.assert_allclose(table["vx"], 0.6 * table["v"], rtol=1e-5)
    panels = heatmap_panels(table)
    assert panels[0][3].shape == (3, len(first))


def test_hole_uses_nearest_and_bad_inputs(tmp_path):
    nc = write_inversion(tmp_path / "inv.nc", hole=True)
    line = _line(coords=((X[8], Y[10] + 1.0), (X[12], Y[10] + 1.0)))
    table, _ = centerline_profile(line, CenterlineConfig(str(nc), spacing=30.0))
    on_hole = (table["x"] - X[10]).abs() <= 60.0 + 1e-6  # nearest pixel is the empty one (ties included)
    assert table.loc[on_hole, "v"].isna().all() and table.loc[~on_hole, "v"].notna().all()
    assert (~on_hole & ((table["x"] - X[10]).abs() < 120.0)).any()  # bilinear would have touched the hole
    with pytest.raises(ParameterError, match="SPACING"):
        centerline_profile(line, CenterlineConfig(str(nc), spacing=0))
    with pytest.raises(InputError, match="no line crosses the grid"):
        centerline_profile(_line(coords=((0, 0), (1000, 0))), CenterlineConfig(str(nc)))
    bad = tmp_path / "bad.nc"
    bad.write_text("not netcdf")
    with pytest.raises(InputError, match=r"bad\.nc: not a NetCDF"):
        centerline_profile(line, CenterlineConfig(str(bad)))
    with pytest.raises(InputError, match="LINES: the layer has no features"):
        centerline_profile(line.iloc[:0], CenterlineConfig(str(nc)))


def test_line_starting_in_the_outer_half_pixel_has_a_first_sample(tmp_path):
    """A line that starts on an outline at the grid's border (inside the first pixel, before its
    centre) gets that pixel's value: the heat map's first column is not blank."""
    nc = write_inversion(tmp_path / "inv.nc")
    start = X[0] - 50.0  # in pixel 0, 10 m from the grid's western edge
    table, _ = centerline_profile(
        _line(coords=((start, Y[5]), (X[6], Y[5]))), CenterlineConfig(str(nc), spacing=60.0)
    )
    first = table[table["point_index"] == 0]
    t = (first["date"] - np.datetime64("1970-01-01")).dt.total_seconds().to_numpy() / 86400.0
    np.testing.assert_allclose(first["v"], field(t, X[0], Y[5]), atol=1e-3)  # the outer pixel's value
    _, distance, _, values = heatmap_panels(table)[0]
    assert distance[0] == 0.0 and np.isfinite(values[:, 0]).all()
    # beyond the grid's edge there is nothing to sample
    outside, _ = centerline_profile(
        _line(coords=((X[0] - 70.0, Y[5]), (X[6], Y[5]))), CenterlineConfig(str(nc), spacing=60.0)
    )
    assert outside.loc[outside["point_index"] == 0, "v"].isna().all()
    assert outside.loc[outside["point_index"] == 1, "v"].notna().all()
