"""ITS_LIVE inversion end to end: glaciers → cubes → mask → blocks of pixels → NetCDF (+ GeoTIFF).

Work is cut into blocks of glacier pixels aligned on the cubes' chunks; each block reads only
its chunks and inverts its pixels. Finished blocks are saved to a checkpoint folder next to the
output (one file per block, each written atomically), so an interrupted or killed run resumes
where it stopped; cancellation is checked between blocks. Blocks run in this process or on a
Dask distributed cluster where each worker opens the cube and reads its own chunks. The product
is written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import json
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..allocator import reuse_freed_memory
from ..checkpoint import data_fingerprint, guarded_outputs  # guard
from ..errors import InputError, ParameterError
from ..io import atomic_outputs
from ..progress import Progress, ensure_progress
from .config import ItsliveInvertConfig
from .filters import filter_layers
from .guards import check_coverage, refuse_oversized_inversion, require_crs  # guard
from .inversion import (
    TYPICAL_LAMBDA,
    InversionConfig,
    LambdaChoice,
    days_since_epoch,
    invert_pixels,
    select_lambda,
    time_bins,
)
from .inversion.gcv import GCV_PIXELS
from .io.catalog import cubes_under
from .io.cube import Cube, open_cube, read_window
from .io.mask import GlacierGrid, rasterise_glaciers

if TYPE_CHECKING:
    import geopandas as gpd

VERSION = "2"
OUTPUT_KEYS = ("vx", "vy", "vx_error", "vy_error", "count")


@dataclass(frozen=True)
class BlockTask:
    """One block: a window of one cube and the glacier pixels in it (picklable, sent to workers).

    rows/cols: the window in the cube; pix_rows/pix_cols: the glacier pixels within the window;
    out_rows/out_cols: where they go on the output grid; layers: store indices of the pairs;
    img1/img2: (n_pairs,) float days; vx_error/vy_error: (n_pairs,) m/yr.
    """

    index: int
    url: str
    storage_options: dict | None
    rows: tuple[int, int]
    cols: tuple[int, int]
    pix_rows: np.ndarray
    pix_cols: np.ndarray
    out_rows: np.ndarray
    out_cols: np.ndarray
    layers: np.ndarray
    img1: np.ndarray
    img2: np.ndarray
    vx_error: np.ndarray
    vy_error: np.ndarray


@dataclass
class ItsliveInvertResult:
    """What a run produced: paths, sizes, and what was reused or missing."""

    output: Path
    geotiff: Path | None
    n_pixels: int
    n_bins: int
    n_blocks: int
    n_resumed: int
    n_pairs: dict[str, int]
    cubes: list[str]
    missing_chunks: int = 0
    missing_values: int = 0
    warnings: list[str] = field(default_factory=list)
    lam: float | None = None
    weighted: bool = False
    empty_pixels: int = 0


# ------------------------------------------------------------------------------------------------
# inputs


def load_glaciers(glaciers: gpd.GeoDataFrame | str | Path) -> gpd.GeoDataFrame:
    """A GeoDataFrame of polygons from a GeoDataFrame or a vector file path (``path|layername=x`` as QGIS writes)."""
    import geopandas as gpd

    if isinstance(glaciers, (str, Path)):
        text, _, layer = str(glaciers).partition("|layername=")
        path = Path(text)
        if not path.exists():
            raise InputError(path, "glacier outline file not found")
        try:
            glaciers = gpd.read_file(path, layer=layer or None)
        except Exception as exc:  # any reader failure is a bad input file
            raise InputError(path, f"cannot read the glacier outlines ({exc})") from exc
    if not isinstance(glaciers, gpd.GeoDataFrame) or len(glaciers) == 0:
        raise InputError("GLACIERS", "no glacier outline given")
    require_crs(glaciers)  # guard
    polygons = glaciers[glaciers.geometry.notna() & glaciers.geom_type.isin(["Polygon", "MultiPolygon"])]
    if len(polygons) == 0:
        raise InputError("GLACIERS", "the layer has no polygon: give glacier outlines (e.g. RGI polygons)")
    return polygons


def _period(config: ItsliveInvertConfig, tables: list[pd.DataFrame]) -> tuple[np.datetime64, np.datetime64]:
    """[start, end] from the config, else the span of the selected pairs."""
    start = (
        np.datetime64(config.start, "D") if config.start else min(t["img1"].min() for t in tables).floor("D")
    )
    end = np.datetime64(config.end, "D") if config.end else max(t["img2"].max() for t in tables).ceil("D")
    start, end = np.datetime64(start, "D"), np.datetime64(end, "D")
    period = (end - start) / np.timedelta64(1, "D")
    if config.inversion.interval_days > period:
        raise ParameterError(
            "INTERVAL_DAYS",
            f"{config.inversion.interval_days:g} days is longer than the period "
            f"{start} … {end} ({period:.0f} days); shorten it",
        )
    return start, end


def plan_blocks(
    grid: GlacierGrid,
    cubes: list[Cube],
    tables: list[pd.DataFrame],
    block_size: int,
    storage_options: dict | None,
) -> list[BlockTask]:
    """Blocks of glacier pixels: per cube, tiles of ≈ ``block_size`` pixels a side rounded up to whole
    chunks (so no chunk is read twice), only tiles holding glacier pixels, in a fixed order."""
    tasks: list[BlockTask] = []
    on = grid.glacier_id > 0
    for k, cube in enumerate(cubes):
        sel = on & (grid.cube_index == k)
        if not sel.any() or len(tables[k]) == 0:
            continue
        _, cy, cx = cube.chunks
        by, bx = cy * max(1, -(-block_size // cy)), cx * max(1, -(-block_size // cx))
        out_r, out_c = np.nonzero(sel)
        rows, cols = grid.cube_row[sel], grid.cube_col[sel]
        tile = pd.DataFrame({"ty": rows // by, "tx": cols // bx, "i": np.arange(len(rows))})
        t = tables[k]
        img1 = days_since_epoch(t["img1"].to_numpy())
        img2 = days_since_epoch(t["img2"].to_numpy())
        for (ty, tx), part in tile.groupby(["ty", "tx"], sort=True):
            i = part["i"].to_numpy()
            r0, c0 = int(ty * by), int(tx * bx)
            r1, c1 = min(r0 + by, len(cube.y)), min(c0 + bx, len(cube.x))
            # the window is cut to the glacier pixels' extent within the tile
            rr, cc = rows[i], cols[i]
            r0, r1, c0, c1 = int(rr.min()), int(rr.max()) + 1, int(cc.min()), int(cc.max()) + 1
            tasks.append(
                BlockTask(
                    index=len(tasks),
                    url=cube.url,
                    storage_options=storage_options,
                    rows=(r0, r1),
                    cols=(c0, c1),
                    pix_rows=rr - r0,
                    pix_cols=cc - c0,
                    out_rows=out_r[i],
                    out_cols=out_c[i],
                    layers=t["layer"].to_numpy(),
                    img1=img1,
                    img2=img2,
                    vx_error=t["vx_error"].to_numpy(),
                    vy_error=t["vy_error"].to_numpy(),
                )
            )
    return tasks


# ------------------------------------------------------------------------------------------------
# one block (runs here or on a Dask worker)


@functools.lru_cache(maxsize=8)
def _cached_cube(url: str, options_json: str) -> Cube:
    return open_cube(url, storage_options=json.loads(options_json) or None)


MASK_KEYS = ("too_few_pairs", "outside_data_span", "formal_error", "empty_pixels")
"""What :func:`invert_block` reports as left empty (after missing_chunks, missing_values in ``stats``)."""


def read_block(task: BlockTask, cube: Cube | None = None) -> tuple[np.ndarray, np.ndarray, dict]:
    """The block's glacier pixels: vx, vy (n_pixels, n_pairs) m/yr and the read statistics."""
    if cube is None:
        cube = _cached_cube(task.url, json.dumps(task.storage_options or {}, sort_keys=True))
    stats: dict = {}
    window = read_window(
        cube, slice(*task.rows), slice(*task.cols), ("vx", "vy"), layers=task.layers, stats=stats
    )
    return (
        window["vx"][:, task.pix_rows, task.pix_cols].T,
        window["vy"][:, task.pix_rows, task.pix_cols].T,
        stats,
    )


