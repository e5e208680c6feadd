"""Surface Motion QGIS plugin. QGIS calls :func:`classFactory`; ``iface`` is None under qgis_process."""


def classFactory(iface):  # noqa: N802 (QGIS API name)
    from .plugin import SurfaceMotionPlugin

    return SurfaceMotionPlugin(iface)
