"""The one worker entry: ``python -m surface_motion.core.worker <task> <job>``.

The Processing algorithms and the inspector run their work in a separate Python process (QGIS's own
GEOS/PROJ/GDAL/HDF5, already loaded in its process, clash with the copies that the shapely, pyproj,
pyogrio and netCDF4 wheels bring); ``algorithms/worker.py`` starts it and relays its reports.

- ``<task>`` names an entry of :data:`TASKS`; ``<job>`` is a pickle of the task's keyword arguments
  (layers as payloads of WKB + CRS + attributes, rebuilt here by :func:`..vector.layer_from_payload`).
- The worker reports JSON lines on stdout: ``progress``/``message``, ``info``, ``warning``, then one final
  ``result`` (the path of a pickle of the task's return value, next to the job), ``error`` (with
  ``kind``) or ``cancelled``. An unexpected exception is reported as an ``error`` line too (its traceback
  goes to a log file, see :func:`..errors.describe_unexpected`).
- SIGTERM cancels at the next ``progress.check()``. Exit codes: 0 done, 2 error, 3 cancelled.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pickle
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import CancelledError, SurfaceMotionError, describe_unexpected
from .progress import Progress

#: task name → ``"module:function"`` (module relative to this package), imported only when the task runs,
#: so that reading this table stays light. The function takes the job's keyword arguments and ``progress``.
TASKS: dict[str, str] = {
    "egms_l3_ortho": "egms.cli:task_egms_l3_ortho",
    "itslive_invert": "itslive.cli:task_itslive_invert",
    "find_cubes": "itslive.analysis_cli:task_find_cubes",
    "point_series": "itslive.analysis_cli:task_point_series",
    "gp": "itslive.analysis_cli:task_gp",
    "centerline": "itslive.analysis_cli:task_centerline",
    "pixel_mesh": "itslive.analysis_cli:task_pixel_mesh",
    "pixel_pairs": "itslive.analysis.inspect:task_pixel_pairs",
    "pixel_gp": "itslive.analysis.inspect:task_pixel_gp",
}

EXIT_DONE, EXIT_ERROR, EXIT_CANCELLED = 0, 2, 3


def resolve(task: str) -> Callable[..., Any]:
    """The function of ``task`` (imports its module)."""
    module, _, name = TASKS[task].partition(":")
    return getattr(importlib.import_module(f".{module}", __package__), name)


def result_path(job: Path) -> Path:
    """Where the worker pickles the result of ``job``."""
    return job.with_name(f"{job.stem}.result.pkl")


def emit(**event: Any) -> None:  # any JSON value
    """Write one JSON event line to stdout (flushed: the parent relays it at once)."""
    sys.stdout.write(json.dumps(event, default=str) + "\n")
    sys.stdout.flush()


def run_as_worker(call: Callable[[Progress], Any]) -> int:
    """Run ``call(progress)`` reporting through JSON lines; the final ``result`` is what it returns.

    Returns the exit code. SIGTERM sets the cancel flag ``progress.check()`` reads; the previous handler
    is restored afterwards.
    """
    state = {"cancelled": False}
    previous = signal.signal(signal.SIGTERM, lambda *_: state.update(cancelled=True))
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
        return EXIT_CANCELLED
    except SurfaceMotionError as exc:
        emit(error=str(exc), kind=type(exc).__name__)
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - never a traceback for the user; the log file keeps it
        emit(error=describe_unexpected(exc), kind="UnexpectedError")
        return EXIT_ERROR
    finally:
        signal.signal(signal.SIGTERM, previous)
    emit(result=result)
    return EXIT_DONE


def run_job(task: str, job: Path) -> int:
    """Run ``task`` on the keyword arguments pickled in ``job``; its return value is pickled beside it."""
    from .vector import is_layer_payload, layer_from_payload

    def call(progress: Progress) -> str:
        kwargs = pickle.loads(job.read_bytes())
        kwargs = {k: layer_from_payload(v) if is_layer_payload(v) else v for k, v in kwargs.items()}
        out = result_path(job)
        out.write_bytes(pickle.dumps(resolve(task)(**kwargs, progress=progress)))
        return str(out)

    return run_as_worker(call)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m surface_motion.core.worker",
        description="Run one task of Surface Motion as a worker process (JSON lines on stdout).",
    )
    parser.add_argument("task", choices=sorted(TASKS))
    parser.add_argument("job", type=Path, help="pickle of the task's keyword arguments")
    args = parser.parse_args(argv)
    return run_job(args.task, args.job)


if __name__ == "__main__":
    sys.exit(main())
