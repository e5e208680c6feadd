"""itslive_point_series through processing.run: generated cube, points in lon/lat with an id field,
3×3 median, filters, CSV and GP outputs; an empty layer and cancellation leave no output."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Transformer
from qgis.core import (
    QgsFeature,
    QgsField,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QVariant


@pytest.fixture(scope="module")
def cube(tmp_path_factory):
    from surface_motion.core.synthetic.itslive import write_synthetic_cube

    path = tmp_path_factory.mktemp("itslive_point_series") / "cube.zarr"
    return path, write_synthetic_cube(path, nx=20, ny=20, n_pairs=150, seed=5)


def points_layer(truth, pixels):
    layer = QgsVectorLayer("Point?crs=EPSG:4326", "points", "memory")
    layer.dataProvider().addAttributes([QgsField("name", QVariant.String)])
    layer.updateFields()
    to_lonlat = Transformer.from_crs(truth.epsg, 4326, always_xy=True)
    features = []
    for k, (r, c) in enumerate(pixels):
        feature = QgsFeature(layer.fields())
        feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(*to_lonlat.transform(truth.x[c], truth.y[r]))))
        feature["name"] = f"P{k}"
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    return layer


def test_series_csv_and_gp(run_algorithm, cube, tmp_path):
    path, truth = cube
    out, csv, gp = tmp_path / "series.gpkg", tmp_path / "series.csv", tmp_path / "gp.gpkg"
    result = run_algorithm(
        "itslive_point_series",
        {
            "POINTS": points_layer(truth, [(5, 5), (12, 14)]),
            "POINT_ID": "name",
            "CUBES": str(path),
            "NEIGHBORHOOD": 1,
            "MISSIONS": [0, 1],
            "MAX_DATE_DT": 100,
            "GP": True,
            "GP_STEP_DAYS": 5,
            "OUTPUT": str(out),
            "CSV": str(csv),
            "GP_OUTPUT": str(gp),
        },
    )
    layer = QgsVectorLayer(str(out), "series", "ogr")
    assert layer.isValid() and layer.featureCount() > 50
    rows = list(layer.getFeatures())
    assert {f["point_id"] for f in rows} == {"P0", "P1"}
    assert all(f["satellite_img1"][0] in "12" and f["date_dt"] <= 100 for f in rows)  # Sentinel only
    names = {f.name() for f in layer.fields()}
    assert {
        "mid_date",
        "img1",
        "img2",
        "v",
        "vx",
        "vy",
        "v_error",
        "vx_error",
        "mission_img1",
        "lon",
    } <= names
    assert csv.exists() and len(csv.read_text().splitlines()) == layer.featureCount() + 1
    assert result["GP_PLOT"] == str(tmp_path / "gp_gp.png") and (tmp_path / "gp_gp.png").exists()
    gp_layer = QgsVectorLayer(str(gp), "gp", "ogr")
    assert {f["point_id"] for f in gp_layer.getFeatures()} == {"P0", "P1"}
    # the 3×3 median is another series on the same pairs
    series = {}
    for neighborhood in (0, 1):
        target = tmp_path / f"n{neighborhood}.gpkg"
        run_algorithm(
            "itslive_point_series",
            {
                "POINTS": points_layer(truth, [(5, 5)]),
                "CUBES": str(path),
                "NEIGHBORHOOD": neighborhood,
                "OUTPUT": str(target),
            },
        )
        series[neighborhood] = {
            f["mid_date"]: f["vx"] for f in QgsVectorLayer(str(target), "s", "ogr").getFeatures()
        }
    common = series[0].keys() & series[1].keys()
    assert len(common) > 50 and any(series[0][k] != series[1][k] for k in common)


def test_empty_layer_and_cancel_leave_nothing(run_algorithm, cube, tmp_path):
    path, truth = cube
    csv = tmp_path / "series.csv"
    with pytest.raises(QgsProcessingException, match="POINTS: the layer has no features"):
        run_algorithm(
            "itslive_point_series",
            {
                "POINTS": points_layer(truth, []),
                "CUBES": str(path),
                "OUTPUT": str(tmp_path / "s.gpkg"),
                "CSV": str(csv),
            },
        )
    feedback = QgsProcessingFeedback()
    feedback.cancel()
    with pytest.raises(QgsProcessingException, match="cancelled"):
        run_algorithm(
            "itslive_point_series",
            {
                "POINTS": points_layer(truth, [(1, 1)]),
                "CUBES": str(path),
                "OUTPUT": str(tmp_path / "s.gpkg"),
                "CSV": str(csv),
            },
            feedback=feedback,
        )
    assert not list(tmp_path.iterdir())
    assert np.isfinite(truth.base).all()
