"""The time-series inspector: a map tool and a dock that plots the series under a click.

Click an EGMS point layer (L3 Ortho products, L2a/L2b bursts loaded as layers): the nearest
point's displacement with its PD model; shift-click adds points. Click an ITS_LIVE inversion
(the NetCDF mesh or raster layer): the pixel's velocity with its ±1σ band, then (in the
background) the image pairs behind it and, on request, a GP regression of them. The plot
follows the temporal controller and exports to PNG/SVG/CSV.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_qt5agg import FigureCanvasQTAgg, NavigationToolbar2QT
from matplotlib.figure import Figure
from qgis.core import QgsMapLayer
from qgis.gui import QgsDockWidget, QgsMapTool
from qgis.PyQt.QtCore import Qt, pyqtSignal
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import QAction, QFileDialog, QLabel, QToolBar, QVBoxLayout, QWidget

from . import egms_series, itslive_series
from .plotting import EgmsPick, draw_egms, draw_itslive, draw_time_line
from .tasks import WorkerTask, start

#: how far from the click a point may be, in screen pixels
SEARCH_PIXELS = 12


class InspectorMapTool(QgsMapTool):
    """Emits the clicked map point and whether shift was held (add to the plot)."""

    clicked = pyqtSignal(object, bool)

    def __init__(self, canvas):
        super().__init__(canvas)
        self.setCursor(Qt.CrossCursor)

    def canvasReleaseEvent(self, event):  # noqa: N802 (QGIS API)
        if event.button() == Qt.LeftButton:
            self.clicked.emit(event.mapPoint(), bool(event.modifiers() & Qt.ShiftModifier))


class InspectorDock(QgsDockWidget):
    """Plot of the picked series, with export and ITS_LIVE actions."""

    def __init__(self, canvas, parent=None):
        super().__init__("Surface Motion time series", parent)
        self.setObjectName("SurfaceMotionInspector")
        self.canvas = canvas
        self.figure = Figure(figsize=(7, 4.5))
        self.plot_canvas = FigureCanvasQTAgg(self.figure)
        self.axes: list = []
        self.time_lines: list = []
        self.egms_picks: list[EgmsPick] = []
        self.pixel: itslive_series.PixelSeries | None = None
        self.pairs = None
        self.gp = None
        self.tasks: list[WorkerTask] = []
        self.status = QLabel("Click a point of an EGMS layer or a pixel of an ITS_LIVE inversion.")
        self.status.setWordWrap(True)
        self._build()
        canvas.temporalRangeChanged.connect(self.update_time_line)

    def _build(self) -> None:
        bar = QToolBar()
        self.show_components = bar.addAction("vx / vy")
        self.show_components.setCheckable(True)
        self.show_components.setToolTip("Also plot the vx and vy components (ITS_LIVE)")
        self.show_components.toggled.connect(self.redraw)
        self.gp_action = bar.addAction("GP regression")
        self.gp_action.setToolTip(
            "Regress the pixel's image pairs with a Gaussian process (interval model, robust)"
        )
        self.gp_action.triggered.connect(self.run_gp)
        self.gp_action.setEnabled(False)
        bar.addSeparator()
        bar.addAction("Export plot…").triggered.connect(self.export_plot_dialog)
        bar.addAction("Export CSV…").triggered.connect(self.export_csv_dialog)
        bar.addAction("Clear").triggered.connect(self.clear)
        widget = QWidget()
        layout = QVBoxLayout(widget)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(bar)
        layout.addWidget(self.status)
        layout.addWidget(self.plot_canvas, 1)
        layout.addWidget(NavigationToolbar2QT(self.plot_canvas, widget))
        self.setWidget(widget)

    # ------------------------------------------------------------------ picking

    def inspect(self, map_point, add: bool = False) -> bool:
        """Plot what lies under ``map_point`` (map CRS); ``add`` keeps the EGMS points already shown.

        The active layer is tried first, then the visible layers from the top. Returns whether
        something was found.
        """
        crs = self.canvas.mapSettings().destinationCrs()
        tolerance = SEARCH_PIXELS * self.canvas.mapUnitsPerPixel()
        for layer in self._candidate_layers():
            if egms_series.is_egms_layer(layer):
                feature = egms_series.feature_at(layer, map_point, crs, tolerance)
                if feature is not None:
                    self.show_egms(layer, feature, add)
                    return True
            elif itslive_series.is_inversion_layer(layer):
                point = itslive_series.layer_crs_point(layer, map_point, crs)
                pixel = itslive_series.pixel_series(itslive_series.netcdf_path(layer), point.x(), point.y())
                if pixel is not None and pixel.has_data:
                    self.show_pixel(pixel)
                    return True
        self.status.setText(
            "Nothing to plot here: click an EGMS point or a glacier pixel of an ITS_LIVE inversion."
        )
        return False

    def _candidate_layers(self) -> list[QgsMapLayer]:
        layers = [layer for layer in self.canvas.layers() if layer is not None]
        active = self.canvas.currentLayer()
        if active is not None and active in layers:
            layers.remove(active)
            layers.insert(0, active)
        return layers

    def show_egms(self, layer, feature, add: bool) -> None:
        series = egms_series.series_of(layer, feature)
        pick = EgmsPick(series, egms_series.fit_model(series), egms_series.partner_series(series, layer))
        self._forget_pixel()
        if add:
            self.egms_picks = [
                p
                for p in self.egms_picks
                if (p.series.layer_name, p.series.point_id) != (series.layer_name, series.point_id)
            ]
        else:
            self.egms_picks = []
        self.egms_picks.append(pick)
        self.status.setText(
            f"{len(self.egms_picks)} point(s); shift-click adds points. {series.label}: "
            f"{int(np.isfinite(series.values).sum())} epochs."
        )
        self.redraw()

    def show_pixel(self, pixel: itslive_series.PixelSeries) -> None:
        self._forget_pixel()
        self.egms_picks = []
        self.pixel = pixel
        self.redraw()
        if pixel.cubes:
            self.status.setText(f"Reading the image pairs of the pixel from {', '.join(pixel.cubes)} …")
            self._run(
                "Surface Motion: image pairs of a pixel",
                "pixel_pairs",
                {"netcdf": pixel.path, "x": pixel.x, "y": pixel.y},
                self._pairs_done,
            )
        else:
            self.status.setText("This NetCDF records no cube: image pairs unavailable.")

    def _forget_pixel(self) -> None:
        for task in self.tasks:
            task.on_done = lambda *_: None  # a late answer for another pixel is ignored
            task.cancel()
        self.tasks = []
        self.pixel, self.pairs, self.gp = None, None, None
        self.gp_action.setEnabled(False)

    # ------------------------------------------------------------------ background tasks

    def _run(self, description: str, name: str, kwargs: dict, on_done) -> None:
        def finished(result: dict | None, error: str | None) -> None:
            self.tasks.remove(task)  # QGIS deletes a finished task: never touch it again
            on_done(result, error)

        task = WorkerTask(description, name, kwargs, finished)
        self.tasks.append(task)
        start(task)

    def _pairs_done(self, result: dict | None, error: str | None) -> None:
        if result is None:
            self.status.setText(f"Image pairs unavailable (cube not reachable?): {error}")
            return
        self.pairs = result["table"]
        n_low = int((self.pairs["weight"] < 0.5).sum())
        self.status.setText(
            f"{len(self.pairs)} image pairs at the pixel from {Path(result['cube']).name}, "
            f"{n_low} down-weighted by the robust inversion."
        )
        self.gp_action.setEnabled(len(self.pairs) >= 5)
        self.redraw()

    def run_gp(self) -> None:
        if self.pairs is None:
            return
        self.gp_action.setEnabled(False)
        self.status.setText("GP regression of the pixel's pairs …")
        self._run(
            "Surface Motion: GP regression of a pixel",
            "pixel_gp",
            {"pairs": self.pairs, "components": self.components(), "step_days": 2.0},
            self._gp_done,
        )

    def _gp_done(self, result: dict | None, error: str | None) -> None:
        self.gp_action.setEnabled(self.pairs is not None)
        if result is None:
            self.status.setText(f"GP regression failed: {error}")
            return
        self.gp = result["table"]
        self.status.setText("GP regression (interval model, robust): mean and ±2σ band.")
        self.redraw()

    def wait_for_tasks(self, timeout_s: float = 120.0) -> None:
        """Process events until the background tasks are done (scripts and tests)."""
        import time

        from qgis.PyQt.QtWidgets import QApplication

        end = time.monotonic() + timeout_s
        while self.tasks and time.monotonic() < end:
            QApplication.processEvents()
            time.sleep(0.02)

    # ------------------------------------------------------------------ drawing

    def components(self) -> tuple[str, ...]:
        return ("v", "vx", "vy") if self.show_components.isChecked() else ("v",)

    def redraw(self) -> None:
        if self.pixel is not None:
            self.axes = draw_itslive(self.figure, self.pixel, self.components(), self.pairs, self.gp)
        elif self.egms_picks:
            self.axes = draw_egms(self.figure, self.egms_picks)
        else:
            self.figure.clear()
            self.axes = []
        self.time_lines = []
        self.update_time_line()

    def current_time(self) -> np.datetime64 | None:
        settings = self.canvas.mapSettings()
        if not settings.isTemporal():
            return None
        begin = settings.temporalRange().begin()
        return np.datetime64(begin.toMSecsSinceEpoch(), "ms") if begin.isValid() else None

    def update_time_line(self) -> None:
        self.time_lines = draw_time_line(self.axes, self.current_time(), self.time_lines)
        self.plot_canvas.draw_idle()

    def clear(self) -> None:
        self._forget_pixel()
        self.egms_picks = []
        self.redraw()

    # ------------------------------------------------------------------ export

    def export_plot_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export plot", "", "PNG (*.png);;SVG (*.svg)")
        if path:
            self.export_plot(path)

    def export_plot(self, path: str) -> None:
        self.figure.savefig(path, dpi=150, bbox_inches="tight")

    def export_csv_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export series", "", "CSV (*.csv)")
        if path:
            self.export_csv(path)

    def export_csv(self, path: str) -> list[str]:
        """Write the plotted series (long table); ITS_LIVE pairs and GP go to ``<name>_pairs.csv``/``_gp.csv``.
        Returns the files written."""
        written = [path]
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            if self.pixel is not None:
                names = [n for n in itslive_series.VARIABLES if n in self.pixel.values]
                writer.writerow(["date", *names])
                for i, t in enumerate(self.pixel.times):
                    writer.writerow([str(t), *(_cell(self.pixel.values[n][i]) for n in names)])
            else:
                writer.writerow(["layer", "component", "point_id", "date", "displacement_mm", "model_mm"])
                for pick in self.egms_picks:
                    for s in (pick.series, pick.partner):
                        if s is None:
                            continue
                        model = egms_series.fit_model(s)
                        for i, d in enumerate(s.dates):
                            writer.writerow(
                                [
                                    s.layer_name,
                                    s.component,
                                    s.point_id,
                                    str(d),
                                    _cell(s.values[i]),
                                    _cell(model.values[i]) if model else "",
                                ]
                            )
        stem = Path(path).with_suffix("")
        for table, suffix in ((self.pairs, "_pairs.csv"), (self.gp, "_gp.csv")):
            if self.pixel is not None and table is not None:
                table.to_csv(f"{stem}{suffix}", index=False)
                written.append(f"{stem}{suffix}")
        return written


def _cell(value) -> str:
    return "" if value is None or not np.isfinite(value) else f"{float(value):.6g}"


class Inspector:
    """The plugin's inspector: toolbar/menu action, map tool and dock (created by ``initGui``)."""

    MENU = "&Surface Motion"

    def __init__(self, iface, icon: QIcon):
        self.iface = iface
        self.canvas = iface.mapCanvas()
        self.action = QAction(icon, "Time-series inspector", iface.mainWindow())
        self.action.setCheckable(True)
        self.action.setToolTip(
            "Time-series inspector: click an EGMS point or an ITS_LIVE glacier pixel "
            "(shift-click adds EGMS points)"
        )
        self.action.toggled.connect(self.set_active)
        self.tool = InspectorMapTool(self.canvas)
        self.tool.setAction(self.action)
        self.dock = InspectorDock(self.canvas, iface.mainWindow())
        self.dock.hide()
        self.tool.clicked.connect(self.dock.inspect)
        iface.addDockWidget(Qt.RightDockWidgetArea, self.dock)
        iface.addToolBarIcon(self.action)
        iface.addPluginToMenu(self.MENU, self.action)

    def set_active(self, on: bool) -> None:  # Qt slot
        if on:
            self.dock.show()
            self.dock.raise_()
            self.canvas.setMapTool(self.tool)
        elif self.canvas.mapTool() is self.tool:
            self.canvas.unsetMapTool(self.tool)

    def unload(self) -> None:
        self.dock.clear()
        if self.canvas.mapTool() is self.tool:
            self.canvas.unsetMapTool(self.tool)
        self.iface.removePluginMenu(self.MENU, self.action)
        self.iface.removeToolBarIcon(self.action)
        self.iface.removeDockWidget(self.dock)
        self.dock.deleteLater()
        self.action.deleteLater()
