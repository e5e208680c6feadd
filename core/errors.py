"""Exceptions raised by the core. The Processing layer turns them into QgsProcessingException."""

from __future__ import annotations

import errno
import os
import time
import traceback
from pathlib import Path


class SurfaceMotionError(Exception):
    """Base class of every error the core raises on purpose."""


class InputError(SurfaceMotionError):
    """A user-supplied input is unreadable or inconsistent.

    The message always names the input (file, layer, URL or parameter), the column or
    variable when there is one, and the reason, e.g.
    ``EGMS_L2b_117_0227_IW2_VV_2020_2024_1.zip: column 'los_east' missing``.
    """

    def __init__(self, source: str | Path | None, reason: str, column: str | None = None) -> None:
        self.source = str(source) if source is not None else None
        self.column = column
        self.reason = reason
        where = Path(self.source).name if self.source and "://" not in self.source else self.source
        parts = [p for p in (where, f"column '{column}'" if column else None) if p]
        super().__init__(": ".join([*parts, reason]) if parts else reason)


class ParameterError(SurfaceMotionError):
    """A parameter value is invalid (e.g. a start date after the end date)."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"{name}: {reason}")


class CancelledError(SurfaceMotionError):
    """The user cancelled the run; partial outputs were removed."""

    def __init__(self, message: str = "cancelled by the user") -> None:
        super().__init__(message)


#: errno → what the user can do about a failed file operation
_OS_FIXES = {
    errno.ENOSPC: "free disk space or choose another output location",
    errno.EDQUOT: "free disk space (quota) or choose another output location",
    errno.EACCES: "choose a location you can write to, or fix the permissions",
    errno.EPERM: "choose a location you can write to, or fix the permissions",
    errno.EROFS: "the file system is read-only: choose another location",
    errno.ENOENT: "check the path",
    errno.EISDIR: "give a file name, not a folder",
    errno.ENOTDIR: "a part of the path is a file: check the path",
}


def log_folder() -> Path:
    """Where unexpected failures leave their traceback (``$SURFACE_MOTION_CACHE/logs`` or the user cache)."""
    base = os.environ.get("SURFACE_MOTION_CACHE") or Path.home() / ".cache" / "surface_motion"
    return Path(base) / "logs"


def save_traceback(exc: BaseException, text: str | None = None) -> Path | None:
    """Write the traceback of ``exc`` (or ``text``) to a new log file; its path, or None when that fails."""
    try:
        folder = log_folder()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"error-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
        path.write_text(text if text is not None else "".join(traceback.format_exception(exc)))
        return path
    except OSError:
        return None


def describe_unexpected(exc: BaseException) -> str:
    """One line for an exception the core did not raise on purpose: what failed on which file and the fix
    for file-system errors and memory exhaustion; otherwise the error and the log file with its traceback."""
    if isinstance(exc, OSError) and exc.errno in _OS_FIXES:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}; {_OS_FIXES[exc.errno]}"
    if isinstance(exc, MemoryError):
        return (
            "out of memory; use a smaller area, period or block size, or a Dask cluster (SCHEDULER) with more "
            "memory"
        )
    log = save_traceback(exc)
    first = (str(exc).strip().splitlines() or [""])[0][:300]
    where = f"; the traceback is in {log}" if log else ""
    return f"unexpected error ({type(exc).__name__}: {first}){where}; please report it with that file"
