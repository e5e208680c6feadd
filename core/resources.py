"""Up-front estimates of the memory a run needs, so that work too large for the machine is refused
with its size instead of being killed after minutes (or swapping the machine to a halt)."""

from __future__ import annotations

import os

from .errors import ParameterError
from .io import format_bytes

#: share of the available memory a run may plan to use (the rest: Python, libraries, copies)
USABLE_SHARE = 0.8


def available_memory() -> int:
    """Bytes of memory available to a new allocation (MemAvailable on Linux, else physical memory)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def refuse_oversized(name: str, need_bytes: float, what: str, fix: str) -> None:
    """Raise :class:`ParameterError` naming ``name`` when ``need_bytes`` (the estimate of ``what``, e.g.
    ``3,000,000 samples × 37 dates × 72 bytes``) exceeds the usable memory of this machine."""
    available = available_memory()
    if need_bytes > USABLE_SHARE * available:
        raise ParameterError(
            name,
            f"{what} ≈ {format_bytes(need_bytes)} of memory, more than this machine can "
            f"give ({format_bytes(available)} available); {fix}",
        )
