"""Gaussian-process regression of an ITS_LIVE point series: a latent velocity with mean and ±2σ band.

Kernel: g(t)g(t')·σ_m²·Matérn-3/2(ℓ_m) + σ_p²·ExpSineSquared(ℓ_p, period 1 yr) on decimal years and
normalised velocities (ITS_LIVE_TOOL's kernel, with a time-varying amplitude g of the Matérn
term, "the envelope"); per-pair noise variance ``(s·error)² + σ_w²`` (a fitted scale s on the stated
errors and a learned white term σ_w); hyperparameters by maximising the marginal likelihood. Two
observation models:

- ``"midpoint"`` (a), ITS_LIVE_TOOL's: each pair is a noisy sample of the latent velocity at its mid_date.
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
on log-parameters, in two stages: the stationary kernel on 30-day nodes, then with the envelope on
10-day nodes (≤ ``fit_nodes``); the output grid (daily by default) is read off the fine nodes exactly
(mean and σ of the piecewise-linear latent).

Why the envelope: a stationary kernel has one amplitude for all times, and a surge (ITS_LIVE series
hold them: ±1,500 m/yr within weeks) forces it to ±300 m/yr on 3-month scales everywhere; in a data
gap (polar night, after Sentinel-1B) the mean then swings ±50 m/yr to absorb the misfit of the annual
pairs spanning the gap. The log-amplitude log g is piecewise linear on knots every 60 days, fitted with
the other hyperparameters under a random-walk prior (steps of σ 1 per knot, σ 2 around 1): it rises
around a surge and stays low where the velocity follows its seasonal cycle, gaps included.

Stated errors: for the speed, the error is projected from the vx/vy errors when the pair has them
(:func:`.series_table.stated_errors`); on the generated cube its standardised residuals have σ 0.98–1.07 and the
fitted scale s is 0.95–1.05.

Robust fit (the default): Tukey biweight on the residuals standardised by their σ and a MAD scale of
all of them (as TICOI does): pairs beyond 4.685 robust σ get zero weight (redescending: a block of
consistent bad pairs, e.g. long pairs matched on stable ground, is rejected instead of being
half-fitted). A redescending estimator keeps what its start accepts, so the start must already follow
the signal: the first weights compare the pairs of at most 180 days (TICOI's first pass; longer ones
start rejected) with a running median of their values (45 days, widened to the 15 nearest pairs in
gaps), which follows a month-scale surge seen by many consistent pairs. A first GP fit would not: its
smooth periodic part leaves the surge as residuals, and the surge pairs would be rejected for good.
The weights only accept (≥ 0.1, i.e. within ~3.9 robust σ) or reject a pair: an accepted pair keeps its
stated noise, so that the band stays calibrated. They are recomputed after each hyperparameter stage.

The band: ``<c>_std`` is the posterior σ of the latent velocity (not of a new pair: the pairs' noise is
what the fit discounts), at the fitted hyperparameters; lower/upper = mean ∓ 2σ. Where pairs are dense
it is narrow by design (many pairs average their noise out); it does not include a bias common to all
pairs (e.g. a neighbourhood median read off a velocity gradient).

Time is in years inside the models; dates are ``datetime64``; velocities in m/yr.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.linalg as sla
import scipy.optimize as sopt
import scipy.sparse as sp

from ...errors import InputError, ParameterError
from ...progress import Progress, ensure_progress
from ...timeutil import parse_date
from .config import COMPONENTS, MODELS, GPConfig, timestamp  # noqa: F401  (re-exported: the API keeps them here)
from .series_table import filter_pair_lengths, stated_errors

YEAR_DAYS = 365.25
#: the robust fit starts from the pairs at most this long (days)
ROBUST_FIRST_DT = 180.0
#: width of the running median the robust fit starts from (days)
ROBUST_START_WINDOW = 45.0
#: ... widened to at least this many pairs
ROBUST_START_PAIRS = 15
#: a robust weight at least this accepts a pair (Tukey weight 0.1 = 3.9 robust σ)
ACCEPT_WEIGHT = 0.1
#: node spacing (days) of the two hyperparameter stages: stationary kernel, then with the envelope
COARSE_NODE_DAYS = 30.0
FIT_NODE_DAYS = 10.0
#: envelope knots: spacing (days), most knots, prior σ of a step between knots and around 0
ENVELOPE_KNOT_DAYS = 60.0
MAX_ENVELOPE_KNOTS = 60
ENVELOPE_STEP_SD = 1.0
ENVELOPE_SD = 2.0
ENVELOPE_MAX_LENGTH = 1.0


@dataclass
class GPFit:
    """Result of one regression: the prediction table and what was fitted."""

    table: pd.DataFrame  # date, <c>, <c>_std, <c>_lower, <c>_upper
    hyperparameters: dict = field(default_factory=dict)
    n_obs: int = 0
    n_downweighted: int = 0
    #: robust weight of each pair used (index of the series' rows; below ACCEPT_WEIGHT: rejected; all 1
    #: when not robust)
    pair_weight: pd.Series | None = None


# --------------------------------------------------------------------------------------------------
# kernels (time in years)


#: θ = log(σ_m, ℓ_m, σ_p, ℓ_p, σ_w, s) followed by the envelope's log-amplitudes c at its knots
N_SCALAR = 6


@dataclass(frozen=True)
class _Nodes:
    """Node times (years) and the hat basis (m × k) of the envelope knots: the Matérn term's
    log-amplitude at the nodes is ``basis @ c``."""

    times: np.ndarray
    basis: np.ndarray


def _node_grid(t0: float, h: float, m: int, t_lo: float, t_hi: float, envelope: bool = True) -> _Nodes:
    """The m nodes t0 + j·h and the envelope's knots spread evenly over [t_lo, t_hi] (none without it)."""
    times = t0 + h * np.arange(m)
    k = int(np.clip(np.ceil((t_hi - t_lo) * YEAR_DAYS / ENVELOPE_KNOT_DAYS) + 1, 2, MAX_ENVELOPE_KNOTS))
    knots = np.linspace(t_lo, t_hi, k)
    u = np.clip((times - t_lo) / (knots[1] - knots[0]), 0.0, k - 1.0)
    basis = np.maximum(0.0, 1.0 - np.abs(u[:, None] - np.arange(k)[None, :]))
    return _Nodes(times, basis if envelope else basis[:, :0])


