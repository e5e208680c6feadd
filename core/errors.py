"""Exceptions raised by the core. The Processing layer turns them into QgsProcessingException."""

from __future__ import annotations

from pathlib import Path


class SurfaceMotionError(Exception):
    """Base class of every error the core raises on purpose."""


class InputError(SurfaceMotionError):
    """A user-supplied input is unreadable or inconsistent.

    The message always names the input (file, layer, URL or parameter), the column or
    variable when there is one, and the reason, e.g.
    ``EGMS_L2b_117_0227_IW2_VV_2020_2024_1.zip: column 'los_east' missing``.
    """

    def __init__(self, source: str | Path | None, reason: str, column: str | None = None):
        self.source = str(source) if source is not None else None
        self.column = column
        self.reason = reason
        where = Path(self.source).name if self.source and "://" not in self.source else self.source
        parts = [p for p in (where, f"column '{column}'" if column else None) if p]
        super().__init__(": ".join(parts + [reason]) if parts else reason)


class ParameterError(SurfaceMotionError):
    """A parameter value is invalid (e.g. a start date after the end date)."""

    def __init__(self, name: str, reason: str):
        self.name = name
        self.reason = reason
        super().__init__(f"{name}: {reason}")


class CancelledError(SurfaceMotionError):
    """The user cancelled the run; partial outputs were removed."""

    def __init__(self, message: str = "cancelled by the user"):
        super().__init__(message)


class MissingDependencyError(SurfaceMotionError):
    """An optional Python package is not installed."""
