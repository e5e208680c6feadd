"""EGMS L3 Ortho speed and scale (issue 3, point 7). Writes benchmarks/results/egms.md.

1. The official fixture tile E45N17 (two real L2b bursts, 17,412 MPs in the tile's area, 304 epochs),
   read → all products (ZIP, TIFF, MD5, GPKG, GeoParquet), through the core API (best of 3) and
   through ``qgis_process`` (one run, includes QGIS start-up).
2. A generated 4-burst set, 1,000,000 MPs × 260 epochs over two tiles (E45N17/E46N17), through the
   core API in a separate process so its peak memory (ru_maxrss) is its own.
Both report the per-stage split (plan, read+resample, solve, write). Usage:
``.venv/bin/python benchmarks/bench_egms.py [--skip-large] [--data DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from results_table import publish

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / ".build" / "plugins"))
FIXTURES = Path(os.environ.get("SURFACE_MOTION_FIXTURES", REPO.parent / "shared" / "fixtures"))
TILE = "POLYGON((4500000 1700000,4600000 1700000,4600000 1800000,4500000 1800000,4500000 1700000))"

CHILD = r"""
import json, resource, sys, threading, time
import psutil
sys.path.insert(0, sys.argv[1])
peak = {"total": 0}
def sample():  # resident memory of this process and all its children (Dask workers), summed
    me = psutil.Process()
    while True:
        try:
            total = sum(p.memory_info().rss for p in [me, *me.children(recursive=True)])
        except psutil.Error:
            continue
        peak["total"] = max(peak["total"], total)
        time.sleep(0.1)
threading.Thread(target=sample, daemon=True).start()
from surface_motion.core.egms.config import EgmsL3Config
from surface_motion.core.egms.pipeline import run_egms_l3

cfg = EgmsL3Config(inputs=json.loads(sys.argv[2]), output_folder=sys.argv[3], scheduler=sys.argv[4] or None,
                   n_workers=2, formats=tuple(sys.argv[5].split(",")))
t0 = time.perf_counter()
res = run_egms_l3(cfg)
wall = time.perf_counter() - t0
print(json.dumps({"wall": wall, "timings": res.timings, "cells": res.cells,
                  "peak_total_gb": peak["total"] / 1024 ** 3,
                  "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2,
                  "children_peak_rss_gb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 ** 2}))
"""


def split(t: dict) -> str:
    keys = [k for k in ("plan", "read_resample", "solve", "write", "solve_write") if k in t]
    return ", ".join(f"{k} {t[k]:.2f}" for k in keys)


def fixture_api(out: Path) -> tuple[list[float], dict]:
    from surface_motion.core.egms.config import EgmsL3Config
    from surface_motion.core.egms.pipeline import run_egms_l3

    inputs = sorted((FIXTURES / "egms_E45N17" / "input").glob("*.zip"))
    walls, best = [], None
    for _ in range(3):
        t0 = time.perf_counter()
        res = run_egms_l3(EgmsL3Config(inputs=inputs, output_folder=out, aoi=TILE))
        walls.append(time.perf_counter() - t0)
        if best is None or walls[-1] <= min(walls):
            best = res.timings
    return walls, best


def fixture_qgis_process(out: Path) -> float:
    env = dict(
        os.environ,
        HOME=str(out / ".home"),
        QT_QPA_PLATFORM="offscreen",
        QGIS_PLUGINPATH=str(REPO / ".build" / "plugins"),
        PYTHONPATH=sysconfig.get_paths()["purelib"],
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    )
    exe = "/usr/bin/qgis_process.bin"
    subprocess.run([exe, "plugins", "enable", "surface_motion"], env=env, check=True, capture_output=True)
    inputs = sorted((FIXTURES / "egms_E45N17" / "input").glob("*.zip"))
    qgis_aoi = out / "tile.geojson"
    qgis_aoi.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3035"}},
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [
                                [
                                    [4500000, 1700000],
                                    [4600000, 1700000],
                                    [4600000, 1800000],
                                    [4500000, 1800000],
                                    [4500000, 1700000],
                                ]
                            ],
                        },
                    }
                ],
            }
        )
    )
    args = [
        exe,
        "--json",
        "run",
        "surfacemotion:egms_l3_ortho",
        "--",
        f"AOI={qgis_aoi}",
        f"OUTPUT_FOLDER={out / 'qp'}",
    ] + [f"INPUTS={p}" for p in inputs]
    t0 = time.perf_counter()
    proc = subprocess.run(args, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    return wall


def large(data: Path, out: Path, scheduler: str = "", formats: str = "zip,tiff,md5,gpkg,parquet") -> dict:
    from surface_motion.core.synthetic.egms import generate

    marker = data / "done.json"
    if not marker.exists():
        t0 = time.perf_counter()
        paths, _ = generate(
            data,
            n_per_burst=250_000,
            n_epochs=260,
            n_bursts_per_geometry=2,
            bounds=(4_580_000, 1_700_000, 4_620_000, 1_725_000),
            seed=7,
        )
        marker.write_text(json.dumps({"paths": [str(p) for p in paths], "gen_s": time.perf_counter() - t0}))
    paths = json.loads(marker.read_text())["paths"]
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            str(REPO / ".build" / "plugins"),
            json.dumps(paths),
            str(out),
            scheduler,
            formats,
        ],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument(
        "--dask", action="store_true", help="also run the large set on a 2-worker LocalCluster"
    )
    parser.add_argument(
        "--data", type=Path, default=Path(tempfile.gettempdir()) / "surface_motion_bench_egms"
    )
    args = parser.parse_args()
    load = os.getloadavg()[0]
    lines = [
        "# EGMS L3 Ortho benchmark (benchmarks/bench_egms.py)",
        "",
        f"Machine: {os.cpu_count()} CPUs, load average {load:.1f} at start (shared machine: timings are noisy).",
        "",
        "| case | path | wall [s] | per stage [s] | cells | peak memory, all processes [GB] | target |",
        "|---|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if (FIXTURES / "egms_E45N17").exists():
            walls, t = fixture_api(tmp / "api")
            lines.append(
                f"| fixture E45N17 (2 bursts, 304 epochs) | core API, best of 3 | {min(walls):.2f} "
                f"(median {sorted(walls)[1]:.2f}) | {split(t)} | 522 | – | < 3 s |"
            )
            wall = fixture_qgis_process(tmp)
            lines.append(
                f"| fixture E45N17 | qgis_process (incl. QGIS start) | {wall:.2f} | – | 522 | – | < 10 s |"
            )
        if not args.skip_large:
            every = "zip,tiff,md5,gpkg,parquet"
            runs = [
                ("", every, "core API, in process, all products"),
                ("", "zip,tiff,md5", "core API, in process, official set only (ZIP, TIFF, MD5)"),
            ]
            if args.dask:
                runs.append(("local", every, "core API, Dask LocalCluster 2 workers, all products"))
            for k, (sched, formats, label) in enumerate(runs):
                r = large(args.data, tmp / f"large{k}", sched, formats)
                # sampled every 0.1 s: this process plus its Dask workers, summed (≥ ru_maxrss of the driver)
                peak = max(r["peak_total_gb"], r["peak_rss_gb"])
                lines.append(
                    f"| 4 bursts, 1,000,000 MPs × 260 epochs, 2 tiles | {label} | {r['wall']:.1f} | "
                    f"{split(r['timings'])} | {sum(r['cells'].values())} | {peak:.2f} | < 60 s, < 6 GB |"
                )
    lines += ["", f"Load average at the end: {os.getloadavg()[0]:.1f}."]
    publish("egms", lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
