"""All-or-nothing commits of product sets: rollback on a failed rename, recovery after a kill in the middle
of the renames, leftovers of killed runs removed (a live run's kept), one run per output."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from surface_motion.core.errors import InputError, ParameterError
from surface_motion.core.io import (
    atomic_output,
    atomic_outputs,
    check_output_location,
    clean_leftovers,
    format_bytes,
    output_lock,
    temporary_sibling,
)

from tests.conftest import PLUGINS

NAMES = ("a.zip", "a.tiff", "a.md5")


def previous_set(folder: Path) -> list[Path]:
    finals = [folder / n for n in NAMES]
    for f in finals:
        f.write_text(f"old {f.name}")
    return finals


def contents(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir())}


def test_a_failed_rename_rolls_the_whole_set_back(tmp_path, monkeypatch):
    finals = previous_set(tmp_path)
    real_replace, calls = os.replace, []

    def failing_replace(src, dst):
        calls.append(dst)
        if (
            len(calls) == 5
        ):  # journal, then a.zip aside + in, then a.tiff aside: the new a.tiff cannot be taken
            raise PermissionError(13, "Permission denied", str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(PermissionError), atomic_outputs(finals) as tmps:
        for t in tmps:
            t.write_text(f"new {t.suffix}")
    assert contents(tmp_path) == {n: f"old {n}" for n in sorted(NAMES)}  # no hidden file, no mixed set


def test_a_kill_between_renames_is_undone_by_the_next_run(tmp_path):
    previous_set(tmp_path)
    script = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(PLUGINS)!r})
        from pathlib import Path
        from surface_motion.core.io import atomic_outputs
        real, calls = os.replace, []
        def dying(src, dst):
            calls.append(dst)
            if len(calls) == 5:
                os._exit(9)  # killed after the new a.zip went in and the old a.tiff went aside
            return real(src, dst)
        os.replace = dying
        folder = Path({str(tmp_path)!r})
        with atomic_outputs([folder / n for n in {NAMES!r}]) as tmps:
            for t in tmps:
                t.write_text("new")
    """)
    assert subprocess.run([sys.executable, "-c", script]).returncode == 9
    assert (tmp_path / "a.zip").read_text() == "new" and not (tmp_path / "a.tiff").exists()  # the mixed state
    clean_leftovers(tmp_path)
    assert contents(tmp_path) == {n: f"old {n}" for n in sorted(NAMES)}


def test_leftovers_of_dead_processes_go_and_those_of_live_ones_stay(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        mine = temporary_sibling(tmp_path / "p.zip")
        stale = mine.with_name(mine.name.replace(f"-{os.getpid()}-", f"-{dead.pid}-"))
        running = mine.with_name(mine.name.replace(f"-{os.getpid()}-", f"-{live.pid}-"))
        for path in (stale, running):
            path.write_text("partial")
        assert clean_leftovers(tmp_path) == [stale.name]
        assert sorted(p.name for p in tmp_path.iterdir()) == [running.name]
    finally:
        live.kill()


def test_one_run_per_output_and_the_lock_goes_with_its_holder(tmp_path):
    target = tmp_path / "velocity.nc"
    with output_lock(target), pytest.raises(InputError, match="OUTPUT: another run is writing"):
        with output_lock(target):
            pass
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(PLUGINS)!r})
        from surface_motion.core.io import output_lock
        with output_lock({str(target)!r}):
            print("locked", flush=True)
            time.sleep(60)
    """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(InputError, match=rf"another run is writing .* \(process {holder.pid} "):
            with output_lock(target):
                pass
    finally:
        holder.kill()  # like kill -9: the OS releases the lock
        holder.wait()
    with output_lock(target):
        pass


@pytest.mark.parametrize(
    "kind, make, words",
    [
        ("folder", lambda p: p.write_text("x"), "is a file, not a folder"),
        ("file", lambda p: p.mkdir(), "is a folder; give a file name"),
    ],
)
def test_output_location_is_checked(tmp_path, kind, make, words):
    path = tmp_path / "out"
    make(path)
    with pytest.raises(ParameterError, match=words):
        check_output_location(path, "OUT", kind)


def test_a_missing_output_or_an_error_inside_changes_nothing(tmp_path):
    final = tmp_path / "product.tif"
    final.write_text("previous")
    with pytest.raises(FileNotFoundError, match=r"product\.tif: the writer produced no output"):
        with atomic_output(final):
            pass  # a writer that wrote nothing must not commit an empty set
    with pytest.raises(ZeroDivisionError):
        with atomic_output(final) as tmp:
            tmp.write_text("half")
            raise ZeroDivisionError
    assert contents(tmp_path) == {"product.tif": "previous"}


def test_a_folder_output_replaces_the_previous_folder_whole(tmp_path):
    final = tmp_path / "cube.zarr"
    final.mkdir()
    (final / "old-chunk").write_text("old")
    with atomic_output(final) as tmp:
        tmp.mkdir()
        (tmp / "new-chunk").write_text("new")
    assert [p.name for p in tmp_path.iterdir()] == ["cube.zarr"]
    assert sorted(p.name for p in final.iterdir()) == ["new-chunk"]


def test_free_space_is_checked_before_a_run(tmp_path, monkeypatch):
    monkeypatch.setattr(
        shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10**12, 10**12 - 5e8, 5e8)
    )
    check_output_location(tmp_path / "v.nc", "OUTPUT", need_bytes=4 * 10**8)
    with pytest.raises(
        ParameterError, match=r"^OUTPUT: the output needs about 2.5 GB but .* has 500.0 MB free"
    ):
        check_output_location(tmp_path / "v.nc", "OUTPUT", need_bytes=25 * 10**8)


def test_a_missing_folder_is_fine_when_its_parent_can_be_written(tmp_path):
    check_output_location(tmp_path / "new" / "deeper" / "v.nc", "OUTPUT")
    check_output_location(tmp_path / "new-folder", "OUTPUT_FOLDER", "folder")
    assert list(tmp_path.iterdir()) == []  # the probe leaves nothing behind
    (tmp_path / "file").write_text("x")
    with pytest.raises(ParameterError, match=r"is a file, so .* cannot be created"):
        check_output_location(tmp_path / "file" / "v.nc", "OUTPUT")


@pytest.mark.parametrize(
    ("n", "text"),
    [(999, "999 B"), (1000, "1.0 KB"), (2_500_000, "2.5 MB"), (3.2e12, "3.2 TB"), (5e15, "5000.0 TB")],
)
def test_sizes_are_written_in_decimal_units(n, text):
    assert format_bytes(n) == text