def _kernel_terms(nodes: _Nodes, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The Matérn-3/2 term (with its envelope), the periodic term, and r = √3|τ|/ℓ_m, sin²(πτ)."""
    sm, lm, spp, lp = np.exp(theta[:4])
    tau = nodes.times[:, None] - nodes.times[None, :]
    r = np.sqrt(3.0) * np.abs(tau) / lm
    g = sm * np.exp(nodes.basis @ theta[N_SCALAR:])
    km = np.outer(g, g) * (1.0 + r) * np.exp(-r)
    s2 = np.sin(np.pi * tau) ** 2
    kp = spp**2 * np.exp(-2.0 * s2 / lp**2)
    return km, kp, r, s2


def _prior(nodes: _Nodes, theta: np.ndarray) -> np.ndarray:
    """Prior covariance at the nodes: envelope² · σ_m² Matérn-3/2(ℓ_m) + σ_p² ExpSineSquared(ℓ_p, 1 yr)."""
    km, kp, _, _ = _kernel_terms(nodes, theta)
    return km + kp


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
    weights = np.where(
        point,
        np.maximum(0.0, 1.0 - np.abs(rel_a)),
        (_hat_integral(rel_b) - _hat_integral(rel_a)) / np.where(point, 1.0, width),
    )
    return sp.csr_matrix((weights, (rows, cols)), shape=(len(a), m))


@dataclass
class _Whitened:
    chol_k: np.ndarray  # L with K = L Lᵀ (m × m)
    chol_p: np.ndarray  # R with P = I + Lᵀ G L = R Rᵀ
    z: np.ndarray  # R⁻¹ Lᵀ Aᵀ N⁻¹ y
    nll: float = np.nan
    grad: np.ndarray | None = None


def _pair_variance(theta: np.ndarray, err2: np.ndarray) -> np.ndarray:
    """Noise variance of each pair before robust weighting: (s·σ_stated)² + σ_w²."""
    return np.exp(2 * theta[5]) * err2 + np.exp(2 * theta[4])


def _whitened(
    theta: np.ndarray,
    A: sp.csr_matrix,  # the operator's name in the formulas
    y: np.ndarray,
    err2: np.ndarray,
    weights: np.ndarray,
    nodes: _Nodes,
    mode: str = "nll",
) -> _Whitened | None:
    """Factorisations for y ~ N(0, A K Aᵀ + N), N = diag(((s·σ)² + σ_w²)/weights); with mode "nll" the
    negative log marginal likelihood, with "grad" also its gradient in θ. None when not positive definite."""
    m = len(nodes.times)
    km, kp, r, s2 = _kernel_terms(nodes, theta)
    K = km + kp
    K[np.diag_indices(m)] += 1e-8 * max(K[0, 0], 1e-12)
    var = _pair_variance(theta, err2) / weights
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
        S = sla.solve_triangular(R, L.T, lower=True)  # R⁻¹ Lᵀ, so that L P⁻¹ Lᵀ = Sᵀ S
        T = S @ G
        M = G - T.T @ T  # Aᵀ C⁻¹ A
        _, lp = np.exp(theta[2:4])
        derivatives = (2.0 * km, km * r**2 / (1.0 + r), 2.0 * kp, kp * 4.0 * s2 / lp**2)  # ∂K/∂θ_0..3
        grad = [0.5 * float(np.sum(M * dK) - beta @ dK @ beta) for dK in derivatives]
        rows = np.asarray(A @ S.T)  # row i: S Aᵀ eᵢ
        inv_c_diag = inv_n - inv_n**2 * np.einsum("ij,ij->i", rows, rows)  # diag(C⁻¹)
        for d in (
            2.0 * np.exp(2 * theta[4]) / weights,
            2.0 * np.exp(2 * theta[5]) * err2 / weights,
        ):  # ∂N/∂log σ_w, s
            grad.append(0.5 * float(np.sum(d * inv_c_diag) - np.sum(d * alpha**2)))
        # ∂K/∂c_k = diag(b_k) Km + Km diag(b_k) (b_k: column k of the basis), hence these cheap forms
        envelope = nodes.basis.T @ (np.sum(M * km, axis=1) - beta * (km @ beta))
        out.grad = np.concatenate([grad, envelope])
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
    median = np.where(
        by_time.count().to_numpy() >= ROBUST_START_PAIRS, by_time.median().to_numpy(), by_count.to_numpy()
    )
    floor = 1e-3 * max(float(np.median(err2[order])), 1e-12)  # errors may be missing (0)
    weights = np.ones_like(y)
    weights[order] = _tukey_weights(y[order] - median, err2[order] + floor)
    return weights


def _envelope_penalty(c: np.ndarray) -> tuple[float, np.ndarray]:
    """Negative log prior of the envelope's log-amplitudes: a random walk between knots (steps of
    σ ENVELOPE_STEP_SD) around 0 (σ ENVELOPE_SD); value and gradient."""
    step = np.diff(c) / ENVELOPE_STEP_SD**2
    grad = c / ENVELOPE_SD**2
    grad[:-1] -= step
    grad[1:] += step
    return 0.5 * float(np.sum(np.diff(c) * step) + np.sum(c**2) / ENVELOPE_SD**2), grad


def _accepted(weights: np.ndarray) -> np.ndarray:
    """The Tukey weights as accept (1) / reject (~0): an accepted pair keeps its stated noise. Using
    the weights themselves as variance factors inflates the noise of good pairs with larger residuals,
    the fitted error scale then shrinks (≈ 0.87 for Gaussian noise) and the band is ~10 % too narrow."""
    return np.where(weights >= ACCEPT_WEIGHT, 1.0, 1e-6)


def _reweight(
    theta: np.ndarray,
    A: sp.csr_matrix,  # the operator's name in the formulas
    y: np.ndarray,
    err2: np.ndarray,
    weights: np.ndarray,
    nodes: _Nodes,
    passes: int,
    progress: Progress,
) -> np.ndarray:
    """Robust IRLS at fixed hyperparameters; returns the weights and the last factorisation."""
    var = _pair_variance(theta, err2)
    for _ in range(passes):
        progress.check()
        w = _whitened(theta, A, y, err2, _accepted(weights), nodes, mode="mean")
        new = _tukey_weights(y - A @ _node_mean(w), var)
        done = np.max(np.abs(new - weights)) < 1e-3
        weights = new
        if done:
            break
    return weights


@dataclass
class _Stage:
    """One node set of the fit: the nodes (with or without the envelope) and their averaging operator."""

    nodes: _Nodes
    A: sp.csr_matrix

    @classmethod
    def build(
        cls,
        a: np.ndarray,
        b: np.ndarray,
        t_lo: float,
        t_hi: float,
        n_max: int,
        h_max_days: float,
        envelope: bool,
    ) -> _Stage:
        t0, h, m = _nodes(t_lo, t_hi, n_max, h_max_days / YEAR_DAYS)
        return cls(_node_grid(t0, h, m, t_lo, t_hi, envelope), averaging_operator(a, b, t0, h, m))


def _hyper_bounds(stage: _Stage) -> list[tuple[float, float]]:
    """Bounds of θ: ℓ_m at least two node spacings (and 10 days), the envelope within e^-6 … e^5."""
    h = stage.nodes.times[1] - stage.nodes.times[0]
    longest = ENVELOPE_MAX_LENGTH if stage.nodes.basis.shape[1] else 30.0
    return [
        (np.log(0.01), np.log(20.0)),
        (np.log(max(2 * h, 10 / YEAR_DAYS)), np.log(longest)),
        (np.log(1e-3), np.log(20.0)),
        (np.log(0.2), np.log(10.0)),
        (np.log(1e-3), np.log(10.0)),
        (np.log(0.2), np.log(5.0)),
    ] + [(-6.0, 5.0)] * stage.nodes.basis.shape[1]


def _fit_hyperparameters(
    stage: _Stage, y: np.ndarray, err2: np.ndarray, weights: np.ndarray, theta: np.ndarray, progress: Progress
) -> np.ndarray:
    """θ maximising the marginal likelihood (plus the envelope's prior) from ``theta``, L-BFGS-B with
    the analytic gradient; stops at a relative change of 1e-6 (1e-3 nats on ~1,000 pairs)."""
    accepted = _accepted(weights)

    def objective(th: np.ndarray) -> tuple[float, np.ndarray]:
        progress.check()  # a fit is ~50–100 evaluations: cancel within one
        w = _whitened(th, stage.A, y, err2, accepted, stage.nodes, mode="grad")
        if w is None:
            return 1e25, np.zeros_like(th)
        penalty, gradient = _envelope_penalty(th[N_SCALAR:])
        return w.nll + penalty, w.grad + np.concatenate([np.zeros(N_SCALAR), gradient])

    return sopt.minimize(
        objective,
        theta,
        jac=True,
        method="L-BFGS-B",
        bounds=_hyper_bounds(stage),
        options={"maxiter": 200, "ftol": 1e-6},
    ).x


def _fit(
    a: np.ndarray,
    b: np.ndarray,
    y: np.ndarray,
    err2: np.ndarray,
    t_lo: float,
    t_hi: float,
    cfg: GPConfig,
    progress: Progress,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Both models (midpoint: a = b): returns (node times, node mean, Q with node covariance Q Qᵀ, θ, weights).

    Two stages: the stationary kernel on coarse nodes (30 days: quick, and what the robust weights are
    first computed against), then the kernel with its envelope on the fit nodes (10 days, to resolve a
    surge), started from the first; the robust weights are recomputed after each. The output is read
    off the fine nodes at the final θ and weights."""
    # robust: start from the pairs ≤ ROBUST_FIRST_DT days (TICOI's first pass), so that a block of bad
    # long pairs cannot pull the first solution towards itself; then re-weight all pairs against it
    short = (b - a) * YEAR_DAYS <= ROBUST_FIRST_DT
    weights = np.ones_like(y)
    if cfg.robust and short.sum() >= 10:
        weights = np.where(short, _median_start_weights(0.5 * (a + b), y, err2, short), 1e-6)
    theta = np.log([0.7, 0.25, 0.5, 1.0, 0.1, 1.0])
    stages = (
        _Stage.build(a, b, t_lo, t_hi, cfg.fit_nodes, COARSE_NODE_DAYS, envelope=False),
        _Stage.build(a, b, t_lo, t_hi, cfg.fit_nodes, FIT_NODE_DAYS, envelope=True),
    )
    for k, stage in enumerate(stages):
        progress.check()
        theta = np.concatenate([theta[:N_SCALAR], np.zeros(stage.nodes.basis.shape[1])])
        theta = _fit_hyperparameters(stage, y, err2, weights, theta, progress)
        progress.report((k + 1) / (len(stages) + 1), "GP: fitting hyperparameters")
        if cfg.robust:
            weights = _reweight(theta, stage.A, y, err2, weights, stage.nodes, 10, progress)
    fine = _Stage.build(a, b, t_lo, t_hi, cfg.max_nodes, cfg.step_days, envelope=True)
    w = _whitened(theta, fine.A, y, err2, _accepted(weights), fine.nodes, mode="mean")
    if w is None:
        raise ParameterError("GP", "the prior covariance is not positive definite at the chosen nodes")
    Q = sla.solve_triangular(w.chol_p, w.chol_k.T, lower=True).T  # node covariance = Q Qᵀ
    return fine.nodes.times, _node_mean(w), Q, theta, weights


def _interpolate_nodes(
    t: np.ndarray,
    nodes: np.ndarray,
    mean: np.ndarray,
    Q: np.ndarray,  # node covariance = Q Qᵀ, as in the formulas
) -> tuple[np.ndarray, np.ndarray]:
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
    start = parse_date(cfg.start, "START_DATE") or first
    end = parse_date(cfg.end, "END_DATE") or last
    if start >= end:
        raise ParameterError("START_DATE", f"start {start.date()} is not before end {end.date()}")
    dates = pd.date_range(start, end, freq=pd.Timedelta(days=cfg.step_days))
    outside = int(((dates < first) | (dates > last)).sum())
    if outside and not cfg.extrapolate:
        key = "START_DATE" if start < first else "END_DATE"
        raise ParameterError(
            key,
            f"the output {start.date()}…{end.date()} reaches beyond the pairs "
            f"({first.date()}…{last.date()}): {outside} of {len(dates)} dates would be "
            "extrapolated by the prior alone; choose dates inside the pairs or set EXTRAPOLATE",
        )
    return dates


def regress_component(
    series: pd.DataFrame, component: str, cfg: GPConfig, progress: Progress | None = None
) -> GPFit:
    """GP regression of one component (``v``, ``vx`` or ``vy``) of a normalised series
    (:func:`.series_table.normalise_series`). Returns the table ``date, <c>, <c>_std, <c>_lower, <c>_upper``
    (lower/upper = mean ∓ 2σ of the latent velocity, m/yr; see the module docstring for the band)."""
    progress = ensure_progress(progress)
    cfg.validate()
    if component not in series.columns:
        raise InputError("series", "component missing", column=component)
    data = series[series[component].notna()]
    if len(data) < 5:
        raise InputError(
            "series", f"only {len(data)} observations: at least 5 are needed for a GP", column=component
        )
    dates = output_dates(data, cfg)
    origin = np.datetime64(dates[0], "ns")
    y_raw = data[component].to_numpy(float)
    shift, scale = float(np.mean(y_raw)), float(np.std(y_raw)) or 1.0
    y = (y_raw - shift) / scale
    err2 = stated_errors(data, component) ** 2 / scale**2
    t_grid = _years(dates, origin)
    a, b = _years(data["img1"], origin), _years(data["img2"], origin)
    if cfg.model == "midpoint":
        a = b = 0.5 * (a + b)
    t_lo, t_hi = min(a.min(), t_grid[0]), max(b.max(), t_grid[-1])
    nodes, node_mean, Q, theta, weights = _fit(a, b, y, err2, t_lo, t_hi, cfg, progress)
    mean, std = _interpolate_nodes(t_grid, nodes, node_mean, Q)
    names = (
        "matern_sigma",
        "matern_length_yr",
        "periodic_sigma",
        "periodic_length",
        "extra_noise_sigma",
        "error_scale",
    )
    hyper = {
        k: v * (scale if k.endswith("sigma") else 1.0)
        for k, v in zip(names, np.exp(theta[:N_SCALAR]).tolist(), strict=True)
    }
    if len(theta) > N_SCALAR:
        hyper["envelope_min"], hyper["envelope_max"] = np.exp(
            [theta[N_SCALAR:].min(), theta[N_SCALAR:].max()]
        )
    hyper["node_spacing_days"] = float((nodes[1] - nodes[0]) * YEAR_DAYS)
    downweighted = int((weights < ACCEPT_WEIGHT).sum())
    mean = mean * scale + shift
    std = std * scale
    table = pd.DataFrame(
        {
            "date": dates,
            component: mean,
            f"{component}_std": std,
            f"{component}_lower": mean - 2 * std,
            f"{component}_upper": mean + 2 * std,
        }
    )
    return GPFit(table, hyper, len(data), downweighted, pd.Series(weights, index=data.index))


def regress_series(
    series: pd.DataFrame, cfg: GPConfig, progress: Progress | None = None
) -> tuple[pd.DataFrame, dict]:
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


def regress_points(
    series: pd.DataFrame, cfg: GPConfig, progress: Progress | None = None, id_column: str = "point_id"
) -> tuple[pd.DataFrame, list[tuple[str, pd.DataFrame, pd.DataFrame]]]:
    """:func:`regress_series` for every point of a (multi-point) series table.

    Returns the long prediction table (``point_id`` first when the input has one) and the plot panels
    ``(title, observations, prediction)`` for :func:`.plots.plot_gp`; the observations carry each
    component's robust weights as ``<component>_pair_weight``.
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
            ", robust" if cfg.robust else ""
        )
        if pid is not None:
            table.insert(0, id_column, pid)
        tables.append(table)
        # the plot marks the pairs the robust fit rejected (NaN: no value of that component)
        points = points.assign(**{f"{c}_pair_weight": fit.pair_weight for c, fit in fits.items()})
        panels.append((title, points, table))
    return pd.concat(tables, ignore_index=True), panels


def gp_from_table(
    series: pd.DataFrame, cfg: GPConfig, progress: Progress | None = None
) -> tuple[pd.DataFrame, list]:
    """The GP entry point of the CLI and the algorithms: the pairs within ``cfg.min_dt``/``cfg.max_dt``
    (days), then a regression per point. Returns the prediction table and the plot panels (see
    :func:`regress_points`)."""
    return regress_points(filter_pair_lengths(series, cfg.min_dt, cfg.max_dt), cfg, progress)