def invert_block(
    task: BlockTask,
    edges: np.ndarray,
    config: InversionConfig,
    cube: Cube | None = None,
    progress: Progress | None = None,
) -> dict[str, np.ndarray]:
    """Read the block's window and invert its glacier pixels.

    Returns vx, vy, vx_error, vy_error (n_pixels, M) float32, count (n_pixels, M) int32 and
    ``stats`` (missing_chunks, missing_values, then the :data:`MASK_KEYS` counts) as an int64 array.
    """
    vx, vy, stats = read_block(task, cube)
    res = invert_pixels(
        vx,
        vy,
        task.img1,
        task.img2,
        edges,
        config,
        vx_error=task.vx_error,
        vy_error=task.vy_error,
        progress=progress,
    )
    counts = [
        stats.get("missing_chunks", 0),
        stats.get("missing_values", 0),
        *(res.masked.get(k, 0) for k in MASK_KEYS),
    ]
    return {
        "vx": res.vx,
        "vy": res.vy,
        "vx_error": res.vx_error,
        "vy_error": res.vy_error,
        "count": res.count,
        "stats": np.array(counts, np.int64),
    }


def choose_lambda(
    tasks: list[BlockTask],
    edges: np.ndarray,
    config: InversionConfig,
    cubes: dict[str, Cube],
    progress: Progress,
) -> LambdaChoice | None:
    """λ for the whole run, by generalised cross-validation on the pixels of the largest blocks of the
    largest block's cube (one λ for every block keeps the product consistent; the pixels of one cube
    share one pair list). Blocks are read until GCV_PIXELS pixels with enough pairs are found (at
    most four)."""
    largest = max(tasks, key=lambda t: (t.pix_rows.size, -t.index))
    same_cube = sorted((t for t in tasks if t.url == largest.url), key=lambda t: (-t.pix_rows.size, t.index))
    vx, vy, found = [], [], 0
    for task in same_cube[:4]:
        bx, by, _ = read_block(task, cubes.get(task.url))
        vx.append(bx)
        vy.append(by)
        found += int(((np.isfinite(bx) & np.isfinite(by)).sum(1) >= config.min_observations).sum())
        if found >= GCV_PIXELS:
            break
    if found == 0:
        return None
    return select_lambda(
        np.concatenate(vx),
        np.concatenate(vy),
        largest.img1,
        largest.img2,
        edges,
        config,
        vx_error=largest.vx_error,
        vy_error=largest.vy_error,
        progress=progress,
    )


