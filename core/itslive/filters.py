"""Select cube layers (image pairs) by sensor, date range and time separation."""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..timeutil import parse_date

#: Canonical sensor names and the codes ITS_LIVE stores in ``satellite_img1/2``.
SENSORS = {
    "Sentinel-1": ("1A", "1B", "1C", "1D"),
    "Sentinel-2": ("2A", "2B", "2C", "2D"),
    **{f"Landsat {n}": (str(n),) for n in range(4, 10)},
}
_GROUPS = {"sentinel": ("Sentinel-1", "Sentinel-2"), "landsat": tuple(f"Landsat {n}" for n in range(4, 10))}


def sensor_of(satellite: pd.Series) -> pd.Series:
    """Canonical sensor name per satellite code ('1A' → 'Sentinel-1', '8' → 'Landsat 8'); '' when unknown."""
    lookup = {code: name for name, codes in SENSORS.items() for code in codes}
    return satellite.astype(str).str.strip().str.upper().map(lookup).fillna("")


def parse_missions(missions: Iterable[str] | str | None) -> tuple[str, ...]:
    """Canonical sensor names from user spellings: 'Sentinel-1', 'S1', 'sentinel 2', 'L8', 'Landsat-9',
    'Landsat' (4–9), 'Sentinel' (1 and 2), 'L4-L9'. Empty → all sensors."""
    if missions is None:
        return ()
    if isinstance(missions, str):
        missions = [m for m in re.split(r"[,;]", missions)]
    chosen: list[str] = []
    for raw in missions:
        key = re.sub(r"[\s_\-]", "", str(raw)).lower()
        if not key:
            continue
        if key in _GROUPS or key in {"s", "l"}:
            chosen += _GROUPS["sentinel" if key.startswith("s") else "landsat"]
            continue
        m = re.fullmatch(r"(?:sentinel|s)([12])[a-d]?", key) or re.fullmatch(r"(?:landsat|l)([4-9])", key)
        if m:
            chosen.append(f"Sentinel-{m[1]}" if key.startswith("s") else f"Landsat {m[1]}")
            continue
        m = re.fullmatch(r"(?:landsat|l)([4-9])(?:to|l|landsat)([4-9])", key)
        if m and m[1] <= m[2]:
            chosen += [f"Landsat {n}" for n in range(int(m[1]), int(m[2]) + 1)]
            continue
        raise ParameterError(
            "MISSIONS",
            f"unknown mission '{raw}': use Sentinel-1, Sentinel-2, Landsat 4 … "
            "Landsat 9 (or S1, S2, L4 … L9, Landsat, Sentinel)",
        )
    return tuple(dict.fromkeys(chosen))


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
