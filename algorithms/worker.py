"""Run an ITS_LIVE analysis task (``core/itslive/analysis_cli.py``) in a worker Python process.

QGIS's process holds its own GEOS and PROJ; the shapely/pyproj wheels bring other copies, and
mixing them corrupts memory (wrong results, crashes at exit). So the algorithms keep shapely,
pyproj and geopandas out of QGIS: layers travel as WKB (from QGIS) in a pickle, results come back
as pandas tables with WKB geometries. Progress, messages and cancellation (SIGTERM) are relayed.
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


def run_core_worker(module: str, job: Path, feedback, what: str) -> dict:
    """Run ``python -m <package>.<module> --worker <job>`` and relay its reports; return the final event.

    ``module`` is relative to the plugin package (``core.itslive.cli``). Core errors come back as
    ``SurfaceMotionError`` (the base class turns them into ``QgsProcessingException``), cancellation
    as ``CancelledError``; a crash reports the worker's stderr.
    """
    from ..core.compute import python_executable
    from ..core.errors import CancelledError, SurfaceMotionError, save_traceback

    root_package = __package__.split(".")[0]  # "surface_motion" once installed, whatever the folder
    package_root = str(Path(sys.modules[root_package].__file__).absolute().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        dict.fromkeys([package_root, *[p for p in sys.path if p], env.get("PYTHONPATH", "")])
    )
    proc = subprocess.Popen(
        [python_executable(), "-m", f"{root_package}.{module}", "--worker", str(job)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    return_code, final, terminated, stderr = _follow(proc, feedback)
    if "result" in final:
        return final
    if "cancelled" in final or terminated:
        raise CancelledError()
    if "error" in final:
        raise SurfaceMotionError(final["error"])
    log = save_traceback(RuntimeError(what), "".join(stderr))
    raise QgsProcessingException(
        f"the {what} worker process stopped unexpectedly (exit code {return_code}, e.g. "
        f"killed or out of memory); its output is in {log}"
    )


def run_task(task: str, kwargs: dict, feedback) -> dict:
    """Run ``TASKS[task](**kwargs)`` of ``core.itslive.analysis_cli`` in a worker; return its result dict."""
    with tempfile.TemporaryDirectory(prefix=f"itslive_{task}_") as tmp:
        job = Path(tmp) / "job.pkl"
        job.write_bytes(pickle.dumps({"task": task, "kwargs": kwargs}))
        final = run_core_worker("core.itslive.analysis_cli", job, feedback, task)
        return pickle.loads(Path(final["result"]).read_bytes())


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
