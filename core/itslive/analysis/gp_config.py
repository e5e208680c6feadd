"""Settings of the GP regression: the one source of their defaults, light enough (no numpy) for the
Processing algorithms to read inside QGIS before any scientific package is imported."""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import ParameterError
from ...ranges import GP_FIT_NODES, GP_MAX_NODES, GP_STEP_DAYS

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
    extrapolate: allow an output range reaching beyond the pairs (refused otherwise: the prior alone
    would fill those dates).
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
    extrapolate: bool = False

    def validate(self) -> None:
        if self.model not in MODELS:
            raise ParameterError("MODEL", f"'{self.model}' is not one of {', '.join(MODELS)}")
        for allowed, value in (
            (GP_STEP_DAYS, self.step_days),
            (GP_MAX_NODES, self.max_nodes),
            (GP_FIT_NODES, self.fit_nodes),
        ):
            allowed.check(value)
        start, end = (timestamp(v, k) for v, k in ((self.start, "START_DATE"), (self.end, "END_DATE")))
        if start is not None and end is not None and start >= end:
            raise ParameterError(
                "START_DATE", f"{start.date()} is not before END_DATE {end.date()}; swap them"
            )
        bad = [c for c in self.components if c not in COMPONENTS]
        if bad or not self.components:
            raise ParameterError("COMPONENTS", f"choose among {', '.join(COMPONENTS)}, got {bad or 'none'}")


def timestamp(value, key: str):
    """A date parameter as a pandas Timestamp (None when empty); ParameterError naming ``key`` otherwise."""
    import pandas as pd  # here, not at import: the algorithms read this module inside QGIS

    if value is None or not str(value).strip():
        return None
    try:
        return pd.Timestamp(str(value).strip())
    except ValueError as exc:
        raise ParameterError(key, f"'{value}' is not a date; use YYYY-MM-DD") from exc
