"""Plugin entry: registers the Processing provider (also when there is no GUI, iface=None)."""

from qgis.core import QgsApplication


class SurfaceMotionPlugin:
    def __init__(self, iface=None):
        self.iface = iface
        # Keep a Python reference: without it the provider's overrides are garbage-collected
        # and its algorithms vanish from the registry.
        self.provider = None

    def initProcessing(self):  # noqa: N802 (QGIS API name)
        if self.provider is not None:
            return
        from .algorithms.provider import SurfaceMotionProvider

        provider = SurfaceMotionProvider()
        # The registry refuses (and deletes) a second provider with the same id.
        if QgsApplication.processingRegistry().addProvider(provider):
            self.provider = provider

    def initGui(self):  # noqa: N802 (QGIS API name)
        self.initProcessing()

    def unload(self):
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
