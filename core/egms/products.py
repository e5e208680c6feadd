"""Write L3 Ortho products as the official ones: ZIP (CSV + ``<TILE>`` XML), GeoTIFF, MD5, plus
GeoPackage and GeoParquet point layers.

Numbers are written like the official files: rounded half-to-even on ``x·10^d`` (``np.round``),
shortest form (``1.0``, ``0.46``, ``-0.0`` kept), easting/northing as integers. The CSV text is
built column-wise with Arrow compute kernels (no per-value Python formatting).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .grid import TILE_SIZE, cell_centres, l3_pid, tile_bounds

#: (column, canonical key, decimals) in the 2020–2024 order; dates follow
COLUMNS = (
    ("pid", "pid", None), ("easting", "easting", 0), ("northing", "northing", 0),
    ("height_ortho", "height", 1), ("rmse_ts", "rmse", 1), ("mean_velocity", "mean_velocity", 1),
    ("mean_velocity_std", "mean_velocity_std", 1), ("acceleration", "acceleration", 2),
    ("acceleration_std", "acceleration_std", 2), ("seasonality", "seasonality", 1),
    ("seasonality_std", "seasonality_std", 1), ("gnss_velocity_n", "gnss_n", 1),
    ("gnss_velocity_e", "gnss_e", 1), ("gnss_velocity_u", "gnss_u", 1),
)
#: release ≤ 2019–2023 (PD Table 5): old names, no gnss columns
LEGACY_COLUMNS = tuple((("height" if c == "height_ortho" else "rmse" if c == "rmse_ts" else c), k, d)
                       for c, k, d in COLUMNS if not c.startswith("gnss"))
SERIES_DECIMALS = 1
NODATA = -9999.0


@dataclass
class ComponentResult:
    """One component (``E`` or ``U``) of a tile: statistics (c,) and re-referenced series (c, T) in mm."""

    stats: dict[str, np.ndarray]
    series: np.ndarray


@dataclass
class TileResult:
    """Solved cells of one 100 km tile."""

    tile: str
    te: int
    tn: int
    ix: np.ndarray
    iy: np.ndarray
    height: np.ndarray
    gnss: np.ndarray | None  # (3, c) n/e/u mm/yr or None
    components: dict[str, ComponentResult] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.ix.size)


def product_stem(tile: str, component: str, release: str | None) -> str:
    """``EGMS_L3_E45N17_100km_U_2020_2024_1`` (no release suffix for the first releases)."""
    return f"EGMS_L3_{tile}_100km_{component}" + (f"_{release}" if release else "")


def round_like_official(values: np.ndarray, decimals: int) -> np.ndarray:
    """``np.round`` (half-to-even on x·10^d), the official rounding; NaN stays NaN."""
    return np.round(np.asarray(values, dtype=np.float64), decimals)


LOOKUP_SPAN = 1 << 20


def format_numbers(values: np.ndarray, decimals: int):
    """Arrow string array of ``repr(np.round(v, decimals))`` for every value (integers for 0 decimals);
    NaN → null (empty field).

    When the rounded values span fewer than ~1M steps (time series, velocities), each distinct
    string is built once and the column is an Arrow ``take`` from that table.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    v = np.asarray(values, dtype=np.float64)
    finite = v[~np.isnan(v)]
    if finite.size > 4096:
        k = np.rint(finite * 10.0 ** decimals)
        lo, hi = int(k.min()), int(k.max())
        if hi - lo < LOOKUP_SPAN:
            steps = np.arange(lo, hi + 1, dtype=np.float64)
            # table: every step, then "-0" (negative zero, e.g. np.round(-0.04, 1)), then null for NaN
            table = pa.concat_arrays([_format(steps / 10.0 ** decimals, decimals),
                                      _format(np.array([-0.0]), decimals), pa.array([None], pa.string())])
            kk = np.rint(np.where(np.isnan(v), 0.0, v) * 10.0 ** decimals)
            idx = (kk - lo).astype(np.int64)
            idx = np.where(np.signbit(kk) & (kk == 0), hi - lo + 1, idx)
            idx = np.where(np.isnan(v), hi - lo + 2, idx)
            return pc.take(table, pa.array(idx))
    return _format(v, decimals)


