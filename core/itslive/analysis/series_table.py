"""Point series as tables: read (the itslive-py export or this plugin's point-series CSV), checked and
completed, their pairs filtered by length, and each pair's stated error.

A series table has one row per image pair: ``mid_date, img1, img2`` (datetime64), ``date_dt`` (days) and
the velocity columns present (``v, v_error, vx, vx_error, vy, vy_error``, m/yr), plus ``point_id`` /
``mission`` / ``satellite`` when present, sorted by ``mid_date``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ...errors import InputError
from ...ranges import check_pair_filters

_ITSLIVE_PY = re.compile(r"^\s*([A-Za-z_0-9]+)\s*(\[.*\])?\s*$")


def read_series_csv(path: str | Path) -> pd.DataFrame:
    """A point-series CSV (the itslive-py export format or this plugin's point-series table) as a
    DataFrame with ``mid_date, img1, img2, date_dt`` (days) and the velocity columns present
    (``v, v_error, vx, vx_error, vy, vy_error``), plus ``point_id``/``mission``/``satellite`` when present.

    itslive-py columns carry units (``v [m/yr]``, ``date_dt [days]``) and no acquisition dates:
    img1/img2 = mid_date ∓ date_dt/2.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    try:
        raw = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(path, f"not a readable CSV table ({exc})") from exc
    raw.columns = [
        (_ITSLIVE_PY.match(str(c)) or re.match(r"(.*)", str(c))).group(1).strip() for c in raw.columns
    ]
    return normalise_series(raw, path)


def normalise_series(raw: pd.DataFrame, source: str | Path = "series") -> pd.DataFrame:
    """Check and complete a series table (see :func:`read_series_csv`); rows without ``v`` are dropped."""
    if "v" not in raw.columns:
        raise InputError(source, "velocity column missing (expected 'v' or 'v [m/yr]')", column="v")
    table = raw.copy()
    for name in ("mid_date", "img1", "img2"):
        if name in table.columns:
            table[name] = pd.to_datetime(table[name], errors="coerce")
            if table[name].isna().any():
                raise InputError(source, f"{int(table[name].isna().sum())} values are not dates", column=name)
    if "img1" not in table.columns or "img2" not in table.columns:
        if "mid_date" not in table.columns or "date_dt" not in table.columns:
            missing = "mid_date" if "mid_date" not in table.columns else "date_dt"
            raise InputError(
                source, "needed to place each pair in time (or give img1 and img2)", column=missing
            )
        half = pd.to_timedelta(pd.to_numeric(table["date_dt"], errors="coerce") / 2.0, unit="D")
        table["img1"] = table["mid_date"] - half
        table["img2"] = table["mid_date"] + half
    first = table[["img1", "img2"]].min(axis=1)
    table["img2"] = table[["img1", "img2"]].max(axis=1)
    table["img1"] = first
    table["date_dt"] = (table["img2"] - table["img1"]) / pd.Timedelta(days=1)
    if "mid_date" not in table.columns:
        table["mid_date"] = table["img1"] + (table["img2"] - table["img1"]) / 2
    for name in ("v", "v_error", "vx", "vx_error", "vy", "vy_error"):
        if name in table.columns:
            values = pd.to_numeric(table[name], errors="coerce")
            bad = values.isna() & table[name].notna()
            if bad.any():
                raise InputError(source, f"{int(bad.sum())} non-numeric values", column=name)
            table[name] = values.astype(float)
    table = table[table["v"].notna() & table["date_dt"].notna()]
    _refuse_invalid_pairs(table, source)
    return table.sort_values("mid_date").reset_index(drop=True)


def _refuse_invalid_pairs(table: pd.DataFrame, source: str | Path) -> None:
    """Pairs a regression cannot use: infinite values, negative errors, no time between the two images."""
    for name in ("v", "vx", "vy", "v_error", "vx_error", "vy_error"):
        if name in table.columns:
            infinite = int(np.isinf(table[name].to_numpy(float)).sum())
            if infinite:
                raise InputError(source, f"{infinite} infinite values (inf); remove those rows", column=name)
            if name.endswith("_error") and (table[name] < 0).any():
                raise InputError(
                    source,
                    f"{int((table[name] < 0).sum())} negative errors; an error is a standard "
                    "deviation (≥ 0): fix or remove those rows",
                    column=name,
                )
    flat = int((table["date_dt"] <= 0).sum())
    if flat:
        raise InputError(
            source,
            f"{flat} pairs with date_dt = 0 (img1 = img2): a velocity needs two different "
            "acquisition dates; remove those rows",
            column="date_dt",
        )


def stated_errors(series: pd.DataFrame, component: str) -> np.ndarray:
    """Stated 1σ error (m/yr) of each pair's ``component``; 0 where unknown (then the learned extra noise
    is the whole noise). For the speed, when the pair carries vx/vy and their errors, the error of
    v = |(vx, vy)| to first order, √((vx σx)² + (vy σy)²) / v (the definition of v_error in ITS_LIVE
    granules): a cube's per-pixel ``v_error`` may be another quantity (the generated cube's is
    |(σx, σy)|, √2 too large), and an overstated error gives a band too wide."""
    columns = series.columns
    err = (
        series[f"{component}_error"].to_numpy(float)
        if f"{component}_error" in columns
        else np.full(len(series), np.nan)
    )
    if component == "v" and {"vx", "vy", "vx_error", "vy_error"} <= set(columns):
        vx, vy, v = (series[c].to_numpy(float) for c in ("vx", "vy", "v"))
        sx, sy = series["vx_error"].to_numpy(float), series["vy_error"].to_numpy(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            projected = np.where(v > 0, np.hypot(vx * sx, vy * sy) / v, np.hypot(sx, sy) / np.sqrt(2.0))
        err = np.where(np.isfinite(projected), projected, err)
    return np.nan_to_num(err, nan=0.0)


def filter_pair_lengths(series: pd.DataFrame, min_dt: float | None, max_dt: float | None) -> pd.DataFrame:
    """The pairs whose ``date_dt`` (days) lies within [min_dt, max_dt] (None: no bound)."""
    check_pair_filters(min_dt, max_dt)
    keep = np.ones(len(series), dtype=bool)
    if min_dt is not None:
        keep &= (series["date_dt"] >= min_dt).to_numpy()
    if max_dt is not None:
        keep &= (series["date_dt"] <= max_dt).to_numpy()
    return series[keep]
