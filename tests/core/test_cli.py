"""``core/cli.py``: the log level and log file of every subcommand, and failures as one error line."""

from __future__ import annotations

import logging

import pandas as pd
import pytest
from surface_motion.core.cli import main
from surface_motion.core.errors import InputError
from surface_motion.core.itslive import analysis_cli
from surface_motion.core.progress import LOGGER_NAME


@pytest.fixture
def find_cubes(monkeypatch):
    """``itslive-find-cubes`` with a core that reports an info and a warning (no catalog needed)."""

    def task(aoi, catalog, progress):
        progress.report(0.5, "Testing cube footprints")
        progress.info("ITS_LIVE catalog: using the cached copy")
        progress.warn("the catalog is 40 days old")
        if catalog == "missing.json":
            raise InputError(catalog, "catalog file not found")
        return {"table": pd.DataFrame({"zarr_url": ["a.zarr"]})}

    monkeypatch.setattr(analysis_cli, "read_layer", lambda path, name: None)
    monkeypatch.setattr(analysis_cli, "task_find_cubes", task)
    return ["itslive-find-cubes", "--aoi", "aoi.gpkg"]


def test_messages_on_the_console_and_in_the_log_file(find_cubes, tmp_path, capsys):
    log = tmp_path / "logs" / "run.log"
    assert main(["--log-file", str(log), *find_cubes]) == 0
    captured = capsys.readouterr()
    assert captured.out == "a.zarr\n"
    assert "\nITS_LIVE catalog: using the cached copy\n" in captured.err
    assert "\nWARNING: the catalog is 40 days old\n" in captured.err
    lines = log.read_text().splitlines()
    assert [line.split(" ", 2)[2] for line in lines] == [
        f"INFO {LOGGER_NAME}: ITS_LIVE catalog: using the cached copy",
        f"WARNING {LOGGER_NAME}: the catalog is 40 days old",
    ]


def test_the_log_level_filters_both_and_debug_adds_the_steps(find_cubes, tmp_path, capsys):
    log = tmp_path / "run.log"
    assert main(["--log-level", "warning", "--log-file", str(log), *find_cubes]) == 0
    err = capsys.readouterr().err
    assert "ITS_LIVE catalog" not in err and "WARNING: the catalog is 40 days old" in err
    assert "ITS_LIVE catalog" not in log.read_text()
    assert main(["--log-level", "DEBUG", "--log-file", str(log), *find_cubes]) == 0
    assert "DEBUG surface_motion: [ 50%] Testing cube footprints" in log.read_text()


def test_a_failure_is_one_error_line_also_in_the_log_file(find_cubes, tmp_path, capsys):
    log = tmp_path / "run.log"
    assert main(["--log-file", str(log), *find_cubes, "--catalog", "missing.json"]) == 2
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if "error:" in line] == [
        "surface-motion itslive-find-cubes: error: missing.json: catalog file not found"
    ]
    assert "ERROR surface_motion: surface-motion itslive-find-cubes: error: missing.json" in log.read_text()


def test_each_run_removes_its_handlers(find_cubes, capsys):
    for _ in range(3):
        assert main(find_cubes) == 0
    # once a run: a handler left behind would repeat each message (1 + 2 + 3 times)
    assert capsys.readouterr().err.count("ITS_LIVE catalog: using the cached copy") == 3
    assert logging.getLogger(LOGGER_NAME).handlers[-1].__class__ is logging.NullHandler
