"""Property tests (hypothesis) of the inversion assembly against a naive dense reference."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from surface_motion.core.itslive import inversion as inv
from surface_motion.core.itslive.inversion import design as inv_design
from surface_motion.core.itslive.inversion import solver as inv_solver
from surface_motion.core.progress import Progress


@st.composite
def problems(draw):
    """Random bins, pairs (some partly outside the grid), validity masks and weights."""
    m = draw(st.integers(2, 14))
    h = draw(st.sampled_from([1.0, 5.0, 12.0]))
    n_pairs = draw(st.integers(1, 25))
    n_pix = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    edges = 100.0 + h * np.arange(m + 1)
    t1 = rng.uniform(edges[0] - 2 * h, edges[-1] - 0.1, n_pairs)
    span = rng.choice([0.3, 1.0, 2.5, 6.0], n_pairs) * h * rng.uniform(0.5, 1.5, n_pairs)
    t2 = t1 + span
    valid = rng.random((n_pix, n_pairs)) < draw(st.floats(0.3, 1.0))
    sigma = rng.uniform(0.5, 3.0, n_pairs)
    values = np.where(valid, rng.normal(50, 20, (n_pix, n_pairs)), np.nan)
    config = inv.InversionConfig(
        interval_days=h,
        lam=10 ** draw(st.floats(-4.0, -1.0)),
        derivative=draw(st.sampled_from([1, 2])),
        weighted=True,
        robust=False,
        min_observations=1,
        max_error_ratio=0.0,
    )
    return edges, t1, t2, values, sigma, config


def dense_system(edges, t1, t2, v, sigma, config):
    """Naive dense A (P × M), W (inside fraction / σ²), D (λ h^(½−k) Dₖ, h in years) of one pixel,
    from the definitions."""
    m = edges.size - 1
    a = np.zeros((t1.size, m))
    w = np.zeros(t1.size)
    for i in range(t1.size):
        lo, hi = max(t1[i], edges[0]), min(t2[i], edges[-1])
        if hi - lo < inv_design.MIN_INSIDE_FRACTION * (t2[i] - t1[i]) or hi <= lo:
            continue
        for j in range(m):
            a[i, j] = max(0.0, min(hi, edges[j + 1]) - max(lo, edges[j])) / (hi - lo)
        w[i] = (hi - lo) / (t2[i] - t1[i]) / sigma[i] ** 2 * np.isfinite(v[i])
    k = config.derivative
    d = np.diff(np.eye(m), n=k, axis=0) * config.lam * (config.interval_days / 365.25) ** (0.5 - k)
    return a, w, d


def block_to_dense(flat, layout):
    """Expand block storage (lower entries) to the dense symmetric M × M matrix."""
    m = layout.m
    j, k = np.tril_indices(m)
    near = (j // layout.nb - k // layout.nb) <= 1
    out = np.zeros((m, m))
    out[j[near], k[near]] = flat[layout.index(j[near], k[near])]
    return out + np.tril(out, -1).T


@settings(max_examples=60, deadline=None)
@given(problems())
def test_assembled_normal_matrix_and_rhs_equal_the_dense_reference(problem):
    edges, t1, t2, values, sigma, config = problem
    design = inv.pair_design(t1, t2, edges)
    solver = inv_solver._Solver(design, config, Progress())
    for v in values:
        a, w, d = dense_system(edges, t1, t2, v, sigma, config)
        reference = a.T @ (w[:, None] * a) + d.T @ d
        valid = np.isfinite(v) & design.kept
        weights = np.where(valid, design.weight / sigma**2, 0.0)
        assembled = block_to_dense(solver.assemble(weights[None])[0], solver.layout)
        np.testing.assert_allclose(assembled, reference, rtol=1e-12, atol=1e-12 * np.abs(reference).max())
        rhs, ywy = solver.weighted_rhs(v[None], valid[None], design.weight / sigma**2)
        y = np.nan_to_num(v)
        np.testing.assert_allclose(rhs[0], a.T @ (w * y), rtol=1e-12, atol=1e-12 * np.abs(y).max())
        np.testing.assert_allclose(ywy[0], w @ y**2, rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(problems())
def test_solution_and_errors_equal_the_dense_solve(problem):
    """Issue 10: the banded kernel agrees with the straightforward dense solve to 1e-6 relative."""
    edges, t1, t2, values, sigma, config = problem
    vy = -0.5 * values + 3.0
    res = inv.invert_pixels(values, vy, t1, t2, edges, config, vx_error=sigma, vy_error=2 * sigma)
    shared = np.sqrt(0.5 * (sigma**2 + (2 * sigma) ** 2))  # one weight for both components
    design = inv.pair_design(t1, t2, edges)
    for i, v in enumerate(values):
        a, w, d = dense_system(edges, t1, t2, v, shared, config)
        ok = w > 0
        if not ok.any():
            assert np.isnan(res.vx[i]).all()
            continue
        g = np.vstack([a[ok] * np.sqrt(w[ok])[:, None], d])
        if np.linalg.matrix_rank(g) < g.shape[1]:  # e.g. one pair and k = 2: must be flagged
            assert np.isnan(res.vx[i]).all()
            continue
        if (
            np.linalg.cond(g) > 1e3
        ):  # N = gᵀg would have cond > 1e6: explicit block inverses lose digits there
            continue
        n_inv = np.linalg.inv(g.T @ g)
        trace_h = np.trace(n_inv @ (a[ok].T @ (w[ok, None] * a[ok])))
        span = np.zeros(edges.size - 1, bool)
        span[design.first[ok].min() : design.last[ok].max() + 1] = True
        for obs, out, out_err in ((v, res.vx, res.vx_error), (vy[i], res.vy, res.vy_error)):
            x = n_inv @ (a[ok].T @ (w[ok] * obs[ok]))
            rss = w[ok] @ (a[ok] @ x - obs[ok]) ** 2
            err = np.sqrt(np.diag(n_inv) * max(rss, 0) / max(design.weight[ok].sum() - trace_h, 1.0))
            assert np.array_equal(np.isfinite(out[i]), span)
            np.testing.assert_allclose(out[i][span], x[span], rtol=1e-6, atol=1e-6 * np.abs(x).max())
            np.testing.assert_allclose(
                out_err[i][span], err[span], rtol=1e-5, atol=1e-6 * max(err.max(), np.abs(x).max())
            )
