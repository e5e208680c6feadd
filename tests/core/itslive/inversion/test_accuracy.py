"""Accuracy of the inversion on generated data with known truth (issue 4, point 5).

Seasonal cycle, a surge pulse, ITS_LIVE-like pair separations (6–48 days and 30 % of 100–545 days),
noise whose displacement error is fixed (so velocity noise ∝ 1/separation, as in real pairs), 3 %
gross outliers per component, 20 % random gaps and a three-month gap with no pair centred in it.
"""

from __future__ import annotations

import numpy as np
import pytest
from surface_motion.core.itslive.inversion import InversionConfig, invert_pixels
from surface_motion.core.synthetic.truth import (
    Temporal,
    itslive_like_pairs,
    pair_mean_velocity,
    true_velocity,
)

H = 12.0


@pytest.fixture(scope="module")
def scene():
    rng = np.random.default_rng(0)
    n, p, m = 40, 800, 92
    start = 18000.0
    edges = start + H * np.arange(m + 1)
    t1, t2 = itslive_like_pairs(rng, p, edges[0], edges[-1])
    base = rng.uniform(200, 800, n)
    direction = rng.uniform(-np.pi, np.pi, n)
    temporal = Temporal(
        seasonal_amplitude=0.3,
        seasonal_phase=40.0,
        surge=500.0,
        surge_center=start + 0.55 * (edges[-1] - start),
        surge_width=25.0,
    )
    mean_x, mean_y = pair_mean_velocity(t1, t2, base, direction, temporal)
    sigma = 5.0 * 365.25 / (t2 - t1)  # 5 m displacement error, in m/yr
    obs = []
    for mean in (mean_x, mean_y):
        v = mean + rng.normal(0, 1, mean.shape) * sigma
        outlier = rng.random(v.shape) < 0.03
        v[outlier] += rng.choice([-1, 1], outlier.sum()) * rng.uniform(300, 2000, outlier.sum())
        obs.append(v)
    mid = 0.5 * (t1 + t2)
    gap = (rng.random((n, p)) < 0.2) | ((mid > start + 300) & (mid < start + 390))[None]
    for v in obs:
        v[gap] = np.nan
    true_mid = true_velocity(mid, base, direction, temporal)
    raw = np.concatenate([(v - t)[~gap] for v, t in zip(obs, true_mid, strict=True)])
    bin_truth = pair_mean_velocity(edges[:-1], edges[1:], base, direction, temporal)
    return dict(
        vx=obs[0],
        vy=obs[1],
        t1=t1,
        t2=t2,
        edges=edges,
        sigma=sigma,
        raw_rmse=float(np.sqrt(np.mean(raw**2))),
        bin_truth=bin_truth,
    )


def inversion_rmse(scene, config):
    res = invert_pixels(
        scene["vx"],
        scene["vy"],
        scene["t1"],
        scene["t2"],
        scene["edges"],
        config,
        vx_error=scene["sigma"],
        vy_error=scene["sigma"],
    )
    err = np.concatenate([(res.vx - scene["bin_truth"][0]).ravel(), (res.vy - scene["bin_truth"][1]).ravel()])
    assert np.isfinite(err).mean() > 0.9  # bins are left empty only where the data cannot back them
    return float(np.sqrt(np.nanmean(err**2)))


@pytest.mark.parametrize("weighted", [True, False])
def test_robust_inversion_halves_the_raw_error(scene, weighted):
    robust = inversion_rmse(scene, InversionConfig(interval_days=H, weighted=weighted, robust=True))
    assert robust <= 0.5 * scene["raw_rmse"], (robust, scene["raw_rmse"])


def test_robust_mode_rejects_outliers(scene):
    plain = inversion_rmse(scene, InversionConfig(interval_days=H, robust=False))
    robust = inversion_rmse(scene, InversionConfig(interval_days=H))
    assert robust < 0.5 * plain, (robust, plain)
