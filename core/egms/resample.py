"""Resample MP displacement series onto the regular L3 time grid, all MPs at once.

Default ``nearest`` (reproduces the official 2020–2024 product): each grid epoch takes the MP's
observation nearest in time, the mean of the two when both neighbours are equally far, only when
that observation is at most ``max_gap_days`` away; before the first and after the last
observation the end value is held. The official values also carry a narrow Gaussian time kernel:
observations one 6-day step away from the nearest one weigh exp(−6) ≈ 0.0025 of it (weights
``exp(−(d² − d_min²) / (2σ²))`` with σ² = 3 day²; ``kernel_var=0`` gives the plain nearest value).
With it the fixture's series match 99.5 % of values instead of 97 % and every rmse_ts matches.
Option ``linear``: linear in time between the two neighbours (same gap rule).
Missing observations (NaN) are skipped per MP.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from .config import RESAMPLINGS

#: variance (day²) of the time kernel found to reproduce the official 2020–2024 series
OFFICIAL_KERNEL_VAR = 3.0


def time_grid(start: np.datetime64, end: np.datetime64, spacing_days: int) -> np.ndarray:
    """Epochs ``start, start + spacing, …`` up to and including ``end`` (datetime64[D])."""
    start = np.datetime64(start, "D")
    end = np.datetime64(end, "D")
    return np.arange(start, end + np.timedelta64(1, "D"), np.timedelta64(int(spacing_days), "D"))


def _candidates(valid: np.ndarray | None, obs: np.ndarray, grid: np.ndarray) -> list[np.ndarray]:
    """Per epoch (and MP when ``valid`` is given): indices of the valid observations just before the last one
    ≤ epoch, the last one ≤ epoch, the first one ≥ epoch and the one after it (-1: none).

    Arrays are (T,) when ``valid`` is None (no missing value), else (n, T). When an observation falls on the
    epoch the 2nd and 3rd are the same index.
    """
    m = obs.size
    right = np.searchsorted(obs, grid, side="right") - 1  # last obs ≤ epoch
    left = np.searchsorted(obs, grid, side="left")  # first obs ≥ epoch
    if valid is None:
        lo, hi = right, np.where(left < m, left, -1)
        return [np.where(lo >= 1, lo - 1, -1), lo, hi, np.where((hi >= 0) & (hi + 1 < m), hi + 1, -1)]
    idx = np.arange(m)
    # last valid index at or before each obs, and first valid at or after (running max/min over obs).
    prev_valid = np.maximum.accumulate(np.where(valid, idx, -1), axis=1)
    next_valid = np.minimum.accumulate(np.where(valid, idx, m)[:, ::-1], axis=1)[:, ::-1]
    rows = np.arange(valid.shape[0])[:, None]

    def before(i: np.ndarray) -> np.ndarray:
        return np.where(i >= 1, prev_valid[rows, np.clip(i - 1, 0, m - 1)], -1)

    def after(i: np.ndarray) -> np.ndarray:
        j = np.where((i >= 0) & (i + 1 < m), next_valid[rows, np.clip(i + 1, 0, m - 1)], m)
        return np.where(j < m, j, -1)

    lo = np.where(right >= 0, prev_valid[:, np.clip(right, 0, m - 1)], -1)
    hi = np.where(left < m, next_valid[:, np.clip(left, 0, m - 1)], m)
    hi = np.where(hi < m, hi, -1)
    return [before(lo), lo, hi, after(hi)]


def resample(
    series: np.ndarray,
    dates: np.ndarray,
    grid: np.ndarray,
    max_gap_days: float = 90,
    method: str = "nearest",
    kernel_var: float = OFFICIAL_KERNEL_VAR,
    block: int = 65536,
) -> np.ndarray:
    """Series (n, m) at ``dates`` (m, datetime64, increasing) → (n, T) float32 on ``grid`` (T,).

    Epochs farther than ``max_gap_days`` from the nearest valid observation inside the series
    are NaN; epochs before the first / after the last valid observation hold the end value.
    Works on blocks of ``block`` MPs so the temporaries stay small.
    """
    if method not in RESAMPLINGS:
        raise ParameterError("RESAMPLING", f"must be one of {', '.join(RESAMPLINGS)} (got {method!r})")
    series = np.asarray(series, dtype=np.float32)
    obs = np.asarray(dates, dtype="datetime64[D]").astype(np.int64)
    g = np.asarray(grid, dtype="datetime64[D]").astype(np.int64)
    out = np.empty((series.shape[0], g.size), dtype=np.float32)
    for s in range(0, series.shape[0], block):
        out[s : s + block] = _resample_block(series[s : s + block], obs, g, max_gap_days, method, kernel_var)
    return out


def _resample_block(
    series: np.ndarray, obs: np.ndarray, g: np.ndarray, max_gap: float, method: str, kernel_var: float
) -> np.ndarray:
    nan = np.isnan(series)
    cand = _candidates(~nan if nan.any() else None, obs, g)
    far = np.float64(1e12)
    dist = [np.where(i >= 0, np.abs(g - obs[np.maximum(i, 0)]), far).astype(np.float64) for i in cand]
    lo, hi = cand[1], cand[2]
    has_lo, has_hi = lo >= 0, hi >= 0
    dmin = np.minimum(dist[1], dist[2])
    if method == "nearest":
        weights = []
        for k, (i, d) in enumerate(zip(cand, dist, strict=True)):
            use = (i >= 0) & ~((k == 2) & (cand[2] == cand[1]))  # count an observation on the epoch once
            if kernel_var > 0:
                weights.append(np.where(use, np.exp(-(d * d - dmin * dmin) / (2 * kernel_var)), 0.0))
            else:
                weights.append(np.where(use & (d == dmin), 1.0, 0.0))
    else:
        both = has_lo & has_hi & (lo != hi)
        frac = dist[1] / np.where(both, dist[1] + dist[2], 1.0)
        w_lo = np.where(both, 1 - frac, has_lo.astype(float))
        weights = [
            np.zeros_like(frac),
            w_lo,
            np.where(both, frac, (~has_lo & has_hi).astype(float)),
            np.zeros_like(frac),
        ]
    den = sum(weights)
    weights = [w / np.where(den > 0, den, 1.0) for w in weights]
    gap = (has_lo & has_hi & (dmin > max_gap)) | ~(has_lo | has_hi)
    if cand[0].ndim == 1:
        # no missing value: candidates and weights are per epoch; gather only the columns that weigh
        out = None
        for i, w in zip(cand, weights, strict=True):
            if not (w > 1e-12).any():  # e.g. neighbours 12+ days away: negligible everywhere
                continue
            # whole-column gather (weight 0 where unused): no fancy-indexed update
            term = np.take(series, np.maximum(i, 0), axis=1)
            term *= np.where(w > 1e-12, w, 0.0).astype(np.float32)
            out = term if out is None else np.add(out, term, out=out)
        if out is None:
            out = np.zeros((series.shape[0], g.size), dtype=np.float32)
        out[:, gap] = np.nan
        return out
    rows = np.arange(series.shape[0])[:, None]
    out = np.zeros((series.shape[0], g.size))
    for i, w in zip(cand, weights, strict=True):
        out += np.where(w > 0, series[rows, np.maximum(i, 0)] * w, 0.0)  # w = 0 may sit on a NaN
    return np.where(gap, np.nan, out).astype(np.float32)
