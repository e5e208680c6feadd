"""Synthetic EGMS L2b bursts with known east/up truth, in the real 2020–2024 column layout.

Used by the tests, the demo and the benchmark. Every MP of a cell moves with its cell's true
east and up velocity (mm/yr) plus a seasonal up term; its LOS series is ``los · motion`` plus
white noise, rounded to 0.1 mm like the real files. Ascending bursts look with
(−0.622, −0.098, 0.777), descending with (0.594, −0.120, 0.795) (fixture tracks 117 and 022).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..egms.grid import base62, cell_indices

COLUMNS = (
    "pid",
    "mp_type",
    "latitude",
    "longitude",
    "easting",
    "northing",
    "height_ortho",
    "height_ellipse",
    "line",
    "pixel",
    "rmse_ts",
    "temporal_coherence",
    "amplitude_dispersion",
    "incidence_angle",
    "track_angle",
    "los_east",
    "los_north",
    "los_up",
    "mean_velocity",
    "mean_velocity_std",
    "acceleration",
    "acceleration_std",
    "seasonality",
    "seasonality_std",
    "gnss_velocity",
)
LOS = {
    "ascending": (-0.622, -0.098, 0.777, 38.97, -8.94),
    "descending": (0.594, -0.120, 0.795, 37.31, 191.42),
}


@dataclass
class Truth:
    """True motion: velocities (mm/yr) as functions of EPSG:3035 x, y (m); evaluated at cell centres."""

    spacing: float = 100.0

    def east(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return 3.0 * np.sin(x / 7_000.0) * np.cos(y / 9_000.0)

    def up(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return -4.0 + 2.5 * np.cos(x / 5_000.0 + y / 11_000.0)

    def at_cells(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Velocities (east, up) of the cells that contain (x, y)."""
        ix, iy = cell_indices(x, y, self.spacing)
        cx, cy = (ix + 0.5) * self.spacing, (iy + 0.5) * self.spacing
        return self.east(cx, cy), self.up(cx, cy)


def burst_name(track: int, burst: int, release: str = "2020_2024_1") -> str:
    return f"EGMS_L2b_{track:03d}_{burst:04d}_IW2_VV_{release}"


