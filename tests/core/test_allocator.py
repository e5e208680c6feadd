"""The allocator setting keeps freed temporaries for reuse (the Dask-worker slowdown it fixes)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import PLUGINS

PROBE = """
import resource, sys
import numpy as np
from surface_motion.core.allocator import reuse_freed_memory
if sys.argv[1] == "tuned":
    assert reuse_freed_memory()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(40):
    a = np.ones(2**20)  # 8 MB temporary, freed at once
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's")
def test_freed_temporaries_are_reused_even_under_a_fixed_trim_threshold():
    env = {
        **os.environ,
        "MALLOC_TRIM_THRESHOLD_": "65536",
        "PYTHONPATH": str(PLUGINS),
    }  # what Dask's nanny sets for its workers

    def page_faults(mode: str) -> int:
        out = subprocess.run(
            [sys.executable, "-c", PROBE, mode], env=env, capture_output=True, text=True, check=True
        )
        return int(out.stdout)

    pages = 2**20 * 8 // os.sysconf("SC_PAGE_SIZE")
    default, tuned = page_faults("default"), page_faults("tuned")
    assert tuned < 2 * pages  # about one temporary's pages, then reused
    assert default > 5 * tuned  # measured 10×: each temporary faulted in again
