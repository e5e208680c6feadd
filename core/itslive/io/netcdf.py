"""CF-1.8 NetCDF of inverted velocity series (time, y, x), readable by QGIS as a temporal mesh (MDAL).

Deterministic by design: no wall-clock attribute, fixed chunking and compression, so a resumed
run writes the same bytes as an uninterrupted one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .mask import GlacierGrid

if TYPE_CHECKING:
    import netCDF4

TIME_UNITS = "days since 1970-01-01 00:00:00"
#: netCDF-C 4.9.0 (the one QGIS 3.22 reads with on Debian 12) looks for this attribute on every variable
#: (then for two others) and, when HDF5 error printing is on, prints a screenful for each one missing.
#: Present, the look-up stops at once; 7 significant digits is all a float32 holds (nothing is quantised).
QUANTIZE_PROBE = "_QuantizeBitGroomNumberOfSignificantDigits"
#: MDAL's HEC-RAS probe reads this root attribute of every HDF5 file (an HDF5 diagnostic when missing)
FILE_TYPE_PROBE = "File Type"
VELOCITY_VARIABLES = {
    "vx": ("velocity in x direction", "m/yr"),
    "vy": ("velocity in y direction", "m/yr"),
    # MDAL lists a file's groups sorted by long_name and QGIS shows the first: the capital puts v first
    "v": ("Velocity magnitude", "m/yr"),
    "vx_error": ("formal 1-sigma error of vx", "m/yr"),
    "vy_error": ("formal 1-sigma error of vy", "m/yr"),
    "v_error": ("formal 1-sigma error of v (propagated from vx_error, vy_error)", "m/yr"),
}


MASKING_NOTE = (
    "Values are NaN (count 0) in bins outside the span of the pixel's used image pairs (never "
    "extrapolated) and in bins whose formal error exceeds max_error_ratio times the pixel's median "
    "formal error; pixels with fewer than min_observations valid pairs are NaN."
)


def speed_and_error(
    vx: np.ndarray, vy: np.ndarray, vx_error: np.ndarray, vy_error: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """v = |(vx, vy)| and its first-order error sqrt((vx σx)² + (vy σy)²) / v (NaN where v = 0)."""
    v = np.hypot(vx, vy)
    with np.errstate(divide="ignore", invalid="ignore"):
        err = np.sqrt((vx * vx_error) ** 2 + (vy * vy_error) ** 2) / v
    return v.astype(np.float32), np.where(v > 0, err, np.nan).astype(np.float32)


def _grid_mapping_attrs(epsg: int, grid: GlacierGrid) -> dict:
    from pyproj import CRS

    crs = CRS.from_epsg(epsg)
    attrs = {k: v for k, v in crs.to_cf().items() if isinstance(v, (str, int, float))}
    res = (
        float(grid.x[1] - grid.x[0])
        if len(grid.x) > 1
        else float(grid.y[0] - grid.y[1])
        if len(grid.y) > 1
        else 0.0
    )
    x0, y0 = grid.x[0] - res / 2, grid.y[0] + res / 2
    attrs.update(
        {
            "spatial_ref": crs.to_wkt(version="WKT1_GDAL"),
            "spatial_epsg": int(epsg),
            "GeoTransform": f"{x0!r} {res!r} 0 {y0!r} 0 {-res!r}",
        }
    )
    return attrs


def write_netcdf(
    path: str | Path,
    grid: GlacierGrid,
    edges: np.ndarray,
    read_slab: Callable[[int, int], dict[str, np.ndarray]],
    attrs: dict,
    slab_bins: int = 32,
) -> np.ndarray:
    """Write the series to ``path`` (a temporary name: the caller renames it when complete), slab by
    slab of ``slab_bins`` bins, so memory stays at one slab whatever the length of the series.

    ``edges``: (M+1,) float days since 1970-01-01; ``read_slab(t0, t1)`` gives bins t0:t1 of vx, vy,
    vx_error, vy_error (t1 − t0, ny, nx) float32 m/yr and count (…) int32; ``attrs``: global
    provenance attributes. Returns the time-mean speed (ny, nx) m/yr (NaN where no bin has one).
    """
    import netCDF4

    edges = np.asarray(edges, float)
    m, (ny, nx) = edges.size - 1, grid.glacier_id.shape
    with netCDF4.Dataset(path, "w", format="NETCDF4") as ds:
        ds.createDimension("time", m)
        ds.createDimension("nv", 2)
        ds.createDimension("y", ny)
        ds.createDimension("x", nx)
        t = ds.createVariable("time", "f8", ("time",))
        t[:] = (edges[:-1] + edges[1:]) / 2
        t.setncatts(
            {
                "standard_name": "time",
                "long_name": "centre of the inversion bin",
                "units": TIME_UNITS,
                "calendar": "standard",
                "axis": "T",
                "bounds": "time_bnds",
            }
        )
        tb = ds.createVariable("time_bnds", "f8", ("time", "nv"))
        tb[:] = np.stack([edges[:-1], edges[1:]], axis=1)
        tb.setncatts({"units": TIME_UNITS, "calendar": "standard"})
        for name, values, std in (
            ("y", grid.y, "projection_y_coordinate"),
            ("x", grid.x, "projection_x_coordinate"),
        ):
            var = ds.createVariable(name, "f8", (name,))
            var[:] = values
            var.setncatts(
                {
                    "standard_name": std,
                    "long_name": f"{name} of the pixel centre",
                    "units": "m",
                    "axis": name.upper(),
                }
            )
        mapping = ds.createVariable("mapping", "i4")
        mapping.setncatts(_grid_mapping_attrs(grid.epsg, grid))
        chunks = (1, ny, nx)
        for name, (long_name, units) in VELOCITY_VARIABLES.items():
            var = ds.createVariable(
                name,
                "f4",
                ("time", "y", "x"),
                zlib=True,
                complevel=4,
                shuffle=True,
                chunksizes=chunks,
                fill_value=np.float32(np.nan),
            )
            var.setncatts(
                {
                    "long_name": long_name,
                    "units": units,
                    "grid_mapping": "mapping",
                    "coordinates": "time y x",
                    "comment": MASKING_NOTE,
                }
            )
            if name == "v":
                var.setncattr("standard_name", "land_ice_surface_velocity")
        count = ds.createVariable(
            "count", "i4", ("time", "y", "x"), zlib=True, complevel=4, shuffle=True, chunksizes=chunks
        )
        count.setncatts(
            {
                "long_name": "number of used image pairs overlapping the bin (0: bin left empty)",
                "units": "1",
                "grid_mapping": "mapping",
                "comment": MASKING_NOTE,
            }
        )
        speed_sum, speed_n = np.zeros((ny, nx)), np.zeros((ny, nx), np.int64)
        for t0 in range(0, m, max(int(slab_bins), 1)):
            t1 = min(t0 + max(int(slab_bins), 1), m)
            arrays = read_slab(t0, t1)
            v, v_error = speed_and_error(arrays["vx"], arrays["vy"], arrays["vx_error"], arrays["vy_error"])
            for name, values in {**arrays, "v": v, "v_error": v_error}.items():
                ds[name][t0:t1] = values
            finite = np.isfinite(v)
            speed_sum += np.where(finite, v, 0.0).sum(0)
            speed_n += finite.sum(0)
        gid = ds.createVariable("glacier_id", "i4", ("y", "x"), zlib=True, fill_value=np.int32(0))
        gid.setncatts(
            {
                "long_name": "glacier of the pixel (index into the glacier_* variables, 0 = none)",
                "grid_mapping": "mapping",
            }
        )
        gid[:] = grid.glacier_id
        _write_glacier_table(ds, grid)
        ds.setncatts(
            {
                k: (v if isinstance(v, (int, float, np.integer, np.floating)) else str(v))
                for k, v in attrs.items()
            }
        )
        _answer_reader_probes(ds)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(speed_n > 0, speed_sum / speed_n, np.nan).astype(np.float32)


def _answer_reader_probes(ds: netCDF4.Dataset) -> None:
    """The attributes QGIS's readers probe for (see :data:`QUANTIZE_PROBE`, :data:`FILE_TYPE_PROBE`), so that
    opening the file logs no HDF5 diagnostics."""
    for var in ds.variables.values():
        var.setncattr(QUANTIZE_PROBE, np.int32(7))
    ds.setncattr(FILE_TYPE_PROBE, "CF-1.8 NetCDF-4: glacier velocity time series (Surface Motion)")


def _write_glacier_table(ds: netCDF4.Dataset, grid: GlacierGrid) -> None:
    """The outlines' attributes (RGI ids, names, areas …) along a ``glacier`` dimension."""
    table = grid.glaciers.drop(columns="geometry")
    ds.createDimension("glacier", len(table))
    for column in table.columns:
        values = table[column].to_numpy()
        safe = re.sub(r"[^A-Za-z0-9_]", "_", str(column))
        name = "glacier_id_value" if column == "glacier_id" else f"glacier_{safe}"
        if np.issubdtype(values.dtype, np.integer):
            var = ds.createVariable(name, "i8", ("glacier",))
        elif np.issubdtype(values.dtype, np.floating):
            var = ds.createVariable(name, "f8", ("glacier",))
        else:
            var = ds.createVariable(name, str, ("glacier",))
            values = np.array(["" if x is None else str(x) for x in values], dtype=object)
        var[:] = values
        var.setncattr("long_name", f"glacier attribute '{column}'")
