"""``core/geotiff.py``: the mean-velocity GeoTIFF, read back by tifffile and by GDAL as QGIS would."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
from surface_motion.core.geotiff import write_geotiff

IMAGE = np.array([[1.5, np.nan, 3.0], [4.0, 5.0, np.inf]])


def test_values_nodata_and_type(tmp_path):
    path = tmp_path / "mean.tif"
    write_geotiff(path, IMAGE, 1000.0, 5060.0, 120.0, 3413)
    with tifffile.TiffFile(path) as tif:
        page = tif.pages[0]
        data = page.asarray()
        assert data.dtype == np.float32 and page.tags["GDAL_NODATA"].value == "-9999"
        assert page.tags["ModelPixelScaleTag"].value == (120.0, 120.0, 0.0)
        assert page.tags["ModelTiepointTag"].value == (0.0, 0.0, 0.0, 1000.0, 5060.0, 0.0)
        assert page.geotiff_tags["ProjectedCSTypeGeoKey"] == 3413
    np.testing.assert_array_equal(data, [[1.5, -9999.0, 3.0], [4.0, 5.0, -9999.0]])


def test_gdal_reads_the_georeferencing(tmp_path):
    gdal = pytest.importorskip("osgeo.gdal")
    osr = pytest.importorskip("osgeo.osr")
    path = tmp_path / "mean.tif"
    write_geotiff(path, IMAGE, 1000.0, 5060.0, 120.0, 32718, nodata=-1.0)
    ds = gdal.Open(str(path))
    try:
        assert ds.GetGeoTransform() == (1000.0, 120.0, 0.0, 5060.0, 0.0, -120.0)  # NW corner, north up
        srs = osr.SpatialReference(wkt=ds.GetProjection())
        srs.AutoIdentifyEPSG()
        assert srs.GetAuthorityCode(None) == "32718"
        band = ds.GetRasterBand(1)
        assert band.GetNoDataValue() == -1.0
        np.testing.assert_array_equal(band.ReadAsArray(), [[1.5, -1.0, 3.0], [4.0, 5.0, -1.0]])
    finally:
        ds = None
