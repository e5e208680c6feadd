"""Read EGMS L2a/L2b/L3 files: ZIP (CSV + XML), bare CSV or CSV.gz, both column schemas.

Only the columns the L3 algorithm needs are parsed (pyarrow, streamed in blocks); rows outside
the area's bounding box are dropped block by block, so a burst never sits in memory whole;
the displacement series are float32. Every problem becomes an :class:`InputError` that names the
file, the column when there is one, and what to do.
"""

from __future__ import annotations

import gzip
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree import ElementTree

import numpy as np

from ..errors import InputError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

DATE_COLUMN = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
#: a header that was meant to be a date (8 characters, year first, at most two of them not digits)
DATE_LIKE = re.compile(r"^(19|20)\d{2}[0-9A-Za-z]{4}$")
NAME = re.compile(r"^EGMS_(?P<level>L2a|L2b|L3)_(?P<body>.+?)(?:_(?P<y0>\d{4})_(?P<y1>\d{4})_(?P<sub>\d+))?$")

#: canonical name → accepted spellings (2020–2024 first, then the older PD Table 5 names)
ALIASES = {
    "height": ("height_ortho", "height"),
    "height_ellipse": ("height_ellipse", "height_wgs84"),
    "rmse": ("rmse_ts", "rmse"),
}
L2_REQUIRED = ("pid", "easting", "northing", "height", "los_east", "los_north", "los_up")
FIX_DOWNLOAD = "download the file again from the EGMS Explorer"
STREAM_ABOVE = 512 << 20  # CSV bytes above which a file is streamed in blocks rather than read whole


@dataclass
class Burst:
    """One L2a/L2b burst, limited to the area.

    Arrays have one entry per measurement point (MP), ``n`` of them; ``series`` is (n, m) float32
    LOS displacement in mm at the ``m`` acquisition ``dates`` (datetime64[D]).
    """

    path: Path
    level: str
    geometry: str  # "ascending" | "descending"
    dates: np.ndarray
    pid: np.ndarray
    easting: np.ndarray
    northing: np.ndarray
    height: np.ndarray
    los_east: np.ndarray
    los_north: np.ndarray
    los_up: np.ndarray
    rmse: np.ndarray
    series: np.ndarray
    metadata: dict = field(default_factory=dict)
    release: str | None = None  # "2020_2024_1" from the file name, None for the first releases
    total_points: int = 0  # MPs in the file before the area filter
    extent: tuple[float, float, float, float] | None = None  # of all MPs in the file, EPSG:3035 m

    @property
    def name(self) -> str:
        return product_stem(self.path)

    def __len__(self) -> int:
        return int(self.pid.shape[0])


def product_stem(path: str | Path) -> str:
    """File name without ``.zip``/``.csv``/``.csv.gz``."""
    name = Path(path).name
    for ext in (".csv.gz", ".zip", ".csv", ".gz"):
        if name.lower().endswith(ext):
            return name[: -len(ext)]
    return Path(name).stem


def parse_name(path: str | Path) -> dict | None:
    """Level, body and release (``2020_2024_1``) from an official file name; None if not one."""
    m = NAME.match(product_stem(path))
    if not m:
        return None
    release = f"{m['y0']}_{m['y1']}_{m['sub']}" if m["y0"] else None
    return {"level": m["level"], "body": m["body"], "release": release}


def parse_xml(data: bytes, source: str | Path) -> dict:
    """The XML beside the CSV as a flat dict (``dem/version`` style keys for nested tags)."""
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise InputError(source, f"its XML metadata is not valid XML ({exc}); {FIX_DOWNLOAD}") from exc
    out = {"root": root.tag}
    for child in root:
        if len(child) == 0:
            out[child.tag] = (child.text or "").strip()
        elif child.tag in ("dem", "gnss"):
            for sub in child:
                out[f"{child.tag}/{sub.tag}"] = (sub.text or "").strip()
    return out


