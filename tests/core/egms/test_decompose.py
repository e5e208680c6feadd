"""East/up least squares: exact on noise-free data and equal to a per-cell lstsq reference (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from surface_motion.core.egms.decompose import (
    CellGroups,
    average_per_geometry,
    solve_east_up,
)


@st.composite
def cells_case(draw):
    n_cells = draw(st.integers(1, 8))
    n_epochs = draw(st.integers(1, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    cell, e, u = [], [], []
    for c in range(n_cells):  # ≥ 1 ascending and ≥ 1 descending per cell
        na, nd = draw(st.integers(1, 4)), draw(st.integers(1, 4))
        cell += [c] * (na + nd)
        e += list(rng.uniform(-0.65, -0.55, na)) + list(rng.uniform(0.55, 0.65, nd))
        u += list(rng.uniform(0.7, 0.85, na + nd))
    order = rng.permutation(len(cell))
    return (
        np.array(cell)[order],
        np.array(e)[order],
        np.array(u)[order],
        rng.normal(0, 5, (n_cells, n_epochs, 2)),
        rng.normal(0, 1, (len(cell), n_epochs)),
        rng.uniform(0.5, 2, len(cell)),
        draw(st.booleans()),
    )


@settings(max_examples=100, deadline=None)
@given(cells_case())
def test_solution_matches_reference_lstsq(case):
    cell, e, u, truth, noise, weights, weighted = case
    series = (e[:, None] * truth[cell, :, 0] + u[:, None] * truth[cell, :, 1] + noise).astype(np.float32)
    groups = CellGroups.from_cells(cell)
    w = weights if weighted else None
    east, up = solve_east_up(groups, e, u, series, w, max_rows=3)
    for g, c in enumerate(groups.cells):
        m = cell == c
        sw = np.sqrt(weights[m] if weighted else np.ones(m.sum()))
        a = np.column_stack([e[m], u[m]]) * sw[:, None]
        ref = np.linalg.lstsq(a, series[m].astype(float) * sw[:, None], rcond=None)[0]
        np.testing.assert_allclose(east[g], ref[0], atol=1e-8)
        np.testing.assert_allclose(up[g], ref[1], atol=1e-8)
        assert (e[m] < 0).any() and (e[m] >= 0).any()  # the case has both geometries in every cell


@settings(max_examples=50, deadline=None)
@given(cells_case())
def test_noise_free_truth_is_recovered_and_missing_values_are_skipped(case):
    cell, e, u, truth, _, _, _ = case
    series = (e[:, None] * truth[cell, :, 0] + u[:, None] * truth[cell, :, 1]).astype(np.float64)
    series[0, 0] = np.nan  # one missing value: that cell/epoch uses the other MPs
    groups = CellGroups.from_cells(cell)
    east, up = solve_east_up(groups, e, u, series)
    first = np.searchsorted(groups.cells, cell[0])
    for g, c in enumerate(groups.cells):
        m = cell == c
        ok = ~np.isnan(east[g])
        if g == first:  # solvable at epoch 0 only if both geometries keep a value there
            keep = m & ~np.isnan(series[:, 0])
            assert ok[0] == ((e[keep] < 0).any() and (e[keep] > 0).any())
            ok[0] = False
        np.testing.assert_allclose(east[g][ok], truth[c, ok, 0], atol=1e-6)
        np.testing.assert_allclose(up[g][ok], truth[c, ok, 1], atol=1e-6)


def test_average_per_geometry_gives_each_geometry_one_pseudo_mp():
    cell = np.array([0, 0, 0, 1, 1])
    asc = np.array([True, True, False, True, False])
    e = np.array([-0.6, -0.62, 0.6, -0.6, 0.6])
    u = np.array([0.78, 0.76, 0.8, 0.78, 0.8])
    s = np.array([[1.0], [3.0], [5.0], [7.0], [9.0]], np.float32)
    c2, a2, e2, _, s2 = average_per_geometry(cell, asc, e, u, s)
    assert c2.tolist() == [0, 0, 1, 1] and a2.tolist() == [False, True, False, True]
    assert s2[:, 0].tolist() == [5.0, 2.0, 9.0, 7.0]
    np.testing.assert_allclose(e2, [0.6, -0.61, 0.6, -0.6])
