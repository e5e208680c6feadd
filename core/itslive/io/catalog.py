"""ITS_LIVE datacube catalog: load it (URL or file, cached on disk) and find the cubes an AOI touches.

The catalog is a GeoJSON FeatureCollection, one feature per 100 km cube, with a lon/lat ``geometry``
and the exact footprint ``geometry_epsg`` in the cube's own CRS (``epsg``). Membership is tested
against ``geometry_epsg`` in that CRS: the lon/lat polygon only joins the four corners with straight
lon/lat edges, so a point can be inside it and outside the cube (and the other way round).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import urllib.request
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape

from ...errors import InputError, ParameterError
from ...io import atomic_output
from ...progress import Progress, ensure_progress
from ..selection import DEFAULT_CATALOG_URL

#: a cached copy younger than this is used without asking the network
CACHE_MAX_AGE_DAYS = 30
REQUIRED_PROPERTIES = ("zarr_url", "epsg", "geometry_epsg")
#: densify footprints/AOIs before reprojecting so that straight edges stay straight enough (metres / degrees)
_SEGMENT_M = 1000.0
_SEGMENT_DEG = 0.01


def default_cache_dir() -> Path:
    """``$SURFACE_MOTION_CACHE`` or ``~/.cache/surface_motion``, subfolder ``itslive``."""
    root = os.environ.get("SURFACE_MOTION_CACHE") or Path.home() / ".cache" / "surface_motion"
    return Path(root) / "itslive"


def _is_url(source: str | Path) -> bool:
    return str(source).split("://", 1)[0] in ("http", "https")


def cache_path(url: str, cache_dir: Path | None = None) -> Path:
    """Where the copy of ``url`` is kept: ``<cache_dir>/<hash>-<file name>``."""
    digest = hashlib.sha1(url.encode()).hexdigest()[:10]
    return (cache_dir or default_cache_dir()) / f"{digest}-{url.rstrip('/').rsplit('/', 1)[-1]}"


def _download(url: str, target: Path, timeout: float = 60.0) -> None:
    with atomic_output(target) as tmp, urllib.request.urlopen(url, timeout=timeout) as response:
        tmp.write_bytes(response.read())


def fetch_catalog(url: str, cache_dir: Path | None = None, progress: Progress | None = None) -> Path:
    """Local path of the catalog at ``url``: a fresh cached copy, a new download, or (offline) a stale copy.

    Raises :class:`InputError` naming the URL and the cache path when there is neither network nor cache.
    """
    progress = ensure_progress(progress)
    cached = cache_path(url, cache_dir)
    if cached.exists() and time.time() - cached.stat().st_mtime < CACHE_MAX_AGE_DAYS * 86400:
        progress.info(f"ITS_LIVE catalog: using the cached copy {cached}")
        return cached
    progress.info(f"ITS_LIVE catalog: downloading {url}")
    try:
        _download(url, cached)
    except OSError as exc:  # URLError, timeouts and HTTP errors are OSErrors
        if cached.exists():
            age = (time.time() - cached.stat().st_mtime) / 86400
            progress.warn(
                f"ITS_LIVE catalog: cannot download {url} ({exc}); offline, using the cached copy "
                f"{cached} ({age:.0f} days old)"
            )
            return cached
        raise InputError(
            url,
            f"cannot download the catalog ({exc}) and there is no cached copy at {cached}; "
            "download it by hand when online and give the file as CATALOG",
        ) from exc
    return cached


def parse_catalog(path: str | Path) -> gpd.GeoDataFrame:
    """Read a catalog file into a GeoDataFrame (EPSG:4326 geometry) with columns
    ``zarr_url, epsg, region, rgi_code, roi_percent_coverage, datacube_exist, footprint_epsg``
    (``footprint_epsg``: shapely polygon in the cube CRS, metres)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "catalog file not found")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(path, f"not a GeoJSON catalog: the file is not valid JSON ({exc})") from exc
    if (
        not isinstance(data, dict)
        or data.get("type") != "FeatureCollection"
        or not isinstance(data.get("features"), list)
    ):
        raise InputError(path, "not a GeoJSON catalog: expected a FeatureCollection with 'features'")
    features = data["features"]
    if not features:
        raise InputError(path, "the catalog has no features")
    props = [f.get("properties") or {} for f in features]
    for name in REQUIRED_PROPERTIES:
        missing = sum(name not in p for p in props)
        if missing:
            raise InputError(
                path,
                f"{missing} of {len(props)} features lack this property (not an ITS_LIVE datacube catalog)",
                column=name,
            )
    try:
        geometry = [shape(f["geometry"]) for f in features]
        footprint = [shape(p["geometry_epsg"]) for p in props]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(path, f"invalid feature geometry ({exc})", column="geometry_epsg") from exc
    table = pd.DataFrame(
        {
            "zarr_url": [str(p["zarr_url"]) for p in props],
            "epsg": [int(p["epsg"]) for p in props],
            "region": [str(p.get("FULL_NAME") or "") for p in props],
            "rgi_code": [int(p["RGI_CODE"]) if p.get("RGI_CODE") is not None else -1 for p in props],
            "roi_percent_coverage": [float(p.get("roi_percent_coverage") or np.nan) for p in props],
            "datacube_exist": [int(p.get("datacube_exist", 1)) for p in props],
            "footprint_epsg": footprint,
        }
    )
    return gpd.GeoDataFrame(table, geometry=geometry, crs="EPSG:4326")


def load_catalog(
    source: str | Path = DEFAULT_CATALOG_URL, cache_dir: Path | None = None, progress: Progress | None = None
) -> gpd.GeoDataFrame:
    """The ITS_LIVE catalog from a URL (downloaded once, cached on disk) or a local file.

    See :func:`parse_catalog` for the columns and :func:`fetch_catalog` for the offline behaviour.
    """
    source = str(source).strip() if source is not None else ""
    if not source:
        source = DEFAULT_CATALOG_URL
    path = fetch_catalog(source, cache_dir, progress) if _is_url(source) else Path(source)
    return parse_catalog(path)


