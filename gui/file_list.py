"""A file-list widget for a multiple-layers parameter whose items are plain files (``TypeFile``).

QGIS 3.22's own widget for such a parameter resolves every value as a map layer
(``QgsProcessingParameters::parameterAsLayerList``): an EGMS burst ZIP is opened by the OGR, GDAL,
mesh and point-cloud providers in turn, QGIS logs "Cannot open /vsizip/…" for each file, and the
file is dropped, so a dialog pre-filled from Python came up empty. This widget keeps the paths as
text. A parameter opts in through its metadata::

    {"widget_wrapper": {"class": "<package>.gui.file_list.FileListWidgetWrapper",
                        "file_filter": "EGMS bursts (*.zip *.csv *.csv.gz)"}}

In the modeler the parameter keeps QGIS's own modeler widget, which links it to model inputs and
child outputs; qgis_process and ``processing.run`` never create widgets.
"""

from __future__ import annotations

from processing.gui.wrappers import WidgetWrapper
from qgis.core import QgsProcessingParameterDefinition
from qgis.gui import QgsFileWidget, QgsGui


class FileListWidgetWrapper(WidgetWrapper):
    """A multiple-files picker whose value is the list of chosen paths (None when empty).

    Built on Processing's Python ``WidgetWrapper`` (the widget lives on the Python side): a widget
    returned to C++ from ``createWidget`` is deleted by sip as soon as the dialog receives it.
    """

    def __new__(
        cls, parameter: QgsProcessingParameterDefinition, dialog, row: int = 0, col: int = 0, **options
    ):
        # processing.gui.wrappers instantiates the metadata's class for every dialog; the modeler expects
        # a QgsProcessingModelerParameterWidget (static value or a link to a model input): QGIS's own.
        if type(dialog).__name__ == "ModelerParametersDialog":
            return QgsGui.processingGuiRegistry().createModelerParameterWidget(
                dialog.model, dialog.childId, parameter, dialog.context
            )
        return super().__new__(cls)

    def createWidget(self, file_filter: str = "") -> QgsFileWidget:  # noqa: N802 (Processing API)
        widget = QgsFileWidget()
        widget.setStorageMode(QgsFileWidget.GetMultipleFiles)
        widget.setFilter(file_filter)
        widget.setDialogTitle(self.parameterDefinition().description())
        widget.fileChanged.connect(lambda _text: self.widgetValueHasChanged.emit(self))
        return widget

    def setValue(self, value) -> None:  # noqa: N802 (Processing API)
        self.widget.setFilePath(join_paths(paths_of(value)))

    def value(self) -> list[str] | None:
        paths = [path for path in QgsFileWidget.splitFilePaths(self.widget.filePath()) if path]
        return paths or None  # None: a required parameter left empty is flagged by the dialog


def paths_of(value) -> list[str]:
    """The file paths in a parameter value: a list (Python, batch rows, history) or one path as text (as
    ``parameterAsFileList`` reads it)."""
    items = value if isinstance(value, (list, tuple)) else [value]
    return [str(item).strip() for item in items if item is not None and str(item).strip()]


def join_paths(paths: list[str]) -> str:
    """The text QgsFileWidget shows for several files: each path quoted (paths may hold spaces)."""
    if len(paths) == 1:
        return paths[0]
    return " ".join(f'"{path}"' for path in paths)
