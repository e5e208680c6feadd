"""Configuration of an L3 Ortho run, shared by the Processing algorithm, the CLI and the Python API."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ..config_json import config_from_json, config_to_json
from ..errors import ParameterError
from ..ranges import EGMS_MAX_GAP_DAYS, EGMS_MIN_MP_COUNT, EGMS_SPACING, EGMS_SPACING_DAYS
from .grid import TILE_SIZE
from .resample import METHODS

FORMATS = ("zip", "tiff", "md5", "gpkg", "parquet")
WEIGHTINGS = ("none", "rmse")


@dataclass
class EgmsL3Config:
    """What to compute and where to write it.

    - ``inputs``: L2a/L2b burst files (ZIP, CSV or CSV.gz).
    - ``aoi``: area in ``aoi_crs`` (any pyproj CRS string; default EPSG:3035) as a shapely geometry,
      WKT, a GeoDataFrame/GeoSeries or a layer payload ``{"wkb": [WKB bytes or hex], "crs": …}``; None
      for every tile the inputs touch. Cells are kept when their centre is inside.
    - ``start_date``/``end_date``: the time grid's first epoch and upper bound; default: the period
      every input covers. ``spacing`` (m, divides 100 km), ``spacing_days``, ``max_gap_days``.
    - ``resampling``: ``nearest`` (official) or ``linear``.
    - ``gnss_model``: A-EPND model CSV (``latitude, longitude, n, e, u, …, easting, northing``) sampled
      into the gnss_velocity_* fields (empty without it).
    - ``scheduler``: None runs in this process; ``"local"`` starts a Dask LocalCluster; an address
      (``tcp://host:8786``) uses that Dask scheduler. ``n_workers`` for the LocalCluster.
    - ATBD options: ``min_mp_count`` (besides ≥1 ascending and ≥1 descending MP), ``remove_gnss_north``
      (subtract the model's north velocity projected on each LOS; needs ``gnss_model``),
      ``average_per_geometry``, ``weighting`` (``none`` or ``rmse``: weights 1/rmse²).
    - ``legacy_columns``: write the pre-2020–2024 column names/order (height, rmse, no gnss columns).
    - ``formats``: subset of ``zip, tiff, md5, gpkg, parquet``.
    """

    inputs: list[Path]
    output_folder: Path
    aoi: object | None = None
    aoi_crs: str = "EPSG:3035"
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    spacing: float = 100.0
    spacing_days: int = 6
    max_gap_days: float = 90.0
    resampling: str = "nearest"
    gnss_model: Path | None = None
    scheduler: str | None = None
    n_workers: int | None = None
    min_mp_count: int = 2
    remove_gnss_north: bool = False
    average_per_geometry: bool = False
    weighting: str = "none"
    legacy_columns: bool = False
    formats: tuple[str, ...] = FORMATS
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.inputs = [Path(p) for p in self.inputs]
        self.output_folder = Path(self.output_folder)
        if self.gnss_model is not None and str(self.gnss_model).strip():
            self.gnss_model = Path(self.gnss_model)
        else:
            self.gnss_model = None
        self.start_date = _as_date(self.start_date, "START_DATE")
        self.end_date = _as_date(self.end_date, "END_DATE")
        self.formats = tuple(self.formats)

    def to_json(self) -> str:
        """The config as JSON for the worker process (``aoi`` must then be WKT or a layer payload)."""
        return config_to_json(self)

    @classmethod
    def from_json(cls, text: str) -> EgmsL3Config:
        return config_from_json(cls, text)

    def validate(self) -> None:
        """Raise :class:`ParameterError` naming the parameter and the fix."""
        if not self.inputs:
            raise ParameterError(
                "INPUTS", "no input file; give at least one ascending and one descending L2a/L2b burst"
            )
        for allowed, value in (
            (EGMS_SPACING, self.spacing),
            (EGMS_SPACING_DAYS, self.spacing_days),
            (EGMS_MAX_GAP_DAYS, self.max_gap_days),
            (EGMS_MIN_MP_COUNT, self.min_mp_count),
        ):
            allowed.check(value)
        if TILE_SIZE % self.spacing:
            raise ParameterError(
                "SPACING", f"{self.spacing:g} m does not divide the 100 km tile; use e.g. 50, 100, 200, 500"
            )
        if self.start_date and self.end_date and self.start_date > self.end_date:
            raise ParameterError(
                "START_DATE", f"{self.start_date} is after END_DATE {self.end_date}; swap them"
            )
        if self.resampling not in METHODS:
            raise ParameterError(
                "RESAMPLING", f"must be one of {', '.join(METHODS)} (got {self.resampling!r})"
            )
        if self.weighting not in WEIGHTINGS:
            raise ParameterError(
                "WEIGHTING", f"must be one of {', '.join(WEIGHTINGS)} (got {self.weighting!r})"
            )
        if self.remove_gnss_north and self.gnss_model is None:
            raise ParameterError("REMOVE_GNSS_NORTH", "needs GNSS_MODEL (an A-EPND model CSV)")
        if self.gnss_model is not None and not self.gnss_model.is_file():
            raise ParameterError(
                "GNSS_MODEL", f"{self.gnss_model} not found; give the A-EPND model CSV or leave it empty"
            )
        unknown = set(self.formats) - set(FORMATS)
        if unknown or not self.formats:
            raise ParameterError(
                "FORMATS", f"choose among {', '.join(FORMATS)} (got {', '.join(self.formats)})"
            )


def _as_date(value, name: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%Y-%m-%dT%H:%M:%S"):
        try:
            return dt.datetime.strptime(text[:19] if "T" in text else text, fmt).date()
        except ValueError:
            continue
    raise ParameterError(name, f"{value!r} is not a date; write it as YYYY-MM-DD")
