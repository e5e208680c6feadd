"""Inversion of many pixels: the passes (first solve, robust reweighting, formal errors on the last),
batched over validity patterns; see the package docstring for the formulation."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ...errors import ParameterError
from ...progress import Progress, ensure_progress
from .batching import (
    BATCH_PATTERNS,
    PATTERN_PIXELS,
    batch_budget,
    batch_slices,
    bytes_per_pattern,
    group_rows,
    split_patterns,
)
from .config import InversionConfig
from .design import PairDesign
from .gcv import _select_lambda
from .kernels import (
    Array,
    NumpyOps,
    TorchOps,
    _unpack_blocks,
    block_factor_solve,
    block_layout,
    pair_products,
    regularisation_entries,
    weighted_rhs,
)
from .problem import _Problem, _problem, _residuals
from .robust import tukey_weights

PIXEL_CHUNK = 2048
"""Pixels run through all passes together (bounds the (pixels × pairs) temporaries)."""


@dataclass
class InversionResult:
    """Inverted series of ``n_pixels`` pixels on ``M`` bins.

    vx, vy: (n_pixels, M) float32 m/yr, NaN for pixels with < min_observations valid pairs, a
    singular system, or bins not backed by data (see ``masked``). vx_error, vy_error:
    (n_pixels, M) float32 m/yr, formal 1σ = sqrt(diag N⁻¹) × σ̂₀ (a-posteriori variance factor of
    the component). count: (n_pixels, M) int32 used pairs overlapping each bin (0 where masked).
    bin_centers: (M,) float days since 1970-01-01. lam: the λ used (chosen or given).
    masked: counts of what was left empty — pixels with too few pairs, bins outside the span of
    the pixel's used pairs, bins over the formal-error threshold, pixels left with no bin.
    """

    vx: np.ndarray
    vy: np.ndarray
    vx_error: np.ndarray
    vy_error: np.ndarray
    count: np.ndarray
    bin_centers: np.ndarray
    lam: float | None = None
    masked: dict[str, int] = field(default_factory=dict)
    pair_weight: np.ndarray | None = None
    """(n_pixels, n_pairs) float32 robust (Tukey) factor of each pair, 1 when not robust, NaN where the
    pair is not valid for the pixel; only with ``invert_pixels(..., return_pair_weights=True)``."""


# --------------------------------------------------------------------------------------------
# The solver


class _Solver:
    """Holds what every solve of one inversion shares: design, block storage, penalty, backend."""

    def __init__(self, design: PairDesign, config: InversionConfig, progress: Progress) -> None:
        self.design = design
        self.config = config
        self.progress = progress
        m = design.a.shape[1]
        self.layout = block_layout(m, max(design.bandwidth, config.derivative))
        self.penalty = config.penalty()
        if config.backend == "torch":
            from ...compute import torch_device

            try:
                device = torch_device(config.device)
            except ImportError as exc:
                raise ParameterError("backend", "'torch' needs PyTorch: pip install torch") from exc
            self.ops = TorchOps(device)
            self.device = device
        else:
            self.ops = NumpyOps()
            self.device = "cpu"
        self.budget = batch_budget(self.device)
        reg = regularisation_entries(self.layout, self.penalty, config.derivative)
        self.prepared = self.ops.prepare(pair_products(design, self.layout).T.tocsr(), reg, design.a)
        reg_diag, reg_sub = _unpack_blocks(reg[None], self.layout)
        reg_diag = reg_diag[0] + np.swapaxes(np.tril(reg_diag[0], -1), -1, -2)  # full symmetric blocks
        self.reg_blocks = (self.ops.asarray(reg_diag), self.ops.asarray(reg_sub[0]))

    def assemble(self, weights: np.ndarray) -> Array:
        """Normal matrices of (G, P) pattern weights: (G, layout.size) lower entries in block storage
        (a backend array)."""
        return self.ops.assemble(self.prepared, weights)

    def weighted_rhs(
        self, values: np.ndarray, valid: np.ndarray, weights: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Aᵀ W y (n, M) and yᵀ W y (n,) per pixel, numpy; see :func:`weighted_rhs`."""
        return weighted_rhs(self.ops, self.prepared, values, valid, weights)

    def solve(
        self,
        weights: np.ndarray,
        gid: np.ndarray,
        rhs: Sequence[np.ndarray],
        progress: Progress,
        want_var: bool = True,
    ) -> SolveResult:
        """Solve N_g x = r for every pixel.

        weights: (G, P) pair weights of each pattern; gid: (n,) pattern of each pixel;
        rhs: right-hand sides, each (n, M). With ``want_var`` also diag(N⁻¹) and the effective
        number of parameters tr(N⁻¹ AᵀWA) of each pattern.
        """
        layout, ops = self.layout, self.ops
        m, n, n_patterns = layout.m, gid.size, weights.shape[0]
        nrhs = len(rhs)
        piece, parent = split_patterns(gid, n_patterns, PATTERN_PIXELS)
        g = parent.size
        sizes = np.bincount(piece, minlength=g)
        order = np.argsort(sizes, kind="stable")
        rank_of = np.empty(g, dtype=np.int64)
        rank_of[order] = np.arange(g)
        pixel_order = np.argsort(rank_of[piece], kind="stable")
        starts = np.concatenate([[0], np.cumsum(sizes[order])])
        within = np.arange(n) - starts[rank_of[piece[pixel_order]]]
        out = [np.empty((n, m)) for _ in range(nrhs)]  # every pixel is written (failures masked by ok)
        var = np.empty((g, m)) if want_var else None
        dof = np.empty(g) if want_var else None
        ok = np.zeros(g, dtype=bool)
        batches = batch_slices(
            bytes_per_pattern(layout, nrhs * sizes[order]), self.budget, sizes[order], BATCH_PATTERNS
        )
        for b, sl in enumerate(batches):
            progress.check()
            pieces = order[sl]
            diag, sub = _unpack_blocks(self.assemble(weights[parent[pieces]]), layout)
            width = int(sizes[pieces].max())
            p0, p1 = starts[sl.start], starts[sl.stop]
            batch_pixels = pixel_order[p0:p1]
            slot = rank_of[piece[batch_pixels]] - sl.start
            r = np.zeros((pieces.size, nrhs * width, layout.padded))
            for c, vec in enumerate(rhs):
                r[slot, c * width + within[p0:p1], :m] = vec[batch_pixels]
            sol = block_factor_solve(
                ops, diag, sub, ops.asarray(r), self.reg_blocks if want_var else None, want_var
            )
            x = ops.tonumpy(sol.x)
            for c in range(nrhs):
                out[c][batch_pixels] = x[slot, c * width + within[p0:p1], :m]
            if want_var:
                var[pieces] = ops.tonumpy(sol.var).reshape(pieces.size, -1)[:, :m]
                dof[pieces] = layout.padded - sol.trace  # tr(N⁻¹ AᵀWA) = tr(I) − tr(N⁻¹ R)
            ok[pieces] = sol.ok
            progress.report((b + 1) / len(batches), "inversion")
        ok_in = np.zeros(n_patterns, dtype=bool)
        ok_in[parent] = ok  # the pieces of a pattern are identical
        if not want_var:
            return SolveResult(out, None, ok_in, None)
        var_in, dof_in = np.empty((n_patterns, m)), np.empty(n_patterns)
        var_in[parent], dof_in[parent] = var, dof
        return SolveResult(out, var_in, ok_in, dof_in)


