"""S3 access: URL forms, endpoint override, retries against injected faults on a real local S3 server."""

from __future__ import annotations

import numpy as np
import pytest
from surface_motion.core.errors import InputError
from surface_motion.core.itslive.io.cube import open_cube, read_window
from surface_motion.core.itslive.io.s3 import normalise_url, s3_storage_options

from tests.s3server import FaultProxy, every


@pytest.mark.parametrize(
    "url, expected",
    [
        (
            "http://its-live-data.s3.amazonaws.com/datacubes/v2/N60W140/c.zarr",
            "s3://its-live-data/datacubes/v2/N60W140/c.zarr",
        ),
        (
            "https://its-live-data.s3.us-west-2.amazonaws.com/datacubes/c.zarr/",
            "s3://its-live-data/datacubes/c.zarr",
        ),
        (
            "https://s3.us-west-2.amazonaws.com/its-live-data/datacubes/c.zarr",
            "s3://its-live-data/datacubes/c.zarr",
        ),
        ("s3://its-live-data/datacubes/c.zarr", "s3://its-live-data/datacubes/c.zarr"),
        ("https://example.org/cubes/c.zarr", "https://example.org/cubes/c.zarr"),
    ],
)
def test_normalise_url(url, expected):
    assert normalise_url(url) == expected


def test_storage_options_anonymous_with_env_endpoint(monkeypatch):
    monkeypatch.setenv("SURFACE_MOTION_S3_ENDPOINT", "http://127.0.0.1:9")
    opts = s3_storage_options({"client_kwargs": {"region_name": "eu-west-1"}})
    assert opts["anon"] is True
    assert opts["client_kwargs"] == {"endpoint_url": "http://127.0.0.1:9", "region_name": "eu-west-1"}


@pytest.fixture(scope="module")
def reference(s3_cube):
    url, _, server = s3_cube
    cube = open_cube(url, storage_options=server.read_options())
    return read_window(cube, slice(0, 30), slice(0, 30))


@pytest.mark.parametrize("status, k", [(503, 3), (500, 2)])
def test_transient_errors_are_retried_with_the_same_result(s3_cube, reference, status, k):
    url, _, server = s3_cube
    with FaultProxy(server.endpoint, every(k, status, pattern=r"\.zarr/.+"), max_faults=15) as proxy:
        cube = open_cube(url, storage_options=server.read_options(proxy.endpoint))
        got = read_window(cube, slice(0, 30), slice(0, 30))
    assert proxy.faults > 5
    for name in ("vx", "vy"):
        np.testing.assert_array_equal(got[name], reference[name])


def test_a_request_that_keeps_failing_gives_a_clear_error(s3_cube, monkeypatch):
    url, _, server = s3_cube
    monkeypatch.setenv("SURFACE_MOTION_S3_ATTEMPTS", "3")
    with FaultProxy(server.endpoint, every(1, 500, pattern=r"vx/0\.1\.1$"), max_faults=None) as proxy:
        cube = open_cube(url, storage_options=server.read_options(proxy.endpoint))
        with pytest.raises(InputError, match=r"reading 'vx/0\.1\.1' failed after 3 attempts"):
            read_window(cube, slice(0, 30), slice(0, 30))
    assert proxy.faults >= 3  # every attempt hit the failing key
