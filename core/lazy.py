"""Lazy public names for the stage packages (``itslive.io``, ``itslive.inversion``, ``itslive.analysis``,
``synthetic``): a package lists its names and the module that defines each, and imports that module
on first use. The Processing algorithms import the numpy-free config modules of these packages inside
QGIS, which runs the package's ``__init__``; eager imports there would load numpy, shapely or zarr
into QGIS (whose own GEOS/PROJ/HDF5 clash with the wheels') or fail where they are not installed.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(
    package: str, modules: dict[str, tuple[str, ...]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """(``__getattr__``, ``__dir__``, ``__all__``) for ``package`` whose modules (relative names) define
    the listed public names."""
    where = {name: module for module, names in modules.items() for name in names}
    public = sorted(where)

    def getattr_(name: str) -> Any:  # whatever the named module defines
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f".{where[name]}", package), name)

    def dir_() -> list[str]:
        return sorted({*public, *(m.split(".")[0] for m in modules)})

    return getattr_, dir_, public
