"""Which cubes an ITS_LIVE run reads and which image pairs it keeps: the fields the inversion, the
point series and the GP regression share (no numpy: the algorithms read them inside QGIS)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import ParameterError
from ..params import param
from ..ranges import MAX_DATE_DT, MIN_DATE_DT

DEFAULT_CATALOG_URL = "https://its-live-data.s3.amazonaws.com/datacubes/catalog_v02.json"

#: Canonical sensor names and the codes ITS_LIVE stores in ``satellite_img1/2``.
SENSORS = {
    "Sentinel-1": ("1A", "1B", "1C", "1D"),
    "Sentinel-2": ("2A", "2B", "2C", "2D"),
    **{f"Landsat {n}": (str(n),) for n in range(4, 10)},
}
#: the missions a user picks from, in the order of the toolbox's option indices (Landsat 6 never
#: reached orbit: no pairs)
MISSIONS = ("Sentinel-1", "Sentinel-2", "Landsat 4", "Landsat 5", "Landsat 7", "Landsat 8", "Landsat 9")
_GROUPS = {"sentinel": ("Sentinel-1", "Sentinel-2"), "landsat": tuple(f"Landsat {n}" for n in range(4, 10))}


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


@dataclass(kw_only=True)
class CubeSource:
    """The cubes to read: ``cubes`` (URLs or folders) or, when empty, those under the area found in
    ``catalog``."""

    cubes: tuple[str, ...] = param(
        (),
        "cube URL or folder (s3://, the catalog's http://…s3.amazonaws.com/…, https or local; repeat "
        "the option for more); none: found in the catalog",
        flags=("--cube",),
    )
    catalog: str | None = param(
        DEFAULT_CATALOG_URL, "ITS_LIVE catalog, URL or GeoJSON file (downloaded once and cached)"
    )


@dataclass(kw_only=True)
class PairSeparation:
    """Pairs whose separation ``date_dt`` (days) lies in [min_dt, max_dt] (None: open)."""

    min_dt: float | None = param(None, "minimum pair separation date_dt", allowed=MIN_DATE_DT)
    max_dt: float | None = param(None, "maximum pair separation date_dt", allowed=MAX_DATE_DT)


@dataclass(kw_only=True)
class PairFilters(PairSeparation):
    """Pairs whose two images come from ``missions`` (empty: all) and that lie entirely inside
    [start, end] (YYYY-MM-DD; an observation is the mean over its whole pair)."""

    missions: tuple[str, ...] = param(
        (), "missions to keep (none: all; also S1, S2, L4 … L9, Landsat, Sentinel)", choices=MISSIONS
    )
    start: str | None = param(None, "keep pairs from this date on (YYYY-MM-DD; default: the data's span)")
    end: str | None = param(None, "keep pairs until this date (YYYY-MM-DD)")
