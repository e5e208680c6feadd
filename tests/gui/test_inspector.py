"""The time-series inspector in a QGIS session with the plugin loaded: clicks on the map canvas at a
known feature or pixel plot exactly that feature's or pixel's values."""

from __future__ import annotations

import netCDF4
import numpy as np
import pytest
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsDateTimeRange,
    QgsMeshLayer,
    QgsPointXY,
    QgsProject,
    QgsRectangle,
    QgsVectorLayer,
)
from qgis.gui import QgsMapMouseEvent
from qgis.PyQt.QtCore import QDateTime, QEvent, QPoint, Qt


@pytest.fixture
def inspector(plugin, iface):
    canvas = iface.mapCanvas()
    plugin.inspector.action.setChecked(True)
    yield plugin.inspector
    plugin.inspector.dock.clear()
    plugin.inspector.action.setChecked(False)
    QgsProject.instance().removeAllMapLayers()
    canvas.setTemporalRange(QgsDateTimeRange(QDateTime(), QDateTime()))


def click(inspector, map_point: QgsPointXY, shift: bool = False) -> None:
    """Release the left button at the canvas pixel of ``map_point``, as a user's click does."""
    canvas = inspector.canvas
    pixel = canvas.getCoordinateTransform().transform(map_point)
    event = QgsMapMouseEvent(
        canvas,
        QEvent.MouseButtonRelease,
        QPoint(round(pixel.x()), round(pixel.y())),
        Qt.LeftButton,
        Qt.LeftButton,
        Qt.ShiftModifier if shift else Qt.NoModifier,
    )
    canvas.mapTool().canvasReleaseEvent(event)


def show(layers, crs: str, extent: QgsRectangle, canvas) -> None:
    QgsProject.instance().addMapLayers(layers)
    canvas.setLayers(layers)
    canvas.setDestinationCrs(QgsCoordinateReferenceSystem(crs))
    canvas.setExtent(extent)
    canvas.refresh()


def egms_layers(products: dict[str, str]) -> dict[str, QgsVectorLayer]:
    """The E and U products as a user drags them in (layer named after the file)."""
    layers = {}
    for component, path in products.items():
        stem = path.rsplit("/", 1)[1][:-5]
        layers[component] = QgsVectorLayer(f"{path}|layername={stem}", stem, "ogr")
        assert layers[component].isValid()
    return layers


def date_values(layer: QgsVectorLayer, feature) -> np.ndarray:
    names = [n for n in layer.fields().names() if n.isdigit() and len(n) == 8]
    return np.array([np.nan if feature[n] is None else float(feature[n]) for n in names])


def test_action_toggles_the_map_tool_and_dock(inspector, iface):
    assert iface.mapCanvas().mapTool() is inspector.tool and not inspector.dock.isHidden()
    inspector.action.setChecked(False)
    assert iface.mapCanvas().mapTool() is not inspector.tool
    inspector.action.setChecked(True)
    assert iface.mapCanvas().mapTool() is inspector.tool


