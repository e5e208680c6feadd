"""The ITS_LIVE inversion kernel: exact design, solution and errors against a dense reference,
NaN rules, input errors, batching, cancellation and the torch backend."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from surface_motion.core.errors import CancelledError, InputError, ParameterError
from surface_motion.core.itslive.inversion import (
    InversionConfig,
    batching,
    difference_matrix,
    invert_pixels,
    pair_design,
    solver,
)
from surface_motion.core.progress import Progress

H = 12.0


def random_case(seed=0, n=40, p=150, m=25, gap=0.25, repeat=10):
    rng = np.random.default_rng(seed)
    edges = 18000.0 + H * np.arange(m + 1)
    t1 = rng.uniform(edges[0] - 20, edges[-1] - 5, p)
    t2 = t1 + rng.choice([5.0, 12.0, 24.0, 60.0, 130.0], p) + rng.uniform(0, 2, p)
    vx = rng.normal(300, 30, (n, p))
    vy = rng.normal(-100, 30, (n, p))
    miss = rng.random((n, p)) < gap
    miss[:repeat] = miss[0]  # a group of pixels sharing one validity pattern
    vx[miss] = np.nan
    vy[miss] = np.nan
    return vx, vy, t1, t2, edges


def plain(**kw) -> InversionConfig:
    """Unweighted, not robust, no error threshold, λ given: the bare kernel."""
    return InversionConfig(
        **{"interval_days": H, "lam": 1e-3, "weighted": False, "robust": False, "max_error_ratio": 0.0, **kw}
    )


def dense_reference(vx, vy, t1, t2, edges, config, ex=None, ey=None):
    """Solutions and formal errors of one pixel (both components) from the definitions, densely:
    weights inside fraction / σ̄² (σ̄² = (σx² + σy²)/2, 1 unweighted), penalty (λ h^(½−k))² DᵀD
    (h in years), errors sqrt(diag N⁻¹ · RSS_w / (Σ fraction − tr H)); bins outside the used
    pairs' span NaN."""
    d = pair_design(t1, t2, edges)
    a = d.a.toarray()
    sig2 = np.ones_like(t1) if ex is None else 0.5 * (np.asarray(ex) ** 2 + np.asarray(ey) ** 2)
    w = d.weight / sig2
    ok = np.isfinite(vx) & np.isfinite(vy) & d.kept
    h = config.interval_days / 365.25
    reg = config.lam * h ** (0.5 - config.derivative) * difference_matrix(a.shape[1], config.derivative)
    g = a[ok].T @ (w[ok, None] * a[ok])
    n_inv = np.linalg.inv(g + reg.T @ reg)
    trace_h = np.trace(n_inv @ g)
    span = np.zeros(a.shape[1], bool)
    span[d.first[ok].min() : d.last[ok].max() + 1] = True
    out = []
    for v in (vx, vy):
        x = n_inv @ (a[ok].T @ (w[ok] * v[ok]))
        rss = w[ok] @ (a[ok] @ x - v[ok]) ** 2
        err = np.sqrt(np.diag(n_inv) * rss / (d.weight[ok].sum() - trace_h))
        out += [np.where(span, x, np.nan), np.where(span, err, np.nan)]
    return out


