"""Resampling onto the L3 time grid: properties on random valid inputs (hypothesis) and a dense reference."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from surface_motion.core.egms.resample import resample, time_grid


def reference(values, obs, grid, max_gap, kernel_var):
    """One MP, one epoch at a time: the documented rule written plainly."""
    out = []
    ok = ~np.isnan(values)
    v, t = values[ok], obs[ok]
    for g in grid:
        if t.size == 0:
            out.append(np.nan)
            continue
        d = np.abs(t - g).astype(float)
        inside = t.min() < g < t.max()
        if inside and d.min() > max_gap:
            out.append(np.nan)
            continue
        # the documented kernel uses the two neighbours of the epoch and one more on each side
        lo = np.flatnonzero(t <= g)
        hi = np.flatnonzero(t >= g)
        cand = set()
        if lo.size:
            cand |= {lo[-1]} | ({lo[-2]} if lo.size > 1 else set())
        if hi.size:
            cand |= {hi[0]} | ({hi[1]} if hi.size > 1 else set())
        cand = sorted(cand)
        if kernel_var > 0:
            w = np.exp(-(d[cand] ** 2 - d.min() ** 2) / (2 * kernel_var))
        else:
            w = (d[cand] == d.min()).astype(float)
        out.append(float(np.sum(w * v[cand]) / np.sum(w)))
    return np.array(out)


@st.composite
def series_case(draw):
    m = draw(st.integers(1, 12))
    gaps = draw(st.lists(st.integers(1, 40), min_size=m - 1, max_size=m - 1))
    obs = np.cumsum([0, *gaps]).astype(np.int64) + 18_000
    n = draw(st.integers(1, 4))
    vals = (
        np.array(draw(st.lists(st.integers(-500, 500), min_size=n * m, max_size=n * m)), float).reshape(n, m)
        / 10
    )
    holes = np.array(draw(st.lists(st.booleans(), min_size=n * m, max_size=n * m))).reshape(n, m)
    vals[holes & (draw(st.booleans()))] = np.nan
    start = int(obs[0]) + draw(st.integers(-20, 20))
    step = draw(st.integers(1, 12))
    grid = np.arange(start, int(obs[-1]) + 25, step)
    return vals.astype(np.float32), obs, grid, draw(st.sampled_from([0.0, 3.0])), draw(st.integers(5, 90))


@settings(max_examples=150, deadline=None)
@given(series_case())
def test_nearest_matches_the_plain_rule(case):
    vals, obs, grid, kvar, gap = case
    got = resample(
        vals, obs.astype("datetime64[D]"), grid.astype("datetime64[D]"), gap, "nearest", kvar, block=2
    )
    for i in range(vals.shape[0]):
        np.testing.assert_allclose(
            got[i], reference(vals[i].astype(float), obs, grid, gap, kvar), rtol=0, atol=1e-4
        )


@settings(max_examples=100, deadline=None)
@given(series_case(), st.floats(-20, 20), st.floats(-5, 5))
def test_constant_and_linear_signals(case, c, slope):
    _, obs, grid, kvar, _ = case
    const = np.full((1, obs.size), c, np.float32)
    for method in ("nearest", "linear"):
        got = resample(const, obs.astype("datetime64[D]"), grid.astype("datetime64[D]"), 1e9, method, kvar)
        np.testing.assert_allclose(got[0], c, atol=1e-4)
    line = (slope * (obs - obs[0]) / 365.0)[None, :].astype(np.float32)
    got = resample(line, obs.astype("datetime64[D]"), grid.astype("datetime64[D]"), 1e9, "linear")[0]
    t = np.clip(grid, obs[0], obs[-1])
    np.testing.assert_allclose(got, slope * (t - obs[0]) / 365.0, atol=1e-3)


def test_ties_are_averaged_and_gaps_are_nan():
    obs = np.array(["2020-01-01", "2020-01-13", "2020-09-01"], dtype="datetime64[D]")
    vals = np.array([[1.0, 3.0, 10.0]], np.float32)
    grid = time_grid(np.datetime64("2019-12-26"), np.datetime64("2020-09-20"), 6)
    got = resample(vals, obs, grid, max_gap_days=90, kernel_var=0)[0]
    assert got[0] == 1.0  # before the first observation: held
    assert got[list(grid).index(np.datetime64("2020-01-07"))] == 2.0  # equally far from 1 and 3
    assert np.isnan(got[list(grid).index(np.datetime64("2020-05-06"))])  # > 90 days from both
    assert got[-1] == 10.0  # after the last: held


def test_time_grid_starts_at_start():
    g = time_grid(np.datetime64("2020-01-03"), np.datetime64("2024-12-25"), 6)
    assert g.size == 304 and g[0] == np.datetime64("2020-01-03") and g[-1] == np.datetime64("2024-12-25")
