"""Settings of the ITS_LIVE inversion: the one source of their defaults, light enough (no numpy)
for the Processing algorithms to read inside QGIS before any scientific package is imported."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ...errors import ParameterError
from ...params import coerce, param
from ...ranges import DERIVATIVE, INTERVAL_DAYS, LAMBDA, MAX_ERROR_RATIO, MIN_OBSERVATIONS, ROBUST_ITERATIONS

YEAR_DAYS = 365.25
BACKENDS = ("numpy", "torch")
#: what a user chooses (the kernel also takes "cuda:N")
DEVICES = ("auto", "cpu", "cuda")


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
    The fields' metadata (:mod:`...params`) gives the user-facing ranges, which the Processing
    algorithm and the CLI check; :meth:`validate` checks what the kernel itself needs.
    """

    interval_days: float = param(12.0, "bin length h", allowed=INTERVAL_DAYS)
    lam: float | None = param(
        None,
        "λ, roughness penalty λ²∫(dᵏv/dtᵏ)²dt (empty: chosen from the data by generalised cross-validation)",
        allowed=LAMBDA,
    )
    derivative: int = param(
        2, "regularised derivative k (1: acceleration, 2: its change)", choices=(1, 2), allowed=DERIVATIVE
    )
    weighted: bool = param(True, "weight pairs by 1/σ² from vx_error/vy_error")
    robust: bool = param(True, "down-weight outliers (Tukey biweight)")
    robust_iterations: int = param(2, "reweighting passes of the robust mode", allowed=ROBUST_ITERATIONS)
    min_observations: int = param(5, "minimum valid pairs per pixel", allowed=MIN_OBSERVATIONS)
    max_error_ratio: float = param(
        3.0,
        "leave bins whose formal error exceeds this × the pixel's median empty (0: off)",
        allowed=MAX_ERROR_RATIO,
    )
    backend: str = param("numpy", "array library of the kernel", choices=BACKENDS)
    device: str = param(
        "auto",
        "auto uses CUDA when torch sees a GPU; cpu runs numpy; cuda needs torch and a GPU",
        choices=DEVICES,
    )

    def __post_init__(self) -> None:
        coerce(self)  # 12 and 12.0 give the same checkpoint fingerprint

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
        if self.backend not in BACKENDS:
            raise ParameterError("backend", f"must be 'numpy' or 'torch', got {self.backend!r}")
        if self.device not in DEVICES and not str(self.device).startswith("cuda:"):
            raise ParameterError("device", f"must be 'auto', 'cpu' or 'cuda', got {self.device!r}")

    def penalty(self) -> float:
        """The factor p of the discrete penalty p² ‖Dₖ v‖²: λ h^(½−k), h in years (λ must be set)."""
        h = self.interval_days / YEAR_DAYS
        return float(self.lam) * h ** (0.5 - self.derivative)