@contextmanager
def open_table(path: str | Path, whole: bool = False) -> Iterator[tuple[io.BufferedIOBase, dict]]:
    """Open the CSV of an EGMS product as a binary stream, with its parsed XML (empty dict if none) and
    ``csv_bytes`` (its uncompressed size, estimated for gzip) in that dict.

    ``whole``: decompress the CSV into memory first when it is smaller than ``STREAM_ABOVE`` (zlib at C
    speed, then the multithreaded parser never waits on Python-level decompression).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found; check the path")
    lower = path.name.lower()
    if lower.endswith(".zip"):
        try:
            zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise InputError(
                path, f"not a readable ZIP archive (truncated or corrupt download?); {FIX_DOWNLOAD}"
            ) from exc
        with zf:
            names = zf.namelist()
            csvs = [n for n in names if n.lower().endswith((".csv", ".csv.gz"))]
            if not csvs:
                raise InputError(
                    path,
                    f"the ZIP holds no CSV file (members: {', '.join(names) or 'none'}); "
                    "give an EGMS product ZIP",
                )
            xmls = [n for n in names if n.lower().endswith(".xml")]
            try:
                meta = parse_xml(zf.read(xmls[0]), path) if xmls else {}
                gz = csvs[0].lower().endswith(".gz")
                meta["csv_bytes"] = zf.getinfo(csvs[0]).file_size * (5 if gz else 1)
                if whole and meta["csv_bytes"] < STREAM_ABOVE:
                    data = zf.read(csvs[0])
                    yield io.BytesIO(gzip.decompress(data) if gz else data), meta
                    return
                with zf.open(csvs[0]) as raw:
                    yield (gzip.GzipFile(fileobj=raw) if gz else raw), meta
            except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                raise InputError(path, f"the ZIP is damaged ({exc}); {FIX_DOWNLOAD}") from exc
        return
    meta = {}
    xml = path.with_name(product_stem(path) + ".xml")
    if xml.is_file():
        meta = parse_xml(xml.read_bytes(), xml)
    opener = gzip.open if lower.endswith(".gz") else open
    meta["csv_bytes"] = path.stat().st_size * (5 if lower.endswith(".gz") else 1)
    try:
        if whole and lower.endswith(".gz") and meta["csv_bytes"] < STREAM_ABOVE:
            yield io.BytesIO(gzip.decompress(path.read_bytes())), meta
            return
        with opener(path, "rb") as f:
            yield f, meta
    except (gzip.BadGzipFile, zlib.error, EOFError) as exc:
        raise InputError(path, f"the gzip stream is damaged ({exc}); {FIX_DOWNLOAD}") from exc


def read_header(path: str | Path) -> list[str]:
    """Column names of the product's CSV (only its first line is decompressed)."""
    with open_table(path) as (f, _):
        line = f.readline().decode("utf-8-sig", errors="replace").strip()
    if not line:
        raise InputError(path, f"the CSV is empty; {FIX_DOWNLOAD}")
    return [c.strip().strip('"') for c in line.split(",")]


def first_row(path: str | Path) -> bytes:
    """The first data line of the product's CSV (identifies a burst whatever its file name)."""
    with open_table(path) as (f, _):
        f.readline()
        return f.readline().strip()


def csv_size(path: str | Path) -> int:
    """Uncompressed size of the product's CSV in bytes (estimated for gzip)."""
    with open_table(path) as (_, meta):
        return int(meta.get("csv_bytes", 0))


def resolve_columns(header: list[str], source: str | Path) -> dict[str, str]:
    """Map canonical names (``height``, ``rmse``…) to this file's spelling; raises on missing L2 columns."""
    present = set(header)
    out = {}
    for col in header:
        out.setdefault(col, col)
    for canon, spellings in ALIASES.items():
        for s in spellings:
            if s in present:
                out[canon] = s
                break
    for canon in L2_REQUIRED:
        if canon not in out:
            spell = " or ".join(ALIASES.get(canon, (canon,)))
            raise InputError(
                source, "missing (an EGMS L2a/L2b CSV has it); is this an EGMS L2 burst file?", column=spell
            )
    return out


