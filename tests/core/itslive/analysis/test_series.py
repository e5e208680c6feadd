"""Point series on a generated cube: pixel and 3×3 median values against direct reads, filters,
only the chunks under the points read, bad inputs, cancellation, CSV round trip."""

from __future__ import annotations

import shutil
import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
import zarr
from pyproj import Transformer
from surface_motion.core.errors import CancelledError, InputError, ParameterError
from surface_motion.core.itslive.analysis import series_table
from surface_motion.core.itslive.analysis.series import PointSeriesConfig, point_series, write_series_csv
from surface_motion.core.progress import Progress


def _points(truth, pixels, crs=4326, extra=()):
    """Points at pixel centres (row, col) of the cube, given in ``crs``."""
    to = Transformer.from_crs(truth.epsg, crs, always_xy=True)
    xy = [to.transform(truth.x[c], truth.y[r]) for r, c in pixels] + list(extra)
    return gpd.GeoDataFrame(
        {"point_id": np.arange(10, 10 + len(xy))}, geometry=[shapely.Point(p) for p in xy], crs=crs
    )


def _direct(path, name, rows, cols):
    """(n_layers_stored, len(rows), len(cols)) float with missing_value → NaN."""
    data = np.asarray(zarr.open_group(str(path), mode="r")[name][:, rows, cols]).astype(float)
    data[data == -32767] = np.nan
    return data


def test_pixel_series_match_the_cube(local_cube):
    path, truth = local_cube
    messages = []
    outside = [(0.0, 0.0)]
    table = point_series(
        _points(truth, [(12, 7), (25, 28)], extra=outside),
        PointSeriesConfig(cubes=(str(path),)),
        Progress(on_warning=messages.append),
    )
    assert set(table["point_id"]) == {10, 11}
    assert any("outside every cube" in m and "12" in m for m in messages)
    for pid, (r, c) in ((10, (12, 7)), (11, (25, 28))):
        got = table[table["point_id"] == pid]
        stored = {
            n: _direct(path, n, slice(r, r + 1), slice(c, c + 1))[:, 0, 0]
            for n in ("v", "vx", "vy", "v_error")
        }
        layer_of = {m: i for i, m in enumerate(zarr.open_group(str(path), mode="r")["mid_date"][:])}
        assert len(got) > 100 and got["mid_date"].is_monotonic_increasing
        # each row is the stored layer with that mid_date
        mids = (got["mid_date"] - np.datetime64("1970-01-01")) / np.timedelta64(1, "D")
        idx = np.array([min(layer_of, key=lambda m, d=d: abs(m - d)) for d in mids[:20]])
        rows = [layer_of[i] for i in idx]
        for name in ("v", "vx", "vy", "v_error"):
            np.testing.assert_allclose(got[name].to_numpy()[:20], stored[name][rows])
        assert (got["img1"] < got["img2"]).all()
        np.testing.assert_allclose(got["date_dt"], (got["img2"] - got["img1"]).dt.total_seconds() / 86400)
        assert (
            set(got["mission_img1"]) <= {"S", "L"}
            and got["x"].iloc[0] == truth.x[c]
            and got["epsg"].iloc[0] == 3413
        )
        assert got["vx_error"].notna().all()


