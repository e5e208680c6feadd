"""The ``surfacemotion`` Processing provider."""

from __future__ import annotations

import importlib
from pathlib import Path

from qgis.core import QgsProcessingModelAlgorithm, QgsProcessingProvider

from .base import RESOURCES, icon

# module name -> algorithm class, one algorithm per module. Each module imports only qgis and the
# numpy-free core config modules at import time (the rest of core inside execute()), so the provider
# always loads.
ALGORITHMS = (
    ("egms_l3_ortho", "EgmsL3OrthoAlgorithm"),
    ("itslive_invert", "ItsliveInvertAlgorithm"),
    ("itslive_find_cubes", "ItsliveFindCubesAlgorithm"),
    ("itslive_point_series", "ItslivePointSeriesAlgorithm"),
    ("itslive_gp_regression", "ItsliveGpRegressionAlgorithm"),
    ("itslive_centerline_profile", "ItsliveCenterlineProfileAlgorithm"),
)


class ShippedModel(QgsProcessingModelAlgorithm):
    """A graphical model of ``resources/models`` listed under the provider (no file to open).

    Its id is ``surfacemotion:<file stem>`` (the model's own name has spaces and colons); the
    title stays the model's name.
    """

    def __init__(self, path: Path):
        super().__init__()
        self.path = Path(path)
        if not self.fromFile(str(self.path)):
            raise ValueError(f"{self.path}: not a QGIS model file")
        self.title = QgsProcessingModelAlgorithm.displayName(self)

    def name(self):
        return self.path.stem

    def displayName(self):  # noqa: N802
        return self.title

    def groupId(self):  # noqa: N802
        return QgsProcessingModelAlgorithm.group(self).lower()

    def shortHelpString(self):  # noqa: N802 - the dialog makes a paragraph of every line
        return " ".join(QgsProcessingModelAlgorithm.shortHelpString(self).split())

    def icon(self):
        return icon("provider.svg")

    def svgIconPath(self):  # noqa: N802
        return str(RESOURCES / "icons" / "provider.svg")

    def canExecute(self):  # noqa: N802 - greyed out, with the install hint, when a step cannot run
        for child in self.childAlgorithms().values():
            ok, message = child.algorithm().canExecute()
            if not ok:
                return False, message
        return True, ""

    def createInstance(self):  # noqa: N802
        return ShippedModel(self.path)


class SurfaceMotionProvider(QgsProcessingProvider):
    def id(self):
        return "surfacemotion"

    def name(self):
        return "Surface Motion"

    def longName(self):  # noqa: N802
        return "Surface Motion (EGMS ground motion, ITS_LIVE glacier flow)"

    def icon(self):
        return icon("provider.svg")

    def loadAlgorithms(self):  # noqa: N802
        for module_name, class_name in ALGORITHMS:
            module = importlib.import_module(f"{__package__}.{module_name}")
            self.addAlgorithm(getattr(module, class_name)())
        for path in sorted((RESOURCES / "models").glob("*.model3")):
            self.addAlgorithm(ShippedModel(path))
