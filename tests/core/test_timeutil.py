"""``core/timeutil.py``: the one parser of user dates."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from surface_motion.core.errors import ParameterError
from surface_motion.core.timeutil import parse_date


@pytest.mark.parametrize(
    "value",
    [
        "2020-03-04",
        " 2020-03-04 ",
        "20200304",
        dt.date(2020, 3, 4),
        np.datetime64("2020-03-04"),
        pd.Timestamp("2020-03-04"),
    ],
)
def test_every_spelling_of_a_day_is_the_same_timestamp(value):
    assert parse_date(value, "START_DATE") == pd.Timestamp("2020-03-04")


def test_a_time_zone_is_converted_to_utc_and_dropped():
    stamp = parse_date("2020-03-04T01:00:00+02:00", "END_DATE")
    assert stamp == pd.Timestamp("2020-03-03T23:00:00") and stamp.tzinfo is None


@pytest.mark.parametrize("value", [None, "", "   "])
def test_empty_is_none(value):
    assert parse_date(value, "START_DATE") is None


@pytest.mark.parametrize("value", ["yesterday", "2020-13-01", "NaT", 20200304, 1.5, True])
def test_anything_else_names_the_parameter(value):
    # a number would otherwise be read as nanoseconds since 1970 and filter out every pair silently
    with pytest.raises(ParameterError, match=r"^END_DATE: .* is not a date; use YYYY-MM-DD$"):
        parse_date(value, "END_DATE")
