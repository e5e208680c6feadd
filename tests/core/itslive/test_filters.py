"""Layer filters: sensors, dates, time separation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from surface_motion.core.errors import ParameterError
from surface_motion.core.itslive.filters import filter_layers, parse_missions


def _layers() -> pd.DataFrame:
    img1 = pd.to_datetime(
        ["2019-01-01", "2019-02-01", "2019-03-01", "2019-06-01", "2020-01-01", "2019-05-01"]
    )
    dt = np.array([12, 5, 16, 400, 6, 10])
    return pd.DataFrame(
        {
            "layer": np.arange(6),
            "img1": img1,
            "img2": img1 + pd.to_timedelta(dt, "D"),
            "date_dt": dt.astype(float),
            "satellite_img1": ["1A", "2B", "8", "9", "1B", "8"],
            "satellite_img2": ["1B", "2A", "9", "9", "1A", "2A"],
        }
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Sentinel-1", ("Sentinel-1",)),
        ("s2", ("Sentinel-2",)),
        ("L8, landsat-9", ("Landsat 8", "Landsat 9")),
        ("Landsat", tuple(f"Landsat {n}" for n in range(4, 10))),
        ("L4-L9", tuple(f"Landsat {n}" for n in range(4, 10))),
        ("", ()),
    ],
)
def test_parse_missions(text, expected):
    assert parse_missions(text) == expected


def test_unknown_mission_names_the_parameter():
    with pytest.raises(ParameterError, match="MISSIONS: unknown mission 'MODIS'"):
        parse_missions(["MODIS"])


def test_filter_by_sensor_requires_both_images():
    layers = _layers()
    assert filter_layers(layers, missions=["Landsat"])["layer"].tolist() == [2, 3]  # 5 mixes L8 and S2
    assert filter_layers(layers, missions="S1")["layer"].tolist() == [0, 4]


def test_filter_keeps_pairs_inside_the_period_and_dt_range():
    layers = _layers()
    got = filter_layers(layers, start="2019-01-15", end="2019-12-31", min_dt=6, max_dt=100)
    assert got["layer"].tolist() == [2, 5]


def test_start_after_end_is_an_error():
    with pytest.raises(ParameterError, match="START_DATE"):
        filter_layers(_layers(), start="2020-01-01", end="2019-01-01")
