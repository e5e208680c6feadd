"""Optional-dependency checks, so that a missing package gives a precise message, not a traceback."""

from __future__ import annotations

import importlib.util

# import name -> pip requirement (what the user must install)
PIP_NAMES = {
    "numpy": "numpy<2",
    "pandas": "pandas",
    "pyarrow": "pyarrow",
    "geopandas": "geopandas",
    "pyogrio": "pyogrio",
    "shapely": "shapely",
    "pyproj": "pyproj",
    "scipy": "scipy",
    "xarray": "xarray",
    "zarr": "zarr",
    "s3fs": "s3fs",
    "fsspec": "fsspec",
    "dask": "dask[distributed]",
    "distributed": "dask[distributed]",
    "torch": "torch",
    "tifffile": "tifffile",
    "netCDF4": "netCDF4",
    "matplotlib": "matplotlib",
    "aiohttp": "aiohttp",
}


def _findable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a broken install or an import hook that refuses it
        return False


def missing_modules(modules: list[str] | tuple[str, ...]) -> list[str]:
    """Import names from ``modules`` that cannot be found (without importing them)."""
    return [m for m in modules if not _findable(m)]


def install_hint(modules: list[str] | tuple[str, ...]) -> str:
    """A sentence naming the missing packages and the command that installs them into QGIS's Python."""
    reqs = sorted({PIP_NAMES.get(m, m) for m in modules})
    quoted = " ".join(f'"{r}"' if any(c in r for c in "<>[") else r for r in reqs)
    return (
        f"Missing Python package(s): {', '.join(modules)}. Install them into the Python that QGIS uses, "
        f"e.g. from the OSGeo4W shell or a terminal: python3 -m pip install {quoted} "
        "(see the plugin README, section 'Installing')."
    )
