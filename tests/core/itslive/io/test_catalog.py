"""Catalog loading (file, URL with cache, offline) and cube search against the real catalog_v02.json."""

from __future__ import annotations

import json
import os
import time

import geopandas as gpd
import pytest
import shapely
from pyproj import Transformer
from surface_motion.core.errors import InputError, ParameterError
from surface_motion.core.itslive.io.catalog import cache_path, find_cubes, load_catalog, parse_catalog

from tests.conftest import shared_fixture

BASE = "http://its-live-data.s3.amazonaws.com/datacubes/v2/"
ANDES = BASE + "S50W070/ITS_LIVE_vel_EPSG32718_G0120_X450000_Y4450000.zarr"
ANDES_NORTH = BASE + "S40W070/ITS_LIVE_vel_EPSG32718_G0120_X450000_Y4550000.zarr"
JAKOBSHAVN = BASE + "N60W040/ITS_LIVE_vel_EPSG3413_G0120_X-150000_Y-2250000.zarr"
UNREACHABLE = "http://127.0.0.1:9/datacubes/catalog_v02.json"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(shared_fixture("itslive", "catalog_v02.json"))


def _utm18s_point(x, y, crs=4326):
    lon, lat = Transformer.from_crs(32718, crs, always_xy=True).transform(x, y)
    return gpd.GeoDataFrame({"id": [1]}, geometry=[shapely.Point(lon, lat)], crs=crs)


def test_real_catalog_columns(catalog):
    assert len(catalog) == 3086
    assert catalog.crs.to_epsg() == 4326
    row = catalog[catalog.zarr_url == ANDES].iloc[0]
    assert row.epsg == 32718 and row.region == "Southern Andes" and row.rgi_code == 17
    assert row.footprint_epsg.bounds == (400000, 4400000, 500000, 4500000)


def test_point_on_southern_andes_cube(catalog):
    # the centre of the cube's own 32718 footprint, given in lon/lat and in Web Mercator
    for crs in (4326, 3857):
        found = find_cubes(catalog, _utm18s_point(450000, 4450000, crs))
        assert found.zarr_url.tolist() == [ANDES]
        assert found.epsg.tolist() == [32718] and found.region.tolist() == ["Southern Andes"]
        assert found.crs.to_epsg() == crs
        assert tuple(found.iloc[0][["x_min", "y_min", "x_max", "y_max"]]) == (
            400000,
            4400000,
            500000,
            4500000,
        )


def test_inside_lonlat_box_but_outside_projected_footprint(catalog):
    # 200 m north of the Andes cube's northern edge in its own CRS: inside its lon/lat polygon
    # (straight lon/lat edges bulge), outside its footprint, inside the cube to the north.
    aoi = _utm18s_point(450000, 4500200)
    lonlat_box = catalog[catalog.zarr_url == ANDES].geometry.iloc[0]
    assert lonlat_box.contains(aoi.geometry.iloc[0])
    assert find_cubes(catalog, aoi).zarr_url.tolist() == [ANDES_NORTH]


def test_polygon_aoi_across_two_cubes_and_polar_stereographic(catalog):
    line = shapely.LineString([(450000, 4440000), (450000, 4560000)])
    aoi = gpd.GeoDataFrame(geometry=[line], crs=32718)
    assert sorted(find_cubes(catalog, aoi).zarr_url) == sorted([ANDES, ANDES_NORTH])
    jak = gpd.GeoDataFrame(geometry=[shapely.Point(-49.4604, 69.1117)], crs=4326)
    found = find_cubes(catalog, jak)
    assert found.zarr_url.tolist() == [JAKOBSHAVN] and found.epsg.tolist() == [3413]
    assert found.geometry.iloc[0].contains(jak.geometry.iloc[0])


