"""Processing algorithm ``surfacemotion:egms_l3_ortho``: EGMS L2a/L2b bursts → L3 Ortho east/up."""

from __future__ import annotations

from pathlib import Path

from qgis.core import (
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingOutputVectorLayer,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFile,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMultipleLayers,
    QgsVectorLayer,
)

from ..core.egms.config import RESAMPLINGS, WEIGHTINGS, EgmsL3Config
from .base import PLUGIN_PACKAGE, SurfaceMotionAlgorithm, scheduler_or_none, style_path
from .compat import set_advanced
from .params import boolean, enum, number, scheduler_parameter, text


class EgmsL3OrthoAlgorithm(SurfaceMotionAlgorithm):
    ALG_NAME = "egms_l3_ortho"
    DISPLAY_NAME = "EGMS L2a/L2b → L3 Ortho (east/up)"
    GROUP = "EGMS"
    ICON = "egms_l3_ortho.svg"
    REQUIRED_MODULES = ("numpy", "pandas", "pyarrow", "shapely", "pyproj", "tifffile", "geopandas", "pyogrio")
    HELP = """
<p>Builds the EGMS <b>L3 Ortho</b> products (east-west <b>E</b> and vertical <b>U</b> on a 100 m grid in
EPSG:3035, per 100 km tile) from EGMS <b>L2a/L2b</b> burst files (ZIP, CSV or CSV.gz, as downloaded from the
EGMS Explorer). With the default parameters the result is identical to the official product (checked cell by
cell on tile E45N17, release 2020–2024).</p>
<p><b>Algorithm</b>: each measurement point's series is resampled on a regular grid (nearest observation in time,
ties averaged, at most MAX_GAP_DAYS away, ends held); points are binned into cells; in each cell with at least
one ascending and one descending point, east and up displacement come from least squares on the LOS vectors
(north assumed zero); PD Table 14 statistics (velocity, acceleration, seasonality, their std, rmse) follow.</p>
<p><b>Parameters</b>: INPUTS burst files (at least one ascending and one descending); AOI optional polygon
layer in any CRS (cells whose centre is inside; default: every tile the inputs touch); START_DATE / END_DATE
(YYYY-MM-DD, default: the period every input covers); SPACING cell size in m (100); SPACING_DAYS (6);
MAX_GAP_DAYS (90); RESAMPLING nearest (official) or linear; GNSS_MODEL optional A-EPND model CSV to fill the
gnss_velocity_* fields; SCHEDULER empty = this process, <code>local</code> = a Dask LocalCluster, or a Dask
scheduler address; OUTPUT_FOLDER. Advanced: ATBD options (minimum MP count, GNSS north removal, per-geometry
averaging, rmse weighting) and the legacy (≤ 2019–2023) column names.</p>
<p><b>Outputs</b>: per tile and component the official set (<code>EGMS_L3_E45N17_100km_U_2020_2024_1</code>
.zip with CSV + XML, .tiff mean velocity, .md5) plus a GeoPackage and a GeoParquet point layer; the east and
up point layers are loaded with a diverging velocity style.</p>
"""

    def initAlgorithm(self, config=None):  # noqa: N802
        inputs = QgsProcessingParameterMultipleLayers(
            "INPUTS", "EGMS L2a/L2b burst files (ZIP, CSV, CSV.gz)", QgsProcessing.TypeFile
        )
        # QGIS 3.22's own widget opens every file as a layer (the ZIPs are dropped, GDAL logs each one)
        inputs.setMetadata(
            {
                "widget_wrapper": {
                    "class": f"{PLUGIN_PACKAGE}.gui.file_list.FileListWidgetWrapper",
                    "file_filter": "EGMS bursts (*.zip *.csv *.csv.gz)",
                }
            }
        )
        self.addParameter(inputs)
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                "AOI",
                "Area of interest (polygons; empty = every tile the inputs touch)",
                [QgsProcessing.TypeVectorPolygon],
                optional=True,
            )
        )
        self.addParameter(text(EgmsL3Config, "start_date", "START_DATE", "Start date (YYYY-MM-DD)"))
        self.addParameter(text(EgmsL3Config, "end_date", "END_DATE", "End date (YYYY-MM-DD)"))
        self.addParameter(number(EgmsL3Config, "spacing", "Cell size (EPSG:3035)"))
        self.addParameter(number(EgmsL3Config, "spacing_days", "Time step"))
        self.addParameter(number(EgmsL3Config, "max_gap_days", "Largest gap bridged by resampling"))
        self.addParameter(enum(EgmsL3Config, "resampling", "RESAMPLING", "Time resampling"))
        self.addParameter(
            QgsProcessingParameterFile(
                "GNSS_MODEL", "A-EPND GNSS velocity model CSV", extension="csv", optional=True
            )
        )
        self.addParameter(scheduler_parameter())
        for param in (
            number(EgmsL3Config, "min_mp_count", "Minimum MPs per cell (≥ 1 ascending and ≥ 1 descending)"),
            boolean(
                EgmsL3Config,
                "remove_gnss_north",
                "REMOVE_GNSS_NORTH",
                "Remove the GNSS model's north velocity from the LOS (ATBD; needs GNSS_MODEL)",
            ),
            boolean(
                EgmsL3Config,
                "average_per_geometry",
                "AVERAGE_PER_GEOMETRY",
                "Average MPs per cell and geometry first (ATBD)",
            ),
            enum(EgmsL3Config, "weighting", "WEIGHTING", "Weighting of MPs (ATBD)"),
            boolean(
                EgmsL3Config,
                "legacy_columns",
                "LEGACY_COLUMNS",
                "Legacy column names (height, rmse; no gnss fields)",
            ),
        ):
            self.addParameter(set_advanced(param))
        self.addParameter(QgsProcessingParameterFolderDestination("OUTPUT_FOLDER", "Output folder"))
        self.addOutput(
            QgsProcessingOutputVectorLayer(
                "OUTPUT_EAST", "L3 east-west (E) points", QgsProcessing.TypeVectorPoint
            )
        )
        self.addOutput(
            QgsProcessingOutputVectorLayer(
                "OUTPUT_UP", "L3 vertical (U) points", QgsProcessing.TypeVectorPoint
            )
        )
        self.addOutput(QgsProcessingOutputString("PRODUCTS", "Product files (semicolon separated)"))
        self.addOutput(QgsProcessingOutputNumber("CELLS", "Number of cells"))

    def execute(self, parameters, context, feedback):
        from .worker import layer_payload

        inputs = [str(p) for p in self.parameterAsFileList(parameters, "INPUTS", context)]
        source = self.parameterAsSource(parameters, "AOI", context)
        aoi = layer_payload(source, "AOI") if source is not None else None
        config = EgmsL3Config(
            inputs=inputs,
            output_folder=self.parameterAsFileOutput(parameters, "OUTPUT_FOLDER", context),
            aoi=aoi,
            aoi_crs=aoi["crs"] if aoi else EgmsL3Config.aoi_crs,
            start_date=self.parameterAsString(parameters, "START_DATE", context) or None,
            end_date=self.parameterAsString(parameters, "END_DATE", context) or None,
            spacing=self.parameterAsDouble(parameters, "SPACING", context),
            spacing_days=self.parameterAsInt(parameters, "SPACING_DAYS", context),
            max_gap_days=self.parameterAsDouble(parameters, "MAX_GAP_DAYS", context),
            resampling=RESAMPLINGS[self.parameterAsEnum(parameters, "RESAMPLING", context)],
            gnss_model=self.parameterAsFile(parameters, "GNSS_MODEL", context) or None,
            scheduler=scheduler_or_none(self.parameterAsString(parameters, "SCHEDULER", context)),
            min_mp_count=self.parameterAsInt(parameters, "MIN_MP_COUNT", context),
            remove_gnss_north=self.parameterAsBool(parameters, "REMOVE_GNSS_NORTH", context),
            average_per_geometry=self.parameterAsBool(parameters, "AVERAGE_PER_GEOMETRY", context),
            weighting=WEIGHTINGS[self.parameterAsEnum(parameters, "WEIGHTING", context)],
            legacy_columns=self.parameterAsBool(parameters, "LEGACY_COLUMNS", context),
        )
        config.validate()  # parameter errors before starting the worker
        result = run_worker(config, feedback)  # its summary messages arrive as worker info lines
        products = result["products"]
        outputs = {
            "OUTPUT_FOLDER": str(config.output_folder),
            "PRODUCTS": ";".join(p for tile in products.values() for p in tile.values()),
            "CELLS": sum(result["cells"].values()),
        }
        # one layer-tree group per run; only the up layers (the last component) are checked, so that the
        # east and up points of a cell are not drawn on top of each other
        group = f"EGMS L3 Ortho ({Path(config.output_folder).name})"
        for key, comp in (("OUTPUT_EAST", "E"), ("OUTPUT_UP", "U")):
            layers = [Path(t[f"{comp}_gpkg"]) for t in products.values() if f"{comp}_gpkg" in t]
            outputs[key] = str(layers[0]) if layers else None
            for path in layers:
                self._load(
                    path, f"EGMS L3 {comp} {path.stem.split('_')[2]}", key, context, group, comp == "U"
                )
        return outputs

    def _load(self, path, name: str, output: str, context, group: str, visible: bool) -> None:
        from .layers import LayerStyler

        layer = QgsVectorLayer(f"{path}|layername={path.stem}", name, "ogr")
        if not layer.isValid():
            return
        context.temporaryLayerStore().addMapLayer(layer)
        context.addLayerToLoadOnCompletion(
            layer.id(), QgsProcessingContext.LayerDetails(name, context.project(), output)
        )
        LayerStyler.attach(context, layer.id(), style_path("egms_velocity.qml"), group=group, visible=visible)


def run_worker(config, feedback) -> dict:
    """Run the core pipeline in a worker process (see ``worker.py``: QGIS's GEOS/PROJ/GDAL clash with the
    wheels' copies that shapely, pyproj and pyogrio use). Cancelling sends SIGTERM: the worker stops
    between blocks and writes no product."""
    from .worker import run_task

    return run_task("egms_l3_ortho", {"config": config}, feedback)
