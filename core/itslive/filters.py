"""Select cube layers (image pairs) by sensor, date range and time separation."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..timeutil import parse_date
from .selection import SENSORS, parse_missions


def sensor_of(satellite: pd.Series) -> pd.Series:
    """Canonical sensor name per satellite code ('1A' → 'Sentinel-1', '8' → 'Landsat 8'); '' when unknown."""
    lookup = {code: name for name, codes in SENSORS.items() for code in codes}
    return satellite.astype(str).str.strip().str.upper().map(lookup).fillna("")


def filter_layers(
    layers: pd.DataFrame,
    missions: Iterable[str] | str | None = None,
    start: object = None,
    end: object = None,
    min_dt: float | None = None,
    max_dt: float | None = None,
) -> pd.DataFrame:
    """The layers whose both images come from ``missions``, that lie entirely within [start, end]
    (img1 ≥ start and img2 ≤ end: an observation is the mean over its whole pair, so a pair reaching
    outside the period cannot be modelled by it) and whose ``date_dt`` (days) is within [min_dt, max_dt].
    """
    keep = np.ones(len(layers), dtype=bool)
    sensors = parse_missions(missions)
    if sensors:
        keep &= sensor_of(layers["satellite_img1"]).isin(sensors).to_numpy()
        keep &= sensor_of(layers["satellite_img2"]).isin(sensors).to_numpy()
    start_t, end_t = parse_date(start, "START_DATE"), parse_date(end, "END_DATE")
    if start_t is not None and end_t is not None and start_t >= end_t:
        raise ParameterError("START_DATE", f"start {start} is not before end {end}")
    if start_t is not None:
        keep &= (layers["img1"] >= start_t).to_numpy()
    if end_t is not None:
        keep &= (layers["img2"] <= end_t).to_numpy()
    if min_dt is not None and max_dt is not None and min_dt > max_dt:
        raise ParameterError("MIN_DATE_DT", f"minimum date_dt {min_dt} exceeds maximum {max_dt}")
    if min_dt is not None:
        keep &= (layers["date_dt"] >= min_dt).to_numpy()
    if max_dt is not None:
        keep &= (layers["date_dt"] <= max_dt).to_numpy()
    return layers.loc[keep].reset_index(drop=True)