def _format(v: np.ndarray, decimals: int):
    import pyarrow as pa
    import pyarrow.compute as pc

    nan = np.isnan(v)
    k = np.rint(np.where(nan, 0.0, v) * 10.0 ** decimals)
    neg = np.signbit(k)
    a = np.abs(k).astype(np.int64)
    mask = pa.array(nan)
    if decimals == 0:
        text = pc.cast(pa.array(np.where(neg & (a != 0), -a, a)), pa.string())
        return pc.if_else(mask, pa.scalar(None, pa.string()), text)
    scale = 10 ** decimals
    ip, fp = a // scale, a % scale
    # shortest form: drop trailing zeros of the fraction but keep one digit
    width = np.full(fp.shape, decimals)
    for _ in range(decimals - 1):
        strip = (width > 1) & (fp % 10 == 0)
        fp = np.where(strip, fp // 10, fp)
        width = np.where(strip, width - 1, width)
    frac = pc.cast(pa.array(fp), pa.string())
    if decimals > 1:
        padded = pc.utf8_lpad(frac, decimals, "0")
        for w in range(1, decimals):
            frac = pc.if_else(pa.array(width == w), pc.utf8_lpad(frac, w, "0"), frac)
        frac = pc.if_else(pa.array(width == decimals), padded, frac)
    sign = pc.if_else(pa.array(neg), "-", "")
    text = pc.binary_join_element_wise(sign, pc.cast(pa.array(ip), pa.string()), ".", frac, "")
    return pc.if_else(mask, pa.scalar(None, pa.string()), text)


def cell_table(result: TileResult, component: str, spacing: float, date_labels: list[str],
               ipe: str = "1", legacy: bool = False) -> tuple[list[str], dict[str, np.ndarray]]:
    """Column names and numeric values (rounded like the official file) of one component's table."""
    comp = result.components[component]
    cx, cy = cell_centres(result.ix, result.iy, spacing)
    gnss = result.gnss if result.gnss is not None else np.full((3, len(result)), np.nan)
    src = {"pid": l3_pid(result.ix, result.iy, ipe), "easting": cx, "northing": cy, "height": result.height,
           "gnss_n": gnss[0], "gnss_e": gnss[1], "gnss_u": gnss[2], **comp.stats}
    cols = LEGACY_COLUMNS if legacy else COLUMNS
    names, values = [], {}
    for name, key, dec in cols:
        names.append(name)
        values[name] = src[key] if dec is None else round_like_official(src[key], dec)
    for j, label in enumerate(date_labels):
        names.append(label)
        values[label] = round_like_official(comp.series[:, j], SERIES_DECIMALS)
    return names, values


def write_csv(path: Path, names: list[str], values: dict[str, np.ndarray]) -> None:
    """The L3 CSV: header + one line per cell, official number formatting."""
    import pyarrow as pa

    decimals = {c: d for c, _, d in COLUMNS + LEGACY_COLUMNS}
    series = [n for n in names if n not in decimals]
    n = len(values[names[0]])
    # all date columns formatted in one call (column-major), then zero-copy slices
    block = format_numbers(np.column_stack([values[c] for c in series]).T.ravel(), SERIES_DECIMALS) if series else None
    arrays = []
    for name in names:
        if name == "pid":
            arrays.append(pa.array(values[name].astype(str)))
        elif name in decimals:
            arrays.append(format_numbers(values[name], decimals[name]))
        else:
            arrays.append(block.slice(series.index(name) * n, n))
    write_plain_csv(path, pa.Table.from_arrays(arrays, names=names))


def write_plain_csv(path: Path, table) -> None:
    """CSV without any quoting (header included), ``\n`` line ends, as the EGMS files."""
    import pyarrow.csv as pacsv

    with open(path, "wb") as f:
        f.write((",".join(table.column_names) + "\n").encode())
        pacsv.write_csv(table, f, write_options=pacsv.WriteOptions(include_header=False, quoting_style="none"))


def tile_xml(metadata: dict, production_date: dt.date | None = None) -> bytes:
    """The ``<TILE>`` XML of an L3 product (layout of the official files)."""
    date = (production_date or dt.date.today()).strftime("%d/%m/%Y")
    lines = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        "<TILE>",
        "  <product_level>L3</product_level>",
        f"  <production_facility>{_esc(metadata.get('production_facility', 'Surface Motion'))}</production_facility>",
        f"  <production_date>{date}</production_date>",
        "  <dem>",
        f"    <version>{_esc(metadata.get('dem/version', ''))}</version>",
        "  </dem>",
        "  <gnss>",
        f"    <version>{_esc(metadata.get('gnss/version', ''))}</version>",
        "  </gnss>",
        "</TILE>",
    ]
    return "\n".join(lines).encode("utf-8")


