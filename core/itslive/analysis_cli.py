"""ITS_LIVE analysis on the command line, and the tasks the Processing algorithms run in the worker.

Subcommands: ``itslive-find-cubes``, ``itslive-point-series``, ``itslive-gp-regression``,
``itslive-centerline-profile``. Each calls the same task function (``task_*``) as the algorithm, which
runs it through the worker entry (:mod:`..worker`, whose ``TASKS`` table names them).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..progress import Progress, ensure_progress
from ..vector import read_layer

if TYPE_CHECKING:
    import geopandas as gpd
    import pyproj

# ------------------------------------------------------------------------------------------------
# tasks (shared by the CLI and the worker)


def _geometry_result(frame: gpd.GeoDataFrame, crs: pyproj.CRS | None) -> dict:
    import shapely

    return {
        "table": frame.drop(columns="geometry"),
        "wkb": list(shapely.to_wkb(frame.geometry.values)),
        "crs": crs.to_wkt() if crs is not None else "",
    }


def task_find_cubes(
    aoi: gpd.GeoDataFrame, catalog: str | None = None, progress: Progress | None = None
) -> dict:
    """Cubes under the AOI: ``table`` (zarr_url, epsg, region, …), footprints as ``wkb`` in ``crs``."""
    from .io.catalog import cubes_under

    cubes = cubes_under(aoi, catalog, "AOI", "the area of interest", progress)
    return _geometry_result(cubes, cubes.crs)


def task_point_series(
    points: gpd.GeoDataFrame,
    config: dict,
    csv: str | None = None,
    gp: dict | None = None,
    plot: str | None = None,
    progress: Progress | None = None,
) -> dict:
    """Point series (``table``), its CSV, and with ``gp`` (GPConfig fields) the GP table and plot."""
    from .analysis.gp import gp_from_table
    from .analysis.gp_config import GPConfig
    from .analysis.plots import write_gp_plot
    from .analysis.series import PointSeriesConfig, point_series, write_series_csv
    from .analysis.series_table import normalise_series

    progress = ensure_progress(progress)
    gp_cfg = GPConfig(**gp) if gp else None
    if gp_cfg is not None:
        gp_cfg.validate()
    table = point_series(points, PointSeriesConfig(**config), progress.sub(0.0, 0.6 if gp else 0.95))
    if csv:
        write_series_csv(table, csv)
    result = {"table": table, "gp_table": None, "plot": None}
    if gp_cfg is not None:
        series = normalise_series(table, "point series")
        result["gp_table"], panels = gp_from_table(series, gp_cfg, progress=progress.sub(0.6, 0.95))
        if plot:
            result["plot"] = str(write_gp_plot(panels, plot, gp_cfg.components[0], progress))
    return result


def task_gp(
    input: str,
    config: dict,
    min_dt: float | None = None,
    max_dt: float | None = None,
    plot: str | None = None,
    progress: Progress | None = None,
) -> dict:
    """GP regression of a point-series CSV: ``table`` and ``plot``."""
    from .analysis.gp import gp_from_table
    from .analysis.gp_config import GPConfig
    from .analysis.plots import write_gp_plot
    from .analysis.series_table import read_series_csv

    progress = ensure_progress(progress)
    cfg = GPConfig(**config)
    cfg.validate()
    series = read_series_csv(input)
    progress.info(f"{len(series)} pairs read from {Path(input).name}")
    table, panels = gp_from_table(series, cfg, min_dt, max_dt, progress.sub(0.0, 0.9))
    path = str(write_gp_plot(panels, plot, cfg.components[0], progress)) if plot else None
    return {"table": table, "plot": path}


def task_centerline(
    lines: gpd.GeoDataFrame, config: dict, heatmap: str | None = None, progress: Progress | None = None
) -> dict:
    """Velocity along the lines: ``table`` with point ``wkb`` in the NetCDF ``crs`` and the heat map."""
    import geopandas as gpd

    from .analysis.centerline import CenterlineConfig, centerline_profile, heatmap_panels
    from .analysis.plots import plot_heatmap

    progress = ensure_progress(progress)
    table, epsg = centerline_profile(lines, CenterlineConfig(**config), progress.sub(0.0, 0.9))
    points = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table["x"], table["y"]), crs=epsg)
    result = _geometry_result(points, points.crs)
    result["heatmap"] = str(plot_heatmap(heatmap_panels(table), heatmap)) if heatmap else None
    return result


def task_pixel_mesh(netcdf: str, progress: Progress | None = None) -> dict:
    """The glacier pixels of an inversion NetCDF as a UGRID mesh beside it (``path``, ``faces``)."""
    from .io.pixel_mesh import write_pixel_mesh

    return write_pixel_mesh(netcdf, progress)


# ------------------------------------------------------------------------------------------------
# command line


def add_subcommands(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "itslive-find-cubes", help="ITS_LIVE datacubes intersecting an area of interest"
    )
    p.add_argument("--aoi", required=True, help="any vector file, any CRS")
    p.add_argument("--catalog", help="catalog URL or GeoJSON file (default: the official catalog, cached)")
    p.add_argument("--output", help="write the cube footprints here (GeoJSON/GPKG)")
    p.set_defaults(func=_find_cubes)

    p = subparsers.add_parser(
        "itslive-point-series", help="velocity series under points (pixel or 3×3 median)"
    )
    p.add_argument("--points", required=True, help="point file, any CRS (a 'point_id' column is kept)")
    p.add_argument("--cube", dest="cubes", action="append", default=[], help="cube URL/folder (repeat)")
    p.add_argument("--catalog", help="catalog used when no --cube is given")
    _filters(p)
    p.add_argument("--neighborhood", type=int, choices=(1, 3), default=1)
    p.add_argument("--output", required=True, help="point series CSV")
    p.add_argument("--gp", action="store_true", help="also regress each point with a GP")
    p.add_argument("--gp-output", help="GP table CSV (with --gp)")
    p.add_argument("--plot", help="GP plot PNG/SVG (with --gp)")
    _gp_options(p)
    p.set_defaults(func=_point_series)

    p = subparsers.add_parser("itslive-gp-regression", help="GP regression of a point-series CSV")
    p.add_argument("--input", required=True, help="itslive-py export or itslive-point-series CSV")
    p.add_argument("--output", required=True, help="GP table CSV")
    p.add_argument("--plot", help="plot PNG/SVG")
    p.add_argument("--start", help="output start YYYY-MM-DD")
    p.add_argument("--end", help="output end YYYY-MM-DD")
    p.add_argument("--min-dt", type=float)
    p.add_argument("--max-dt", type=float)
    _gp_options(p)
    p.set_defaults(func=_gp)

    p = subparsers.add_parser(
        "itslive-centerline-profile", help="velocity along lines from an inversion NetCDF"
    )
    p.add_argument("--lines", required=True, help="line file, any CRS (e.g. OGGM centerlines)")
    p.add_argument("--netcdf", required=True, help="output of itslive-invert")
    p.add_argument("--spacing", type=float, default=100.0, help="metres between samples")
    p.add_argument("--output", required=True, help="points (GPKG/GeoJSON) or CSV")
    p.add_argument("--heatmap", help="distance–time heat map PNG/SVG")
    p.set_defaults(func=_centerline)


def _filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--missions", help="e.g. 'Sentinel-1,Landsat 8' (default: all)")
    p.add_argument("--start", help="pairs from YYYY-MM-DD")
    p.add_argument("--end", help="pairs until YYYY-MM-DD")
    p.add_argument("--min-dt", type=float, help="minimum date_dt (days)")
    p.add_argument("--max-dt", type=float, help="maximum date_dt (days)")


def _gp_options(p: argparse.ArgumentParser) -> None:
    """The GP options; their defaults are GPConfig's."""
    from dataclasses import fields

    from .analysis.gp_config import MODELS, GPConfig

    d = {f.name: f.default for f in fields(GPConfig)}
    p.add_argument("--model", choices=MODELS, default=d["model"])
    p.add_argument(
        "--robust",
        action=argparse.BooleanOptionalAction,
        default=d["robust"],
        help="reject outlying pairs (Tukey biweight)",
    )
    p.add_argument("--step-days", type=float, default=d["step_days"])
    p.add_argument("--components", default=",".join(d["components"]), help="comma-separated among v, vx, vy")
    p.add_argument(
        "--extrapolate",
        action=argparse.BooleanOptionalAction,
        default=d["extrapolate"],
        help="allow an output range beyond the pairs",
    )


