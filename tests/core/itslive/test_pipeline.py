"""The inversion pipeline end to end: accuracy, bad inputs, cancellation, resume after SIGKILL,
Dask, S3 faults and missing chunks — never a partial product."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from dataclasses import replace
from pathlib import Path

import netCDF4
import numpy as np
import pytest
from surface_motion.core.errors import CancelledError, InputError, ParameterError
from surface_motion.core.itslive.config import ItsliveInvertConfig
from surface_motion.core.itslive.inversion.config import InversionConfig
from surface_motion.core.itslive.io.cube import open_cube
from surface_motion.core.itslive.pipeline import run_itslive_invert
from surface_motion.core.progress import Progress

from tests.s3server import FaultProxy, every

PLUGINS = Path(__file__).resolve().parents[3] / ".build" / "plugins"
DATA_VARS = ("vx", "vy", "v", "vx_error", "vy_error", "v_error", "count", "glacier_id", "time", "x", "y")


@pytest.fixture(scope="module")
def inputs(local_cube, tmp_path_factory):
    path, truth = local_cube
    folder = tmp_path_factory.mktemp("pipeline")
    glaciers = folder / "glaciers.gpkg"
    truth.glaciers.to_crs(4326).to_file(glaciers)
    return path, truth, glaciers


INVERSION = InversionConfig(interval_days=12, robust=True, device="cpu")


def config(inputs, output, **kw) -> ItsliveInvertConfig:
    path, _, glaciers = inputs
    base = dict(
        glaciers=glaciers,
        output=output,
        cubes=[str(path)],
        start="2018-01-01",
        end="2021-01-01",
        inversion=INVERSION,
        block_size=10,
    )
    return ItsliveInvertConfig(**{**base, **kw})


@pytest.fixture(scope="module")
def reference(inputs, tmp_path_factory):
    """An uninterrupted in-process run (the file every other run must reproduce)."""
    out = tmp_path_factory.mktemp("reference") / "velocity.nc"
    messages = []
    result = run_itslive_invert(config(inputs, out), Progress(on_info=messages.append))
    assert any(m.startswith(f"λ = {result.lam:.3g}") and "cross-validation" in m for m in messages), messages
    return out, result


def variables(path: Path) -> dict[str, np.ndarray]:
    with netCDF4.Dataset(path) as ds:
        ds.set_auto_mask(False)
        return {k: ds[k][:] for k in DATA_VARS}


def assert_same_data(a: Path, b: Path, same_attrs_but: tuple[str, ...] | None = None) -> None:
    va, vb = variables(a), variables(b)
    for k in DATA_VARS:
        np.testing.assert_array_equal(va[k], vb[k], err_msg=k)
    if same_attrs_but is not None:
        with netCDF4.Dataset(a) as da, netCDF4.Dataset(b) as db:
            attrs_a, attrs_b = (
                {k: str(d.getncattr(k)) for k in d.ncattrs() if k not in same_attrs_but} for d in (da, db)
            )
        assert attrs_a == attrs_b


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if "partial" in p.name or p.suffix in (".nc", ".tif"))


def test_product_is_cf_and_beats_raw_pairs(inputs, reference):
    path, truth, _ = inputs
    out, result = reference
    assert result.n_blocks == 8 and result.n_resumed == 0 and result.missing_chunks == 0
    with netCDF4.Dataset(out) as ds:
        assert ds.Conventions == "CF-1.8"
        assert ds["vx"].dimensions == ("time", "y", "x") and ds["vx"].grid_mapping == "mapping"
        assert ds["mapping"].spatial_epsg == 3413 and ds["mapping"].grid_mapping_name == "polar_stereographic"
        assert ds["time"].units.startswith("days since 1970-01-01")
        assert ds.parameter_lam == "" and ds.parameter_robust == 1 and ds.parameter_interval_days == 12.0
        assert 1e-6 < ds.inversion_lambda < 1e-1 and "cross-validation" in ds.inversion_lambda_selection
        assert "never extrapolated" in ds["vx"].comment
        assert list(ds["glacier_RGIId"][:]) == ["RGI60-01.90001", "RGI60-01.90002"]
        edges = np.r_[ds["time_bnds"][:, 0], ds["time_bnds"][-1, 1]]
        x, y = ds["x"][:], ds["y"][:]
        vx = ds["vx"][:].filled(np.nan)
        count = ds["count"][:]
        gid = ds["glacier_id"][:].filled(0)
    # the output grid is the cube's own lattice, and glacier pixels carry data
    ix, iy = np.searchsorted(truth.x, x), np.searchsorted(-truth.y, -y)
    np.testing.assert_allclose(truth.x[ix], x)
    assert np.isfinite(vx[:, gid > 0]).mean() > 0.9 and np.isnan(vx[:, gid == 0]).all()
    true_vx = np.moveaxis(truth.bin_mean(edges)[0], -1, 0)[:, iy][:, :, ix]
    ok = np.isfinite(vx) & (count > 0)
    rmse_inverted = np.sqrt(np.mean((vx[ok] - true_vx[ok]) ** 2))
    # raw pairs against their own true mean, on the same glacier pixels
    cube = open_cube(str(path))
    from surface_motion.core.itslive.inversion import days_since_epoch as days
    from surface_motion.core.itslive.io.cube import read_window

    raw = read_window(cube, slice(iy.min(), iy.max() + 1), slice(ix.min(), ix.max() + 1), ("vx",))["vx"]
    t1, t2 = days(cube.layers["img1"].to_numpy()), days(cube.layers["img2"].to_numpy())
    pair_vx = np.moveaxis(truth.mean_velocity(t1, t2)[0], -1, 0)[
        :, iy.min() : iy.max() + 1, ix.min() : ix.max() + 1
    ]
    on = (gid > 0)[None] & np.isfinite(raw)
    rmse_raw = np.sqrt(np.mean((raw[on] - pair_vx[on]) ** 2))
    assert rmse_inverted < 0.5 * rmse_raw, (rmse_inverted, rmse_raw)


@pytest.mark.parametrize(
    "change, error, message",
    [
        (dict(cubes=["{tmp}/notzarr"]), InputError, "not a zarr store"),
        (dict(cubes=["{tmp}/novx.zarr"]), InputError, "column 'vx'"),
        (dict(start="2020-01-01", end="2019-01-01"), ParameterError, "START_DATE"),
        (
            dict(start="2019-01-01", end="2019-01-20", inversion=replace(INVERSION, interval_days=30)),
            ParameterError,
            "INTERVAL_DAYS.*longer",
        ),
        (dict(glaciers="{tmp}/far.gpkg"), InputError, "no glacier lies on any cube"),
    ],
)
def test_bad_inputs_fail_with_no_output(inputs, tmp_path, change, error, message):
    import geopandas as gpd
    import zarr
    from shapely.geometry import box

    (tmp_path / "notzarr").mkdir()
    (tmp_path / "notzarr" / "readme.txt").write_text("not a cube")
    zarr.open_group(str(tmp_path / "novx.zarr"), mode="w", zarr_format=2).create_array(
        "vy", shape=(1, 1, 1), dtype="i2"
    )
    gpd.GeoDataFrame({"RGIId": ["far"]}, geometry=[box(0, 0, 1000, 1000)], crs=3413).to_file(
        tmp_path / "far.gpkg"
    )
    change = {
        k: (
            [v.format(tmp=tmp_path) for v in val]
            if isinstance(val, list)
            else val.format(tmp=tmp_path)
            if isinstance(val, str)
            else val
        )
        for k, val in change.items()
    }
    out = tmp_path / "out" / "velocity.nc"
    with pytest.raises(error, match=message):
        run_itslive_invert(config(inputs, out, **change))
    assert not out.parent.exists() or leftovers(out.parent) == []


def test_cancel_between_blocks_then_resume(inputs, reference, tmp_path):
    out = tmp_path / "velocity.nc"
    state = {"cancel_at": None}

    def on_progress(fraction, message):
        if message.startswith("Block 2/") and state["cancel_at"] is None:
            state["cancel_at"] = time.perf_counter()

    progress = Progress(on_progress=on_progress, is_cancelled=lambda: state["cancel_at"] is not None)
    with pytest.raises(CancelledError):
        run_itslive_invert(config(inputs, out), progress)
    assert time.perf_counter() - state["cancel_at"] < 2.0
    assert leftovers(tmp_path) == []
    checkpoint = tmp_path / ".velocity.checkpoint"
    assert sorted(p.name for p in checkpoint.iterdir()) == ["block-000000", "block-000001", "manifest.json"]
    result = run_itslive_invert(config(inputs, out))
    assert result.n_resumed == 2
    assert out.read_bytes() == reference[0].read_bytes()
    assert not checkpoint.exists()


def test_changed_parameters_do_not_reuse_the_checkpoint(inputs, tmp_path):
    out = tmp_path / "velocity.nc"
    state = {"stop": False}
    progress = Progress(
        on_progress=lambda f, m: state.update(stop=state["stop"] or m.startswith("Block 1/")),
        is_cancelled=lambda: state["stop"],
    )
    with pytest.raises(CancelledError):
        run_itslive_invert(config(inputs, out), progress)
    assert run_itslive_invert(config(inputs, out, inversion=replace(INVERSION, lam=3.0))).n_resumed == 0


KILLED_RUN = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, sys.argv[1])
    from surface_motion.core.itslive.config import ItsliveInvertConfig
    from surface_motion.core.itslive.inversion.config import InversionConfig
    from surface_motion.core.itslive.pipeline import run_itslive_invert
    from surface_motion.core.progress import Progress
    cube, glaciers, output, marker = sys.argv[2:6]

    def on_progress(fraction, message):
        if message.startswith("Block 3/"):
            open(marker, "w").close()
            time.sleep(120)  # killed here

    run_itslive_invert(ItsliveInvertConfig(glaciers=glaciers, output=output, cubes=[cube], start="2018-01-01",
                       end="2021-01-01", block_size=10,
                       inversion=InversionConfig(interval_days=12, robust=True, device="cpu")),
                       Progress(on_progress=on_progress))
""")