# ------------------------------------------------------------------------------------------------
# checkpoint


class Checkpoint:
    """Finished blocks of a run, in ``.<output stem>.checkpoint/`` next to the output: the run's
    out-of-core store, from which the NetCDF is written slab by slab of bins.

    ``manifest.json`` holds the fingerprint of everything that determines the result; a folder
    with another fingerprint (other parameters or inputs) is discarded. A block is a folder
    ``block-NNNNNN/`` of one ``.npy`` per output (time-major (M, n_pixels), so a slab of bins is
    one contiguous read) and ``stats.npy``; it is written under a temporary name and renamed, so
    a killed run never leaves a half-written block.
    """

    def __init__(self, output: Path, fingerprint: str) -> None:
        self.folder = output.with_name(f".{output.stem}.checkpoint")
        self.fingerprint = fingerprint

    def open(self, resume: bool) -> set[int]:
        """Prepare the folder; the indices of blocks already done (empty unless resuming)."""
        manifest = self.folder / "manifest.json"
        if self.folder.exists():
            try:
                same = json.loads(manifest.read_text())["fingerprint"] == self.fingerprint
            except (OSError, ValueError, KeyError):
                same = False
            if not (resume and same):
                shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        for partial in self.folder.glob("block-*.tmp*"):  # a killed run's unfinished block
            shutil.rmtree(partial, ignore_errors=True)
        if not manifest.exists():
            tmp = manifest.with_name(manifest.name + ".tmp")
            tmp.write_text(json.dumps({"fingerprint": self.fingerprint}))
            os.replace(tmp, manifest)
        return {int(p.name.split("-")[1]) for p in self.folder.glob("block-*") if p.name[6:].isdigit()}

    def _path(self, index: int) -> Path:
        return block_path(self.folder, index)

    def save(self, index: int, result: dict[str, np.ndarray]) -> None:
        """Store a block's result (arrays (n_pixels, M) as :func:`invert_block` returns them)."""
        save_block(self.folder, index, result)

    def stats(self, index: int) -> np.ndarray:
        return np.load(self._path(index) / "stats.npy")

    def slab(self, index: int, key: str, t0: int, t1: int) -> np.ndarray:
        """Bins t0:t1 of one output of a block: (t1 − t0, n_pixels), read through a memory map."""
        return np.asarray(np.load(self._path(index) / f"{key}.npy", mmap_mode="r")[t0:t1])

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def block_path(folder: Path, index: int) -> Path:
    return Path(folder) / f"block-{index:06d}"


