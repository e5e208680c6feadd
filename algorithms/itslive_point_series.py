"""surfacemotion:itslive_point_series — ITS_LIVE velocity series under points (optional GP regression)."""

from __future__ import annotations

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessing,
    QgsProcessingOutputFile,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFileDestination,
    QgsWkbTypes,
)

from ..core.itslive.analysis.config import NEIGHBORHOODS, PointSeriesConfig
from .base import SurfaceMotionAlgorithm
from .params import (
    GP_HELP,
    add_cube_source,
    add_gp_parameters,
    add_pair_filters,
    cube_source,
    enum,
    gp_config,
    pair_filters,
    plot_format,
)

NEIGHBORHOOD_LABELS = {1: "1: the pixel under the point", 3: "3: median of the 3×3 window"}


class ItslivePointSeriesAlgorithm(SurfaceMotionAlgorithm):
    ALG_NAME = "itslive_point_series"
    DISPLAY_NAME = "Extract ITS_LIVE point series"
    GROUP = "ITS_LIVE"
    ICON = "itslive_point_series.svg"
    REQUIRED_MODULES = (
        "numpy",
        "pandas",
        "geopandas",
        "shapely",
        "pyproj",
        "zarr",
        "s3fs",
        "scipy",
        "matplotlib",
    )
    HELP = (
        "<p>Reads the ITS_LIVE image-pair velocities under each point (any CRS): the cube column at the "
        "pixel under the point, or the median of its 3×3 neighbourhood. Only the chunks under the points "
        "are read.</p><ul>"
        "<li><b>Cubes</b>: URLs or folders, one per line; empty: the cubes under the points are found in the "
        "<b>Catalog</b> (URL or file, cached).</li>"
        "<li><b>Missions</b> (none: all), <b>Start/End date</b> (YYYY-MM-DD: pairs entirely inside), "
        "<b>Min/Max date_dt</b> (days between the two images).</li>"
        "<li><b>Point id field</b>: kept as <code>point_id</code> (default: 1…n).</li></ul>"
        "<p>Output: a table (and optionally a CSV readable by the GP regression) with point_id, mid_date, "
        "img1, img2, date_dt, v, vx, vy, v_error, vx_error, vy_error, mission/satellite of both images, "
        "lon/lat, the pixel centre x/y in the cube CRS, epsg and zarr_url.</p>"
        "<p><b>GP regression</b> (option): one regression per point, table and plot.</p>" + GP_HELP
    )

    POINTS = "POINTS"
    POINT_ID = "POINT_ID"
    NEIGHBORHOOD = "NEIGHBORHOOD"
    GP = "GP"
    OUTPUT = "OUTPUT"
    CSV = "CSV"
    GP_OUTPUT = "GP_OUTPUT"
    GP_PLOT = "GP_PLOT"

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(
            QgsProcessingParameterFeatureSource(self.POINTS, "Points", [QgsProcessing.TypeVectorPoint])
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.POINT_ID,
                "Point id field (default: 1…n)",
                parentLayerParameterName=self.POINTS,
                optional=True,
            )
        )
        add_cube_source(self)
        add_pair_filters(self)
        self.addParameter(
            enum(PointSeriesConfig, "neighborhood", self.NEIGHBORHOOD, "Neighbourhood", NEIGHBORHOOD_LABELS)
        )
        self.addParameter(
            QgsProcessingParameterBoolean(self.GP, "GP regression of each point", defaultValue=False)
        )
        add_gp_parameters(self, prefix="GP_", advanced=True)
        self.addParameter(
            QgsProcessingParameterFeatureSink(self.OUTPUT, "Point series", QgsProcessing.TypeVector)
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.CSV,
                "Point series CSV",
                fileFilter="CSV files (*.csv)",
                optional=True,
                createByDefault=False,
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                self.GP_OUTPUT,
                "GP regression table (with the GP option)",
                QgsProcessing.TypeVector,
                optional=True,
                createByDefault=False,
            )
        )
        self.addOutput(QgsProcessingOutputFile(self.GP_PLOT, "GP plot (next to the GP table)"))

    def execute(self, parameters, context, feedback):
        from dataclasses import asdict

        from qgis.core import QgsProcessingException, QgsProcessingUtils

        from .layers import fields_for, write_frame, write_gp_outputs
        from .worker import layer_payload, run_task

        id_field = self.parameterAsString(parameters, self.POINT_ID, context) or ""
        config = PointSeriesConfig(
            **cube_source(self, parameters, context),
            **pair_filters(self, parameters, context),
            neighborhood=NEIGHBORHOODS[self.parameterAsEnum(parameters, self.NEIGHBORHOOD, context)],
        )
        config.validate()
        with_gp = self.parameterAsBool(parameters, self.GP, context)
        gp = gp_config(self, parameters, context, prefix="GP_") if with_gp else None
        if gp is not None:
            gp.validate()
            if parameters.get(self.GP_OUTPUT) in (None, ""):
                raise QgsProcessingException(
                    f"{self.GP_OUTPUT}: give a destination for the GP table (GP is on)"
                )
        points = layer_payload(
            self.parameterAsSource(parameters, self.POINTS, context),
            self.POINTS,
            (id_field,) if id_field else (),
        )
        if id_field:
            points["attributes"]["point_id"] = points["attributes"].pop(id_field)
        fmt = plot_format(self, parameters, context, prefix="GP_")
        csv = self.parameterAsFileOutput(parameters, self.CSV, context) if parameters.get(self.CSV) else None
        result = run_task(
            "point_series",
            {
                "points": points,
                "config": asdict(config),
                "csv": csv or None,
                "gp": asdict(gp) if gp else None,
                "plot": QgsProcessingUtils.generateTempFilename(f"gp.{fmt}") if gp else None,
            },
            feedback,
        )
        table = result["table"]
        fields = fields_for(table)
        sink, dest = self.parameterAsSink(
            parameters, self.OUTPUT, context, fields, QgsWkbTypes.NoGeometry, QgsCoordinateReferenceSystem()
        )
        write_frame(sink, table, fields, feedback=feedback)
        feedback.pushInfo(f"{len(table)} observations at {table['point_id'].nunique()} point(s)")
        outputs = {self.OUTPUT: dest, self.CSV: csv, self.GP_OUTPUT: None, self.GP_PLOT: None}
        if gp is not None:
            outputs[self.GP_OUTPUT], outputs[self.GP_PLOT] = write_gp_outputs(
                self, parameters, context, feedback, result["gp_table"], result["plot"], self.GP_OUTPUT, fmt
            )
        return outputs
