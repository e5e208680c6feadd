"""Analytic glacier velocity with known truth, for tests, the demo and benchmarks.

speed(t) = base · (1 + a · sin(2π (t − φ) / 365.25)) + surge · exp(−½ ((t − t_s) / w)²)  (m/yr)

along a fixed flow direction θ (radians from the x axis). Times are float days since 1970-01-01.
Means over any interval (an image pair, a bin) are exact (closed form), so inversions can be scored
against the true bin-mean velocity. Every function broadcasts ``base``/``direction`` (pixels, any
shape) against the times (last axis).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import erf

YEAR_DAYS = 365.25


@dataclass(frozen=True)
class Temporal:
    """Shape of the signal in time: seasonal amplitude (fraction of base) and phase (days), surge
    amplitude (m/yr), centre (days since 1970-01-01) and width (1σ, days)."""

    seasonal_amplitude: float = 0.25
    seasonal_phase: float = 0.0
    surge: float = 0.0
    surge_center: float = 0.0
    surge_width: float = 30.0


def _expand(x: ArrayLike, ndim: int) -> np.ndarray:
    """``x`` with ``ndim`` trailing axes added (pixels broadcast against times)."""
    x = np.asarray(x, float)
    return x.reshape(x.shape + (1,) * ndim)


def true_speed(t_days: ArrayLike, base: ArrayLike, temporal: Temporal) -> np.ndarray:
    """Instantaneous speed (m/yr): shape base.shape + t.shape."""
    t = np.asarray(t_days, float)
    b = _expand(base, t.ndim)
    season = 1 + temporal.seasonal_amplitude * np.sin(2 * np.pi * (t - temporal.seasonal_phase) / YEAR_DAYS)
    pulse = np.exp(-0.5 * ((t - temporal.surge_center) / temporal.surge_width) ** 2)
    return b * season + temporal.surge * pulse


def mean_speed(t1: ArrayLike, t2: ArrayLike, base: ArrayLike, temporal: Temporal) -> np.ndarray:
    """Exact mean speed (m/yr) over the intervals [t1, t2] (t1 < t2): shape base.shape + t1.shape."""
    t1, t2 = np.asarray(t1, float), np.asarray(t2, float)
    b = _expand(base, t1.ndim)
    span = t2 - t1
    k = 2 * np.pi / YEAR_DAYS
    phase = temporal.seasonal_phase
    season = 1 + temporal.seasonal_amplitude * (np.cos(k * (t1 - phase)) - np.cos(k * (t2 - phase))) / (
        k * span
    )
    s = temporal.surge_width * np.sqrt(2)
    c = temporal.surge_center
    pulse = temporal.surge_width * np.sqrt(np.pi / 2) * (erf((t2 - c) / s) - erf((t1 - c) / s)) / span
    return b * season + temporal.surge * pulse


def true_velocity(
    t_days: ArrayLike, base: ArrayLike, direction: ArrayLike, temporal: Temporal
) -> tuple[np.ndarray, np.ndarray]:
    """Instantaneous (vx, vy) in m/yr; ``direction`` broadcasts with ``base``."""
    speed = true_speed(t_days, base, temporal)
    d = _expand(direction, np.ndim(t_days))
    return speed * np.cos(d), speed * np.sin(d)


def pair_mean_velocity(
    t1: ArrayLike, t2: ArrayLike, base: ArrayLike, direction: ArrayLike, temporal: Temporal
) -> tuple[np.ndarray, np.ndarray]:
    """Exact mean (vx, vy) in m/yr over [t1, t2] (a pair, or a bin: t1 = edges[:-1], t2 = edges[1:])."""
    speed = mean_speed(t1, t2, base, temporal)
    d = _expand(direction, np.ndim(t1))
    return speed * np.cos(d), speed * np.sin(d)


def itslive_like_pairs(
    rng: np.random.Generator, n: int, start: float, end: float, long_share: float = 0.3
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` pairs (img1, img2) in float days within [start, end], like an ITS_LIVE cube's:
    short repeat-pass separations (6, 12, 18, 24, 36, 48 days, plus a sub-day jitter) and a
    ``long_share`` of long baselines (100–545 days), sorted by img1."""
    short = rng.choice([6.0, 12.0, 12.0, 18.0, 24.0, 24.0, 36.0, 48.0], n)
    long_ = rng.uniform(100.0, 545.0, n)
    dt = np.where(rng.random(n) < long_share, long_, short) + rng.uniform(-0.01, 0.01, n)
    dt = np.minimum(dt, 0.9 * (end - start))
    t1 = rng.uniform(start, end - dt)
    order = np.argsort(t1)
    return t1[order], (t1 + dt)[order]