def save_block(folder: Path, index: int, result: dict[str, np.ndarray]) -> None:
    """Write a block's result into the checkpoint ``folder``: a temporary folder renamed when complete."""
    final = block_path(folder, index)
    tmp = final.with_name(f"{final.name}.tmp{os.getpid()}")
    tmp.mkdir()
    for key, values in result.items():
        with open(tmp / f"{key}.npy", "wb") as f:
            np.save(f, values if key == "stats" else np.ascontiguousarray(values.T))
            f.flush()
            os.fsync(f.fileno())
    os.replace(tmp, final)


def block_summary(vx: np.ndarray, stats: np.ndarray) -> dict[str, np.ndarray]:
    """What the run keeps of a block once it is on disk: pixels (n,) and bins (M,) with a value, and
    the stats. ``vx``: (M, n_pixels)."""
    finite = np.isfinite(vx)
    return {"filled_pixels": finite.any(0), "filled_bins": finite.any(1), "stats": stats}


def invert_block_to_checkpoint(
    task: BlockTask, edges: np.ndarray, config: InversionConfig, folder: str
) -> dict[str, np.ndarray]:
    """:func:`invert_block` on a Dask worker, written straight into the checkpoint (a folder the
    workers share with the run): only the small :func:`block_summary` travels back, so the main
    process neither deserialises nor writes the blocks."""
    reuse_freed_memory()  # Dask's nanny fixes MALLOC_TRIM_THRESHOLD_, which makes every temporary page-fault
    result = invert_block(task, edges, config)
    save_block(Path(folder), task.index, result)
    return block_summary(result["vx"].T, result["stats"])


def fingerprint(
    config: ItsliveInvertConfig,
    inversion: InversionConfig,
    cubes: list[Cube],
    grid: GlacierGrid,
    edges: np.ndarray,
    tasks: list[BlockTask],
) -> str:
    """A hash of everything that determines the blocks' results."""
    h = hashlib.sha256()
    h.update(
        json.dumps(
            {
                "version": VERSION,
                "inversion": inversion.__dict__,
                "edges": edges.tolist(),
                "cubes": [c.url for c in cubes],
                "block_size": config.block_size,
            },
            sort_keys=True,
            default=str,
        ).encode()
    )
    h.update(grid.glacier_id.tobytes())
    for t in tasks:
        h.update(t.layers.tobytes())
        h.update(np.array([*t.rows, *t.cols], np.int64).tobytes())
    return h.hexdigest()


# ------------------------------------------------------------------------------------------------
# the run


