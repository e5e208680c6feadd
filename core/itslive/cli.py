"""``surface-motion itslive-invert`` and the worker task the Processing algorithm runs (see :mod:`..worker`)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict, fields
from pathlib import Path

from ..params import REPEATED, add_option, values
from ..progress import Progress
from .config import ItsliveInvertConfig
from .inversion.config import InversionConfig
from .pipeline import run_itslive_invert

#: the options of ``itslive-invert``: fields of ItsliveInvertConfig (defaults, choices and help from there)
OPTIONS = (
    "glaciers",
    "output",
    "cubes",
    "catalog",
    "start",
    "end",
    "missions",
    "min_dt",
    "max_dt",
    "scheduler",
    "n_workers",
    "block_size",
    "geotiff",
    "resume",
)


def add_subcommands(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "itslive-invert",
        help="ITS_LIVE glacier velocity time series (regularised inversion)",
        description="Invert every glacier pixel of the ITS_LIVE cubes under the glaciers "
        "onto a regular time grid and write a CF NetCDF.",
    )
    for name in OPTIONS:
        add_option(p, ItsliveInvertConfig, name, **REPEATED if name == "cubes" else {})
    for field in fields(InversionConfig):
        if field.name != "backend":  # follows the device
            add_option(p, InversionConfig, field.name)
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_handle)


def config_from_args(args: argparse.Namespace) -> ItsliveInvertConfig:
    return ItsliveInvertConfig(
        **values(ItsliveInvertConfig, args), inversion=InversionConfig(**values(InversionConfig, args))
    )


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
