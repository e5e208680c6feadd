"""Processing algorithm ``surfacemotion:itslive_invert``: ITS_LIVE glacier velocity time series."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from qgis.core import (
    QgsMeshLayer,
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingOutputFile,
    QgsProcessingOutputNumber,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterRasterDestination,
)

from ..core.itslive.config import ItsliveInvertConfig
from ..core.itslive.inversion.config import DEVICES, InversionConfig
from .base import SurfaceMotionAlgorithm, scheduler_or_none
from .compat import set_advanced
from .params import (
    add_cube_source,
    add_pair_filters,
    boolean,
    cube_source,
    enum,
    number,
    pair_filters,
    scheduler_parameter,
)


class MeshStyler(QgsProcessingLayerPostProcessorInterface):
    """Shows the velocity magnitude ``v`` of the pixel mesh, ramp from the inversion NetCDF (runs in the
    main thread).

    QGIS takes the C++ object but not its Python side, and the algorithm instance is deleted before
    the layer gets loaded: :meth:`create` keeps the latest instances referenced here.
    """

    _alive: ClassVar[list[MeshStyler]] = []

    def __init__(self, netcdf: str):
        super().__init__()
        self.netcdf = netcdf

    @classmethod
    def create(cls, netcdf: str) -> MeshStyler:
        styler = cls(netcdf)
        cls._alive = [*cls._alive[-31:], styler]
        return styler

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802
        style_velocity_mesh(layer, self.netcdf)


def style_velocity_mesh(layer: QgsMeshLayer, netcdf: str | None = None, ramp: str = "Viridis") -> bool:
    """Show the velocity magnitude ``v``: active scalar group, colour ramp over its 2–98 % range (m/yr)
    in round steps, so that a few fast pixels do not wash out the glacier. ``netcdf``: the inversion
    whose ``v`` sets the range (default: the layer's own file, the grid mesh).

    Returns False when the layer has no ``v`` group. Built in code rather than a QML because the
    dataset group index and the value range depend on the file.
    """
    from qgis.core import QgsColorRampShader, QgsMeshDatasetIndex, QgsStyle

    from ..core.itslive.io.netcdf import VELOCITY_VARIABLES
    from .layers import ramp_stops

    # MDAL names a group by its long_name; its UGRID reader (the pixel mesh) drops " magnitude"
    names = {"v", VELOCITY_VARIABLES["v"][0], VELOCITY_VARIABLES["v"][0].removesuffix(" magnitude")}
    for i in range(layer.dataProvider().datasetGroupCount()):
        meta = layer.datasetGroupMetadata(QgsMeshDatasetIndex(i))
        if meta.name() not in names:
            continue
        stops = ramp_stops(*velocity_percentiles(netcdf or layer.source(), (meta.minimum(), meta.maximum())))
        colours = QgsStyle.defaultStyle().colorRamp(ramp)
        shader = QgsColorRampShader(stops[0], stops[-1], colours, QgsColorRampShader.Interpolated)
        shader.setColorRampItemList(
            [
                QgsColorRampShader.ColorRampItem(value, colours.color(k / (len(stops) - 1)), f"{value:g}")
                for k, value in enumerate(stops)
            ]
        )
        settings = layer.rendererSettings()
        scalar = settings.scalarSettings(i)
        scalar.setClassificationMinimumMaximum(stops[0], stops[-1])
        scalar.setColorRampShader(shader)
        scalar.setOpacity(0.9)
        settings.setScalarSettings(i, scalar)
        settings.setActiveScalarDatasetGroup(i)
        layer.setRendererSettings(settings)
        layer.triggerRepaint()
        return True
    return False


def velocity_percentiles(
    path: str, fallback: tuple[float, float], most_bands: int = 24
) -> tuple[float, float]:
    """The 2nd and 98th percentiles of ``v`` in the NetCDF (read with QGIS's GDAL, on at most
    ``most_bands`` time steps spread over the series); ``fallback`` when it cannot be read."""
    import numpy as np
    from osgeo import gdal

    gdal.PushErrorHandler("CPLQuietErrorHandler")
    try:
        ds = gdal.Open(f'NETCDF:"{path}":v')
    finally:
        gdal.PopErrorHandler()
    if ds is None:
        return fallback
    bands = np.unique(np.linspace(1, ds.RasterCount, min(most_bands, ds.RasterCount)).round().astype(int))
    values = np.concatenate([ds.GetRasterBand(int(b)).ReadAsArray().ravel() for b in bands])
    values = values[np.isfinite(values)]
    if values.size == 0:
        return fallback
    lo, hi = np.percentile(values, [2, 98])
    return float(lo), float(hi)


class ItsliveInvertAlgorithm(SurfaceMotionAlgorithm):
    ALG_NAME = "itslive_invert"
    DISPLAY_NAME = "Invert glacier velocity time series (ITS_LIVE)"
    GROUP = "ITS_LIVE"
    ICON = "itslive_invert.svg"
    REQUIRED_MODULES = (
        "numpy",
        "pandas",
        "geopandas",
        "shapely",
        "pyproj",
        "scipy",
        "zarr",
        "s3fs",
        "netCDF4",
        "matplotlib",
    )
    HELP = """
<p>Builds a regular velocity time series for every pixel of the selected glaciers from all the
image-pair velocities of the ITS_LIVE datacubes under them.</p>
<p>Each pair's velocity is the mean over its two acquisition dates; the unknowns are mean
velocities over bins of <b>Interval</b> days. The defaults give the best product: every mission,
pairs weighted by 1/σ² from the cube's errors, outliers down-weighted (Tukey biweight), and a
roughness penalty λ²∫(d<sup>k</sup>v/dt<sup>k</sup>)²dt (t in years, k = 2) whose strength λ is
chosen from the data by generalised cross-validation when <b>λ</b> is left empty (the value is
logged and stored in the file). λ means the same at any interval: its unit is
yr<sup>k−½</sup> per m/yr (typical: 1e-4 to 1e-3 for k = 2).</p>
<p>No value is invented: bins outside the span of a pixel's pairs, or whose formal error exceeds
<b>Maximum error ratio</b> × the pixel's median error, are left empty (count 0); pixels with fewer
than 5 valid pairs are empty.</p>
<ul>
<li><b>Glaciers</b>: outlines (any CRS, e.g. RGI polygons); their attributes are kept.</li>
<li><b>Cubes</b>: cube URLs or folders, one per line (s3://, the catalog's http://…s3.amazonaws.com/…,
https or local). Empty: the cubes under the glaciers are found in the <b>Catalog</b>.</li>
<li><b>Start/End date</b> (YYYY-MM-DD): only pairs entirely inside the period are used; empty: the data's span.</li>
<li><b>Missions</b>: Sentinel-1, Sentinel-2, Landsat 4–9 (none selected: all).</li>
<li><b>Device</b>: auto uses CUDA when torch sees a GPU; <b>Scheduler</b>: empty runs here,
<code>local</code> starts a Dask cluster, an address uses that Dask scheduler.</li>
</ul>
<p>Output: a CF-1.8 NetCDF (time, y, x) with vx, vy, v, their formal errors, the observation
count per bin and the glacier of each pixel. Beside it, <code>&lt;name&gt;_pixels.nc</code> holds v on
one mesh face per glacier pixel: it opens as a time-aware mesh layer styled by velocity magnitude that
covers the glacier to its edge. An interrupted run resumes from its checkpoint when rerun with the same
parameters. Optional: the mean velocity as a GeoTIFF.</p>
"""

    GLACIERS = "GLACIERS"
    INTERVAL_DAYS = "INTERVAL_DAYS"
    LAMBDA = "LAMBDA"
    DERIVATIVE = "DERIVATIVE"
    ROBUST = "ROBUST"
    DEVICE = "DEVICE"
    SCHEDULER = "SCHEDULER"
    OUTPUT = "OUTPUT"
    OUTPUT_MESH = "OUTPUT_MESH"
    WEIGHTED = "WEIGHTED"
    MIN_OBSERVATIONS = "MIN_OBSERVATIONS"
    BLOCK_SIZE = "BLOCK_SIZE"
    MEAN_VELOCITY = "MEAN_VELOCITY"
    MAX_ERROR_RATIO = "MAX_ERROR_RATIO"

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.GLACIERS, "Glacier outlines", [QgsProcessing.TypeVectorPolygon]
            )
        )
        add_cube_source(self)
        add_pair_filters(self, advanced_separation=True)
        for param in (
            number(InversionConfig, "interval_days", "Interval"),
            number(InversionConfig, "lam", "Regularisation λ (empty: chosen from the data)"),
            number(
                InversionConfig, "derivative", "Regularisation derivative (1: acceleration, 2: its change)"
            ),
            boolean(InversionConfig, "robust", self.ROBUST, "Robust (down-weight outliers)"),
            enum(InversionConfig, "device", self.DEVICE, "Device"),
            scheduler_parameter(),
            QgsProcessingParameterFileDestination(
                self.OUTPUT, "Velocity time series (NetCDF)", fileFilter="NetCDF files (*.nc)"
            ),
        ):
            self.addParameter(param)
        for param in (
            boolean(InversionConfig, "weighted", self.WEIGHTED, "Weight pairs by 1/σ² (vx_error, vy_error)"),
            number(
                InversionConfig,
                "max_error_ratio",
                "Maximum error ratio (bins whose formal error exceeds this × the "
                "pixel's median are left empty; 0: off)",
            ),
            number(InversionConfig, "min_observations", "Minimum valid pairs per pixel"),
            number(ItsliveInvertConfig, "block_size", "Block size (pixels per side)"),
            QgsProcessingParameterRasterDestination(
                self.MEAN_VELOCITY, "Mean velocity (GeoTIFF)", optional=True, createByDefault=False
            ),
        ):
            self.addParameter(set_advanced(param))
        for key, label in (
            ("N_PIXELS", "Glacier pixels"),
            ("N_BINS", "Time bins"),
            ("N_BLOCKS", "Blocks"),
            ("N_RESUMED", "Blocks resumed from the checkpoint"),
            ("MISSING_CHUNKS", "Chunks missing from the stores"),
        ):
            self.addOutput(QgsProcessingOutputNumber(key, label))
        self.addOutput(QgsProcessingOutputFile(self.OUTPUT_MESH, "Glacier pixels as a mesh (v, for display)"))

    def execute(self, parameters, context, feedback):
        glaciers, layer_name = self.parameterAsCompatibleSourceLayerPathAndLayerName(
            parameters, self.GLACIERS, context, ["gpkg", "geojson", "shp"], "gpkg", feedback
        )
        if not glaciers:
            raise QgsProcessingException(f"{self.GLACIERS}: no glacier layer given")
        if layer_name:
            glaciers = f"{glaciers}|layername={layer_name}"
        output = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        mean = (
            self.parameterAsOutputLayer(parameters, self.MEAN_VELOCITY, context)
            if parameters.get(self.MEAN_VELOCITY)
            else None
        )
        inversion = InversionConfig(
            interval_days=self.parameterAsDouble(parameters, self.INTERVAL_DAYS, context),
            lam=self.optional_double(parameters, self.LAMBDA, context),
            max_error_ratio=self.parameterAsDouble(parameters, self.MAX_ERROR_RATIO, context),
            derivative=self.parameterAsInt(parameters, self.DERIVATIVE, context),
            weighted=self.parameterAsBool(parameters, self.WEIGHTED, context),
            robust=self.parameterAsBool(parameters, self.ROBUST, context),
            min_observations=self.parameterAsInt(parameters, self.MIN_OBSERVATIONS, context),
            device=DEVICES[self.parameterAsEnum(parameters, self.DEVICE, context)],
        )
        config = ItsliveInvertConfig(
            glaciers=glaciers,
            output=output,
            inversion=inversion,
            **cube_source(self, parameters, context),
            **pair_filters(self, parameters, context),
            scheduler=scheduler_or_none(self.parameterAsString(parameters, self.SCHEDULER, context)),
            block_size=self.parameterAsInt(parameters, self.BLOCK_SIZE, context),
            geotiff=mean or None,
        )
        config.validate()  # parameter errors before starting anything
        result = run_worker(config, feedback)
        from .worker import run_task

        mesh = run_task("pixel_mesh", {"netcdf": result["output"]}, feedback)["path"]
        self._load_mesh(mesh, result["output"], context)
        return {
            self.OUTPUT: result["output"],
            self.OUTPUT_MESH: mesh,
            self.MEAN_VELOCITY: result["geotiff"],
            "N_PIXELS": result["n_pixels"],
            "N_BINS": result["n_bins"],
            "N_BLOCKS": result["n_blocks"],
            "N_RESUMED": result["n_resumed"],
            "MISSING_CHUNKS": result["missing_chunks"],
        }

    def _load_mesh(self, mesh: str, netcdf: str, context) -> None:
        """Load the pixel mesh of the NetCDF as a temporal mesh layer when the run completes (styled in the
        main thread). Not the NetCDF's own grid: MDAL puts its values on the pixel centres and leaves the
        pixels along every outline blank (see ``core/itslive/io/pixel_mesh.py``)."""
        layer = QgsMeshLayer(mesh, f"ITS_LIVE velocity ({Path(netcdf).stem})", "mdal")
        if not layer.isValid():
            raise QgsProcessingException(f"{mesh}: written but MDAL cannot open it as a mesh")
        context.temporaryLayerStore().addMapLayer(layer)
        details = QgsProcessingContext.LayerDetails(layer.name(), context.project(), self.OUTPUT)
        details.setPostProcessor(MeshStyler.create(netcdf))
        context.addLayerToLoadOnCompletion(layer.id(), details)


def run_worker(config, feedback) -> dict:
    """Run the core pipeline in a worker process (see ``worker.py``: QGIS's GEOS/HDF5/PROJ clash with
    the wheels' copies). Cancelling sends SIGTERM: the worker stops between blocks, keeps its
    checkpoint and writes nothing."""
    from .worker import run_task

    return run_task("itslive_invert", {"config": config}, feedback)