@guarded_outputs(lambda config, *_, **__: {"OUTPUT": config.output, "MEAN_VELOCITY": config.geotiff})  # guard
def run_itslive_invert(config: ItsliveInvertConfig, progress: Progress | None = None) -> ItsliveInvertResult:
    """Invert every glacier pixel of the cubes under ``config.glaciers`` and write ``config.output``.

    Stages (progress share): cubes and mask (5 %), blocks (90 %), NetCDF (5 %). Raises
    :class:`InputError`/:class:`ParameterError` before any work on bad inputs, :class:`CancelledError`
    when cancelled (no output is written; finished blocks stay in the checkpoint).
    """
    progress = ensure_progress(progress)
    config.validate()
    reuse_freed_memory()
    inversion = config.kernel()
    glaciers = load_glaciers(config.glaciers)
    progress.report(0.0, "Finding and opening cubes")
    urls = config.cubes or list(
        cubes_under(glaciers, config.catalog, "GLACIERS", "the glaciers", progress.sub(0.0, 0.02))["zarr_url"]
    )
    cubes = []
    for url in urls:
        progress.check()
        cubes.append(open_cube(url, storage_options=config.storage_options))
    grid = rasterise_glaciers(glaciers, cubes)
    notes = [f"glacier {name} lies outside every cube: skipped" for name in grid.outside]
    tables = [
        filter_layers(c.layers, config.missions, config.start, config.end, config.min_dt, config.max_dt)
        for c in cubes
    ]
    used = sorted(set(np.unique(grid.cube_index[grid.glacier_id > 0]).tolist()))
    if all(len(tables[k]) == 0 for k in used):
        raise InputError("CUBES", "no image pair left after the mission/date/date_dt filters; widen them")
    start, end = _period(config, [tables[k] for k in used if len(tables[k])])
    edges = days_since_epoch(time_bins(start, end, config.inversion.interval_days))
    tasks = plan_blocks(grid, cubes, tables, config.block_size, config.storage_options)
    refuse_oversized_inversion(len(edges) - 1, grid.glacier_id.shape, tasks)  # guard
    for note in {n for c in cubes for n in c.notes}:
        progress.info(note)
    inversion = _weighting(inversion, [tables[k] for k in used], notes)
    lam_note = "given"
    if inversion.lam is None and tasks:
        choice = choose_lambda(tasks, edges, inversion, {c.url: c for c in cubes}, progress.sub(0.02, 0.05))
        if choice is None:  # nothing to choose from: the coverage check below names the cause
            inversion = dataclasses.replace(inversion, lam=TYPICAL_LAMBDA[inversion.derivative])
            lam_note = "typical value (no sampled pixel has enough pairs to choose from)"
        else:
            inversion = dataclasses.replace(inversion, lam=choice.lam)
            lam_note = f"chosen by generalised cross-validation on {choice.n_pixels} pixels"
        progress.info(f"λ = {inversion.lam:.3g} yr^{inversion.derivative - 0.5:g}/(m/yr), {lam_note}")
    progress.info(
        f"{grid.n_pixels} glacier pixels, {len(edges) - 1} bins of {config.inversion.interval_days:g} days "
        f"({start} … {end}), {len(tasks)} blocks, pairs per cube: "
        + ", ".join(str(len(tables[k])) for k in used)
    )
    progress.report(0.05, "Inverting blocks")

    m, (ny, nx) = len(edges) - 1, grid.glacier_id.shape
    checkpoint = Checkpoint(
        config.output, fingerprint(config, inversion, cubes, grid, edges, tasks) + data_fingerprint(cubes)
    )  # guard
    done = checkpoint.open(config.resume) & {t.index for t in tasks}
    coverage = Coverage.empty(grid.glacier_id.shape, m, 2 + len(MASK_KEYS))
    for t in tasks:
        if t.index in done:
            coverage.add(t, block_summary(checkpoint.slab(t.index, "vx", 0, m), checkpoint.stats(t.index)))
    if done:
        progress.info(f"resuming: {len(done)} of {len(tasks)} blocks taken from the checkpoint")
    todo = [t for t in tasks if t.index not in done]
    blocks = progress.sub(0.05, 0.95)

    def finished(task: BlockTask, summary: dict[str, np.ndarray], n_done: int) -> None:
        coverage.add(task, summary)
        blocks.report((len(done) + n_done) / max(len(tasks), 1), f"Block {len(done) + n_done}/{len(tasks)}")

    if config.scheduler:
        _run_dask(
            todo,
            edges,
            inversion,
            config,
            checkpoint.folder,
            finished,
            blocks.sub(len(done) / max(len(tasks), 1), 1),
        )
    else:
        by_url = {c.url: c for c in cubes}
        for n, task in enumerate(todo, 1):
            blocks.check()
            # progress and cancellation inside a block too: a 50 × 50 block takes seconds
            share = blocks.sub((len(done) + n - 1) / len(tasks), (len(done) + n) / len(tasks)).quiet()
            result = invert_block(task, edges, inversion, cube=by_url[task.url], progress=share)
            checkpoint.save(
                task.index, result
            )  # results go to disk at once: memory does not grow with the cube
            finished(task, block_summary(result["vx"].T, result["stats"]), n)
    progress.check()
    missing = coverage.stats
    check_coverage(
        coverage.filled_pixels,
        coverage.filled_bins,
        grid.glacier_id > 0,
        missing,
        inversion.min_observations,
        progress,
    )  # guard
    if missing[0]:
        notes.append(
            f"{int(missing[0])} chunks missing from the store(s): {int(missing[1])} values read as NaN"
        )
    masked = dict(zip(MASK_KEYS, (int(v) for v in missing[2:]), strict=True))
    empty = masked["too_few_pairs"] + masked["empty_pixels"]  # check_coverage has reported them
    progress.info(
        f"bins left empty: {masked['outside_data_span']} outside the span of their pixel's pairs, "
        f"{masked['formal_error']} with a formal error over {inversion.max_error_ratio:g}× the pixel's median"
    )
    for w in notes:
        progress.warn(w)

    progress.report(0.95, "Writing NetCDF")
    geotiff = config.geotiff
    attrs = _attributes(config, inversion, cubes, tables, used, start, end, grid, missing, lam_note)
    finals = [config.output] + ([geotiff] if geotiff else [])
    from .io.netcdf import write_netcdf

    def read_slab(t0: int, t1: int) -> dict[str, np.ndarray]:
        """Bins t0:t1 of every output on the grid, gathered from the block files."""
        out = {k: np.full((t1 - t0, ny, nx), np.nan, np.float32) for k in OUTPUT_KEYS[:4]}
        out["count"] = np.zeros((t1 - t0, ny, nx), np.int32)
        for t in tasks:
            for key in OUTPUT_KEYS:
                out[key][:, t.out_rows, t.out_cols] = checkpoint.slab(t.index, key, t0, t1)
        return out

    with atomic_outputs(finals) as tmps:
        mean = write_netcdf(tmps[0], grid, edges, read_slab, attrs, slab_bins=slab_size(m, ny * nx))
        if geotiff:
            _write_mean_geotiff(tmps[1], grid, mean)
    checkpoint.remove()
    progress.report(1.0, "Done")
    return ItsliveInvertResult(
        output=config.output,
        geotiff=geotiff,
        n_pixels=grid.n_pixels,
        n_bins=m,
        n_blocks=len(tasks),
        n_resumed=len(done),
        n_pairs={cubes[k].url: len(tables[k]) for k in used},
        cubes=[cubes[k].url for k in used],
        missing_chunks=int(missing[0]),
        missing_values=int(missing[1]),
        warnings=notes,
        lam=inversion.lam,
        weighted=inversion.weighted,
        empty_pixels=empty,
    )


