"""Batching of validity patterns within the memory budget of the device."""

from __future__ import annotations

import numpy as np
import pytest
from surface_motion.core.itslive.inversion import (
    batching,
    kernels,
)


def test_batches_follow_the_memory_budget():
    assert batching.batch_slices([3, 3, 3, 3], 6) == [slice(0, 2), slice(2, 4)]
    assert batching.batch_slices([10, 1], 5) == [slice(0, 1), slice(1, 2)]  # an oversized item still runs
    assert batching.batch_slices([1] * 4, 100, np.array([1, 2, 3, 5])) == [
        slice(0, 2),
        slice(2, 4),
    ]  # padding < 2×
    lay = kernels.block_layout(200, 46)
    assert lay.nb >= 46 and lay.padded >= 200
    per = batching.bytes_per_pattern(lay, np.array([2, 2000]))
    assert per[1] > per[0] > 8 * lay.size
    assert batching.free_memory_bytes("cpu") > 0
    assert batching.batch_budget("cpu") <= batching.BATCH_BYTES


def test_gpu_batching_uses_the_free_device_memory(monkeypatch):
    """The CUDA path sizes its batches from the device's free memory (checked here on the CPU)."""
    monkeypatch.setattr(batching, "free_memory_bytes", lambda device: 8 * 2**30)
    assert batching.batch_budget("cuda:0") == pytest.approx(2 * 2**30)  # no CPU cap on the GPU
    assert batching.batch_budget("cpu") == batching.BATCH_BYTES