def test_sigkill_then_rerun_resumes_to_an_identical_file(inputs, reference, tmp_path):
    path, _, glaciers = inputs
    out, marker = tmp_path / "velocity.nc", tmp_path / "marker"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_RUN, str(PLUGINS), str(path), str(glaciers), str(out), str(marker)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.time() + 120
        while not marker.exists():
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            assert time.time() < deadline, "the child never reached block 3"
            time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert leftovers(tmp_path) == []
    result = run_itslive_invert(config(inputs, out))
    assert result.n_resumed == 3
    assert out.read_bytes() == reference[0].read_bytes()


def test_dask_local_cluster_gives_the_same_file(inputs, reference, tmp_path):
    out = tmp_path / "velocity.nc"
    result = run_itslive_invert(config(inputs, out, scheduler="local", n_workers=2))
    assert result.n_blocks == reference[1].n_blocks
    # the same file but for the attributes recording how it was run
    assert_same_data(out, reference[0], same_attrs_but=("parameter_scheduler", "parameter_n_workers"))


def test_dask_cancel_stops_the_blocks_and_a_rerun_resumes(inputs, reference, tmp_path):
    out = tmp_path / "velocity.nc"
    state = {"cancel_at": None}

    def on_progress(fraction, message):
        if message == "Inverting blocks" and state["cancel_at"] is None:
            state["cancel_at"] = time.perf_counter()

    progress = Progress(on_progress=on_progress, is_cancelled=lambda: state["cancel_at"] is not None)
    with pytest.raises(CancelledError):
        run_itslive_invert(config(inputs, out, scheduler="local", n_workers=1), progress)
    assert time.perf_counter() - state["cancel_at"] < 5.0  # the gatherer's poll, not the end of the blocks
    assert not out.exists() and leftovers(tmp_path) == []
    result = run_itslive_invert(config(inputs, out))
    assert result.n_resumed < result.n_blocks
    assert_same_data(out, reference[0])


