"""``core/itslive/io/netcdf.py``: the inversion NetCDF, written slab by slab, read back exactly."""

from __future__ import annotations

import geopandas as gpd
import netCDF4
import numpy as np
import pytest
import shapely
from surface_motion.core.itslive.io.mask import GlacierGrid
from surface_motion.core.itslive.io.netcdf import (
    FILE_TYPE_PROBE,
    QUANTIZE_PROBE,
    TIME_UNITS,
    speed_and_error,
    write_netcdf,
)

M, NY, NX = 5, 3, 4


@pytest.fixture
def grid():
    glacier_id = np.zeros((NY, NX), np.int32)
    glacier_id[:2, 1:3] = 1
    glacier_id[2, 3] = 2
    glaciers = gpd.GeoDataFrame(
        {
            "RGIId": ["RGI60-01.00001", None],
            "Area km2": [12.5, 0.4],
            "glacier_id": [1, 2],
        },
        geometry=[shapely.box(0, 0, 1, 1)] * 2,
        crs=3413,
    )
    return GlacierGrid(
        epsg=3413,
        x=np.array([1060.0, 1180.0, 1300.0, 1420.0]),
        y=np.array([5000.0, 4880.0, 4760.0]),
        glacier_id=glacier_id,
        cube_index=np.zeros((NY, NX), np.int16),
        cube_row=np.zeros((NY, NX), np.int32),
        cube_col=np.zeros((NY, NX), np.int32),
        glaciers=glaciers,
        outside=[],
    )


def series() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    out = {k: rng.uniform(-200, 200, (M, NY, NX)).astype(np.float32) for k in ("vx", "vy")}
    out.update({k: rng.uniform(1, 5, (M, NY, NX)).astype(np.float32) for k in ("vx_error", "vy_error")})
    out["vx"][:, 0, 0] = np.nan  # a pixel without any value
    out["vy"][:, 0, 0] = np.nan
    out["vx"][1:, 2, 3] = np.nan  # a pixel with one bin
    out["count"] = np.where(np.isfinite(out["vx"]), 3, 0).astype(np.int32)
    return out


def write(path, grid, slab_bins: int, calls: list | None = None) -> np.ndarray:
    data = series()

    def read_slab(t0, t1):
        if calls is not None:
            calls.append((t0, t1))
        return {k: v[t0:t1] for k, v in data.items()}

    edges = 18_000.0 + 12.0 * np.arange(M + 1)
    return write_netcdf(path, grid, edges, read_slab, {"title": "test", "lam": 3e-4}, slab_bins=slab_bins)


def test_slabs_cover_every_bin_once_and_any_slab_size_writes_the_same_file(grid, tmp_path):
    calls = []
    mean = write(tmp_path / "a.nc", grid, slab_bins=2, calls=calls)
    assert calls == [(0, 2), (2, 4), (4, 5)]
    write(tmp_path / "b.nc", grid, slab_bins=100)
    write(tmp_path / "c.nc", grid, slab_bins=2)
    assert (tmp_path / "a.nc").read_bytes() == (tmp_path / "c.nc").read_bytes()  # no clock in the file
    data = series()
    with netCDF4.Dataset(tmp_path / "a.nc") as a, netCDF4.Dataset(tmp_path / "b.nc") as b:
        for name in ("vx", "vy", "vx_error", "vy_error", "count", "v", "v_error"):
            np.testing.assert_array_equal(a[name][:].filled(np.nan), b[name][:].filled(np.nan), err_msg=name)
        for name in ("vx", "vy", "count"):
            np.testing.assert_array_equal(a[name][:].filled(np.nan), data[name], err_msg=name)
        v = a["v"][:].filled(np.nan)
    np.testing.assert_allclose(v, np.hypot(data["vx"], data["vy"]), rtol=1e-6)
    n = np.isfinite(v).sum(0)
    expected = np.where(n > 0, np.nansum(v, 0) / np.maximum(n, 1), np.nan)
    np.testing.assert_allclose(mean, expected, rtol=1e-6)
    assert np.isnan(mean[0, 0]) and mean[2, 3] == pytest.approx(v[0, 2, 3])


def test_time_axis_grid_mapping_and_glacier_table(grid, tmp_path):
    write(tmp_path / "v.nc", grid, slab_bins=2)
    with netCDF4.Dataset(tmp_path / "v.nc") as ds:
        np.testing.assert_array_equal(ds["time"][:], 18_006.0 + 12.0 * np.arange(M))
        np.testing.assert_array_equal(ds["time_bnds"][:, 0], 18_000.0 + 12.0 * np.arange(M))
        assert ds["time"].units == TIME_UNITS and ds["time"].bounds == "time_bnds"
        mapping = ds["mapping"]
        # the outer corner of the first pixel: half a 120 m pixel west of x[0], north of y[0]
        assert mapping.GeoTransform.split() == ["1000.0", "120.0", "0", "5060.0", "0", "-120.0"]
        assert mapping.spatial_epsg == 3413 and "Polar_Stereographic" in mapping.spatial_ref
        np.testing.assert_array_equal(ds["glacier_id"][:].filled(0), grid.glacier_id)
        assert list(ds["glacier_RGIId"][:]) == ["RGI60-01.00001", ""]
        np.testing.assert_array_equal(ds["glacier_Area_km2"][:], [12.5, 0.4])
        np.testing.assert_array_equal(ds["glacier_id_value"][:], [1, 2])
        assert ds.title == "test" and ds.lam == pytest.approx(3e-4)
        assert ds.getncattr(FILE_TYPE_PROBE).startswith("CF-1.8")
        assert all(QUANTIZE_PROBE in var.ncattrs() for var in ds.variables.values())
        assert ds["v"].standard_name == "land_ice_surface_velocity" and ds["v"].grid_mapping == "mapping"


def test_speed_error_is_first_order_and_undefined_at_rest():
    v, err = speed_and_error(
        np.array([3.0, 0.0]), np.array([4.0, 0.0]), np.array([1.0, 1.0]), np.array([2.0, 1.0])
    )
    np.testing.assert_allclose(v, [5.0, 0.0])
    assert err[0] == pytest.approx(np.hypot(3 * 1, 4 * 2) / 5) and np.isnan(err[1])
    assert v.dtype == err.dtype == np.float32
