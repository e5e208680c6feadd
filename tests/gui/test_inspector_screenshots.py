"""Screenshots of the inspector dock (the README's images): an EGMS point and a glacier pixel.

PNGs go to ``$SURFACE_MOTION_SCREENSHOTS`` when set (``SURFACE_MOTION_SCREENSHOTS=docs/images make
test-gui`` refreshes the README's), else to the test's temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from qgis.core import QgsMeshLayer, QgsPointXY, QgsProject
from qgis.PyQt.QtCore import QDateTime, Qt
from qgis.PyQt.QtWidgets import QApplication

from .test_inspector import _glacier_pixel, click, egms_layers, show


@pytest.fixture
def folder(tmp_path) -> Path:
    target = Path(os.environ.get("SURFACE_MOTION_SCREENSHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target


@pytest.fixture
def dock(plugin):
    plugin.inspector.action.setChecked(True)
    dock = plugin.inspector.dock
    dock.setFloating(True)
    dock.resize(980, 640)
    dock.show()
    yield dock
    dock.clear()
    plugin.inspector.action.setChecked(False)
    QgsProject.instance().removeAllMapLayers()


def grab(dock, path: Path) -> Path:
    dock.plot_canvas.draw()
    QApplication.processEvents()
    assert dock.grab().save(str(path))
    assert path.stat().st_size > 20_000  # a drawn plot, not an empty widget
    return path


def test_screenshot_egms_points(plugin, dock, egms_products, iface, folder):
    layers = egms_layers(egms_products)
    show([layers["U"], layers["E"]], "EPSG:3035", layers["U"].extent(), iface.mapCanvas())
    iface.mapCanvas().setCurrentLayer(layers["U"])
    features = sorted(layers["U"].getFeatures(), key=lambda f: f["mean_velocity"])
    click(plugin.inspector, features[2].geometry().asPoint())
    click(plugin.inspector, features[-3].geometry().asPoint(), shift=True)
    assert len(dock.egms_picks) == 2
    grab(dock, folder / "inspector_egms.png")


def test_screenshot_glacier_pixel(plugin, dock, inversion, iface, folder):
    mesh = QgsMeshLayer(inversion, "velocity", "mdal")
    canvas = iface.mapCanvas()
    show([mesh], mesh.crs().authid(), mesh.extent(), canvas)
    _, _, x, y = _glacier_pixel(inversion)
    click(plugin.inspector, QgsPointXY(x, y))
    dock.wait_for_tasks()
    dock.run_gp()
    dock.wait_for_tasks(300)
    assert dock.pairs is not None and dock.gp is not None, dock.status.text()
    when = QDateTime(2019, 7, 1, 0, 0, 0, Qt.UTC)
    from qgis.core import QgsDateTimeRange

    canvas.setTemporalRange(QgsDateTimeRange(when, when.addDays(24)))
    grab(dock, folder / "inspector_itslive.png")
    canvas.setTemporalRange(QgsDateTimeRange(QDateTime(), QDateTime()))
