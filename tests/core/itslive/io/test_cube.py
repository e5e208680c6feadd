"""Cube access: decoding by hand, layer table cleaning, window reads, bad stores, S3 for real."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import zarr
from surface_motion.core.errors import InputError
from surface_motion.core.itslive.io.cube import open_cube, read_window
from surface_motion.core.synthetic.itslive import write_synthetic_cube

from tests.s3server import FaultProxy


def test_layer_table_is_sorted_ordered_and_deduplicated(local_cube):
    path, truth = local_cube
    cube = open_cube(str(path))
    layers = cube.layers
    assert cube.epsg == 3413 and cube.chunks == (300, 10, 10)
    assert layers["mid_date"].is_monotonic_increasing
    assert (layers["img1"] < layers["img2"]).all()
    # the generator swapped img1/img2 in some layers and repeated some pairs
    assert cube.n_swapped == int(truth.layers["swapped"].sum()) > 0
    assert cube.n_duplicates == int(truth.layers["duplicate"].sum()) > 0
    assert len(layers) == 300 - cube.n_duplicates
    assert not layers.duplicated(["img1", "img2"]).any()
    # microseconds of the granule centroid survive decoding (mid_date unique)
    assert layers["mid_date"].is_unique
    assert (layers["mid_date"].dt.microsecond != 0).any()
    # per-layer errors and strings follow the layer index through sorting and swapping
    t = truth.layers.set_index("layer").loc[layers["layer"]]
    np.testing.assert_allclose(layers["vx_error"], t["vx_error"], rtol=1e-6)
    np.testing.assert_allclose(layers["date_dt"], t["t2"] - t["t1"], atol=1e-6)
    assert (layers["satellite_img1"].to_numpy() == t["satellite_img1"].to_numpy()).all()
    assert set(layers["mission_img1"]) == {"S", "L"}


def test_read_window_masks_missing_value_not_fill_value(local_cube):
    path, _ = local_cube
    cube = open_cube(str(path))
    raw = zarr.open_group(str(path), mode="r", zarr_format=2)["vx"]
    assert raw.fill_value == 0 and raw.attrs["missing_value"] == -32767
    layers = cube.layers["layer"].to_numpy()[::-1][:50]  # any order, returned in that order
    got = read_window(cube, slice(4, 23), slice(7, 30), layers=layers)["vx"]
    expected = raw.get_orthogonal_selection((np.sort(layers), slice(4, 23), slice(7, 30)))
    expected = expected[np.argsort(np.argsort(layers))]
    assert got.dtype == np.float32 and got.shape == (50, 19, 23)
    np.testing.assert_array_equal(np.isnan(got), expected == -32767)
    np.testing.assert_array_equal(got[~np.isnan(got)], expected[expected != -32767])
    assert (got == 0).sum() > 0  # valid zeros are kept, not masked as fill_value


def test_unconsolidated_store_reads_the_same(local_cube, tmp_path):
    path, _ = local_cube
    copy = tmp_path / "plain.zarr"
    shutil.copytree(path, copy)
    (copy / ".zmetadata").unlink()
    a, b = open_cube(str(path)), open_cube(str(copy))
    assert a.layers.equals(b.layers)
    np.testing.assert_array_equal(
        read_window(a, slice(0, 30), slice(0, 30))["vy"], read_window(b, slice(0, 30), slice(0, 30))["vy"]
    )


def test_missing_chunks_become_nan_and_are_counted(local_cube, tmp_path):
    path, _ = local_cube
    copy = tmp_path / "holes.zarr"
    shutil.copytree(path, copy)
    (copy / "vx" / "0.1.2").unlink()  # rows 10-19, cols 20-29
    full = read_window(open_cube(str(path)), slice(0, 30), slice(0, 30))["vx"]
    stats: dict = {}
    cube = open_cube(str(copy))
    holed = read_window(cube, slice(5, 25), slice(15, 30), stats=stats)["vx"]
    assert stats["missing_chunks"] == 1
    assert stats["missing_values"] == len(cube.layers) * 10 * 10
    assert np.isnan(holed[:, 5:15, 5:15]).all()
    np.testing.assert_array_equal(holed[:, :5], full[:, 5:10, 15:30])


def test_not_a_zarr_store(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InputError, match="not a zarr store"):
        open_cube(str(tmp_path))
    with pytest.raises(InputError, match="not a zarr store"):
        open_cube(str(tmp_path / "missing.zarr"))


def test_cube_without_vx(tmp_path):
    g = zarr.open_group(str(tmp_path / "novx.zarr"), mode="w", zarr_format=2)
    g.create_array("vy", shape=(2, 2, 2), dtype="int16")
    with pytest.raises(InputError, match=r"column 'vx'.*variable missing"):
        open_cube(str(tmp_path / "novx.zarr"))


def test_s3_catalog_url_reads_like_local(s3_cube, local_cube):
    url, _, server = s3_cube
    path, _ = local_cube
    http_url = url.replace("s3://its-live-data/", "http://its-live-data.s3.amazonaws.com/")
    remote = open_cube(http_url, storage_options=server.read_options())
    assert remote.url == url
    local = open_cube(str(path))
    assert remote.layers.equals(local.layers)
    np.testing.assert_array_equal(
        read_window(remote, slice(3, 17), slice(0, 30))["vx"],
        read_window(local, slice(3, 17), slice(0, 30))["vx"],
    )


def test_s3_endpoint_from_environment(s3_cube, monkeypatch):
    url, _, server = s3_cube
    monkeypatch.setenv("SURFACE_MOTION_S3_ENDPOINT", server.endpoint)
    assert len(open_cube(url).layers) > 0


def test_window_reads_only_the_chunks_it_covers(s3_cube):
    url, _, server = s3_cube
    seen = []
    with FaultProxy(server.endpoint, lambda method, path, n: seen.append((method, path)) and None) as proxy:
        cube = open_cube(url, storage_options=server.read_options(proxy.endpoint))
        seen.clear()
        read_window(cube, slice(12, 18), slice(21, 29))
    chunk_gets = sorted(p.rsplit(".zarr/", 1)[1] for m, p in seen if m == "GET")
    assert chunk_gets == ["vx/0.1.2", "vy/0.1.2"]


def test_time_chunked_store_reads_selected_layers(tmp_path):
    truth = write_synthetic_cube(tmp_path / "t.zarr", nx=12, ny=12, n_pairs=60, seed=3, chunks=(16, 5, 5))
    cube = open_cube(str(tmp_path / "t.zarr"))
    assert cube.chunks == (16, 5, 5)
    raw = zarr.open_group(str(tmp_path / "t.zarr"), mode="r", zarr_format=2)["vy"][:]
    layers = cube.layers["layer"].to_numpy()
    got = read_window(cube, slice(0, 12), slice(0, 12), variables=("vy",))["vy"]
    np.testing.assert_array_equal(np.nan_to_num(got, nan=-32767), raw[layers])
    assert truth.layers["layer"].size == 60


def test_plain_http_server_reads_like_local(local_cube):
    import threading
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    path, _ = local_cube
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(path.parent)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        remote = open_cube(f"http://127.0.0.1:{httpd.server_address[1]}/{path.name}")
        local = open_cube(str(path))
        assert remote.layers.equals(local.layers)
        np.testing.assert_array_equal(
            read_window(remote, slice(0, 12), slice(5, 25))["vy"],
            read_window(local, slice(0, 12), slice(5, 25))["vy"],
        )
    finally:
        httpd.shutdown()
        httpd.server_close()
