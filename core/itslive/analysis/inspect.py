"""One pixel of an inversion NetCDF, looked at closely: the raw image pairs behind it and a GP of them.

The time-series inspector (``gui/``) runs these tasks in the analysis worker process
(``analysis_cli.py``): reading a cube and inverting need zarr/netCDF4, which stay out of QGIS.

- :func:`task_pixel_pairs` re-reads the pixel's column from the cube(s) recorded in the NetCDF
  (``cubes`` attribute), filters the pairs with the run's own ``parameter_*`` settings and
  re-inverts that one pixel with ``return_pair_weights=True``: the robust factor of each pair is
  exactly the one the run gave it (IRLS is per pixel).
- :func:`task_pixel_gp` regresses those pairs with the GP of ``gp.py`` (interval model by default).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ...errors import InputError
from ...progress import Progress, ensure_progress
from ..inversion import InversionConfig, days_since_epoch, invert_pixels
from .config import GPConfig

#: NetCDF attributes → InversionConfig fields (the run's own settings)
_INVERSION_ATTRIBUTES = {
    "interval_days": float,
    "lam": float,
    "derivative": int,
    "weighted": bool,
    "robust": bool,
    "robust_iterations": int,
    "min_observations": int,
    "max_error_ratio": float,
}


def read_run(netcdf: str | Path) -> dict:
    """Grid (``x``, ``y``), bin ``edges`` (days since 1970) and global attributes of an inversion NetCDF."""
    import netCDF4

    path = Path(netcdf)
    if not path.is_file():
        raise InputError(path, "inversion NetCDF not found")
    with netCDF4.Dataset(path) as ds:
        if "time_bnds" not in ds.variables or "x" not in ds.variables:
            raise InputError(path, "not an inversion NetCDF of itslive_invert (no time_bnds or x)")
        bounds = np.asarray(ds["time_bnds"][:], float)
        return {
            "x": np.asarray(ds["x"][:], float),
            "y": np.asarray(ds["y"][:], float),
            "edges": np.append(bounds[:, 0], bounds[-1, 1]),
            "attributes": {k: ds.getncattr(k) for k in ds.ncattrs()},
        }


def inversion_config(attributes: dict) -> InversionConfig:
    """The InversionConfig the run used (numpy backend: one pixel needs no GPU)."""
    values = {}
    for name, kind in _INVERSION_ATTRIBUTES.items():
        raw = attributes.get(f"parameter_{name}")
        if raw not in (None, ""):
            values[name] = kind(int(raw)) if kind is bool else kind(raw)
    # what the run actually used: λ chosen from the data, weights off for a cube without errors
    if attributes.get("inversion_lambda") not in (None, ""):
        values["lam"] = float(attributes["inversion_lambda"])
    if attributes.get("inversion_weighted") not in (None, ""):
        values["weighted"] = bool(int(attributes["inversion_weighted"]))
    return InversionConfig(**values)


def nearest_pixel(run: dict, x: float, y: float) -> tuple[int, int]:
    """(row, col) of the pixel whose cell contains (x, y); InputError when outside the grid."""
    xs, ys = run["x"], run["y"]
    res = abs(xs[1] - xs[0]) if len(xs) > 1 else abs(ys[1] - ys[0]) if len(ys) > 1 else np.inf
    col, row = int(np.argmin(np.abs(xs - x))), int(np.argmin(np.abs(ys - y)))
    if abs(xs[col] - x) > res / 2 or abs(ys[row] - y) > res / 2:
        raise InputError("pixel", f"({x:.0f}, {y:.0f}) lies outside the inversion grid")
    return row, col


def _optional(attributes: dict, name: str) -> object:
    value = attributes.get(f"parameter_{name}")
    return None if value in (None, "") else value


def task_pixel_pairs(netcdf: str, x: float, y: float, progress: Progress | None = None) -> dict:
    """The image pairs of the pixel under (x, y) (NetCDF CRS) with their robust factor.

    Returns ``table`` (one row per pair valid at the pixel: ``img1, img2, mid_date, date_dt, vx, vy,
    v, vx_error, vy_error, v_error, mission, weight``), the pixel (``row``, ``col``, centre
    ``x``/``y``), the ``cube`` read and the re-inverted ``vx``/``vy`` (M,) for a consistency check.
    Raises InputError when no recorded cube can be opened or covers the pixel.
    """
    from ..filters import filter_layers
    from ..io.cube import open_cube, read_window
    from .series import pixel_of

    progress = ensure_progress(progress)
    run = read_run(netcdf)
    attrs = run["attributes"]
    row, col = nearest_pixel(run, x, y)
    cx, cy = float(run["x"][col]), float(run["y"][row])
    urls = str(attrs.get("cubes", "")).split()
    if not urls:
        raise InputError(netcdf, "the NetCDF records no cube (attribute 'cubes')")
    problems = []
    for url in urls:
        progress.check()
        progress.report(0.1, f"Opening {url}")
        try:
            cube = open_cube(url)
        except (InputError, OSError) as exc:
            problems.append(f"{url}: {exc}")
            continue
        r, c, inside = pixel_of(cube, np.array([cx]), np.array([cy]))
        if not inside[0]:
            continue
        layers = filter_layers(
            cube.layers,
            _optional(attrs, "missions"),
            _optional(attrs, "start"),
            _optional(attrs, "end"),
            _optional(attrs, "min_dt"),
            _optional(attrs, "max_dt"),
        )
        progress.report(0.4, f"Reading {len(layers)} pairs")
        window = read_window(
            cube,
            slice(int(r[0]), int(r[0]) + 1),
            slice(int(c[0]), int(c[0]) + 1),
            ("vx", "vy"),
            layers=layers["layer"].to_numpy(),
        )
        vx, vy = window["vx"][:, 0, 0].astype(float), window["vy"][:, 0, 0].astype(float)
        progress.report(0.7, "Re-inverting the pixel")
        result = invert_pixels(
            vx[None],
            vy[None],
            days_since_epoch(layers["img1"].to_numpy()),
            days_since_epoch(layers["img2"].to_numpy()),
            run["edges"],
            inversion_config(attrs),
            vx_error=layers["vx_error"].to_numpy(),
            vy_error=layers["vy_error"].to_numpy(),
            return_pair_weights=True,
        )
        table = _pair_table(layers, vx, vy, result.pair_weight[0])
        progress.report(1.0, f"{len(table)} pairs at the pixel")
        return {
            "table": table,
            "row": row,
            "col": col,
            "x": cx,
            "y": cy,
            "cube": url,
            "vx": result.vx[0],
            "vy": result.vy[0],
        }
    reason = "; ".join(problems) if problems else "no recorded cube covers the pixel"
    raise InputError(netcdf, f"cannot read the image pairs: {reason}")


def _pair_table(layers: pd.DataFrame, vx: np.ndarray, vy: np.ndarray, weight: np.ndarray) -> pd.DataFrame:
    valid = np.isfinite(vx) & np.isfinite(vy)
    ex, ey = layers["vx_error"].to_numpy(float), layers["vy_error"].to_numpy(float)
    v = np.hypot(vx, vy)
    with np.errstate(divide="ignore", invalid="ignore"):
        v_error = np.where(v > 0, np.hypot(vx * ex, vy * ey) / v, np.nan)
    table = pd.DataFrame(
        {
            "img1": layers["img1"].to_numpy(),
            "img2": layers["img2"].to_numpy(),
            "mid_date": layers["mid_date"].to_numpy(),
            "date_dt": layers["date_dt"].to_numpy(),
            "vx": vx,
            "vy": vy,
            "v": v,
            "vx_error": ex,
            "vy_error": ey,
            "v_error": v_error,
            "mission": layers["mission_img1"].astype(str).to_numpy(),
            "weight": weight.astype(float),
        }
    )
    return table[valid].reset_index(drop=True)


def task_pixel_gp(
    pairs: pd.DataFrame,
    components: tuple[str, ...] = GPConfig.components,
    model: str = GPConfig.model,
    robust: bool = GPConfig.robust,
    step_days: float = GPConfig.step_days,
    progress: Progress | None = None,
) -> dict:
    """GP regression of a pixel's pairs (:func:`task_pixel_pairs`): ``table`` ``date, <c>, <c>_std,
    <c>_lower, <c>_upper`` per component (lower/upper = mean ∓ 2σ)."""
    from .gp import regress_series
    from .series_table import normalise_series

    cfg = GPConfig(model=model, robust=robust, step_days=step_days, components=tuple(components))
    cfg.validate()
    table, _ = regress_series(normalise_series(pairs, "pixel pairs"), cfg, progress)
    return {"table": table}
