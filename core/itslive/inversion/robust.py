"""Tukey biweights from MAD-scaled residuals (the outlier handling of the robust passes)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

TUKEY_C = 4.685
"""Tukey biweight tuning constant (95 % efficiency under Gaussian noise)."""
MAD_TO_SIGMA = 1.4826


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
    return 0.5 * (
        np.take_along_axis(part, lo[:, None], 1)[:, 0] + np.take_along_axis(part, hi[:, None], 1)[:, 0]
    )


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
