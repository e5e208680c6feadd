"""surfacemotion:itslive_find_cubes — the ITS_LIVE datacubes an area of interest touches."""

from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsWkbTypes,
)

from .base import SurfaceMotionAlgorithm, style_path
from .params import catalog_parameter


class ItsliveFindCubesAlgorithm(SurfaceMotionAlgorithm):
    ALG_NAME = "itslive_find_cubes"
    DISPLAY_NAME = "Find ITS_LIVE datacubes"
    GROUP = "ITS_LIVE"
    ICON = "itslive_find_cubes.svg"
    REQUIRED_MODULES = ("numpy", "pandas", "geopandas", "shapely", "pyproj")
    HELP = (
        "<p>Finds the ITS_LIVE velocity datacubes (100 km tiles) whose footprint intersects the "
        "<b>area of interest</b> (any geometry type, any CRS). The footprint of each cube "
        "(<code>geometry_epsg</code> of the catalog) is tested in the cube's own projected CRS, not with "
        "the approximate lon/lat box.</p>"
        "<p><b>Catalog</b>: URL or local file of the ITS_LIVE GeoJSON catalog. The default official "
        "catalog is downloaded once and cached on disk (<code>~/.cache/surface_motion/itslive</code>); "
        "offline, the cached copy is used with a warning.</p>"
        "<p><b>Output</b>: one polygon per cube (its footprint) with <code>zarr_url</code>, "
        "<code>epsg</code>, <code>region</code> (RGI region name), <code>rgi_code</code> and the footprint "
        "bounds in the cube CRS. <b>CUBES</b> (string output) lists the zarr URLs one per line, for "
        "chaining into the inversion or the point series in a model.</p>"
    )

    AOI = "AOI"
    CATALOG = "CATALOG"
    OUTPUT = "OUTPUT"
    CUBES = "CUBES"
    COUNT = "COUNT"

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.AOI, "Area of interest", [QgsProcessing.TypeVectorAnyGeometry]
            )
        )
        self.addParameter(catalog_parameter(optional=False))
        self.addParameter(
            QgsProcessingParameterFeatureSink(self.OUTPUT, "ITS_LIVE cubes", QgsProcessing.TypeVectorPolygon)
        )
        self.addOutput(QgsProcessingOutputString(self.CUBES, "Cube URLs (one per line)"))
        self.addOutput(QgsProcessingOutputNumber(self.COUNT, "Number of cubes"))

    def execute(self, parameters, context, feedback):
        from qgis.core import QgsCoordinateReferenceSystem

        from .layers import LayerStyler, fields_for, write_frame
        from .worker import layer_payload, run_task

        aoi = layer_payload(self.parameterAsSource(parameters, self.AOI, context), self.AOI)
        result = run_task(
            "find_cubes",
            {
                "aoi": aoi,
                "catalog": self.parameterAsString(parameters, self.CATALOG, context).strip() or None,
            },
            feedback,
        )
        table = result["table"]
        fields = fields_for(table)
        sink, dest = self.parameterAsSink(
            parameters,
            self.OUTPUT,
            context,
            fields,
            QgsWkbTypes.Polygon,
            QgsCoordinateReferenceSystem.fromWkt(result["crs"]),
        )
        write_frame(sink, table, fields, geometries=result["wkb"], feedback=feedback)
        feedback.pushInfo(f"{len(table)} cube(s): " + ", ".join(table["zarr_url"]))
        LayerStyler.attach(context, dest, qml=style_path("itslive_cubes.qml"))
        return {self.OUTPUT: dest, self.CUBES: "\n".join(table["zarr_url"]), self.COUNT: len(table)}
