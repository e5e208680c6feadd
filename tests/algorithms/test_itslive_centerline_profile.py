"""itslive_centerline_profile through processing.run: lines in lon/lat on a generated inversion
NetCDF, a time-aware styled point layer, the heat map; bad spacing fails without output."""

from __future__ import annotations

import pytest
from qgis.core import (
    QgsFeature,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingOutputLayerDefinition,
    QgsProject,
    QgsRenderContext,
    QgsVectorLayer,
)

from tests.core.itslive.analysis.test_centerline import X, Y, write_inversion


def line_layer():
    layer = QgsVectorLayer("LineString?crs=EPSG:3413", "lines", "memory")
    feature = QgsFeature()
    feature.setGeometry(
        QgsGeometry.fromPolylineXY(
            [QgsPointXY(X[2], Y[5]), QgsPointXY(X[30], Y[5]), QgsPointXY(X[30], Y[25])]
        )
    )
    layer.dataProvider().addFeatures([feature])
    return layer


def test_time_aware_points_and_heatmap(run_algorithm, tmp_path):
    nc = write_inversion(tmp_path / "inv.nc")
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    out = QgsProcessingOutputLayerDefinition(str(tmp_path / "profile.gpkg"), QgsProject.instance())
    result = run_algorithm(
        "itslive_centerline_profile",
        {
            "LINES": line_layer(),
            "INVERSION": str(nc),
            "SPACING": 500,
            "OUTPUT": out,
            "HEATMAP": str(tmp_path / "heat.png"),
        },
        context=context,
    )
    assert (tmp_path / "heat.png").read_bytes()[:4] == b"\x89PNG" and result["HEATMAP"] == str(
        tmp_path / "heat.png"
    )
    layer = QgsVectorLayer(result["OUTPUT"], "profile", "ogr")
    assert layer.isValid() and layer.crs().authid() == "EPSG:3413"
    assert layer.featureCount() == 3 * (((48 * 120) // 500) + 1)  # 3 time steps
    assert {"line_id", "distance", "date", "v", "vx", "vy"} <= {f.name() for f in layer.fields()}
    # the stored default style makes the file time-aware; the post-processor does it in QGIS
    layer.loadDefaultStyle()
    assert layer.temporalProperties().isActive() and layer.temporalProperties().startField() == "date"
    details = context.layersToLoadOnCompletion()
    assert len(details) == 1
    layer_id, detail = next(iter(details.items()))
    loaded = QgsVectorLayer(layer_id, "loaded", "ogr")
    detail.postProcessor().postProcessLayer(loaded, context, None)
    assert loaded.temporalProperties().isActive()
    # a graduated legend in round m/yr classes; an empty sample (v NULL) falls in no class: not drawn
    renderer = loaded.renderer()
    assert renderer.type() == "graduatedSymbol" and renderer.classAttribute() == "v"
    assert all(r.label().endswith("m/yr") for r in renderer.ranges())
    empty = QgsFeature(loaded.fields())
    empty["v"] = None
    context_r = QgsRenderContext()
    renderer.startRender(context_r, loaded.fields())
    assert renderer.symbolForFeature(empty, context_r) is None
    renderer.stopRender(context_r)


def test_bad_spacing_and_netcdf(run_algorithm, tmp_path):
    nc = write_inversion(tmp_path / "inv.nc")
    out = tmp_path / "profile.gpkg"
    with pytest.raises(QgsProcessingException, match="SPACING: 0 is outside the allowed range 1…100,000 m"):
        run_algorithm(
            "itslive_centerline_profile",
            {
                "LINES": line_layer(),
                "INVERSION": str(nc),
                "SPACING": 0,
                "OUTPUT": str(out),
                "HEATMAP": str(tmp_path / "h.png"),
            },
        )
    bad = tmp_path / "bad.nc"
    bad.write_text("nope")
    with pytest.raises(QgsProcessingException, match=r"bad\.nc: not a NetCDF"):
        run_algorithm(
            "itslive_centerline_profile",
            {
                "LINES": line_layer(),
                "INVERSION": str(bad),
                "OUTPUT": str(out),
                "HEATMAP": str(tmp_path / "h.png"),
            },
        )
    assert not out.exists() and not (tmp_path / "h.png").exists()
