"""The one worker entry (``core/worker.py``): its task table, its JSON-line protocol and exit codes."""

from __future__ import annotations

import inspect
import json
import os
import pickle
import signal
import subprocess
import sys

import pytest
import shapely
from shapely.geometry import Point
from surface_motion.core import worker
from surface_motion.core.errors import InputError

from tests.conftest import PLUGINS, loaded_by, run_worker


def events(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


@pytest.mark.parametrize("task", sorted(worker.TASKS))
def test_every_task_resolves_to_a_function_taking_progress(task):
    function = worker.resolve(task)
    assert "progress" in inspect.signature(function).parameters, worker.TASKS[task]


def test_reading_the_task_table_imports_no_scientific_package():
    statement = "import surface_motion.core.worker"
    assert loaded_by(statement, ("numpy", "pandas", "geopandas", "shapely")) == []


def test_progress_messages_and_result_are_json_lines(capsys):
    def call(progress):
        progress.report(0.5, "half")
        progress.info("note")
        progress.warn("careful")
        return {"n": 3}

    assert worker.run_as_worker(call) == worker.EXIT_DONE
    assert events(capsys) == [
        {"progress": 0.5, "message": "half"},
        {"info": "note"},
        {"warning": "careful"},
        {"result": {"n": 3}},
    ]


def test_errors_are_one_line_with_their_kind(capsys, tmp_path, monkeypatch):
    def bad_input(progress):
        raise InputError("a.csv", "column missing", column="v")

    assert worker.run_as_worker(bad_input) == worker.EXIT_ERROR
    assert events(capsys) == [{"error": "a.csv: column 'v': column missing", "kind": "InputError"}]

    monkeypatch.setenv("SURFACE_MOTION_CACHE", str(tmp_path))

    def crash(progress):
        raise ZeroDivisionError("division by zero")

    assert worker.run_as_worker(crash) == worker.EXIT_ERROR
    (event,) = events(capsys)
    assert event["kind"] == "UnexpectedError" and "ZeroDivisionError: division by zero" in event["error"]
    (log,) = (tmp_path / "logs").iterdir()  # the traceback is kept for the report
    assert "Traceback" in log.read_text()


def test_sigterm_cancels_at_the_next_check_and_the_handler_is_restored(capsys):
    before = signal.getsignal(signal.SIGTERM)

    def call(progress):
        progress.check()
        os.kill(os.getpid(), signal.SIGTERM)
        progress.check()
        return "not reached"

    assert worker.run_as_worker(call) == worker.EXIT_CANCELLED
    assert events(capsys) == [{"cancelled": "cancelled by the user"}]
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_job_gets_its_layers_as_geodataframes_and_its_result_pickled(tmp_path, monkeypatch, capsys):
    seen = {}

    def task(points, factor, progress):
        seen.update(points=points, factor=factor)
        return {"ids": list(points["point_id"] * factor)}

    monkeypatch.setattr(worker, "resolve", lambda name: task)
    payload = {
        "wkb": [shapely.to_wkb(Point(1, 2)), shapely.to_wkb(Point(3, 4)).hex()],
        "crs": "EPSG:3413",
        "attributes": {"point_id": [7, 8]},
    }
    job = tmp_path / "job.pkl"
    job.write_bytes(pickle.dumps({"points": payload, "factor": 10}))
    assert worker.run_job("point_series", job) == worker.EXIT_DONE
    assert events(capsys)[-1] == {"result": str(worker.result_path(job))}
    assert pickle.loads(worker.result_path(job).read_bytes()) == {"ids": [70, 80]}
    points = seen["points"]
    assert points.crs.to_epsg() == 3413 and list(points.geometry.x) == [1, 3] and seen["factor"] == 10


def test_the_worker_process_reports_an_unknown_task_and_a_bad_job(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "surface_motion.core.worker", "no_such_task", str(tmp_path / "job.pkl")],
        capture_output=True,
        text=True,
        cwd=PLUGINS,
    )
    assert proc.returncode == 2 and "invalid choice: 'no_such_task'" in proc.stderr
    proc, events_, _ = run_worker(
        "pixel_pairs", {"netcdf": str(tmp_path / "none.nc"), "x": 0.0, "y": 0.0}, tmp_path, timeout=120
    )
    assert proc.returncode == worker.EXIT_ERROR
    assert events_[-1] == {"error": "none.nc: inversion NetCDF not found", "kind": "InputError"}
