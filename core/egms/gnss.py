"""Sample an A-EPND GNSS velocity model (EGMS calibration grid, 50 km in EPSG:3035) at points.

The model CSV has ``latitude, longitude, n, e, u, sigma_n, sigma_e, sigma_u, easting, northing``
(mm/yr; nodes on multiples of 50 km, land only). Values are bilinear in easting/northing between
the four surrounding nodes; missing (sea) nodes are left out and the others' weights renormalised;
a point with no surrounding node gets NaN (left empty in products).
The L2b ``gnss_velocity`` column is never inverted: north is unobservable from two LOS directions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError

REQUIRED = ("n", "e", "u", "easting", "northing")


@dataclass
class GnssModel:
    """Model nodes on a regular grid: ``values`` (3, ny, nx) for n/e/u, NaN where no node."""

    x0: float
    y0: float
    step: float
    values: np.ndarray
    path: Path

    def sample(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """(3, k) n/e/u mm/yr at EPSG:3035 points (k,); bilinear over the available nodes, NaN outside the model."""
        fx = (np.asarray(x, float) - self.x0) / self.step
        fy = (np.asarray(y, float) - self.y0) / self.step
        ix, iy = np.floor(fx).astype(np.int64), np.floor(fy).astype(np.int64)
        wx, wy = fx - ix, fy - iy
        ny, nx = self.values.shape[1:]
        inside = (ix >= 0) & (iy >= 0) & (ix + 1 < nx) & (iy + 1 < ny)
        ix, iy = np.where(inside, ix, 0), np.where(inside, iy, 0)
        num = np.zeros((3, ix.size))
        den = np.zeros((3, ix.size))
        for dx, dy, w in (
            (0, 0, (1 - wx) * (1 - wy)),
            (1, 0, wx * (1 - wy)),
            (0, 1, (1 - wx) * wy),
            (1, 1, wx * wy),
        ):
            v = self.values[:, iy + dy, ix + dx]
            ok = ~np.isnan(v)
            num += np.where(ok, v * w, 0.0)
            den += np.where(ok, w, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(inside & (den > 0), num / den, np.nan)


def load_model(path: str | Path) -> GnssModel:
    """Read the A-EPND CSV; raises :class:`InputError` naming the missing column or bad grid."""
    import pandas as pd

    path = Path(path)
    try:
        df = pd.read_csv(path)
    except Exception as exc:  # pandas raises many types for unreadable text
        raise InputError(path, f"not a readable CSV ({exc}); give the A-EPND model CSV") from exc
    df.columns = [c.strip().lower().lstrip("#") for c in df.columns]
    for col in REQUIRED:
        if col not in df.columns:
            raise InputError(path, "missing; an A-EPND model CSV has n, e, u, easting, northing", column=col)
    x, y = df["easting"].to_numpy(float), df["northing"].to_numpy(float)
    if len(df) < 4:
        raise InputError(path, "fewer than 4 nodes; not a GNSS model grid")
    step = float(np.min(np.diff(np.unique(x)))) if np.unique(x).size > 1 else 50_000.0
    x0, y0 = x.min(), y.min()
    ix = np.rint((x - x0) / step).astype(np.int64)
    iy = np.rint((y - y0) / step).astype(np.int64)
    if np.any(np.abs((x - x0) / step - ix) > 1e-6) or np.any(np.abs((y - y0) / step - iy) > 1e-6):
        raise InputError(path, f"nodes are not on a regular {step:.0f} m grid in EPSG:3035", column="easting")
    values = np.full((3, iy.max() + 1, ix.max() + 1), np.nan)
    for k, col in enumerate(("n", "e", "u")):
        values[k, iy, ix] = df[col].to_numpy(float)
    return GnssModel(x0, y0, step, values, path)
