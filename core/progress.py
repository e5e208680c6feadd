"""Progress reporting and cancellation shared by every pipeline.

Core functions take an optional :class:`Progress`. The worker process passes one that reports JSON
lines (see :mod:`.worker`), which the Processing algorithms relay to ``QgsProcessingFeedback``; the CLI
passes one that draws a progress bar; tests pass one that cancels on demand.

Every message also goes to the standard :mod:`logging` module, logger :data:`LOGGER_NAME` (info and
warnings at their level, progress steps at DEBUG), so that API and Dask users choose what they see with
``logging`` alone; the CLI sets it with ``--log-level`` and ``--log-file``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from .errors import CancelledError

LOGGER_NAME = "surface_motion"
logger = logging.getLogger(LOGGER_NAME)
logger.addHandler(logging.NullHandler())  # a library logs; the application decides where it goes


@dataclass
class Progress:
    """Callbacks for progress (fraction 0–1 plus a message) and cancellation.

    ``sub(start, stop)`` gives a child whose 0–1 maps onto ``[start, stop]`` of this one,
    so each stage of a pipeline reports its own 0–1. ``log``: also send the messages to
    :data:`logger` (off in :meth:`quiet` children).
    """

    on_progress: Callable[[float, str], None] | None = None
    is_cancelled: Callable[[], bool] | None = None
    on_info: Callable[[str], None] | None = None
    on_warning: Callable[[str], None] | None = None
    start: float = 0.0
    stop: float = 1.0
    log: bool = True

    def report(self, fraction: float, message: str = "") -> None:
        overall = self.start + min(max(fraction, 0.0), 1.0) * (self.stop - self.start)
        if self.log and message:
            logger.debug("[%3d%%] %s", int(overall * 100), message)
        if self.on_progress is not None:
            self.on_progress(overall, message)

    def info(self, message: str) -> None:
        if self.log:
            logger.info(message)
        if self.on_info is not None:
            self.on_info(message)

    def warn(self, message: str) -> None:
        if self.log:
            logger.warning(message)
        if self.on_warning is not None:
            self.on_warning(message)
        elif self.on_info is not None:
            self.on_info(f"WARNING: {message}")

    def cancelled(self) -> bool:
        return bool(self.is_cancelled is not None and self.is_cancelled())

    def check(self) -> None:
        """Raise :class:`CancelledError` when the user asked to stop."""
        if self.cancelled():
            raise CancelledError()

    def quiet(self) -> Progress:
        """The same progress and cancellation, without the messages (e.g. one line per block)."""
        return replace(self, on_info=None, on_warning=None, log=False)

    def sub(self, start: float, stop: float) -> Progress:
        span = self.stop - self.start
        return replace(self, start=self.start + start * span, stop=self.start + stop * span)


def ensure_progress(progress: Progress | None) -> Progress:
    """The given progress, or one that only logs."""
    return progress if progress is not None else Progress()
