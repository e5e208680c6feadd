"""Cells, tiles and pids of the L3 grid."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from surface_motion.core.egms.grid import (
    BASE62,
    base62,
    cell_centres,
    cell_indices,
    cell_key,
    l3_pid,
    split_key,
    tile_bounds,
    tile_name,
    tile_of_cells,
)


def test_official_pid_and_tile_name():
    assert l3_pid(np.array([45975]), np.array([17397]))[0] == "10LDTjEkDv"
    ix, iy = cell_indices(np.array([4597512.3]), np.array([1739799.9]), 100)
    assert cell_centres(ix, iy, 100) == (4597550.0, 1739750.0)
    assert tile_name(*[int(v[0]) for v in tile_of_cells(ix, iy, 100)]) == "E45N17"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.floats(2e6, 7e6), st.floats(1e6, 5e6)), min_size=1, max_size=50),
    st.sampled_from([50.0, 100.0, 200.0, 500.0]),
)
def test_cell_assignment_properties(points, spacing):
    x, y = np.array(points).T
    ix, iy = cell_indices(x, y, spacing)
    cx, cy = cell_centres(ix, iy, spacing)
    # the point lies in its cell, whose label is its centre
    assert np.all(np.abs(x - cx) <= spacing / 2) and np.all(np.abs(y - cy) <= spacing / 2)
    # key round trip and ordering by row then column
    kx, ky = split_key(cell_key(ix, iy))
    assert np.array_equal(kx, ix) and np.array_equal(ky, iy)
    # the cell's tile contains the cell
    te, tn = tile_of_cells(ix, iy, spacing)
    for a, b, px, py in zip(te, tn, cx, cy, strict=True):
        x0, y0, x1, y1 = tile_bounds(a, b)
        assert x0 <= px < x1 and y0 <= py < y1


@given(st.lists(st.integers(0, 62**9 - 1), min_size=1, max_size=20))
def test_base62_round_trip(values):
    text = base62(np.array(values, dtype=np.int64), 9)
    back = [sum(BASE62.index(c) * 62 ** (8 - i) for i, c in enumerate(s)) for s in text]
    assert back == values and all(len(s) == 9 for s in text)
