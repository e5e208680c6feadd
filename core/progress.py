"""Progress reporting and cancellation shared by every pipeline.

Core functions take an optional :class:`Progress`. The Processing algorithms pass one
that forwards to ``QgsProcessingFeedback``; the CLI passes one that prints; tests pass
one that cancels on demand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import CancelledError


@dataclass
class Progress:
    """Callbacks for progress (fraction 0–1 plus a message) and cancellation.

    ``sub(start, stop)`` gives a child whose 0–1 maps onto ``[start, stop]`` of this one,
    so each stage of a pipeline reports its own 0–1.
    """

    on_progress: Callable[[float, str], None] | None = None
    is_cancelled: Callable[[], bool] | None = None
    on_info: Callable[[str], None] | None = None
    on_warning: Callable[[str], None] | None = None
    start: float = 0.0
    stop: float = 1.0
    _last_message: str = field(default="", repr=False)

    def report(self, fraction: float, message: str = "") -> None:
        if self.on_progress is not None:
            f = min(max(fraction, 0.0), 1.0)
            self.on_progress(self.start + f * (self.stop - self.start), message)

    def info(self, message: str) -> None:
        if self.on_info is not None:
            self.on_info(message)

    def warn(self, message: str) -> None:
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
        return Progress(self.on_progress, self.is_cancelled, None, None, self.start, self.stop)

    def sub(self, start: float, stop: float) -> Progress:
        span = self.stop - self.start
        return Progress(
            self.on_progress,
            self.is_cancelled,
            self.on_info,
            self.on_warning,
            self.start + start * span,
            self.start + stop * span,
        )


def ensure_progress(progress: Progress | None) -> Progress:
    """The given progress, or a silent one."""
    return progress if progress is not None else Progress()
