"""Shared behaviour of every Surface Motion algorithm.

- required Python packages are checked in ``canExecute()`` and reported with the exact install
  command instead of an import traceback;
- parameter values outside their range or options are named with the allowed values
  (``checkParameterValues``), output locations are checked before any computation;
- core errors (raised in the algorithm or relayed from the worker process, see ``worker.py``) become
  ``QgsProcessingException`` with the core's message, unexpected ones a single line and a log file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from qgis.core import (
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
)
from qgis.PyQt.QtGui import QIcon

PLUGIN_DIR = Path(__file__).resolve().parent.parent
#: the plugin's import name (its folder's name where QGIS installed it), for class paths in parameter metadata
PLUGIN_PACKAGE = __package__.rpartition(".")[0]
RESOURCES = PLUGIN_DIR / "resources"


def icon(name: str) -> QIcon:
    """An icon from ``resources/icons`` (SVG)."""
    return QIcon(str(RESOURCES / "icons" / name))


def style_path(name: str) -> str:
    """Path of a QML style in ``resources/styles``."""
    return str(RESOURCES / "styles" / name)


class SurfaceMotionAlgorithm(QgsProcessingAlgorithm):
    """Base class: subclasses set the class attributes and implement ``initAlgorithm``/``execute`` (not ``run``: QgsProcessingAlgorithm.run is the executor's entry point)."""

    ALG_NAME = ""
    DISPLAY_NAME = ""
    GROUP = ""  # "EGMS" or "ITS_LIVE"
    ICON = "surface_motion.svg"
    HELP = ""
    #: import names the algorithm needs at run time (checked by canExecute)
    REQUIRED_MODULES: tuple[str, ...] = ("numpy", "pandas")

    def name(self):
        return self.ALG_NAME

    def displayName(self):  # noqa: N802
        return self.DISPLAY_NAME

    def group(self):
        return self.GROUP

    def groupId(self):  # noqa: N802
        return self.GROUP.lower()

    def shortHelpString(self):  # noqa: N802
        # The dialog starts a paragraph at every newline: the HTML's source line breaks are spaces.
        return " ".join(self.HELP.split())

    def icon(self):
        return icon(self.ICON)

    def svgIconPath(self):  # noqa: N802 - the modeler draws this one on its boxes
        return str(RESOURCES / "icons" / self.ICON)

    def createInstance(self):  # noqa: N802
        return type(self)()

    def canExecute(self):  # noqa: N802
        from ..core.deps import install_hint, missing_modules

        missing = missing_modules(self.REQUIRED_MODULES)
        if missing:
            return False, install_hint(missing)
        return True, ""

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        ok, message = self.canExecute()
        if not ok:
            raise QgsProcessingException(message)
        from ..core.errors import SurfaceMotionError, describe_unexpected

        try:
            self.check_destinations(parameters, context)
            return self.execute(parameters, context, feedback)
        except SurfaceMotionError as exc:  # cancellation too; Processing reports it (once)
            raise QgsProcessingException(f"{self.displayName()}: {exc}") from exc
        except QgsProcessingException:
            raise
        except Exception as exc:  # one line for the user, the traceback goes to a log file
            raise QgsProcessingException(f"{self.displayName()}: {describe_unexpected(exc)}") from exc

    def execute(self, parameters, context, feedback):
        raise NotImplementedError

    def checkParameterValues(self, parameters, context):  # noqa: N802
        """QGIS's own check says only "Incorrect parameter value for X": name the range or the options."""
        for definition in self.parameterDefinitions():
            try:
                message = parameter_problem(definition, parameters.get(definition.name()))
            except Exception:  # noqa: BLE001 - an exception here would abort QGIS: leave it to QGIS's own check
                message = None
            if message:
                return False, f"{definition.name()}: {message}"
        return super().checkParameterValues(parameters, context)

    def check_destinations(self, parameters, context) -> None:
        """Fail before any computation when an output file or folder cannot be written there."""
        from ..core.io import check_output_location

        for definition in self.destinationParameterDefinitions():
            if parameters.get(definition.name()) in (None, ""):
                continue
            if isinstance(definition, QgsProcessingParameterFeatureSink):
                path = self.parameterAsOutputLayer(parameters, definition.name(), context)
            else:
                path = self.parameterAsFileOutput(parameters, definition.name(), context)
            path = (path or "").split("|")[0].removeprefix("ogr:")
            if not path or path.startswith(("memory:", "postgres", "dbname")) or "://" in path:
                continue
            kind = "folder" if isinstance(definition, QgsProcessingParameterFolderDestination) else "file"
            check_output_location(path, definition.name(), kind)

    def optional_double(self, parameters, key, context) -> float | None:
        """A number parameter left empty → None (``parameterAsDouble`` would give 0)."""
        if parameters.get(key) in (None, ""):
            return None
        return self.parameterAsDouble(parameters, key, context)

    def optional_enums(self, parameters, key, context) -> list[int]:
        """The chosen options of an optional multi-choice parameter; none given → [] ("all").

        ``parameterAsEnums`` on QGIS 3.22 answers [0] (the first option) for a parameter that
        ``qgis_process`` or Python left out, which silently kept only Sentinel-1.
        """
        if parameters.get(key) in (None, "", []):
            return []
        return self.parameterAsEnums(parameters, key, context)

    def text_list(self, parameters, key, context) -> list[str]:
        """A list parameter given as a list (Python, modeler) or as text, one item per line or ';'-separated."""
        raw = parameters.get(key)
        if isinstance(raw, (list, tuple)):
            return [str(v).strip() for v in raw if str(v).strip()]
        text = self.parameterAsString(parameters, key, context) or ""
        return [v.strip() for v in re.split(r"[\n;]", text) if v.strip()]


def parameter_problem(definition, value) -> str | None:
    """Why ``value`` is not accepted by a number (range) or enum (options) parameter; None when it is or
    when QGIS's own check is enough."""
    if value is None or value == "" or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(definition, QgsProcessingParameterNumber):
        from ..core.ranges import Range

        meta = definition.metadata()
        return Range(
            definition.name(),
            definition.minimum(),
            definition.maximum(),
            unit=meta.get("unit", ""),
            decimals=int((meta.get("widget_wrapper") or {}).get("decimals", 0)),
            integer=definition.dataType() == QgsProcessingParameterNumber.Integer,
            hint=meta.get("hint", ""),
        ).problem(value)
    if isinstance(definition, QgsProcessingParameterEnum):
        options = definition.options()
        choices = ", ".join(f"{i} ({o})" for i, o in enumerate(options))
        values = value if isinstance(value, (list, tuple)) else str(value).split(",")
        for item in values:
            try:
                index = int(str(item).strip())
            except ValueError:
                return f"'{item}' is not an option index; give {choices}"
            if not 0 <= index < len(options):
                return f"{index} is not an option index; give {choices}"
    return None


def scheduler_or_none(text: str | None) -> str | None:
    """The SCHEDULER parameter for the core config: ``"local"`` (a Dask LocalCluster) or an address as
    given; empty falls back to ``$SURFACE_MOTION_SCHEDULER``, and without it to None: the pipeline then
    runs in the worker process itself, without Dask."""
    text = (text or "").strip() or os.environ.get("SURFACE_MOTION_SCHEDULER", "").strip()
    return text or None
