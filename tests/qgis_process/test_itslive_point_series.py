"""itslive_point_series through qgis_process: a GeoJSON of points on a generated cube, CSV output."""

from __future__ import annotations

import json

import pandas as pd
from pyproj import Transformer


def test_points_to_csv(qgis_process, tmp_path):
    from surface_motion.core.synthetic.itslive import write_synthetic_cube

    truth = write_synthetic_cube(tmp_path / "cube.zarr", nx=20, ny=20, n_pairs=120, seed=9)
    lon, lat = Transformer.from_crs(truth.epsg, 4326, always_xy=True).transform(truth.x[4], truth.y[9])
    points = tmp_path / "points.geojson"
    points.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"id": 7},
                        "geometry": {"type": "Point", "coordinates": [lon, lat]},
                    }
                ],
            }
        )
    )
    csv = tmp_path / "series.csv"
    result = qgis_process(
        "itslive_point_series",
        POINTS=points,
        POINT_ID="id",
        CUBES=tmp_path / "cube.zarr",
        NEIGHBORHOOD=1,
        MIN_DATE_DT=10,
        OUTPUT=tmp_path / "series.gpkg",
        CSV=csv,
    )["results"]
    assert result["CSV"] == str(csv)
    table = pd.read_csv(csv)
    assert (table["point_id"] == 7).all() and (table["date_dt"] >= 10).all() and len(table) > 30
    assert table["x"].iloc[0] == truth.x[4] and table["y"].iloc[0] == truth.y[9]


def test_empty_points_fail(qgis_process, tmp_path):
    points = tmp_path / "points.geojson"
    points.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    failed = qgis_process(
        "itslive_point_series",
        expect_failure=True,
        POINTS=points,
        CUBES=tmp_path / "none.zarr",
        OUTPUT=tmp_path / "series.gpkg",
    )
    assert "POINTS" in failed["stdout"] + failed["stderr"]
    assert not (tmp_path / "series.gpkg").exists()
