"""Plugin entry: registers the Processing provider (also when there is no GUI, iface=None) and, in the
desktop, the time-series inspector (toolbar button and Plugins menu entry)."""

from qgis.core import QgsApplication


class SurfaceMotionPlugin:
    def __init__(self, iface=None):
        self.iface = iface
        # Keep a Python reference: without it the provider's overrides are garbage-collected
        # and its algorithms vanish from the registry.
        self.provider = None
        self.inspector = None

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
        if self.iface is None:
            return
        from .algorithms.base import icon
        from .gui.inspector import Inspector

        self.inspector = Inspector(self.iface, icon("inspector.svg"))

    def unload(self):
        if self.inspector is not None:
            self.inspector.unload()
            self.inspector = None
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
