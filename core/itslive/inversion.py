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
  a block LDLᵀ factorisation (Cholesky-based inverses of the diagonal Schur complements), the
  two block solves and the block selected inversion (diagonal of ``N⁻¹`` for the formal errors,
  and tr(N⁻¹DᵀD) for the effective number of parameters) are batched dense operations over many
  patterns at once; the selected inversion runs on the last pass only;
* right-hand sides ``Aᵀ W y`` are one dense GEMM per chunk of pixels.
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

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import sparse
from scipy.linalg.lapack import dpotrf as _potrf
from scipy.linalg.lapack import dpotrs as _potrs
from scipy.optimize import minimize_scalar

from ..errors import InputError, ParameterError
from ..progress import Progress, ensure_progress
from .inversion_config import YEAR_DAYS, InversionConfig

MIN_INSIDE_FRACTION = 0.5
"""Pairs with less than this fraction of their span inside the bin grid are dropped."""
TUKEY_C = 4.685
"""Tukey biweight tuning constant (95 % efficiency under Gaussian noise)."""
MAD_TO_SIGMA = 1.4826
SINGULAR_RTOL = 1e-11
"""A squared Cholesky pivot below this × the largest diagonal entry marks the pattern singular."""
ASSEMBLY_CHUNK = 32
"""Patterns per sparse assembly product: small enough for the weights block and the transposed
copy to stay in cache (measured ~1.3× faster than 128)."""
PATTERN_PIXELS = 1024
"""Most pixels solved against one factorisation in a batch (larger patterns are split)."""
BATCH_PATTERNS = 256
"""Most factorisations per batch: batched GEMMs are efficient long before, and a batch is the unit of
progress and cancellation (well under a second each)."""
BATCH_BYTES = 256 * 2**20
"""Default working-memory budget of one batch of factorisations on the CPU."""


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


def time_bins(start: np.datetime64, end: np.datetime64, interval_days: float) -> np.ndarray:
    """Bin edges from ``start`` covering ``end``: shape (M+1,), M = ceil((end − start) / h) ≥ 1.

    datetime64[D] when ``interval_days`` is a whole number of days, else datetime64[s].
    """
    if not (math.isfinite(interval_days) and interval_days > 0):
        raise ParameterError("interval_days", f"must be > 0 days, got {interval_days}")
    s = np.datetime64(start, "s")
    e = np.datetime64(end, "s")
    if e <= s:
        raise ParameterError("end", f"end date {end} is not after start date {start}")
    step = interval_days * 86400.0
    m = max(1, math.ceil((e - s).astype(np.int64) / step - 1e-9))
    edges = s + np.round(np.arange(m + 1) * step).astype(np.int64).astype("timedelta64[s]")
    if float(interval_days).is_integer() and (s.astype("datetime64[D]") == s):
        return edges.astype("datetime64[D]")
    return edges


def days_since_epoch(t) -> np.ndarray:
    """datetime64 (any unit, scalar or array) → float days since 1970-01-01, to the microsecond
    (ITS_LIVE acquisition times carry a time of day)."""
    return (np.asarray(t, dtype="datetime64[us]") - np.datetime64(0, "us")) / np.timedelta64(1, "D")


# --------------------------------------------------------------------------------------------
# Design: exact pair/bin overlaps


@dataclass(frozen=True)
class PairDesign:
    """The design matrix shared by every pixel.

    a: (P, M) CSR, row i holds overlap/inside-duration on bins first[i]..last[i] (sums to 1);
    dropped pairs have an empty row. weight: (P,) inside fraction (0 for dropped pairs).
    bandwidth: longest kept span in bins minus one (the half-bandwidth of AᵀA).
    """

    a: sparse.csr_matrix
    first: np.ndarray
    last: np.ndarray
    weight: np.ndarray
    kept: np.ndarray
    bandwidth: int


