"""Issue 9: ITS_LIVE algorithms through qgis_process with only their required parameters, on the
project's realistic cube (served by a local S3 server, found through a cached copy of the official
catalog: the path a user's run takes), scored against the known truth."""

from __future__ import annotations

import json
import os
import time

import netCDF4
import numpy as np
import pandas as pd
import pytest

from tests.s3server import s3_server  # noqa: F401  (session fixture)

KEY = "datacubes/v2/N60W140/ITS_LIVE_vel_EPSG3413_G0120_X-3300000_Y300000.zarr"
HTTP_URL = f"http://its-live-data.s3.amazonaws.com/{KEY}"


@pytest.fixture(scope="module")
def realistic(s3_server, tmp_path_factory):  # noqa: F811
    from surface_motion.core.itslive.io.catalog import DEFAULT_CATALOG_URL, cache_path
    from surface_motion.core.synthetic.itslive import catalog_entry, write_realistic_cube

    bucket = s3_server.create_bucket("its-live-data")
    truth = write_realistic_cube(f"{bucket}/{KEY}", storage_options=s3_server.write_options(), seed=0)
    folder = tmp_path_factory.mktemp("realistic")
    glaciers = folder / "glaciers.geojson"
    truth.glaciers.to_crs(4326).to_file(glaciers, driver="GeoJSON")
    cache = folder / "cache"
    catalog = cache_path(DEFAULT_CATALOG_URL, cache / "itslive")
    catalog.parent.mkdir(parents=True)
    catalog.write_text(
        json.dumps({"type": "FeatureCollection", "features": [catalog_entry(truth, HTTP_URL)]})
    )
    os.utime(catalog, (time.time(), time.time()))  # a fresh copy: used without asking the network
    return truth, glaciers, cache, s3_server


@pytest.fixture
def env(qgis_env, realistic, monkeypatch):
    _, _, cache, server = realistic
    monkeypatch.setitem(qgis_env, "SURFACE_MOTION_S3_ENDPOINT", server.endpoint)
    monkeypatch.setitem(qgis_env, "SURFACE_MOTION_CACHE", str(cache))
    return qgis_env


def scores(path, truth, fast_only=True) -> tuple[float, float, np.ndarray, np.ndarray]:
    """RMSE (m/yr) of vx and vy against the true bin means and the share of finite (pixel, bin)
    cells, over the fast glacier pixels; also the bin edges and the finite mask (bins × pixels)."""
    with netCDF4.Dataset(path) as ds:
        vx, vy = ds["vx"][:].filled(np.nan), ds["vy"][:].filled(np.nan)
        bounds, x, y = ds["time_bnds"][:], ds["x"][:], ds["y"][:]
    edges = np.r_[bounds[:, 0], bounds[-1, 1]]
    ix, iy = np.searchsorted(truth.x, x), np.searchsorted(-truth.y, -y)
    true_x, true_y = (b[np.ix_(iy, ix)] for b in truth.bin_mean(edges))
    fast = (truth.base > 1000)[np.ix_(iy, ix)] if fast_only else (truth.base > 0)[np.ix_(iy, ix)]
    ex = vx.transpose(1, 2, 0)[fast] - true_x[fast]
    ey = vy.transpose(1, 2, 0)[fast] - true_y[fast]
    rmse = float(np.sqrt(np.nanmean(np.r_[ex.ravel(), ey.ravel()] ** 2)))
    return rmse, float(np.isfinite(ex).mean()), edges, np.isfinite(ex)


def test_invert_with_no_optional_parameter_is_accurate(qgis_process, env, realistic, tmp_path):
    truth, glaciers, _, _ = realistic
    out = tmp_path / "velocity.nc"
    run = qgis_process("itslive_invert", GLACIERS=glaciers, OUTPUT=out)
    assert abs(run["results"]["N_PIXELS"] - int((truth.base > 0).sum())) <= 5  # outline vs pixel centres
    rmse, coverage, _, _ = scores(out, truth)
    assert rmse <= 12.0 and coverage >= 0.90, (rmse, coverage)
    with netCDF4.Dataset(out) as ds:  # every mission kept, λ chosen from the data and recorded
        assert ds.cubes == f"s3://its-live-data/{KEY}" and int(ds.pairs_per_cube) == len(truth.layers)
        assert "cross-validation" in ds.inversion_lambda_selection and ds.inversion_weighted == 1


def test_sentinel1_only_invents_no_bins(qgis_process, env, realistic, tmp_path):
    truth, glaciers, _, _ = realistic
    out = tmp_path / "velocity_s1.nc"
    qgis_process(
        "itslive_invert",
        GLACIERS=glaciers,
        MISSIONS=0,
        START_DATE="2017-01-01",
        END_DATE="2022-01-01",
        OUTPUT=out,
    )
    rmse, _, edges, finite = scores(out, truth)
    s1 = truth.layers[truth.layers["satellite_img1"].str.startswith("1")]
    last = np.datetime64(s1["img2"].max(), "us")
    after = edges[:-1] * 86400e6 > (last - np.datetime64(0, "us")).astype(float)  # bins starting after it
    assert after.sum() > 20 and not finite[:, after].any()  # a year with no Sentinel-1 pair: left empty
    assert rmse <= 30.0, rmse


def test_point_series_without_missions_keeps_every_mission(qgis_process, env, realistic, tmp_path):
    truth, _, _, _ = realistic
    fast = np.argwhere(truth.base > 1500)[0]
    points = tmp_path / "points.geojson"
    import geopandas as gpd
    from shapely.geometry import Point

    gpd.GeoDataFrame(
        {"name": ["fast"]}, geometry=[Point(truth.x[fast[1]], truth.y[fast[0]])], crs=truth.epsg
    ).to_file(points, driver="GeoJSON")
    out = tmp_path / "series.csv"
    qgis_process("itslive_point_series", POINTS=points, OUTPUT=tmp_path / "series.gpkg", CSV=out)
    series = pd.read_csv(out)
    missions = set(series["satellite_img1"].astype(str).str[0])
    assert missions == {"1", "2", "8", "9"}, missions
