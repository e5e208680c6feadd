"""Shared generated cubes for the ITS_LIVE core tests (small: 30 × 30 pixels, 300 pairs)."""

from __future__ import annotations

import pytest

from tests.s3server import s3_server  # noqa: F401  (session fixture re-exported for these tests)

CUBE_KW = dict(nx=30, ny=30, n_pairs=300, start="2018-01-01", end="2021-01-01", seed=7)


@pytest.fixture(scope="session")
def local_cube(tmp_path_factory):
    """(path, truth) of a generated cube on disk with consolidated metadata."""
    from surface_motion.core.synthetic.itslive import write_synthetic_cube

    path = tmp_path_factory.mktemp("cubes") / "ITS_LIVE_vel_EPSG3413_G0120_X-3250000_Y350000.zarr"
    truth = write_synthetic_cube(path, **CUBE_KW)
    return path, truth


@pytest.fixture(scope="session")
def s3_cube(s3_server):  # noqa: F811
    """(s3 URL, truth, server) of the same cube on the local moto server, public-read."""
    from surface_motion.core.synthetic.itslive import write_synthetic_cube

    bucket = s3_server.create_bucket("its-live-data")
    url = f"{bucket}/datacubes/v2/N60W140/ITS_LIVE_vel_EPSG3413_G0120_X-3250000_Y350000.zarr"
    truth = write_synthetic_cube(url, storage_options=s3_server.write_options(), **CUBE_KW)
    return url, truth, s3_server
