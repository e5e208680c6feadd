"""Layers as the desktop loads them after a run: grouped, checked sensibly, opened without warnings."""

from __future__ import annotations

import sqlite3

from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsProject


def test_egms_run_is_one_group_with_only_up_checked(plugin, tmp_path):
    import processing
    from surface_motion.core.egms.synthetic import generate

    paths, _ = generate(tmp_path / "bursts", n_per_burst=200, n_epochs=40,
                        bounds=(4_599_000, 1_700_000, 4_601_000, 1_701_000))  # two tiles
    context = QgsProcessingContext()
    project = QgsProject.instance()
    context.setProject(project)
    result = processing.run("surfacemotion:egms_l3_ortho", {"INPUTS": [str(p) for p in paths],
                            "OUTPUT_FOLDER": str(tmp_path / "run1")}, context=context, feedback=QgsProcessingFeedback())
    # what Processing's result handling does in the desktop: add each layer, then its post-processor
    for layer_id, details in context.layersToLoadOnCompletion().items():
        layer = context.temporaryLayerStore().takeMapLayer(context.temporaryLayerStore().mapLayer(layer_id))
        project.addMapLayer(layer)
        details.postProcessor().postProcessLayer(layer, context, None)
    group = project.layerTreeRoot().findGroup("EGMS L3 Ortho (run1)")
    assert group is not None
    checked = {node.name(): node.isVisible() for node in group.findLayers()}
    assert len(checked) == len(project.layerTreeRoot().findLayers()) == 4  # E and U of two tiles, all in the group
    assert all(visible == name.startswith("EGMS L3 U") for name, visible in checked.items()), checked
    # GeoPackage 1.3, which the GDAL of QGIS 3.22 reads without a "partially supported" warning
    with sqlite3.connect(result["OUTPUT_UP"]) as db:
        assert db.execute("pragma user_version").fetchone()[0] == 10300
    project.removeAllMapLayers()
    project.layerTreeRoot().removeChildNode(group)