def _esc(text: str) -> str:
    from xml.sax.saxutils import escape

    return escape(str(text))


def write_zip(path: Path, stem: str, csv_path: Path, xml: bytes) -> None:
    """ZIP with ``<stem>.xml`` then ``<stem>.csv`` (deflated), as the official archives."""
    # level 1: 4–5× faster than the default 6 on 100 MB CSVs, ~15 % larger archives
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr(f"{stem}.xml", xml)
        zf.write(csv_path, f"{stem}.csv")


def write_md5(path: Path, zip_path: Path, zip_name: str) -> None:
    """``<md5>  <zip name>`` (one line), as beside the official ZIPs."""
    digest = hashlib.md5()
    with open(zip_path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    path.write_text(f"{digest.hexdigest()}  {zip_name}\n")


def velocity_raster(result: TileResult, velocity: np.ndarray, spacing: float) -> np.ndarray:
    """The tile's (N, N) float32 mean_velocity image, north up, −9999 where no cell."""
    n = int(round(TILE_SIZE / spacing))
    img = np.full((n, n), NODATA, dtype=np.float32)
    xmin, _, _, ymax = tile_bounds(result.te, result.tn)
    col = result.ix - int(round(xmin / spacing))
    row = int(round(ymax / spacing)) - 1 - result.iy
    ok = ~np.isnan(velocity)
    img[row[ok], col[ok]] = velocity[ok].astype(np.float32)
    return img


def point_wkb(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """ISO WKB points (little endian), one ``bytes`` per point, built with numpy (no shapely: its GEOS can
    clash with the one QGIS has loaded inside qgis_process)."""
    rec = np.empty(x.size, dtype=[("order", "u1"), ("type", "<u4"), ("x", "<f8"), ("y", "<f8")])
    rec["order"], rec["type"], rec["x"], rec["y"] = 1, 1, x, y
    buf = rec.tobytes()  # (a NumPy "S21" view would drop trailing zero bytes)
    return np.array([buf[i:i + 21] for i in range(0, len(buf), 21)], dtype=object)


def write_points(path: Path, names: list[str], values: dict[str, np.ndarray], fmt: str, layer: str) -> None:
    """GeoPackage (``fmt='gpkg'``, SQLite from the standard library) or GeoParquet 1.0 point layer in EPSG:3035 with
    the CSV's fields."""
    geometry = point_wkb(np.asarray(values["easting"], float), np.asarray(values["northing"], float))
    data = [values[n].astype(str) if n == "pid" else np.asarray(values[n], dtype=np.float64) for n in names]
    if fmt == "gpkg":
        write_gpkg(path, layer, names, data, geometry, values["easting"], values["northing"])
        return
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    from .epsg3035 import PROJJSON
    table = pa.Table.from_arrays([pa.array(d) for d in data] + [pa.array(geometry, pa.binary())],
                                 names=[*names, "geometry"])
    geo = {"version": "1.0.0", "primary_column": "geometry",
           "columns": {"geometry": {"encoding": "WKB", "geometry_types": ["Point"],
                                    "crs": json.loads(PROJJSON)}}}
    table = table.replace_schema_metadata({b"geo": json.dumps(geo).encode()})
    pq.write_table(table, path)


EPSG3035_WKT = (
    'PROJCS["ETRS89-extended / LAEA Europe",GEOGCS["ETRS89",DATUM["European_Terrestrial_Reference_System_1989",'
    'SPHEROID["GRS 1980",6378137,298.257222101,AUTHORITY["EPSG","7019"]],AUTHORITY["EPSG","6258"]],'
    'PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],'
    'AUTHORITY["EPSG","4258"]],PROJECTION["Lambert_Azimuthal_Equal_Area"],PARAMETER["latitude_of_center",52],'
    'PARAMETER["longitude_of_center",10],PARAMETER["false_easting",4321000],PARAMETER["false_northing",3210000],'
    'UNIT["metre",1,AUTHORITY["EPSG","9001"]],AUTHORITY["EPSG","3035"]]')


def write_gpkg(path: Path, layer: str, names: list[str], data: list[np.ndarray], wkb: np.ndarray,
               x: np.ndarray, y: np.ndarray) -> None:
    """A GeoPackage 1.2 point layer in EPSG:3035 written with ``sqlite3``.

    Why not GDAL/pyogrio: inside ``qgis_process`` a second GDAL (pyogrio's wheel) next to QGIS's own
    crashes the process; SQLite is all a GeoPackage needs.
    """
    import sqlite3
    import struct

    header = b"GP\x00\x01" + struct.pack("<i", 3035)  # version 0, little endian, no envelope
    con = sqlite3.connect(path)
    try:
        con.executescript(f"""
            PRAGMA application_id = 1196444487; PRAGMA user_version = 10200;
            CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,
              organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL,
              description TEXT);
            CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
              description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT
              (strftime('%Y-%m-%dT%H:%M:%fZ','now')), min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
              srs_id INTEGER);
            CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
              geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
              PRIMARY KEY (table_name, column_name));
            CREATE TABLE "{layer}" (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom POINT,
              {", ".join(f'"{n}" ' + ("TEXT" if n == "pid" else "REAL") for n in names)});
        """)
        con.executemany("INSERT INTO gpkg_spatial_ref_sys VALUES (?,?,?,?,?,?)", [
            ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", None),
            ("Undefined geographic SRS", 0, "NONE", 0, "undefined", None),
            ("ETRS89-extended / LAEA Europe", 3035, "EPSG", 3035, EPSG3035_WKT, None)])
        bounds = (float(np.min(x)), float(np.min(y)), float(np.max(x)), float(np.max(y))) if len(x) else (None,) * 4
        con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, min_x, min_y, max_x, max_y, srs_id)"
                    " VALUES (?, 'features', ?, ?, ?, ?, ?, 3035)", (layer, layer, *bounds))
        con.execute("INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', 'POINT', 3035, 0, 0)", (layer,))
        columns = [d.tolist() for d in data]  # SQLite stores a NaN double as NULL
        rows = zip([header + g for g in wkb], *columns, strict=True)
        marks = ",".join("?" * (len(names) + 1))
        con.executemany(f'INSERT INTO "{layer}" (geom, {", ".join(f"{chr(34)}{n}{chr(34)}" for n in names)}) '
                        f"VALUES ({marks})", rows)
        con.commit()
    finally:
        con.close()


