"""Time bins and the exact pair/bin overlap design shared by every pixel."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from ...errors import InputError, ParameterError

MIN_INSIDE_FRACTION = 0.5
"""Pairs with less than this fraction of their span inside the bin grid are dropped."""


def time_bins(start: np.datetime64, end: np.datetime64, interval_days: float) -> np.ndarray:
    """Bin edges from ``start`` covering ``end``: shape (M+1,), M = ceil((end − start) / h) ≥ 1.

    datetime64[D] when ``interval_days`` is a whole number of days, else datetime64[s].
    """
    if not (math.isfinite(interval_days) and interval_days > 0):
        raise ParameterError("interval_days", f"must be > 0 days, got {interval_days}")
    s = np.datetime64(start, "s")
    e = np.datetime64(end, "s")
    if e <= s:
        raise ParameterError("end", f"end date {end} is not after start date {start}")
    step = interval_days * 86400.0
    m = max(1, math.ceil((e - s).astype(np.int64) / step - 1e-9))
    edges = s + np.round(np.arange(m + 1) * step).astype(np.int64).astype("timedelta64[s]")
    if float(interval_days).is_integer() and (s.astype("datetime64[D]") == s):
        return edges.astype("datetime64[D]")
    return edges


def days_since_epoch(t: np.datetime64 | np.ndarray) -> np.ndarray:
    """datetime64 (any unit, scalar or array) → float days since 1970-01-01, to the microsecond
    (ITS_LIVE acquisition times carry a time of day)."""
    return (np.asarray(t, dtype="datetime64[us]") - np.datetime64(0, "us")) / np.timedelta64(1, "D")


@dataclass(frozen=True)
class PairDesign:
    """The design matrix shared by every pixel.

    a: (P, M) CSR, row i holds overlap/inside-duration on bins first[i]..last[i] (sums to 1);
    dropped pairs have an empty row. weight: (P,) inside fraction (0 for dropped pairs).
    bandwidth: longest kept span in bins minus one (the half-bandwidth of AᵀA).
    """

    a: sparse.csr_matrix
    first: np.ndarray
    last: np.ndarray
    weight: np.ndarray
    kept: np.ndarray
    bandwidth: int


def pair_design(img1: np.ndarray, img2: np.ndarray, edges: np.ndarray) -> PairDesign:
    """Exact overlap design of ``P`` pairs (float days, img1 < img2) on bins ``edges`` (M+1,) days."""
    t1 = np.asarray(img1, dtype=np.float64)
    t2 = np.asarray(img2, dtype=np.float64)
    e = np.asarray(edges, dtype=np.float64)
    if t1.ndim != 1 or t1.shape != t2.shape:
        raise InputError("invert_pixels", f"img1 {t1.shape} and img2 {t2.shape} must be equal 1-D", "img1")
    if e.ndim != 1 or e.size < 2 or not np.all(np.diff(e) > 0):
        raise InputError("invert_pixels", "edges must be ≥ 2 increasing values (days)", "edges")
    if not (np.all(np.isfinite(t1)) and np.all(np.isfinite(t2))):
        raise InputError("invert_pixels", "img1/img2 contain non-finite dates", "img1")
    if np.any(t2 <= t1):
        bad = int(np.argmax(t2 <= t1))
        raise InputError("invert_pixels", f"pair {bad} has img2 ≤ img1 (order the pairs first)", "img2")
    m = e.size - 1
    c1 = np.clip(t1, e[0], e[-1])
    c2 = np.clip(t2, e[0], e[-1])
    inside = c2 - c1
    fraction = inside / (t2 - t1)
    kept = (inside > 0) & (fraction >= MIN_INSIDE_FRACTION)
    first = np.clip(np.searchsorted(e, c1, side="right") - 1, 0, m - 1)
    last = np.clip(np.searchsorted(e, c2, side="left") - 1, 0, m - 1)
    span = np.where(kept, last - first + 1, 0)
    indptr = np.concatenate([[0], np.cumsum(span)])
    row = np.repeat(np.arange(t1.size), span)
    col = first[row] + (np.arange(indptr[-1]) - indptr[row])
    overlap = np.minimum(c2[row], e[col + 1]) - np.maximum(c1[row], e[col])
    data = overlap / inside[row]
    a = sparse.csr_matrix((data, col, indptr), shape=(t1.size, m))
    bandwidth = int((last - first)[kept].max()) if kept.any() else 0
    return PairDesign(a, first, last, np.where(kept, fraction, 0.0), kept, bandwidth)


def difference_matrix(m: int, k: int) -> np.ndarray:
    """Full k-th difference operator, ((m − k) × m), no zero rows; empty when m ≤ k."""
    return np.diff(np.eye(m), n=k, axis=0)
