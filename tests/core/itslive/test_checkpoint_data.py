"""A resumed inversion reuses checkpoint blocks only while the cube's data are unchanged."""

from __future__ import annotations

import os
import shutil

import pytest
from surface_motion.core.errors import CancelledError
from surface_motion.core.itslive.config import ItsliveInvertConfig
from surface_motion.core.itslive.inversion.config import InversionConfig
from surface_motion.core.itslive.pipeline import run_itslive_invert
from surface_motion.core.progress import Progress


def interrupted_then_resumed(cube, glaciers, output, change_data) -> int:
    config = ItsliveInvertConfig(
        glaciers=glaciers,
        output=output,
        cubes=[str(cube)],
        block_size=10,
        inversion=InversionConfig(device="cpu"),
    )
    stop = Progress(
        on_progress=lambda f, m: None,
        is_cancelled=lambda: (output.parent / ".velocity.checkpoint" / "block-000001").exists(),
    )
    with pytest.raises(CancelledError):
        run_itslive_invert(config, stop)
    change_data(cube)
    return run_itslive_invert(config).n_resumed


def rewrite_one_chunk(cube) -> None:
    chunk = next(p for p in sorted((cube / "vx").iterdir()) if not p.name.startswith("."))
    data = chunk.read_bytes()
    chunk.write_bytes(data)  # same bytes, rewritten in place: a newer modification time
    stat = chunk.stat()
    os.utime(chunk, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))


@pytest.mark.parametrize(
    "change, resumed",
    [(lambda cube: None, True), (rewrite_one_chunk, False)],
    ids=["same data", "chunk rewritten"],
)
def test_checkpoint_follows_the_data(local_cube, tmp_path, change, resumed):
    path, truth = local_cube
    cube = tmp_path / path.name
    shutil.copytree(path, cube)
    glaciers = tmp_path / "glaciers.gpkg"
    truth.glaciers.to_file(glaciers)
    n_resumed = interrupted_then_resumed(cube, glaciers, tmp_path / "velocity.nc", change)
    assert (n_resumed > 0) is resumed
