"""Run TICOI on chosen pixels of an ITS_LIVE cube; executed by ``bench_accuracy.py`` inside the
TICOI virtual environment (``benchmarks/.ticoi-venv``), never imported by the plugin.

Usage: ``python ticoi_runner.py job.json`` where the job holds ``cube`` (an ITS_LIVE-layout zarr
store), ``pixels`` ([[x, y], ...] in the cube CRS), ``proj`` ("EPSG:…"), ``output`` (CSV of the
12-day series: pixel, date1, date2, vx, vy) and ``preData_kwargs`` / ``inversion_kwargs`` (TICOI's
own parameter dictionaries). Timings go to ``output`` + ``.json``. Single-threaded: the caller
sets the thread variables; Dask runs synchronously here.
"""

from __future__ import annotations

import json
import sys
import time
import warnings


def main(job_path: str) -> int:
    import dask
    import numpy as np
    import pandas as pd
    from ticoi.core import process
    from ticoi.cube_data_classxr import CubeDataClass

    warnings.filterwarnings("ignore")
    dask.config.set(scheduler="synchronous")
    with open(job_path) as f:
        job = json.load(f)
    pre = dict(job["preData_kwargs"])
    inv = dict(job["inversion_kwargs"])

    t0 = time.perf_counter()
    cube = CubeDataClass()
    cube.load(job["cube"], chunks={}, conf=False, proj=job["proj"], verbose=False)
    first, last = cube.prepare_interpolation_date()
    inv.update({"first_date_interpol": first, "last_date_interpol": last})
    t_load = time.perf_counter() - t0

    t0 = time.perf_counter()
    obs_filt, _ = cube.filter_cube_before_inversion(**pre)
    t_filter = time.perf_counter() - t0

    frames, per_pixel = [], []
    for k, (x, y) in enumerate(job["pixels"]):
        t0 = time.perf_counter()
        result = process(cube, float(x), float(y), None, obs_filt=obs_filt, returned=["interp"], **inv)
        per_pixel.append(time.perf_counter() - t0)
        if result is None or len(result) == 0:
            continue
        frame = pd.DataFrame(
            {
                "pixel": k,
                "date1": pd.to_datetime(result["date1"]),
                "date2": pd.to_datetime(result["date2"]),
                "vx": np.asarray(result["vx"], float),
                "vy": np.asarray(result["vy"], float),
            }
        )
        frames.append(frame)
    table = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["pixel", "date1", "date2", "vx", "vy"])
    )
    table.to_csv(job["output"], index=False, date_format="%Y-%m-%dT%H:%M:%S")
    from importlib.metadata import version

    timing = {
        "load_s": t_load,
        "filter_s": t_filter,
        "pixel_s": per_pixel,
        "cube_pixels": int(cube.nx * cube.ny),
        "n_layers": int(cube.nz),
        "ticoi_version": version("ticoi"),
        "packages": {p: version(p) for p in ("numpy", "pandas", "xarray", "dask", "zarr", "scipy", "numba")},
    }
    with open(job["output"] + ".json", "w") as f:
        json.dump(timing, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
