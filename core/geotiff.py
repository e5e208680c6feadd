"""Single-band Float32 GeoTIFF in any EPSG projected CRS, written with tifffile.

tifffile rather than GDAL so that no second GDAL gets loaded into QGIS's process.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_geotiff(
    path: str | Path,
    image: np.ndarray,
    x_min: float,
    y_max: float,
    resolution: float,
    epsg: int,
    nodata: float = -9999.0,
) -> None:
    """Write ``image`` (rows north → south) with its NW corner at (``x_min``, ``y_max``) metres,
    square pixels of ``resolution`` m, CRS ``EPSG:epsg`` (projected), NaN written as ``nodata``."""
    import tifffile

    data = np.where(np.isfinite(image), image, nodata).astype(np.float32)
    # GeoKeyDirectory: version 1.1.0, 3 keys: model type projected, raster type PixelIsArea, EPSG code
    geokeys = (1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, int(epsg))
    extratags = [
        (33550, "d", 3, (float(resolution), float(resolution), 0.0), True),
        (33922, "d", 6, (0.0, 0.0, 0.0, float(x_min), float(y_max), 0.0), True),
        (34735, "H", len(geokeys), geokeys, True),
        (42113, "s", 0, f"{nodata:g}", True),
    ]
    tifffile.imwrite(
        path, data, photometric="minisblack", compression="zlib", extratags=extratags, metadata=None
    )
