"""surfacemotion:itslive_centerline_profile — velocity along glacier centerlines from an inversion NetCDF."""

from __future__ import annotations

from itertools import pairwise

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsWkbTypes,
)

from ..core.itslive.analysis.config import CenterlineConfig
from .base import SurfaceMotionAlgorithm, style_path
from .params import number


class ItsliveCenterlineProfileAlgorithm(SurfaceMotionAlgorithm):
    ALG_NAME = "itslive_centerline_profile"
    DISPLAY_NAME = "Velocity along centerlines (ITS_LIVE inversion)"
    GROUP = "ITS_LIVE"
    ICON = "itslive_centerline_profile.svg"
    REQUIRED_MODULES = ("numpy", "pandas", "geopandas", "shapely", "pyproj", "netCDF4", "matplotlib")
    HELP = (
        "<p>Samples the velocity time series written by <i>Invert glacier velocity time series</i> along "
        "lines (e.g. OGGM centerlines, any CRS): a point every <b>Spacing</b> metres from the start of each "
        "line (in the NetCDF's projected CRS), bilinear between pixel centres (nearest pixel next to empty "
        "pixels).</p>"
        "<p>Output: one point per sample and time step with <code>line_id, point_index, distance</code> "
        "(m from the line start), <code>date</code> (centre of the inversion bin), <code>v, vx, vy</code> "
        "(m/yr). The layer is time-aware (feature time from <code>date</code>): play it with the "
        "Temporal Controller. The <b>heat map</b> (PNG or SVG) shows v against distance and time for the "
        "longest lines.</p>"
    )

    LINES = "LINES"
    LINE_ID = "LINE_ID"
    INVERSION = "INVERSION"
    SPACING = "SPACING"
    OUTPUT = "OUTPUT"
    HEATMAP = "HEATMAP"

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(
            QgsProcessingParameterFeatureSource(self.LINES, "Centerlines", [QgsProcessing.TypeVectorLine])
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.LINE_ID,
                "Line id field (default: 1…n)",
                parentLayerParameterName=self.LINES,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterFile(
                self.INVERSION, "Inversion NetCDF (from the ITS_LIVE inversion)", extension="nc"
            )
        )
        self.addParameter(number(CenterlineConfig, "spacing", "Spacing"))
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                self.OUTPUT, "Velocity along centerlines", QgsProcessing.TypeVectorPoint
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.HEATMAP, "Distance–time heat map", fileFilter="PNG (*.png);;SVG (*.svg)"
            )
        )

    def execute(self, parameters, context, feedback):
        from dataclasses import asdict

        from .layers import LayerStyler, fields_for, write_frame
        from .worker import layer_payload, run_task

        config = CenterlineConfig(
            netcdf=self.parameterAsFile(parameters, self.INVERSION, context),
            spacing=self.parameterAsDouble(parameters, self.SPACING, context),
            id_field=self.parameterAsString(parameters, self.LINE_ID, context) or None,
        )
        lines = layer_payload(
            self.parameterAsSource(parameters, self.LINES, context),
            self.LINES,
            (config.id_field,) if config.id_field else (),
        )
        heatmap = self.parameterAsFileOutput(parameters, self.HEATMAP, context)
        if heatmap and not heatmap.lower().endswith((".png", ".svg")):
            raise QgsProcessingException(f"{self.HEATMAP}: use a .png or .svg file name")
        config.validate()
        result = run_task(
            "centerline", {"lines": lines, "heatmap": heatmap or None, "config": asdict(config)}, feedback
        )
        table = result["table"]
        fields = fields_for(table)
        sink, dest = self.parameterAsSink(
            parameters,
            self.OUTPUT,
            context,
            fields,
            QgsWkbTypes.Point,
            QgsCoordinateReferenceSystem.fromWkt(result["crs"]),
        )
        write_frame(sink, table, fields, geometries=result["wkb"], feedback=feedback)
        del sink  # flush a file output before its style is stored
        qml = graduated_velocity_style(table["v"].to_numpy(float), context)
        save_default_style(dest, qml, "date")
        LayerStyler.attach(context, dest, qml=qml, time_field="date")
        feedback.pushInfo(f"{len(table)} point-dates on {table['line_id'].nunique()} line(s)")
        return {self.OUTPUT: dest, self.HEATMAP: result["heatmap"]}


def graduated_velocity_style(v, context) -> str:
    """A QML (temporary file) of the shipped point symbol, graduated on ``v`` over its 2–98 % range in
    round classes: a legend in m/yr, and empty samples (v NULL) fall in no class, so they are not drawn."""
    import numpy as np
    from qgis.core import (
        QgsGraduatedSymbolRenderer,
        QgsProcessingUtils,
        QgsRendererRange,
        QgsStyle,
        QgsVectorLayer,
    )

    from .layers import ramp_stops

    finite = v[np.isfinite(v)]
    stops = ramp_stops(*(np.percentile(finite, [2, 98]) if finite.size else (0.0, 1.0)))
    lowest, highest = (
        min(stops[0], finite.min(initial=stops[0])),
        max(stops[-1], finite.max(initial=stops[-1])),
    )
    template = QgsVectorLayer("Point?field=v:double&field=date:date", "style", "memory")
    template.loadNamedStyle(style_path("itslive_centerline.qml"))
    base = template.renderer().symbol()
    base.symbolLayer(0).setDataDefinedProperties(type(base.symbolLayer(0).dataDefinedProperties())())
    ranges = []
    colours = QgsStyle.defaultStyle().colorRamp("Viridis")
    for k, (lo, hi) in enumerate(pairwise(stops)):
        symbol = base.clone()
        symbol.setColor(colours.color(k / max(len(stops) - 2, 1)))
        label = f"< {hi:g}" if k == 0 else f"≥ {lo:g}" if k == len(stops) - 2 else f"{lo:g} – {hi:g}"
        ranges.append(
            QgsRendererRange(
                lowest if k == 0 else lo, highest if k == len(stops) - 2 else hi, symbol, f"{label} m/yr"
            )
        )
    template.setRenderer(QgsGraduatedSymbolRenderer("v", ranges))
    path = QgsProcessingUtils.generateTempFilename("itslive_centerline.qml")
    template.saveNamedStyle(path)
    return path


def save_default_style(dest: str, qml: str, time_field: str) -> None:
    """Store the style and the feature time in a GeoPackage output, so that the layer opens
    styled and time-aware anywhere (qgis_process, a project, drag and drop)."""
    from qgis.core import QgsVectorLayer

    from .layers import set_time_field

    if ".gpkg" not in str(dest).lower():
        return
    layer = QgsVectorLayer(str(dest), "centerline", "ogr")
    if not layer.isValid():
        return
    layer.loadNamedStyle(qml)
    set_time_field(layer, time_field)
    layer.saveStyleToDatabase("default", "Surface Motion: velocity along centerlines", True, "")