def test_aoi_outside_every_cube_and_bad_aoi(catalog):
    ocean = gpd.GeoDataFrame(geometry=[shapely.Point(0.0, 0.0)], crs=4326)
    assert find_cubes(catalog, ocean).empty
    with pytest.raises(ParameterError, match="no CRS"):
        find_cubes(catalog, gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)]))
    with pytest.raises(ParameterError, match="no features"):
        find_cubes(catalog, gpd.GeoDataFrame(geometry=[], crs=4326))


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("zarr_url,epsg\nhttp://x,3413\n", "not valid JSON"),
        ('{"type": "Feature", "properties": {}}', "FeatureCollection"),
        (
            '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"epsg": 1}, '
            '"geometry": null}]}',
            "zarr_url",
        ),
    ],
)
def test_not_a_geojson_catalog(tmp_path, content, reason):
    path = tmp_path / "catalog.json"
    path.write_text(content)
    with pytest.raises(InputError, match=reason) as info:
        parse_catalog(path)
    assert "catalog.json" in str(info.value)


def test_offline_uses_cache_or_fails_naming_url_and_cache(tmp_path):
    messages = []
    from surface_motion.core.progress import Progress

    progress = Progress(on_warning=messages.append)
    with pytest.raises(InputError) as info:
        load_catalog(UNREACHABLE, cache_dir=tmp_path)
    assert UNREACHABLE in str(info.value) and str(cache_path(UNREACHABLE, tmp_path)) in str(info.value)
    # a stale cached copy is used when the network is down, with a warning
    cached = cache_path(UNREACHABLE, tmp_path)
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [0, 0]},
        "properties": {
            "zarr_url": "http://b/c.zarr",
            "epsg": 3413,
            "geometry_epsg": {"type": "Point", "coordinates": [0, 0]},
        },
    }
    cached.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    old = time.time() - 90 * 86400
    os.utime(cached, (old, old))
    table = load_catalog(UNREACHABLE, cache_dir=tmp_path, progress=progress)
    assert table.zarr_url.tolist() == ["http://b/c.zarr"]
    assert messages and "offline" in messages[0] and str(cached) in messages[0]


def test_local_catalog_round_trip(tmp_path):
    import numpy as np
    from surface_motion.core.itslive.io.catalog import write_local_catalog

    x = -3300000.0 + 120.0 * (np.arange(10) + 0.5)
    y = 300000.0 - 120.0 * (np.arange(8) + 0.5)
    path = write_local_catalog(tmp_path / "catalog.json", [(tmp_path / "cube.zarr", 3413, x, y)])
    table = load_catalog(path)
    assert table.footprint_epsg.iloc[0].bounds == (
        -3300000.0,
        300000.0 - 960.0,
        -3300000.0 + 1200.0,
        300000.0,
    )
    inside = gpd.GeoDataFrame(geometry=[shapely.Point(x[3], y[3])], crs=3413)
    assert find_cubes(table, inside.to_crs(4326)).zarr_url.tolist() == [str(tmp_path / "cube.zarr")]


def test_cubes_under_uses_the_official_catalog_by_default_and_names_the_parameter(tmp_path, monkeypatch):
    import numpy as np
    from surface_motion.core.itslive.io.catalog import DEFAULT_CATALOG_URL, cubes_under, write_local_catalog

    monkeypatch.setenv("SURFACE_MOTION_CACHE", str(tmp_path))  # a fresh cached copy: no download
    x, y = np.arange(450_060.0, 460_000.0, 120.0), np.arange(4_459_940.0, 4_450_000.0, -120.0)
    cached = cache_path(DEFAULT_CATALOG_URL)
    cached.parent.mkdir(parents=True)
    write_local_catalog(cached, [("cube.zarr", 32718, x, y)])
    for default in (None, "", "  "):
        found = cubes_under(_utm18s_point(455_000, 4_455_000), default, "GLACIERS", "the glaciers")
        assert list(found["zarr_url"]) == ["cube.zarr"]
    with pytest.raises(
        InputError,
        match=f"^GLACIERS: no ITS_LIVE cube of the catalog {DEFAULT_CATALOG_URL} covers the glaciers; "
        "check the layer's CRS$",
    ):
        cubes_under(_utm18s_point(555_000, 4_455_000), None, "GLACIERS", "the glaciers")
