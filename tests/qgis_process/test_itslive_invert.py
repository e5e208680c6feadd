"""itslive_invert through qgis_process: a generated cube served by a local S3 server (the catalog's
http URL form, anonymous, endpoint from SURFACE_MOTION_S3_ENDPOINT); bad dates fail without output."""

from __future__ import annotations

import netCDF4
import numpy as np
import pytest

from tests.s3server import s3_server  # noqa: F401  (session fixture)

KEY = "datacubes/v2/N60W140/ITS_LIVE_vel_EPSG3413_G0120_X-3250000_Y350000.zarr"


@pytest.fixture(scope="module")
def s3_inputs(s3_server, tmp_path_factory):  # noqa: F811
    from surface_motion.core.synthetic.itslive import write_synthetic_cube

    bucket = s3_server.create_bucket("its-live-data")
    truth = write_synthetic_cube(
        f"{bucket}/{KEY}", storage_options=s3_server.write_options(), nx=20, ny=20, n_pairs=150, seed=5
    )
    glaciers = tmp_path_factory.mktemp("qp_invert") / "glaciers.geojson"
    truth.glaciers.to_crs(4326).to_file(glaciers, driver="GeoJSON")
    return glaciers, s3_server


def test_invert_s3_cube(qgis_process, qgis_env, s3_inputs, tmp_path, monkeypatch):
    glaciers, server = s3_inputs
    monkeypatch.setitem(qgis_env, "SURFACE_MOTION_S3_ENDPOINT", server.endpoint)
    out = tmp_path / "velocity.nc"
    result = qgis_process(
        "itslive_invert",
        GLACIERS=glaciers,
        CUBES=f"http://its-live-data.s3.amazonaws.com/{KEY}",
        START_DATE="2018-01-01",
        END_DATE="2021-01-01",
        INTERVAL_DAYS=24,
        LAMBDA=10,
        DERIVATIVE=2,
        ROBUST=True,
        DEVICE=1,
        OUTPUT=out,
    )["results"]
    assert result["OUTPUT"] == str(out) and result["N_BINS"] == 46 and result["N_PIXELS"] > 50
    with netCDF4.Dataset(out) as ds:
        assert ds.cubes == f"s3://its-live-data/{KEY}"
        assert ds.parameter_derivative == 2
        assert np.isfinite(ds["v"][:].filled(np.nan)).sum() > 0.8 * result["N_PIXELS"] * result["N_BINS"]


def test_start_after_end_fails_without_output(qgis_process, s3_inputs, tmp_path):
    glaciers, _ = s3_inputs
    out = tmp_path / "velocity.nc"
    failed = qgis_process(
        "itslive_invert",
        expect_failure=True,
        GLACIERS=glaciers,
        CUBES="/nowhere/cube.zarr",
        START_DATE="2021-01-01",
        END_DATE="2020-01-01",
        OUTPUT=out,
    )
    assert "START_DATE: start 2021-01-01 is not before end 2020-01-01" in failed["stdout"] + failed["stderr"]
    assert not out.exists() and list(tmp_path.iterdir()) == []
