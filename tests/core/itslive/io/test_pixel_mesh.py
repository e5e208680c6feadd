"""The pixel mesh of an inversion NetCDF: one face per glacier pixel, on the pixel corners, carrying v."""

from __future__ import annotations

import netCDF4
import numpy as np
from surface_motion.core.itslive.io.pixel_mesh import SOURCE_ATTRIBUTE, pixel_faces, write_pixel_mesh

from tests.core.itslive.analysis.test_centerline import X, Y, write_inversion


def test_faces_share_the_corners_of_neighbouring_pixels():
    glacier = np.array([[0, 1, 1], [0, 1, 0]])
    rows, cols, corners, faces = pixel_faces(glacier)
    assert list(zip(rows, cols, strict=True)) == [(0, 1), (0, 2), (1, 1)]
    assert len(corners) == 8  # a 2×2 block of corners per pixel, the shared ones once
    for (row, col), face in zip(zip(rows, cols, strict=True), faces, strict=True):
        # counter-clockwise on the map (rows run south): lower-left, lower-right, upper-right, upper-left
        assert [tuple(corners[i]) for i in face] == [
            (row + 1, col),
            (row + 1, col + 1),
            (row, col + 1),
            (row, col),
        ]


def test_pixel_mesh_carries_v_of_each_glacier_pixel(tmp_path):
    nc = write_inversion(tmp_path / "velocity.nc")
    glacier = np.zeros((len(Y), len(X)), dtype=np.int32)
    glacier[3:9, 5:12] = 1
    with netCDF4.Dataset(nc, "a") as ds:
        ds["mapping"].spatial_ref = 'PROJCS["WGS 84 / NSIDC Sea Ice Polar Stereographic North"]'
        ds.createVariable("glacier_id", "i4", ("y", "x"))[:] = glacier
        v, times = ds["v"][:], ds["time"][:]
    result = write_pixel_mesh(nc)
    assert result == {"path": str(tmp_path / "velocity_pixels.nc"), "faces": 42}
    with netCDF4.Dataset(result["path"]) as mesh:
        assert mesh.getncattr(SOURCE_ATTRIBUTE) == "velocity.nc"
        assert mesh["projected_coordinate_system"].EPSG_code == "EPSG:3413"
        x, y, faces = mesh["node_x"][:], mesh["node_y"][:], mesh["face_nodes"][:]
        # each face spans its pixel exactly: corners half a pixel (60 m) around the centre
        centre_x, centre_y = x[faces].mean(axis=1), y[faces].mean(axis=1)
        assert np.allclose(np.ptp(x[faces], axis=1), 120.0) and np.allclose(np.ptp(y[faces], axis=1), 120.0)
        rows, cols = np.nonzero(glacier)
        np.testing.assert_allclose(centre_x, X[cols])
        np.testing.assert_allclose(centre_y, Y[rows])
        np.testing.assert_allclose(mesh["v"][:], v[:, rows, cols])
        np.testing.assert_array_equal(mesh["time"][:], times)
