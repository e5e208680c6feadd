"""Configuration of an L3 Ortho run, shared by the Processing algorithm, the CLI and the Python API."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..compute_options import ComputeOptions
from ..errors import ParameterError
from ..params import check_ranges, param
from ..ranges import EGMS_MAX_GAP_DAYS, EGMS_MIN_MP_COUNT, EGMS_SPACING, EGMS_SPACING_DAYS
from ..timeutil import parse_date

FORMATS = ("zip", "tiff", "md5", "gpkg", "parquet")
RESAMPLINGS = ("nearest", "linear")
WEIGHTINGS = ("none", "rmse")
#: the spellings of a day the dates take: ISO only (the month and day of 01/02/2020 are ambiguous)
_ISO_DAY = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(T.*)?|\d{8}")


@dataclass
class EgmsL3Config(ComputeOptions):
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
    - ``scheduler``/``n_workers`` (:class:`ComputeOptions`): None runs in this process; ``"local"``
      starts a Dask LocalCluster of ``n_workers``; an address (``tcp://host:8786``) uses that scheduler.
    - ATBD options: ``min_mp_count`` (besides ≥1 ascending and ≥1 descending MP), ``remove_gnss_north``
      (subtract the model's north velocity projected on each LOS; needs ``gnss_model``),
      ``average_per_geometry``, ``weighting`` (``none`` or ``rmse``: weights 1/rmse²).
    - ``legacy_columns``: write the pre-2020–2024 column names/order (height, rmse, no gnss columns).
    - ``formats``: subset of ``zip, tiff, md5, gpkg, parquet``.
    """

    inputs: list[Path] = param(help="burst files (ZIP, CSV, CSV.gz)", flags=("inputs",))
    output_folder: Path = param(help="output folder", flags=("-o", "--output-folder"))
    aoi: object | None = param(None, "area as WKT (in --aoi-crs) or a vector file readable by geopandas")
    aoi_crs: str = param("EPSG:3035", "CRS of a WKT AOI or of an AOI file without one")
    start_date: dt.date | None = param(
        None, "first epoch YYYY-MM-DD (default: the period every input covers)"
    )
    end_date: dt.date | None = param(None, "last epoch YYYY-MM-DD")
    spacing: float = param(100.0, "cell size in EPSG:3035 (divides the 100 km tile)", allowed=EGMS_SPACING)
    spacing_days: int = param(6, "time step", allowed=EGMS_SPACING_DAYS)
    max_gap_days: float = param(90.0, "largest gap bridged by resampling", allowed=EGMS_MAX_GAP_DAYS)
    resampling: str = param("nearest", "time resampling (nearest: the official one)", choices=RESAMPLINGS)
    gnss_model: Path | None = param(None, "A-EPND GNSS velocity model CSV for the gnss_velocity_* fields")
    min_mp_count: int = param(
        2, "minimum MPs per cell (besides ≥ 1 ascending and ≥ 1 descending)", allowed=EGMS_MIN_MP_COUNT
    )
    remove_gnss_north: bool = param(
        False, "remove the GNSS model's north velocity from the LOS (ATBD; needs the GNSS model)"
    )
    average_per_geometry: bool = param(False, "average MPs per cell and geometry first (ATBD)")
    weighting: str = param("none", "weighting of MPs (ATBD; rmse: 1/rmse²)", choices=WEIGHTINGS)
    legacy_columns: bool = param(False, "legacy column names (height, rmse; no gnss fields)")
    formats: tuple[str, ...] = param(FORMATS, "products to write", choices=FORMATS)
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

    def validate(self) -> None:
        """Raise :class:`ParameterError` naming the parameter and the fix."""
        if not self.inputs:
            raise ParameterError(
                "INPUTS", "no input file; give at least one ascending and one descending L2a/L2b burst"
            )
        check_ranges(self)
        from .grid import TILE_SIZE  # here, not at import: the algorithm reads this module inside QGIS

        if TILE_SIZE % self.spacing:
            raise ParameterError(
                "SPACING", f"{self.spacing:g} m does not divide the 100 km tile; use e.g. 50, 100, 200, 500"
            )
        if self.start_date and self.end_date and self.start_date > self.end_date:
            raise ParameterError(
                "START_DATE", f"{self.start_date} is after END_DATE {self.end_date}; swap them"
            )
        if self.resampling not in RESAMPLINGS:
            raise ParameterError(
                "RESAMPLING", f"must be one of {', '.join(RESAMPLINGS)} (got {self.resampling!r})"
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


def _as_date(value: object, name: str) -> dt.date | None:
    """A date parameter as a date (None when empty). Text must be ISO (YYYY-MM-DD, YYYYMMDD or a
    date-time): an ambiguous 01/02/2020 is refused."""
    if isinstance(value, str) and value.strip() and not _ISO_DAY.fullmatch(value.strip()):
        raise ParameterError(name, f"'{value}' is not a date; use YYYY-MM-DD")
    stamp = parse_date(value, name)
    return None if stamp is None else stamp.date()
