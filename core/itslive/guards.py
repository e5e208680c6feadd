"""Checks the inversion pipeline calls at fixed points, kept apart from the pipeline itself:
glacier outlines with a CRS, a run that fits in memory, and a result that is not empty."""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..progress import Progress
from ..resources import refuse_oversized

#: bytes per output cell held in memory: vx, vy, vx_error, vy_error (float32) and count (int32)
OUTPUT_CELL_BYTES = 20


def require_crs(layer, name: str = "GLACIERS") -> None:
    """Raise :class:`InputError` when a GeoDataFrame has no CRS (its coordinates cannot be placed)."""
    if getattr(layer, "crs", None) is None:
        raise InputError(name, "the layer has no CRS; set it (Layer Properties › Source, or a .prj beside a "
                               "shapefile) so that the outlines can be placed on the cubes")


def refuse_oversized_inversion(n_bins: int, grid_shape: tuple[int, int], tasks) -> None:
    """Refuse a run whose output grid (bins × pixels × 20 bytes) plus the largest block window read
    (pairs × window pixels × 2 components × 4 bytes, ×3 for the float64 work copies) exceeds memory."""
    ny, nx = grid_shape
    output = n_bins * ny * nx * OUTPUT_CELL_BYTES
    window = max(((t.rows[1] - t.rows[0]) * (t.cols[1] - t.cols[0]) * len(t.layers) for t in tasks), default=0)
    need = output + 3 * window * 2 * 4
    refuse_oversized("INTERVAL_DAYS", need,
                     f"{n_bins} bins × {ny * nx:,} grid pixels × {OUTPUT_CELL_BYTES} bytes plus blocks of up to "
                     f"{window:,} pair-pixels",
                     "use a longer interval, a shorter period, fewer glaciers or a smaller BLOCK_SIZE")


def check_coverage(out: dict[str, np.ndarray], on_glacier: np.ndarray, missing: np.ndarray,
                   min_observations: int, progress: Progress) -> None:
    """Refuse an inversion in which no glacier pixel got a value, and report partial emptiness with counts.

    ``out['vx']`` is (bins, ny, nx); ``on_glacier`` (ny, nx) bool; ``missing`` = (chunks, values) missing
    from the stores."""
    values = out["vx"][:, on_glacier]
    filled = np.isfinite(values)
    n_pixels = int(on_glacier.sum())
    empty_pixels = int((~filled.any(axis=0)).sum())
    if n_pixels == 0 or empty_pixels == n_pixels:
        most = int(out["count"][:, on_glacier].max(initial=0))
        reason = (f"none of the {n_pixels:,} glacier pixels got a value: each has fewer than MIN_OBSERVATIONS="
                  f"{min_observations} valid pairs in the period (largest count of valid pairs in one bin: {most})")
        if missing[0]:
            reason += (f"; {int(missing[0])} chunks are missing from the store(s), so {int(missing[1]):,} values "
                       "read as empty: the cube is incomplete or its metadata is stale (copy it again)")
        raise InputError("CUBES", reason + "; widen the dates, missions or date_dt range, or lower MIN_OBSERVATIONS")
    if empty_pixels:
        progress.warn(f"{empty_pixels:,} of {n_pixels:,} glacier pixels have no value (fewer than "
                      f"{min_observations} valid pairs)")
    empty_bins = int((~filled.any(axis=1)).sum())
    if empty_bins:
        progress.warn(f"{empty_bins} of {values.shape[0]} time bins have no value in any pixel (no pair covers them)")
