"""Per-cell east/up least squares from LOS displacements, vectorised over all cells and epochs.

For cell c and epoch t the MPs' values d satisfy d ≈ los_east·E + los_up·U (north assumed 0).
The 2×2 normal matrix Σ w·a·aᵀ is the same for every epoch of a cell unless some MPs miss that
epoch, so it is accumulated once per cell (per cell and epoch only where values are missing);
right-hand sides are accumulated for all epochs at once with ``np.add.reduceat`` over MPs
sorted by cell. MPs keep their input order inside a cell (the official product sums bursts in
file-name order; the order decides ties when rounding).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np


@dataclass
class CellGroups:
    """MPs grouped by cell: ``order`` sorts MPs by cell (stable), ``starts`` indexes the first MP of each cell."""

    order: np.ndarray
    starts: np.ndarray
    cells: np.ndarray  # the cell number of each group (sorted, unique)

    @classmethod
    def from_cells(cls, cell: np.ndarray, subset: np.ndarray | None = None) -> CellGroups:
        """Group MPs by ``cell``; with ``subset`` (bool mask) only those MPs (no copy of their data)."""
        if subset is None:
            order = np.argsort(cell, kind="stable")
        else:
            keep = np.flatnonzero(subset)
            order = keep[np.argsort(cell[keep], kind="stable")]
        sc = cell[order]
        starts = np.flatnonzero(np.r_[True, sc[1:] != sc[:-1]]) if sc.size else np.empty(0, np.int64)
        return cls(order, starts, sc[starts] if sc.size else np.empty(0, cell.dtype))

    def blocks(self, max_rows: int) -> Iterator[tuple[int, int, int, int]]:
        """Yield (first group, last group + 1, first row, last row + 1) blocks of whole cells, ≤ max_rows rows each
        (a single larger cell makes its own block)."""
        n = self.order.size
        ends = np.r_[self.starts[1:], n]
        g = 0
        while g < self.starts.size:
            limit = self.starts[g] + max_rows
            g2 = max(g + 1, int(np.searchsorted(ends, limit, side="right")))
            yield g, g2, int(self.starts[g]), int(ends[g2 - 1])
            g = g2


def solve_east_up(
    groups: CellGroups,
    los_east: np.ndarray,
    los_up: np.ndarray,
    series: np.ndarray,
    weights: np.ndarray | None = None,
    max_rows: int = 131072,
    check: Callable[[], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """East and up displacement (groups, T) float64 by unweighted (or ``weights``) least squares.

    ``series`` is (n, T) LOS displacement of the n MPs (NaN = no value at that epoch); epochs where a
    cell's normal matrix is singular or only one geometry has a value are NaN. Cells are taken in
    blocks of about ``max_rows`` MPs; ``check`` is called between blocks (cancellation).

    Per block the MPs' rows are gathered in cell order and the per-cell sums are one sparse
    (cells × MPs, block-diagonal) product with them: ~15× faster than ``np.add.reduceat`` over rows.
    """
    import scipy.sparse as sp

    n_groups, n_epochs = groups.starts.size, series.shape[1]
    east = np.empty((n_groups, n_epochs))
    up = np.empty((n_groups, n_epochs))
    w = np.ones(los_east.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    e, u = los_east, los_up
    for g0, g1, r0, r1 in groups.blocks(max_rows):
        if check is not None:
            check()
        idx = groups.order[r0:r1]
        sb = series[idx]
        indptr = np.r_[groups.starts[g0:g1] - r0, r1 - r0]
        local = np.arange(r1 - r0)

        def matrix(
            values: np.ndarray, _ip: np.ndarray = indptr, _ix: np.ndarray = local, _k: int = g1 - g0
        ) -> sp.csr_matrix:  # MP order inside a cell
            return sp.csr_matrix((values, _ix, _ip), shape=(_k, _ix.size))

        we, wu = (w * e)[idx], (w * u)[idx]
        nan = np.isnan(sb)
        if nan.any():  # an epoch is solved only where both geometries (los_east < 0: ascending) keep a value
            valid = (~nan).astype(np.float32)
            sb = np.where(nan, np.float32(0), sb)
            ee, eu, uu = we * e[idx], we * u[idx], wu * u[idx]
            nee, neu, nuu = (matrix(v) @ valid for v in (ee, eu, uu))
            asc = (e[idx] < 0).astype(float)
            both = ((matrix(asc) @ valid) > 0) & ((matrix(1 - asc) @ valid) > 0)
        else:
            rows = np.repeat(np.arange(g1 - g0), np.diff(indptr))
            nee = np.bincount(rows, we * e[idx], g1 - g0)[:, None]
            neu = np.bincount(rows, we * u[idx], g1 - g0)[:, None]
            nuu = np.bincount(rows, wu * u[idx], g1 - g0)[:, None]
            both = True
        b = sp.vstack([matrix(we), matrix(wu)]).tocsr() @ sb  # east and up sums in one product
        be, bu = b[: g1 - g0], b[g1 - g0 :]
        det = nee * nuu - neu * neu
        scale = np.maximum(nee * nuu, np.finfo(float).tiny)
        det = np.where((det > 1e-9 * scale) & both, det, np.nan)
        east[g0:g1] = (nuu * be - neu * bu) / det
        up[g0:g1] = (nee * bu - neu * be) / det
    return east, up


def average_per_geometry(
    cell: np.ndarray, ascending: np.ndarray, los_east: np.ndarray, los_up: np.ndarray, series: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """ATBD option: replace the MPs of each (cell, geometry) by one pseudo-MP with their mean LOS vector and
    mean series (NaN-aware), so each geometry weighs the same in the inversion.

    Returns (cell, ascending, los_east, los_up, series) of the pseudo-MPs.
    """
    key = cell.astype(np.int64) * 2 + ascending.astype(np.int64)
    groups = CellGroups.from_cells(key)
    idx, starts = groups.order, groups.starts
    count = np.diff(np.r_[starts, idx.size]).astype(np.float64)
    d = series[idx].astype(np.float64)
    valid = ~np.isnan(d)
    sums = np.add.reduceat(np.where(valid, d, 0.0), starts)
    nval = np.add.reduceat(valid.astype(np.float64), starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (sums / nval).astype(np.float32)
    e = np.add.reduceat(los_east[idx], starts) / count
    u = np.add.reduceat(los_up[idx], starts) / count
    return groups.cells // 2, (groups.cells % 2).astype(bool), e, u, mean
