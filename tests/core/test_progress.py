"""``core/progress.py``: stage fractions, cancellation, message routing and the log records."""

from __future__ import annotations

import logging

import pytest
from surface_motion.core.errors import CancelledError
from surface_motion.core.progress import LOGGER_NAME, Progress, ensure_progress


def recorder():
    seen = {"progress": [], "info": [], "warning": []}
    progress = Progress(
        on_progress=lambda f, m: seen["progress"].append((round(f, 6), m)),
        on_info=seen["info"].append,
        on_warning=seen["warning"].append,
    )
    return progress, seen


def test_nested_stages_map_onto_the_whole_run_and_fractions_are_clamped():
    progress, seen = recorder()
    stage = progress.sub(0.5, 1.0).sub(0.5, 1.0)  # the last quarter
    stage.report(0.5, "half of the last quarter")
    stage.report(1.7)  # a stage that overshoots stays in its share
    progress.sub(0.2, 0.4).report(-1.0)
    assert seen["progress"] == [(0.875, "half of the last quarter"), (1.0, ""), (0.2, "")]


def test_children_keep_the_messages_and_cancellation_quiet_ones_only_cancellation():
    flag = {"stop": False}
    progress, seen = recorder()
    progress.is_cancelled = lambda: flag["stop"]
    child, quiet = progress.sub(0.0, 0.5), progress.sub(0.0, 0.5).quiet()
    child.info("a")
    child.warn("b")
    quiet.info("dropped")
    quiet.warn("dropped")
    quiet.report(1.0, "still counted")
    assert seen == {"progress": [(0.5, "still counted")], "info": ["a"], "warning": ["b"]}
    quiet.check()
    flag["stop"] = True
    with pytest.raises(CancelledError, match="cancelled by the user"):
        quiet.check()
    assert child.cancelled()


def test_a_warning_without_its_own_callback_goes_to_info_marked():
    infos = []
    Progress(on_info=infos.append).warn("3 chunks missing")
    assert infos == ["WARNING: 3 chunks missing"]


def test_messages_are_log_records_at_their_level(caplog):
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    progress = ensure_progress(None)  # no callback: the log is all there is
    progress.sub(0.5, 1.0).report(0.5, "Inverting blocks")
    progress.report(0.3)  # a bare fraction is not worth a record
    progress.info("1,234 glacier pixels")
    progress.warn("glacier 7 lies outside every cube")
    progress.quiet().info("one line per block")
    records = [(r.name, r.levelno, r.getMessage()) for r in caplog.records]
    assert records == [
        (LOGGER_NAME, logging.DEBUG, "[ 75%] Inverting blocks"),
        (LOGGER_NAME, logging.INFO, "1,234 glacier pixels"),
        (LOGGER_NAME, logging.WARNING, "glacier 7 lies outside every cube"),
    ]
