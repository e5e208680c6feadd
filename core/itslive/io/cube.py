"""Read ITS_LIVE v2 datacubes (zarr format 2) under zarr-python 3, decoding them by hand.

Why not ``xarray.open_zarr``: it masks the zarr ``fill_value`` (valid zeros become NaN), needs
the whole time axis decoded eagerly, and hides which chunks were missing. Here velocities are
decoded on ``missing_value`` only, the layer table is cleaned once (img1/img2 ordered, sorted,
duplicates removed) and a window read fetches only the chunks it covers, concurrently.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import zarr
from zarr.core.sync import sync

from ...errors import InputError
from .s3 import ResilientStore, normalise_url, open_store

MISSING_VALUE = -32767
REQUIRED = ("vx", "vy", "mid_date", "acquisition_date_img1", "acquisition_date_img2", "x", "y")
_UNIT_SECONDS = {
    "days": 86400.0,
    "day": 86400.0,
    "hours": 3600.0,
    "hour": 3600.0,
    "seconds": 1.0,
    "second": 1.0,
    "minutes": 60.0,
}


@dataclass
class Cube:
    """An opened cube: grid, cleaned layer table and the zarr group to read windows from.

    ``x``/``y`` are pixel centres in metres in the cube CRS (``epsg``), in stored order.
    ``layers`` has one row per kept layer sorted by ``mid_date``: ``layer`` (index into the
    store's ``mid_date`` axis), ``mid_date``, ``img1``, ``img2`` (datetime64, img1 < img2),
    ``date_dt`` (days), ``satellite_img1/2``, ``mission_img1/2``, ``vx_error``, ``vy_error`` (m/yr).
    ``chunks`` is the stored chunk shape (time, y, x).
    """

    url: str
    group: zarr.Group
    epsg: int
    x: np.ndarray
    y: np.ndarray
    layers: pd.DataFrame
    chunks: tuple
    store: ResilientStore | None = None
    storage_options: dict | None = None
    n_swapped: int = 0
    n_duplicates: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.y), len(self.x)

    @property
    def resolution(self) -> float:
        return float(abs(self.x[1] - self.x[0])) if len(self.x) > 1 else float("nan")


def _open_group(store: ResilientStore, url: str) -> zarr.Group:
    try:
        return zarr.open_consolidated(store, mode="r", zarr_format=2)
    except InputError:
        raise
    except Exception:  # noqa: BLE001 - consolidated metadata is optional; try the plain group
        pass
    try:
        group = zarr.open_group(store, mode="r", zarr_format=2)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(
            url,
            "not a zarr store (no .zgroup/.zmetadata found): give the URL or folder "
            "of an ITS_LIVE datacube (…/ITS_LIVE_vel_EPSG…zarr)",
        ) from exc
    if not isinstance(group, zarr.Group):
        raise InputError(url, "not a zarr group: give the URL or folder of an ITS_LIVE datacube")
    return group


def decode_times(array: zarr.Array) -> np.ndarray:
    """A CF ``<unit> since <epoch>`` numeric array as ``datetime64[us]`` (microseconds kept)."""
    units = str(array.attrs.get("units", "days since 1970-01-01"))
    m = re.match(r"\s*(\w+)\s+since\s+(.+)$", units)
    if not m or m[1].lower() not in _UNIT_SECONDS:
        raise InputError(None, f"cannot decode time units '{units}'", column=array.basename)
    epoch = np.datetime64(pd.Timestamp(m[2].strip()).tz_localize(None), "us")
    values = np.asarray(array[:], dtype=np.float64)
    micro = np.round(values * _UNIT_SECONDS[m[1].lower()] * 1e6).astype(np.int64)
    return epoch + micro.astype("timedelta64[us]")


def _strings(group: zarr.Group, name: str, n: int) -> np.ndarray:
    if name not in group:
        return np.full(n, "", dtype=object)
    return np.array([str(s).strip() for s in np.asarray(group[name][:]).ravel()], dtype=object)


def _mission_from_satellite(satellite: np.ndarray) -> np.ndarray:
    """'S' for Sentinel ('1A', '2B'…), 'L' for Landsat ('4'…'9'), '' when unknown."""
    sat = pd.Series(satellite, dtype=object).fillna("")
    return np.where(
        sat.str.match(r"^[12][A-Za-z]$"), "S", np.where(sat.str.match(r"^[4-9]$"), "L", "")
    ).astype(object)


def _per_layer(group: zarr.Group, name: str, n: int) -> np.ndarray:
    if name not in group or group[name].ndim != 1:
        return np.full(n, np.nan)
    return np.asarray(group[name][:], dtype=np.float64)


def _epsg(group: zarr.Group, url: str) -> int:
    candidates = []
    if "mapping" in group:
        candidates.append(group["mapping"].attrs.get("spatial_epsg"))
    candidates.append(group.attrs.get("projection"))
    for c in candidates:
        try:
            if c is not None and int(float(c)) > 0:
                return int(float(c))
        except (TypeError, ValueError):
            continue
    m = re.search(r"EPSG(\d+)", url)
    if m:
        return int(m[1])
    raise InputError(url, "no CRS found (mapping.spatial_epsg or the 'projection' attribute)")


def layer_table(group: zarr.Group) -> tuple[pd.DataFrame, int, int]:
    """The cleaned layer table, the number of layers whose img1/img2 were swapped, and of duplicates dropped."""
    mid = decode_times(group["mid_date"])
    n = len(mid)
    img1 = decode_times(group["acquisition_date_img1"])
    img2 = decode_times(group["acquisition_date_img2"])
    sat1, sat2 = _strings(group, "satellite_img1", n), _strings(group, "satellite_img2", n)
    mis1 = _strings(group, "mission_img1", n) if "mission_img1" in group else _mission_from_satellite(sat1)
    mis2 = _strings(group, "mission_img2", n) if "mission_img2" in group else _mission_from_satellite(sat2)
    swap = img1 > img2
    img1, img2 = np.where(swap, img2, img1), np.where(swap, img1, img2)
    sat1, sat2 = np.where(swap, sat2, sat1), np.where(swap, sat1, sat2)
    mis1, mis2 = np.where(swap, mis2, mis1), np.where(swap, mis1, mis2)
    table = pd.DataFrame(
        {
            "layer": np.arange(n, dtype=np.int64),
            "mid_date": mid,
            "img1": img1,
            "img2": img2,
            "date_dt": (img2 - img1) / np.timedelta64(1, "D"),
            "satellite_img1": sat1,
            "satellite_img2": sat2,
            "mission_img1": mis1,
            "mission_img2": mis2,
            "vx_error": _per_layer(group, "vx_error", n),
            "vy_error": _per_layer(group, "vy_error", n),
        }
    )
    table = table.sort_values(["mid_date", "layer"], kind="stable")
    before = len(table)
    table = table.drop_duplicates(["img1", "img2", "satellite_img1", "satellite_img2"], keep="first")
    return table.reset_index(drop=True), int(swap.sum()), before - len(table)


def open_cube(url: str, *, storage_options: dict | None = None) -> Cube:
    """Open an ITS_LIVE v2 cube anonymously: ``s3://``, the catalog's ``http://…s3.amazonaws.com/…``,
    other https, or a local folder; zarr format 2 with or without consolidated metadata.

    Raises :class:`InputError` naming the URL when it is not a zarr store or lacks a variable.
    Only metadata and the 1-D layer variables are read here.
    """
    url = normalise_url(url)
    store = open_store(url, storage_options)
    group = _open_group(store, url)
    for name in REQUIRED:
        if name not in group:
            raise InputError(
                url,
                "variable missing: not an ITS_LIVE velocity cube (expected vx, vy, "
                "mid_date, acquisition_date_img1/2, x, y)",
                column=name,
            )
    vx = group["vx"]
    if vx.ndim != 3:
        raise InputError(url, f"expected 3 dimensions (mid_date, y, x), found {vx.ndim}", column="vx")
    layers, n_swapped, n_dup = layer_table(group)
    x = np.asarray(group["x"][:], dtype=np.float64)
    y = np.asarray(group["y"][:], dtype=np.float64)
    if vx.shape != (group["mid_date"].shape[0], len(y), len(x)):
        raise InputError(url, f"shape {vx.shape} does not match mid_date/y/x", column="vx")
    cube = Cube(
        url=url,
        group=group,
        epsg=_epsg(group, url),
        x=x,
        y=y,
        layers=layers,
        chunks=tuple(int(c) for c in vx.chunks),
        store=store,
        storage_options=storage_options,
        n_swapped=n_swapped,
        n_duplicates=n_dup,
    )
    fill = vx.fill_value
    if fill is not None and missing_value(vx) != fill:
        cube.notes.append(
            f"zarr fill_value {fill} differs from missing_value {missing_value(vx)}: "
            "masking on missing_value only (valid zeros are kept)"
        )
    return cube


def missing_value(array: zarr.Array) -> float:
    """The CF missing value of a variable (``missing_value``, else ``_FillValue``, else -32767)."""
    for key in ("missing_value", "_FillValue"):
        value = array.attrs.get(key)
        if value is not None:
            return float(value)
    return float(MISSING_VALUE)


def _chunk_keys(array: zarr.Array, layers: np.ndarray, rows: slice, cols: slice) -> dict[str, tuple]:
    """Store keys of the chunks a window touches → (time chunk, row chunk, col chunk)."""
    ct, cy, cx = array.chunks
    sep = getattr(array.metadata, "dimension_separator", ".") or "."
    prefix = array.path + "/" if array.path else ""
    ts = np.unique(layers // ct)
    ys = range(rows.start // cy, (rows.stop - 1) // cy + 1)
    xs = range(cols.start // cx, (cols.stop - 1) // cx + 1)
    return {f"{prefix}{t}{sep}{r}{sep}{c}": (int(t), r, c) for t in ts for r in ys for c in xs}


def _normalise(s: slice, n: int) -> slice:
    start, stop, step = s.indices(n)
    if step != 1 or stop <= start:
        raise ValueError(f"window slice {s} must be non-empty with step 1")
    return slice(start, stop)


def read_window(
    cube: Cube,
    rows: slice,
    cols: slice,
    variables: Sequence[str] = ("vx", "vy"),
    layers: np.ndarray | None = None,
    stats: dict | None = None,
) -> dict[str, np.ndarray]:
    """Read 3-D variables over a window as float32 ``(n_layers, ny, nx)`` in the order of ``layers``.

    Values equal to the variable's ``missing_value`` become NaN (never the zarr fill_value, so a
    valid 0 stays 0), and so do pixels in chunks absent from the store; ``stats`` (when given)
    accumulates ``missing_chunks`` and ``missing_values``. Only the chunks covering the window
    are fetched, all variables concurrently, each read retried by the store.
    """
    layers = np.asarray(cube.layers["layer"] if layers is None else layers, dtype=np.int64)
    ny, nx = cube.shape
    rows, cols = _normalise(rows, ny), _normalise(cols, nx)
    for v in variables:
        if v not in cube.group:
            raise InputError(cube.url, "variable missing", column=v)
    arrays = [cube.group[v] for v in variables]
    if len(layers) == 0:
        return {
            v: np.empty((0, rows.stop - rows.start, cols.stop - cols.start), np.float32) for v in variables
        }
    selection = (layers, rows, cols)

    async def fetch() -> list[np.ndarray]:
        return await asyncio.gather(*[a._async_array.get_orthogonal_selection(selection) for a in arrays])

    try:
        raw = sync(fetch())
    except InputError:
        raise
    except Exception as exc:  # a chunk that cannot be decoded: find and name it
        raise InputError(
            cube.url,
            f"{_undecodable_chunk(arrays, selection)} cannot be decoded ({type(exc).__name__}: "
            f"{exc}); the store is damaged: copy or download the cube again",
        ) from exc
    out = {}
    for name, array, data in zip(variables, arrays, raw, strict=True):
        values = np.asarray(data).astype(np.float32)
        values[np.asarray(data) == missing_value(array)] = np.nan
        out[name] = values
        if cube.store is not None:
            _mask_missing_chunks(cube.store, array, layers, rows, cols, values, stats)
    return out


def _undecodable_chunk(arrays: list[zarr.Array], selection: tuple) -> str:
    """The store key of the first chunk of the window that fails to decode (read one chunk at a time)."""
    layers, rows, cols = selection
    for array in arrays:
        ct, cy, cx = array.chunks
        for key, (t, r, c) in _chunk_keys(array, layers, rows, cols).items():
            try:
                array[t * ct : (t + 1) * ct, r * cy : (r + 1) * cy, c * cx : (c + 1) * cx]
            except InputError:
                raise
            except Exception:  # noqa: BLE001 - this is the damaged one
                return f"chunk '{key}'"
    return "a chunk of the window"


def _mask_missing_chunks(
    store: ResilientStore,
    array: zarr.Array,
    layers: np.ndarray,
    rows: slice,
    cols: slice,
    values: np.ndarray,
    stats: dict | None,
) -> None:
    keys = _chunk_keys(array, layers, rows, cols)
    absent = [keys[k] for k in keys.keys() & store.missing]
    if not absent:
        return
    ct, cy, cx = array.chunks
    n_values = 0
    for t, r, c in absent:
        li = (layers // ct) == t
        ys = slice(max(r * cy - rows.start, 0), max(min((r + 1) * cy, rows.stop) - rows.start, 0))
        xs = slice(max(c * cx - cols.start, 0), max(min((c + 1) * cx, cols.stop) - cols.start, 0))
        block = values[li, ys, xs]
        n_values += block.size
        values[li, ys, xs] = np.nan
    if stats is not None:
        stats["missing_chunks"] = stats.get("missing_chunks", 0) + len(absent)
        stats["missing_values"] = stats.get("missing_values", 0) + n_values