def write_burst(
    folder: Path,
    name: str,
    geometry: str,
    x: np.ndarray,
    y: np.ndarray,
    dates: np.ndarray,
    truth: Truth,
    noise_mm: float = 1.0,
    seed: int = 0,
    burst_code: int = 0,
) -> Path:
    """Write one burst ZIP (CSV + ``<BURST>`` XML) with MPs at (x, y) observed on ``dates``; returns its path."""
    import pyarrow as pa
    from pyproj import Transformer

    from ..egms.products import format_numbers, write_plain_csv

    rng = np.random.default_rng(seed)
    n = x.size
    le, ln, lu, inc, trk = LOS[geometry]
    t = (
        dates.astype("datetime64[D]").astype(np.int64) - dates.astype("datetime64[D]").astype(np.int64)[0]
    ) / 365.0
    ve, vu = truth.at_cells(x, y)
    lon, lat = Transformer.from_crs("EPSG:3035", "EPSG:4326", always_xy=True).transform(x, y)
    h = 50 + 20 * np.sin(x / 3000.0) + rng.normal(0, 2, n)
    vlos = le * ve + lu * vu
    cols: dict[str, object] = {
        "pid": pa.array(np.char.add("1" + base62(np.array([burst_code]), 4)[0], base62(np.arange(n), 5))),
        "mp_type": np.zeros(n, np.int64),
        "latitude": (lat, 6),
        "longitude": (lon, 6),
        "easting": (x, 2),
        "northing": (y, 2),
        "height_ortho": (h, 1),
        "height_ellipse": (h + 43.6, 1),
        "line": np.arange(n) // 1000,
        "pixel": np.arange(n) % 1000,
        "rmse_ts": (np.full(n, noise_mm), 1),
        "temporal_coherence": (np.full(n, 0.9), 2),
        "amplitude_dispersion": (np.full(n, 0.3), 2),
        "incidence_angle": (np.full(n, inc), 2),
        "track_angle": (np.full(n, trk), 2),
        "los_east": (np.full(n, le), 3),
        "los_north": (np.full(n, ln), 3),
        "los_up": (np.full(n, lu), 3),
        "mean_velocity": (vlos, 1),
        "mean_velocity_std": (np.full(n, 0.1), 1),
        "acceleration": (np.zeros(n), 2),
        "acceleration_std": (np.full(n, 0.1), 2),
        "seasonality": (np.full(n, 1.0), 1),
        "seasonality_std": (np.full(n, 0.1), 1),
        "gnss_velocity": (np.zeros(n), 1),
    }
    arrays, names = [], []
    for name_, v in cols.items():
        names.append(name_)
        if isinstance(v, tuple):
            arrays.append(format_numbers(v[0], v[1]))
        elif isinstance(v, np.ndarray):
            arrays.append(format_numbers(v.astype(float), 0))
        else:
            arrays.append(v)
    seasonal = 1.5 * np.sin(2 * np.pi * t)
    for j, d in enumerate(dates):
        disp = vlos * t[j] + lu * seasonal[j] + rng.normal(0, noise_mm, n)
        names.append(str(d).replace("-", ""))
        arrays.append(format_numbers(disp, 1))
    folder.mkdir(parents=True, exist_ok=True)
    csv_path = folder / f"{name}.csv"
    write_plain_csv(csv_path, pa.Table.from_arrays(arrays, names=names))
    xml = (
        "<?xml version='1.0' encoding='UTF-8'?>\n<BURST>\n  <product_level>L2b</product_level>\n"
        f"  <track>{name.split('_')[2]}</track>\n  <burst_id>{name.split('_')[3]}</burst_id>\n"
        "  <sub_swath>2</sub_swath>\n  <production_facility>synthetic</production_facility>\n"
        "  <production_date>21/11/2026</production_date>\n  <dem>\n    <version>COPDEM</version>\n  </dem>\n"
        "  <gnss>\n    <version>2.0</version>\n  </gnss>\n</BURST>"
    )
    out = folder / f"{name}.zip"
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr(f"{name}.xml", xml)
        zf.write(csv_path, f"{name}.csv")
    csv_path.unlink()
    return out


def generate(
    folder: str | Path,
    n_per_burst: int = 2000,
    bounds: tuple[float, float, float, float] = (4_500_000, 1_700_000, 4_510_000, 1_710_000),
    start: str = "2020-01-03",
    n_epochs: int = 100,
    step_days: int = 6,
    n_bursts_per_geometry: int = 1,
    noise_mm: float = 1.0,
    seed: int = 0,
    truth: Truth | None = None,
) -> tuple[list[Path], Truth]:
    """Write ascending + descending burst ZIPs covering ``bounds`` (EPSG:3035 m); returns their paths and
    the truth. With several bursts per geometry, the area is split into vertical strips, one per burst."""
    folder = Path(folder)
    truth = truth or Truth()
    rng = np.random.default_rng(seed)
    dates = np.datetime64(start, "D") + np.arange(n_epochs) * np.timedelta64(step_days, "D")
    xmin, ymin, xmax, ymax = bounds
    paths = []
    for g, (geometry, track) in enumerate((("ascending", 117), ("descending", 22))):
        for b in range(n_bursts_per_geometry):
            x0 = xmin + (xmax - xmin) * b / n_bursts_per_geometry
            x1 = xmin + (xmax - xmin) * (b + 1) / n_bursts_per_geometry
            x = rng.uniform(x0, x1, n_per_burst)
            y = rng.uniform(ymin, ymax, n_per_burst)
            name = burst_name(track, 100 * (g + 1) + b)
            paths.append(
                write_burst(
                    folder,
                    name,
                    geometry,
                    x,
                    y,
                    dates,
                    truth,
                    noise_mm,
                    seed=seed * 100 + g * 10 + b,
                    burst_code=100 * (g + 1) + b,
                )
            )
    return paths, truth