def test_click_on_egms_point_plots_its_series_and_model(inspector, egms_products, iface):
    layers = egms_layers(egms_products)
    up, east = layers["U"], layers["E"]
    show([up, east], "EPSG:3035", up.extent(), iface.mapCanvas())
    iface.mapCanvas().setCurrentLayer(up)
    features = sorted(up.getFeatures(), key=lambda f: f["pid"])
    first, second = features[3], features[len(features) // 2]

    click(inspector, first.geometry().asPoint())
    dock = inspector.dock
    assert [p.series.point_id for p in dock.egms_picks] == [first["pid"]]
    observed = dock.axes[0].lines[0].get_ydata()
    np.testing.assert_array_equal(observed, date_values(up, first))
    # the legend carries the layer's own PD statistics
    legend = [t.get_text() for t in dock.axes[0].get_legend().get_texts()]
    assert any(f"v = {first['mean_velocity']:.1f} mm/yr" in t for t in legend)
    # the fitted model follows the series (5 parameters on ~80 epochs, 1 mm noise)
    model = dock.egms_picks[0].model
    assert np.nanstd(model.values - observed) < 3 * np.nanstd(np.diff(observed))

    click(inspector, second.geometry().asPoint(), shift=True)
    assert [p.series.point_id for p in dock.egms_picks] == [first["pid"], second["pid"]]
    # east and up of the same cells in a second panel
    assert len(dock.axes) == 2
    east_first = next(east.getFeatures(f"\"pid\" = '{first['pid']}'"))
    plotted = {line.get_label(): line.get_ydata() for line in dock.axes[1].lines}
    np.testing.assert_array_equal(plotted[f"east {first['pid']}"], date_values(east, east_first))
    np.testing.assert_array_equal(plotted[f"up {first['pid']}"], date_values(up, first))

    click(inspector, second.geometry().asPoint())  # a plain click starts over
    assert [p.series.point_id for p in dock.egms_picks] == [second["pid"]]


def _glacier_pixel(netcdf: str) -> tuple[int, int, float, float]:
    with netCDF4.Dataset(netcdf) as ds:
        rows, cols = np.nonzero(ds["glacier_id"][:] > 0)
        k = len(rows) // 3
        return int(rows[k]), int(cols[k]), float(ds["x"][cols[k]]), float(ds["y"][rows[k]])


def _netcdf_series(netcdf: str, name: str, row: int, col: int) -> np.ndarray:
    with netCDF4.Dataset(netcdf) as ds:
        return ds[name][:, row, col].filled(np.nan).astype(float)


def test_click_on_glacier_pixel_plots_velocity_pairs_and_gp(inspector, inversion, iface):
    mesh = QgsMeshLayer(inversion, "velocity", "mdal")
    assert mesh.isValid()
    show([mesh], mesh.crs().authid(), mesh.extent(), iface.mapCanvas())
    row, col, x, y = _glacier_pixel(inversion)

    click(inspector, QgsPointXY(x + 20, y - 30))  # anywhere inside the pixel
    dock = inspector.dock
    assert (dock.pixel.row, dock.pixel.col) == (row, col)
    v_line = next(line for line in dock.axes[0].lines if line.get_label().startswith("inversion"))
    np.testing.assert_allclose(v_line.get_ydata(), _netcdf_series(inversion, "v", row, col), rtol=1e-6)
    # ±1σ band from the formal errors
    band = dock.axes[0].collections[0].get_paths()[0].vertices[:, 1]
    expected = _netcdf_series(inversion, "v", row, col) + _netcdf_series(inversion, "v_error", row, col)
    assert np.isclose(np.nanmax(band), np.nanmax(expected), rtol=1e-5)

    dock.wait_for_tasks()
    assert dock.pairs is not None and len(dock.pairs) > 20, dock.status.text()
    labels = [c.get_label() for c in dock.axes[0].collections]
    assert any(label.startswith("image pairs") for label in labels)
    assert any(label.startswith("pairs down-weighted") for label in labels)  # the cube has 3 % outliers

    dock.show_components.setChecked(True)  # vx and vy on demand
    assert [ax.get_ylabel() for ax in dock.axes] == ["v [m/yr]", "vx [m/yr]", "vy [m/yr]"]
    vx_line = next(line for line in dock.axes[1].lines if line.get_label().startswith("inversion"))
    np.testing.assert_allclose(vx_line.get_ydata(), _netcdf_series(inversion, "vx", row, col), rtol=1e-6)
    dock.show_components.setChecked(False)

    assert dock.gp_action.isEnabled()
    dock.run_gp()
    dock.wait_for_tasks(300)
    assert dock.gp is not None, dock.status.text()
    assert any(line.get_label() == "GP mean" for line in dock.axes[0].lines)


def test_plot_follows_the_temporal_controller(inspector, inversion, iface):
    mesh = QgsMeshLayer(inversion, "velocity", "mdal")
    canvas = iface.mapCanvas()
    show([mesh], mesh.crs().authid(), mesh.extent(), canvas)
    _, _, x, y = _glacier_pixel(inversion)
    click(inspector, QgsPointXY(x, y))
    when = QDateTime(2019, 6, 1, 0, 0, 0, Qt.UTC)
    canvas.setTemporalRange(QgsDateTimeRange(when, when.addDays(24)))
    lines = inspector.dock.time_lines
    assert len(lines) == 1
    import matplotlib.dates as mdates

    assert mdates.num2date(lines[0].get_xdata()[0]).date().isoformat() == "2019-06-01"


def test_exports(inspector, egms_products, iface, tmp_path):
    up = egms_layers(egms_products)["U"]
    show([up], "EPSG:3035", up.extent(), iface.mapCanvas())
    feature = next(up.getFeatures())
    click(inspector, feature.geometry().asPoint())
    dock = inspector.dock
    for suffix in (".png", ".svg"):
        dock.export_plot(str(tmp_path / f"plot{suffix}"))
        assert (tmp_path / f"plot{suffix}").stat().st_size > 1000
    written = dock.export_csv(str(tmp_path / "series.csv"))
    import csv

    with open(written[0], newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(date_values(up, feature))
    np.testing.assert_allclose([float(r["displacement_mm"]) for r in rows], date_values(up, feature))
