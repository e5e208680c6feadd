"""itslive_find_cubes through processing.run: real catalog, AOI in another CRS, bad catalog."""

from __future__ import annotations

import pytest
from qgis.core import QgsFeature, QgsGeometry, QgsPointXY, QgsProcessingException, QgsVectorLayer

from tests.conftest import shared_fixture

ANDES = (
    "http://its-live-data.s3.amazonaws.com/datacubes/v2/S50W070/"
    "ITS_LIVE_vel_EPSG32718_G0120_X450000_Y4450000.zarr"
)


def point_layer(x, y, crs):
    layer = QgsVectorLayer(f"Point?crs={crs}", "aoi", "memory")
    feature = QgsFeature()
    feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(x, y)))
    layer.dataProvider().addFeatures([feature])
    return layer


def test_andes_point_in_utm(run_algorithm, tmp_path):
    out = tmp_path / "cubes.gpkg"
    # the cube centre given in its own UTM 18S coordinates
    result = run_algorithm(
        "itslive_find_cubes",
        {
            "AOI": point_layer(450000, 4450000, "EPSG:32718"),
            "CATALOG": str(shared_fixture("itslive", "catalog_v02.json")),
            "OUTPUT": str(out),
        },
    )
    assert result["CUBES"] == ANDES and result["COUNT"] == 1
    layer = QgsVectorLayer(str(out), "cubes", "ogr")
    assert layer.isValid() and layer.featureCount() == 1
    feature = next(layer.getFeatures())
    assert feature["zarr_url"] == ANDES and feature["epsg"] == 32718 and feature["region"] == "Southern Andes"
    assert layer.crs().authid() == "EPSG:32718"
    assert feature.geometry().boundingBox().toRectF().getCoords() == pytest.approx(
        (400000, 4400000, 500000, 4500000)
    )


def test_not_geojson_catalog_fails_without_output(run_algorithm, tmp_path):
    bad = tmp_path / "catalog.json"
    bad.write_text("this is not json")
    out = tmp_path / "cubes.gpkg"
    with pytest.raises(QgsProcessingException, match=r"catalog\.json.*not valid JSON"):
        run_algorithm(
            "itslive_find_cubes",
            {"AOI": point_layer(0, 0, "EPSG:4326"), "CATALOG": str(bad), "OUTPUT": str(out)},
        )
    assert not out.exists()


def test_default_catalog_is_the_core_one(provider):
    from surface_motion.core.itslive.io.catalog import DEFAULT_CATALOG_URL as CORE_URL

    DEFAULT_CATALOG_URL = (
        provider.algorithm("itslive_find_cubes").parameterDefinition("CATALOG").defaultValue()
    )
    assert DEFAULT_CATALOG_URL == CORE_URL


@pytest.mark.parametrize(
    ("name", "outputs"),
    [
        ("itslive_find_cubes", {"OUTPUT", "CUBES", "COUNT"}),
        ("itslive_point_series", {"OUTPUT", "CSV", "GP_OUTPUT", "GP_PLOT"}),
        ("itslive_gp_regression", {"OUTPUT", "PLOT"}),
        ("itslive_centerline_profile", {"OUTPUT", "HEATMAP"}),
    ],
)
def test_every_output_is_declared_for_the_modeler(provider, name, outputs):
    from qgis.core import QgsApplication

    alg = QgsApplication.processingRegistry().algorithmById(f"surfacemotion:{name}")
    assert {o.name() for o in alg.outputDefinitions()} == outputs
    assert alg.canExecute()[0]
