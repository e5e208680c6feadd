"""The worker-process side of the algorithms' subprocess runs (see ``algorithms/worker.py``).

A worker reports JSON lines on stdout — ``progress``/``message``, ``info``, ``warning``, then one
final ``result``, ``error`` (with ``kind``) or ``cancelled`` — and SIGTERM cancels it at the next
``progress.check()``. Exit codes: 0 done, 2 error, 3 cancelled. An unexpected exception is reported as
one line too (its traceback goes to a log file, see :func:`..errors.describe_unexpected`).
"""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Callable
from typing import Any

from .errors import CancelledError, SurfaceMotionError, describe_unexpected
from .progress import Progress


def emit(**event) -> None:
    """Write one JSON event line to stdout (flushed: the parent relays it at once)."""
    sys.stdout.write(json.dumps(event, default=str) + "\n")
    sys.stdout.flush()


def run_as_worker(call: Callable[[Progress], Any], encode: Callable[[Any], Any] = lambda r: r) -> int:
    """Run ``call(progress)`` reporting through JSON lines; the final ``result`` is ``encode(result)``."""
    state = {"cancelled": False}
    signal.signal(signal.SIGTERM, lambda *_: state.update(cancelled=True))
    progress = Progress(
        on_progress=lambda f, m: emit(progress=f, message=m),
        is_cancelled=lambda: state["cancelled"],
        on_info=lambda m: emit(info=m),
        on_warning=lambda m: emit(warning=m),
    )
    try:
        result = call(progress)
    except CancelledError as exc:
        emit(cancelled=str(exc))
        return 3
    except SurfaceMotionError as exc:
        emit(error=str(exc), kind=type(exc).__name__)
        return 2
    except Exception as exc:  # noqa: BLE001 - never a traceback for the user; the log file keeps it
        emit(error=describe_unexpected(exc), kind="UnexpectedError")
        return 2
    emit(result=encode(result))
    return 0
