"""λ chosen from the data by generalised cross-validation on a sample of pixels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import minimize_scalar

from ...errors import InputError
from ...progress import Progress, ensure_progress
from .config import YEAR_DAYS, InversionConfig
from .design import PairDesign, difference_matrix
from .problem import _Problem, _problem, _residuals
from .robust import tukey_weights


@dataclass
class LambdaChoice:
    """λ chosen by generalised cross-validation: the value, the grid searched (λ, summed log GCV
    score), and the number of sample pixels."""

    lam: float
    grid: np.ndarray
    score: np.ndarray
    n_pixels: int


TYPICAL_LAMBDA = {1: 5e-3, 2: 3e-4}
"""λ (per derivative order) that GCV chose on the realistic cubes (1/σ² weights): a fallback only."""
GCV_PIXELS = 128
"""Sample pixels (from the three quarters with the most pairs, seeded) on which λ is chosen."""
GCV_MAX_BINS = 120
"""GCV runs on a window of at most this many bins (the one holding the most valid pairs): λ is a
rate per unit of time, so a window chooses the same λ as the whole series, at (window/M)³ of the cost."""
GCV_DECADES = (-8.0, 1.0)
"""log10 λ range searched in steps of 0.25, then refined by golden section."""


def select_lambda(
    vx: np.ndarray,
    vy: np.ndarray,
    img1: np.ndarray,
    img2: np.ndarray,
    edges: np.ndarray,
    config: InversionConfig,
    *,
    vx_error: np.ndarray | None = None,
    vy_error: np.ndarray | None = None,
    progress: Progress | None = None,
) -> LambdaChoice:
    """Choose λ from the data by generalised cross-validation (same inputs as :func:`invert_pixels`).

    On a sample of pixels (≤ GCV_PIXELS, seeded), after one Tukey reweighting at a first guess when
    ``config.robust``, the score Σ_pixels log(n·RSS_w / (n − tr H)²) is minimised over a log grid of
    λ (both components share the weights, so tr H is common; n counts the used pairs). Each pixel's
    system is dense here (M ≤ a few hundred, a few hundred pixels): exact traces, no approximation.
    """
    problem, _ = _problem(vx, vy, img1, img2, edges, config, vx_error, vy_error)
    if problem.active.size == 0:
        raise InputError("select_lambda", "no pixel has enough valid pairs to choose λ from", "vx")
    return _select_lambda(problem, config, ensure_progress(progress))


def _select_lambda(problem: _Problem, config: InversionConfig, progress: Progress) -> LambdaChoice:
    n_valid = problem.valid.sum(1)
    rng = np.random.default_rng(0)
    candidates = np.flatnonzero(n_valid >= np.quantile(n_valid, 0.25))
    rows = np.sort(rng.choice(candidates, size=min(GCV_PIXELS, candidates.size), replace=False))
    design, edges, inside = _gcv_window(problem.design, problem.edges, problem.valid[rows])
    valid = problem.valid[rows] & inside
    sample = _Problem(
        design,
        edges,
        rows,
        [v[rows] for v in problem.values],
        valid,
        problem.weight if problem.weight.ndim == 1 else problem.weight[rows],
    )
    m = edges.size - 1
    k = config.derivative
    d = difference_matrix(m, k) if m > k else np.zeros((0, m))
    scale = (config.interval_days / YEAR_DAYS) ** (0.5 - k)
    products = _dense_products(design)
    a = design.a.toarray()
    grid = 10 ** np.arange(GCV_DECADES[0], GCV_DECADES[1] + 1e-9, 0.25)

    w = np.where(valid, sample.weight, 0.0)
    gcv = _GcvPixels(products, a, d, w, sample.values, valid, scale)
    scores = np.array([gcv.score(lam) for lam in grid])
    lam = float(grid[int(np.argmin(scores))])
    progress.report(0.4, "choosing λ")
    if (
        config.robust
    ):  # outliers make GCV choose a rough fit: down-weight them at the first choice, choose again
        w = w * tukey_weights(_residuals(sample, gcv.solve(lam)), valid)
        gcv = _GcvPixels(products, a, d, w, sample.values, valid, scale)
        scores = np.array([gcv.score(lam) for lam in grid])
        progress.report(0.8, "choosing λ")
    i = int(np.argmin(scores))
    lo, hi = np.log10(grid[max(i - 1, 0)]), np.log10(grid[min(i + 1, grid.size - 1)])
    best = minimize_scalar(
        lambda e: gcv.score(10**e), bounds=(lo, hi), method="bounded", options={"xatol": 0.01}
    )
    lam = float(10**best.x) if best.fun <= scores[i] else float(grid[i])
    # 3 significant digits: far finer than GCV's resolution, and the same λ on any machine (the last
    # bits of BLAS results vary with threads and memory alignment; a checkpoint must resume exactly)
    return LambdaChoice(float(f"{lam:.3g}"), grid, scores, int(rows.size))


def _gcv_window(
    design: PairDesign, edges: np.ndarray, valid: np.ndarray
) -> tuple[PairDesign, np.ndarray, np.ndarray]:
    """The design restricted to the window of GCV_MAX_BINS bins holding the most valid pairs (all of
    it when shorter): (design on the window's bins, its edges, (n, P) pairs lying inside it)."""
    m = edges.size - 1
    if m <= GCV_MAX_BINS:
        return design, edges, np.ones_like(valid)
    per_pair = valid.sum(0)
    starts = np.arange(m - GCV_MAX_BINS + 1)
    within = (design.first[None] >= starts[:, None]) & (design.last[None] < starts[:, None] + GCV_MAX_BINS)
    i0 = int(starts[np.argmax((within & design.kept[None]) @ per_pair)])
    rows = design.kept & (design.first >= i0) & (design.last < i0 + GCV_MAX_BINS)
    a = sparse.csr_matrix(design.a.multiply(rows[:, None]))[:, i0 : i0 + GCV_MAX_BINS].tocsr()
    a.eliminate_zeros()
    window = PairDesign(
        a,
        np.clip(design.first - i0, 0, GCV_MAX_BINS - 1),
        np.clip(design.last - i0, 0, GCV_MAX_BINS - 1),
        np.where(rows, design.weight, 0.0),
        rows,
        design.bandwidth,
    )
    return window, edges[i0 : i0 + GCV_MAX_BINS + 1], np.broadcast_to(rows, valid.shape)


def _dense_products(design: PairDesign) -> sparse.csr_matrix:
    """(M², P) sparse: column i holds a_i a_iᵀ flattened, so Aᵀ diag(w) A of many pixels is one
    sparse product with the (P, n) weights."""
    a = design.a.tocsr()
    m = a.shape[1]
    span = np.diff(a.indptr)
    rows, cols, vals = [], [], []
    for s in np.unique(span[span > 0]):
        pairs = np.flatnonzero(span == s)
        p, q = np.meshgrid(np.arange(s), np.arange(s), indexing="ij")
        start = a.indptr[pairs][:, None]
        j = design.first[pairs][:, None] + p.ravel()
        k = design.first[pairs][:, None] + q.ravel()
        rows.append((j * m + k).ravel())
        cols.append(np.broadcast_to(pairs[:, None], j.shape).ravel())
        vals.append((a.data[start + p.ravel()] * a.data[start + q.ravel()]).ravel())
    if not rows:
        return sparse.csr_matrix((m * m, a.shape[0]))
    return sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(m * m, a.shape[0])
    )


