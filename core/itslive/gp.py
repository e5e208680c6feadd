"""Gaussian-process regression of an ITS_LIVE point series: a latent velocity with mean and ±2σ band.

Kernel (the seed's, ITS_LIVE_TOOL): σ_m²·Matérn-3/2(ℓ_m) + σ_p²·ExpSineSquared(ℓ_p, period 1 yr) on
decimal years, normalised velocities, per-pair noise variance ``error² + σ_w²`` (the white term σ_w
learned), hyperparameters by maximising the marginal likelihood. Two observation models:

- ``"midpoint"`` (a), the seed's: each pair is a noisy sample of the latent velocity at its mid_date.
- ``"interval"`` (b): each pair is the MEAN of the latent velocity over [img1, img2], a linear
  functional of the GP.

Why not scikit-learn's GaussianProcessRegressor: it cannot observe integrals of a GP, and for (a) its
dense n_obs × n_obs solves take ~20 s on 4,225 pairs (hyperparameters on a subsample included). Both
models therefore share one engine here, so that they differ only in the observation operator: the
latent process is discretised on nodes (spacing ≤ the output step, at most ``max_nodes``) with
piecewise-linear interpolation between them; the sparse operator ``A`` (n_obs × n_nodes) integrates
the interpolant exactly over each pair (interpolates it at mid_date for (a)); the prior at the nodes
is the kernel. The likelihood ``y ~ N(0, A K Aᵀ + N)`` is evaluated in the whitened node space
(``K = LLᵀ``, ``P = I + Lᵀ AᵀN⁻¹A L``, Woodbury and the determinant lemma), so every solve is
n_nodes × n_nodes whatever the number of pairs. Hyperparameters: L-BFGS-B with the analytic gradient
on log-parameters, on a coarser node set (≤ ``fit_nodes``); the output grid (daily by default) is
read off the fine nodes exactly (mean and σ of the piecewise-linear latent).

Robust option: iteratively re-weighted noise variances with a Tukey biweight on the residuals
standardised by their σ and a MAD scale of all of them (as TICOI does): pairs beyond 4.685 robust σ
get ~zero weight (redescending: a block of consistent bad pairs, e.g. long pairs matched on stable
ground, is rejected instead of being half-fitted). A redescending estimator keeps what its start
accepts, so the start must already follow the signal: the first weights compare the pairs of at most
180 days (TICOI's first pass; longer ones start rejected) with a running median of their values
(45 days, widened to the 15 nearest pairs in gaps), which follows a month-scale surge seen by many
consistent pairs. A first GP fit would not:
its smooth periodic part leaves the surge as residuals, and the surge pairs would be rejected for
good. Then the hyperparameters (periodic AND Matérn terms) are refitted with the weights and all pairs
re-weighted against that fit, three times.

The band: ``<c>_std`` is the posterior σ of the latent velocity (not of a new pair: the pairs' noise
``error² + σ_w²`` is what the fit discounts), at the fitted hyperparameters; lower/upper = mean ∓ 2σ.
Where pairs are dense it is narrow by design (many pairs average their noise out); it does not include
a bias common to all pairs (e.g. a neighbourhood median read off a velocity gradient).

Time is in years inside the models; dates are ``datetime64``; velocities in m/yr.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.linalg as sla
import scipy.optimize as sopt
import scipy.sparse as sp

from ..errors import InputError, ParameterError
from ..progress import Progress, ensure_progress
from ..ranges import GP_FIT_NODES, GP_MAX_NODES, GP_STEP_DAYS, check_pair_filters

YEAR_DAYS = 365.25
MODELS = ("interval", "midpoint")
COMPONENTS = ("v", "vx", "vy")
#: the robust fit starts from the pairs at most this long (days)
ROBUST_FIRST_DT = 180.0
#: width of the running median the robust fit starts from (days)
ROBUST_START_WINDOW = 45.0
#: ... widened to at least this many pairs
ROBUST_START_PAIRS = 15


@dataclass
class GPConfig:
    """Settings shared by the CLI, the Python API and the algorithms.

    model: ``"interval"`` (b, each pair = mean over its interval) or ``"midpoint"`` (a, the seed's).
    step_days: output grid step (days). start/end: output range (default: the data span).
    components: velocity components to regress (``v`` and optionally ``vx``, ``vy``).
    robust: Tukey-biweight re-weighting of the pairs.
    extrapolate: allow an output range reaching beyond the pairs (refused otherwise: the prior alone
    would fill those dates).
    """

    model: str = "interval"
    step_days: float = 1.0
    start: str | None = None
    end: str | None = None
    components: tuple[str, ...] = ("v",)
    robust: bool = False
    max_nodes: int = 800
    fit_nodes: int = 300
    seed: int = 0
    extrapolate: bool = False

    def validate(self) -> None:
        if self.model not in MODELS:
            raise ParameterError("MODEL", f"'{self.model}' is not one of {', '.join(MODELS)}")
        for allowed, value in ((GP_STEP_DAYS, self.step_days), (GP_MAX_NODES, self.max_nodes),
                               (GP_FIT_NODES, self.fit_nodes)):
            allowed.check(value)
        start, end = (_timestamp(v, k) for v, k in ((self.start, "START_DATE"), (self.end, "END_DATE")))
        if start is not None and end is not None and start >= end:
            raise ParameterError("START_DATE", f"{start.date()} is not before END_DATE {end.date()}; swap them")
        bad = [c for c in self.components if c not in COMPONENTS]
        if bad or not self.components:
            raise ParameterError("COMPONENTS", f"choose among {', '.join(COMPONENTS)}, got {bad or 'none'}")


def _timestamp(value, key: str) -> pd.Timestamp | None:
    if value is None or not str(value).strip():
        return None
    try:
        return pd.Timestamp(str(value).strip())
    except ValueError as exc:
        raise ParameterError(key, f"'{value}' is not a date; use YYYY-MM-DD") from exc


@dataclass
class GPFit:
    """Result of one regression: the prediction table and what was fitted."""

    table: pd.DataFrame  # date, <c>, <c>_std, <c>_lower, <c>_upper
    hyperparameters: dict = field(default_factory=dict)
    n_obs: int = 0
    n_downweighted: int = 0


# --------------------------------------------------------------------------------------------------
# reading series


_ITSLIVE_PY = re.compile(r"^\s*([A-Za-z_0-9]+)\s*(\[.*\])?\s*$")


def read_series_csv(path: str | Path) -> pd.DataFrame:
    """A point-series CSV (the itslive-py export format or this plugin's point-series table) as a
    DataFrame with ``mid_date, img1, img2, date_dt`` (days) and the velocity columns present
    (``v, v_error, vx, vx_error, vy, vy_error``), plus ``point_id``/``mission``/``satellite`` when present.

    itslive-py columns carry units (``v [m/yr]``, ``date_dt [days]``) and no acquisition dates:
    img1/img2 = mid_date ∓ date_dt/2.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    try:
        raw = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(path, f"not a readable CSV table ({exc})") from exc
    raw.columns = [(_ITSLIVE_PY.match(str(c)) or re.match(r"(.*)", str(c))).group(1).strip() for c in raw.columns]
    return normalise_series(raw, path)


def normalise_series(raw: pd.DataFrame, source: str | Path = "series") -> pd.DataFrame:
    """Check and complete a series table (see :func:`read_series_csv`); rows without ``v`` are dropped."""
    if "v" not in raw.columns:
        raise InputError(source, "velocity column missing (expected 'v' or 'v [m/yr]')", column="v")
    table = raw.copy()
    for name in ("mid_date", "img1", "img2"):
        if name in table.columns:
            table[name] = pd.to_datetime(table[name], errors="coerce")
            if table[name].isna().any():
                raise InputError(source, f"{int(table[name].isna().sum())} values are not dates", column=name)
    if "img1" not in table.columns or "img2" not in table.columns:
        if "mid_date" not in table.columns or "date_dt" not in table.columns:
            missing = "mid_date" if "mid_date" not in table.columns else "date_dt"
            raise InputError(source, "needed to place each pair in time (or give img1 and img2)", column=missing)
        half = pd.to_timedelta(pd.to_numeric(table["date_dt"], errors="coerce") / 2.0, unit="D")
        table["img1"] = table["mid_date"] - half
        table["img2"] = table["mid_date"] + half
    first = table[["img1", "img2"]].min(axis=1)
    table["img2"] = table[["img1", "img2"]].max(axis=1)
    table["img1"] = first
    table["date_dt"] = (table["img2"] - table["img1"]) / pd.Timedelta(days=1)
    if "mid_date" not in table.columns:
        table["mid_date"] = table["img1"] + (table["img2"] - table["img1"]) / 2
    for name in ("v", "v_error", "vx", "vx_error", "vy", "vy_error"):
        if name in table.columns:
            values = pd.to_numeric(table[name], errors="coerce")
            bad = values.isna() & table[name].notna()
            if bad.any():
                raise InputError(source, f"{int(bad.sum())} non-numeric values", column=name)
            table[name] = values.astype(float)
    table = table[table["v"].notna() & table["date_dt"].notna()]
    _refuse_invalid_pairs(table, source)
    return table.sort_values("mid_date").reset_index(drop=True)


def _refuse_invalid_pairs(table: pd.DataFrame, source) -> None:
    """Pairs a regression cannot use: infinite values, negative errors, no time between the two images."""
    for name in ("v", "vx", "vy", "v_error", "vx_error", "vy_error"):
        if name in table.columns:
            infinite = int(np.isinf(table[name].to_numpy(float)).sum())
            if infinite:
                raise InputError(source, f"{infinite} infinite values (inf); remove those rows", column=name)
            if name.endswith("_error") and (table[name] < 0).any():
                raise InputError(source, f"{int((table[name] < 0).sum())} negative errors; an error is a standard "
                                         "deviation (≥ 0): fix or remove those rows", column=name)
    flat = int((table["date_dt"] <= 0).sum())
    if flat:
        raise InputError(source, f"{flat} pairs with date_dt = 0 (img1 = img2): a velocity needs two different "
                                 "acquisition dates; remove those rows", column="date_dt")


# --------------------------------------------------------------------------------------------------
# kernels (time in years)


def _matern32(tau: np.ndarray, length: float) -> np.ndarray:
    r = np.sqrt(3.0) * np.abs(tau) / length
    return (1.0 + r) * np.exp(-r)


def _periodic(tau: np.ndarray, length: float, period: float = 1.0) -> np.ndarray:
    return np.exp(-2.0 * np.sin(np.pi * tau / period) ** 2 / length**2)


def _prior(nodes: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Prior covariance at the nodes; theta = log(σ_m, ℓ_m, σ_p, ℓ_p, σ_w)."""
    sm, lm, spp, lp, _ = np.exp(theta)
    tau = nodes[:, None] - nodes[None, :]
    return sm**2 * _matern32(tau, lm) + spp**2 * _periodic(tau, lp)


# --------------------------------------------------------------------------------------------------
# the discretised GP (both observation models)


def _hat_integral(u: np.ndarray) -> np.ndarray:
    """∫_{-∞}^{u} max(0, 1-|s|) ds."""
    c = np.clip(u, -1.0, 1.0)
    return np.where(c <= 0.0, 0.5 * (1.0 + c) ** 2, 1.0 - 0.5 * (1.0 - c) ** 2)


def averaging_operator(a: np.ndarray, b: np.ndarray, t0: float, h: float, m: int) -> sp.csr_matrix:
    """Sparse (n_obs × m) operator: row i = weights of the m nodes (t0 + j·h, piecewise-linear
    interpolation) in the exact mean of the interpolant over [a_i, b_i]. Zero-length intervals
    (a = b) give the interpolation weights at a."""
    ua = np.clip((a - t0) / h, 0.0, m - 1.0)
    ub = np.clip((b - t0) / h, 0.0, m - 1.0)
    lo = np.floor(ua).astype(np.int64)
    hi = np.minimum(np.ceil(ub).astype(np.int64) + 1, m - 1)
    lo = np.minimum(lo, hi)
    count = hi - lo + 1
    rows = np.repeat(np.arange(len(a)), count)
    cols = lo[rows] + (np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count))
    width = (ub - ua)[rows]
    rel_a, rel_b = ua[rows] - cols, ub[rows] - cols
    point = width < 1e-9
    weights = np.where(point, np.maximum(0.0, 1.0 - np.abs(rel_a)),
                       (_hat_integral(rel_b) - _hat_integral(rel_a)) / np.where(point, 1.0, width))
    return sp.csr_matrix((weights, (rows, cols)), shape=(len(a), m))


@dataclass
class _Whitened:
    chol_k: np.ndarray  # L with K = L Lᵀ (m × m)
    chol_p: np.ndarray  # R with P = I + Lᵀ G L = R Rᵀ
    z: np.ndarray  # R⁻¹ Lᵀ Aᵀ N⁻¹ y
    nll: float = np.nan
    grad: np.ndarray | None = None


def _kernel_derivatives(nodes: np.ndarray, theta: np.ndarray) -> list[np.ndarray]:
    """∂K/∂θ_k at the nodes for θ = log(σ_m, ℓ_m, σ_p, ℓ_p)."""
    sm, lm, spp, lp, _ = np.exp(theta)
    tau = nodes[:, None] - nodes[None, :]
    r = np.sqrt(3.0) * np.abs(tau) / lm
    km = sm**2 * (1.0 + r) * np.exp(-r)
    s2 = np.sin(np.pi * tau) ** 2
    kp = spp**2 * np.exp(-2.0 * s2 / lp**2)
    return [2.0 * km, sm**2 * r**2 * np.exp(-r), 2.0 * kp, kp * 4.0 * s2 / lp**2]


def _whitened(theta, A, y, err2, weights, nodes, mode="nll") -> _Whitened | None:
    """Factorisations for y ~ N(0, A K Aᵀ + N), N = diag((err² + σ_w²)/weights); with mode "nll" the
    negative log marginal likelihood, with "grad" also its gradient in θ. None when not positive definite."""
    m = len(nodes)
    K = _prior(nodes, theta)
    K[np.diag_indices(m)] += 1e-8 * max(K[0, 0], 1e-12)
    var = (err2 + np.exp(2 * theta[4])) / weights
    try:
        L = np.linalg.cholesky(K)
        inv_n = 1.0 / var
        G = (A.T @ A.multiply(inv_n[:, None])).toarray()
        P = L.T @ G @ L
        P[np.diag_indices(m)] += 1.0
        R = np.linalg.cholesky(P)
    except np.linalg.LinAlgError:
        return None
    c = L.T @ (A.T @ (y * inv_n))
    z = sla.solve_triangular(R, c, lower=True)
    out = _Whitened(L, R, z)
    if mode == "mean":
        return out
    quad = float(y @ (y * inv_n) - z @ z)
    logdet = float(np.log(var).sum() + 2.0 * np.log(np.diag(R)).sum())
    out.nll = 0.5 * (quad + logdet + len(y) * np.log(2.0 * np.pi))
    if mode == "grad":
        # d nll = ½ tr(C⁻¹ dC) − ½ αᵀ dC α with C = A K Aᵀ + N, α = C⁻¹ y (Woodbury in node space)
        alpha = inv_n * (y - A @ _node_mean(out))
        beta = A.T @ alpha
        S = sla.solve_triangular(R, L.T, lower=True)  # R⁻¹ Lᵀ
        T = S @ G
        M = G - T.T @ T  # Aᵀ C⁻¹ A
        grad = [0.5 * float(np.sum(M * dK) - beta @ dK @ beta) for dK in _kernel_derivatives(nodes, theta)]
        d = 2.0 * np.exp(2 * theta[4]) / weights  # ∂N/∂log σ_w
        H = (A.T @ A.multiply((d * inv_n**2)[:, None])).toarray()
        trace = float(np.sum(d * inv_n) - np.sum((S @ H) * S))
        grad.append(0.5 * (trace - float(np.sum(d * alpha**2))))
        out.grad = np.asarray(grad)
    return out


def _node_mean(w: _Whitened) -> np.ndarray:
    return w.chol_k @ sla.solve_triangular(w.chol_p, w.z, lower=True, trans="T")


def _nodes(t_lo: float, t_hi: float, n_max: int, h_max: float) -> tuple[float, float, int]:
    span = max(t_hi - t_lo, 1e-6)
    h = max(min(h_max, span / 2.0), span / (n_max - 1))
    m = int(np.ceil(span / h)) + 1
    return t_lo, h, m


def _tukey_weights(resid: np.ndarray, var: np.ndarray, c: float = 4.685) -> np.ndarray:
    """Tukey biweight on residuals standardised by their noise σ and a MAD scale of ALL of them (as
    TICOI does, breakdown point 50 %): pairs beyond c robust σ get (almost) zero weight. A scale from
    the currently accepted pairs only would shrink at every pass and reject ever more good pairs."""
    u = resid / np.sqrt(var)
    scale = 1.4826 * np.median(np.abs(u - np.median(u))) or 1.0
    e = u / scale
    return np.maximum(np.where(np.abs(e) < c, (1.0 - (e / c) ** 2) ** 2, 0.0), 1e-6)


def _median_start_weights(t_mid: np.ndarray, y: np.ndarray, err2: np.ndarray, use: np.ndarray) -> np.ndarray:
    """Tukey weights of the pairs ``use`` against a centred running median of their values at their
    mid-dates (other pairs: weight 1). The window is :data:`ROBUST_START_WINDOW` days, widened to the
    :data:`ROBUST_START_PAIRS` nearest pairs where that holds fewer, so that a lone bad pair in a gap
    (polar night) is not its own reference. A start that follows a real month-scale change seen by
    many consistent pairs (a surge) while a minority of gross outliers cannot move it."""
    order = np.flatnonzero(use)[np.argsort(t_mid[use], kind="stable")]
    values = pd.Series(y[order], index=pd.to_datetime(t_mid[order] * YEAR_DAYS, unit="D"))
    by_time = values.rolling(pd.Timedelta(days=ROBUST_START_WINDOW), center=True)
    by_count = values.reset_index(drop=True).rolling(ROBUST_START_PAIRS, center=True, min_periods=1).median()
    median = np.where(by_time.count().to_numpy() >= ROBUST_START_PAIRS, by_time.median().to_numpy(),
                      by_count.to_numpy())
    floor = 1e-3 * max(float(np.median(err2[order])), 1e-12)  # errors may be missing (0)
    weights = np.ones_like(y)
    weights[order] = _tukey_weights(y[order] - median, err2[order] + floor)
    return weights


def _reweight(theta, A, y, err2, weights, nodes, passes: int, progress: Progress):
    """Robust IRLS at fixed hyperparameters; returns the weights and the last factorisation."""
    var = err2 + np.exp(2 * theta[4])
    for _ in range(passes):
        progress.check()
        w = _whitened(theta, A, y, err2, weights, nodes, mode="mean")
        new = _tukey_weights(y - A @ _node_mean(w), var)
        done = np.max(np.abs(new - weights)) < 1e-3
        weights = new
        if done:
            break
    return weights


def _fit(a, b, y, err2, t_lo, t_hi, cfg: GPConfig, progress: Progress):
    """Both models (midpoint: a = b): returns (node times, node mean, Q with node covariance Q Qᵀ, θ, weights)."""
    # hyperparameters on coarse nodes
    t0, h_fit, m_fit = _nodes(t_lo, t_hi, cfg.fit_nodes, 30.0 / YEAR_DAYS)
    nodes_fit = t0 + h_fit * np.arange(m_fit)
    A_fit = averaging_operator(a, b, t0, h_fit, m_fit)
    # robust: start from the pairs ≤ ROBUST_FIRST_DT days (TICOI's first pass), so that a block of bad
    # long pairs cannot pull the first solution towards itself; then re-weight all pairs against it
    short = (b - a) * YEAR_DAYS <= ROBUST_FIRST_DT
    weights = np.ones_like(y)
    if cfg.robust and short.sum() >= 10:
        weights = np.where(short, _median_start_weights(0.5 * (a + b), y, err2, short), 1e-6)
    theta = np.log([0.7, 0.25, 0.5, 1.0, 0.3])
    bounds = [(np.log(0.01), np.log(20.0)), (np.log(max(2 * h_fit, 10 / YEAR_DAYS)), np.log(30.0)),
              (np.log(1e-3), np.log(20.0)), (np.log(0.2), np.log(10.0)), (np.log(1e-3), np.log(10.0))]

    def objective(th):
        progress.check()  # a fit is ~50 evaluations: cancel within one
        w = _whitened(th, A_fit, y, err2, weights, nodes_fit, mode="grad")
        return (1e25, np.zeros_like(th)) if w is None else (w.nll, w.grad)

    passes = 3 if cfg.robust else 1
    for k in range(passes):
        progress.check()
        theta = sopt.minimize(objective, theta, jac=True, method="L-BFGS-B", bounds=bounds,
                              options={"maxiter": 80}).x
        progress.report((k + 1) / (passes + 1), "GP: fitting hyperparameters")
        if cfg.robust:
            weights = _reweight(theta, A_fit, y, err2, weights, nodes_fit, 10, progress)
    # final solve on fine nodes
    t0, h, m = _nodes(t_lo, t_hi, cfg.max_nodes, cfg.step_days / YEAR_DAYS)
    nodes = t0 + h * np.arange(m)
    A = averaging_operator(a, b, t0, h, m)
    if cfg.robust:
        weights = _reweight(theta, A, y, err2, weights, nodes, 3, progress)
    w = _whitened(theta, A, y, err2, weights, nodes, mode="mean")
    if w is None:
        raise ParameterError("GP", "the prior covariance is not positive definite at the chosen nodes")
    Q = sla.solve_triangular(w.chol_p, w.chol_k.T, lower=True).T  # node covariance = Q Qᵀ
    return nodes, _node_mean(w), Q, theta, weights


def _interpolate_nodes(t: np.ndarray, nodes: np.ndarray, mean: np.ndarray, Q: np.ndarray):
    """Mean and σ of the piecewise-linear latent at times t (in slices: memory stays ~ slice × nodes)."""
    h = nodes[1] - nodes[0]
    u = np.clip((t - nodes[0]) / h, 0.0, len(nodes) - 1.0)
    j0 = np.minimum(np.floor(u).astype(np.int64), len(nodes) - 2)
    f = u - j0
    mu = (1 - f) * mean[j0] + f * mean[j0 + 1]
    sigma = np.empty(len(t))
    for s in range(0, len(t), 4096):
        part = slice(s, s + 4096)
        rows = (1 - f[part])[:, None] * Q[j0[part]] + f[part][:, None] * Q[j0[part] + 1]
        sigma[part] = np.sqrt(np.einsum("ij,ij->i", rows, rows))
    return mu, sigma


# --------------------------------------------------------------------------------------------------
# entry points


def _years(times: pd.Series | np.ndarray, origin: np.datetime64) -> np.ndarray:
    return (np.asarray(times, dtype="datetime64[ns]") - origin) / np.timedelta64(1, "D") / YEAR_DAYS


def output_dates(series: pd.DataFrame, cfg: GPConfig) -> pd.DatetimeIndex:
    """The output grid: every ``step_days`` from start (default: first img1) to end (default: last img2)."""
    first, last = series["img1"].min().floor("D"), series["img2"].max().ceil("D")
    start = _timestamp(cfg.start, "START_DATE") or first
    end = _timestamp(cfg.end, "END_DATE") or last
    if start >= end:
        raise ParameterError("START_DATE", f"start {start.date()} is not before end {end.date()}")
    dates = pd.date_range(start, end, freq=pd.Timedelta(days=cfg.step_days))
    outside = int(((dates < first) | (dates > last)).sum())
    if outside and not cfg.extrapolate:
        key = "START_DATE" if start < first else "END_DATE"
        raise ParameterError(key, f"the output {start.date()}…{end.date()} reaches beyond the pairs "
                                  f"({first.date()}…{last.date()}): {outside} of {len(dates)} dates would be "
                                  "extrapolated by the prior alone; choose dates inside the pairs or set EXTRAPOLATE")
    return dates


def regress_component(series: pd.DataFrame, component: str, cfg: GPConfig,
                      progress: Progress | None = None) -> GPFit:
    """GP regression of one component (``v``, ``vx`` or ``vy``) of a normalised series
    (:func:`normalise_series`). Returns the table ``date, <c>, <c>_std, <c>_lower, <c>_upper``
    (lower/upper = mean ∓ 2σ of the latent velocity, m/yr; see the module docstring for the band)."""
    progress = ensure_progress(progress)
    cfg.validate()
    if component not in series.columns:
        raise InputError("series", "component missing", column=component)
    data = series[series[component].notna()]
    if len(data) < 5:
        raise InputError("series", f"only {len(data)} observations: at least 5 are needed for a GP",
                         column=component)
    dates = output_dates(data, cfg)
    origin = np.datetime64(dates[0], "ns")
    y_raw = data[component].to_numpy(float)
    shift, scale = float(np.mean(y_raw)), float(np.std(y_raw)) or 1.0
    y = (y_raw - shift) / scale
    err_col = f"{component}_error"
    err = data[err_col].to_numpy(float) if err_col in data.columns else np.zeros(len(data))
    err2 = np.nan_to_num(err, nan=0.0) ** 2 / scale**2
    t_grid = _years(dates, origin)
    a, b = _years(data["img1"], origin), _years(data["img2"], origin)
    if cfg.model == "midpoint":
        a = b = 0.5 * (a + b)
    t_lo, t_hi = min(a.min(), t_grid[0]), max(b.max(), t_grid[-1])
    nodes, node_mean, Q, theta, weights = _fit(a, b, y, err2, t_lo, t_hi, cfg, progress)
    mean, std = _interpolate_nodes(t_grid, nodes, node_mean, Q)
    names = ("matern_sigma", "matern_length_yr", "periodic_sigma", "periodic_length", "extra_noise_sigma")
    hyper = {k: v * (scale if k.endswith("sigma") else 1.0)
             for k, v in zip(names, np.exp(theta).tolist(), strict=True)}
    hyper["node_spacing_days"] = float((nodes[1] - nodes[0]) * YEAR_DAYS)
    downweighted = int((weights < 0.5).sum())
    mean = mean * scale + shift
    std = std * scale
    table = pd.DataFrame({"date": dates, component: mean, f"{component}_std": std,
                          f"{component}_lower": mean - 2 * std, f"{component}_upper": mean + 2 * std})
    return GPFit(table, hyper, len(data), downweighted)


def regress_series(series: pd.DataFrame, cfg: GPConfig, progress: Progress | None = None) -> tuple[pd.DataFrame, dict]:
    """GP regression of every component in ``cfg.components``; one table (date + per-component
    mean, std, lower, upper) and a dict component → :class:`GPFit`."""
    progress = ensure_progress(progress)
    cfg.validate()
    fits = {}
    table = None
    for i, component in enumerate(cfg.components):
        sub = progress.sub(i / len(cfg.components), (i + 1) / len(cfg.components))
        sub.report(0.0, f"GP regression of {component}")
        fits[component] = regress_component(series, component, cfg, sub)
        part = fits[component].table
        table = part if table is None else table.merge(part, on="date")
    return table, fits


def regress_points(series: pd.DataFrame, cfg: GPConfig, progress: Progress | None = None,
                   id_column: str = "point_id") -> tuple[pd.DataFrame, list[tuple[str, pd.DataFrame, pd.DataFrame]]]:
    """:func:`regress_series` for every point of a (multi-point) series table.

    Returns the long prediction table (``point_id`` first when the input has one) and the plot panels
    ``(title, observations, prediction)`` for :func:`.plots.plot_gp`.
    """
    progress = ensure_progress(progress)
    cfg.validate()
    if id_column in series.columns:
        groups = list(series.groupby(id_column, sort=True))
    else:
        groups = [(None, series)]
    tables, panels = [], []
    for k, (pid, points) in enumerate(groups):
        progress.check()
        sub = progress.sub(k / len(groups), (k + 1) / len(groups))
        table, fits = regress_series(points, cfg, sub)
        title = f"{'' if pid is None else f'point {pid}: '}{len(points)} pairs, {cfg.model} model" + (
            ", robust" if cfg.robust else "")
        if pid is not None:
            table.insert(0, id_column, pid)
        tables.append(table)
        panels.append((title, points, table))
    return pd.concat(tables, ignore_index=True), panels


MAX_PLOT_PANELS = 12


def gp_from_table(series: pd.DataFrame, cfg: GPConfig, min_dt: float | None = None, max_dt: float | None = None,
                  progress: Progress | None = None) -> tuple[pd.DataFrame, list]:
    """The GP entry point of the CLI and the algorithms: optional date_dt filter (days), then a
    regression per point. Returns the prediction table and the plot panels (see :func:`regress_points`)."""
    check_pair_filters(min_dt, max_dt)
    keep = np.ones(len(series), dtype=bool)
    if min_dt is not None:
        keep &= (series["date_dt"] >= min_dt).to_numpy()
    if max_dt is not None:
        keep &= (series["date_dt"] <= max_dt).to_numpy()
    return regress_points(series[keep], cfg, progress)


def write_gp_plot(panels: list, path: str | Path, component: str = "v", progress: Progress | None = None) -> Path:
    """The GP plot (PNG/SVG from the suffix) of the first :data:`MAX_PLOT_PANELS` points."""
    from .plots import plot_gp

    if len(panels) > MAX_PLOT_PANELS:
        ensure_progress(progress).warn(f"the plot shows the first {MAX_PLOT_PANELS} of {len(panels)} points")
    return plot_gp(panels[:MAX_PLOT_PANELS], path, component)
