"""Tier 2: algorithms through ``processing.run`` inside a real (offscreen) QgsApplication."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def provider(qgis_processing):
    """The Surface Motion provider, registered the way QGIS registers it (classFactory + initProcessing)."""
    import surface_motion

    plugin = surface_motion.classFactory(None)
    plugin.initProcessing()
    yield plugin.provider
    plugin.unload()


@pytest.fixture
def run_algorithm(provider):
    """Run ``surfacemotion:<name>`` with ``processing.run`` and return its result dict."""
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsProject

    def run(name: str, parameters: dict, feedback=None, context=None):
        context = context or QgsProcessingContext()
        context.setProject(QgsProject.instance())
        return processing.run(
            f"surfacemotion:{name}", parameters, context=context, feedback=feedback or QgsProcessingFeedback()
        )

    return run
