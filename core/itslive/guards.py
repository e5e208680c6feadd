"""Checks the inversion pipeline calls at fixed points, kept apart from the pipeline itself:
glacier outlines with a CRS, a run that fits in memory, and a result that is not empty."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError
from ..progress import Progress
from ..resources import refuse_oversized

if TYPE_CHECKING:
    from .pipeline import BlockTask


def require_crs(layer: object, name: str = "GLACIERS") -> None:
    """Raise :class:`InputError` when a GeoDataFrame has no CRS (its coordinates cannot be placed)."""
    if getattr(layer, "crs", None) is None:
        raise InputError(
            name,
            "the layer has no CRS; set it (Layer Properties › Source, or a .prj beside a "
            "shapefile) so that the outlines can be placed on the cubes",
        )


def refuse_oversized_inversion(n_bins: int, grid_shape: tuple[int, int], tasks: Sequence[BlockTask]) -> None:
    """Refuse a run whose largest block window (pairs × window pixels × 2 components × 4 bytes, ×3 for
    the float64 work copies) or one output row of bins (bins × 28 bytes, for the slab writer) exceeds
    memory. The output itself goes to disk block by block, so it does not count."""
    ny, nx = grid_shape
    window = max(
        ((t.rows[1] - t.rows[0]) * (t.cols[1] - t.cols[0]) * len(t.layers) for t in tasks), default=0
    )
    need = 3 * window * 2 * 4 + 28 * ny * nx
    refuse_oversized(
        "BLOCK_SIZE",
        need,
        f"blocks of up to {window:,} pair-pixels and {ny * nx:,} grid pixels per bin",
        "use a smaller BLOCK_SIZE, fewer pairs (missions, dates, date_dt) or fewer glaciers",
    )


def check_coverage(
    filled_pixels: np.ndarray,
    filled_bins: np.ndarray,
    on_glacier: np.ndarray,
    missing: np.ndarray,
    min_observations: int,
    progress: Progress,
) -> None:
    """Refuse an inversion in which no glacier pixel got a value, and report partial emptiness with counts.

    ``filled_pixels`` (ny, nx) and ``filled_bins`` (bins,): where some value was written; ``on_glacier``
    (ny, nx) bool; ``missing`` = (chunks, values) missing from the stores."""
    n_pixels = int(on_glacier.sum())
    empty_pixels = int((on_glacier & ~filled_pixels).sum())
    if n_pixels == 0 or empty_pixels == n_pixels:
        reason = (
            f"none of the {n_pixels:,} glacier pixels got a value: each has fewer than MIN_OBSERVATIONS="
            f"{min_observations} valid pairs in the period"
        )
        if missing[0]:
            reason += (
                f"; {int(missing[0])} chunks are missing from the store(s), so {int(missing[1]):,} values "
                "read as empty: the cube is incomplete or its metadata is stale (copy it again)"
            )
        raise InputError(
            "CUBES", reason + "; widen the dates, missions or date_dt range, or lower MIN_OBSERVATIONS"
        )
    if empty_pixels:
        progress.warn(
            f"{empty_pixels:,} of {n_pixels:,} glacier pixels have no value (fewer than "
            f"{min_observations} valid pairs)"
        )
    empty_bins = int((~filled_bins).sum())
    if empty_bins:
        progress.warn(
            f"{empty_bins} of {filled_bins.size} time bins have no value in any pixel (no pair covers them)"
        )
