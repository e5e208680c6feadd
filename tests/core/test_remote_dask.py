"""EGMS and the inversion on a separately started ``dask scheduler`` + ``dask worker`` pair, as on a real
cluster: workers that cannot import this package are refused up front with the install step; workers
that can give the same products as the in-process run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from surface_motion.core.egms.config import EgmsL3Config
from surface_motion.core.egms.pipeline import run_egms_l3
from surface_motion.core.errors import ParameterError
from surface_motion.core.itslive.config import ItsliveInvertConfig
from surface_motion.core.itslive.inversion.config import InversionConfig
from surface_motion.core.itslive.pipeline import run_itslive_invert

from tests.compare import assert_same_egms_products
from tests.conftest import PLUGINS

DASK = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(DASK is None, reason="the `dask` command (dask[distributed]) is not installed"),
]


@contextmanager
def cluster(folder: Path, with_package: bool):
    """A scheduler and one worker process started with the `dask` CLI; yields the scheduler address."""
    folder.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if with_package:
        env["PYTHONPATH"] = str(PLUGINS)
    scheduler_file = folder / "scheduler.json"
    log = open(folder / "dask.log", "w")  # closed below
    common = ["--no-dashboard"]
    procs = [
        subprocess.Popen(
            [
                DASK,
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--scheduler-file",
                str(scheduler_file),
                *common,
            ],
            env=env,
            stdout=log,
            stderr=log,
            cwd=folder,
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(scheduler_file.read_text())["address"]
        procs.append(
            subprocess.Popen(
                [
                    DASK,
                    "worker",
                    address,
                    "--nworkers",
                    "1",
                    "--nthreads",
                    "1",
                    "--local-directory",
                    str(folder),
                    *common,
                ],
                env=env,
                stdout=log,
                stderr=log,
                cwd=folder,
            )
        )
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(1, timeout=60)
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    from surface_motion.core.synthetic.egms import generate
    from surface_motion.core.synthetic.itslive import write_synthetic_cube

    folder = tmp_path_factory.mktemp("remote")
    bursts, _ = generate(
        folder / "bursts", n_per_burst=300, n_epochs=40, bounds=(4_500_000, 1_700_000, 4_501_000, 1_701_000)
    )
    cube = folder / "ITS_LIVE_vel_EPSG3413_G0120_X-3250000_Y350000.zarr"
    truth = write_synthetic_cube(cube, nx=20, ny=20, n_pairs=150, seed=3)
    glaciers = folder / "glaciers.gpkg"
    truth.glaciers.to_file(glaciers)
    return folder, bursts, cube, glaciers


def invert_config(data, output: Path, scheduler=None) -> ItsliveInvertConfig:
    _, _, cube, glaciers = data
    return ItsliveInvertConfig(
        glaciers=glaciers,
        output=output,
        cubes=[str(cube)],
        inversion=InversionConfig(interval_days=30, device="cpu"),
        block_size=10,
        scheduler=scheduler,
    )


def test_workers_without_the_package_are_refused_with_the_install_step(data, tmp_path):
    _, bursts, _, _ = data
    with cluster(tmp_path / "plain", with_package=False) as address:
        with pytest.raises(
            ParameterError, match=r"SCHEDULER: worker .* cannot import surface_motion\.core.*pip install"
        ):
            run_egms_l3(EgmsL3Config(inputs=bursts, output_folder=tmp_path / "out", scheduler=address))
        with pytest.raises(ParameterError, match=r"cannot import surface_motion"):
            run_itslive_invert(invert_config(data, tmp_path / "out" / "v.nc", address))
    # no product and no partial file (the inversion's checkpoint folder holds its manifest only)
    assert [p.name for p in (tmp_path / "out").iterdir() if p.name != ".v.checkpoint"] == []


def test_remote_cluster_gives_the_local_products(data, tmp_path):
    import netCDF4

    _, bursts, _, _ = data
    local = run_egms_l3(
        EgmsL3Config(inputs=bursts, output_folder=tmp_path / "local", formats=("zip", "tiff"))
    )
    local_nc = run_itslive_invert(invert_config(data, tmp_path / "local" / "v.nc")).output
    with cluster(tmp_path / "cluster", with_package=True) as address:
        remote = run_egms_l3(
            EgmsL3Config(
                inputs=bursts, output_folder=tmp_path / "remote", formats=("zip", "tiff"), scheduler=address
            )
        )
        remote_nc = run_itslive_invert(invert_config(data, tmp_path / "remote" / "v.nc", address)).output
    assert_same_egms_products(local.products["E45N17"], remote.products["E45N17"])
    with netCDF4.Dataset(local_nc) as a, netCDF4.Dataset(remote_nc) as b:
        for name in ("vx", "vy", "count"):
            np.testing.assert_array_equal(a[name][:], b[name][:], err_msg=name)
