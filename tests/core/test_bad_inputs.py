"""The reliability matrix: bad inputs and faults for all six tools through the ``surface-motion`` command.

Every case must end with exit status 2 and ONE error line that names the input or parameter and says
what is wrong (no traceback), and must leave the output location exactly as it was (a previous product
sits there). The same classes through ``qgis_process``: ``tests/qgis_process/test_bad_inputs.py``.
"""

from __future__ import annotations

import gzip
import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from surface_motion.core.cli import main
from surface_motion.core.io import output_lock

from tests.core.egms.conftest import csv_text, rezip
from tests.core.itslive.analysis.test_centerline import write_inversion

RELEASE = "2020_2024_1"
#: what each command writes into its output location (pre-filled with a previous product)
PREVIOUS = {
    "egms-l3-ortho": f"EGMS_L3_E45N17_100km_U_{RELEASE}.zip",
    "itslive-invert": "velocity.nc",
    "itslive-find-cubes": "cubes.geojson",
    "itslive-point-series": "series.csv",
    "itslive-gp-regression": "gp.csv",
    "itslive-centerline-profile": "profile.gpkg",
}


def burst(folder: Path, name: str, csv: str) -> Path:
    return rezip(folder, f"EGMS_L2b_{name}_IW2_VV_{RELEASE}", csv)


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict[str, Path]:
    """Good inputs of every tool and one broken variant per failure class (paths by name)."""
    from surface_motion.core.itslive.io.catalog import write_local_catalog
    from surface_motion.core.synthetic.egms import generate
    from surface_motion.core.synthetic.itslive import write_synthetic_cube

    root = tmp_path_factory.mktemp("world")
    w: dict[str, Path] = {"root": root}
    (asc, desc), _ = generate(
        root / "egms", n_per_burst=120, n_epochs=24, bounds=(4_500_000, 1_700_000, 4_501_000, 1_701_000)
    )
    w["asc"], w["desc"] = asc, desc
    bad = root / "egms_bad"
    bad.mkdir()
    text = csv_text(asc)
    header, first, *rows = text.splitlines()
    w["truncated"] = bad / f"EGMS_L2b_900_0001_IW2_VV_{RELEASE}.zip"
    w["truncated"].write_bytes(asc.read_bytes()[: asc.stat().st_size // 2])
    w["no_csv"] = rezip(bad, f"EGMS_L2b_900_0002_IW2_VV_{RELEASE}", None)
    w["no_los"] = burst(bad, "900_0003", text.replace("los_east", "los_x"))
    w["text_value"] = burst(bad, "900_0004", "\n".join([header, first.rsplit(",", 1)[0] + ",abc", *rows]))
    w["dup_pid"] = burst(bad, "900_0005", "\n".join([header, first, first, *rows]))
    w["header_only"] = burst(bad, "900_0006", header)
    w["bad_date_header"] = burst(bad, "900_0007", text.replace(",20200109,", ",2020O109,"))
    w["bad_date"] = burst(bad, "900_0008", text.replace(",20200109,", ",20201309,"))
    flipped = [r.replace(",-0.6", ",0.6", 1) if i % 2 else r for i, r in enumerate(rows)]
    w["mixed_geometry"] = burst(bad, "900_0009", "\n".join([header, first, *flipped]))
    w["bad_xml"] = rezip(bad, f"EGMS_L2b_900_0010_IW2_VV_{RELEASE}", text, xml="<BURST><unclosed>")
    w["l3"] = rezip(bad, f"EGMS_L3_E45N17_100km_U_{RELEASE}", text)
    w["l2a"] = bad / f"EGMS_L2a_022_0200_IW2_VV_{RELEASE}.zip"
    shutil.copy(desc, w["l2a"])
    w["renamed_copy"] = bad / f"EGMS_L2b_117_9999_IW2_VV_{RELEASE}.zip"
    shutil.copy(asc, w["renamed_copy"])
    w["no_release"] = bad / "descending_burst.zip"
    shutil.copy(desc, w["no_release"])
    w["other_release"] = bad / "EGMS_L2b_022_0200_IW2_VV_2019_2023_1.zip"
    shutil.copy(desc, w["other_release"])
    w["bad_gzip"] = bad / f"EGMS_L2b_900_0011_IW2_VV_{RELEASE}.csv.gz"
    w["bad_gzip"].write_bytes(gzip.compress(text.encode())[:400])
    w["missing_burst"] = bad / f"EGMS_L2b_900_0012_IW2_VV_{RELEASE}.zip"
    w["gnss_missing"] = bad / "EGMS_AEPND_missing.csv"
    aoi = gpd.GeoDataFrame(geometry=[shapely.box(4_500_000, 1_700_000, 4_501_000, 1_701_000)], crs=3035)
    w["aoi_far_3035"] = _save(
        aoi.set_geometry([shapely.box(4_700_000, 1_700_000, 4_710_000, 1_710_000)]), root / "aoi_far.gpkg"
    )
    w["aoi_america"] = _save(
        gpd.GeoDataFrame(geometry=[shapely.box(-100, 30, -99, 31)], crs=4326), root / "aoi_america.gpkg"
    )
    w["aoi_no_crs"] = _save(aoi.set_crs(None, allow_override=True), root / "aoi_no_crs.gpkg")
    w["aoi_lines"] = _save(aoi.set_geometry(aoi.boundary), root / "aoi_lines.gpkg")

    # ITS_LIVE cube, glaciers, catalog, points, series, inversion NetCDF, lines
    cube = root / "ITS_LIVE_vel_EPSG3413_G0120_X-3250000_Y350000.zarr"
    truth = write_synthetic_cube(cube, nx=20, ny=20, n_pairs=120, seed=5)
    w["cube"] = cube
    w["glaciers"] = _save(truth.glaciers, root / "glaciers.gpkg")
    w["glaciers_no_crs"] = _save(
        truth.glaciers.set_crs(None, allow_override=True), root / "glaciers_no_crs.gpkg"
    )
    w["glaciers_far"] = _save(
        truth.glaciers.set_geometry([shapely.box(0, 0, 1000, 1000)] * len(truth.glaciers)),
        root / "glaciers_far.gpkg",
    )
    w["glaciers_lines"] = _save(
        truth.glaciers.set_geometry(truth.glaciers.boundary), root / "glaciers_lines.gpkg"
    )
    w["not_zarr"] = root / "not_a_cube"
    w["not_zarr"].mkdir()
    (w["not_zarr"] / "readme.txt").write_text("no cube here")
    import zarr

    w["no_vx"] = root / "no_vx.zarr"
    zarr.open_group(str(w["no_vx"]), mode="w", zarr_format=2).create_array("vy", shape=(1, 1, 1), dtype="i2")
    w["stale_cube"] = root / "stale" / cube.name
    shutil.copytree(cube, w["stale_cube"])
    for var in ("vx", "vy"):  # the consolidated metadata still lists them
        for chunk in (w["stale_cube"] / var).iterdir():
            if not chunk.name.startswith("."):
                chunk.unlink()
    w["corrupt_cube"] = root / "corrupt" / cube.name
    shutil.copytree(cube, w["corrupt_cube"])
    for chunk in (w["corrupt_cube"] / "vx").iterdir():
        if not chunk.name.startswith("."):
            chunk.write_bytes(b"\x02\x01garbage, not a compressed chunk" * 4)
    w["catalog"] = write_local_catalog(root / "catalog.json", [(str(cube), 3413, truth.x, truth.y)])
    for name, content in (
        ("catalog_not_json", "{not json"),
        ("catalog_not_fc", '{"type": "Feature"}'),
        ("catalog_empty", '{"type": "FeatureCollection", "features": []}'),
        (
            "catalog_no_url",
            '{"type": "FeatureCollection", "features": [{"type": "Feature", '
            '"properties": {"epsg": 3413}, "geometry": null}]}',
        ),
    ):
        w[name] = root / f"{name}.json"
        w[name].write_text(content)
    centre = shapely.Point(truth.x[10], truth.y[10])
    points = gpd.GeoDataFrame({"point_id": ["p1"]}, geometry=[centre], crs=3413)
    w["points"] = _save(points, root / "points.gpkg")
    w["points_far"] = _save(points.set_geometry([shapely.Point(0, 0)]), root / "points_far.gpkg")
    w["points_no_crs"] = _save(points.set_crs(None, allow_override=True), root / "points_no_crs.gpkg")
    w["points_polygons"] = _save(points.set_geometry([centre.buffer(100)]), root / "points_polygons.gpkg")
    w["points_empty"] = _save(points.iloc[:0], root / "points_empty.gpkg")

    series = _series(40)
    w["series"] = _csv(series, root / "series.csv")
    w["series_no_v"] = _csv(series.drop(columns="v"), root / "series_no_v.csv")
    w["series_text_v"] = _csv(
        series.assign(v=series["v"].astype(object).where(series.index != 3, "fast")),
        root / "series_text_v.csv",
    )
    w["series_inf"] = _csv(
        series.assign(v=series["v"].where(series.index != 3, np.inf)), root / "series_inf.csv"
    )
    w["series_negative_error"] = _csv(series.assign(v_error=-series["v_error"]), root / "series_neg.csv")
    w["series_zero_dt"] = _csv(
        series.assign(date_dt=series["date_dt"].where(series.index != 5, 0.0)), root / "series_zero_dt.csv"
    )
    w["series_short"] = _csv(series.iloc[:3], root / "series_short.csv")
    w["series_bad_dates"] = _csv(series.assign(mid_date="someday"), root / "series_bad_dates.csv")
    w["series_no_time"] = _csv(series.drop(columns=["date_dt"]), root / "series_no_time.csv")
    w["series_binary"] = root / "series_binary.csv"
    w["series_binary"].write_bytes(bytes(range(256)) * 8)

    w["inversion"] = write_inversion(root / "inversion.nc")
    w["not_netcdf"] = root / "not_netcdf.nc"
    w["not_netcdf"].write_text("not a NetCDF file")
    w["netcdf_no_v"] = root / "netcdf_no_v.nc"
    import netCDF4

    with netCDF4.Dataset(w["netcdf_no_v"], "w") as ds:
        ds.createDimension("x", 2)
        ds.createVariable("x", "f8", ("x",))[:] = [0.0, 1.0]
    grid_x, grid_y = -3300000.0 + 120.0 * np.array([2.5, 30.5]), 300000.0 - 120.0 * 5.5
    lines = gpd.GeoDataFrame(
        {"line_id": ["A"]},
        geometry=[shapely.LineString([(grid_x[0], grid_y), (grid_x[1], grid_y)])],
        crs=3413,
    )
    w["lines"] = _save(lines, root / "lines.gpkg")
    w["lines_far"] = _save(
        lines.set_geometry([shapely.LineString([(0, 0), (1000, 0)])]), root / "lines_far.gpkg"
    )
    w["lines_no_crs"] = _save(lines.set_crs(None, allow_override=True), root / "lines_no_crs.gpkg")
    w["lines_polygons"] = _save(lines.set_geometry(lines.buffer(200)), root / "lines_polygons.gpkg")
    w["lines_empty"] = _save(lines.iloc[:0], root / "lines_empty.gpkg")
    w["a_file"] = root / "a_file.txt"
    w["a_file"].write_text("a file where a folder is expected")
    return w


def _save(frame: gpd.GeoDataFrame, path: Path) -> Path:
    frame.to_file(path)
    return path


def _csv(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


def _series(n: int) -> pd.DataFrame:
    """An itslive-py style export: mid_date, date_dt, v, v_error (m/yr) over two years."""
    rng = np.random.default_rng(1)
    mid = pd.Timestamp("2019-01-01") + pd.to_timedelta(np.sort(rng.uniform(0, 700, n)), unit="D")
    return pd.DataFrame(
        {
            "mid_date": mid.strftime("%Y-%m-%dT%H:%M:%S"),
            "date_dt": rng.uniform(6, 48, n).round(1),
            "v": 500 + 100 * np.sin(np.arange(n) / 5) + rng.normal(0, 10, n),
            "v_error": np.full(n, 20.0),
        }
    )


# ------------------------------------------------------------------------------------------------
# the cases: (id, command, arguments with {name} placeholders for world paths and {out}, expected message)

EGMS = "egms-l3-ortho"
INVERT = "itslive-invert"
FIND = "itslive-find-cubes"
SERIES = "itslive-point-series"
GP = "itslive-gp-regression"
LINE = "itslive-centerline-profile"

GOOD = {
    EGMS: "-o {out} {asc} {desc}",
    INVERT: "--glaciers {glaciers} --cube {cube} --output {out}/velocity.nc --device cpu --block-size 10",
    FIND: "--aoi {glaciers} --catalog {catalog} --output {out}/cubes.geojson",
    SERIES: "--points {points} --cube {cube} --output {out}/series.csv",
    GP: "--input {series} --output {out}/gp.csv --step-days 10",
    LINE: "--lines {lines} --netcdf {inversion} --output {out}/profile.gpkg",
}


def case(id_, command, extra, message, base=True):
    return pytest.param(
        command, (GOOD[command] + " " + extra) if base else extra, message, id=f"{command}:{id_}"
    )


CASES = [
    # EGMS: damaged or wrong files
    case("truncated zip", EGMS, "{truncated}", r"900_0001.*not a readable ZIP archive.*download"),
    case("zip without csv", EGMS, "{no_csv}", r"holds no CSV file"),
    case("missing los column", EGMS, "-o {out} {no_los} {desc}", r"column 'los_east'.*missing", base=False),
    case("text in a value", EGMS, "{text_value}", r"non-numeric or malformed value in column"),
    case("duplicate pid", EGMS, "-o {out} {dup_pid} {desc}", r"duplicate pid", base=False),
    case("header only", EGMS, "{header_only}", r"header but no rows"),
    case("malformed date header", EGMS, "{bad_date_header}", r"column '2020O109'.*not YYYYMMDD"),
    case("impossible date", EGMS, "{bad_date}", r"date column is not a valid date"),
    case(
        "two geometries in one burst",
        EGMS,
        "-o {out} {mixed_geometry} {desc}",
        r"mixes ascending .* and descending",
        base=False,
    ),
    case("invalid xml", EGMS, "{bad_xml}", r"XML metadata is not valid XML"),
    case("l3 as input", EGMS, "{l3}", r"is an L3 \(ortho\) product"),
    case("l2a with l2b", EGMS, "-o {out} {asc} {l2a}", r"mixes products L2a and L2b", base=False),
    case("same burst renamed", EGMS, "{renamed_copy}", r"holds the same burst as"),
    case("same file twice", EGMS, "{asc}", r"the same burst file is given twice"),
    case(
        "name without release",
        EGMS,
        "-o {out} {asc} {no_release}",
        r"descending_burst.zip: has no release",
        base=False,
    ),
    case(
        "two releases",
        EGMS,
        "-o {out} {asc} {other_release}",
        r"mixes releases 2019_2023_1, 2020_2024_1",
        base=False,
    ),
    case("damaged gzip", EGMS, "{bad_gzip}", r"gzip stream is damaged|file is damaged"),
    case("missing file", EGMS, "{missing_burst}", r"900_0012.*file not found"),
    case("only ascending", EGMS, "-o {out} {asc}", r"only ascending MPs.*add a descending burst", base=False),
    # EGMS: parameters
    case("spacing 0", EGMS, "--spacing 0", r"SPACING: 0 is outside the allowed range 10…100,000 m"),
    case("spacing 0.5", EGMS, "--spacing 0.5", r"SPACING: 0.5 is outside the allowed range"),
    case("spacing negative", EGMS, "--spacing -100", r"SPACING: -100 is outside"),
    case("spacing not dividing", EGMS, "--spacing 333", r"SPACING: 333 m does not divide the 100 km tile"),
    case(
        "spacing days 0", EGMS, "--spacing-days 0", r"SPACING_DAYS: 0 is outside the allowed range 1…365 days"
    ),
    case("spacing days 1000", EGMS, "--spacing-days 1000", r"SPACING_DAYS: 1000 is outside"),
    case("max gap negative", EGMS, "--max-gap-days -1", r"MAX_GAP_DAYS: -1 is outside .*0…3,650 days"),
    case("min mp count 0", EGMS, "--min-mp-count 0", r"MIN_MP_COUNT: 0 is outside the allowed range 2…"),
    case(
        "start after end", EGMS, "--start-date 2020-06-01 --end-date 2020-02-01", r"START_DATE: .*swap them"
    ),
    case(
        "date format", EGMS, "--start-date 01/02/2020", r"START_DATE: '01/02/2020' is not a date.*YYYY-MM-DD"
    ),
    case(
        "period without data",
        EGMS,
        "--start-date 2030-01-01 --end-date 2031-01-01",
        r"(START|END)_DATE: the period 2030-01-01…2031-01-01 reaches beyond the inputs' dates",
    ),
    case("end far after data", EGMS, "--end-date 2027-01-01", r"END_DATE: .*beyond the inputs' dates"),
    case("gnss north without model", EGMS, "--remove-gnss-north", r"REMOVE_GNSS_NORTH: needs GNSS_MODEL"),
    case("gnss model missing", EGMS, "--gnss-model {gnss_missing}", r"GNSS_MODEL: .*not found"),
    case("unknown format", EGMS, "--formats zip,shp", r"FORMATS: choose among"),
    case(
        "aoi outside inputs", EGMS, "--aoi {aoi_far_3035}", r"AOI: contains no measurement point.*inputs span"
    ),
    case("aoi in america", EGMS, "--aoi {aoi_america}", r"AOI: lies at lon .* outside the European area"),
    case("aoi without crs", EGMS, "--aoi {aoi_no_crs}", r"AOI: .*aoi_no_crs.gpkg has no CRS"),
    case("aoi of lines", EGMS, "--aoi {aoi_lines}", r"AOI: holds no polygon"),
    case("aoi wkt invalid", EGMS, "--aoi POLYGON((1", r"AOI: not a valid WKT geometry"),
    case(
        "output is a file",
        EGMS,
        "-o {a_file} {asc} {desc}",
        r"OUTPUT_FOLDER: .*a_file.txt is a file, not a folder",
        base=False,
    ),
    case(
        "output not writable",
        EGMS,
        "-o /proc/surface-motion-test/out {asc} {desc}",
        r"OUTPUT_FOLDER: cannot write in /proc",
        base=False,
    ),
    case(
        "dead scheduler",
        EGMS,
        "--scheduler tcp://127.0.0.1:9",
        r"SCHEDULER: no Dask scheduler answers at tcp://127.0.0.1:9",
    ),
    case(
        "scheduler not an address",
        EGMS,
        "--scheduler ftp://somewhere",
        r"SCHEDULER: 'ftp://somewhere' is not a ",
    ),
    # ITS_LIVE inversion
    case(
        "not a zarr store",
        INVERT,
        "--glaciers {glaciers} --cube {not_zarr} --output {out}/velocity.nc",
        r"not_a_cube: not a zarr store",
        base=False,
    ),
    case(
        "cube without vx",
        INVERT,
        "--glaciers {glaciers} --cube {no_vx} --output {out}/velocity.nc",
        r"column 'vx'.*variable missing",
        base=False,
    ),
    case(
        "cube folder missing",
        INVERT,
        "--glaciers {glaciers} --cube {root}/nothing.zarr --output {out}/velocity.nc",
        r"nothing.zarr: not a zarr store",
        base=False,
    ),
    case(
        "stale consolidated metadata",
        INVERT,
        "--glaciers {glaciers} --cube {stale_cube} --output {out}/velocity.nc --device cpu",
        r"CUBES: none of the .* glacier pixels got a value.*chunks are missing.*stale",
        base=False,
    ),
    case(
        "corrupt chunk",
        INVERT,
        "--glaciers {glaciers} --cube {corrupt_cube} --output {out}/velocity.nc --device cpu",
        r"chunk 'vx/\d+\.\d+\.\d+' cannot be decoded.*damaged",
        base=False,
    ),
    case(
        "every pixel empty",
        INVERT,
        "--min-observations 100000",
        r"CUBES: none of the .* glacier pixels got a value: each has fewer than MIN_OBSERVATIONS=100000",
    ),
    case(
        "glaciers outside cubes",
        INVERT,
        "--glaciers {glaciers_far} --cube {cube} --output {out}/velocity.nc",
        r"no glacier lies on any cube",
        base=False,
    ),
    case(
        "glaciers without crs",
        INVERT,
        "--glaciers {glaciers_no_crs} --cube {cube} --output {out}/velocity.nc",
        r"GLACIERS: the layer has no CRS",
        base=False,
    ),
    case(
        "glaciers as lines",
        INVERT,
        "--glaciers {glaciers_lines} --cube {cube} --output {out}/velocity.nc",
        r"GLACIERS: the layer has no polygon",
        base=False,
    ),
    case(
        "glaciers file missing",
        INVERT,
        "--glaciers {root}/none.gpkg --cube {cube} --output {out}/velocity.nc",
        r"none.gpkg: glacier outline file not found",
        base=False,
    ),
    case("start after end", INVERT, "--start 2020-01-01 --end 2019-01-01", r"START_DATE: .*swap them"),
    case("date format", INVERT, "--start 2020-31-31", r"START_DATE: '2020-31-31' is not a date"),
    case(
        "interval longer than period",
        INVERT,
        "--start 2019-01-01 --end 2019-01-20 --interval-days 30",
        r"INTERVAL_DAYS: 30.* is longer than the period",
    ),
    case(
        "interval 0",
        INVERT,
        "--interval-days 0",
        r"INTERVAL_DAYS: 0 is outside the allowed range 1…3,650 days",
    ),
    case("lambda negative", INVERT, "--lam -1", r"LAMBDA: -1 is outside the allowed range 0…10 yr"),
    case("derivative 3", INVERT, "--derivative 3", r"argument --derivative: invalid choice"),
    case(
        "min observations 0",
        INVERT,
        "--min-observations 0",
        r"MIN_OBSERVATIONS: 0 is outside .*1…100,000 pairs",
    ),
    case("block size 0", INVERT, "--block-size 0", r"BLOCK_SIZE: 0 is outside"),
    case(
        "min dt above max dt",
        INVERT,
        "--min-dt 100 --max-dt 10",
        r"MIN_DATE_DT: 100 days exceeds MAX_DATE_DT",
    ),
    case("min dt negative", INVERT, "--min-dt -5", r"MIN_DATE_DT: -5 is outside"),
    case(
        "no pair after filters",
        INVERT,
        "--max-dt 1",
        r"no image pair left after the mission/date/date_dt filters",
    ),
    case("unknown mission", INVERT, "--missions Voyager", r"Voyager"),
    case(
        "output not netcdf",
        INVERT,
        "--glaciers {glaciers} --cube {cube} --output {out}/velocity.txt",
        r"OUTPUT: 'velocity.txt' must end in .nc",
        base=False,
    ),
    case(
        "output is a folder",
        INVERT,
        "--glaciers {glaciers} --cube {cube} --output {out}",
        r"OUTPUT: .* is a folder; give a file name",
        base=False,
    ),
    case(
        "output under a file",
        INVERT,
        "--glaciers {glaciers} --cube {cube} --output {a_file}/velocity.nc",
        r"OUTPUT: .*a_file.txt is a file, so .* cannot be created",
        base=False,
    ),
    case(
        "mean velocity not tif",
        INVERT,
        "--mean-velocity {out}/mean.png",
        r"MEAN_VELOCITY: 'mean.png' must end in .tif",
    ),
    case("dead scheduler", INVERT, "--scheduler tcp://127.0.0.1:9", r"SCHEDULER: no Dask scheduler answers"),
    case("cuda without gpu", INVERT, "--device cuda", r"DEVICE: cuda"),
    # find cubes
    case(
        "catalog not json",
        FIND,
        "--aoi {glaciers} --catalog {catalog_not_json}",
        r"not a GeoJSON catalog: the file "
        "is not valid JSON",
        base=False,
    ),
    case(
        "catalog not a collection",
        FIND,
        "--aoi {glaciers} --catalog {catalog_not_fc}",
        r"expected a FeatureCollection",
        base=False,
    ),
    case(
        "catalog without features",
        FIND,
        "--aoi {glaciers} --catalog {catalog_empty}",
        r"the catalog has no features",
        base=False,
    ),
    case(
        "catalog without zarr_url",
        FIND,
        "--aoi {glaciers} --catalog {catalog_no_url}",
        r"lack this property",
        base=False,
    ),
    case(
        "catalog missing",
        FIND,
        "--aoi {glaciers} --catalog {root}/none.json",
        r"catalog file not found",
        base=False,
    ),
    case(
        "aoi outside every cube",
        FIND,
        "--aoi {glaciers_far} --catalog {catalog}",
        r"AOI: no ITS_LIVE cube of the catalog .* covers the area of interest",
        base=False,
    ),
    case(
        "aoi without crs",
        FIND,
        "--aoi {glaciers_no_crs} --catalog {catalog}",
        r"AOI: the layer has no CRS",
        base=False,
    ),
    case(
        "aoi missing",
        FIND,
        "--aoi {root}/none.gpkg --catalog {catalog}",
        r"none.gpkg: AOI file not found",
        base=False,
    ),
    case(
        "aoi empty",
        FIND,
        "--aoi {points_empty} --catalog {catalog}",
        r"AOI: the layer has no features",
        base=False,
    ),
    case(
        "output is a folder",
        FIND,
        "--aoi {glaciers} --catalog {catalog} --output {out}",
        r"--output: .* is a folder",
        base=False,
    ),
    # point series
    case(
        "points outside cubes",
        SERIES,
        "--points {points_far} --cube {cube} --output {out}/series.csv",
        r"POINTS: no point lies inside the given cubes",
        base=False,
    ),
    case(
        "points without crs",
        SERIES,
        "--points {points_no_crs} --cube {cube} --output {out}/series.csv",
        r"POINTS: the layer has no CRS",
        base=False,
    ),
    case(
        "polygons as points",
        SERIES,
        "--points {points_polygons} --cube {cube} --output {out}/series.csv",
        r"POINTS: expected single points",
        base=False,
    ),
    case(
        "points empty",
        SERIES,
        "--points {points_empty} --cube {cube} --output {out}/series.csv",
        r"POINTS: the layer has no features",
        base=False,
    ),
    case(
        "points file missing",
        SERIES,
        "--points {root}/none.gpkg --cube {cube} --output {out}/series.csv",
        r"none.gpkg: points file not found",
        base=False,
    ),
    case(
        "cube not zarr",
        SERIES,
        "--points {points} --cube {not_zarr} --output {out}/series.csv",
        r"not a zarr store",
        base=False,
    ),
    case(
        "no pair after filters", SERIES, "--max-dt 1", r"no image pair is left after the mission/date/date_dt"
    ),
    case(
        "min dt above max dt", SERIES, "--min-dt 50 --max-dt 5", r"MIN_DATE_DT: 50 days exceeds MAX_DATE_DT 5"
    ),
    case("min dt negative", SERIES, "--min-dt -1", r"MIN_DATE_DT: -1 is outside"),
    case("neighbourhood 2", SERIES, "--neighborhood 2", r"argument --neighborhood: invalid choice"),
    case(
        "gp step 0", SERIES, "--gp --step-days 0", r"STEP_DAYS: 0 is outside the allowed range 0.1…365 days"
    ),
    case(
        "output is a folder",
        SERIES,
        "--points {points} --cube {cube} --output {out}",
        r"--output: .* is a folder",
        base=False,
    ),
    case(
        "gp output under a file",
        SERIES,
        "--gp --gp-output {a_file}/gp.csv",
        r"--gp-output: .*a_file.txt is a file",
    ),
    # GP regression
    case(
        "csv missing",
        GP,
        "--input {root}/none.csv --output {out}/gp.csv",
        r"none.csv: file not found",
        base=False,
    ),
    case(
        "not a csv",
        GP,
        "--input {series_binary} --output {out}/gp.csv",
        r"series_binary.csv: (not a readable CSV|.*"
        "velocity column missing)",
        base=False,
    ),
    case(
        "no velocity column",
        GP,
        "--input {series_no_v} --output {out}/gp.csv",
        r"column 'v'.*velocity column missing",
        base=False,
    ),
    case(
        "text velocity",
        GP,
        "--input {series_text_v} --output {out}/gp.csv",
        r"column 'v': 1 non-numeric values",
        base=False,
    ),
    case(
        "infinite velocity",
        GP,
        "--input {series_inf} --output {out}/gp.csv",
        r"column 'v': 1 infinite values",
        base=False,
    ),
    case(
        "negative errors",
        GP,
        "--input {series_negative_error} --output {out}/gp.csv",
        r"column 'v_error': 40 negative errors",
        base=False,
    ),
    case(
        "date_dt zero",
        GP,
        "--input {series_zero_dt} --output {out}/gp.csv",
        r"column 'date_dt': 1 pairs with "
        "date_dt = 0",
        base=False,
    ),
    case(
        "too few pairs",
        GP,
        "--input {series_short} --output {out}/gp.csv",
        r"only 3 observations: at least 5",
        base=False,
    ),
    case(
        "dates not dates",
        GP,
        "--input {series_bad_dates} --output {out}/gp.csv",
        r"column 'mid_date': 40 values "
        "are not dates",
        base=False,
    ),
    case(
        "no time columns",
        GP,
        "--input {series_no_time} --output {out}/gp.csv",
        r"column 'date_dt'.*needed to place",
        base=False,
    ),
    case(
        "start after end",
        GP,
        "--start 2020-01-01 --end 2019-06-01",
        r"START_DATE: 2020-01-01 is not before END_DATE",
    ),
    case(
        "output beyond the pairs",
        GP,
        "--start 2015-01-01 --end 2019-06-01",
        r"START_DATE: the output 2015-01-01…2019-06-01 reaches beyond the pairs .*would be extrapolated.*EXTRAPOLATE",
    ),
    case("end beyond the pairs", GP, "--end 2024-01-01", r"END_DATE: .*reaches beyond the pairs"),
    case("date format", GP, "--start 2019/13/01", r"START_DATE: '2019/13/01' is not a date"),
    case("step 0", GP, "--step-days 0", r"STEP_DAYS: 0 is outside the allowed range"),
    case("step 1000", GP, "--step-days 1000", r"STEP_DAYS: 1000 is outside the allowed range"),
    case(
        "min dt above max dt", GP, "--min-dt 40 --max-dt 10", r"MIN_DATE_DT: 40 days exceeds MAX_DATE_DT 10"
    ),
    case("filters leave too few", GP, "--max-dt 6.5", r"only \d observations: at least 5"),
    case("unknown component", GP, "--components v,vz", r"COMPONENTS: choose among v, vx, vy"),
    case("component absent", GP, "--components vx", r"column 'vx': component missing"),
    case("model unknown", GP, "--model spline", r"argument --model: invalid choice"),
    case(
        "output is a folder", GP, "--input {series} --output {out}", r"--output: .* is a folder", base=False
    ),
    case("plot under a file", GP, "--plot {a_file}/gp.png", r"--plot: .*a_file.txt is a file"),
    # centerline profile
    case(
        "netcdf missing",
        LINE,
        "--lines {lines} --netcdf {root}/none.nc --output {out}/profile.gpkg",
        r"none.nc: inversion NetCDF not found",
        base=False,
    ),
    case(
        "not a netcdf",
        LINE,
        "--lines {lines} --netcdf {not_netcdf} --output {out}/profile.gpkg",
        r"not_netcdf.nc: not a NetCDF file",
        base=False,
    ),
    case(
        "netcdf without v",
        LINE,
        "--lines {lines} --netcdf {netcdf_no_v} --output {out}/profile.gpkg",
        r"column 'time': variable missing: not an ITS_LIVE inversion NetCDF",
        base=False,
    ),
    case(
        "lines outside the grid",
        LINE,
        "--lines {lines_far} --netcdf {inversion} --output {out}/profile.gpkg",
        r"LINES: no line crosses the grid",
        base=False,
    ),
    case(
        "lines without crs",
        LINE,
        "--lines {lines_no_crs} --netcdf {inversion} --output {out}/profile.gpkg",
        r"LINES: the layer has no CRS",
        base=False,
    ),
    case(
        "polygons as lines",
        LINE,
        "--lines {lines_polygons} --netcdf {inversion} --output {out}/profile.gpkg",
        r"LINES: holds Polygon geometries; give lines",
        base=False,
    ),
    case(
        "lines empty",
        LINE,
        "--lines {lines_empty} --netcdf {inversion} --output {out}/profile.gpkg",
        r"LINES: the layer has no features",
        base=False,
    ),
    case(
        "lines file missing",
        LINE,
        "--lines {root}/none.gpkg --netcdf {inversion} --output {out}/profile.gpkg",
        r"none.gpkg: lines file not found",
        base=False,
    ),
    case("spacing 0", LINE, "--spacing 0", r"SPACING: 0 is outside the allowed range 1…100,000 m"),
    case("spacing 0.001", LINE, "--spacing 0.001", r"SPACING: 0.001 is outside the allowed range"),
    case("spacing 0.5", LINE, "--spacing 0.5", r"SPACING: 0.5 is outside"),
    case(
        "output is a folder",
        LINE,
        "--lines {lines} --netcdf {inversion} --output {out}",
        r"--output: .* is a folder",
        base=False,
    ),
    case("heatmap under a file", LINE, "--heatmap {a_file}/h.png", r"--heatmap: .*a_file.txt is a file"),
]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes; the inversion's checkpoint is left out (it keeps finished
    blocks for a resume by design)."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not any(part.endswith(".checkpoint") for part in p.relative_to(folder).parts)
    }


def run_cli(argv: list[str], capsys) -> tuple[int, str]:
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse refuses a value
        status = exc.code
    return status, capsys.readouterr().err


@pytest.mark.parametrize("command, arguments, message", CASES)
def test_bad_input_fails_cleanly_and_changes_no_product(world, tmp_path, capsys, command, arguments, message):
    if command == INVERT and "--device cuda" in arguments:
        from tests.conftest import cuda_available

        if cuda_available():
            pytest.skip("a CUDA device is present")
    out = tmp_path / "out"
    out.mkdir()
    (out / PREVIOUS[command]).write_bytes(b"a previous product")
    before = snapshot(out)
    argv = [command, *[a.format(**world, out=out) for a in arguments.split()]]
    status, stderr = run_cli(argv, capsys)
    assert status == 2, stderr
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if "error:" in line]
    assert len(lines) == 1, stderr
    assert re.search(message, lines[0]), lines[0]
    assert snapshot(out) == before


