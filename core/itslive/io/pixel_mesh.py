"""The glacier pixels of an inversion NetCDF as a UGRID mesh (one face per pixel), for display.

MDAL opens the CF grid of the inversion NetCDF with its values on the vertices, which are the pixel
centres: a mesh face spans four pixel centres and stays blank as soon as one of them is empty, so a
one-pixel ragged band along every glacier outline is never drawn. In this companion file every
glacier pixel is a face of its own (its four corners are the vertices) and ``v`` lies on the faces,
so QGIS 3.22 draws the glacier to its edge, time-aware like the grid. Only ``v`` is copied: the
inspector and the other tools read the inversion NetCDF itself.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...io import atomic_output
from ...progress import Progress, ensure_progress

SUFFIX = "_pixels.nc"
#: global attribute naming the inversion NetCDF the mesh was made from (its file name, same folder)
SOURCE_ATTRIBUTE = "pixel_mesh_of"


def pixel_mesh_path(netcdf: str | Path) -> Path:
    """Where the pixel mesh of an inversion NetCDF goes: ``<stem>_pixels.nc`` beside it."""
    netcdf = Path(netcdf)
    return netcdf.with_name(netcdf.stem + SUFFIX)


def pixel_faces(glacier_id: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The glacier pixels (``glacier_id`` > 0) as faces of the grid of pixel corners.

    Returns (pixel rows, pixel columns, corner (row, col) of each vertex as a (n_vertices, 2) array, and
    the (n_faces, 4) vertex indices of each face, counter-clockwise on the map with y pointing north)."""
    rows, cols = np.nonzero(glacier_id > 0)
    used = np.zeros((glacier_id.shape[0] + 1, glacier_id.shape[1] + 1), dtype=bool)
    for dr in (0, 1):
        for dc in (0, 1):
            used[rows + dr, cols + dc] = True
    index = np.full(used.shape, -1)
    index[used] = np.arange(int(used.sum()))
    faces = np.stack(
        [index[rows + 1, cols], index[rows + 1, cols + 1], index[rows, cols + 1], index[rows, cols]], axis=1
    )
    return rows, cols, np.argwhere(used), faces


def write_pixel_mesh(netcdf: str | Path, progress: Progress | None = None) -> dict:
    """Write :func:`pixel_mesh_path` of ``netcdf`` (atomically); returns ``{"path", "faces"}``."""
    import netCDF4

    from .netcdf import FILE_TYPE_PROBE, QUANTIZE_PROBE, VELOCITY_VARIABLES  # imports shapely: not in QGIS

    progress = ensure_progress(progress)
    out = pixel_mesh_path(netcdf)
    with netCDF4.Dataset(str(netcdf)) as src:
        x, y = np.asarray(src["x"][:], float), np.asarray(src["y"][:], float)
        rows, cols, corners, faces = pixel_faces(np.ma.filled(src["glacier_id"][:], 0))
        # pixel corners: half a step before the first centre, then one step each (y runs north to south)
        step_x = x[1] - x[0] if len(x) > 1 else float(src["mapping"].GeoTransform.split()[1])
        step_y = y[1] - y[0] if len(y) > 1 else -step_x
        corner_x = x[0] - step_x / 2 + step_x * corners[:, 1]
        corner_y = y[0] - step_y / 2 + step_y * corners[:, 0]
        with atomic_output(out) as tmp, netCDF4.Dataset(tmp, "w", format="NETCDF4") as ds:
            ds.createDimension("node", len(corners))
            ds.createDimension("face", len(faces))
            ds.createDimension("max_face_nodes", 4)
            ds.createDimension("time", len(src["time"]))
            mesh = ds.createVariable("mesh", "i4")
            mesh.setncatts(
                {
                    "cf_role": "mesh_topology",
                    "topology_dimension": np.int32(2),
                    "node_coordinates": "node_x node_y",
                    "face_node_connectivity": "face_nodes",
                    "long_name": "glacier pixels as faces",
                }
            )
            for name, values, axis in (("node_x", corner_x, "x"), ("node_y", corner_y, "y")):
                var = ds.createVariable(name, "f8", ("node",))
                var[:] = values
                var.setncatts(
                    {
                        "standard_name": f"projection_{axis}_coordinate",
                        "units": "m",
                        "long_name": f"{axis} of the pixel corner",
                    }
                )
            face_nodes = ds.createVariable("face_nodes", "i4", ("face", "max_face_nodes"))
            face_nodes.setncatts({"cf_role": "face_node_connectivity", "start_index": np.int32(0)})
            face_nodes[:] = faces
            time = ds.createVariable("time", "f8", ("time",))
            time[:] = src["time"][:]
            time.setncatts(
                {
                    k: src["time"].getncattr(k)
                    for k in ("standard_name", "units", "calendar")
                    if k in src["time"].ncattrs()
                }
            )
            long_name, units = VELOCITY_VARIABLES["v"]
            v = ds.createVariable(
                "v",
                "f4",
                ("time", "face"),
                zlib=True,
                complevel=4,
                shuffle=True,
                fill_value=np.float32(np.nan),
            )
            v.setncatts({"long_name": long_name, "units": units, "mesh": "mesh", "location": "face"})
            for k in range(len(src["time"])):
                progress.check()
                v[k, :] = np.ma.filled(src["v"][k][rows, cols], np.nan)
                progress.report((k + 1) / len(src["time"]), "Writing the pixel mesh")
            crs = ds.createVariable("projected_coordinate_system", "i4")  # where MDAL's UGRID reader looks
            crs.setncatts(
                {"EPSG_code": f"EPSG:{int(src['mapping'].spatial_epsg)}", "wkt": src["mapping"].spatial_ref}
            )
            ds.setncatts(
                {
                    "Conventions": "CF-1.8 UGRID-1.0",
                    SOURCE_ATTRIBUTE: Path(netcdf).name,
                    FILE_TYPE_PROBE: "UGRID-1.0 pixel mesh",
                }
            )
            for var in ds.variables.values():  # no HDF5 diagnostics when QGIS's netCDF-C probes them
                var.setncattr(QUANTIZE_PROBE, np.int32(7))
    return {"path": str(out), "faces": len(faces)}
