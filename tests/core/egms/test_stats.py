"""PD Table 14 statistics: exact on noise-free models; gappy series equal a fit on their valid epochs."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from surface_motion.core.egms.resample import time_grid
from surface_motion.core.egms.stats import cell_statistics, designs, years_since_start

GRID = time_grid(np.datetime64("2020-01-03"), np.datetime64("2024-12-25"), 6)


@settings(max_examples=50, deadline=None)
@given(st.floats(-20, 20), st.floats(-3, 3), st.floats(0, 5), st.floats(-np.pi, np.pi), st.floats(-50, 50))
def test_noise_free_linear_model_is_recovered(v, a, amp, phase, offset):
    t = years_since_start(GRID)
    y = offset + v * t + 0.5 * a * t**2 + amp * np.sin(2 * np.pi * t + phase)
    stats, ref = cell_statistics(y[None, :], GRID)
    np.testing.assert_allclose(stats["acceleration"], a, atol=1e-8)
    np.testing.assert_allclose(stats["seasonality"], amp, atol=1e-8)
    np.testing.assert_allclose(stats["rmse"], 0, atol=1e-8)
    np.testing.assert_allclose(stats["seasonality_std"], 0, atol=1e-8)
    if a == 0:
        np.testing.assert_allclose(stats["mean_velocity"], v, atol=1e-8)
    # re-referenced by the fitted constant: the cubic model's constant is removed
    np.testing.assert_allclose(ref[0] - (y - y.mean()), ref[0, 0] - (y - y.mean())[0], atol=1e-8)


def test_gappy_series_equal_a_fit_on_the_valid_epochs():
    rng = np.random.default_rng(1)
    y = rng.normal(0, 2, (3, GRID.size)) + np.linspace(0, 10, GRID.size)
    y[1, 40:70] = np.nan
    stats, _ = cell_statistics(y, GRID)
    a = designs(years_since_start(GRID))["linear"]
    ok = ~np.isnan(y[1])
    coef = np.linalg.lstsq(a[ok], y[1, ok], rcond=None)[0]
    assert abs(stats["mean_velocity"][1] - coef[0]) < 1e-10
    full = np.linalg.lstsq(a, y[0], rcond=None)[0]
    assert abs(stats["mean_velocity"][0] - full[0]) < 1e-10
    assert np.isfinite(stats["mean_velocity_std"]).all()
