"""``core/itslive/config.py``: what ItsliveInvertConfig accepts, normalises, refuses and records."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
from surface_motion.core.errors import ParameterError
from surface_motion.core.itslive.config import ItsliveInvertConfig
from surface_motion.core.itslive.inversion import InversionConfig

INVERSION = {f.name for f in fields(InversionConfig)}


def make(**kw) -> ItsliveInvertConfig:
    """The config from flat keywords: those of InversionConfig go to its nested ``inversion``."""
    inversion = InversionConfig(**{k: kw.pop(k) for k in list(kw) if k in INVERSION})
    return ItsliveInvertConfig(**{"glaciers": "rgi.gpkg", "output": "out/v.nc", **kw}, inversion=inversion)


def test_values_from_text_fields_are_normalised():
    config = make(
        cubes=[" s3://a.zarr ", "", "  "],
        missions="S1, landsat-8",
        start=dt.datetime(2018, 1, 1, 12),
        end="20210101",
        lam=" ",
        device="CPU",
        scheduler="  ",
        geotiff="",
    )
    assert config.cubes == ["s3://a.zarr"] and config.missions == ("Sentinel-1", "Landsat 8")
    assert (config.start, config.end) == ("2018-01-01", "2021-01-01")
    assert config.inversion.lam is None and config.inversion.device == "cpu" and config.scheduler is None
    assert config.geotiff is None and config.output == Path("out/v.nc")
    assert (
        make(start=np.datetime64("2019-06-30")).start == "2019-06-30"
        and make(lam="3e-4").inversion.lam == 3e-4
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"output": "v.tif"}, "OUTPUT: 'v.tif' must end in .nc"),
        ({"geotiff": "mean.png"}, "MEAN_VELOCITY: 'mean.png' must end in .tif"),
        ({"start": "2021-01-01", "end": "2020-01-01"}, "START_DATE: start 2021-01-01 is not before end"),
        (
            {"start": "2020-01-01", "end": "2020-02-01", "interval_days": 60},
            "INTERVAL_DAYS: 60 days is longer",
        ),
        ({"interval_days": 0}, "INTERVAL_DAYS: 0 is outside the allowed range"),
        ({"block_size": 0}, "BLOCK_SIZE: 0 is outside the allowed range"),
        ({"min_dt": 100, "max_dt": 10}, "MIN_DATE_DT: 100 days exceeds MAX_DATE_DT"),
        ({"device": "tpu"}, "DEVICE: must be one of auto, cpu, cuda"),
    ],
)
def test_bad_values_name_their_parameter(change, message):
    with pytest.raises(ParameterError, match=f"^{message}"):
        make(**change).validate()


def test_a_date_that_is_no_date_names_its_parameter():
    with pytest.raises(ParameterError, match=r"^END_DATE: 'soon' is not a date"):
        make(end="soon")


def test_provenance_holds_only_netcdf_attribute_types():
    config = make(robust=False, geotiff="x/mean.tif", missions=["S2"], storage_options={"anon": True})
    provenance = config.provenance()
    assert all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in provenance.values())
    assert provenance["parameter_robust"] == 0 and provenance["parameter_geotiff"] == "mean.tif"
    assert provenance["parameter_missions"] == "Sentinel-2" and provenance["parameter_lam"] == ""
    assert provenance["parameter_output"] == "v.nc"
    assert "parameter_glaciers" not in provenance and "parameter_storage_options" not in provenance