@dataclass
class SolveResult:
    """Solutions [x (n, M) per right-hand side]; per pattern: var (G, M) = diag(N⁻¹), ok (G,),
    dof (G,) = tr(N⁻¹ AᵀWA), the effective number of parameters (var and dof only on request)."""

    x: list[np.ndarray]
    var: np.ndarray | None
    ok: np.ndarray
    dof: np.ndarray | None


def invert_pixels(
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
    return_pair_weights: bool = False,
) -> InversionResult:
    """Invert image-pair velocities of many pixels onto the bins ``edges``.

    vx, vy: (n_pixels, n_pairs) float32/64 m/yr, NaN = missing (a pair is used only where both are
    finite). img1, img2: (n_pairs,) float days since 1970-01-01 (img1 < img2). edges: (M+1,) float
    days, uniform spacing ``config.interval_days`` (see :func:`time_bins`, :func:`days_since_epoch`).
    vx_error, vy_error: (n_pairs,) or (n_pixels, n_pairs) m/yr, used when ``config.weighted``
    (pairs with a non-finite or non-positive error are then invalid). ``config.lam`` None: λ is
    chosen from these pixels by :func:`select_lambda` (pass it explicitly to keep blocks of one
    cube consistent). ``config.backend`` picks numpy or torch (``config.device``: auto → CUDA when
    present), both float64 inside (the float32 outputs agree far below 1e-6).

    Passes: one solve, then ``robust_iterations`` Tukey reweightings (robust mode); only the last
    pass computes the formal errors: sqrt(diag N⁻¹) × σ̂₀, σ̂₀² = RSS_w / (n_eff − tr H) per
    component. Bins outside the span of the pixel's used pairs, and (``max_error_ratio``) bins
    whose error exceeds that ratio × the pixel's median, are NaN with count 0.
    Progress is reported per batch of validity patterns and cancellation checked between batches.
    Returns an :class:`InversionResult` of (n_pixels, M) arrays. Raises InputError / ParameterError.
    """
    config.validate()
    progress = ensure_progress(progress)
    problem, n = _problem(vx, vy, img1, img2, edges, config, vx_error, vy_error)
    e, design, active, p = problem.edges, problem.design, problem.active, problem.valid.shape[1]
    m = e.size - 1
    result = InversionResult(
        vx=np.full((n, m), np.nan, np.float32),
        vy=np.full((n, m), np.nan, np.float32),
        vx_error=np.full((n, m), np.nan, np.float32),
        vy_error=np.full((n, m), np.nan, np.float32),
        count=np.zeros((n, m), np.int32),
        bin_centers=0.5 * (e[:-1] + e[1:]),
        lam=config.lam,
        pair_weight=np.full((n, p), np.nan, np.float32) if return_pair_weights else None,
        masked={"too_few_pairs": int(n - active.size)},
    )
    if active.size == 0:
        return result
    progress.check()
    if config.lam is None:
        choice = _select_lambda(problem, config, progress.sub(0.0, 0.2))
        config = replace(config, lam=choice.lam)
        result.lam = choice.lam
        progress.info(
            f"λ = {choice.lam:.3g} chosen by generalised cross-validation on {choice.n_pixels} pixels"
        )
        progress = progress.sub(0.2, 1.0)
    solver = _Solver(design, config, progress)
    progress.info(
        f"inversion: {active.size} pixels, {m} bins, {int(design.kept.sum())} pairs, "
        f"half-bandwidth {design.bandwidth}, λ = {config.lam:.3g}"
    )
    n_active = active.size
    empty = 0
    # Chunks of pixels run through every pass: the (pixels × pairs) temporaries of the robust passes
    # stay small (at 20,000 pixels whole-array passes ran 2.3× slower per pixel, page faults included)
    for start in range(0, n_active, PIXEL_CHUNK):
        rows = slice(start, min(start + PIXEL_CHUNK, n_active))
        stage = progress.sub(start / n_active, rows.stop / n_active)
        empty += _invert_chunk(problem.rows(rows), solver, config, stage, result, return_pair_weights)
    result.masked["empty_pixels"] = empty
    progress.report(1.0, "inversion done")
    return result


