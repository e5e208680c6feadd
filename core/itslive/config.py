"""Configuration of an ITS_LIVE inversion run, shared by the Processing algorithm, the CLI and the API."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import asdict, dataclass
from pathlib import Path

from ..compute_options import ComputeOptions
from ..errors import ParameterError
from ..params import check_ranges, param
from ..ranges import BLOCK_SIZE, check_pair_filters
from ..timeutil import parse_date
from .inversion.config import DEVICES, InversionConfig
from .selection import CubeSource, PairFilters, parse_missions


@dataclass
class ItsliveInvertConfig(CubeSource, PairFilters, ComputeOptions):
    """What to invert and where to write it.

    - ``glaciers``: glacier outlines, a GeoDataFrame (any CRS) or a vector file path; RGI attributes
      are kept in the output.
    - ``cubes``/``catalog`` (:class:`CubeSource`): cube URLs/paths (``s3://``, the catalog's
      ``http://…s3.amazonaws.com/…``, https or a folder); empty → the cubes under the glaciers are
      found in ``catalog`` (URL or file).
    - ``missions``, ``start``/``end``, ``min_dt``/``max_dt`` (:class:`PairFilters`): sensors to keep
      (Sentinel-1, Sentinel-2, Landsat 4–9; empty = all); the period (YYYY-MM-DD; pairs must lie
      inside it, default: the data's span); pair separation bounds in days.
    - ``inversion``: the inversion's settings (:class:`InversionConfig`: bin length, λ, derivative,
      weighting, robust mode, minimum pairs, maximum error ratio) and ``inversion.device``:
      ``auto``/``cpu``/``cuda`` (torch backend when not ``cpu`` and torch is present; ``cpu`` uses
      numpy; the backend is chosen by :meth:`kernel`).
    - ``scheduler``/``n_workers`` (:class:`ComputeOptions`): None runs in this process; ``"local"``
      starts a Dask LocalCluster of ``n_workers``; an address (``tcp://host:8786``) uses that scheduler.
    - ``output``: the NetCDF path; ``geotiff``: optional path of a mean-velocity GeoTIFF (m/yr).
    - ``block_size``: pixels per block side (rounded up to whole chunks); ``resume``: reuse the
      checkpoint of an interrupted run with the same parameters.
    - ``storage_options``: extra fsspec/s3fs options (e.g. a custom endpoint).
    """

    glaciers: object = param(help="glacier outlines (any vector file, any CRS)")
    output: Path = param(help="output NetCDF (.nc)")
    inversion: InversionConfig = dataclasses.field(default_factory=InversionConfig)
    block_size: int = param(50, "pixels per block side (rounded up to whole chunks)", allowed=BLOCK_SIZE)
    geotiff: Path | None = param(
        None, "also write the mean velocity GeoTIFF here", flags=("--mean-velocity",)
    )
    resume: bool = param(True, "reuse the checkpoint of an interrupted run with the same parameters")
    storage_options: dict | None = None

    def __post_init__(self) -> None:
        self.output = Path(self.output)
        self.geotiff = Path(self.geotiff) if self.geotiff not in (None, "") else None
        self.cubes = [str(c).strip() for c in (self.cubes or []) if str(c).strip()]
        self.missions = parse_missions(self.missions)
        self.start = _as_day(self.start, "START_DATE")
        self.end = _as_day(self.end, "END_DATE")
        self.scheduler = (self.scheduler or "").strip() or None
        inversion = self.inversion
        if isinstance(inversion, dict):  # its fields as a plain dict (API callers)
            inversion = InversionConfig(**inversion)
        lam = inversion.lam
        if isinstance(lam, str):
            lam = float(lam) if lam.strip() else None
        self.inversion = dataclasses.replace(inversion, lam=lam, device=(inversion.device or "auto").lower())

    def validate(self) -> None:
        """Raise :class:`ParameterError` naming the parameter and the fix."""
        if self.output.suffix.lower() != ".nc":
            raise ParameterError("OUTPUT", f"'{self.output.name}' must end in .nc (a CF NetCDF file)")
        if self.geotiff is not None and self.geotiff.suffix.lower() not in (".tif", ".tiff"):
            raise ParameterError("MEAN_VELOCITY", f"'{self.geotiff.name}' must end in .tif")
        if self.start and self.end and self.start >= self.end:
            raise ParameterError("START_DATE", f"start {self.start} is not before end {self.end}; swap them")
        check_ranges(self.inversion)
        check_ranges(self)
        check_pair_filters(self.min_dt, self.max_dt)
        interval = self.inversion.interval_days
        if self.start and self.end:
            period = (dt.date.fromisoformat(self.end) - dt.date.fromisoformat(self.start)).days
            if interval > period:
                raise ParameterError(
                    "INTERVAL_DAYS",
                    f"{interval:g} days is longer than the period "
                    f"{self.start} … {self.end} ({period:.0f} days); shorten it",
                )
        if self.inversion.device not in DEVICES:
            raise ParameterError(
                "DEVICE", f"must be one of {', '.join(DEVICES)} (got {self.inversion.device!r})"
            )
        self.inversion.validate()  # no torch import here (cheap, safe inside QGIS)

    def kernel(self) -> InversionConfig:
        """The inversion's settings with the backend this machine runs: numpy on ``cpu`` (or without
        torch), torch otherwise."""
        device = self.inversion.device
        backend = "numpy"
        if device != "cpu":
            try:
                import torch  # noqa: F401
            except ImportError:
                if device == "cuda":
                    raise ParameterError(
                        "DEVICE", "cuda needs torch: pip install -r requirements-gpu.txt"
                    ) from None
            else:
                if device == "cuda" and not _cuda_available():
                    raise ParameterError(
                        "DEVICE",
                        "cuda: torch sees no CUDA device on this machine (no GPU, or a "
                        "CPU-only torch build); choose auto or cpu",
                    )
                backend = "torch" if device == "cuda" or _cuda_available() else "numpy"
        return dataclasses.replace(
            self.inversion, backend=backend, device=device if backend == "torch" else "auto"
        )

    def provenance(self) -> dict:
        """Every parameter as NetCDF-safe attribute values (strings and numbers)."""
        out = {}
        settings = asdict(self)
        # the inversion's settings are parameters like the others; its backend follows the device
        settings.update({k: v for k, v in settings.pop("inversion").items() if k != "backend"})
        for key, value in settings.items():
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


def _as_day(value: object, name: str) -> str | None:
    """A date parameter as 'YYYY-MM-DD' (None when empty)."""
    stamp = parse_date(value, name)
    return None if stamp is None else str(stamp.date())
