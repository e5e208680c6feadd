"""Vector layers in the core: read from a file (the CLI) or rebuilt from the payload the algorithms send.

Inside QGIS the algorithms never hand a layer to shapely or geopandas (QGIS's own GEOS and PROJ would
clash with the wheels' copies): ``algorithms/worker.py`` sends each layer as a payload of WKB geometries,
its CRS and the chosen attributes, which :func:`layer_from_payload` turns back into a GeoDataFrame in the
worker process.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputError

if TYPE_CHECKING:
    import geopandas as gpd


def is_layer_payload(value: object) -> bool:
    """Whether ``value`` is a layer payload: a dict with ``wkb`` and ``crs`` (see :func:`layer_from_payload`)."""
    return isinstance(value, dict) and {"wkb", "crs"} <= value.keys()


def layer_from_payload(payload: dict) -> gpd.GeoDataFrame:
    """A GeoDataFrame from ``{"wkb": [WKB bytes or hex], "crs": "EPSG:…" or WKT, "attributes": {name: list}}``
    (``attributes`` optional)."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    return gpd.GeoDataFrame(
        pd.DataFrame(payload.get("attributes") or {}, index=range(len(payload["wkb"]))),
        geometry=shapely.from_wkb(payload["wkb"]),
        crs=payload["crs"],
    )


def read_layer(path: str | Path, name: str) -> gpd.GeoDataFrame:
    """A vector file as a GeoDataFrame (errors name the file)."""
    import geopandas as gpd

    if not Path(path).exists():
        raise InputError(path, f"{name} file not found")
    try:
        return gpd.read_file(path)
    except Exception as exc:  # any reader failure is a bad input file
        raise InputError(path, f"cannot read the {name} layer ({exc})") from exc