@pytest.mark.parametrize("derivative,lam", [(1, 1e-2), (2, 3e-4), (2, 1e-2)])
def test_solution_and_errors_match_dense_solve(derivative, lam):
    vx, vy, t1, t2, edges = random_case()
    cfg = plain(lam=lam, derivative=derivative)
    res = invert_pixels(vx, vy, t1, t2, edges, cfg)
    assert res.vx.dtype == np.float32 and res.count.dtype == np.int32 and res.lam == lam
    for i in (0, 3, 15, 39):
        x, sx, y, sy = dense_reference(vx[i], vy[i], t1, t2, edges, cfg)
        for out, ref in ((res.vx, x), (res.vx_error, sx), (res.vy, y), (res.vy_error, sy)):
            np.testing.assert_allclose(out[i], ref, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(res.bin_centers, edges[:-1] + H / 2)


def test_penalty_means_the_same_at_any_interval():
    """λ is a penalty on ∫(dᵏv/dt)² dt: a series inverted at 6 and at 12 days with one λ agrees."""
    rng = np.random.default_rng(2)
    t1 = rng.uniform(18000, 18700, 800)
    t2 = t1 + rng.choice([6.0, 12.0, 24.0, 48.0], 800)
    truth = lambda a, b: 500 + 200 * (np.sin(b / 58.0) - np.sin(a / 58.0)) * 58.0 / (b - a)  # noqa: E731
    vx = (truth(t1, t2) + rng.normal(0, 20, 800))[None]
    series = []
    for h in (6.0, 12.0):
        edges = 18000 + h * np.arange(int(760 // h) + 1)
        res = invert_pixels(vx, vx, t1, t2, edges, plain(interval_days=h, lam=1e-3, derivative=2))
        series.append(np.interp(np.arange(18100, 18600, 6.0), res.bin_centers, res.vx[0]))
    assert np.sqrt(np.mean((series[0] - series[1]) ** 2)) < 5.0  # same smoothness, not 4× apart


def test_weighted_uses_one_mean_variance_for_both_components():
    vx, vy, t1, t2, edges = random_case(seed=1)
    rng = np.random.default_rng(5)
    ex, ey = rng.uniform(5, 40, t1.size), rng.uniform(5, 40, t1.size)
    cfg = plain(weighted=True)
    res = invert_pixels(vx, vy, t1, t2, edges, cfg, vx_error=ex, vy_error=ey)
    for i in (0, 20):
        x, sx, y, sy = dense_reference(vx[i], vy[i], t1, t2, edges, cfg, ex, ey)
        for out, ref in ((res.vx, x), (res.vx_error, sx), (res.vy, y), (res.vy_error, sy)):
            np.testing.assert_allclose(out[i], ref, rtol=1e-5, atol=1e-4)
    with pytest.raises(ParameterError, match="vx_error"):
        invert_pixels(vx, vy, t1, t2, edges, cfg)


def test_bins_beyond_the_data_are_left_empty_not_extrapolated():
    vx, vy, t1, t2, edges = random_case(seed=13, gap=0.0)
    late = t2 > edges[15]
    vx[2, late] = np.nan  # pixel 2 has no pair after bin 15
    res = invert_pixels(vx, vy, t1, t2, edges, plain())
    last_used = pair_design(t1, t2, edges).last[~late & pair_design(t1, t2, edges).kept].max()
    assert np.all(np.isnan(res.vx[2, last_used + 1 :])) and np.all(res.count[2, last_used + 1 :] == 0)
    assert np.isfinite(res.vx[2, : last_used + 1]).all() and np.isfinite(res.vx[3]).all()
    assert res.masked["outside_data_span"] == res.vx[2].size - last_used - 1


def test_bins_with_a_large_formal_error_are_left_empty():
    vx, vy, t1, t2, edges = random_case(seed=14, gap=0.0)
    vx[:, (t2 > edges[8]) & (t1 < edges[15])] = np.nan  # no pair sees bins 8–14
    loose = invert_pixels(vx, vy, t1, t2, edges, plain())
    strict = invert_pixels(vx, vy, t1, t2, edges, plain(max_error_ratio=3.0))
    ratio = loose.vx_error[0] / np.nanmedian(loose.vx_error[0])
    assert np.array_equal(np.isnan(strict.vx[0]), ratio > 3.0) and (ratio > 3.0).any()
    assert strict.masked["formal_error"] >= (ratio > 3.0).sum()


def test_too_few_observations_give_nan_and_counts_are_per_bin():
    vx, vy, t1, t2, edges = random_case(seed=2)
    vx[5, 4:] = np.nan  # 4 pairs at most left
    res = invert_pixels(vx, vy, t1, t2, edges, plain(min_observations=5))
    assert np.all(np.isnan(res.vx[5])) and np.all(np.isnan(res.vy_error[5]))
    assert res.masked["too_few_pairs"] == 1
    d = pair_design(t1, t2, edges)
    valid = np.isfinite(vx) & np.isfinite(vy) & d.kept
    expected = (valid[6][:, None] & (d.a.toarray() > 0)).sum(0)
    np.testing.assert_array_equal(res.count[6], np.where(np.isfinite(res.vx[6]), expected, 0))


def test_vy_gap_invalidates_the_pair_for_both_components():
    vx, vy, t1, t2, edges = random_case(seed=3, gap=0.0)
    vy[0, 0] = np.nan
    res = invert_pixels(vx, vy, t1, t2, edges, plain())
    ref = vx[0].copy()
    ref[0] = np.nan
    x, _, _, _ = dense_reference(ref, vy[0], t1, t2, edges, plain())
    np.testing.assert_allclose(res.vx[0], x, rtol=1e-5, atol=1e-4)


def test_singular_pixel_is_nan_not_an_error():
    edges = np.arange(4) * H
    t1, t2 = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0]), np.array([6.0, 7, 8, 9, 10, 11])
    vx = np.full((2, 6), 100.0)
    vx[1, :] = [100, 101, 102, 99, 98, 100]
    res = invert_pixels(vx, vx, t1, t2, edges, plain(lam=0.0))  # bins 1, 2 unobserved
    assert np.all(np.isnan(res.vx))


def test_bad_inputs_raise_specific_errors():
    vx, vy, t1, t2, edges = random_case(seed=4)
    with pytest.raises(InputError, match="vy"):
        invert_pixels(vx, vy[:, :-1], t1, t2, edges, plain())
    with pytest.raises(InputError, match="img2"):
        invert_pixels(vx, vy, t2, t1, edges, plain())
    with pytest.raises(InputError, match="interval_days"):
        invert_pixels(vx, vy, t1, t2, edges, plain(interval_days=6.0))
    with pytest.raises(ParameterError, match="derivative"):
        invert_pixels(vx, vy, t1, t2, edges, plain(derivative=3))
    with pytest.raises(ParameterError, match="backend"):
        invert_pixels(vx, vy, t1, t2, edges, plain(backend="jax"))


def test_tiny_batches_give_the_same_result(monkeypatch):
    vx, vy, t1, t2, edges = random_case(seed=6)
    ref = invert_pixels(vx, vy, t1, t2, edges, plain())
    monkeypatch.setattr(solver, "batch_budget", lambda device, fraction=0.25: 1.0)  # one pattern per batch
    reports = []
    small = invert_pixels(vx, vy, t1, t2, edges, plain(), progress=Progress(lambda f, m: reports.append(f)))
    np.testing.assert_array_equal(ref.vx, small.vx)
    np.testing.assert_array_equal(ref.vy_error, small.vy_error)
    assert len(reports) > 20 and reports[-1] == 1.0


def test_large_patterns_are_split_into_pieces(monkeypatch):
    gid = np.array([0, 1, 0, 0, 2, 0, 1])
    piece, parent = batching.split_patterns(gid, 3, 2)
    assert np.array_equal(parent[piece], gid)  # every piece belongs to its pixel's pattern
    assert np.bincount(piece).max() <= 2 and piece.max() + 1 == 4  # 4+2+1 pixels → 2+1+1 pieces
    vx, vy, t1, t2, edges = random_case(seed=11)
    ref = invert_pixels(vx, vy, t1, t2, edges, plain())
    monkeypatch.setattr(solver, "PATTERN_PIXELS", 3)
    small = invert_pixels(vx, vy, t1, t2, edges, plain())
    np.testing.assert_allclose(small.vx, ref.vx, rtol=1e-6)
    np.testing.assert_allclose(small.vy_error, ref.vy_error, rtol=1e-6)


def test_cancellation_between_batches(monkeypatch):
    vx, vy, t1, t2, edges = random_case(seed=7)
    monkeypatch.setattr(solver, "batch_budget", lambda device, fraction=0.25: 1.0)
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(CancelledError):
        invert_pixels(vx, vy, t1, t2, edges, plain(), progress=Progress(is_cancelled=cancelled))


def _torch_or_skip():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("robust", [False, True])
def test_torch_cpu_backend_agrees_with_numpy(robust):
    _torch_or_skip()
    vx, vy, t1, t2, edges = random_case(seed=9)
    kw = dict(lam=3e-4, robust=robust, robust_iterations=3)
    a = invert_pixels(vx, vy, t1, t2, edges, plain(**kw))
    b = invert_pixels(vx, vy, t1, t2, edges, plain(backend="torch", device="cpu", **kw))
    for f in ("vx", "vy", "vx_error", "vy_error"):
        np.testing.assert_allclose(
            getattr(b, f), getattr(a, f), rtol=1e-6, atol=1e-6 * np.nanmax(np.abs(getattr(a, f)))
        )
    np.testing.assert_array_equal(a.count, b.count)


def test_cuda_requested_without_a_gpu_is_a_parameter_error():
    torch = _torch_or_skip()
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    vx, vy, t1, t2, edges = random_case(seed=12)
    with pytest.raises(ParameterError, match="device"):
        invert_pixels(vx, vy, t1, t2, edges, plain(backend="torch", device="cuda"))


@pytest.mark.cuda
def test_cuda_backend_agrees_with_numpy():
    _torch_or_skip()
    vx, vy, t1, t2, edges = random_case(seed=10)
    a = invert_pixels(vx, vy, t1, t2, edges, plain())
    b = invert_pixels(vx, vy, t1, t2, edges, plain(backend="torch", device="cuda"))
    np.testing.assert_allclose(b.vx, a.vx, rtol=1e-6, atol=1e-6 * np.nanmax(np.abs(a.vx)))
    np.testing.assert_allclose(b.vy_error, a.vy_error, rtol=1e-6, atol=1e-6 * np.nanmax(a.vy_error))


@pytest.mark.cuda
def test_cuda_defaults_with_outlier_handling_agree_with_numpy():
    """The default formulation (weighted, 2 robust passes, masking) on CUDA: numpy's numbers to 1e-6."""
    _torch_or_skip()
    vx, vy, t1, t2, edges = random_case(seed=15)
    rng = np.random.default_rng(15)
    vx[rng.random(vx.shape) < 0.03] += 1500.0  # gross outliers for the robust passes
    sigma = rng.uniform(10, 40, t1.size)
    cfg = InversionConfig(interval_days=H, lam=3e-4)
    a = invert_pixels(vx, vy, t1, t2, edges, cfg, vx_error=sigma, vy_error=sigma)
    b = invert_pixels(
        vx, vy, t1, t2, edges, replace(cfg, backend="torch", device="cuda"), vx_error=sigma, vy_error=sigma
    )
    for f in ("vx", "vy", "vx_error", "vy_error"):
        np.testing.assert_allclose(
            getattr(b, f), getattr(a, f), rtol=1e-6, atol=1e-6 * np.nanmax(np.abs(getattr(a, f)))
        )
    np.testing.assert_array_equal(a.count, b.count)


def test_pair_weights_mark_the_outlier_and_invalid_pairs():
    rng = np.random.default_rng(3)
    edges = 18000.0 + 12.0 * np.arange(31)
    t1 = rng.uniform(edges[0], edges[-1] - 50, 300)
    t2 = t1 + rng.choice([12.0, 24.0, 48.0], 300)
    vx = np.full((2, 300), 100.0) + rng.normal(0, 2, (2, 300))
    vy = np.zeros((2, 300))
    vx[0, 7] = 3000.0  # gross outlier
    vx[1, 11] = np.nan  # not valid
    cfg = plain(robust=True)
    res = invert_pixels(vx, vy, t1, t2, edges, cfg, return_pair_weights=True)
    assert res.pair_weight.shape == (2, 300)
    assert res.pair_weight[0, 7] == 0.0
    assert np.isnan(res.pair_weight[1, 11])
    assert np.nanmedian(res.pair_weight) > 0.9
    least_squares = invert_pixels(vx, vy, t1, t2, edges, plain(), return_pair_weights=True)
    assert np.nanmin(least_squares.pair_weight) == 1.0 and np.isnan(least_squares.pair_weight[1, 11])
    assert invert_pixels(vx, vy, t1, t2, edges, cfg).pair_weight is None
