"""Layers as the desktop loads them after a run: grouped, checked sensibly, opened without warnings."""

from __future__ import annotations

import sqlite3

import pytest
from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsProject


def test_egms_run_is_one_group_with_only_up_checked(plugin, tmp_path):
    import processing
    from surface_motion.core.synthetic.egms import generate

    paths, _ = generate(
        tmp_path / "bursts", n_per_burst=200, n_epochs=40, bounds=(4_599_000, 1_700_000, 4_601_000, 1_701_000)
    )  # two tiles
    context = QgsProcessingContext()
    project = QgsProject.instance()
    context.setProject(project)
    result = processing.run(
        "surfacemotion:egms_l3_ortho",
        {"INPUTS": [str(p) for p in paths], "OUTPUT_FOLDER": str(tmp_path / "run1")},
        context=context,
        feedback=QgsProcessingFeedback(),
    )
    # what Processing's result handling does in the desktop: add each layer, then its post-processor
    for layer_id, details in context.layersToLoadOnCompletion().items():
        layer = context.temporaryLayerStore().takeMapLayer(context.temporaryLayerStore().mapLayer(layer_id))
        project.addMapLayer(layer)
        details.postProcessor().postProcessLayer(layer, context, None)
    group = project.layerTreeRoot().findGroup("EGMS L3 Ortho (run1)")
    assert group is not None
    checked = {node.name(): node.isVisible() for node in group.findLayers()}
    assert (
        len(checked) == len(project.layerTreeRoot().findLayers()) == 4
    )  # E and U of two tiles, all in the group
    assert all(visible == name.startswith("EGMS L3 U") for name, visible in checked.items()), checked
    # GeoPackage 1.3, which the GDAL of QGIS 3.22 reads without a "partially supported" warning
    with sqlite3.connect(result["OUTPUT_UP"]) as db:
        assert db.execute("pragma user_version").fetchone()[0] == 10300
    project.removeAllMapLayers()
    project.layerTreeRoot().removeChildNode(group)


def test_inversion_mesh_covers_the_glacier_to_its_edge(inversion):
    """Every glacier pixel on an outline shows its own NetCDF value in the pixel mesh itslive_invert loads;
    the NetCDF's grid mesh (values on pixel centres) leaves them blank."""
    import numpy as np
    from osgeo import gdal
    from qgis.core import QgsMeshDatasetIndex, QgsMeshLayer, QgsPointXY
    from surface_motion.core.itslive.io.pixel_mesh import pixel_mesh_path

    v = gdal.Open(f'NETCDF:"{inversion}":v')
    glacier = gdal.Open(f'NETCDF:"{inversion}":glacier_id').ReadAsArray() > 0
    gt = v.GetGeoTransform()
    inner = (
        np.pad(glacier, 1)[:-2, 1:-1]
        & np.pad(glacier, 1)[2:, 1:-1]
        & np.pad(glacier, 1)[1:-1, :-2]
        & np.pad(glacier, 1)[1:-1, 2:]
    )
    edge = np.argwhere(glacier & ~inner)
    assert len(edge) > 20
    pixels = QgsMeshLayer(str(pixel_mesh_path(inversion)), "pixels", "mdal")
    grid = QgsMeshLayer(inversion, "grid", "mdal")
    for layer in (pixels, grid):
        assert layer.isValid()
        layer.updateTriangularMesh()
    shown = blank_on_grid = 0
    for k in (0, v.RasterCount // 2, v.RasterCount - 1):
        values = v.GetRasterBand(k + 1).ReadAsArray()
        for row, col in edge:
            if not np.isfinite(values[row, col]):
                continue
            centre = QgsPointXY(gt[0] + (col + 0.5) * gt[1], gt[3] + (row + 0.5) * gt[5])
            assert pixels.datasetValue(QgsMeshDatasetIndex(0, k), centre).scalar() == pytest.approx(
                values[row, col], rel=1e-6
            ), (k, row, col)
            shown += 1
            blank_on_grid += np.isnan(grid.datasetValue(QgsMeshDatasetIndex(0, k), centre).scalar())
    assert shown > 50 and blank_on_grid > 0.3 * shown
    # the inspector reads a click on the pixel mesh from the inversion it was made from
    from surface_motion.gui.itslive_series import is_inversion_layer, netcdf_path

    assert netcdf_path(pixels) == inversion and is_inversion_layer(pixels)
