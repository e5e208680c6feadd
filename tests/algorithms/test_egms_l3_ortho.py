"""Tier 2: ``surfacemotion:egms_l3_ortho`` through processing.run on small synthetic bursts."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def bursts(tmp_path_factory):
    from surface_motion.core.synthetic.egms import generate

    paths, truth = generate(
        tmp_path_factory.mktemp("egms_bursts"),
        n_per_burst=800,
        n_epochs=130,
        bounds=(4_500_000, 1_700_000, 4_503_000, 1_703_000),
    )
    return paths, truth


def test_products_and_layers(run_algorithm, bursts, tmp_path):
    import numpy as np
    from qgis.core import QgsVectorLayer
    from surface_motion.algorithms.base import style_path

    paths, truth = bursts
    res = run_algorithm("egms_l3_ortho", {"INPUTS": [str(p) for p in paths], "OUTPUT_FOLDER": str(tmp_path)})
    assert res["CELLS"] > 200
    products = res["PRODUCTS"].split(";")
    assert len(products) == 10 and all(__import__("os").path.exists(p) for p in products)
    for key in ("OUTPUT_EAST", "OUTPUT_UP"):
        # loaded by layer name (the product stem), as the algorithm loads it
        layer = QgsVectorLayer(f"{res[key]}|layername={res[key].rsplit('/', 1)[1][:-5]}", key, "ogr")
        assert layer.isValid() and layer.featureCount() == res["CELLS"]
        assert layer.crs().authid() == "EPSG:3035"
        assert layer.fields().names()[:4] == ["fid", "pid", "easting", "northing"]
        gnss = next(layer.getFeatures())["gnss_velocity_n"]  # no GNSS model: NaN written as NULL
        assert gnss is None or gnss.isNull()
        assert "mean_velocity" in layer.fields().names() and "20200103" in layer.fields().names()
        layer.loadNamedStyle(style_path("egms_velocity.qml"))
        assert (
            layer.renderer().type() == "graduatedSymbol"
            and layer.renderer().classAttribute() == "mean_velocity"
        )
        # diverging around 0: the class holding 0 is the neutral one in the middle
        ranges = layer.renderer().ranges()
        mid = [r for r in ranges if r.lowerValue() < 0 < r.upperValue()]
        assert len(mid) == 1 and ranges.index(mid[0]) == len(ranges) // 2
    up = QgsVectorLayer(res["OUTPUT_UP"], "up", "ogr")
    feats = list(up.getFeatures())
    x = np.array([f["easting"] for f in feats])
    y = np.array([f["northing"] for f in feats])
    v = np.array([f["mean_velocity"] for f in feats])
    assert np.sqrt(np.mean((v - truth.up(x, y)) ** 2)) < 1.0  # 2.1 years, 1 mm noise, ~1 MP per geometry


def test_temporary_output_folder(run_algorithm, bursts):
    import os

    paths, _ = bursts
    res = run_algorithm(
        "egms_l3_ortho",
        {"INPUTS": [str(p) for p in paths], "SPACING": 200, "OUTPUT_FOLDER": "TEMPORARY_OUTPUT"},
    )
    assert os.path.isdir(res["OUTPUT_FOLDER"]) and res["CELLS"] > 50
    from qgis.core import QgsVectorLayer

    up = QgsVectorLayer(res["OUTPUT_UP"], "up", "ogr")
    assert up.isValid() and up.featureCount() == res["CELLS"] and up.crs().authid() == "EPSG:3035"


def test_aoi_in_another_crs_is_reprojected(run_algorithm, bursts, tmp_path):
    from qgis.core import QgsFeature, QgsGeometry, QgsVectorLayer

    paths, _ = bursts
    aoi = QgsVectorLayer("Polygon?crs=EPSG:4326", "aoi", "memory")
    # a small lon/lat box around the synthetic area's SW corner (EPSG:3035 4 500 000, 1 700 000)
    from pyproj import Transformer

    t = Transformer.from_crs("EPSG:3035", "EPSG:4326", always_xy=True)
    x0, y0 = t.transform(4_500_000, 1_700_000)
    x1, y1 = t.transform(4_501_500, 1_701_500)
    f = QgsFeature()
    f.setGeometry(QgsGeometry.fromWkt(f"POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))"))
    aoi.dataProvider().addFeatures([f])
    res = run_algorithm(
        "egms_l3_ortho", {"INPUTS": [str(p) for p in paths], "AOI": aoi, "OUTPUT_FOLDER": str(tmp_path)}
    )
    assert 0 < res["CELLS"] < 150


@pytest.mark.parametrize(
    "params, words",
    [
        ({"SPACING": 0}, "SPACING"),
        ({"START_DATE": "2021-01-01", "END_DATE": "2020-01-01"}, "START_DATE"),
    ],
)
def test_bad_parameters_name_the_parameter_and_write_nothing(run_algorithm, bursts, tmp_path, params, words):
    from qgis.core import QgsProcessingException

    paths, _ = bursts
    with pytest.raises(QgsProcessingException, match=words):
        run_algorithm(
            "egms_l3_ortho", {"INPUTS": [str(p) for p in paths], "OUTPUT_FOLDER": str(tmp_path), **params}
        )
    assert not list(tmp_path.iterdir())


def test_cancel_leaves_no_product(run_algorithm, bursts, tmp_path):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    paths, _ = bursts
    feedback = QgsProcessingFeedback()
    feedback.progressChanged.connect(lambda p: feedback.cancel() if p > 60 else None)
    with pytest.raises(QgsProcessingException, match="cancel"):
        run_algorithm(
            "egms_l3_ortho",
            {"INPUTS": [str(p) for p in paths], "OUTPUT_FOLDER": str(tmp_path)},
            feedback=feedback,
        )
    assert not list(tmp_path.iterdir())