def test_s3_faults_are_retried_with_the_same_result(inputs, reference, s3_cube, tmp_path):
    url, _, server = s3_cube
    out = tmp_path / "velocity.nc"
    with FaultProxy(server.endpoint, every(3, 503), max_faults=10) as proxy:
        run_itslive_invert(
            config(inputs, out, cubes=[url], storage_options=server.read_options(proxy.endpoint))
        )
    assert proxy.faults >= 5  # about every third chunk read failed once
    assert_same_data(out, reference[0])


def test_s3_request_that_keeps_failing_leaves_no_product(inputs, s3_cube, tmp_path, monkeypatch):
    url, _, server = s3_cube
    monkeypatch.setenv("SURFACE_MOTION_S3_ATTEMPTS", "2")
    out = tmp_path / "velocity.nc"
    with FaultProxy(server.endpoint, every(1, 500, pattern=r"vx/0\.1\.1$"), max_faults=None) as proxy:
        with pytest.raises(InputError, match=r"vx/0\.1\.1' failed after 2 attempts"):
            run_itslive_invert(
                config(inputs, out, cubes=[url], storage_options=server.read_options(proxy.endpoint))
            )
    assert leftovers(tmp_path) == []


def test_missing_chunks_are_nan_with_a_warning(inputs, reference, tmp_path):
    path, _, _ = inputs
    holed = tmp_path / "holed.zarr"
    shutil.copytree(path, holed)
    (holed / "vx" / "0.1.1").unlink()  # cube rows 10-19, cols 10-19
    warnings = []
    out = tmp_path / "velocity.nc"
    with netCDF4.Dataset(reference[0]) as ds:
        lam = float(ds.inversion_lambda)  # the same λ: a hole in the λ sample would move the choice
    result = run_itslive_invert(
        config(inputs, out, cubes=[str(holed)], inversion=replace(INVERSION, lam=lam)),
        Progress(on_warning=warnings.append),
    )
    assert result.missing_chunks == 1 and result.missing_values > 0
    assert any("1 chunks missing" in w for w in warnings)
    got, ref = variables(out), variables(reference[0])
    hole = np.isnan(got["vx"]) & np.isfinite(ref["vx"])
    assert hole.any()
    # outside the hole, identical
    np.testing.assert_array_equal(got["vx"][~hole], ref["vx"][~hole])


