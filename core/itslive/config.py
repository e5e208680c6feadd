"""Configuration of an ITS_LIVE inversion run, shared by the Processing algorithm, the CLI and the API."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..config_json import config_to_json
from ..errors import ParameterError
from ..ranges import (
    BLOCK_SIZE,
    DERIVATIVE,
    INTERVAL_DAYS,
    LAMBDA,
    MAX_ERROR_RATIO,
    MIN_OBSERVATIONS,
    ROBUST_ITERATIONS,
    check_pair_filters,
)
from .filters import parse_missions
from .inversion.config import InversionConfig

DEVICES = ("auto", "cpu", "cuda")


@dataclass
class ItsliveInvertConfig:
    """What to invert and where to write it.

    - ``glaciers``: glacier outlines, a GeoDataFrame (any CRS) or a vector file path; RGI attributes
      are kept in the output.
    - ``cubes``: cube URLs/paths (``s3://``, the catalog's ``http://…s3.amazonaws.com/…``, https or a
      folder); empty → the cubes under the glaciers are found in ``catalog`` (URL or file).
    - ``start``/``end``: the period (YYYY-MM-DD); pairs must lie inside it. Default: the data's span.
    - ``interval_days`` (bin length), ``lam`` (λ in yr^(k−½) per m/yr; None: chosen by generalised
      cross-validation), ``derivative`` (1 or 2), ``weighted`` (1/σ² from vx_error/vy_error when the
      cube has them), ``robust`` (Tukey reweighting), ``robust_iterations``, ``min_observations``,
      ``max_error_ratio`` (bins whose formal error exceeds this × the pixel's median are left
      empty): see :class:`InversionConfig`, whose defaults these are.
    - ``missions``: sensors to keep (Sentinel-1, Sentinel-2, Landsat 4–9; empty = all);
      ``min_dt``/``max_dt``: pair separation bounds in days.
    - ``device``: ``auto``/``cpu``/``cuda`` (torch backend when not ``cpu`` and torch is present;
      ``cpu`` uses numpy). ``scheduler``: None runs in this process; ``"local"`` starts a Dask
      LocalCluster of ``n_workers``; an address (``tcp://host:8786``) uses that scheduler.
    - ``output``: the NetCDF path; ``geotiff``: optional path of a mean-velocity GeoTIFF (m/yr).
    - ``block_size``: pixels per block side (rounded up to whole chunks); ``resume``: reuse the
      checkpoint of an interrupted run with the same parameters.
    - ``storage_options``: extra fsspec/s3fs options (e.g. a custom endpoint).
    """

    glaciers: object
    output: Path
    cubes: list[str] = field(default_factory=list)
    catalog: str | None = None
    start: str | None = None
    end: str | None = None
    interval_days: float = InversionConfig.interval_days
    lam: float | None = InversionConfig.lam
    derivative: int = InversionConfig.derivative
    missions: tuple[str, ...] = ()
    min_dt: float | None = None
    max_dt: float | None = None
    weighted: bool = InversionConfig.weighted
    robust: bool = InversionConfig.robust
    robust_iterations: int = InversionConfig.robust_iterations
    min_observations: int = InversionConfig.min_observations
    max_error_ratio: float = InversionConfig.max_error_ratio
    device: str = "auto"
    scheduler: str | None = None
    n_workers: int | None = None
    block_size: int = 50
    geotiff: Path | None = None
    resume: bool = True
    storage_options: dict | None = None

    def __post_init__(self) -> None:
        self.output = Path(self.output)
        self.geotiff = Path(self.geotiff) if self.geotiff not in (None, "") else None
        self.cubes = [str(c).strip() for c in (self.cubes or []) if str(c).strip()]
        self.missions = parse_missions(self.missions)
        self.start = _as_day(self.start, "START_DATE")
        self.end = _as_day(self.end, "END_DATE")
        self.device = (self.device or "auto").lower()
        self.scheduler = (self.scheduler or "").strip() or None
        if isinstance(self.lam, str):
            self.lam = float(self.lam) if self.lam.strip() else None

    def validate(self) -> None:
        """Raise :class:`ParameterError` naming the parameter and the fix."""
        if self.output.suffix.lower() != ".nc":
            raise ParameterError("OUTPUT", f"'{self.output.name}' must end in .nc (a CF NetCDF file)")
        if self.geotiff is not None and self.geotiff.suffix.lower() not in (".tif", ".tiff"):
            raise ParameterError("MEAN_VELOCITY", f"'{self.geotiff.name}' must end in .tif")
        if self.start and self.end and self.start >= self.end:
            raise ParameterError("START_DATE", f"start {self.start} is not before end {self.end}; swap them")
        for allowed, value in (
            (INTERVAL_DAYS, self.interval_days),
            (LAMBDA, self.lam),
            (DERIVATIVE, self.derivative),
            (MIN_OBSERVATIONS, self.min_observations),
            (BLOCK_SIZE, self.block_size),
            (ROBUST_ITERATIONS, self.robust_iterations),
            (MAX_ERROR_RATIO, self.max_error_ratio),
        ):
            if value is not None:  # LAMBDA empty: chosen from the data
                allowed.check(value)
        check_pair_filters(self.min_dt, self.max_dt)
        if self.start and self.end:
            period = (np.datetime64(self.end) - np.datetime64(self.start)) / np.timedelta64(1, "D")
            if self.interval_days > period:
                raise ParameterError(
                    "INTERVAL_DAYS",
                    f"{self.interval_days} days is longer than the period "
                    f"{self.start} … {self.end} ({period:.0f} days); shorten it",
                )
        if self.device not in DEVICES:
            raise ParameterError("DEVICE", f"must be one of {', '.join(DEVICES)} (got {self.device!r})")
        self._kernel("numpy", "auto").validate()  # no torch import here (cheap, safe inside QGIS)

    def _kernel(self, backend: str, device: str) -> InversionConfig:
        return InversionConfig(
            interval_days=float(self.interval_days),
            lam=None if self.lam is None else float(self.lam),
            derivative=int(self.derivative),
            weighted=bool(self.weighted),
            robust=bool(self.robust),
            robust_iterations=int(self.robust_iterations),
            min_observations=int(self.min_observations),
            max_error_ratio=float(self.max_error_ratio),
            backend=backend,
            device=device,
        )

    def inversion(self) -> InversionConfig:
        """The kernel's configuration: numpy on ``cpu`` (or without torch), torch otherwise."""
        backend = "numpy"
        if self.device != "cpu":
            try:
                import torch  # noqa: F401
            except ImportError:
                if self.device == "cuda":
                    raise ParameterError(
                        "DEVICE", "cuda needs torch: pip install -r requirements-gpu.txt"
                    ) from None
            else:
                if self.device == "cuda" and not _cuda_available():
                    raise ParameterError(
                        "DEVICE",
                        "cuda: torch sees no CUDA device on this machine (no GPU, or a "
                        "CPU-only torch build); choose auto or cpu",
                    )
                backend = "torch" if self.device == "cuda" or _cuda_available() else "numpy"
        return self._kernel(backend, self.device if backend == "torch" else "auto")

    def to_json(self) -> str:
        """The config as JSON for the worker process (``glaciers`` must then be a file path)."""
        return config_to_json(self, glaciers=str(self.glaciers))

    def provenance(self) -> dict:
        """Every parameter as NetCDF-safe attribute values (strings and numbers)."""
        out = {}
        for key, value in asdict(self).items():
            if key in ("glaciers", "storage_options"):
                continue
            if isinstance(value, (list, tuple)):
                value = ", ".join(map(str, value))
            elif isinstance(value, bool):
                value = int(value)
            elif value is None:
                value = ""
            elif isinstance(value, Path):
                value = value.name
            out[f"parameter_{key}"] = value
        return out


def _cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def _as_day(value, name: str) -> str | None:
    """A date parameter as 'YYYY-MM-DD' (None when empty)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (dt.date, dt.datetime, np.datetime64, pd.Timestamp)):
        return str(pd.Timestamp(value).date())
    try:
        return str(pd.Timestamp(str(value).strip()).date())
    except (ValueError, TypeError) as exc:
        raise ParameterError(name, f"'{value}' is not a date; use YYYY-MM-DD") from exc
