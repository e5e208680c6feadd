"""The allowed range of every numeric parameter, in one place without dependencies.

The configuration dataclasses check their values against these ranges, and the Processing
algorithms build their number parameters from them (minimum, maximum and shown decimals), so the
toolbox, ``qgis_process``, the CLI and the Python API accept the same values and say the same thing
about a value outside them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import ParameterError


@dataclass(frozen=True)
class Range:
    """``key`` (the Processing parameter) accepts ``minimum`` ≤ value ≤ ``maximum`` in ``unit``;
    ``decimals`` is what the parameter widget shows; ``hint`` is added to the error message."""

    key: str
    minimum: float
    maximum: float
    unit: str = ""
    decimals: int = 0
    integer: bool = False
    hint: str = ""

    def describe(self) -> str:
        lo, hi = (_number(v, self.decimals) for v in (self.minimum, self.maximum))
        return f"{lo}…{hi}{' ' + self.unit if self.unit else ''}"

    def problem(self, value: object) -> str | None:
        """Why ``value`` is not accepted (None when it is)."""
        try:
            number = float(value)
        except (TypeError, ValueError):
            return f"'{value}' is not a number; give a value in {self.describe()}"
        if not math.isfinite(number) or not self.minimum <= number <= self.maximum:
            return f"{number:g} is outside the allowed range {self.describe()}" + (
                f"; {self.hint}" if self.hint else ""
            )
        if self.integer and number != int(number):
            return f"{number:g} is not a whole number; give a value in {self.describe()}"
        return None

    def check(self, value: object) -> None:
        """Raise :class:`ParameterError` naming the parameter and its range when ``value`` is outside it."""
        message = self.problem(value)
        if message:
            raise ParameterError(self.key, message)


def _number(value: float, decimals: int) -> str:
    """``value`` with thousands separators and at most ``decimals`` decimals, no trailing zeros."""
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# EGMS L3 Ortho
EGMS_SPACING = Range("SPACING", 10, 100_000, "m", hint="the official grid uses 100 m")
EGMS_SPACING_DAYS = Range("SPACING_DAYS", 1, 365, "days", integer=True, hint="the official grid uses 6 days")
EGMS_MAX_GAP_DAYS = Range("MAX_GAP_DAYS", 0, 3650, "days", hint="the official value is 90 days")
EGMS_MIN_MP_COUNT = Range(
    "MIN_MP_COUNT", 2, 10_000, "MPs", integer=True, hint="a cell needs one ascending and one descending MP"
)

# ITS_LIVE inversion
INTERVAL_DAYS = Range("INTERVAL_DAYS", 1, 3650, "days", decimals=1, hint="12 suits Sentinel-1")
LAMBDA = Range(
    "LAMBDA",
    0,
    10,
    "yr^(k-½) per m/yr",
    decimals=6,
    hint="leave it empty to choose it from the data; typical 1e-4 to 1e-3 for k = 2",
)
MAX_ERROR_RATIO = Range("MAX_ERROR_RATIO", 0, 1000, decimals=1, hint="0 switches the error threshold off")
DERIVATIVE = Range("DERIVATIVE", 1, 2, integer=True, hint="1: first difference, 2: second difference")
MIN_OBSERVATIONS = Range("MIN_OBSERVATIONS", 1, 100_000, "pairs", integer=True)
BLOCK_SIZE = Range("BLOCK_SIZE", 1, 10_000, "pixels", integer=True)
ROBUST_ITERATIONS = Range("ROBUST_ITERATIONS", 1, 100, integer=True)

# ITS_LIVE pair filters (inversion, point series, GP regression)
MIN_DATE_DT = Range("MIN_DATE_DT", 0, 3650, "days", decimals=1)
MAX_DATE_DT = Range("MAX_DATE_DT", 0, 3650, "days", decimals=1)

# Gaussian-process regression
GP_STEP_DAYS = Range("STEP_DAYS", 0.1, 365, "days", decimals=1)
GP_MAX_NODES = Range("MAX_NODES", 10, 5000, integer=True)
GP_FIT_NODES = Range("FIT_NODES", 10, 2000, integer=True)

# centerline profile
CENTERLINE_SPACING = Range("SPACING", 1, 100_000, "m", hint="about the cube resolution (120 m) is enough")


def check_pair_filters(min_dt: float | None, max_dt: float | None) -> None:
    """The date_dt bounds (days, None = open) are in range and in order."""
    for bound, value in ((MIN_DATE_DT, min_dt), (MAX_DATE_DT, max_dt)):
        if value is not None:
            bound.check(value)
    if min_dt is not None and max_dt is not None and min_dt > max_dt:
        raise ParameterError("MIN_DATE_DT", f"{min_dt:g} days exceeds MAX_DATE_DT {max_dt:g} days; swap them")