def write_component(result: TileResult, component: str, tmp: dict[str, Path], stem: str, spacing: float,
                    date_labels: list[str], metadata: dict, ipe: str = "1", legacy: bool = False) -> None:
    """Write the requested products (keys of ``tmp``: zip/tiff/md5/gpkg/parquet) of one component to the
    given temporary paths; ``stem`` is the final product name."""
    names, values = cell_table(result, component, spacing, date_labels, ipe, legacy)
    if "zip" in tmp:
        csv_tmp = tmp["zip"].with_suffix(".csv")
        try:
            write_csv(csv_tmp, names, values)
            write_zip(tmp["zip"], stem, csv_tmp, tile_xml(metadata))
        finally:
            csv_tmp.unlink(missing_ok=True)
        if "md5" in tmp:
            write_md5(tmp["md5"], tmp["zip"], f"{stem}.zip")
    if "tiff" in tmp:
        from ..geotiff import write_geotiff

        xmin, _, _, ymax = tile_bounds(result.te, result.tn)
        write_geotiff(tmp["tiff"], velocity_raster(result, values["mean_velocity"], spacing), xmin, ymax, spacing,
                      3035, NODATA)
    for fmt in ("gpkg", "parquet"):
        if fmt in tmp:
            write_points(tmp[fmt], names, values, fmt, stem)


SUFFIX = {"zip": ".zip", "tiff": ".tiff", "md5": ".md5", "gpkg": ".gpkg", "parquet": ".parquet"}
