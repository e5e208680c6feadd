"""The ``surfacemotion`` Processing provider."""

from __future__ import annotations

import importlib

from qgis.core import QgsProcessingProvider

from .base import icon

# module name -> algorithm class, one algorithm per module. Each module imports only qgis at
# import time (core is imported in run()), so the provider always loads.
ALGORITHMS = (
    ("egms_l3_ortho", "EgmsL3OrthoAlgorithm"),
    ("itslive_invert", "ItsliveInvertAlgorithm"),
    ("itslive_find_cubes", "ItsliveFindCubesAlgorithm"),
    ("itslive_point_series", "ItslivePointSeriesAlgorithm"),
    ("itslive_gp_regression", "ItsliveGpRegressionAlgorithm"),
    ("itslive_centerline_profile", "ItsliveCenterlineProfileAlgorithm"),
)


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
