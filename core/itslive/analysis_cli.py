"""ITS_LIVE analysis on the command line, and the worker the Processing algorithms run.

Subcommands: ``itslive-find-cubes``, ``itslive-point-series``, ``itslive-gp-regression``,
``itslive-centerline-profile``. Each calls the same task function (``task_*``) as the algorithm.

Worker mode (``python -m surface_motion.core.itslive.analysis_cli --worker JOB.pkl``): JOB.pkl holds
``{"task": name, "kwargs": {...}}`` (layers as :func:`layer_from_payload` payloads: WKB + CRS +
attributes); progress, info and warnings go to stdout as JSON lines, then ``{"result": path}`` (a
pickle of the task's dict) or ``{"error": …}``/``{"cancelled": …}``; SIGTERM cancels between blocks.
QGIS runs the analysis that way because its own GEOS/PROJ libraries, loaded in its process, clash
with the copies bundled in the shapely and pyproj wheels (memory corruption, crash at exit).
"""

from __future__ import annotations

import pickle
import sys
from dataclasses import fields
from pathlib import Path

from ..errors import InputError
from ..params import REPEATED, add_option, values
from ..progress import Progress, ensure_progress
from ..worker import run_as_worker
from .analysis.config import CenterlineConfig, GPConfig, PointSeriesConfig
from .analysis.inspect import task_pixel_gp, task_pixel_pairs
from .selection import CubeSource

WORKER_FLAG = "--worker"


# ------------------------------------------------------------------------------------------------
# tasks (shared by the CLI and the worker)


def layer_from_payload(payload: dict):
    """A GeoDataFrame from ``{"wkb": [bytes], "crs": "EPSG:…" or WKT, "attributes": {name: list}}``."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    return gpd.GeoDataFrame(
        pd.DataFrame(payload.get("attributes") or {}, index=range(len(payload["wkb"]))),
        geometry=shapely.from_wkb(payload["wkb"]),
        crs=payload["crs"],
    )


def read_layer(path: str, name: str):
    """A vector file as a GeoDataFrame (errors name the file)."""
    import geopandas as gpd

    if not Path(path).exists():
        raise InputError(path, f"{name} file not found")
    try:
        return gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad input file
        raise InputError(path, f"cannot read the {name} layer ({exc})") from exc


def _geometry_result(frame, crs) -> dict:
    import shapely

    return {
        "table": frame.drop(columns="geometry"),
        "wkb": list(shapely.to_wkb(frame.geometry.values)),
        "crs": crs.to_wkt() if crs is not None else "",
    }


def task_find_cubes(aoi, catalog: str | None = None, progress: Progress | None = None) -> dict:
    """Cubes under the AOI: ``table`` (zarr_url, epsg, region, …), footprints as ``wkb`` in ``crs``."""
    from .io.catalog import DEFAULT_CATALOG_URL, find_cubes, load_catalog

    progress = ensure_progress(progress)
    progress.report(0.1, "Loading the ITS_LIVE catalog")
    table = load_catalog(catalog or DEFAULT_CATALOG_URL, progress=progress)
    progress.check()
    progress.report(0.6, "Testing cube footprints")
    cubes = find_cubes(table, aoi)
    if cubes.empty:
        raise InputError("AOI", "the area of interest intersects no ITS_LIVE datacube of the catalog")
    return _geometry_result(cubes, cubes.crs)


def task_point_series(
    points,
    config: dict,
    csv: str | None = None,
    gp: dict | None = None,
    plot: str | None = None,
    progress: Progress | None = None,
) -> dict:
    """Point series (``table``), its CSV, and with ``gp`` (GPConfig fields) the GP table and plot."""
    from .analysis.gp import gp_from_table, write_gp_plot
    from .analysis.series import point_series, write_series_csv

    progress = ensure_progress(progress)
    gp_cfg = GPConfig(**gp) if gp else None
    if gp_cfg is not None:
        gp_cfg.validate()
    table = point_series(points, PointSeriesConfig(**config), progress.sub(0.0, 0.6 if gp else 0.95))
    if csv:
        write_series_csv(table, csv)
    result = {"table": table, "gp_table": None, "plot": None}
    if gp_cfg is not None:
        from .analysis.gp import normalise_series

        series = normalise_series(table, "point series")
        result["gp_table"], panels = gp_from_table(series, gp_cfg, progress=progress.sub(0.6, 0.95))
        if plot:
            result["plot"] = str(write_gp_plot(panels, plot, gp_cfg.components[0], progress))
    return result


def task_gp(input: str, config: dict, plot: str | None = None, progress: Progress | None = None) -> dict:
    """GP regression of a point-series CSV (``config``: GPConfig fields): ``table`` and ``plot``."""
    from .analysis.gp import gp_from_table, read_series_csv, write_gp_plot

    progress = ensure_progress(progress)
    cfg = GPConfig(**config)
    cfg.validate()
    series = read_series_csv(input)
    progress.info(f"{len(series)} pairs read from {Path(input).name}")
    table, panels = gp_from_table(series, cfg, progress.sub(0.0, 0.9))
    path = str(write_gp_plot(panels, plot, cfg.components[0], progress)) if plot else None
    return {"table": table, "plot": path}


def task_centerline(
    lines, config: dict, heatmap: str | None = None, progress: Progress | None = None
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


TASKS = {
    "find_cubes": task_find_cubes,
    "point_series": task_point_series,
    "gp": task_gp,
    "centerline": task_centerline,
    "pixel_pairs": task_pixel_pairs,
    "pixel_gp": task_pixel_gp,
    "pixel_mesh": task_pixel_mesh,
}
_LAYER_ARGS = ("aoi", "points", "lines")


# ------------------------------------------------------------------------------------------------
# command line


#: the GP options of both GP subcommands (the point series filters its pairs itself)
GP_OPTIONS = ("model", "robust", "step_days", "components", "extrapolate")
#: the output range and pair filter of ``itslive-gp-regression``
GP_TABLE_OPTIONS = ("start", "end", "min_dt", "max_dt")


def add_subcommands(subparsers) -> None:
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


def _find_cubes(args) -> int:
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


def _point_series(args) -> int:
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


def _gp(args) -> int:
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


def _centerline(args) -> int:
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


# ------------------------------------------------------------------------------------------------
# worker mode


def worker_main(job_path: str) -> int:
    """Run the job's task; its result dict is pickled next to the job and reported as ``result``."""
    job = pickle.loads(Path(job_path).read_bytes())
    kwargs = {k: layer_from_payload(v) if k in _LAYER_ARGS else v for k, v in job["kwargs"].items()}
    out = Path(job_path).with_suffix(".result.pkl")

    def call(progress: Progress) -> str:
        out.write_bytes(pickle.dumps(TASKS[job["task"]](**kwargs, progress=progress)))
        return str(out)

    return run_as_worker(call)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == WORKER_FLAG:
        sys.exit(worker_main(sys.argv[2]))
    from ..cli import main

    sys.exit(main(sys.argv[1:]))