def test_three_by_three_median_and_edges(local_cube):
    path, truth = local_cube
    table = point_series(
        _points(truth, [(12, 7), (0, 0)], crs=3413), PointSeriesConfig(cubes=(str(path),), neighborhood=3)
    )
    for pid, rows, cols in ((10, slice(11, 14), slice(6, 9)), (11, slice(0, 2), slice(0, 2))):
        block = _direct(path, "vx", rows, cols).reshape(
            -1, (rows.stop - rows.start) * (cols.stop - cols.start)
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = np.nanmedian(block, axis=1)
        got = table[table["point_id"] == pid]["vx"].to_numpy()
        assert np.isin(got, expected[np.isfinite(expected)]).all()
        assert len(got) == len(np.unique(table[table["point_id"] == pid]["mid_date"]))


def test_filters(local_cube):
    path, truth = local_cube
    points = _points(truth, [(12, 7)])
    s1 = point_series(points, PointSeriesConfig(cubes=(str(path),), missions="Sentinel-1", max_dt=24))
    assert set(s1["satellite_img1"]) <= {"1A", "1B"} and s1["date_dt"].max() <= 24
    window = point_series(
        points, PointSeriesConfig(cubes=(str(path),), start="2019-01-01", end="2019-12-31", min_dt=10)
    )
    assert window["img1"].min() >= np.datetime64("2019-01-01") and window["img2"].max() <= np.datetime64(
        "2019-12-31"
    )
    assert window["date_dt"].min() >= 10
    with pytest.raises(InputError, match="no image pair is left"):
        point_series(points, PointSeriesConfig(cubes=(str(path),), start="2030-01-01", end="2031-01-01"))


def test_only_the_chunks_under_the_points_are_read(local_cube, tmp_path):
    path, truth = local_cube
    copy = tmp_path / path.name
    shutil.copytree(path, copy)
    for name in ("v", "vx", "vy", "v_error"):
        for chunk in (copy / name).iterdir():
            if not chunk.name.startswith(".") and chunk.name != "0.1.0":  # keep rows 10–19, cols 0–9
                chunk.unlink()
    messages = []
    config = PointSeriesConfig(cubes=(str(copy),), neighborhood=3)
    got = point_series(_points(truth, [(12, 7), (15, 2)]), config, Progress(on_warning=messages.append))
    full = point_series(
        _points(truth, [(12, 7), (15, 2)]), PointSeriesConfig(cubes=(str(path),), neighborhood=3)
    )
    assert not [m for m in messages if "missing" in m]
    np.testing.assert_array_equal(got["v"].to_numpy(), full["v"].to_numpy())


def test_bad_inputs_and_cancellation(local_cube):
    path, truth = local_cube
    config = PointSeriesConfig(cubes=(str(path),))
    with pytest.raises(InputError, match="POINTS: the layer has no features"):
        point_series(gpd.GeoDataFrame({"point_id": []}, geometry=[], crs=4326), config)
    with pytest.raises(InputError, match="no point lies inside"):
        point_series(gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)], crs=4326), config)
    with pytest.raises(ParameterError, match="NEIGHBORHOOD"):
        point_series(_points(truth, [(1, 1)]), PointSeriesConfig(cubes=(str(path),), neighborhood=2))
    with pytest.raises(CancelledError):
        point_series(_points(truth, [(1, 1), (25, 25)]), config, Progress(is_cancelled=lambda: True))


def test_csv_round_trip_feeds_the_gp(local_cube, tmp_path):
    path, truth = local_cube
    table = point_series(_points(truth, [(12, 7)]), PointSeriesConfig(cubes=(str(path),)))
    csv = write_series_csv(table, tmp_path / "series.csv")
    back = series_table.read_series_csv(csv)
    assert len(back) == len(table)
    np.testing.assert_allclose(back["v"], table["v"])
    assert (back["img1"] == table["img1"]).all() and (back["point_id"] == 10).all()


def test_cubes_found_in_a_catalog(local_cube, tmp_path):
    from surface_motion.core.itslive.io.catalog import write_local_catalog

    path, truth = local_cube
    catalog = write_local_catalog(tmp_path / "catalog.json", [(path, truth.epsg, truth.x, truth.y)])
    table = point_series(_points(truth, [(3, 4)]), PointSeriesConfig(catalog=str(catalog)))
    assert (table["zarr_url"] == str(path)).all() and len(table) > 100
    with pytest.raises(
        InputError, match=r"POINTS: no ITS_LIVE cube of the catalog .* covers any of the points"
    ):
        point_series(
            gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)], crs=4326),
            PointSeriesConfig(catalog=str(catalog)),
        )