def test_glacier_across_two_cubes_is_stitched(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box
    from surface_motion.core.synthetic.itslive import write_synthetic_cube

    kw = dict(nx=20, ny=20, n_pairs=120, seed=3)
    write_synthetic_cube(tmp_path / "west.zarr", origin=(0.0, 2400.0), **kw)
    write_synthetic_cube(tmp_path / "east.zarr", origin=(2400.0, 2400.0), **kw)
    outline = gpd.GeoDataFrame({"RGIId": ["across"]}, geometry=[box(1210, 610, 3590, 1790)], crs=3413)
    common = dict(
        glaciers=outline,
        start="2018-01-01",
        end="2021-01-01",
        inversion=InversionConfig(interval_days=30, device="cpu"),
    )
    both = run_itslive_invert(
        ItsliveInvertConfig(
            output=tmp_path / "both.nc",
            cubes=[str(tmp_path / "west.zarr"), str(tmp_path / "east.zarr")],
            **common,
        )
    )
    run_itslive_invert(
        ItsliveInvertConfig(output=tmp_path / "west.nc", cubes=[str(tmp_path / "west.zarr")], **common)
    )
    assert both.cubes == [str(tmp_path / "west.zarr"), str(tmp_path / "east.zarr")]
    vb, vw = variables(tmp_path / "both.nc"), variables(tmp_path / "west.nc")
    assert np.allclose(np.diff(vb["x"]), 120.0) and vb["x"][0] < 2400 < vb["x"][-1]
    # the western half of the stitched grid is the single-cube result
    cols = np.searchsorted(vb["x"], vw["x"])
    np.testing.assert_allclose(vb["vx"][:, :, cols], vw["vx"], rtol=1e-5, atol=1e-3, equal_nan=True)
    assert np.isfinite(vb["vx"][:, :, vb["x"] > 2400]).any()


def test_mean_velocity_geotiff_is_georeferenced(inputs, reference, tmp_path):
    import tifffile

    out, tif = tmp_path / "velocity.nc", tmp_path / "mean.tif"
    run_itslive_invert(config(inputs, out, geotiff=tif))
    v = variables(reference[0])
    with tifffile.TiffFile(tif) as f:
        page = f.pages[0]
        image = page.asarray()
        tie = page.tags["ModelTiepointTag"].value
        scale = page.tags["ModelPixelScaleTag"].value
        keys = page.tags["GeoKeyDirectoryTag"].value
    assert image.shape == v["vx"].shape[1:]
    assert tie[3] == pytest.approx(v["x"][0] - 60) and tie[4] == pytest.approx(v["y"][0] + 60)
    assert scale[:2] == (120.0, 120.0) and 3413 in keys
    with warnings.catch_warnings():  # all-NaN pixels off the glaciers
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanmean(v["v"], axis=0)
    np.testing.assert_allclose(np.where(image == -9999, np.nan, image), expected, rtol=1e-6, equal_nan=True)


def test_cubes_found_in_a_catalog_when_none_given(inputs, reference, s3_cube, tmp_path):
    import json

    import geopandas as gpd
    from shapely.geometry import box, mapping

    url, truth, server = s3_cube
    footprint = box(truth.x[0] - 60, truth.y[-1] - 60, truth.x[-1] + 60, truth.y[0] + 60)
    lonlat = gpd.GeoSeries([footprint], crs=3413).to_crs(4326).iloc[0]
    http_url = url.replace("s3://its-live-data/", "http://its-live-data.s3.amazonaws.com/")
    catalog = tmp_path / "catalog.json"
    catalog.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": mapping(lonlat),
                        "properties": {
                            "zarr_url": http_url,
                            "epsg": 3413,
                            "geometry_epsg": mapping(footprint),
                            "datacube_exist": 1,
                            "FULL_NAME": "Synthetic",
                            "RGI_CODE": 1,
                        },
                    }
                ],
            }
        )
    )
    out = tmp_path / "velocity.nc"
    result = run_itslive_invert(
        config(inputs, out, cubes=[], catalog=str(catalog), storage_options=server.read_options())
    )
    assert result.cubes == [url]
    assert_same_data(out, reference[0])


def test_progress_moves_and_cancels_within_a_large_block(inputs, tmp_path, monkeypatch):
    """One block holding every glacier pixel (as a 10⁵-pixel glacier's blocks are large): progress
    moves batch by batch within it and a cancel takes effect within 2 s (QGIS stays usable). Small
    batches here stand in for the many batches of a large block."""
    from surface_motion.core.itslive.inversion import solver

    monkeypatch.setattr(solver, "BATCH_PATTERNS", 8)
    times, state = [], {"cancel_at": None}

    def on_progress(fraction, message):
        times.append(time.perf_counter())
        if fraction > 0.5 and state["cancel_at"] is None:
            state["cancel_at"] = time.perf_counter()

    progress = Progress(on_progress=on_progress, is_cancelled=lambda: state["cancel_at"] is not None)
    with pytest.raises(CancelledError):
        run_itslive_invert(
            config(inputs, tmp_path / "velocity.nc", block_size=200, inversion=replace(INVERSION, lam=3e-4)),
            progress,
        )
    assert time.perf_counter() - state["cancel_at"] < 2.0
    inside = [t for t in times if t <= state["cancel_at"]]
    assert len(inside) > 20 and max(np.diff(inside)) < 1.0
