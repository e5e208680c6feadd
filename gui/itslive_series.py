"""The velocity series of one pixel of an ITS_LIVE inversion NetCDF (``itslive_invert``), read with GDAL.

GDAL is QGIS's own: no netCDF4/HDF5 wheel is loaded into the QGIS process. Each variable is a
GDAL subdataset ``NETCDF:"file":v`` with one band per time bin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from osgeo import gdal
from qgis.core import QgsCoordinateTransform, QgsMeshLayer, QgsPointXY, QgsProject, QgsRasterLayer

from ..core.itslive.io.pixel_mesh import SOURCE_ATTRIBUTE

VARIABLES = ("v", "vx", "vy", "v_error", "vx_error", "vy_error", "count")
_EPOCH = np.datetime64("1970-01-01T00:00:00", "s")


@dataclass
class PixelSeries:
    """One pixel: bin centres, the variables (M,) m/yr, its grid position and the run's attributes."""

    path: str
    row: int
    col: int
    x: float
    y: float
    times: np.ndarray  # datetime64[s], bin centres
    interval_days: float
    values: dict[str, np.ndarray] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def cubes(self) -> list[str]:
        return self.attributes.get("cubes", "").split()

    @property
    def has_data(self) -> bool:
        return bool(np.isfinite(self.values["v"]).any())


def netcdf_path(layer) -> str | None:
    """The NetCDF file behind a mesh or raster layer (``NETCDF:"file":v`` or a plain path; for the pixel
    mesh ``itslive_invert`` loads, the inversion it was made from), or None."""
    if not isinstance(layer, (QgsMeshLayer, QgsRasterLayer)) or not layer.isValid():
        return None
    source = layer.source()
    m = re.match(r'^NETCDF:"?(.+?)"?:[A-Za-z_]\w*$', source)
    path = m[1] if m else source.split("|", 1)[0]
    if not (path.lower().endswith(".nc") and Path(path).is_file()):
        return None
    if isinstance(layer, QgsMeshLayer):
        with gdal.quiet_errors() if hasattr(gdal, "quiet_errors") else _Quiet():
            ds = gdal.Open(path)
        inversion = _attributes(ds).get(SOURCE_ATTRIBUTE) if ds is not None else None
        if inversion:
            return str(Path(path).with_name(inversion))
    return path


def is_inversion_layer(layer) -> bool:
    """A mesh/raster layer of a NetCDF written by ``itslive_invert`` (it has ``time_bnds`` and ``v``)."""
    path = netcdf_path(layer)
    return path is not None and _subdataset(path, "v") is not None


def _subdataset(path: str, variable: str):
    with gdal.quiet_errors() if hasattr(gdal, "quiet_errors") else _Quiet():
        return gdal.Open(f'NETCDF:"{path}":{variable}')


class _Quiet:
    """``gdal.quiet_errors`` for GDAL < 3.7."""

    def __enter__(self):
        gdal.PushErrorHandler("CPLQuietErrorHandler")

    def __exit__(self, *exc):
        gdal.PopErrorHandler()


def _times(ds) -> np.ndarray:
    raw = ds.GetMetadataItem("NETCDF_DIM_time_VALUES") or ""
    days = np.array([float(v) for v in raw.strip("{}").split(",") if v.strip()])
    return _EPOCH + np.round(days * 86400).astype("timedelta64[s]")


def _attributes(ds) -> dict[str, str]:
    return {k.split("#", 1)[1]: v for k, v in (ds.GetMetadata() or {}).items() if k.startswith("NC_GLOBAL#")}


def grid_cell(ds, x: float, y: float) -> tuple[int, int] | None:
    """(row, col) of the GDAL pixel containing (x, y), or None outside the grid."""
    gt = ds.GetGeoTransform()
    col = int(np.floor((x - gt[0]) / gt[1]))
    row = int(np.floor((y - gt[3]) / gt[5]))
    if 0 <= col < ds.RasterXSize and 0 <= row < ds.RasterYSize:
        return row, col
    return None


def pixel_series(path: str, x: float, y: float) -> PixelSeries | None:
    """The series of the pixel containing (x, y) (the file's CRS), or None outside the grid."""
    first = _subdataset(path, "v")
    if first is None:
        return None
    cell = grid_cell(first, x, y)
    if cell is None:
        return None
    row, col = cell
    gt = first.GetGeoTransform()
    attributes = _attributes(first)
    values = {}
    for name in VARIABLES:
        ds = first if name == "v" else _subdataset(path, name)
        if ds is None:
            continue
        data = ds.ReadAsArray(col, row, 1, 1).reshape(-1).astype(float)
        values[name] = data
    times = _times(first)
    interval = float(
        attributes.get("parameter_interval_days") or (np.diff(times).mean() / np.timedelta64(1, "D"))
    )
    return PixelSeries(
        path,
        row,
        col,
        gt[0] + (col + 0.5) * gt[1],
        gt[3] + (row + 0.5) * gt[5],
        times,
        interval,
        values,
        attributes,
    )


def layer_crs_point(layer, map_point: QgsPointXY, map_crs) -> QgsPointXY:
    """``map_point`` (map CRS) in the layer's CRS (the NetCDF's grid mapping)."""
    return QgsCoordinateTransform(map_crs, layer.crs(), QgsProject.instance()).transform(map_point)
