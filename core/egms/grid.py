"""The EGMS L3 grid: EPSG:3035 cells of ``spacing`` metres inside 100 km tiles, cell ids and pids.

A cell index is ``floor(coordinate / spacing)``; its label is the cell centre. Cells and tiles
are identified by plain integer arithmetic so millions of MPs are binned without Python loops.
"""

from __future__ import annotations

import numpy as np

TILE_SIZE = 100_000  # metres, EGMS L3 tiles in EPSG:3035
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SHIFT = np.int64(1) << np.int64(32)


def cell_indices(x: np.ndarray, y: np.ndarray, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """Integer cell indices (ix, iy) of EPSG:3035 coordinates in metres; shape of ``x``."""
    return (
        np.floor(np.asarray(x, dtype=np.float64) / spacing).astype(np.int64),
        np.floor(np.asarray(y, dtype=np.float64) / spacing).astype(np.int64),
    )


def cell_key(ix: np.ndarray, iy: np.ndarray) -> np.ndarray:
    """One int64 per cell, ordered by row (northing index) then column: ``iy * 2**32 + ix``."""
    return iy.astype(np.int64) * _SHIFT + ix.astype(np.int64)


def split_key(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`cell_key`: (ix, iy)."""
    key = np.asarray(key, dtype=np.int64)
    return key % _SHIFT, key // _SHIFT


def cell_centres(ix: np.ndarray, iy: np.ndarray, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """Cell-centre easting/northing in metres (the L3 ``easting``/``northing`` labels)."""
    return (ix + 0.5) * spacing, (iy + 0.5) * spacing


def tile_of_cells(ix: np.ndarray, iy: np.ndarray, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """Tile indices (E, N: SW corner / 100 km) of cells, from their centres."""
    cx, cy = cell_centres(ix, iy, spacing)
    return np.floor(cx / TILE_SIZE).astype(np.int64), np.floor(cy / TILE_SIZE).astype(np.int64)


def tile_name(te: int, tn: int) -> str:
    """``E45N17`` for the tile whose SW corner is (4 500 000, 1 700 000)."""
    return f"E{int(te):02d}N{int(tn):02d}"


def tile_bounds(te: int, tn: int) -> tuple[float, float, float, float]:
    """(xmin, ymin, xmax, ymax) of a tile in EPSG:3035 metres."""
    return te * TILE_SIZE, tn * TILE_SIZE, (te + 1) * TILE_SIZE, (tn + 1) * TILE_SIZE


def base62(values: np.ndarray, width: int) -> np.ndarray:
    """Base-62 strings (alphabet 0-9A-Za-z) of non-negative integers, left-padded with '0' to ``width``."""
    digits = _digits(values, width)
    # View the (n, width) U1 array as (n,) U<width>: same memory layout, no Python loop per value.
    return np.ascontiguousarray(digits).view(f"<U{width}").reshape(-1)


def l3_pid(ix: np.ndarray, iy: np.ndarray, ipe: str = "1") -> np.ndarray:
    """L3 pids: IPE character + base62(iy·2³² + ix) on 9 characters (10 in all, PD Table 12).

    Fixture check: IPE 1, iy 17397, ix 45975 → ``10LDTjEkDv``.
    """
    return np.char.add(ipe, base62(cell_key(ix, iy), 9))


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    v = np.asarray(values, dtype=np.int64).reshape(-1).copy()
    if np.any(v < 0):
        raise ValueError("base62 needs non-negative integers")
    alphabet = np.array(list(BASE62))
    digits = np.empty((v.size, width), dtype="<U1")
    for pos in range(width - 1, -1, -1):  # a loop over digit positions, not over values
        digits[:, pos] = alphabet[v % 62]
        v //= 62
    if np.any(v > 0):
        raise ValueError(f"value too large for {width} base-62 digits")
    return digits
