"""Settings of the ITS_LIVE analysis (point series, GP regression, centerline profile): the one source
of their defaults, light enough (no numpy) for the Processing algorithms to read inside QGIS before any
scientific package is imported."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import InputError, ParameterError
from ...params import check_ranges, param
from ...ranges import CENTERLINE_SPACING, GP_FIT_NODES, GP_MAX_NODES, GP_STEP_DAYS, check_pair_filters
from ...timeutil import parse_date
from ..selection import CubeSource, PairFilters, PairSeparation

if TYPE_CHECKING:
    import pandas as pd

MODELS = ("interval", "midpoint")
COMPONENTS = ("v", "vx", "vy")
#: pixels per side of the window a point series reads
NEIGHBORHOODS = (1, 3)
#: the figures' file types
PLOT_FORMATS = ("png", "svg")


@dataclass
class PointSeriesConfig(CubeSource, PairFilters):
    """Settings shared by the CLI, the Python API and the algorithm.

    cubes: zarr URLs/paths to read; when empty, the cubes come from ``catalog`` (URL or file,
    default the official catalog). Filters: missions (e.g. "Sentinel-2", "L8", "Landsat"), start/end
    (pairs entirely inside), min_dt/max_dt (date_dt range, days). neighborhood: 1 (pixel) or 3
    (median of the 3×3 window, NaNs ignored).
    """

    neighborhood: int = param(
        1, "1: the pixel under the point; 3: the median of its 3×3 window", choices=NEIGHBORHOODS
    )
    storage_options: dict | None = None

    def validate(self) -> None:
        if self.neighborhood not in NEIGHBORHOODS:
            raise ParameterError("NEIGHBORHOOD", f"must be 1 or 3 pixels, got {self.neighborhood}")
        check_pair_filters(self.min_dt, self.max_dt)


@dataclass
class GPConfig(PairSeparation):
    """Settings shared by the CLI, the Python API and the algorithms.

    model: ``"interval"`` (b, each pair = mean over its interval) or ``"midpoint"`` (a, ITS_LIVE_TOOL's).
    step_days: output grid step (days). start/end: output range (default: the data span).
    components: velocity components to regress (``v`` and optionally ``vx``, ``vy``).
    robust: reject outlying pairs (Tukey biweight, see the module docstring of ``gp.py``).
    extrapolate: allow an output range reaching beyond the pairs (refused otherwise: the prior alone
    would fill those dates). min_dt/max_dt (days): only pairs with that separation are regressed.
    """

    model: str = param(
        "interval",
        "observation model: interval (each pair = mean over its interval) or midpoint (a sample at its "
        "mid_date, ITS_LIVE_TOOL's model)",
        choices=MODELS,
    )
    step_days: float = param(1.0, "output step", allowed=GP_STEP_DAYS)
    start: str | None = param(None, "output start YYYY-MM-DD (default: the data span)")
    end: str | None = param(None, "output end YYYY-MM-DD (default: the data span)")
    components: tuple[str, ...] = param(("v",), "velocity components to regress", choices=COMPONENTS)
    robust: bool = param(True, "reject outlying pairs (Tukey biweight)")
    max_nodes: int = param(800, "most nodes of the output grid", allowed=GP_MAX_NODES)
    fit_nodes: int = param(300, "most nodes while fitting the hyperparameters", allowed=GP_FIT_NODES)
    seed: int = param(0, "random seed of the hyperparameter search")
    extrapolate: bool = param(False, "allow an output range beyond the pairs (extrapolated by the prior)")

    def validate(self) -> None:
        if self.model not in MODELS:
            raise ParameterError("MODEL", f"'{self.model}' is not one of {', '.join(MODELS)}")
        check_ranges(self)
        check_pair_filters(self.min_dt, self.max_dt)
        start, end = (timestamp(v, k) for v, k in ((self.start, "START_DATE"), (self.end, "END_DATE")))
        if start is not None and end is not None and start >= end:
            raise ParameterError(
                "START_DATE", f"{start.date()} is not before END_DATE {end.date()}; swap them"
            )
        bad = [c for c in self.components if c not in COMPONENTS]
        if bad or not self.components:
            raise ParameterError("COMPONENTS", f"choose among {', '.join(COMPONENTS)}, got {bad or 'none'}")


@dataclass
class CenterlineConfig:
    """netcdf: inversion NetCDF (time, y, x) with v/vx/vy and a grid mapping; spacing in metres;
    id_field: the lines' attribute kept as ``line_id`` (default 1…n)."""

    netcdf: str = param(help="inversion NetCDF (output of itslive-invert)")
    spacing: float = param(100.0, "distance between samples along a line", allowed=CENTERLINE_SPACING)
    id_field: str | None = param(None, "line attribute kept as line_id (default: 1…n)", flags=("--line-id",))

    def validate(self) -> None:
        check_ranges(self)
        if not Path(self.netcdf).is_file():
            raise InputError(self.netcdf, "inversion NetCDF not found")


def timestamp(value: object, key: str) -> pd.Timestamp | None:
    """A date parameter as a pandas Timestamp (None when empty); ParameterError naming ``key`` otherwise
    (:func:`~surface_motion.core.timeutil.parse_date`)."""
    return parse_date(value, key)
