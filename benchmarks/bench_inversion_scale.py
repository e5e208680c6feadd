"""Whole-cube inversion at scale: time and peak memory against pixels and pairs, and Dask workers.

Generated cubes (``write_large_cube``: every pixel its own validity pattern, 20 % independent
dropouts plus swath-edge gaps on 30 % of the pairs, 2015–2024, 12-day bins = 300 bins) are inverted
end to end through the core API (``run_itslive_invert``, defaults) in a fresh process per case, one
BLAS thread; the child reports its wall time and peak resident memory (``ru_maxrss``). The Dask
rows run the same cube with ``scheduler="local"`` and 2 single-threaded workers and check that the
NetCDF holds the same numbers. Writes benchmarks/results/inversion_scale.md.

    python benchmarks/bench_inversion_scale.py [--sides 100,200,400] [--pairs 2500,5000,10000] [--dask-side 200]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PLUGINS = HERE.parent / ".build" / "plugins"
sys.path.insert(0, str(PLUGINS))

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from surface_motion.core.itslive.config import ItsliveInvertConfig
from surface_motion.core.itslive.pipeline import run_itslive_invert
kw = json.loads(sys.argv[2])
t = time.perf_counter()
result = run_itslive_invert(ItsliveInvertConfig(**kw))
print("RESULT" + json.dumps({"seconds": time.perf_counter() - t, "n_pixels": result.n_pixels,
      "n_bins": result.n_bins, "lam": result.lam,
      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
      # Dask's worker processes are this process's children, reaped when the cluster closes
      "worker_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def cube(folder: Path, side: int, pairs: int) -> tuple[Path, Path]:
    """The cube (generated once per size, kept in ``folder``) and its glacier outlines."""
    from surface_motion.core.synthetic.itslive import write_large_cube

    path = folder / f"cube_{side}_{pairs}.zarr"
    glaciers = folder / f"glaciers_{side}_{pairs}.gpkg"
    if not glaciers.exists():
        truth = write_large_cube(path, side=side, n_pairs=pairs)
        truth.glaciers.to_file(glaciers)
    return path, glaciers


def run(path: Path, glaciers: Path, output: Path, **extra) -> dict:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    kw = {
        "glaciers": str(glaciers),
        "output": str(output),
        "cubes": [str(path)],
        "inversion": {"device": "cpu"},
        "resume": False,
        **extra,
    }
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(PLUGINS), json.dumps(kw)], capture_output=True, text=True, env=env
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.split("RESULT", 1)[1])


def same_numbers(a: Path, b: Path) -> bool:
    import netCDF4
    import numpy as np

    with netCDF4.Dataset(a) as da, netCDF4.Dataset(b) as db:
        return all(
            np.array_equal(da[k][:].filled(np.nan), db[k][:].filled(np.nan), equal_nan=True)
            for k in ("vx", "vy", "vx_error", "vy_error", "count")
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sides", default="100,200,400", help="pixels per side (at the first --pairs value)")
    ap.add_argument("--pairs", default="2500,5000,10000", help="pairs (at the first --sides value)")
    ap.add_argument("--largest", action="store_true", help="also the largest side × the most pairs")
    ap.add_argument("--dask-side", type=int, default=200, help="cube side of the Dask comparison (0: skip)")
    ap.add_argument(
        "--dask-pairs", type=int, default=0, help="pairs of the Dask comparison (0: the first --pairs)"
    )
    ap.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "surface_motion_scale"))
    ap.add_argument("--output", default=str(HERE / "results" / "inversion_scale.md"))
    args = ap.parse_args()
    sides = [int(v) for v in args.sides.split(",") if v]
    pairs = [int(v) for v in args.pairs.split(",") if v]
    folder = Path(args.cache)
    folder.mkdir(parents=True, exist_ok=True)
    cases = [(s, pairs[0]) for s in sides] + [(sides[0], p) for p in pairs[1:]]
    if args.largest:
        cases.append((max(sides), max(pairs)))
    rows = []
    for side, n_pairs in cases:
        path, glaciers = cube(folder, side, n_pairs)
        r = run(path, glaciers, folder / f"out_{side}_{n_pairs}.nc")
        rows.append(("1 process", side, n_pairs, r))
        print(
            f"{side}² px × {n_pairs} pairs: {r['n_pixels']} glacier px, {r['seconds']:.1f} s, "
            f"{r['n_pixels'] / r['seconds']:.0f} px/s, peak {r['peak_mb']:.0f} MB",
            flush=True,
        )
    dask_line = ""
    if args.dask_side:
        dask_pairs = args.dask_pairs or pairs[0]
        path, glaciers = cube(folder, args.dask_side, dask_pairs)
        done = {(side, n): r for label, side, n, r in rows}
        one_nc = folder / f"out_{args.dask_side}_{dask_pairs}.nc"  # the same cube in one process
        one = done.get((args.dask_side, dask_pairs)) or run(path, glaciers, one_nc)
        two = run(path, glaciers, folder / "two.nc", scheduler="local", n_workers=2)
        rows.append(("Dask local, 2 workers", args.dask_side, dask_pairs, two))
        equal = same_numbers(one_nc, folder / "two.nc")
        dask_line = (
            f"Dask: {args.dask_side}² px × {dask_pairs} pairs, 1 process {one['seconds']:.1f} s, 2 local "
            f"workers {two['seconds']:.1f} s: {one['seconds'] / two['seconds']:.2f}× "
            f"({'same numbers' if equal else 'DIFFERENT numbers'} in the NetCDF); peak memory of a worker "
            f"{two['worker_peak_mb']:,.0f} MB."
        )
        print(dask_line)
    lines = [
        "# ITS_LIVE inversion at scale (end to end, defaults, 300 bins of 12 days)",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, one BLAS thread per process, shared with other "
        "jobs. Peak memory is the main process's (Dask rows: the main process; workers hold one block each).",
        "",
        "| run | pixels per side | pairs | glacier pixels | time (s) | pixels/s | peak memory (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, side, n_pairs, r in rows:
        lines.append(
            f"| {label} | {side} | {n_pairs:,} | {r['n_pixels']:,} | {r['seconds']:.1f} | "
            f"{r['n_pixels'] / r['seconds']:,.0f} | {r['peak_mb']:,.0f} |"
        )
    if dask_line:
        lines += ["", dask_line]
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