def pair_design(img1: np.ndarray, img2: np.ndarray, edges: np.ndarray) -> PairDesign:
    """Exact overlap design of ``P`` pairs (float days, img1 < img2) on bins ``edges`` (M+1,) days."""
    t1 = np.asarray(img1, dtype=np.float64)
    t2 = np.asarray(img2, dtype=np.float64)
    e = np.asarray(edges, dtype=np.float64)
    if t1.ndim != 1 or t1.shape != t2.shape:
        raise InputError("invert_pixels", f"img1 {t1.shape} and img2 {t2.shape} must be equal 1-D", "img1")
    if e.ndim != 1 or e.size < 2 or not np.all(np.diff(e) > 0):
        raise InputError("invert_pixels", "edges must be ≥ 2 increasing values (days)", "edges")
    if not (np.all(np.isfinite(t1)) and np.all(np.isfinite(t2))):
        raise InputError("invert_pixels", "img1/img2 contain non-finite dates", "img1")
    if np.any(t2 <= t1):
        bad = int(np.argmax(t2 <= t1))
        raise InputError("invert_pixels", f"pair {bad} has img2 ≤ img1 (order the pairs first)", "img2")
    m = e.size - 1
    c1 = np.clip(t1, e[0], e[-1])
    c2 = np.clip(t2, e[0], e[-1])
    inside = c2 - c1
    fraction = inside / (t2 - t1)
    kept = (inside > 0) & (fraction >= MIN_INSIDE_FRACTION)
    first = np.clip(np.searchsorted(e, c1, side="right") - 1, 0, m - 1)
    last = np.clip(np.searchsorted(e, c2, side="left") - 1, 0, m - 1)
    span = np.where(kept, last - first + 1, 0)
    indptr = np.concatenate([[0], np.cumsum(span)])
    row = np.repeat(np.arange(t1.size), span)
    col = first[row] + (np.arange(indptr[-1]) - indptr[row])
    overlap = np.minimum(c2[row], e[col + 1]) - np.maximum(c1[row], e[col])
    data = overlap / inside[row]
    a = sparse.csr_matrix((data, col, indptr), shape=(t1.size, m))
    bandwidth = int((last - first)[kept].max()) if kept.any() else 0
    return PairDesign(a, first, last, np.where(kept, fraction, 0.0), kept, bandwidth)


def difference_matrix(m: int, k: int) -> np.ndarray:
    """Full k-th difference operator, ((m − k) × m), no zero rows; empty when m ≤ k."""
    return np.diff(np.eye(m), n=k, axis=0)


# --------------------------------------------------------------------------------------------
# Block-tridiagonal layout of the banded normal matrix


@dataclass(frozen=True)
class BlockLayout:
    """M bins in ``nblk`` blocks of ``nb`` (nb ≥ half-bandwidth; the padding is decoupled)."""

    m: int
    nb: int
    nblk: int

    @property
    def padded(self) -> int:
        return self.nb * self.nblk

    @property
    def size(self) -> int:
        """Stored entries: lower triangles of the diagonal blocks + full sub-diagonal blocks."""
        return (2 * self.nblk - 1) * self.nb * self.nb

    def index(self, j: np.ndarray, k: np.ndarray) -> np.ndarray:
        """Flat storage index of lower entries N[j, k] (j ≥ k, j − k ≤ nb)."""
        bj, bk = j // self.nb, k // self.nb
        local = (j % self.nb) * self.nb + (k % self.nb)
        offset = np.where(bj == bk, bj, self.nblk + bk) * (self.nb * self.nb)
        return offset + local


def block_layout(m: int, bandwidth: int) -> BlockLayout:
    b = max(int(bandwidth), 1)
    nblk = max(1, m // b)
    return BlockLayout(m, math.ceil(m / nblk), nblk)


def pair_products(design: PairDesign, layout: BlockLayout) -> sparse.csr_matrix:
    """K (P × layout.size): row i = lower entries of a_i a_iᵀ in block storage."""
    a = design.a
    span = np.diff(a.indptr)
    rows, cols, vals = [], [], []
    for s in np.unique(span[span > 0]):
        pairs = np.flatnonzero(span == s)
        p, q = np.tril_indices(int(s))
        start = a.indptr[pairs][:, None]
        j = design.first[pairs][:, None] + p
        k = design.first[pairs][:, None] + q
        rows.append(np.broadcast_to(pairs[:, None], j.shape).ravel())
        cols.append(layout.index(j, k).ravel())
        vals.append((a.data[start + p] * a.data[start + q]).ravel())
    if not rows:
        return sparse.csr_matrix((a.shape[0], layout.size))
    coo = sparse.coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(a.shape[0], layout.size)
    )
    return coo.tocsr()


def regularisation_entries(layout: BlockLayout, penalty: float, k: int) -> np.ndarray:
    """penalty² DₖᵀDₖ (lower entries) plus identity on the padding, in block storage (layout.size,)."""
    out = np.zeros(layout.size)
    m = layout.m
    dtd = penalty**2 * (difference_matrix(m, k).T @ difference_matrix(m, k)) if m > k else np.zeros((m, m))
    j, kk = np.tril_indices(m)
    near = (j - kk) <= k
    np.add.at(out, layout.index(j[near], kk[near]), dtd[j[near], kk[near]])
    pad = np.arange(m, layout.padded)
    out[layout.index(pad, pad)] = 1.0
    return out


def _unpack_blocks(flat, layout: BlockLayout):
    """(G, size) → diagonal blocks (G, nblk, nb, nb), lower triangles only (the kernel reads no
    more), and sub-diagonal blocks (G, nblk−1, nb, nb)."""
    g, nb, nblk = flat.shape[0], layout.nb, layout.nblk
    diag = flat[:, : nblk * nb * nb].reshape(g, nblk, nb, nb)
    sub = flat[:, nblk * nb * nb :].reshape(g, nblk - 1, nb, nb)
    return diag, sub