SLAB_BYTES = 256 * 2**20
"""Memory for one slab of bins of the whole grid when writing the NetCDF (all outputs and v)."""


def slab_size(n_bins: int, n_cells: int) -> int:
    """Bins per slab: as many as fit SLAB_BYTES (28 bytes per cell: 5 outputs, v, v_error), ≥ 1."""
    return int(max(1, min(n_bins, SLAB_BYTES // max(28 * n_cells, 1))))


@dataclass
class Coverage:
    """What the finished blocks filled, kept small (no output array): pixels and bins with a value,
    and the summed block statistics (missing chunks and values, then the :data:`MASK_KEYS` counts)."""

    filled_pixels: np.ndarray  # (ny, nx) bool
    filled_bins: np.ndarray  # (M,) bool
    stats: np.ndarray  # int64

    @classmethod
    def empty(cls, shape: tuple[int, int], n_bins: int, n_stats: int) -> Coverage:
        return cls(np.zeros(shape, bool), np.zeros(n_bins, bool), np.zeros(n_stats, np.int64))

    def add(self, task: BlockTask, summary: dict[str, np.ndarray]) -> None:
        """A block's :func:`block_summary`."""
        self.filled_pixels[task.out_rows, task.out_cols] |= summary["filled_pixels"]
        self.filled_bins |= summary["filled_bins"]
        self.stats += summary["stats"]


def _run_dask(
    todo: list[BlockTask],
    edges: np.ndarray,
    inversion: InversionConfig,
    config: ItsliveInvertConfig,
    folder: Path,
    finished: Callable[[BlockTask, dict[str, np.ndarray], int], None],
    progress: Progress,
) -> None:
    """Blocks as Dask tasks that write their results into the checkpoint ``folder`` themselves (the
    workers must see it: checked up front for a remote scheduler); ``finished(task, summary, n)`` for the
    n-th block done. Cancellation is checked while blocks run and cancels the rest."""
    from ..compute import dask_client, gather

    with dask_client(config.scheduler, n_workers=config.n_workers, shared_paths=[folder]) as client:
        edges_f = client.scatter(edges, broadcast=True)
        run_id = uuid.uuid4().hex[:8]
        futures = [
            client.submit(
                invert_block_to_checkpoint,
                t,
                edges_f,
                inversion,
                str(folder),
                key=f"itslive-block-{run_id}-{t.index}",
            )
            for t in todo
        ]
        n_done = itertools.count(1)
        gather(
            client, futures, progress, on_result=lambda i, summary: finished(todo[i], summary, next(n_done))
        )


def _weighting(inversion: InversionConfig, tables: list[pd.DataFrame], notes: list[str]) -> InversionConfig:
    """Unweighted when a cube has no pair errors at all (1/σ² weights need every cube's σ); pairs
    without an error are otherwise left out, and counted."""
    if not inversion.weighted:
        return inversion
    has_error = [
        np.isfinite(t[["vx_error", "vy_error"]].to_numpy(float)).all(1) & (t["vx_error"] > 0).to_numpy()
        for t in tables
        if len(t)
    ]
    if any(not h.any() for h in has_error):
        notes.append("a cube has no vx_error/vy_error: every pair weighted equally (WEIGHTED off)")
        return dataclasses.replace(inversion, weighted=False)
    lacking = sum(int((~h).sum()) for h in has_error)
    if lacking:
        notes.append(f"{lacking} pairs without vx_error/vy_error are left out of the weighted inversion")
    return inversion


def _attributes(
    config: ItsliveInvertConfig,
    inversion: InversionConfig,
    cubes: list[Cube],
    tables: list[pd.DataFrame],
    used: list[int],
    start: np.datetime64,
    end: np.datetime64,
    grid: GlacierGrid,
    missing: np.ndarray,
    lam_note: str,
) -> dict:
    from .io.netcdf import MASKING_NOTE

    attrs = {
        "Conventions": "CF-1.8",
        "title": "Glacier surface velocity time series inverted from ITS_LIVE image-pair velocities",
        "source": "Surface Motion QGIS plugin, itslive_invert",
        "references": "ITS_LIVE datacubes (NASA MEaSUREs, https://its-live.jpl.nasa.gov)",
        "comment": (
            "Each observation is the mean velocity over its image pair, weighted by inside fraction / "
            "((vx_error^2 + vy_error^2)/2) when weighted; bins of interval_days; minimises "
            "sum w r^2 + lambda^2 * integral (d^k v / dt^k)^2 dt (t in years); robust: Tukey biweight "
            "reweighting; errors sqrt(diag N^-1) times the a-posteriori variance factor. " + MASKING_NOTE
        ),
        "time_coverage_start": str(start),
        "time_coverage_end": str(end),
        "inversion_backend": inversion.backend,
        "inversion_lambda": float(inversion.lam),
        "inversion_lambda_units": f"yr^{inversion.derivative - 0.5:g} per m/yr",
        "inversion_lambda_selection": lam_note,
        "inversion_weighted": int(inversion.weighted),
        "inversion_max_error_ratio": float(inversion.max_error_ratio),
        "cubes": " ".join(cubes[k].url for k in used),
        "pairs_per_cube": " ".join(str(len(tables[k])) for k in used),
        "glaciers": ", ".join(map(str, grid.glaciers.get("RGIId", grid.glaciers["glacier_id"]))),
        "missing_chunks": int(missing[0]),
        **{f"empty_{k}": int(v) for k, v in zip(MASK_KEYS, missing[2:], strict=True)},
    }
    attrs.update(config.provenance())
    return attrs


def _write_mean_geotiff(path: Path, grid: GlacierGrid, mean: np.ndarray) -> None:
    """The time-mean speed (ny, nx) m/yr, NaN where no bin has a value, as a GeoTIFF."""
    from ..geotiff import write_geotiff

    res = float(grid.x[1] - grid.x[0]) if len(grid.x) > 1 else float(grid.y[0] - grid.y[1])
    write_geotiff(path, mean, grid.x[0] - res / 2, grid.y[0] + res / 2, res, grid.epsg)
