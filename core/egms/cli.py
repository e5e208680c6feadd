"""``surface-motion egms-l3-ortho`` and the worker task the Processing algorithm runs (see :mod:`..worker`)."""

from __future__ import annotations

import argparse

from ..errors import ParameterError
from ..params import add_option, values
from ..progress import Progress
from .config import EgmsL3Config

#: the options of ``egms-l3-ortho``, all fields of EgmsL3Config (defaults, choices and help from there)
OPTIONS = (
    "inputs",
    "output_folder",
    "aoi",
    "aoi_crs",
    "start_date",
    "end_date",
    "spacing",
    "spacing_days",
    "max_gap_days",
    "resampling",
    "gnss_model",
    "scheduler",
    "n_workers",
    "min_mp_count",
    "remove_gnss_north",
    "average_per_geometry",
    "weighting",
    "legacy_columns",
    "formats",
)
#: inputs are positional; --aoi-crs defaults to None to tell a CRS given for an AOI file from the default
OVERRIDES = {"inputs": {"nargs": "+"}, "aoi_crs": {"default": None}}


def add_subcommands(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "egms-l3-ortho",
        help="EGMS L2a/L2b bursts → L3 Ortho east/up products (official algorithm)",
        description="Build EGMS L3 Ortho E/U products (ZIP+XML, GeoTIFF, MD5, GeoPackage, GeoParquet per "
        "100 km tile) from L2a/L2b burst files; same parameters as surfacemotion:egms_l3_ortho.",
    )
    for name in OPTIONS:
        add_option(p, EgmsL3Config, name, **OVERRIDES.get(name, {}))
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=run)


def config_from_args(args: argparse.Namespace) -> EgmsL3Config:
    """The :class:`EgmsL3Config` the algorithm would build from the same values."""
    aoi, crs = args.aoi, args.aoi_crs or EgmsL3Config.aoi_crs
    if aoi and not aoi.lstrip().upper().startswith(("POLYGON", "MULTIPOLYGON")):
        from ..vector import read_layer

        aoi = read_layer(aoi, "AOI")
        if aoi.crs is None and not args.aoi_crs:
            raise ParameterError(
                "AOI", f"{args.aoi} has no CRS; set it (e.g. a .prj beside a shapefile) or give --aoi-crs"
            )
        crs = aoi.crs.to_string() if aoi.crs else crs
    return EgmsL3Config(**{**values(EgmsL3Config, args), "aoi": aoi, "aoi_crs": crs})


def run(args: argparse.Namespace) -> int:
    from ..cli import console_progress
    from .pipeline import run_egms_l3

    result = run_egms_l3(config_from_args(args), console_progress(args.quiet))
    print()
    for path in result.paths:
        print(path)
    return 0


def task_egms_l3_ortho(config: EgmsL3Config, progress: Progress) -> dict:
    """The worker task of the Processing algorithm (see :mod:`..worker`): the products (paths as strings),
    cells per tile and the summary messages."""
    from .pipeline import run_egms_l3

    result = run_egms_l3(config, progress)
    return {
        "products": {tile: {k: str(p) for k, p in d.items()} for tile, d in result.products.items()},
        "cells": result.cells,
        "messages": result.messages,
    }