def _invert_chunk(
    part: _Problem,
    solver: _Solver,
    config: InversionConfig,
    progress: Progress,
    result: InversionResult,
    return_pair_weights: bool,
) -> int:
    """Every pass for the pixels of ``part``; writes their rows of ``result`` (at ``part.active``) and
    returns the number of those pixels left with no bin."""
    design, valid, active = part.design, part.valid, part.active
    if part.weight.ndim == 1:  # pixels sharing a validity pattern share one factorisation
        first, gid = group_rows(valid)
        pattern_w = np.where(valid[first], part.weight, 0.0)
    else:
        gid = np.arange(active.size)
        pattern_w = np.where(valid, part.weight, 0.0)
    pixel_w = part.weight
    n_passes = 1 + (config.robust_iterations if config.robust else 0)
    tukey = np.ones(valid.shape, np.float32)
    x = None
    for step in range(n_passes):
        final = step == n_passes - 1
        if step > 0:
            tukey = tukey_weights(_residuals(part, x, np.float32), valid)
            pixel_w = np.where(valid, part.weight, 0.0) * tukey
            pattern_w, gid = pixel_w, np.arange(active.size)
        rhs = [solver.weighted_rhs(v, valid, pixel_w)[0] for v in part.values]
        stage = progress.sub(step / n_passes, (step + 1) / n_passes)
        solved = solver.solve(pattern_w, gid, rhs, stage, want_var=final)
        x = solved.x
    ok = solved.ok[gid]
    used = valid & (tukey > 0)
    var = solved.var[gid]
    dof = solved.dof[gid]
    fraction_used = np.where(used, design.weight * tukey, 0.0).sum(1)
    keep = _mask_bins(design, used, np.sqrt(var), config.max_error_ratio, result.masked)
    keep &= ok[:, None]
    counts = (design.a > 0).T.astype(np.float32) @ used.T.astype(np.float32)
    result.count[active] = np.where(keep, counts.T, 0).astype(np.int32)
    residuals = _residuals(part, x)  # directly, not yᵀWy − xᵀAᵀWy: no cancellation on close fits
    for c, (vel, err) in enumerate(((result.vx, result.vx_error), (result.vy, result.vy_error))):
        rss = np.einsum("ij,ij->i", residuals[c] * tukey, residuals[c])
        sigma0_sq = rss / np.maximum(fraction_used - dof, 1.0)
        vel[active] = np.where(keep, x[c], np.nan)
        err[active] = np.where(keep, np.sqrt(var * sigma0_sq[:, None]), np.nan)
    if return_pair_weights:
        result.pair_weight[active] = np.where(valid, tukey, np.nan)
    return int((~keep.any(1)).sum())


def _mask_bins(
    design: PairDesign, used: np.ndarray, sigma: np.ndarray, max_ratio: float, counts: dict[str, int]
) -> np.ndarray:
    """(n, M) bins backed by data: inside [first bin, last bin] of the pixel's used pairs and, when
    ``max_ratio`` > 0, with a formal error ≤ max_ratio × the pixel's median over those bins.
    Adds the numbers of bins dropped by each rule to ``counts``."""
    m = design.a.shape[1]
    lo = np.where(used, design.first, m).min(1)
    hi = np.where(used, design.last, -1).max(1)
    j = np.arange(m)
    span = (j >= lo[:, None]) & (j <= hi[:, None])
    counts["outside_data_span"] = counts.get("outside_data_span", 0) + int((~span).sum())
    keep = span
    if max_ratio > 0:
        with warnings.catch_warnings():  # pixels with no bin in span
            warnings.simplefilter("ignore", RuntimeWarning)
            median = np.nanmedian(np.where(span, sigma, np.nan), axis=1)
        noisy = span & ~(sigma <= max_ratio * median[:, None])
        counts["formal_error"] = counts.get("formal_error", 0) + int(noisy.sum())
        keep = span & ~noisy
    return keep
