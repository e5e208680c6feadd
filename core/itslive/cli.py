"""``surface-motion itslive-invert`` and the worker mode the Processing algorithm runs.

The worker (``python -m surface_motion.core.itslive.cli --worker CONFIG.json``) runs the same
pipeline in a separate interpreter and reports JSON lines on stdout (``progress``, ``info``,
``warning``, then ``result`` or ``error``/``cancelled``); SIGTERM cancels between blocks. QGIS
runs it that way because its own GEOS/HDF5/PROJ libraries, already loaded in its process, clash
with the wheels' copies that shapely, netCDF4 and pyproj use.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, fields
from pathlib import Path

from ..params import REPEATED, add_option, values
from ..worker import run_as_worker
from .config import ItsliveInvertConfig
from .inversion.config import InversionConfig
from .pipeline import run_itslive_invert

#: ``python -m surface_motion.core.itslive.cli --worker CONFIG.json`` (see the module docstring)
WORKER_FLAG = "--worker"


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


def add_subcommands(subparsers) -> None:
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


# ------------------------------------------------------------------------------------------------
# worker mode


def worker_main(config_path: str) -> int:
    """Run the pipeline for the JSON config at ``config_path``, reporting as :mod:`..worker` describes."""

    def call(progress):
        return run_itslive_invert(ItsliveInvertConfig(**json.loads(Path(config_path).read_text())), progress)

    return run_as_worker(
        call, lambda r: {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(r).items()}
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == WORKER_FLAG:
        sys.exit(worker_main(sys.argv[2]))
    from ..cli import main

    sys.exit(main(["itslive-invert", *sys.argv[1:]]))