def _densified(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    step = _SEGMENT_DEG if geoms.crs is not None and geoms.crs.is_geographic else _SEGMENT_M
    return geoms.segmentize(step)


def aoi_union_in(aoi: gpd.GeoDataFrame | gpd.GeoSeries, epsg: int) -> shapely.Geometry | None:
    """The union of the AOI geometries in ``EPSG:epsg``; ``None`` when the AOI does not project there
    (non-finite coordinates: too far from a UTM zone)."""
    geoms = aoi.geometry if isinstance(aoi, gpd.GeoDataFrame) else aoi
    projected = _densified(geoms).to_crs(epsg)
    coords = shapely.get_coordinates(projected.values)
    if len(coords) == 0 or not np.isfinite(coords).all():
        return None
    return shapely.union_all(projected.values)


def _check_aoi(aoi: gpd.GeoDataFrame) -> gpd.GeoSeries:
    if aoi.crs is None:
        raise ParameterError("AOI", "the layer has no CRS")
    geoms = aoi.geometry[aoi.geometry.notna() & ~aoi.geometry.is_empty]
    if geoms.empty:
        raise ParameterError("AOI", "the layer has no features with a geometry")
    return geoms


def find_cubes(catalog: gpd.GeoDataFrame, aoi: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The cubes whose footprint (``geometry_epsg``, tested in the cube's own CRS) intersects the AOI.

    ``aoi``: any geometries in any CRS. Returns one row per cube with ``zarr_url, epsg, region,
    rgi_code, roi_percent_coverage, x_min, y_min, x_max, y_max`` (footprint bounds in the cube CRS, m)
    and the footprint polygon as geometry, reprojected into the AOI's CRS. Empty when none intersects.
    """
    geoms = _check_aoi(aoi)
    existing = catalog[catalog["datacube_exist"] != 0]
    hits = []
    for epsg, group in existing.groupby("epsg", sort=True):
        target = aoi_union_in(geoms, int(epsg))
        if target is None:
            continue
        mask = shapely.intersects(np.asarray(group["footprint_epsg"].values), target)
        if mask.any():
            hits.append(group[mask])
    if not hits:
        columns = [
            "zarr_url",
            "epsg",
            "region",
            "rgi_code",
            "roi_percent_coverage",
            "x_min",
            "y_min",
            "x_max",
            "y_max",
        ]
        return gpd.GeoDataFrame(pd.DataFrame(columns=columns), geometry=gpd.GeoSeries([], crs=aoi.crs))
    found = pd.concat(hits).sort_values("zarr_url").reset_index(drop=True)
    bounds = shapely.bounds(np.asarray(found["footprint_epsg"].values))
    footprints = []
    for epsg, poly in zip(found["epsg"], found["footprint_epsg"], strict=True):
        series = gpd.GeoSeries([poly], crs=int(epsg)).segmentize(_SEGMENT_M).to_crs(aoi.crs)
        footprints.append(series.iloc[0])
    out = found[["zarr_url", "epsg", "region", "rgi_code", "roi_percent_coverage"]].copy()
    out[["x_min", "y_min", "x_max", "y_max"]] = bounds
    return gpd.GeoDataFrame(out, geometry=footprints, crs=aoi.crs)


def cubes_under(
    layer: gpd.GeoDataFrame,
    catalog: str | Path | None,
    key: str,
    what: str,
    progress: Progress | None = None,
) -> gpd.GeoDataFrame:
    """The cubes of ``catalog`` (URL or file; None: the official one) under ``layer``, as :func:`find_cubes`
    gives them. Raises :class:`InputError` naming the parameter ``key`` when none is: ``what`` names the
    layer's features in that message (e.g. "the glaciers")."""
    progress = ensure_progress(progress)
    source = str(catalog or "").strip() or DEFAULT_CATALOG_URL
    progress.report(0.0, "Loading the ITS_LIVE catalog")
    table = load_catalog(source, progress=progress)
    progress.check()
    progress.report(0.5, "Testing cube footprints")
    found = find_cubes(table, layer)
    if found.empty:
        raise InputError(
            key, f"no ITS_LIVE cube of the catalog {source} covers {what}; check the layer's CRS"
        )
    return found


def write_local_catalog(
    path: str | Path, cubes: list[tuple[str, int, np.ndarray, np.ndarray]], region: str = "local"
) -> Path:
    """Write a catalog (same schema as the official one) for cubes of your own, e.g. local copies or
    generated cubes: ``cubes`` = [(zarr_url or folder, epsg, x pixel centres, y pixel centres)]."""
    from pyproj import Transformer

    features = []
    for url, epsg, x, y in cubes:
        half = abs(float(x[1] - x[0])) / 2 if len(x) > 1 else 60.0
        x0, x1, y0, y1 = min(x) - half, max(x) + half, min(y) - half, max(y) + half
        ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
        to_lonlat = Transformer.from_crs(int(epsg), 4326, always_xy=True)
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "zarr_url": str(url),
                    "epsg": int(epsg),
                    "datacube_exist": 1,
                    "FULL_NAME": region,
                    "RGI_CODE": -1,
                    "geometry_epsg": {"type": "Polygon", "coordinates": [ring]},
                },
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[list(to_lonlat.transform(*p)) for p in ring]],
                },
            }
        )
    path = Path(path)
    with atomic_output(path) as tmp:
        tmp.write_text(
            json.dumps({"type": "FeatureCollection", "name": "local_catalog", "features": features})
        )
    return path
