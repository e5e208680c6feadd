"""``surface-motion itslive-invert`` and the worker task the Processing algorithm runs (see :mod:`..worker`)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict, fields
from pathlib import Path

from ..progress import Progress
from .config import ItsliveInvertConfig
from .pipeline import run_itslive_invert


def add_subcommands(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "itslive-invert",
        help="ITS_LIVE glacier velocity time series (regularised inversion)",
        description="Invert every glacier pixel of the ITS_LIVE cubes under the glaciers "
        "onto a regular time grid and write a CF NetCDF.",
    )
    p.add_argument("--glaciers", required=True, help="glacier outlines (any vector file, any CRS)")
    p.add_argument("--output", required=True, help="output NetCDF (.nc)")
    p.add_argument(
        "--cube",
        dest="cubes",
        action="append",
        default=[],
        help="cube URL or folder (repeat); default: found in --catalog",
    )
    p.add_argument("--catalog", help="catalog URL or GeoJSON file (default: the official catalog)")
    p.add_argument("--start", help="start date YYYY-MM-DD")
    p.add_argument("--end", help="end date YYYY-MM-DD")
    d = ItsliveInvertConfig.__dataclass_fields__  # the config's defaults are the CLI's
    p.add_argument(
        "--interval-days", type=float, default=d["interval_days"].default, help="bin length (days)"
    )
    p.add_argument(
        "--lam",
        type=float,
        default=None,
        help="λ, roughness penalty λ²∫(dᵏv/dtᵏ)²dt in yr^(k-½) per m/yr "
        "(default: chosen from the data by generalised cross-validation)",
    )
    p.add_argument("--derivative", type=int, choices=(1, 2), default=d["derivative"].default)
    p.add_argument("--missions", default="", help="e.g. 'Sentinel-1,Landsat 8' (default: all)")
    p.add_argument("--min-dt", type=float, help="minimum pair separation (days)")
    p.add_argument("--max-dt", type=float, help="maximum pair separation (days)")
    p.add_argument(
        "--weighted",
        action=argparse.BooleanOptionalAction,
        default=d["weighted"].default,
        help="weight pairs by 1/σ² from vx_error/vy_error",
    )
    p.add_argument(
        "--robust",
        action=argparse.BooleanOptionalAction,
        default=d["robust"].default,
        help="down-weight outliers (Tukey biweight)",
    )
    p.add_argument("--robust-iterations", type=int, default=d["robust_iterations"].default)
    p.add_argument("--min-observations", type=int, default=d["min_observations"].default)
    p.add_argument(
        "--max-error-ratio",
        type=float,
        default=d["max_error_ratio"].default,
        help="leave bins whose formal error exceeds this × the pixel's median empty (0: off)",
    )
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--scheduler", help="'local' (LocalCluster) or a Dask scheduler address")
    p.add_argument("--n-workers", type=int)
    p.add_argument("--block-size", type=int, default=50)
    p.add_argument("--mean-velocity", dest="geotiff", help="also write the mean velocity GeoTIFF here")
    p.add_argument("--no-resume", dest="resume", action="store_false", help="ignore an existing checkpoint")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_handle)


def config_from_args(args: argparse.Namespace) -> ItsliveInvertConfig:
    names = {f.name for f in fields(ItsliveInvertConfig)}
    values = {k: v for k, v in vars(args).items() if k in names}
    return ItsliveInvertConfig(**values)


def _handle(args: argparse.Namespace) -> int:
    from ..cli import console_progress

    result = run_itslive_invert(config_from_args(args), console_progress(args.quiet))
    print(
        f"\n{result.output}: {result.n_pixels} pixels × {result.n_bins} bins ({result.n_blocks} blocks, "
        f"{result.n_resumed} resumed)",
        file=sys.stderr,
    )
    return 0


def task_itslive_invert(config: ItsliveInvertConfig, progress: Progress) -> dict:
    """The worker task of the Processing algorithm (see :mod:`..worker`): the result's fields, paths as
    strings."""
    result = run_itslive_invert(config, progress)
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(result).items()}
