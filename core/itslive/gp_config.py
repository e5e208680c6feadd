"""Settings of the GP regression: the one source of their defaults, light enough (no numpy) for the
Processing algorithms to read inside QGIS before any scientific package is imported."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ParameterError

MODELS = ("interval", "midpoint")
COMPONENTS = ("v", "vx", "vy")


@dataclass
class GPConfig:
    """Settings shared by the CLI, the Python API and the algorithms.

    model: ``"interval"`` (b, each pair = mean over its interval) or ``"midpoint"`` (a, the seed's).
    step_days: output grid step (days). start/end: output range (default: the data span).
    components: velocity components to regress (``v`` and optionally ``vx``, ``vy``).
    robust: reject outlying pairs (Tukey biweight, see the module docstring); the CLI and the
    algorithms take their defaults from here.
    """

    model: str = "interval"
    step_days: float = 1.0
    start: str | None = None
    end: str | None = None
    components: tuple[str, ...] = ("v",)
    robust: bool = True
    max_nodes: int = 800
    fit_nodes: int = 300
    seed: int = 0

    def validate(self) -> None:
        if self.model not in MODELS:
            raise ParameterError("MODEL", f"'{self.model}' is not one of {', '.join(MODELS)}")
        if not self.step_days > 0:
            raise ParameterError("STEP_DAYS", f"must be > 0 days, got {self.step_days}")
        bad = [c for c in self.components if c not in COMPONENTS]
        if bad or not self.components:
            raise ParameterError("COMPONENTS", f"choose among {', '.join(COMPONENTS)}, got {bad or 'none'}")
