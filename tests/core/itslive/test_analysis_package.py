"""``core/itslive/analysis/__init__.py``: its public names resolve, and loading the package stays light."""

from __future__ import annotations

import pytest
from surface_motion.core.itslive import analysis

from tests.conftest import loaded_by


@pytest.mark.parametrize("name", analysis.__all__)
def test_every_public_name_resolves(name):
    assert getattr(analysis, name) is not None


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'regress'"):
        analysis.regress  # noqa: B018


def test_the_gp_settings_load_without_shapely_scipy_or_matplotlib():
    # the algorithms read analysis.gp_config inside QGIS, whose own GEOS clashes with shapely's
    statement = "from surface_motion.core.itslive.analysis.gp_config import GPConfig"
    assert loaded_by(statement, ("shapely", "scipy", "matplotlib", "geopandas")) == []