def test_the_matrix_covers_every_tool_with_enough_cases():
    commands = [p.values[0] for p in CASES]
    assert set(commands) == set(GOOD) and len(CASES) >= 120


def test_a_second_run_on_a_locked_output_is_refused(world, tmp_path, capsys):
    out = tmp_path / "velocity.nc"
    out.write_bytes(b"a previous product")
    with output_lock(out):
        argv = [INVERT, *GOOD[INVERT].format(**world, out=tmp_path).split()]
        status, stderr = run_cli(argv, capsys)
    assert status == 2 and re.search(r"OUTPUT: another run is writing .*velocity.nc \(process \d+", stderr), (
        stderr
    )
    assert out.read_bytes() == b"a previous product"
    status, _ = run_cli(argv, capsys)  # the lock is gone with its holder
    assert status == 0 and out.read_bytes() != b"a previous product"


@pytest.mark.parametrize("command", sorted(GOOD))
def test_the_good_inputs_succeed(world, tmp_path, capsys, command):
    """The matrix's base commands work, so each failure above comes from its one change; and they write the
    product the failures must leave alone (else "no product changed" would hold for want of a product)."""
    out = tmp_path / "out"
    out.mkdir()
    status, stderr = run_cli([command, *GOOD[command].format(**world, out=out).split()], capsys)
    assert status == 0, stderr
    product = out / PREVIOUS[command]
    assert product.is_file() and product.stat().st_size > 0, sorted(p.name for p in out.iterdir())
