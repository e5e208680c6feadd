"""GP regression: exact averaging operator, likelihood and gradient against dense references, the
interval model (b) against the midpoint model (a) on generated truth, robustness, fixtures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import erf
from scipy.stats import multivariate_normal
from surface_motion.core.errors import InputError, ParameterError
from surface_motion.core.itslive.analysis import MODELS, gp, series_table

from tests.conftest import shared_fixture

FIXTURES = ("columbia_LAT61.1804--LON-146.9751.csv", "jakobshavn_LAT69.1117--LON-49.4604.csv")


def truth(t_years: np.ndarray) -> np.ndarray:
    """Latent velocity (m/yr): level + seasonal cycle + a slow multi-year change."""
    return 1000.0 + 300.0 * np.sin(2 * np.pi * t_years) + 150.0 * np.sin(2 * np.pi * t_years / 3.3)


def truth_mean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact mean of :func:`truth` over [a, b] (years)."""

    def primitive(t):
        return (
            1000.0 * t
            - 300.0 / (2 * np.pi) * np.cos(2 * np.pi * t)
            - 150.0 * 3.3 / (2 * np.pi) * np.cos(2 * np.pi * t / 3.3)
        )

    return (primitive(b) - primitive(a)) / (b - a)


def synthetic_series(n=400, min_dt=60, max_dt=400, noise=20.0, seed=0, outliers=0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dt = rng.uniform(min_dt, max_dt, n) / gp.YEAR_DAYS
    a = rng.uniform(0.0, 5.0 - dt)
    b = a + dt
    v = truth_mean(a, b) + rng.normal(0.0, noise, n)
    bad = rng.random(n) < outliers
    v[bad] = rng.uniform(0.0, 50.0, bad.sum())  # e.g. pairs matched on stable ground
    origin = pd.Timestamp("2018-01-01")
    return series_table.normalise_series(
        pd.DataFrame(
            {
                "img1": origin + pd.to_timedelta(a * gp.YEAR_DAYS, unit="D"),
                "img2": origin + pd.to_timedelta(b * gp.YEAR_DAYS, unit="D"),
                "v": v,
                "v_error": noise,
                "mission": "S",
            }
        )
    )


def rmse_to_truth(fit: gp.GPFit, margin_years=0.25, truth_fn=truth) -> float:
    t = (fit.table["date"] - pd.Timestamp("2018-01-01")).dt.total_seconds().to_numpy() / 86400 / gp.YEAR_DAYS
    inside = (t > margin_years) & (t < 5.0 - margin_years)
    return float(np.sqrt(np.mean((fit.table["v"].to_numpy()[inside] - truth_fn(t[inside])) ** 2)))


def test_averaging_operator_is_exact_for_linear_latent():
    rng = np.random.default_rng(3)
    a = rng.uniform(0, 4, 300)
    b = a + rng.uniform(0, 1, 300)
    b[:20] = a[:20]  # zero-length pairs: interpolation
    t0, h, m = gp._nodes(0.0, 5.0, 80, 0.1)
    A = gp.averaging_operator(a, b, t0, h, m)
    nodes = t0 + h * np.arange(m)
    np.testing.assert_allclose(A @ (2.0 + 3.0 * nodes), 2.0 + 1.5 * (a + b), atol=1e-9)
    np.testing.assert_allclose(np.asarray(A.sum(axis=1)).ravel(), 1.0, atol=1e-12)


def test_likelihood_and_gradient_match_dense_references():
    rng = np.random.default_rng(1)
    n = 150
    a = rng.uniform(0, 5, n)
    b = a + rng.uniform(0, 1, n)
    y, err2, weights = rng.normal(size=n), rng.uniform(0.01, 0.1, n), rng.uniform(0.3, 1.0, n)
    t0, h, m = gp._nodes(0.0, 6.0, 60, 0.1)
    nodes = gp._node_grid(t0, h, m, 0.0, 6.0)
    A = gp.averaging_operator(a, b, t0, h, m)
    envelope = rng.normal(0.0, 0.5, nodes.basis.shape[1])
    theta = np.concatenate([np.log([0.8, 0.3, 0.4, 1.1, 0.2, 1.3]), envelope])
    fast = gp._whitened(theta, A, y, err2, weights, nodes, mode="grad")
    K = gp._prior(nodes, theta)
    K[np.diag_indices(m)] += 1e-8 * K[0, 0]
    C = A.toarray() @ K @ A.toarray().T + np.diag((1.3**2 * err2 + 0.2**2) / weights)
    assert fast.nll == pytest.approx(-multivariate_normal(np.zeros(n), C).logpdf(y), rel=1e-9)
    numeric = []
    for k in range(len(theta)):
        step = np.zeros(len(theta))
        step[k] = 1e-5
        numeric.append(
            (
                gp._whitened(theta + step, A, y, err2, weights, nodes).nll
                - gp._whitened(theta - step, A, y, err2, weights, nodes).nll
            )
            / 2e-5
        )
    np.testing.assert_allclose(fast.grad, numeric, rtol=1e-5, atol=1e-6)
    c = rng.normal(size=8)
    penalty_grad = [
        (gp._envelope_penalty(c + 1e-6 * e)[0] - gp._envelope_penalty(c - 1e-6 * e)[0]) / 2e-6
        for e in np.eye(8)
    ]
    np.testing.assert_allclose(gp._envelope_penalty(c)[1], penalty_grad, atol=1e-6)


def test_midpoint_model_matches_a_dense_gp_at_fixed_hyperparameters():
    sklearn_gp = pytest.importorskip("sklearn.gaussian_process")
    kernels = pytest.importorskip("sklearn.gaussian_process.kernels")
    rng = np.random.default_rng(5)
    t = np.sort(rng.uniform(0, 3, 120))
    y = np.sin(2 * np.pi * t) + 0.3 * rng.normal(size=120)
    theta = np.log([0.8, 0.3, 0.5, 1.0, 0.3, 1.0])
    sm, lm, spp, lp, sw, _ = np.exp(theta)
    kernel = kernels.ConstantKernel(sm**2) * kernels.Matern(lm, nu=1.5) + kernels.ConstantKernel(
        spp**2
    ) * kernels.ExpSineSquared(lp, 1.0)
    dense = sklearn_gp.GaussianProcessRegressor(kernel, alpha=sw**2, optimizer=None).fit(t[:, None], y)
    t0, h, m = gp._nodes(0.0, 3.0, 1500, 1.0 / gp.YEAR_DAYS)
    nodes = gp._node_grid(t0, h, m, 0.0, 3.0, envelope=False)
    A = gp.averaging_operator(t, t, t0, h, m)
    w = gp._whitened(theta, A, y, np.zeros_like(y), np.ones_like(y), nodes, mode="mean")
    Q = gp.sla.solve_triangular(w.chol_p, w.chol_k.T, lower=True).T
    grid = np.linspace(0.1, 2.9, 50)
    mean, std = gp._interpolate_nodes(grid, nodes.times, gp._node_mean(w), Q)
    ref_mean, ref_std = dense.predict(grid[:, None], return_std=True)
    np.testing.assert_allclose(mean, ref_mean, atol=0.01)
    np.testing.assert_allclose(std, ref_std, atol=0.01)


def test_interval_model_beats_midpoint_model_with_long_baselines():
    series = synthetic_series()
    cfg = dict(step_days=5.0)
    interval = gp.regress_component(series, "v", gp.GPConfig(model="interval", **cfg))
    midpoint = gp.regress_component(series, "v", gp.GPConfig(model="midpoint", **cfg))
    rmse_b, rmse_a = rmse_to_truth(interval), rmse_to_truth(midpoint)
    assert rmse_b < 0.6 * rmse_a, (rmse_b, rmse_a)
    assert rmse_b < 60.0  # the seasonal amplitude is 300 m/yr
    # the ±2σ band covers the truth most of the time
    t = (interval.table["date"] - pd.Timestamp("2018-01-01")).dt.days.to_numpy() / gp.YEAR_DAYS
    inside = (t > 0.25) & (t < 4.75)
    covered = ((interval.table["v_lower"] <= truth(t)) & (truth(t) <= interval.table["v_upper"]))[inside]
    assert covered.mean() > 0.8


def test_robust_option_rejects_bad_pairs():
    series = synthetic_series(min_dt=10, max_dt=300, outliers=0.12, seed=2)
    plain = gp.regress_component(series, "v", gp.GPConfig(step_days=5.0, robust=False))
    robust = gp.regress_component(series, "v", gp.GPConfig(step_days=5.0))
    assert rmse_to_truth(robust) < 0.5 * rmse_to_truth(plain)
    assert robust.n_downweighted >= 0.8 * 0.12 * len(series)


def test_panels_carry_the_robust_weight_of_each_pair():
    series = synthetic_series(min_dt=10, max_dt=300, outliers=0.12, seed=2)
    series = series.sample(frac=1.0, random_state=1)  # weights must follow the rows, not their order
    series.loc[series.index[:5], "v"] = np.nan  # pairs without a value get no weight
    cfg = gp.GPConfig(step_days=5.0, robust=True)
    _, panels = gp.regress_points(series, cfg)
    observations = panels[0][1]
    weight = observations["v_pair_weight"]
    fit = gp.regress_component(series, "v", cfg)
    pd.testing.assert_series_equal(weight.dropna(), fit.pair_weight, check_names=False)
    assert weight.iloc[:5].isna().all() and weight.iloc[5:].between(0.0, 1.0).all()
    assert int((weight < gp.ACCEPT_WEIGHT).sum()) == fit.n_downweighted
    outlier = observations["v"] < 100.0  # the generated bad pairs (0–50 m/yr; the glacier flows at ~1000)
    assert (weight[outlier] < gp.ACCEPT_WEIGHT).mean() > 0.9
    assert (weight[~outlier & observations["v"].notna()] >= gp.ACCEPT_WEIGHT).mean() > 0.95


SURGE_CENTER, SURGE_WIDTH, SURGE_AMPLITUDE = 2.5, 30.0 / gp.YEAR_DAYS, 1200.0


def surge_mean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact mean over [a, b] (years) of :func:`truth` plus a Gaussian surge pulse (σ = 30 days)."""
    scale = SURGE_AMPLITUDE * SURGE_WIDTH * np.sqrt(np.pi / 2)

    def pulse(t):
        return scale * erf((t - SURGE_CENTER) / (SURGE_WIDTH * np.sqrt(2)))

    return truth_mean(a, b) + (pulse(b) - pulse(a)) / (b - a)


def surge_truth(t_years: np.ndarray) -> np.ndarray:
    return truth(t_years) + SURGE_AMPLITUDE * np.exp(-0.5 * ((t_years - SURGE_CENTER) / SURGE_WIDTH) ** 2)


def surge_series(n=600, outliers=0.1, seed=7) -> tuple[pd.DataFrame, int]:
    """Short pairs (6–60 d, errors 20–60 m/yr) of :func:`surge_truth` over 5 years; a fraction of gross
    outliers, half near 0 (stable ground), half at 500–1000 m/yr. Returns the series and the outlier count."""
    rng = np.random.default_rng(seed)
    dt = rng.uniform(6, 60, n) / gp.YEAR_DAYS
    a = rng.uniform(0.0, 5.0 - dt)
    b = a + dt
    err = rng.uniform(20, 60, n)
    v = surge_mean(a, b) + rng.normal(0.0, err)
    bad = rng.random(n) < outliers
    v[bad] = np.where(
        rng.random(bad.sum()) < 0.5, rng.uniform(0, 50, bad.sum()), rng.uniform(500, 1000, bad.sum())
    )
    origin = pd.Timestamp("2018-01-01")
    return series_table.normalise_series(
        pd.DataFrame(
            {
                "img1": origin + pd.to_timedelta(a * gp.YEAR_DAYS, unit="D"),
                "img2": origin + pd.to_timedelta(b * gp.YEAR_DAYS, unit="D"),
                "v": v,
                "v_error": err,
            }
        )
    ), int(bad.sum())


def test_robust_interval_model_follows_a_surge_among_gross_outliers():
    # a redescending fit started from a smooth (periodic) solution rejects the surge pairs as outliers
    series, n_bad = surge_series()
    fit = gp.regress_component(series, "v", gp.GPConfig(step_days=2.0, robust=True))
    t = (fit.table["date"] - pd.Timestamp("2018-01-01")).dt.total_seconds().to_numpy() / 86400 / gp.YEAR_DAYS
    true = surge_truth(t)
    peak = np.argmin(np.abs(t - SURGE_CENTER))
    assert abs(fit.table["v"].iloc[peak] - true[peak]) < 0.15 * SURGE_AMPLITUDE
    assert rmse_to_truth(fit, truth_fn=surge_truth) < 60.0  # 15 m/yr here; 200 when the surge is rejected
    # most gross outliers are rejected, not many more; the ±2σ band covers the truth most of the time
    assert 0.8 * n_bad <= fit.n_downweighted <= 2 * n_bad
    inside = (t > 0.25) & (t < 4.75)
    covered = (fit.table["v_lower"] <= true) & (true <= fit.table["v_upper"])
    assert covered[inside].mean() > 0.7


def test_regress_series_components_and_bad_inputs():
    series = synthetic_series(n=120)
    series["vx"] = series["v"] * 0.6
    series["vy"] = series["v"] * 0.8
    table, _ = gp.regress_series(series, gp.GPConfig(components=("v", "vx"), step_days=10.0))
    assert {"date", "v", "v_lower", "v_upper", "vx", "vx_lower", "vx_upper"} <= set(table.columns)
    assert (table["v_lower"] < table["v"]).all() and (table["v"] < table["v_upper"]).all()
    assert (table["date"].diff().dropna() == pd.Timedelta(days=10)).all()
    with pytest.raises(ParameterError, match="MODEL"):
        gp.regress_series(series, gp.GPConfig(model="kriging"))
    with pytest.raises(ParameterError, match="STEP_DAYS"):
        gp.regress_series(series, gp.GPConfig(step_days=0))
    with pytest.raises(ParameterError, match="START_DATE"):
        gp.regress_series(series, gp.GPConfig(start="2030-01-01", end="2020-01-01"))
    with pytest.raises(InputError, match="at least 5"):
        gp.regress_component(series.head(3), "v", gp.GPConfig())


def test_read_series_csv_errors(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("mid_date,date_dt [days]\n2020-01-01,12\n")
    with pytest.raises(InputError, match="column 'v'"):
        series_table.read_series_csv(path)
    path.write_text("mid_date,v [m/yr],date_dt [days]\n2020-01-01,fast,12\n")
    with pytest.raises(InputError, match=r"s\.csv: column 'v': 1 non-numeric"):
        series_table.read_series_csv(path)
    path.write_text("v [m/yr]\n12\n")
    with pytest.raises(InputError, match="column 'mid_date'"):
        series_table.read_series_csv(path)


@pytest.mark.parametrize("name", FIXTURES)
def test_both_models_on_real_series(name):
    series = series_table.read_series_csv(shared_fixture("itslive", name))
    assert {"img1", "img2", "v", "v_error", "vx", "vy", "mission", "satellite"} <= set(series.columns)
    raw = pd.read_csv(shared_fixture("itslive", name))
    np.testing.assert_allclose(np.sort(series["date_dt"]), np.sort(raw["date_dt [days]"]), atol=1e-6)
    assert (series["img2"] - series["img1"]).dt.days.max() <= 546
    for model in MODELS:
        fit = gp.regress_component(series, "v", gp.GPConfig(model=model, robust=True))
        table = fit.table
        assert len(table) > 10_000 and np.isfinite(table[["v", "v_lower", "v_upper"]].to_numpy()).all()
        assert (table["v_upper"] >= table["v_lower"]).all()
        # the bulk of the regression sits where the bulk of the pairs is
        assert abs(table["v"].median() - series["v"].median()) < 0.5 * series["v"].median()
