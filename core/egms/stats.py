"""PD Table 14 statistics of L3 cell series, as batched least squares over all cells.

t is in years since the first epoch (days / 365). Three fits share the seasonal terms
``cos(2πt) − 1`` and ``sin(2πt)``:

- cubic ``[t, t², t³, cos−1, sin, 1]``: ``rmse`` (RMS of residuals), ``seasonality`` (amplitude)
  and its std ``sqrt((4−π)/2 · (C₃₃+C₄₄)/2)·rmse``; the series is re-referenced by subtracting the
  fitted constant;
- quadratic ``[t, t², cos−1, sin, 1]``: ``acceleration`` = 2 × t² coefficient, std
  ``sqrt(C of the ½t² column) · sqrt(rms² + mean²)`` of the residuals;
- linear ``[t, cos−1, sin, 1]``: ``mean_velocity`` and its std ``sqrt(C_tt) · sqrt(rms² + mean²)``.

C is the inverse normal matrix of the design. Complete series share one pseudo-inverse (one
matrix product for all cells); series with gaps get their own normal matrices, solved as a batch.
"""

from __future__ import annotations

import numpy as np


def years_since_start(grid: np.ndarray) -> np.ndarray:
    """Epochs (datetime64) → years since the first epoch (days / 365)."""
    days = np.asarray(grid, dtype="datetime64[D]").astype(np.int64)
    return (days - days[0]) / 365.0


def designs(t: np.ndarray) -> dict[str, np.ndarray]:
    """The three (T, p) design matrices, constant column last."""
    w = 2 * np.pi * t
    c, s, one = np.cos(w) - 1, np.sin(w), np.ones_like(t)
    return {
        "cubic": np.column_stack([t, t**2, t**3, c, s, one]),
        "quadratic": np.column_stack([t, t**2, c, s, one]),
        "linear": np.column_stack([t, c, s, one]),
    }


def _fit(y: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Least squares of every row of ``y`` (c, T; NaN = missing) on ``a`` (T, p).

    Returns coefficients (c, p), inverse normal matrices (c, p, p), residual RMS and mean (c,).
    """
    c, p = y.shape[0], a.shape[1]
    coef = np.full((c, p), np.nan)
    cinv = np.full((c, p, p), np.nan)
    rms = np.full(c, np.nan)
    mean = np.full(c, np.nan)
    valid = ~np.isnan(y)
    full = valid.all(axis=1)
    if full.any():
        coef[full] = y[full] @ np.linalg.pinv(a).T
        cinv[full] = np.linalg.inv(a.T @ a)
    gappy = np.flatnonzero(~full & (valid.sum(axis=1) >= p))
    if gappy.size:
        wv = valid[gappy].astype(np.float64)
        yz = np.where(valid[gappy], y[gappy], 0.0)
        n = np.einsum("ct,tp,tq->cpq", wv, a, a)
        b = yz @ a
        good = np.linalg.matrix_rank(n) == p
        gappy, n, b = gappy[good], n[good], b[good]
        cinv[gappy] = np.linalg.inv(n)
        coef[gappy] = np.einsum("cpq,cq->cp", cinv[gappy], b)
    res = y - coef @ a.T
    cnt = valid.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rms = np.sqrt(np.nansum(res**2, axis=1) / cnt)
        mean = np.nansum(res, axis=1) / cnt
    bad = np.isnan(coef[:, 0])
    rms[bad] = np.nan
    mean[bad] = np.nan
    return coef, cinv, rms, mean


def cell_statistics(series: np.ndarray, grid: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Statistics of each cell series (c, T) in mm on ``grid`` → (dict of (c,) arrays, re-referenced series)."""
    y = np.asarray(series, dtype=np.float64)
    d = designs(years_since_start(grid))
    out: dict[str, np.ndarray] = {}
    coef, cinv, rms, _ = _fit(y, d["cubic"])
    out["rmse"] = rms
    out["seasonality"] = np.hypot(coef[:, 3], coef[:, 4])
    out["seasonality_std"] = np.sqrt((4 - np.pi) / 2 * (cinv[:, 3, 3] + cinv[:, 4, 4]) / 2) * rms
    referenced = y - coef[:, 5:6]
    coef2, cinv2, rms2, mean2 = _fit(y, d["quadratic"])
    out["acceleration"] = 2 * coef2[:, 1]
    out["acceleration_std"] = np.sqrt(4 * cinv2[:, 1, 1]) * np.sqrt(rms2**2 + mean2**2)
    coef1, cinv1, rms1, mean1 = _fit(y, d["linear"])
    out["mean_velocity"] = coef1[:, 0]
    out["mean_velocity_std"] = np.sqrt(cinv1[:, 0, 0]) * np.sqrt(rms1**2 + mean1**2)
    return out, referenced