class _GcvPixels:
    """GCV of a few pixels for any λ in O(M) each, after one eigendecomposition per pixel.

    With G = AᵀWA, R = DᵀD, B = G + μ₀R = LLᵀ and L⁻¹RL⁻ᵀ = QΘQᵀ: N(μ) = G + μR = LQ(I + (μ − μ₀)Θ)QᵀLᵀ,
    so for μ = (λ·scale)² with T = L⁻ᵀQ, c = Tᵀb, dᵢ = 1/(1 + (μ − μ₀)θᵢ) (> 0 for μ > 0 since
    θ ≤ 1/μ₀): x = T(d∘c), xᵀb = Σ dc², xᵀGx = Σ d²c²(1 − μ₀θ), tr H = Σ d(1 − μ₀θ).
    """

    def __init__(
        self,
        products: sparse.csr_matrix,
        a: np.ndarray,
        d: np.ndarray,
        w: np.ndarray,
        values: Sequence[np.ndarray],
        valid: np.ndarray,
        scale: float,
    ) -> None:
        n, m = w.shape[0], d.shape[1]
        g = (products @ w.T).T.reshape(n, m, m)
        r = d.T @ d
        self.scale = scale
        self.mu0 = float(
            np.median(np.trace(g, axis1=1, axis2=2)) / max(np.trace(r), 1.0)
        )  # a balanced reference
        lower = np.linalg.cholesky(g + self.mu0 * r + 1e-12 * np.eye(m) * np.abs(g).max())
        eye = np.broadcast_to(np.eye(m), lower.shape)
        lower_inv = np.linalg.solve(lower, eye)
        self.theta, q = np.linalg.eigh(lower_inv @ r @ np.swapaxes(lower_inv, 1, 2))
        self.theta = np.clip(self.theta, 0.0, None)
        self.t = np.swapaxes(lower_inv, 1, 2) @ q  # T = L⁻ᵀQ
        y = [np.where(valid, v, 0.0) for v in values]
        self.c = [np.einsum("nmk,nm->nk", self.t, (w * yc) @ a) for yc in y]
        self.ywy = [(w * yc * yc).sum(1) for yc in y]
        self.n_used = (w > 0).sum(1).astype(float)

    def _d(self, lam: float) -> np.ndarray:
        return 1.0 / (1.0 + ((lam * self.scale) ** 2 - self.mu0) * self.theta)

    def solve(self, lam: float) -> list[np.ndarray]:
        d = self._d(lam)
        return [np.einsum("nmk,nk->nm", self.t, d * c) for c in self.c]

    def score(self, lam: float) -> float:
        """Σ over pixels of log(n · RSS_w / (n − tr H)²), RSS of both components."""
        d = self._d(lam)
        fit = 1.0 - self.mu0 * self.theta
        rss = sum(
            ywy - 2 * (d * c * c).sum(1) + (d * d * c * c * fit).sum(1)
            for ywy, c in zip(self.ywy, self.c, strict=True)
        )
        trace_h = (d * fit).sum(1)
        ok = (self.n_used - trace_h > 1) & (rss > 0)
        if not ok.any():
            return float("inf")
        return float(np.sum(np.log(self.n_used[ok] * rss[ok] / (self.n_used[ok] - trace_h[ok]) ** 2)))
