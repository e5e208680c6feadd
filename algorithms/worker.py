"""Run a core task (``core/worker.py``'s ``TASKS``) in a worker Python process and relay its reports.

Every algorithm and the inspector's background tasks go through :func:`run_task`: it pickles the task's
keyword arguments, starts ``python -m <package>.core.worker <task> <job>`` and forwards the worker's JSON
lines to the feedback (progress, messages, warnings); cancelling the feedback sends SIGTERM.

Why a separate process: QGIS's process holds its own GEOS, PROJ, GDAL and HDF5; the shapely, pyproj,
pyogrio and netCDF4 wheels bring other copies, and mixing them corrupts memory (wrong results, crashes
at exit). So those packages stay out of QGIS: layers travel as WKB payloads (:func:`layer_payload`),
results come back pickled (tables with WKB geometries).
"""

from __future__ import annotations

import json
import os
import pickle
import queue
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from qgis.core import QgsFeatureRequest, QgsProcessingException
from qgis.PyQt.QtCore import QDate, QDateTime, QVariant


def layer_payload(source, name: str, fields: tuple[str, ...] = ()) -> dict:
    """A feature source as ``{"wkb", "crs", "attributes"}`` for the worker (see ``layer_from_payload``).

    Raises ``QgsProcessingException`` naming the parameter when the layer is missing, has no valid CRS
    or no feature with a geometry.
    """
    if source is None:
        raise QgsProcessingException(f"{name}: no layer given")
    crs = source.sourceCrs()
    if not crs.isValid():
        raise QgsProcessingException(f"{name}: the layer has no valid CRS")
    unknown = [f for f in fields if source.fields().lookupField(f) < 0]
    if unknown:
        raise QgsProcessingException(
            f"{name}: the layer has no field '{unknown[0]}' (fields: "
            f"{', '.join(source.fields().names()) or 'none'}); choose one of them"
        )
    wkb, attributes = [], {f: [] for f in fields}
    request = QgsFeatureRequest().setSubsetOfAttributes(list(fields), source.fields())
    for feature in source.getFeatures(request):
        geom = feature.geometry()
        if geom is None or geom.isEmpty():
            continue
        wkb.append(bytes(geom.asWkb()))
        for f in fields:
            attributes[f].append(_python(feature[f]))
    if not wkb:
        raise QgsProcessingException(
            f"{name}: the layer has no features: add at least one feature with a geometry"
        )
    authid = crs.authid()
    return {
        "wkb": wkb,
        "crs": authid if authid.upper().startswith("EPSG:") else crs.toWkt(),
        "attributes": attributes,
    }


def _python(value):
    if isinstance(value, QVariant) and value.isNull():
        return None
    if isinstance(value, QDateTime):
        return value.toPyDateTime()
    if isinstance(value, QDate):
        return value.toPyDate()
    return value


def run_task(task: str, kwargs: dict, feedback) -> Any:  # the task's own result
    """Run ``TASKS[task](**kwargs)`` in a worker process; return its result.

    Core errors come back as ``SurfaceMotionError`` (the base class turns them into
    ``QgsProcessingException``), cancellation as ``CancelledError``; a crash reports the worker's stderr.
    """
    from ..core.compute import python_executable
    from ..core.errors import CancelledError, SurfaceMotionError, save_traceback
    from ..core.worker import result_path

    root_package = __package__.split(".")[0]  # "surface_motion" once installed, whatever the folder
    package_root = str(Path(sys.modules[root_package].__file__).absolute().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        dict.fromkeys([package_root, *[p for p in sys.path if p], env.get("PYTHONPATH", "")])
    )
    with tempfile.TemporaryDirectory(prefix=f"surface_motion_{task}_") as tmp:
        job = Path(tmp) / "job.pkl"
        job.write_bytes(pickle.dumps(kwargs))
        proc = subprocess.Popen(
            [python_executable(), "-m", f"{root_package}.core.worker", task, str(job)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        return_code, final, terminated, stderr = _follow(proc, feedback)
        if "result" in final:
            return pickle.loads(result_path(job).read_bytes())
    if "cancelled" in final or terminated:
        raise CancelledError()
    if "error" in final:
        raise SurfaceMotionError(final["error"])
    log = save_traceback(RuntimeError(task), "".join(stderr))
    raise QgsProcessingException(
        f"the worker process of '{task}' stopped unexpectedly (exit code {return_code}, e.g. "
        f"killed or out of memory); its output is in {log}"
    )


def _follow(proc: subprocess.Popen, feedback) -> tuple[int, dict, bool, list[str]]:
    """Relay the worker's JSON lines until it exits (terminating it on cancel); closes its pipes."""
    with proc:
        lines: queue.Queue = queue.Queue()
        stderr: list[str] = []
        readers = [
            threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True),
            threading.Thread(target=lambda: stderr.extend(proc.stderr), daemon=True),
        ]
        for reader in readers:
            reader.start()
        final, terminated = {}, False
        while True:
            if feedback is not None and feedback.isCanceled() and not terminated:
                proc.terminate()
                terminated = True
            try:
                line = lines.get(timeout=0.1)
            except queue.Empty:
                if proc.poll() is not None and lines.empty():
                    break
                continue
            final = _relay(line, feedback) or final
        proc.wait()
        for reader in readers:
            reader.join(timeout=5)
        while not lines.empty():
            final = _relay(lines.get(), feedback) or final
    return proc.returncode, final, terminated, stderr


def _relay(line: str, feedback) -> dict | None:
    """Forward one JSON line to ``feedback``; return it when it is the final event."""
    try:
        event = json.loads(line)
    except ValueError:
        if feedback is not None and line.strip():
            feedback.pushInfo(line.rstrip())
        return None
    if feedback is None:
        return event if {"result", "error", "cancelled"} & event.keys() else None
    if "progress" in event:
        feedback.setProgress(100.0 * event["progress"])
        if event.get("message"):
            feedback.setProgressText(event["message"])
    elif "info" in event:
        feedback.pushInfo(event["info"])
    elif "warning" in event:
        (getattr(feedback, "pushWarning", None) or feedback.reportError)(event["warning"])
    else:
        return event
    return None
