"""The stage packages' lazy public names (core/lazy.py): each resolves, and importing a package's
numpy-free config module (as the algorithms do inside QGIS) loads none of the heavy packages."""

from __future__ import annotations

import importlib

import pytest

from tests.conftest import loaded_by

PACKAGES = ("itslive.io", "itslive.inversion", "itslive.analysis", "synthetic")
HEAVY = ("numpy", "scipy", "shapely", "geopandas", "matplotlib", "zarr", "pandas")


def _package(name: str):
    return importlib.import_module(f"surface_motion.core.{name}")


@pytest.mark.parametrize("package, name", [(p, n) for p in PACKAGES for n in _package(p).__all__])
def test_every_public_name_resolves(package, name):
    assert getattr(_package(package), name) is not None


@pytest.mark.parametrize("package", PACKAGES)
def test_an_unknown_name_is_an_attribute_error(package):
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        _package(package).no_such_name  # noqa: B018
    assert set(_package(package).__all__) <= set(dir(_package(package)))


@pytest.mark.parametrize("module", ["itslive.inversion.config", "itslive.analysis.config"])
def test_config_modules_load_no_heavy_package(module):
    statement = f"import surface_motion.core.{module}"
    assert loaded_by(statement, HEAVY) == []
