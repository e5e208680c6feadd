"""itslive_find_cubes through qgis_process: a GeoJSON AOI on the real catalog; a bad catalog fails."""

from __future__ import annotations

import json

from tests.conftest import shared_fixture

JAKOBSHAVN = (
    "http://its-live-data.s3.amazonaws.com/datacubes/v2/N60W040/"
    "ITS_LIVE_vel_EPSG3413_G0120_X-150000_Y-2250000.zarr"
)


def _aoi(path, lon, lat):
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "glacier"},
                        "geometry": {"type": "Point", "coordinates": [lon, lat]},
                    }
                ],
            }
        )
    )
    return path


def test_jakobshavn(qgis_process, tmp_path):
    out = tmp_path / "cubes.gpkg"
    result = qgis_process(
        "itslive_find_cubes",
        AOI=_aoi(tmp_path / "aoi.geojson", -49.4604, 69.1117),
        CATALOG=shared_fixture("itslive", "catalog_v02.json"),
        OUTPUT=out,
    )
    assert result["results"]["CUBES"] == JAKOBSHAVN
    assert result["results"]["COUNT"] == 1
    import geopandas as gpd
    import shapely

    footprints = gpd.read_file(out)
    assert list(footprints["zarr_url"]) == [JAKOBSHAVN] and footprints.crs.to_epsg() == 4326
    assert footprints.geometry.iloc[0].contains(shapely.Point(-49.4604, 69.1117))


def test_bad_catalog(qgis_process, tmp_path):
    bad = tmp_path / "catalog.json"
    bad.write_text('{"type": "FeatureCollection", "features": []}')
    out = tmp_path / "cubes.gpkg"
    failed = qgis_process(
        "itslive_find_cubes",
        expect_failure=True,
        AOI=_aoi(tmp_path / "aoi.geojson", 0, 0),
        CATALOG=bad,
        OUTPUT=out,
    )
    assert "catalog.json: the catalog has no features" in failed["stdout"] + failed["stderr"]
    assert not out.exists()
