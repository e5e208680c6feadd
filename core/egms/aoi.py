"""The EGMS area of interest: any geometry in any CRS, as a polygon in EPSG:3035 over Europe.

EGMS products cover Europe in EPSG:3035; an AOI elsewhere (often a layer whose CRS is declared wrong)
is refused with where it lies and what to check, before any input is read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..errors import ParameterError

if TYPE_CHECKING:
    import pyproj
    import shapely

#: EPSG:3035's area of use (lon/lat): an AOI outside it cannot hold EGMS data
EUROPE_LONLAT = (-35.58, 24.6, 44.83, 84.73)
EUROPE_3035 = (-146_473.0, 198_374.0, 7_824_929.0, 6_971_478.0)  # the same area in EPSG:3035 m


def aoi_in_3035(aoi: object, crs: str | None = None) -> shapely.MultiPolygon | None:
    """The AOI as a prepared shapely MultiPolygon in EPSG:3035 (None without one); raises ParameterError
    when it cannot be EGMS data (empty, no polygon, invalid CRS, far from Europe). ``aoi`` may be a
    shapely geometry, WKT, a GeoDataFrame/GeoSeries or a layer payload ``{"wkb", "crs"}`` (WKB bytes or
    hex, as the Processing algorithm passes it); ``crs`` is its CRS when it carries none (default
    EPSG:3035)."""
    if aoi is None:
        return None
    import geopandas as gpd
    import shapely
    from pyproj import CRS

    if isinstance(aoi, dict):  # layer payload
        crs = aoi.get("crs") or crs
        aoi = gpd.GeoSeries.from_wkb(aoi["wkb"])
    if hasattr(aoi, "geometry") and hasattr(aoi, "crs"):  # GeoDataFrame / GeoSeries
        crs = aoi.crs or crs
        aoi = aoi.geometry.union_all()
    if isinstance(aoi, str):
        try:
            aoi = shapely.from_wkt(aoi)
        except shapely.errors.GEOSException as exc:
            raise ParameterError("AOI", f"not a valid WKT geometry ({exc})") from exc
    if aoi is None or aoi.is_empty:
        raise ParameterError("AOI", "the area is empty; draw a polygon or leave AOI unset")
    try:
        src = CRS.from_user_input(crs or "EPSG:3035")
    except Exception as exc:  # pyproj raises CRSError
        raise ParameterError("AOI", f"unknown CRS {crs!r} ({exc})") from exc
    if src.to_epsg() == 3035:
        _check_europe_3035(aoi.bounds)
    else:
        _check_europe_lonlat(aoi.bounds, src)
        aoi = gpd.GeoSeries([aoi], crs=src).to_crs(3035).iloc[0]
    polygons = [p for p in shapely.get_parts(aoi) if p.geom_type == "Polygon" and not p.is_empty]
    if not polygons:
        raise ParameterError("AOI", "holds no polygon; give a polygon (layer)")
    area = shapely.MultiPolygon(polygons)
    shapely.prepare(area)
    return area


def _check_europe_3035(bounds: tuple[float, float, float, float]) -> None:
    x0, y0, x1, y1 = bounds
    ex0, ey0, ex1, ey1 = EUROPE_3035
    if x1 < ex0 or x0 > ex1 or y1 < ey0 or y0 > ey1:
        raise ParameterError(
            "AOI",
            f"lies at x {x0:.0f}…{x1:.0f}, y {y0:.0f}…{y1:.0f} m (EPSG:3035), outside the "
            "European area EGMS covers; check the layer's CRS or draw the area over Europe",
        )


def _check_europe_lonlat(bounds: tuple[float, float, float, float], src: pyproj.CRS) -> None:
    """ParameterError when ``bounds`` (in ``src``) cannot be transformed or lie outside :data:`EUROPE_LONLAT`."""
    from pyproj import Transformer

    try:
        to_lonlat = Transformer.from_crs(src, "EPSG:4326", always_xy=True)
    except Exception as exc:  # pyproj raises ProjError for an undefined/local CRS
        raise ParameterError(
            "AOI",
            f"its CRS ({src.name}) cannot be transformed to EPSG:3035 ({exc}); set the layer's real CRS",
        ) from exc
    lon0, lat0, lon1, lat1 = to_lonlat.transform_bounds(*bounds)
    w, s, e, n = EUROPE_LONLAT
    if not np.all(np.isfinite([lon0, lat0, lon1, lat1])) or lon1 < w or lon0 > e or lat1 < s or lat0 > n:
        raise ParameterError(
            "AOI",
            f"lies at lon {lon0:.1f}…{lon1:.1f}, lat {lat0:.1f}…{lat1:.1f}, outside the "
            "European area EGMS covers; check the layer's CRS (coordinates in metres "
            "declared as degrees?) or draw the area over Europe",
        )
