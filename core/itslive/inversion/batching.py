"""Grouping of pixels by validity pattern and cutting the work into memory-bounded batches."""

from __future__ import annotations

import os

import numpy as np

from .kernels import BlockLayout

PATTERN_PIXELS = 1024
"""Most pixels solved against one factorisation in a batch (larger patterns are split)."""
BATCH_PATTERNS = 256
"""Most factorisations per batch: batched GEMMs are efficient long before, and a batch is the unit of
progress and cancellation (well under a second each)."""
BATCH_BYTES = 256 * 2**20
"""Default working-memory budget of one batch of factorisations on the CPU."""


def group_rows(valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a (n, P) bool array: (index of one representative per group, group id per row)."""
    packed = np.packbits(valid, axis=1)
    keys = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return first, inverse.ravel()


def split_patterns(gid: np.ndarray, n_patterns: int, most: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut patterns of more than ``most`` pixels into pieces: (piece id per pixel, pattern of each
    piece). A piece costs one more factorisation, but batches of right-hand sides stay cache-sized."""
    order = np.argsort(gid, kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.bincount(gid, minlength=n_patterns))])
    rank = np.empty(gid.size, dtype=np.int64)
    rank[order] = np.arange(gid.size) - starts[gid[order]]
    pieces = int(rank.max()) // most + 1 if gid.size else 1
    keys, piece_id = np.unique(gid.astype(np.int64) * pieces + rank // most, return_inverse=True)
    return piece_id.ravel(), keys // pieces


def batch_slices(
    costs: np.ndarray, budget: float, sizes: np.ndarray | None = None, most: int | None = None
) -> list[slice]:
    """Consecutive slices of items whose summed cost stays within ``budget`` (≥ 1 item each).

    With ``sizes`` (ascending, e.g. pixels per pattern) a slice also ends before an item more than
    twice the size of its first one, so padding every pattern to the largest wastes < 2×; with
    ``most``, a slice holds at most that many items.
    """
    costs = np.asarray(costs, dtype=float)
    out, start, acc = [], 0, 0.0
    for i, c in enumerate(costs):
        too_wide = sizes is not None and sizes[i] > 2 * max(sizes[start], 1)
        too_many = most is not None and i - start >= most
        if i > start and (acc + c > budget or too_wide or too_many):
            out.append(slice(start, i))
            start, acc = i, 0.0
        acc += c
    if start < len(costs):
        out.append(slice(start, len(costs)))
    return out


def free_memory_bytes(device: str) -> int:
    """Free memory of ``device`` ("cpu" or "cuda[:i]") in bytes."""
    if str(device).startswith("cuda"):
        import torch

        free, _ = torch.cuda.mem_get_info(torch.device(device))
        return int(free)
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # not POSIX (Windows QGIS)
        return 2 * 2**30


def batch_budget(device: str, fraction: float = 0.25) -> float:
    """Bytes one batch may use: ``fraction`` of the free memory, capped at BATCH_BYTES on the CPU."""
    free = free_memory_bytes(device) * fraction
    return free if str(device).startswith("cuda") else min(free, BATCH_BYTES)


def bytes_per_pattern(layout: BlockLayout, rhs_columns: np.ndarray) -> np.ndarray:
    """Working memory (bytes, float64) of one pattern with ``rhs_columns`` right-hand sides."""
    blocks = layout.nblk * layout.nb * layout.nb
    return 8.0 * (6 * blocks + layout.size + 3 * layout.padded * np.asarray(rhs_columns))
