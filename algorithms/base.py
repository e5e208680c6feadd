"""Shared behaviour of every Surface Motion algorithm.

- optional dependencies are checked in ``canExecute()`` and reported with the exact install
  command instead of an import traceback;
- core progress/cancellation is mapped onto ``QgsProcessingFeedback``;
- core errors become ``QgsProcessingException`` with the core's message.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from qgis.core import QgsProcessingAlgorithm, QgsProcessingException
from qgis.PyQt.QtGui import QIcon

PLUGIN_DIR = Path(__file__).resolve().parent.parent
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

    def progress(self, feedback):
        """A core ``Progress`` that forwards to ``feedback`` (percent, log, cancellation)."""
        from ..core.progress import Progress

        last = {"message": None}

        def on_progress(fraction: float, message: str) -> None:
            feedback.setProgress(100.0 * fraction)
            if message and message != last["message"]:
                feedback.setProgressText(message)
                last["message"] = message

        return Progress(
            on_progress=on_progress,
            is_cancelled=feedback.isCanceled,
            on_info=feedback.pushInfo,
            on_warning=feedback.reportError if not hasattr(feedback, "pushWarning") else feedback.pushWarning,
        )

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        ok, message = self.canExecute()
        if not ok:
            raise QgsProcessingException(message)
        from ..core.errors import SurfaceMotionError

        try:
            return self.execute(parameters, context, feedback)
        except SurfaceMotionError as exc:  # cancellation too; Processing reports it (once)
            raise QgsProcessingException(f"{self.displayName()}: {exc}") from exc

    def execute(self, parameters, context, feedback):
        raise NotImplementedError

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


def scheduler_or_none(text: str | None) -> str | None:
    """An empty scheduler parameter means: start a local cluster."""
    text = (text or "").strip() or os.environ.get("SURFACE_MOTION_SCHEDULER", "").strip()
    return text or None