def _gp_dict(args: argparse.Namespace) -> dict:
    return {
        "model": args.model,
        "robust": args.robust,
        "step_days": args.step_days,
        "components": tuple(c.strip() for c in args.components.split(",") if c.strip()),
        "extrapolate": args.extrapolate,
        "start": getattr(args, "start", None) if args.command == "itslive-gp-regression" else None,
        "end": getattr(args, "end", None) if args.command == "itslive-gp-regression" else None,
    }


def _check_outputs(**paths: str | None) -> None:
    """Every output location (option name → path) is writable, before any computation."""
    from ..io import check_output_location

    for name, path in paths.items():
        if path:
            check_output_location(path, f"--{name.replace('_', '-')}")


def _find_cubes(args: argparse.Namespace) -> int:
    from ..cli import console_progress

    _check_outputs(output=args.output)
    result = task_find_cubes(read_layer(args.aoi, "AOI"), args.catalog, console_progress())
    if args.output:
        import geopandas as gpd
        import shapely

        gpd.GeoDataFrame(
            result["table"], geometry=shapely.from_wkb(result["wkb"]), crs=result["crs"]
        ).to_file(args.output)
    print("\n".join(result["table"]["zarr_url"]))
    return 0


def _point_series(args: argparse.Namespace) -> int:
    from ..cli import console_progress
    from ..io import atomic_output

    _check_outputs(output=args.output, gp_output=args.gp_output, plot=args.plot)
    config = {
        "cubes": tuple(args.cubes),
        "catalog": args.catalog,
        "missions": args.missions,
        "start": args.start,
        "end": args.end,
        "min_dt": args.min_dt,
        "max_dt": args.max_dt,
        "neighborhood": args.neighborhood,
    }
    result = task_point_series(
        read_layer(args.points, "points"),
        config,
        args.output,
        _gp_dict(args) if args.gp else None,
        args.plot,
        console_progress(),
    )
    if args.gp and args.gp_output:
        with atomic_output(args.gp_output) as tmp:
            result["gp_table"].to_csv(tmp, index=False)
    print(f"\n{args.output}: {len(result['table'])} rows", file=sys.stderr)
    return 0


