"""``surface-motion egms-l3-ortho`` and the worker task the Processing algorithm runs (see :mod:`..worker`)."""

from __future__ import annotations

import argparse

from ..errors import ParameterError
from ..progress import Progress
from .config import FORMATS, WEIGHTINGS, EgmsL3Config
from .resample import METHODS


def add_subcommands(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "egms-l3-ortho",
        help="EGMS L2a/L2b bursts → L3 Ortho east/up products (official algorithm)",
        description="Build EGMS L3 Ortho E/U products (ZIP+XML, GeoTIFF, MD5, GeoPackage, GeoParquet per "
        "100 km tile) from L2a/L2b burst files; same parameters as surfacemotion:egms_l3_ortho.",
    )
    p.add_argument("inputs", nargs="+", help="burst files (ZIP, CSV, CSV.gz)")
    p.add_argument("-o", "--output-folder", required=True)
    p.add_argument("--aoi", help="area as WKT (in --aoi-crs) or a vector file readable by geopandas")
    p.add_argument("--aoi-crs", help="CRS of a WKT --aoi (default EPSG:3035) or of a file without one")
    p.add_argument("--start-date", help="YYYY-MM-DD (default: the period every input covers)")
    p.add_argument("--end-date", help="YYYY-MM-DD")
    p.add_argument("--spacing", type=float, default=100.0, help="cell size in m (default 100)")
    p.add_argument("--spacing-days", type=int, default=6)
    p.add_argument("--max-gap-days", type=float, default=90.0)
    p.add_argument("--resampling", choices=METHODS, default="nearest")
    p.add_argument("--gnss-model", help="A-EPND model CSV for the gnss_velocity_* fields")
    p.add_argument(
        "--scheduler", help="'local' for a Dask LocalCluster or a scheduler address; default: in process"
    )
    p.add_argument("--workers", type=int, help="LocalCluster worker processes")
    p.add_argument("--min-mp-count", type=int, default=2)
    p.add_argument("--remove-gnss-north", action="store_true")
    p.add_argument("--average-per-geometry", action="store_true")
    p.add_argument("--weighting", choices=WEIGHTINGS, default="none")
    p.add_argument("--legacy-columns", action="store_true")
    p.add_argument(
        "--formats", default=",".join(FORMATS), help=f"comma-separated subset of {','.join(FORMATS)}"
    )
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=run)


def config_from_args(args: argparse.Namespace) -> EgmsL3Config:
    """The :class:`EgmsL3Config` the algorithm would build from the same values."""
    aoi, crs = args.aoi, args.aoi_crs or "EPSG:3035"
    if aoi and not aoi.lstrip().upper().startswith(("POLYGON", "MULTIPOLYGON")):
        from ..vector import read_layer

        aoi = read_layer(aoi, "AOI")
        if aoi.crs is None and not args.aoi_crs:
            raise ParameterError(
                "AOI", f"{args.aoi} has no CRS; set it (e.g. a .prj beside a shapefile) or give --aoi-crs"
            )
        crs = aoi.crs.to_string() if aoi.crs else crs
    return EgmsL3Config(
        inputs=args.inputs,
        output_folder=args.output_folder,
        aoi=aoi,
        aoi_crs=crs,
        start_date=args.start_date,
        end_date=args.end_date,
        spacing=args.spacing,
        spacing_days=args.spacing_days,
        max_gap_days=args.max_gap_days,
        resampling=args.resampling,
        gnss_model=args.gnss_model,
        scheduler=args.scheduler,
        n_workers=args.workers,
        min_mp_count=args.min_mp_count,
        remove_gnss_north=args.remove_gnss_north,
        average_per_geometry=args.average_per_geometry,
        weighting=args.weighting,
        legacy_columns=args.legacy_columns,
        formats=tuple(f.strip() for f in args.formats.split(",") if f.strip()),
    )


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
