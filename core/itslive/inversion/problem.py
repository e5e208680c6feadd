"""The checked data of one inversion: design, values, validity and base weights of the pixels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ...errors import InputError, ParameterError
from .config import InversionConfig
from .design import PairDesign, pair_design


def _pair_errors(err: np.ndarray, n: int, p: int, name: str) -> np.ndarray:
    e = np.asarray(err, dtype=np.float64)
    if e.shape not in ((p,), (n, p)):
        raise InputError("invert_pixels", f"{name} must have shape ({p},) or ({n}, {p}), got {e.shape}", name)
    return e


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

    def rows(self, rows: slice) -> _Problem:
        """The same problem restricted to the active pixels ``rows``."""
        weight = self.weight if self.weight.ndim == 1 else self.weight[rows]
        return _Problem(
            self.design,
            self.edges,
            self.active[rows],
            [v[rows] for v in self.values],
            self.valid[rows],
            weight,
        )


def _problem(
    vx: np.ndarray,
    vy: np.ndarray,
    img1: np.ndarray,
    img2: np.ndarray,
    edges: np.ndarray,
    config: InversionConfig,
    vx_error: np.ndarray | None,
    vy_error: np.ndarray | None,
) -> tuple[_Problem, int]:
    vx = np.asarray(vx)
    vy = np.asarray(vy)
    if vx.ndim != 2 or vx.shape != vy.shape:
        raise InputError(
            "invert_pixels", f"vx {vx.shape} and vy {vy.shape} must be equal (n_pixels, n_pairs)", "vx"
        )
    n, p = vx.shape
    if np.asarray(img1).shape != (p,):
        raise InputError("invert_pixels", f"img1 has shape {np.asarray(img1).shape}, expected ({p},)", "img1")
    e = np.asarray(edges, dtype=np.float64)
    if e.size >= 3 and not np.allclose(np.diff(e), config.interval_days, rtol=1e-6, atol=1e-6):
        raise InputError(
            "invert_pixels", f"edges must be spaced by interval_days={config.interval_days}", "edges"
        )
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
        problem = _Problem(
            design,
            e,
            active,
            [vx[active], vy[active]],
            valid[active],
            weight if weight.ndim == 1 else weight[active],
        )
    return problem, n


def _residuals(problem: _Problem, x: Sequence[np.ndarray], dtype: type = np.float64) -> list[np.ndarray]:
    """Standardised residuals (y − A x)·√w of both components, 0 where not valid; each (n, P) ``dtype``
    (float32 is enough to find outliers; the a-posteriori variance takes float64)."""
    sw = np.sqrt(problem.weight).astype(dtype)
    out = []
    for c in range(2):
        r = problem.values[c].astype(dtype)  # a copy, made in place into the residual
        r -= (problem.design.a @ x[c].T).T
        r *= sw
        r[~problem.valid] = 0.0
        out.append(r)
    return out