def _gp(args: argparse.Namespace) -> int:
    from ..cli import console_progress
    from ..io import atomic_output

    _check_outputs(output=args.output, plot=args.plot)
    result = task_gp(args.input, _gp_dict(args), args.min_dt, args.max_dt, args.plot, console_progress())
    with atomic_output(args.output) as tmp:
        result["table"].to_csv(tmp, index=False)
    print(
        f"\n{args.output}: {len(result['table'])} rows"
        + (f"; plot {result['plot']}" if result["plot"] else ""),
        file=sys.stderr,
    )
    return 0


def _centerline(args: argparse.Namespace) -> int:
    import geopandas as gpd
    import shapely

    from ..cli import console_progress
    from ..io import atomic_output

    _check_outputs(output=args.output, heatmap=args.heatmap)
    result = task_centerline(
        read_layer(args.lines, "lines"),
        {"netcdf": args.netcdf, "spacing": args.spacing},
        args.heatmap,
        console_progress(),
    )
    points = gpd.GeoDataFrame(result["table"], geometry=shapely.from_wkb(result["wkb"]), crs=result["crs"])
    with atomic_output(args.output) as tmp:
        if Path(args.output).suffix.lower() == ".csv":
            points.drop(columns="geometry").to_csv(tmp, index=False)
        else:  # the layer is named after the final file, not the temporary one
            points.to_file(tmp, layer=Path(args.output).stem)
    print(f"\n{args.output}: {len(points)} rows", file=sys.stderr)
    return 0