# --------------------------------------------------------------------------------------------
# Batched block-tridiagonal Cholesky, solve and selected inversion (numpy or torch arrays)


class NumpyOps:
    """Array operations of the kernel on numpy (float64)."""

    name = "numpy"

    @staticmethod
    def asarray(x: np.ndarray):
        return np.asarray(x, dtype=np.float64)

    @staticmethod
    def tonumpy(x) -> np.ndarray:
        return x

    @staticmethod
    def spd_inverse(s: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Inverse of each SPD matrix of a (G, n, n) batch (only lower triangles read) and a (G,)
        success flag.

        LAPACK potrf + potrs(identity) per matrix: for n ≈ 50 this loop is several times faster
        than numpy's batched ``linalg.inv`` (LU) and returns both triangles. A matrix fails when
        Cholesky breaks down or a squared pivot is below SINGULAR_RTOL × ``scale`` (its largest
        diagonal entry before elimination); failed ones get the identity.
        """
        out = np.empty_like(s)
        ok = np.ones(s.shape[0], dtype=bool)
        eye = np.eye(s.shape[-1], order="F")
        for g in range(s.shape[0]):
            # s[g].T is Fortran-ordered (no copy): its upper triangle is s[g]'s lower one
            factor, info = _potrf(s[g].T, lower=0)
            if info != 0 or np.min(np.diagonal(factor)) ** 2 <= SINGULAR_RTOL * scale[g]:
                ok[g] = False
                out[g] = eye
                continue
            out[g], info = _potrs(factor, eye, lower=0)
        return out, ok

    @staticmethod
    def t(x):
        return np.swapaxes(x, -1, -2)

    @staticmethod
    def stack(xs, axis):
        return np.stack(xs, axis=axis)

    @staticmethod
    def cat(xs, axis):
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def max_diagonal(x) -> np.ndarray:
        return np.diagonal(x, 0, -2, -1).max(-1)

    @staticmethod
    def diagonal(x):
        return np.diagonal(x, 0, -2, -1)

    @staticmethod
    def prepare(products_t: sparse.csr_matrix, reg: np.ndarray, a: sparse.csr_matrix):
        return products_t, reg, a.T.tocsr()

    @staticmethod
    def assemble(prepared, weights: np.ndarray) -> np.ndarray:
        """(G, P) pattern weights → (G, size) normal matrices in block storage."""
        products_t, reg, _ = prepared
        out = np.empty((weights.shape[0], reg.size))
        for s in range(0, weights.shape[0], ASSEMBLY_CHUNK):
            c = slice(s, s + ASSEMBLY_CHUNK)
            flat = products_t @ np.ascontiguousarray(weights[c].T)  # (size, chunk)
            flat += reg[:, None]
            out[c] = flat.T
        return out

    @staticmethod
    def weighted_rhs(prepared, values, valid, weights):
        return weighted_rhs(prepared[2], values, valid, weights)


class TorchOps:
    """Array operations of the kernel on torch (float64, CPU or CUDA): batched cholesky_ex
    (its ``info`` flags the matrices that are not positive definite) and cholesky_inverse."""

    name = "torch"

    def __init__(self, device: str):
        import torch

        self.torch = torch
        self.device = torch.device(device)

    def asarray(self, x: np.ndarray):
        return self.torch.as_tensor(np.ascontiguousarray(x, dtype=np.float64), device=self.device)

    @staticmethod
    def tonumpy(x) -> np.ndarray:
        return x.cpu().numpy() if hasattr(x, "cpu") else x

    def spd_inverse(self, s, scale: np.ndarray):
        torch = self.torch
        lower, info = torch.linalg.cholesky_ex(s)
        pivot = lower.diagonal(0, -2, -1).amin(-1) ** 2
        ok = (info == 0) & (pivot > SINGULAR_RTOL * torch.as_tensor(scale, device=s.device))
        eye = torch.eye(s.shape[-1], dtype=s.dtype, device=s.device)
        lower = torch.where(ok[:, None, None], lower, eye)
        return torch.cholesky_inverse(lower), ok.cpu().numpy()

    @staticmethod
    def t(x):
        return x.transpose(-1, -2)

    def stack(self, xs, axis):
        return self.torch.stack(xs, dim=axis)

    def cat(self, xs, axis):
        return self.torch.cat(xs, dim=axis)

    def max_diagonal(self, x) -> np.ndarray:
        return x.diagonal(0, -2, -1).amax(-1).cpu().numpy()

    @staticmethod
    def diagonal(x):
        return x.diagonal(0, -2, -1)

    def prepare(self, products_t: sparse.csr_matrix, reg: np.ndarray, a: sparse.csr_matrix):
        """The products (sparse CSR), the penalty entries and A (dense: one GEMM on the device), moved
        to the device once."""
        with warnings.catch_warnings():  # "sparse CSR support is in beta"
            warnings.simplefilter("ignore", UserWarning)
            csr = self._csr(products_t)
        return csr, self.asarray(reg), self.asarray(a.toarray())

    def _csr(self, products_t: sparse.csr_matrix):
        torch = self.torch
        return torch.sparse_csr_tensor(
            torch.as_tensor(products_t.indptr.astype(np.int64)), torch.as_tensor(products_t.indices.astype(np.int64)),
            torch.as_tensor(products_t.data, dtype=torch.float64), size=products_t.shape,
        ).to(self.device)

    def assemble(self, prepared, weights: np.ndarray):
        products_t, reg, _ = prepared
        return (products_t @ self.asarray(weights).T).T + reg

    def weighted_rhs(self, prepared, values, valid, weights):
        """As :func:`weighted_rhs`, on the device: Y goes up in its own dtype (float32 halves the
        transfer) and the GEMM runs there; returns numpy (n, M) and (n,)."""
        torch = self.torch
        a = prepared[2]
        n = values.shape[0]
        rhs = np.empty((n, a.shape[1]))
        ywy = np.empty(n)
        per_pair = weights.ndim == 1
        w_all = self.asarray(weights) if per_pair else None
        aw = a * w_all[:, None] if per_pair else a
        for s in range(0, n, RHS_CHUNK):
            c = slice(s, min(s + RHS_CHUNK, n))
            ok = torch.as_tensor(np.ascontiguousarray(valid[c]), device=self.device)
            y = torch.as_tensor(np.ascontiguousarray(values[c]), device=self.device).double()
            y = torch.where(ok, y, torch.zeros((), dtype=y.dtype, device=self.device))
            w = w_all if per_pair else self.asarray(weights[c])
            wy = y if per_pair else y * w
            rhs[c] = (wy @ aw).cpu().numpy()
            ywy[c] = ((y * y) @ w if per_pair else (wy * y).sum(1)).cpu().numpy()
        return rhs, ywy


def block_factor_solve(ops, diag, sub, rhs, reg=None, want_var: bool = True):
    """Solve N x = r and, on request, return diag(N⁻¹) and tr(N⁻¹ R) for a batch of
    block-tridiagonal SPD matrices.

    diag: (G, nblk, nb, nb) diagonal blocks N_ii (lower triangles are read); sub: (G, nblk−1, nb, nb)
    blocks E_i = N_{i+1,i}; rhs: (G, R, nblk·nb), right-hand sides as rows (so scattering pixels in
    and out copies whole rows); reg: optional (full symmetric diagonal blocks (nblk, nb, nb),
    sub-diagonal blocks (nblk−1, nb, nb)) of a matrix R shared by the batch (the penalty), whose
    trace product gives the effective number of parameters. Returns x (G, R, nblk·nb),
    var (G, nblk, nb) or None, ok (G,) numpy bool, trace (G,) numpy or None.
    Block LDLᵀ: S_0 = N_00, F_i = E_i S_i⁻¹, S_{i+1} = N_{i+1,i+1} − F_i E_iᵀ; solve by
    w_i = r_i − F_{i−1} w_{i−1}, x_i = S_i⁻¹ w_i − F_iᵀ x_{i+1}; selected inversion (Z = N⁻¹, the
    diagonal blocks and, for the trace, the sub-diagonal ones): Z_{i+1,i} = −Z_{i+1,i+1} F_i,
    Z_ii = S_i⁻¹ + F_iᵀ Z_{i+1,i+1} F_i.
    """
    nblk, nb = diag.shape[1], diag.shape[-1]
    t = ops.t
    scale = ops.max_diagonal(diag).max(1)
    sinv, f = [], []
    ok = np.ones(diag.shape[0], dtype=bool)
    s = diag[:, 0]
    for i in range(nblk):
        si, ok_i = ops.spd_inverse(s, scale)
        ok &= ok_i
        sinv.append(si)
        if i < nblk - 1:
            f.append(sub[:, i] @ si)
            s = diag[:, i + 1] - f[i] @ t(sub[:, i])
    r = [rhs[..., i * nb : (i + 1) * nb] for i in range(nblk)]  # row form: x_iᵀ = w_iᵀ S_i⁻¹ − …
    w = [r[0]]
    for i in range(1, nblk):
        w.append(r[i] - w[i - 1] @ t(f[i - 1]))
    x = [None] * nblk
    x[-1] = w[-1] @ sinv[-1]
    for i in reversed(range(nblk - 1)):
        x[i] = w[i] @ sinv[i] - x[i + 1] @ f[i]
    if not want_var:
        return ops.cat(x, -1), None, ok, None
    z = sinv[-1]
    var = [None] * nblk
    var[-1] = ops.diagonal(z)
    trace = None
    if reg is not None:
        reg_diag, reg_sub = reg
        trace = (z * reg_diag[-1]).sum((-2, -1))
    for i in reversed(range(nblk - 1)):
        zf = z @ f[i]  # = −Z_{i+1,i}
        if reg is None and i == 0:
            var[0] = ops.diagonal(sinv[0]) + (f[0] * zf).sum(-2)  # only the diagonal is needed
            continue
        z = sinv[i] + t(f[i]) @ zf
        var[i] = ops.diagonal(z)
        if reg is not None:
            trace = trace + (z * reg_diag[i]).sum((-2, -1)) - 2 * (zf * reg_sub[i]).sum((-2, -1))
    return ops.cat(x, -1), ops.stack(var, 1), ok, None if trace is None else ops.tonumpy(trace)


# --------------------------------------------------------------------------------------------
# Grouping of pixels by validity pattern and batching


def group_rows(valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a (n, P) bool array: (index of one representative per group, group id per row)."""
    packed = np.packbits(valid, axis=1)
    keys = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return first, inverse.ravel()


def split_patterns(gid: np.ndarray, n_patterns: int, most: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut patterns of more than ``most`` pixels into pieces: (piece id per pixel, pattern of each
    piece). A piece costs one more factorisation, but batches of right-hand sides stay cache-sized."""
    order = np.argsort(gid, kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.bincount(gid, minlength=n_patterns))])
    rank = np.empty(gid.size, dtype=np.int64)
    rank[order] = np.arange(gid.size) - starts[gid[order]]
    pieces = int(rank.max()) // most + 1 if gid.size else 1
    keys, piece_id = np.unique(gid.astype(np.int64) * pieces + rank // most, return_inverse=True)
    return piece_id.ravel(), keys // pieces


def batch_slices(costs: np.ndarray, budget: float, sizes: np.ndarray | None = None,
                 most: int | None = None) -> list[slice]:
    """Consecutive slices of items whose summed cost stays within ``budget`` (≥ 1 item each).

    With ``sizes`` (ascending, e.g. pixels per pattern) a slice also ends before an item more than
    twice the size of its first one, so padding every pattern to the largest wastes < 2×; with
    ``most``, a slice holds at most that many items.
    """
    costs = np.asarray(costs, dtype=float)
    out, start, acc = [], 0, 0.0
    for i, c in enumerate(costs):
        too_wide = sizes is not None and sizes[i] > 2 * max(sizes[start], 1)
        too_many = most is not None and i - start >= most
        if i > start and (acc + c > budget or too_wide or too_many):
            out.append(slice(start, i))
            start, acc = i, 0.0
        acc += c
    if start < len(costs):
        out.append(slice(start, len(costs)))
    return out


def free_memory_bytes(device: str) -> int:
    """Free memory of ``device`` ("cpu" or "cuda[:i]") in bytes."""
    if str(device).startswith("cuda"):
        import torch

        free, _ = torch.cuda.mem_get_info(torch.device(device))
        return int(free)
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # not POSIX (Windows QGIS)
        return 2 * 2**30


def batch_budget(device: str, fraction: float = 0.25) -> float:
    """Bytes one batch may use: ``fraction`` of the free memory, capped at BATCH_BYTES on the CPU."""
    free = free_memory_bytes(device) * fraction
    return free if str(device).startswith("cuda") else min(free, BATCH_BYTES)


def bytes_per_pattern(layout: BlockLayout, rhs_columns: np.ndarray) -> np.ndarray:
    """Working memory (bytes, float64) of one pattern with ``rhs_columns`` right-hand sides."""
    blocks = layout.nblk * layout.nb * layout.nb
    return 8.0 * (6 * blocks + layout.size + 3 * layout.padded * np.asarray(rhs_columns))


# --------------------------------------------------------------------------------------------
# The solver


class _Solver:
    """Holds what every solve of one inversion shares: design, block storage, penalty, backend."""

    def __init__(self, design: PairDesign, config: InversionConfig, progress: Progress):
        self.design = design
        self.config = config
        self.progress = progress
        m = design.a.shape[1]
        self.layout = block_layout(m, max(design.bandwidth, config.derivative))
        self.penalty = config.penalty()
        if config.backend == "torch":
            from ..compute import torch_device

            try:
                device = torch_device(config.device)
            except ImportError as exc:
                raise ParameterError("backend", "'torch' needs PyTorch: pip install torch") from exc
            except ValueError as exc:
                raise ParameterError("device", str(exc)) from exc
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

    def assemble(self, weights: np.ndarray):
        """Normal matrices of (G, P) pattern weights: (G, layout.size) lower entries in block storage
        (a backend array)."""
        return self.ops.assemble(self.prepared, weights)

    def weighted_rhs(self, values: np.ndarray, valid: np.ndarray, weights: np.ndarray):
        """Aᵀ W y (n, M) and yᵀ W y (n,) per pixel, numpy; see :func:`weighted_rhs`."""
        return self.ops.weighted_rhs(self.prepared, values, valid, weights)

    def solve(self, weights: np.ndarray, gid: np.ndarray, rhs: Sequence[np.ndarray], progress: Progress,
              want_var: bool = True) -> SolveResult:
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
        batches = batch_slices(bytes_per_pattern(layout, nrhs * sizes[order]), self.budget, sizes[order],
                               BATCH_PATTERNS)
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
            x, v, ok_batch, trace = block_factor_solve(ops, diag, sub, ops.asarray(r),
                                                       self.reg_blocks if want_var else None, want_var)
            x = ops.tonumpy(x)
            for c in range(nrhs):
                out[c][batch_pixels] = x[slot, c * width + within[p0:p1], :m]
            if want_var:
                var[pieces] = ops.tonumpy(v).reshape(pieces.size, -1)[:, :m]
                dof[pieces] = layout.padded - trace  # tr(N⁻¹ AᵀWA) = tr(I) − tr(N⁻¹ R)
            ok[pieces] = ok_batch
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


def _pair_errors(err, n: int, p: int, name: str) -> np.ndarray:
    e = np.asarray(err, dtype=np.float64)
    if e.shape not in ((p,), (n, p)):
        raise InputError("invert_pixels", f"{name} must have shape ({p},) or ({n}, {p}), got {e.shape}", name)
    return e


def _row_median(z: np.ndarray, valid: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Median of the valid entries of each row of ``z`` (n, P); count (n,) ≥ 1 valid entries per row.

    The invalid entries are set to −inf (the first ⌊(P − c)/2⌋ of them) and +inf (the rest), which
    puts every row's valid median at the full row's positions ⌊P/2⌋ − 1 or ⌊P/2⌋: one
    ``np.partition`` at those two positions replaces a full sort (3–4× faster at 5,000+ pairs).
    """
    p = z.shape[1]
    below = (p - count) // 2
    rank = np.cumsum(~valid, axis=1)  # 1-based rank of each invalid entry in its row
    padded = np.where(valid, z, np.where(rank <= below[:, None], -np.inf, np.inf))
    q = p // 2
    kth = [q - 1, q] if p > 1 else [0]
    part = np.partition(padded, kth, axis=1)
    lo = below + (count - 1) // 2
    hi = below + count // 2
    return 0.5 * (np.take_along_axis(part, lo[:, None], 1)[:, 0] + np.take_along_axis(part, hi[:, None], 1)[:, 0])


def tukey_weights(residuals: Sequence[np.ndarray], valid: np.ndarray) -> np.ndarray:
    """Tukey biweight per pair from MAD-scaled residuals, one weight shared by the components.

    residuals: per component (n, P), standardised (r·√w); each is scaled by 1.4826 × its row's
    median absolute deviation, u² is the mean over the components of (r / (c · scale))², weight
    (1 − u²)² for u < 1 else 0, 0 where not valid. Sharing the weight keeps vx and vy on one
    factorisation (an outlier pair is a bad match, bad in both components). A row whose MAD is 0
    keeps weight 1. Returns (n, P) float32.
    """
    count = np.maximum(valid.sum(1), 1)
    u2 = np.zeros(valid.shape, np.float32)
    for r in residuals:
        z = r.astype(np.float32)
        centre = _row_median(z, valid, count)
        z -= centre[:, None]
        scale = MAD_TO_SIGMA * _row_median(np.abs(z), valid, count)
        scale = np.where(scale > 0, scale, np.inf).astype(np.float32)
        z /= TUKEY_C * scale[:, None]
        u2 += np.where(valid, z * z, 0.0)
    u2 /= len(residuals)
    return np.where(valid & (u2 < 1), (1 - u2) ** 2, 0.0).astype(np.float32)


@dataclass
class _Problem:
    """The data of one inversion, checked: design, values of the pixels with enough pairs, their
    validity and base weights (inside fraction / σ̄², or inside fraction when unweighted)."""

    design: PairDesign
    edges: np.ndarray
    active: np.ndarray  # (n_active,) indices into the input pixels
    values: list[np.ndarray]  # [vx, vy] (n_active, P)
    valid: np.ndarray  # (n_active, P)
    weight: np.ndarray  # (P,) or (n_active, P)


def _problem(vx, vy, img1, img2, edges, config: InversionConfig, vx_error, vy_error) -> tuple[_Problem, int]:
    vx = np.asarray(vx)
    vy = np.asarray(vy)
    if vx.ndim != 2 or vx.shape != vy.shape:
        raise InputError("invert_pixels", f"vx {vx.shape} and vy {vy.shape} must be equal (n_pixels, n_pairs)", "vx")
    n, p = vx.shape
    if np.asarray(img1).shape != (p,):
        raise InputError("invert_pixels", f"img1 has shape {np.asarray(img1).shape}, expected ({p},)", "img1")
    e = np.asarray(edges, dtype=np.float64)
    if e.size >= 3 and not np.allclose(np.diff(e), config.interval_days, rtol=1e-6, atol=1e-6):
        raise InputError("invert_pixels", f"edges must be spaced by interval_days={config.interval_days}", "edges")
    design = pair_design(img1, img2, e)
    valid = np.isfinite(vx) & np.isfinite(vy) & design.kept
    weight = design.weight
    if config.weighted:
        if vx_error is None or vy_error is None:
            raise ParameterError("weighted", "needs vx_error and vy_error")
        sx = _pair_errors(vx_error, n, p, "vx_error")
        sy = _pair_errors(vy_error, n, p, "vy_error")
        mean_var = 0.5 * (sx**2 + sy**2)  # one weight for both components: one factorisation
        good = np.isfinite(mean_var) & (sx > 0) & (sy > 0)
        valid &= good
        with np.errstate(divide="ignore", invalid="ignore"):
            weight = np.where(good, design.weight / mean_var, 0.0)
    active = np.flatnonzero(valid.sum(1) >= config.min_observations)
    if active.size == n:
        problem = _Problem(design, e, active, [vx, vy], valid, weight)
    else:
        problem = _Problem(design, e, active, [vx[active], vy[active]], valid[active],
                           weight if weight.ndim == 1 else weight[active])
    return problem, n


def _residuals(problem: _Problem, x: Sequence[np.ndarray], rows: np.ndarray | None = None) -> list[np.ndarray]:
    """Standardised residuals (y − A x)·√w of both components, 0 where not valid; each (n, P)."""
    valid = problem.valid if rows is None else problem.valid[rows]
    w = problem.weight if problem.weight.ndim == 1 or rows is None else problem.weight[rows]
    sw = np.sqrt(w)
    out = []
    for c in range(2):
        y = problem.values[c] if rows is None else problem.values[c][rows]
        fit = (problem.design.a @ x[c].T).T
        out.append(np.where(valid, (y - fit) * sw, 0.0))
    return out


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
        progress.info(f"λ = {choice.lam:.3g} chosen by generalised cross-validation on {choice.n_pixels} pixels")
        progress = progress.sub(0.2, 1.0)
    solver = _Solver(design, config, progress)
    valid = problem.valid
    if problem.weight.ndim == 1:  # pixels sharing a validity pattern share one factorisation
        first, gid = group_rows(valid)
        pattern_w = np.where(valid[first], problem.weight, 0.0)
    else:
        gid = np.arange(active.size)
        pattern_w = np.where(valid, problem.weight, 0.0)
    pixel_w = problem.weight
    progress.info(f"inversion: {active.size} pixels, {pattern_w.shape[0]} validity patterns, {m} bins, "
                  f"{int(design.kept.sum())} pairs, half-bandwidth {design.bandwidth}, λ = {config.lam:.3g}")
    n_passes = 1 + (config.robust_iterations if config.robust else 0)
    tukey = np.ones(valid.shape, np.float32)
    x = None
    for step in range(n_passes):
        final = step == n_passes - 1
        if step > 0:
            tukey = tukey_weights(_residuals(problem, x), valid)
            pixel_w = np.where(valid, problem.weight, 0.0) * tukey
            pattern_w, gid = pixel_w, np.arange(active.size)
        rhs = [solver.weighted_rhs(v, valid, pixel_w)[0] for v in problem.values]
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
    residuals = _residuals(problem, x)  # directly, not yᵀWy − xᵀAᵀWy: no cancellation on close fits
    for c, (vel, err) in enumerate(((result.vx, result.vx_error), (result.vy, result.vy_error))):
        rss = np.einsum("ij,ij->i", residuals[c] * tukey, residuals[c])
        sigma0_sq = rss / np.maximum(fraction_used - dof, 1.0)
        vel[active] = np.where(keep, x[c], np.nan)
        err[active] = np.where(keep, np.sqrt(var * sigma0_sq[:, None]), np.nan)
    result.masked["empty_pixels"] = int((~keep.any(1)).sum())
    if return_pair_weights:
        result.pair_weight[active] = np.where(valid, tukey, np.nan)
    progress.report(1.0, "inversion done")
    return result


def _mask_bins(design: PairDesign, used: np.ndarray, sigma: np.ndarray, max_ratio: float,
               counts: dict[str, int]) -> np.ndarray:
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


def select_lambda(vx, vy, img1, img2, edges, config: InversionConfig, *, vx_error=None, vy_error=None,
                  progress: Progress | None = None) -> LambdaChoice:
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
    sample = _Problem(design, edges, rows, [v[rows] for v in problem.values], valid,
                      problem.weight if problem.weight.ndim == 1 else problem.weight[rows])
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
    if config.robust:  # outliers make GCV choose a rough fit: down-weight them at the first choice, choose again
        w = w * tukey_weights(_residuals(sample, gcv.solve(lam)), valid)
        gcv = _GcvPixels(products, a, d, w, sample.values, valid, scale)
        scores = np.array([gcv.score(lam) for lam in grid])
        progress.report(0.8, "choosing λ")
    i = int(np.argmin(scores))
    lo, hi = np.log10(grid[max(i - 1, 0)]), np.log10(grid[min(i + 1, grid.size - 1)])
    best = minimize_scalar(lambda e: gcv.score(10**e), bounds=(lo, hi), method="bounded",
                           options={"xatol": 0.01})
    lam = float(10**best.x) if best.fun <= scores[i] else float(grid[i])
    # 3 significant digits: far finer than GCV's resolution, and the same λ on any machine (the last
    # bits of BLAS results vary with threads and memory alignment; a checkpoint must resume exactly)
    return LambdaChoice(float(f"{lam:.3g}"), grid, scores, int(rows.size))


def _gcv_window(design: PairDesign, edges: np.ndarray, valid: np.ndarray) -> tuple[PairDesign, np.ndarray, np.ndarray]:
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
    window = PairDesign(a, np.clip(design.first - i0, 0, GCV_MAX_BINS - 1),
                        np.clip(design.last - i0, 0, GCV_MAX_BINS - 1), np.where(rows, design.weight, 0.0), rows,
                        design.bandwidth)
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
    return sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                             shape=(m * m, a.shape[0]))


class _GcvPixels:
    """GCV of a few pixels for any λ in O(M) each, after one eigendecomposition per pixel.

    With G = AᵀWA, R = DᵀD, B = G + μ₀R = LLᵀ and L⁻¹RL⁻ᵀ = QΘQᵀ: N(μ) = G + μR = LQ(I + (μ − μ₀)Θ)QᵀLᵀ,
    so for μ = (λ·scale)² with T = L⁻ᵀQ, c = Tᵀb, dᵢ = 1/(1 + (μ − μ₀)θᵢ) (> 0 for μ > 0 since
    θ ≤ 1/μ₀): x = T(d∘c), xᵀb = Σ dc², xᵀGx = Σ d²c²(1 − μ₀θ), tr H = Σ d(1 − μ₀θ).
    """

    def __init__(self, products: sparse.csr_matrix, a: np.ndarray, d: np.ndarray, w: np.ndarray, values, valid,
                 scale: float):
        n, m = w.shape[0], d.shape[1]
        g = (products @ w.T).T.reshape(n, m, m)
        r = d.T @ d
        self.scale = scale
        self.mu0 = float(np.median(np.trace(g, axis1=1, axis2=2)) / max(np.trace(r), 1.0))  # a balanced reference
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
        rss = sum(ywy - 2 * (d * c * c).sum(1) + (d * d * c * c * fit).sum(1) for ywy, c in zip(self.ywy, self.c, strict=True))
        trace_h = (d * fit).sum(1)
        ok = (self.n_used - trace_h > 1) & (rss > 0)
        if not ok.any():
            return float("inf")
        return float(np.sum(np.log(self.n_used[ok] * rss[ok] / (self.n_used[ok] - trace_h[ok]) ** 2)))
RHS_CHUNK = 1024
"""Pixels per chunk when forming right-hand sides (bounds the float64 temporaries)."""



def weighted_rhs(a_t: sparse.csr_matrix, values: np.ndarray, valid: np.ndarray, weights: np.ndarray):
    """Aᵀ W y per pixel and yᵀ W y.

    a_t: Aᵀ (M, P) CSR; values: (n, P) m/yr (NaN allowed where not valid); valid: (n, P);
    weights: (P,) or (n, P). Returns rhs (n, M) and ywy (n,). A sparse product per chunk of pixels:
    a pair touches only the bins it spans, so this does ~1/20 of a dense GEMM's work (measured 3×
    faster at 2,000 pairs × 200 bins, the transposed copy of W y included).
    """
    n = values.shape[0]
    rhs = np.empty((n, a_t.shape[0]))
    ywy = np.empty(n)
    for s in range(0, n, RHS_CHUNK):
        c = slice(s, min(s + RHS_CHUNK, n))
        y = np.where(valid[c], values[c], 0.0)
        wy = y * (weights if weights.ndim == 1 else weights[c])
        rhs[c] = (a_t @ np.ascontiguousarray(wy.T)).T
        ywy[c] = np.einsum("ij,ij->i", wy, y)
    return rhs, ywy
