"""EGMS L2a/L2b → L3 Ortho, end to end: read → resample → cells → east/up → statistics → products.

Work is cut in two kinds of tasks that run in this process or on a Dask distributed cluster:
one per burst (read only the needed columns inside the area, resample onto the time grid) and
one per 100 km tile (gather that tile's MPs from every burst, solve all its cells, write its
products). On Dask the MP arrays stay on the workers; the driver only sees tile lists and
summaries, so memory stays bounded by one burst and one tile per worker.

Products are written under temporary names and renamed only when every tile succeeded.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError, ParameterError
from ..io import atomic_outputs, check_output_location, clean_leftovers, output_lock, run_folder
from ..progress import Progress, ensure_progress
from ..resources import refuse_oversized
from . import grid as G
from .aoi import aoi_in_3035
from .config import EgmsL3Config
from .decompose import CellGroups, average_per_geometry, solve_east_up
from .products import SUFFIX, ComponentResult, TileResult, product_stem, write_component
from .reader import date_columns, first_row, parse_name, read_burst, read_header
from .resample import resample, time_grid
from .stats import cell_statistics, years_since_start

if TYPE_CHECKING:
    import shapely
    from distributed import Client

    from .gnss import GnssModel

COMPONENTS = ("E", "U")
#: (xmin, ymin, xmax, ymax) in EPSG:3035 metres
Bounds = tuple[float, float, float, float]


@dataclass
class EgmsL3Result:
    """What a run produced: ``products[tile][f"{component}_{fmt}"]`` → final path, plus a summary."""

    products: dict[str, dict[str, Path]]
    tiles: list[str]
    cells: dict[str, int]
    epochs: np.ndarray
    timings: dict[str, float] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)

    @property
    def paths(self) -> list[Path]:
        return [p for tile in self.products.values() for p in tile.values()]

    def layers(self, component: str, fmt: str = "gpkg") -> list[Path]:
        """The point-layer files of one component (one per tile)."""
        return [t[f"{component}_{fmt}"] for t in self.products.values() if f"{component}_{fmt}" in t]


@dataclass
class BurstPart:
    """The MPs of one burst inside the area, resampled: per-MP arrays (n,) and ``series`` (n, T) float32."""

    name: str
    ix: np.ndarray
    iy: np.ndarray
    height: np.ndarray
    los_east: np.ndarray
    los_up: np.ndarray
    rmse: np.ndarray
    ascending: np.ndarray
    series: np.ndarray
    total: int = 0
    extent: tuple | None = None

    def take(self, mask: np.ndarray) -> BurstPart:
        return BurstPart(
            self.name,
            self.ix[mask],
            self.iy[mask],
            self.height[mask],
            self.los_east[mask],
            self.los_up[mask],
            self.rmse[mask],
            self.ascending[mask],
            self.series[mask],
            self.total,
        )

    def tiles(self, spacing: float) -> set[tuple[int, int]]:
        te, tn = G.tile_of_cells(self.ix, self.iy, spacing)
        return set(zip(te.tolist(), tn.tolist(), strict=False))


@dataclass
class RunPlan:
    """What every stage of a run shares once the inputs are checked: the bursts in the order the official
    product sums them, the area (None: everything), the time grid and the GNSS model (optional)."""

    paths: list[Path]
    aoi: shapely.MultiPolygon | None
    grid: np.ndarray
    gnss: GnssModel | None = None

    @property
    def bounds(self) -> Bounds | None:
        return tuple(self.aoi.bounds) if self.aoi is not None else None


# ---------------------------------------------------------------- set-up


def plan_grid(config: EgmsL3Config, paths: list[Path]) -> tuple[np.ndarray, dict[Path, np.ndarray]]:
    """The time grid (from START/END_DATE or the period every input covers) and each input's dates,
    from the CSV headers only. Also rejects L3 files and mixed products early."""
    dates, levels, releases, first_rows = {}, {}, {}, {}
    for p in paths:
        header = read_header(p)
        if "los_east" not in header and "gnss_velocity_n" in header:
            raise InputError(p, "is an L3 (ortho) product; give the L2a/L2b burst files it is made from")
        info = parse_name(p)
        if info and info["level"] == "L3":
            raise InputError(p, "is an L3 (ortho) product; give the L2a/L2b burst files it is made from")
        dates[p] = date_columns(header, p)[1]
        levels[p] = info["level"] if info else None
        releases[p] = info["release"] if info else None
        row = first_row(p)
        if not row:
            raise InputError(
                p, "the CSV has a header but no rows; download the file again from the EGMS Explorer"
            )
        if row in first_rows:  # the same burst under another name would be summed twice into every cell
            raise InputError(
                p,
                f"holds the same burst as {first_rows[row].name} (identical first measurement "
                "point); give each burst once",
            )
        first_rows[row] = p
    named = {lv for lv in levels.values() if lv}
    if len(named) > 1:
        raise InputError(
            ", ".join(p.name for p in paths),
            f"mixes products {' and '.join(sorted(named))}; give bursts of one level (all L2a or all L2b)",
        )
    rels = {r for r in releases.values() if r}
    if len(rels) > 1:
        raise InputError(
            ", ".join(p.name for p in paths),
            f"mixes releases {', '.join(sorted(rels))}; give bursts of one release",
        )
    unnamed = [p.name for p in paths if releases[p] is None]
    if rels and unnamed:
        raise InputError(
            unnamed[0],
            f"has no release in its name while the other inputs are release {rels.pop()}; "
            "give bursts of one release under their official names "
            "(EGMS_L2b_<track>_<burst>_<swath>_<pol>_<y0>_<y1>_<n>)",
        )
    first = max(d[0] for d in dates.values())
    last = min(d[-1] for d in dates.values())
    start = np.datetime64(config.start_date, "D") if config.start_date else first
    end = np.datetime64(config.end_date, "D") if config.end_date else last
    _check_period_has_data(start, end, dates, config.max_gap_days)
    if start > end:
        if config.start_date or config.end_date:
            raise ParameterError(
                "START_DATE",
                f"the period {start}…{end} is empty; START_DATE must be before "
                "END_DATE and inside the inputs' dates",
            )
        raise InputError(
            ", ".join(p.name for p in paths),
            f"the inputs share no common period "
            f"(latest start {first}, earliest end {last}); "
            "set START_DATE/END_DATE or give overlapping bursts",
        )
    return time_grid(start, end, config.spacing_days), dates


def _check_period_has_data(
    start: np.datetime64, end: np.datetime64, dates: dict[Path, np.ndarray], max_gap_days: float
) -> None:
    """Every epoch must lie within MAX_GAP_DAYS of each input's dates: beyond them the series would be the
    held end value of nothing (a product of zeros), not a measurement."""
    gap = np.timedelta64(int(max_gap_days), "D")
    lo = max(d[0] for d in dates.values()) - gap
    hi = min(d[-1] for d in dates.values()) + gap
    if start < lo or end > hi:
        name, span = min(((p.name, d) for p, d in dates.items()), key=lambda item: item[1][-1] - item[1][0])
        key = "START_DATE" if start < lo else "END_DATE"
        raise ParameterError(
            key,
            f"the period {start}…{end} reaches beyond the inputs' dates (e.g. {name}: "
            f"{span[0]}…{span[-1]}) by more than MAX_GAP_DAYS ({max_gap_days:g}); choose dates "
            f"within {lo}…{hi} or leave them empty",
        )


def _check_size(
    config: EgmsL3Config, n_epochs: int, paths: list[Path], aoi: shapely.MultiPolygon | None
) -> None:
    """Refuse up front what cannot fit in memory: the tile rasters (cells per tile) and, without an area, the
    resampled series of every MP (MPs estimated from the CSV size and its first row × epochs × 4 bytes)."""
    from .reader import csv_size

    side = int(G.TILE_SIZE // config.spacing)
    refuse_oversized(
        "SPACING",
        side * side * 8 * 4,
        f"a tile of {side:,} × {side:,} cells × 8 bytes × 4 work arrays",
        "use a larger SPACING (the official grid uses 100 m)",
    )
    if aoi is None and not config.scheduler:
        rows = sum(csv_size(p) // max(len(first_row(p)), 1) for p in paths)
        refuse_oversized(
            "AOI",
            rows * n_epochs * 4 * 2,
            f"about {rows:,} MPs × {n_epochs} epochs × 4 bytes (× 2 for the solve)",
            "draw an AOI, shorten the period or use SCHEDULER=local to work burst by burst",
        )


# ---------------------------------------------------------------- tasks (run here or on Dask workers)


def read_part(
    path: Path,
    bounds: Bounds | None,
    aoi: shapely.MultiPolygon | None,
    grid: np.ndarray,
    config: EgmsL3Config,
    gnss: GnssModel | None = None,
    check: Callable[[], None] | None = None,
) -> BurstPart:
    """Task 1: read one burst inside the area, resample it onto ``grid`` (and optionally remove the GNSS
    model's north velocity projected on the LOS)."""
    burst = read_burst(path, bounds, check=check)
    ix, iy = G.cell_indices(burst.easting, burst.northing, config.spacing)
    keep = np.ones(len(burst), bool)
    if aoi is not None and len(burst):
        import shapely

        keep = shapely.contains_xy(aoi, *G.cell_centres(ix, iy, config.spacing))
    series = resample(burst.series[keep], burst.dates, grid, config.max_gap_days, config.resampling)
    if config.remove_gnss_north and gnss is not None and keep.any():
        vn = gnss.sample(burst.easting[keep], burst.northing[keep])[0]
        t = years_since_start(grid)
        series = (series - (burst.los_north[keep] * np.nan_to_num(vn))[:, None] * t[None, :]).astype(
            np.float32
        )
    return BurstPart(
        burst.name,
        ix[keep],
        iy[keep],
        burst.height[keep],
        burst.los_east[keep],
        burst.los_up[keep],
        burst.rmse[keep],
        burst.los_east[keep] < 0,
        series,
        burst.total_points,
        burst.extent,
    )


def select_tile(part: BurstPart, te: int, tn: int, spacing: float) -> BurstPart:
    """The MPs of ``part`` whose cell lies in tile (te, tn)."""
    a, b = G.tile_of_cells(part.ix, part.iy, spacing)
    return part.take((a == te) & (b == tn))


def solve_tile(
    te: int,
    tn: int,
    parts: list[BurstPart],
    grid: np.ndarray,
    config: EgmsL3Config,
    gnss: GnssModel | None = None,
    check: Callable[[], None] | None = None,
) -> TileResult:
    """Task 2a: every cell of one tile → east/up series and statistics. ``parts`` in file-name order."""
    ix = np.concatenate([p.ix for p in parts])
    iy = np.concatenate([p.iy for p in parts])
    asc = np.concatenate([p.ascending for p in parts])
    height = np.concatenate([p.height for p in parts])
    key = G.cell_key(ix, iy)
    cells, local = np.unique(key, return_inverse=True)
    n_asc = np.bincount(local, minlength=cells.size, weights=asc).astype(np.int64)
    n_desc = np.bincount(local, minlength=cells.size) - n_asc
    ok = (n_asc >= 1) & (n_desc >= 1) & (n_asc + n_desc >= config.min_mp_count)
    # height: sequential sums in input order (np.bincount), as the official file rounds them
    mean_height = np.bincount(local, height, cells.size) / np.bincount(local, minlength=cells.size)
    e = np.concatenate([p.los_east for p in parts])
    u = np.concatenate([p.los_up for p in parts])
    series = np.concatenate([p.series for p in parts])
    use = ok[local]
    weights = None
    if config.weighting == "rmse":
        r = np.concatenate([p.rmse for p in parts])
        weights = (
            1.0 / np.maximum(np.nan_to_num(r, nan=np.nanmedian(r) if np.isfinite(r).any() else 1.0), 0.1) ** 2
        )
    if config.average_per_geometry:
        cell_id, _, e_u, u_u, s_u = average_per_geometry(local[use], asc[use], e[use], u[use], series[use])
        solved = CellGroups.from_cells(cell_id)
        east, up = solve_east_up(solved, e_u, u_u, s_u, None, check=check)
    else:  # group the used MPs in place: no copy of the (n, T) series
        solved = CellGroups.from_cells(local, subset=use)
        east, up = solve_east_up(solved, e, u, series, weights, check=check)
    cix, ciy = G.split_key(cells[solved.cells])
    gnss_values = gnss.sample(*G.cell_centres(cix, ciy, config.spacing)) if gnss is not None else None
    result = TileResult(G.tile_name(te, tn), te, tn, cix, ciy, mean_height[solved.cells], gnss_values)
    for comp, values in (("E", east), ("U", up)):
        if check is not None:
            check()
        stats, referenced = cell_statistics(values, grid)
        result.components[comp] = ComponentResult(stats, referenced)
    return result


def solve_and_write(
    te: int,
    tn: int,
    grid: np.ndarray,
    config: EgmsL3Config,
    tmp: dict[str, Path],
    stems: dict[str, str],
    metadata: dict,
    ipe: str,
    parts: list[BurstPart],
    gnss: GnssModel | None = None,
    progress: Progress | None = None,
) -> tuple[str, int, dict[str, float]]:
    """Task 2: solve one tile and write its products to the temporary paths ``tmp`` (``E_zip`` …)."""
    check = progress.check if progress is not None else None
    t0 = time.perf_counter()
    result = solve_tile(te, tn, parts, grid, config, gnss, check)
    t1 = time.perf_counter()
    labels = [str(d).replace("-", "") for d in grid]
    for k, comp in enumerate(COMPONENTS):
        if progress is not None:
            progress.report(0.5 + 0.5 * k / len(COMPONENTS), f"Writing {stems[comp]}")
            progress.check()
        comp_tmp = {k.split("_", 1)[1]: v for k, v in tmp.items() if k.startswith(comp + "_")}
        write_component(
            result, comp, comp_tmp, stems[comp], config.spacing, labels, metadata, ipe, config.legacy_columns
        )
    return result.tile, len(result), {"solve": t1 - t0, "write": time.perf_counter() - t1}


# ---------------------------------------------------------------- driver


def run_egms_l3(config: EgmsL3Config, progress: Progress | None = None) -> EgmsL3Result:
    """Compute the L3 Ortho east/up products of ``config`` and return their paths.

    Raises :class:`ParameterError`/:class:`InputError` (nothing written) for bad parameters or
    inputs and :class:`CancelledError` when ``progress`` is cancelled (nothing written).
    """
    config.validate()
    check_output_location(config.output_folder, "OUTPUT_FOLDER", "folder")
    with output_lock(config.output_folder / "surface-motion-egms", "OUTPUT_FOLDER"):
        clean_leftovers(config.output_folder)
        return _run_egms_l3(config, ensure_progress(progress))


def _run_egms_l3(config: EgmsL3Config, progress: Progress) -> EgmsL3Result:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    aoi = aoi_in_3035(config.aoi, config.aoi_crs)
    paths = sorted(config.inputs, key=lambda p: p.name)  # the official product sums bursts in this order
    if len({p.name for p in paths}) < len(paths):
        raise InputError("INPUTS", "the same burst file is given twice; give each burst once")
    progress.report(0.0, "Reading CSV headers")
    grid, _ = plan_grid(config, paths)
    _check_size(config, grid.size, paths, aoi)
    plan = RunPlan(paths, aoi, grid)
    if config.gnss_model is not None:
        from .gnss import load_model

        plan.gnss = load_model(config.gnss_model)
    progress.check()
    timings["plan"] = time.perf_counter() - t0
    if config.scheduler:
        from ..compute import dask_client

        with dask_client(
            config.scheduler, n_workers=config.n_workers, shared_paths=[*paths, config.output_folder]
        ) as client:
            result = _run_dask(client, config, plan, progress, timings)
    else:
        result = _run_local(config, plan, progress, timings)
    timings["total"] = time.perf_counter() - t0
    result.timings = timings
    progress.report(1.0, f"Wrote {len(result.paths)} files for {len(result.tiles)} tile(s)")
    return result


def _check_parts(parts: list[BurstPart], paths: list[Path], aoi_given: bool) -> None:
    n = sum(len(p.ix) for p in parts)
    if n == 0:
        if aoi_given:
            ext = [p.extent for p in parts if p.extent]
            where = ""
            if ext:
                where = (
                    f" (inputs span x {min(e[0] for e in ext):.0f}…{max(e[2] for e in ext):.0f}, "
                    f"y {min(e[1] for e in ext):.0f}…{max(e[3] for e in ext):.0f} m in EPSG:3035)"
                )
            raise ParameterError(
                "AOI",
                f"contains no measurement point of any input{where}; draw the area over "
                "the bursts or leave AOI empty",
            )
        raise InputError(", ".join(p.name for p in paths), "no measurement point in the inputs")
    asc = sum(int(p.ascending.sum()) for p in parts)
    if asc == 0 or asc == n:
        have = "descending" if asc == 0 else "ascending"
        need = "an ascending" if asc == 0 else "a descending"
        names = ", ".join(p.name for p in parts if len(p.ix))
        raise InputError(
            names,
            f"only {have} MPs in the area; east/up needs both geometries: add {need} "
            "burst covering the same area",
        )


def _plan_outputs(
    config: EgmsL3Config, tiles: list[tuple[int, int]], release: str | None
) -> tuple[dict[str, dict[str, Path]], dict[str, dict[str, str]]]:
    """Per tile: the final path of each product (``{component}_{format}``) and each component's file stem."""
    finals: dict[str, dict[str, Path]] = {}
    stems: dict[str, dict[str, str]] = {}
    for te, tn in tiles:
        name = G.tile_name(te, tn)
        finals[name], stems[name] = {}, {}
        for comp in COMPONENTS:
            stem = product_stem(name, comp, release)
            stems[name][comp] = stem
            for fmt in config.formats:
                if fmt == "md5" and "zip" not in config.formats:
                    continue
                finals[name][f"{comp}_{fmt}"] = config.output_folder / f"{stem}{SUFFIX[fmt]}"
    return finals, stems


def _product_metadata(paths: list[Path]) -> tuple[dict, str | None, str]:
    from .reader import open_table

    with open_table(paths[0]) as (stream, meta):
        first = stream.readline()
        second = stream.readline().decode("utf-8", "replace")
    del first
    ipe = second[:1] if second[:1].isalnum() else "1"
    info = parse_name(paths[0])
    meta = {
        "production_facility": "Surface Motion",
        "dem/version": meta.get("dem/version", ""),
        "gnss/version": meta.get("gnss/version", ""),
    }
    return meta, (info["release"] if info else None), ipe


def _run_local(
    config: EgmsL3Config, plan: RunPlan, progress: Progress, timings: dict[str, float]
) -> EgmsL3Result:
    t0 = time.perf_counter()
    read_p = progress.sub(0.02, 0.5)
    paths, grid = plan.paths, plan.grid
    parts = []
    for i, p in enumerate(paths):
        read_p.report(i / len(paths), f"Reading and resampling {p.name}")
        parts.append(read_part(p, plan.bounds, plan.aoi, grid, config, plan.gnss, check=progress.check))
        progress.check()
    _check_parts(parts, paths, plan.aoi is not None)
    timings["read_resample"] = time.perf_counter() - t0
    tiles = sorted(set().union(*(p.tiles(config.spacing) for p in parts)))
    meta, release, ipe = _product_metadata(paths)
    finals, stems = _plan_outputs(config, tiles, release)
    solve_p = progress.sub(0.5, 1.0)
    cells: dict[str, int] = {}
    timings["solve"] = timings["write"] = 0.0
    flat = [(name, key, path) for name, d in finals.items() for key, path in d.items()]
    with atomic_outputs([f for _, _, f in flat]) as tmps:
        tmp_of = {(name, key): t for (name, key, _), t in zip(flat, tmps, strict=True)}
        for k, (te, tn) in enumerate(tiles):
            name = G.tile_name(te, tn)
            solve_p.report(k / len(tiles), f"Solving and writing tile {name}")
            tile_parts = [select_tile(p, te, tn, config.spacing) for p in parts]
            tmp = {key: tmp_of[(name, key)] for key in finals[name]}
            _, n, tt = solve_and_write(
                te,
                tn,
                grid,
                config,
                tmp,
                stems[name],
                meta,
                ipe,
                tile_parts,
                plan.gnss,
                solve_p.sub(k / len(tiles), (k + 1) / len(tiles)),
            )
            cells[name] = n
            timings["solve"] += tt["solve"]
            timings["write"] += tt["write"]
            progress.check()
        _refuse_empty(cells, sum(len(p.ix) for p in parts), config.min_mp_count)
    return _result(finals, cells, grid, parts, progress)


def _refuse_empty(cells: dict[str, int], n_mps: int, min_mp_count: int) -> None:
    """No product when no cell could be solved (the products would be empty tables and rasters)."""
    if sum(cells.values()) == 0:
        raise InputError(
            "INPUTS",
            f"none of the {n_mps:,} MPs in the area shares a cell with an MP of the other "
            f"geometry (or reaches MIN_MP_COUNT={min_mp_count}): no cell can be solved; "
            "give ascending and descending bursts that overlap, or a larger SPACING",
        )


def _result(
    finals: dict[str, dict[str, Path]],
    cells: dict[str, int],
    grid: np.ndarray,
    parts: list[BurstPart],
    progress: Progress,
) -> EgmsL3Result:
    empty = [t for t, n in cells.items() if n == 0]
    msgs = [
        f"{sum(cells.values())} cells in {len(cells)} tile(s) from {sum(len(p.ix) for p in parts)} MPs, "
        f"{grid.size} epochs {grid[0]}…{grid[-1]}"
    ]
    for m in msgs:
        progress.info(m)
    if empty:
        warning = (
            f"{len(empty)} of {len(cells)} tiles have no solvable cell (need ≥1 ascending and ≥1 descending "
            f"MP); their products are empty: {', '.join(empty)}"
        )
        progress.warn(warning)
        msgs.append(warning)
    return EgmsL3Result(finals, list(finals), cells, grid, messages=msgs)


def _run_dask(
    client: Client, config: EgmsL3Config, plan: RunPlan, progress: Progress, timings: dict[str, float]
) -> EgmsL3Result:
    from ..compute import gather

    t0 = time.perf_counter()
    paths, grid, gnss = plan.paths, plan.grid, plan.gnss
    part_f = [
        client.submit(read_part, p, plan.bounds, plan.aoi, grid, config, gnss, key=f"egms-read-{i}-{p.name}")
        for i, p in enumerate(paths)
    ]
    summary_f = [client.submit(_summary, f, config.spacing, pure=False) for f in part_f]
    summaries = gather(
        client, summary_f, progress.sub(0.02, 0.5), "Reading and resampling bursts", also_cancel=part_f
    )
    _check_summaries(summaries, paths, plan.aoi is not None)
    timings["read_resample"] = time.perf_counter() - t0
    tiles = sorted(set().union(*(s["tiles"] for s in summaries)))
    meta, release, ipe = _product_metadata(paths)
    finals, stems = _plan_outputs(config, tiles, release)
    flat = [(name, key, path) for name, d in finals.items() for key, path in d.items()]
    cells: dict[str, int] = {}
    t1 = time.perf_counter()
    # Workers write into a private folder: cancelling cannot stop a task that already runs, but once the
    # folder is gone its remaining writes fail instead of leaving files behind.
    run_dir = run_folder(config.output_folder, "egms-run")
    run_dir.mkdir(parents=True)
    tile_f: list = []
    try:
        with atomic_outputs([f for _, _, f in flat]) as tmps:
            tmp_of = {(name, key): t for (name, key, _), t in zip(flat, tmps, strict=True)}
            for te, tn in tiles:
                name = G.tile_name(te, tn)
                sel = [client.submit(select_tile, f, te, tn, config.spacing, pure=False) for f in part_f]
                work = {key: run_dir / tmp_of[(name, key)].name for key in finals[name]}
                tile_f.append(
                    client.submit(
                        _solve_and_write_parts,
                        te,
                        tn,
                        grid,
                        config,
                        work,
                        stems[name],
                        meta,
                        ipe,
                        gnss,
                        *sel,
                        pure=False,
                    )
                )
            out = gather(
                client, tile_f, progress.sub(0.5, 1.0), "Solving and writing tiles", also_cancel=part_f
            )
            _refuse_empty(
                {name: n for name, n, _ in out}, sum(s["n"] for s in summaries), config.min_mp_count
            )
            for tmp in tmps:
                os.replace(run_dir / tmp.name, tmp)
    except BaseException:
        client.cancel(tile_f + part_f)
        raise
    finally:
        _remove_dir(run_dir)
    for name, n, _ in out:
        cells[name] = n
    timings["solve_write"] = time.perf_counter() - t1
    del part_f
    message = (
        f"{sum(cells.values())} cells in {len(cells)} tile(s), {grid.size} epochs {grid[0]}…{grid[-1]} (Dask)"
    )
    progress.info(message)
    return EgmsL3Result(finals, list(finals), cells, grid, messages=[message])


def _remove_dir(folder: Path, tries: int = 50) -> None:
    """Remove ``folder`` even while a cancelled worker still adds a file to it (retry for ~5 s)."""
    for _ in range(tries):
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            return
        time.sleep(0.1)


def _solve_and_write_parts(
    te: int,
    tn: int,
    grid: np.ndarray,
    config: EgmsL3Config,
    tmp: dict[str, Path],
    stems: dict[str, str],
    meta: dict,
    ipe: str,
    gnss: GnssModel | None,
    *parts: BurstPart,
) -> tuple[str, int, dict[str, float]]:
    """:func:`solve_and_write` as a Dask task: the tile's parts come as futures, one argument each."""
    return solve_and_write(te, tn, grid, config, tmp, stems, meta, ipe, list(parts), gnss)


def _summary(part: BurstPart, spacing: float) -> dict:
    return {
        "name": part.name,
        "n": len(part.ix),
        "asc": int(part.ascending.sum()),
        "tiles": part.tiles(spacing),
        "extent": part.extent,
    }


def _check_summaries(summaries: list[dict], paths: list[Path], aoi_given: bool) -> None:
    fake = [
        BurstPart(
            s["name"],
            np.zeros(s["n"]),
            np.zeros(s["n"]),
            np.zeros(0),
            np.zeros(0),
            np.zeros(0),
            np.zeros(0),
            np.arange(s["n"]) < s["asc"],
            np.zeros((0, 0)),
            extent=s["extent"],
        )
        for s in summaries
    ]
    _check_parts(fake, paths, aoi_given)
