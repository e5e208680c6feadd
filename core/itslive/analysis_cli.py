"""ITS_LIVE analysis on the command line, and the tasks the Processing algorithms run in the worker.

Subcommands: ``itslive-find-cubes``, ``itslive-point-series``, ``itslive-gp-regression``,
``itslive-centerline-profile``. Each calls the same task function (``task_*``) as the algorithm, which
runs it through the worker entry (:mod:`..worker`, whose ``TASKS`` table names them).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING

from ..params import REPEATED, add_option, values
from ..progress import Progress, ensure_progress
from ..vector import read_layer
from .analysis.config import CenterlineConfig, GPConfig, PointSeriesConfig
from .selection import CubeSource

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
    from .analysis.plots import write_gp_plot
    from .analysis.series import point_series, write_series_csv
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


def task_gp(input: str, config: dict, plot: str | None = None, progress: Progress | None = None) -> dict:
    """GP regression of a point-series CSV (``config``: GPConfig fields): ``table`` and ``plot``."""
    from .analysis.gp import gp_from_table
    from .analysis.plots import write_gp_plot
    from .analysis.series_table import read_series_csv

    progress = ensure_progress(progress)
    cfg = GPConfig(**config)
    cfg.validate()
    series = read_series_csv(input)
    progress.info(f"{len(series)} pairs read from {Path(input).name}")
    table, panels = gp_from_table(series, cfg, progress.sub(0.0, 0.9))
    path = str(write_gp_plot(panels, plot, cfg.components[0], progress)) if plot else None
    return {"table": table, "plot": path}


def task_centerline(
    lines: gpd.GeoDataFrame, config: dict, heatmap: str | None = None, progress: Progress | None = None
) -> dict:
    """Velocity along the lines: ``table`` with point ``wkb`` in the NetCDF ``crs`` and the heat map."""
    import geopandas as gpd

    from .analysis.centerline import centerline_profile, heatmap_panels
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


#: the GP options of both GP subcommands (the point series filters its pairs itself)
GP_OPTIONS = ("model", "robust", "step_days", "components", "extrapolate")
#: the output range and pair filter of ``itslive-gp-regression``
GP_TABLE_OPTIONS = ("start", "end", "min_dt", "max_dt")


def add_subcommands(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "itslive-find-cubes", help="ITS_LIVE datacubes intersecting an area of interest"
    )
    p.add_argument("--aoi", required=True, help="any vector file, any CRS")
    add_option(p, CubeSource, "catalog")
    p.add_argument("--output", help="write the cube footprints here (GeoJSON/GPKG)")
    p.set_defaults(func=_find_cubes)

    p = subparsers.add_parser(
        "itslive-point-series", help="velocity series under points (pixel or 3×3 median)"
    )
    p.add_argument("--points", required=True, help="point file, any CRS (a 'point_id' column is kept)")
    add_option(p, PointSeriesConfig, "cubes", **REPEATED)
    for name in ("catalog", "missions", "start", "end", "min_dt", "max_dt", "neighborhood"):
        add_option(p, PointSeriesConfig, name)
    p.add_argument("--output", required=True, help="point series CSV")
    p.add_argument("--gp", action="store_true", help="also regress each point with a GP")
    p.add_argument("--gp-output", help="GP table CSV (with --gp)")
    p.add_argument("--plot", help="GP plot PNG/SVG (with --gp)")
    for name in GP_OPTIONS:
        add_option(p, GPConfig, name)
    p.set_defaults(func=_point_series)

    p = subparsers.add_parser("itslive-gp-regression", help="GP regression of a point-series CSV")
    p.add_argument("--input", required=True, help="itslive-py export or itslive-point-series CSV")
    p.add_argument("--output", required=True, help="GP table CSV")
    p.add_argument("--plot", help="plot PNG/SVG")
    for name in GP_TABLE_OPTIONS + GP_OPTIONS:
        add_option(p, GPConfig, name)
    p.set_defaults(func=_gp)

    p = subparsers.add_parser(
        "itslive-centerline-profile", help="velocity along lines from an inversion NetCDF"
    )
    p.add_argument("--lines", required=True, help="line file, any CRS (e.g. OGGM centerlines)")
    for field in fields(CenterlineConfig):
        add_option(p, CenterlineConfig, field.name)
    p.add_argument("--output", required=True, help="points (GPKG/GeoJSON) or CSV")
    p.add_argument("--heatmap", help="distance–time heat map PNG/SVG")
    p.set_defaults(func=_centerline)


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
    result = task_point_series(
        read_layer(args.points, "points"),
        values(PointSeriesConfig, args),
        args.output,
        {name: getattr(args, name) for name in GP_OPTIONS} if args.gp else None,
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
    result = task_gp(args.input, values(GPConfig, args), args.plot, console_progress())
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
        read_layer(args.lines, "lines"), values(CenterlineConfig, args), args.heatmap, console_progress()
    )
    points = gpd.GeoDataFrame(result["table"], geometry=shapely.from_wkb(result["wkb"]), crs=result["crs"])
    with atomic_output(args.output) as tmp:
        if Path(args.output).suffix.lower() == ".csv":
            points.drop(columns="geometry").to_csv(tmp, index=False)
        else:  # the layer is named after the final file, not the temporary one
            points.to_file(tmp, layer=Path(args.output).stem)
    print(f"\n{args.output}: {len(points)} rows", file=sys.stderr)
    return 0