def date_columns(header: list[str], source: str | Path) -> tuple[list[str], np.ndarray]:
    """The ``YYYYMMDD`` columns (file order) and their dates; raises when there are none or one is invalid."""
    cols = [c for c in header if DATE_COLUMN.match(c)]
    malformed = [
        c
        for c in header
        if DATE_LIKE.match(c) and not DATE_COLUMN.match(c) and sum(ch.isdigit() for ch in c) >= 6
    ]
    if malformed:
        raise InputError(
            source,
            "looks like a displacement date but is not YYYYMMDD (a damaged header would "
            f"silently drop that epoch); {FIX_DOWNLOAD}",
            column=malformed[0],
        )
    if not cols:
        raise InputError(source, "no displacement columns named YYYYMMDD; is this an EGMS L2 burst CSV?")
    try:
        dates = np.array([f"{c[:4]}-{c[4:6]}-{c[6:]}" for c in cols], dtype="datetime64[D]")
    except ValueError as exc:
        raise InputError(source, f"a date column is not a valid date ({exc})") from exc
    if np.any(np.diff(dates.astype(np.int64)) <= 0):
        raise InputError(source, "date columns are not in increasing order or repeat a date")
    return cols, dates


def read_burst(
    path: str | Path,
    bounds: tuple[float, float, float, float] | None = None,
    block_size: int = 1 << 24,
    check: Callable[[], None] | None = None,
) -> Burst:
    """Read one L2a/L2b burst, keeping only MPs inside ``bounds`` (xmin, ymin, xmax, ymax, EPSG:3035 m).

    Raises :class:`InputError` for unreadable files, L3 files, missing columns, non-numeric values,
    duplicate pids or inconsistent LOS vectors. ``check`` is called between blocks (cancellation).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path = Path(path)
    info = parse_name(path)
    header = read_header(path)
    if (info and info["level"] == "L3") or ("gnss_velocity_n" in header and "los_east" not in header):
        raise InputError(path, "is an L3 (ortho) product; give the L2a/L2b burst files it is made from")
    cols = resolve_columns(header, path)
    dcols, dates = date_columns(header, path)
    want = {k: cols[k] for k in (*L2_REQUIRED, "rmse") if k in cols}
    types = {c: pa.float64() for c in want.values()}
    types[cols["pid"]] = pa.string()
    types.update({c: pa.float32() for c in dcols})
    convert = pacsv.ConvertOptions(
        include_columns=[*want.values(), *dcols], column_types=types, strings_can_be_null=False
    )
    parts: dict[str, list[np.ndarray]] = {k: [] for k in want}
    series_parts: list[np.ndarray] = []
    total = 0
    extent = [np.inf, np.inf, -np.inf, -np.inf]
    with open_table(path, whole=True) as (stream, meta):
        try:
            if meta.get("csv_bytes", 0) < STREAM_ABOVE:
                # whole file (filtered afterwards): the multithreaded reader is about twice as fast
                reader = pacsv.read_csv(stream, convert_options=convert).to_batches(max_chunksize=1 << 17)
            else:  # a large file: stream blocks (memory stays bounded), keep only the rows inside the area's box
                reader = pacsv.open_csv(
                    stream, read_options=pacsv.ReadOptions(block_size=block_size), convert_options=convert
                )
            for batch in reader:
                if check is not None:
                    check()
                total += batch.num_rows
                _grow(extent, batch, want)
                keep = _in_bounds(batch, want, bounds)
                if keep is not None and not keep.any():
                    continue
                for k, c in want.items():
                    arr = batch.column(c)
                    if k == "pid":  # stays an Arrow array until the end (uniqueness is checked in C++)
                        parts[k].append(arr if keep is None else arr.filter(pa.array(keep)))
                    else:
                        v = arr.to_numpy(zero_copy_only=False)
                        parts[k].append(v if keep is None else v[keep])
                block = np.column_stack([batch.column(c).to_numpy(zero_copy_only=False) for c in dcols])
                series_parts.append(
                    np.ascontiguousarray(block if keep is None else block[keep], dtype=np.float32)
                )
        except pa.ArrowInvalid as exc:
            raise InputError(path, _explain_arrow(str(exc), header)) from exc
        except (zipfile.BadZipFile, zlib.error, EOFError, gzip.BadGzipFile) as exc:
            raise InputError(path, f"the file is damaged ({exc}); {FIX_DOWNLOAD}") from exc
    if total == 0:
        raise InputError(path, "the CSV has a header but no rows")
    pids = pa.chunked_array(parts.pop("pid"), type=pa.string())
    _check_unique(pids, path)
    data = {k: (np.concatenate(v) if v else np.empty(0, np.float64)) for k, v in parts.items()}
    data["pid"] = pids.to_numpy()
    series = np.concatenate(series_parts) if series_parts else np.empty((0, len(dcols)), np.float32)
    for k in ("easting", "northing", "los_east", "los_north", "los_up"):
        if np.isnan(data[k]).any():
            raise InputError(
                path, "has empty values; every MP needs coordinates and a LOS vector", column=cols[k]
            )
    if "rmse" not in data:
        data["rmse"] = np.full(len(data["pid"]), np.nan)
    level = meta.get("product_level") or (info["level"] if info else "L2b")
    return Burst(
        path=path,
        level=level,
        geometry=_geometry(data["los_east"], path, total),
        dates=dates,
        pid=data["pid"],
        easting=data["easting"],
        northing=data["northing"],
        height=data["height"],
        los_east=data["los_east"],
        los_north=data["los_north"],
        los_up=data["los_up"],
        rmse=data["rmse"],
        series=series,
        metadata=meta,
        release=info["release"] if info else None,
        total_points=total,
        extent=tuple(extent),
    )


def _grow(extent: list[float], batch: pa.RecordBatch, want: dict[str, str]) -> None:
    import pyarrow.compute as pc

    for k, (lo, hi) in (("easting", (0, 2)), ("northing", (1, 3))):
        mm = pc.min_max(batch.column(want[k]))
        if mm["min"].is_valid:
            extent[lo] = min(extent[lo], mm["min"].as_py())
            extent[hi] = max(extent[hi], mm["max"].as_py())


def _in_bounds(
    batch: pa.RecordBatch, want: dict[str, str], bounds: tuple[float, float, float, float] | None
) -> np.ndarray | None:
    if bounds is None:
        return None
    x = batch.column(want["easting"]).to_numpy(zero_copy_only=False)
    y = batch.column(want["northing"]).to_numpy(zero_copy_only=False)
    xmin, ymin, xmax, ymax = bounds
    return (x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax)


def _explain_arrow(message: str, header: list[str]) -> str:
    m = re.search(r"column #(\d+)", message)
    col = header[int(m.group(1))] if m and int(m.group(1)) < len(header) else None
    where = f" in column '{col}'" if col else ""
    detail = message.split(":", 1)[-1].strip() if "conversion error" in message else message
    return (
        f"non-numeric or malformed value{where} ({detail}); "
        f"the file must hold numbers only in these columns: {FIX_DOWNLOAD}"
    )


def _check_unique(pid: pa.Array | pa.ChunkedArray, path: Path) -> None:
    """``pid`` is an Arrow (chunked) string array."""
    import pyarrow.compute as pc

    if len(pid) == 0 or pc.count_distinct(pid).as_py() == len(pid):
        return
    counts = pc.value_counts(pid)
    dup = [
        str(v)
        for v, c in zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True)
        if c > 1
    ]
    if dup:
        raise InputError(
            path,
            f"{len(dup)} duplicate pid(s), e.g. {', '.join(dup[:3])}; each MP must appear "
            "once (a concatenated or edited file?)",
            column="pid",
        )


def _geometry(los_east: np.ndarray, path: Path, total: int) -> str:
    if los_east.size == 0:
        return "unknown"
    asc = los_east < 0
    if asc.all():
        return "ascending"
    if not asc.any():
        return "descending"
    raise InputError(
        path,
        "mixes ascending (los_east < 0) and descending (los_east > 0) MPs; a burst has one viewing geometry",
        column="los_east",
    )


def read_table(path: str | Path) -> pd.DataFrame:
    """Any EGMS CSV (L2 or L3) as a pandas DataFrame with every column (pid as text). For checks and tests."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    header = read_header(path)
    with open_table(path) as (stream, _):
        try:
            table = pacsv.read_csv(
                stream,
                convert_options=pacsv.ConvertOptions(
                    column_types={"pid": pa.string()} if "pid" in header else {}
                ),
            )
        except pa.ArrowInvalid as exc:
            raise InputError(path, _explain_arrow(str(exc), header)) from exc
    return table.to_pandas()


def read_metadata(path: str | Path) -> dict:
    """The product's XML as a dict (empty when there is none)."""
    with open_table(path) as (_, meta):
        return meta
