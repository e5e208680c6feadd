"""Settings of the ITS_LIVE inversion: the one source of their defaults, light enough (no numpy)
for the Processing algorithms to read inside QGIS before any scientific package is imported."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ...errors import ParameterError

YEAR_DAYS = 365.25


@dataclass(frozen=True)
class InversionConfig:
    """Parameters of the inversion (shared by the Processing algorithm, the CLI and the API).

    interval_days: bin length h (days).
    lam: λ, weight of the roughness penalty λ² ∫ (dᵏv/dtᵏ)² dt (t in years, v in m/yr), in
    yr^(k−½) per m/yr; the data term is Σ w (r/σ)² (σ = 1 m/yr when unweighted). 1/λ is the
    intensity of the white noise driving the k-th derivative, so λ means the same at any
    ``interval_days``. None: chosen from the data by generalised cross-validation (:func:`select_lambda`).
    derivative: k = 1 (penalise the acceleration) or 2 (its change).
    weighted: weight pairs by 1/σ̄², σ̄² = (vx_error² + vy_error²)/2.
    robust: ``robust_iterations`` reweighting passes, Tukey biweight on MAD-scaled residuals.
    min_observations: pixels with fewer valid pairs are NaN.
    max_error_ratio: bins whose formal error exceeds this × the pixel's median formal error are
    NaN (0 disables); bins outside the span of a pixel's used pairs are always NaN.
    backend: "numpy" or "torch"; device (torch only): "auto" | "cpu" | "cuda".
    """

    interval_days: float = 12.0
    lam: float | None = None
    derivative: int = 2
    weighted: bool = True
    robust: bool = True
    robust_iterations: int = 2
    min_observations: int = 5
    max_error_ratio: float = 3.0
    backend: str = "numpy"
    device: str = "auto"

    def validate(self) -> None:
        """Raise :class:`ParameterError` naming the first invalid field."""
        if not (math.isfinite(self.interval_days) and self.interval_days > 0):
            raise ParameterError("interval_days", f"must be > 0 days, got {self.interval_days}")
        if self.lam is not None and not (math.isfinite(self.lam) and self.lam >= 0):
            raise ParameterError("lam", f"must be ≥ 0 or empty (chosen from the data), got {self.lam}")
        if self.derivative not in (1, 2):
            raise ParameterError("derivative", f"must be 1 or 2, got {self.derivative}")
        if self.robust_iterations < 1:
            raise ParameterError("robust_iterations", f"must be ≥ 1, got {self.robust_iterations}")
        if self.min_observations < 1:
            raise ParameterError("min_observations", f"must be ≥ 1, got {self.min_observations}")
        if not (math.isfinite(self.max_error_ratio) and self.max_error_ratio >= 0):
            raise ParameterError("max_error_ratio", f"must be ≥ 0 (0: off), got {self.max_error_ratio}")
        if self.backend not in ("numpy", "torch"):
            raise ParameterError("backend", f"must be 'numpy' or 'torch', got {self.backend!r}")
        if self.device not in ("auto", "cpu", "cuda") and not str(self.device).startswith("cuda:"):
            raise ParameterError("device", f"must be 'auto', 'cpu' or 'cuda', got {self.device!r}")

    def penalty(self) -> float:
        """The factor p of the discrete penalty p² ‖Dₖ v‖²: λ h^(½−k), h in years (λ must be set)."""
        h = self.interval_days / YEAR_DAYS
        return float(self.lam) * h ** (0.5 - self.derivative)
