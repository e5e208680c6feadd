"""Regularised inversion of ITS_LIVE image-pair velocities onto a regular time grid.

Each observation i is the mean velocity over its pair ``[img1_i, img2_i]``. With M bins of length
h the unknowns are the bin velocities v (m/yr) and

    A[i, j] = overlap([img1_i, img2_i], bin_j) / inside_duration_i          (exact overlap)

    minimise  Σ_i w_i (A v − v_obs)_i²  +  λ² ∫ (dᵏv/dtᵏ)² dt  ≈  ‖W½(Av − y)‖² + (λ h^(½−k))² ‖D_k v‖²

with t and h in years, D_k the full k-th difference ((M−k) × M) and w_i = inside fraction / σ̄_i²,
σ̄² = (vx_error² + vy_error²)/2 (σ̄ = 1 m/yr unweighted): λ keeps its meaning at any bin length, and
vx and vy share every normal matrix ``N = AᵀWA + (λ h^(½−k))² DᵀD``. λ left empty is chosen by
generalised cross-validation (:func:`select_lambda`). N is symmetric positive definite and banded
(bandwidth = longest pair span in bins, at least k), so:

* pixels share the pairs: the products ``a_i a_iᵀ`` are computed once, and the normal matrix of
  every distinct validity pattern is one sparse product ``weights (groups × pairs) @ K (pairs ×
  band entries)`` — no dense per-pixel A;
* pixels with the same validity pattern share one factorisation (until robust weights differ);
* the band is cut into ``nblk`` blocks of size ``nb ≥ bandwidth``, which makes N block tridiagonal;
  a block Cholesky factorisation (with the inverse of each diagonal factor, so that GEMMs do the
  work), the two block solves and the block selected inversion (diagonal of ``N⁻¹`` for the formal errors,
  and tr(N⁻¹DᵀD) for the effective number of parameters) are batched dense operations over many
  patterns at once; the selected inversion runs on the last pass only;
* right-hand sides ``Aᵀ W y`` are one sparse product per chunk of pixels (a dense GEMM on torch);
* pixels run through all passes in chunks (PIXEL_CHUNK), which keeps the temporaries small.
  No library offers a batched banded Cholesky with selected inversion (scipy's ``solveh_banded``
  handles one matrix per call and gives no inverse diagonal), hence this small kernel.

The same kernel runs on numpy (CPU) or torch (CPU or CUDA, fp64); see :func:`invert_pixels`.

Pairs partly outside the grid: the observation is taken as the mean over the part inside the grid
(its row is renormalised to sum to 1) and its weight is multiplied by the inside fraction; pairs
with less than half of their span inside are dropped. A pair counts as valid for a pixel when both
vx and vy are finite (ITS_LIVE masks them together). Robust mode: ``robust_iterations`` passes of
Tukey weights from the MAD-scaled residuals of both components (one weight per pair and pixel).
Formal errors: sqrt(diag N⁻¹) × σ̂₀ with σ̂₀² = RSS_w / (n_eff − tr H) per component. Bins not
backed by data are NaN (see :func:`invert_pixels`).
"""

from ...lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "config": ("YEAR_DAYS", "InversionConfig"),
        "design": ("PairDesign", "days_since_epoch", "difference_matrix", "pair_design", "time_bins"),
        "gcv": ("TYPICAL_LAMBDA", "LambdaChoice", "select_lambda"),
        "robust": ("tukey_weights",),
        "solver": ("InversionResult", "invert_pixels"),
    },
)
