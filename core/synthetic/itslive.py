"""Generate an ITS_LIVE v2-like datacube with known truth (tests, demo, benchmarks).

The store reproduces the real layout and its traps: int16 velocities with ``missing_value``
-32767 and a *different* zarr ``fill_value`` (0, so valid zeros exist), an unsorted ``mid_date``
carrying microseconds, some layers with img1 later than img2, repeated pairs, per-layer
``vx_error``/``vy_error``, per-pixel ``v_error``, satellite/mission strings, a ``mapping``
variable and ``x``/``y`` pixel-centre coordinates; zarr format 2.

The truth is the analytic model of :mod:`.truth` (seasonal cycle + surge pulse along a fixed flow
direction per pixel, zero off the glaciers), so means over any interval (a pair, a bin) are exact.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import zarr
from numpy.typing import ArrayLike

from ..itslive.inversion import days_since_epoch
from ..itslive.io.s3 import normalise_url, s3_storage_options
from .truth import YEAR_DAYS, Temporal, pair_mean_velocity, true_velocity

if TYPE_CHECKING:
    import geopandas as gpd
    import pyproj

#: the day a generated series starts or ends: text (YYYY-MM-DD) or a numpy date
Day = str | np.datetime64
#: chunk shape of the generated arrays (time, y, x); None: the generator's default
Chunks = tuple[int, int, int] | None

EPOCH = np.datetime64("1970-01-01T00:00:00", "us")
#: (satellite codes, mission letter, share of pairs, repeat cycle days, longest separation days)
_SENSORS = (
    (("1A", "1B"), "S", 0.4, 6, 48),
    (("2A", "2B"), "S", 0.3, 5, 365),
    (("8", "9"), "L", 0.3, 8, 544),
)


@dataclass
class SyntheticTruth:
    """Known velocity field of a generated cube; times are float days since 1970-01-01.

    ``base`` speed (m/yr), flow ``direction`` (radians from the x axis) and ``on_glacier`` are
    (ny, nx) arrays on the cube grid (``x``, ``y`` pixel centres, ``epsg``); ``temporal`` is the
    shared seasonal cycle and surge (:mod:`.truth`); off the glaciers the truth is 0.
    ``glaciers`` holds the outlines in the cube CRS with RGI-like attributes; ``layers``
    describes every stored layer in store order.
    """

    x: np.ndarray
    y: np.ndarray
    epsg: int
    base: np.ndarray
    direction: np.ndarray
    on_glacier: np.ndarray
    temporal: Temporal
    glaciers: object  # geopandas.GeoDataFrame
    layers: pd.DataFrame

    def mean_velocity(self, t1: ArrayLike, t2: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """True mean (vx, vy) in m/yr over the intervals [t1, t2]; each (ny, nx, n)."""
        vx, vy = pair_mean_velocity(t1, t2, self.base, self.direction, self.temporal)
        return vx * self.on_glacier[..., None], vy * self.on_glacier[..., None]

    def velocity(self, t: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """True instantaneous (vx, vy) in m/yr at times ``t``; each (ny, nx, n)."""
        vx, vy = true_velocity(np.atleast_1d(np.asarray(t, float)), self.base, self.direction, self.temporal)
        return vx * self.on_glacier[..., None], vy * self.on_glacier[..., None]

    def bin_mean(self, edges: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """True mean (vx, vy) over each bin of ``edges`` (M+1 float days); each (ny, nx, M)."""
        edges = np.asarray(edges, float)
        return self.mean_velocity(edges[:-1], edges[1:])


def _glaciers(x: np.ndarray, y: np.ndarray, epsg: int) -> tuple[gpd.GeoDataFrame, list[tuple[float, ...]]]:
    """Two elliptical glaciers (a large one and a small one) in the cube CRS, with RGI-like attributes."""
    import geopandas as gpd
    from shapely import affinity
    from shapely.geometry import Point

    w, h = x.max() - x.min(), y.max() - y.min()
    specs = [  # centre (fraction of extent), semi-axes (fraction), rotation degrees
        ((0.45, 0.5), (0.38, 0.22), 25.0),
        ((0.82, 0.2), (0.12, 0.08), -40.0),
    ]
    geoms, params = [], []
    for (fx, fy), (ax, ay), rot in specs:
        cx, cy = x.min() + fx * w, y.min() + fy * h
        e = affinity.rotate(
            affinity.scale(Point(cx, cy).buffer(1.0, 64), ax * w, ay * h), rot, origin=(cx, cy)
        )
        geoms.append(e)
        params.append((cx, cy, ax * w, ay * h, np.deg2rad(rot)))
    gdf = gpd.GeoDataFrame(
        {
            "RGIId": ["RGI60-01.90001", "RGI60-01.90002"],
            "Name": ["Synthetic Glacier", "Synthetic Tributary"],
            "O1Region": ["01", "01"],
        },
        geometry=geoms,
        crs=f"EPSG:{epsg}",
    )
    gdf["Area"] = gdf.geometry.area / 1e6
    return gdf, params


def _speed_field(
    x: np.ndarray, y: np.ndarray, params: list[tuple[float, ...]], vmax: float
) -> tuple[np.ndarray, np.ndarray]:
    """Base speed (fast along the centre line, zero outside the glaciers) and the flow direction (rad)."""
    xx, yy = np.meshgrid(x, y)
    base = np.zeros(xx.shape)
    direction = np.zeros(xx.shape)
    for i, (cx, cy, a, b, rot) in enumerate(params):
        dx, dy = xx - cx, yy - cy
        along = dx * np.cos(rot) + dy * np.sin(rot)
        across = -dx * np.sin(rot) + dy * np.cos(rot)
        r2 = (along / a) ** 2 + (across / b) ** 2
        inside = r2 < 1
        speed = vmax / (i + 1) * (1 - (across / b) ** 2) * (0.4 + 0.6 * (along / a + 1) / 2)
        base = np.where(inside, np.maximum(speed, 20.0), base)
        direction = np.where(inside, rot, direction)
    return base, direction


def _scene(
    nx: int, ny: int, origin: tuple[float, float], resolution: float, epsg: int, vmax: float
) -> SyntheticTruth:
    """The steady truth every generator starts from: the grid (pixel-centre ``x``, ``y``), the two
    glacier outlines, the base speed (m/yr) and flow direction (rad) on it; no seasonal cycle or surge
    yet (each generator sets its own ``temporal`` with ``dataclasses.replace``)."""
    x = origin[0] + resolution * (np.arange(nx) + 0.5)
    y = origin[1] - resolution * (np.arange(ny) + 0.5)
    glaciers, params = _glaciers(x, y, epsg)
    base, direction = _speed_field(x, y, params, vmax)
    steady = Temporal(seasonal_amplitude=0.0)
    return SyntheticTruth(x, y, epsg, base, direction, base > 0, steady, glaciers, pd.DataFrame())


def _daylight(t: np.ndarray) -> np.ndarray:
    """False in the polar night (mid-November to January), when optical sensors see nothing."""
    doy = t % YEAR_DAYS  # days since 1 January (approximately; the epoch is 1 January 1970)
    return (doy > 31) & (doy < 318)


def _pairs(rng: np.random.Generator, n: int, t0: float, t1: float) -> pd.DataFrame:
    """Realistic pairs: S1 6-day multiples ≤ 48 d, S2 5-day multiples ≤ 1 yr, Landsat 8-day multiples ≤ 544 d,
    optical pairs avoiding polar night (mid-November to January), times of day kept."""
    frames = []
    for codes, mission, share, cycle, longest in _SENSORS:
        k = max(1, round(n * share)) * 4
        longest = min(longest, (t1 - t0) * 0.5)
        steps = max(1, int(longest // cycle))
        # short separations dominate, as in real cubes
        mult = np.minimum(rng.geometric(0.25 if mission == "S" and cycle == 6 else 0.12, k), steps)
        dt = mult * cycle + rng.uniform(-0.01, 0.01, k)
        start = rng.uniform(t0, t1 - dt)
        if mission != "S" or cycle != 6:
            ok = _daylight(start) & _daylight(start + dt)
            start, dt = start[ok], dt[ok]
        sat = rng.choice(codes, size=(len(start), 2))
        frames.append(
            pd.DataFrame(
                {
                    "t1": start,
                    "t2": start + dt,
                    "satellite_img1": sat[:, 0],
                    "satellite_img2": sat[:, 1],
                    "mission": mission,
                }
            )
        )
    pairs = pd.concat(frames, ignore_index=True)
    idx = rng.choice(len(pairs), size=min(n, len(pairs)), replace=False)
    return pairs.iloc[np.sort(idx)].reset_index(drop=True)


def write_synthetic_cube(
    store_path_or_url: str | Path,
    *,
    nx: int = 30,
    ny: int = 30,
    n_pairs: int = 300,
    start: Day = "2018-01-01",
    end: Day = "2021-01-01",
    seed: int = 0,
    chunks: Chunks = None,
    storage_options: dict | None = None,
    epsg: int = 3413,
    resolution: float = 120.0,
    origin: tuple[float, float] = (-3300000.0, 300000.0),
    vmax: float = 1500.0,
    seasonal_amplitude: float = 0.3,
    surge_amplitude: float = 1.0,
    outlier_fraction: float = 0.03,
    duplicate_fraction: float = 0.02,
    swapped_fraction: float = 0.05,
    consolidated: bool = True,
) -> SyntheticTruth:
    """Write a v2-layout cube of ``n_pairs`` layers on an ``ny`` × ``nx`` grid and return its truth.

    ``store_path_or_url`` is a local folder or an ``s3://`` URL (with ``storage_options`` for s3fs,
    e.g. a moto endpoint and ``s3_additional_kwargs={"ACL": "public-read"}``). ``chunks`` is the
    (time, y, x) chunk shape, default ``(n_pairs, 10, 10)`` as in ITS_LIVE. The surge
    adds ``surge_amplitude · vmax / 2`` m/yr on the glaciers at its peak (mid-period, σ = 30 days); 3 % of values are
    outliers (±500–3000 m/yr).
    """
    rng = np.random.default_rng(seed)
    t0, t1 = float(days_since_epoch(np.datetime64(start))), float(days_since_epoch(np.datetime64(end)))
    scene = _scene(nx, ny, origin, resolution, epsg, vmax)
    x, y, base = scene.x, scene.y, scene.base

    n_dup = round(n_pairs * duplicate_fraction)
    pairs = _pairs(rng, n_pairs - n_dup, t0, t1)
    dup = pairs.iloc[rng.choice(len(pairs), size=min(n_dup, len(pairs)), replace=False)]
    pairs = pd.concat([pairs, dup], ignore_index=True)
    n = len(pairs)
    pairs["duplicate_of"] = np.r_[np.full(n - len(dup), -1), dup.index.to_numpy()]

    temporal = Temporal(
        seasonal_amplitude=seasonal_amplitude,
        seasonal_phase=float(rng.uniform(0, YEAR_DAYS)),
        surge=surge_amplitude * vmax / 2,
        surge_center=(t0 + t1) / 2,
        surge_width=30.0,
    )
    truth = replace(scene, temporal=temporal)

    dt = (pairs["t2"] - pairs["t1"]).to_numpy()
    disp_sigma = pairs["mission"].map({"S": 1.5, "L": 3.0}).to_numpy()
    vx_err = (disp_sigma * YEAR_DAYS / dt + 2.0) * rng.uniform(0.9, 1.1, n)
    vy_err = (disp_sigma * YEAR_DAYS / dt + 2.0) * rng.uniform(0.9, 1.1, n)
    tvx, tvy = truth.mean_velocity(pairs["t1"].to_numpy(), pairs["t2"].to_numpy())  # (ny, nx, n)
    tvx, tvy = np.moveaxis(tvx, -1, 0), np.moveaxis(tvy, -1, 0)
    shape = (n, ny, nx)
    noise_x = rng.standard_normal(shape) * vx_err[:, None, None]
    noise_y = rng.standard_normal(shape) * vy_err[:, None, None]
    # duplicated pairs are the same measurement
    src = np.where(pairs["duplicate_of"] >= 0, pairs["duplicate_of"], np.arange(n))
    noise_x, noise_y = noise_x[src], noise_y[src]
    obs_x, obs_y = tvx + noise_x, tvy + noise_y
    outlier = rng.random(shape) < outlier_fraction
    outlier = outlier[src]
    sign = rng.choice([-1.0, 1.0], size=(2, *shape))
    obs_x = np.where(outlier, obs_x + sign[0] * rng.uniform(500, 3000, shape)[src], obs_x)
    obs_y = np.where(outlier, obs_y + sign[1] * rng.uniform(500, 3000, shape)[src], obs_y)
    coverage = np.where(rng.random(n) < 0.3, 1.0, rng.uniform(0.3, 1.0, n))
    missing = (rng.random(shape) > coverage[:, None, None])[src]
    truth.layers = _write_store(
        store_path_or_url,
        storage_options,
        rng,
        x,
        y,
        epsg,
        resolution,
        pairs,
        vx_err,
        vy_err,
        obs_x,
        obs_y,
        missing,
        base > 0,
        chunks,
        swapped_fraction,
        consolidated,
    )
    return truth


@dataclass(frozen=True)
class SensorModel:
    """Pair timing and noise of one sensor in :func:`write_realistic_cube`.

    Pairs start at ``rate`` per year over the sensor's active period (optical ones only in daylight),
    separated by ``cycle``-day multiples (geometric, short ones dominate, at most ``short_max``
    days) or, for a ``long_share`` of them, by ``long_days`` (annual pairs, as ITS_LIVE holds for
    optical sensors). The stated error is σ_v = σ_d (dt/10)^exponent · 365.25/dt + 2 m/yr (σ_d in m,
    dt in days: the matching error grows slowly with the separation); each pair covers a random
    ``coverage`` fraction of the scene (clouds, decorrelation: spatially coherent blobs).
    """

    codes: tuple[str, ...]
    mission: str
    rate: float
    cycle: float
    short_max: float
    sigma_d: float
    exponent: float
    coverage: tuple[float, float]
    optical: bool
    active: tuple[str, str] = ("1972-01-01", "2100-01-01")
    long_share: float = 0.0
    long_days: tuple[float, float] = (330.0, 540.0)


#: Sensors as in the ITS_LIVE series of fast Alaskan and Greenland outlet glaciers: Sentinel-1
#: ends before the cube (its pairs stop in late 2020 on those series), optical sensors see
#: nothing in the polar night and are often cloudy, Landsat is noisier.
REALISTIC_SENSORS = (
    SensorModel(
        ("1A", "1B"),
        "S",
        rate=110,
        cycle=6,
        short_max=48,
        sigma_d=1.0,
        exponent=0.3,
        coverage=(0.85, 1.0),
        optical=False,
        active=("2014-10-01", "2020-10-31"),
    ),
    SensorModel(
        ("2A", "2B"),
        "S",
        rate=100,
        cycle=5,
        short_max=100,
        sigma_d=1.0,
        exponent=0.25,
        coverage=(0.15, 1.0),
        optical=True,
        long_share=0.45,
        long_days=(300.0, 530.0),
    ),
    SensorModel(
        ("8", "9"),
        "L",
        rate=65,
        cycle=16,
        short_max=96,
        sigma_d=3.0,
        exponent=0.2,
        coverage=(0.15, 1.0),
        optical=True,
        long_share=0.15,
        long_days=(330.0, 540.0),
    ),
)


def _sensor_pairs(rng: np.random.Generator, sensor: SensorModel, t0: float, t1: float) -> pd.DataFrame:
    a0 = max(t0, float(days_since_epoch(np.datetime64(sensor.active[0]))))
    a1 = min(t1, float(days_since_epoch(np.datetime64(sensor.active[1]))))
    if a1 <= a0:
        return pd.DataFrame()
    k = rng.poisson(sensor.rate * (a1 - a0) / YEAR_DAYS * (1.5 if sensor.optical else 1.0))
    steps = max(1, int(sensor.short_max // sensor.cycle))
    dt = np.minimum(rng.geometric(0.35, k), steps) * sensor.cycle
    long = rng.random(k) < sensor.long_share
    dt = np.where(long, rng.uniform(*sensor.long_days, k), dt) + rng.uniform(-0.01, 0.01, k)
    start = rng.uniform(a0, a1 - dt)
    keep = start + dt <= a1
    if sensor.optical:  # polar night: no image, hence no pair ending or starting in it
        keep &= _daylight(start) & _daylight(start + dt)
    start, dt = start[keep], dt[keep]
    sat = rng.choice(sensor.codes, size=(start.size, 2))
    return pd.DataFrame(
        {
            "t1": start,
            "t2": start + dt,
            "satellite_img1": sat[:, 0],
            "satellite_img2": sat[:, 1],
            "mission": sensor.mission,
            "sigma_d": sensor.sigma_d,
            "exponent": sensor.exponent,
            "coverage_lo": sensor.coverage[0],
            "coverage_hi": sensor.coverage[1],
        }
    )


def _smooth_fields(rng: np.random.Generator, n: int, ny: int, nx: int, width: float) -> np.ndarray:
    """``n`` spatially correlated standard-normal fields (n, ny, nx), Gaussian correlation ``width`` px."""
    from scipy.ndimage import gaussian_filter

    f = gaussian_filter(rng.standard_normal((n, ny, nx)), sigma=(0, width, width), mode="wrap")
    return f / f.std(axis=(1, 2), keepdims=True)


def write_realistic_cube(
    store_path_or_url: str | Path,
    *,
    nx: int = 40,
    ny: int = 40,
    start: Day = "2017-01-01",
    end: Day = "2022-01-01",
    seed: int = 0,
    sensors: tuple[SensorModel, ...] = REALISTIC_SENSORS,
    chunks: Chunks = None,
    storage_options: dict | None = None,
    epsg: int = 3413,
    resolution: float = 120.0,
    origin: tuple[float, float] = (-3300000.0, 300000.0),
    vmax: float = 3000.0,
    seasonal_amplitude: float = 0.2,
    surge_amplitude: float = 0.5,
    surge_center: str = "2019-05-15",
    surge_width: float = 35.0,
    pixel_outlier_fraction: float = 0.01,
    blunder_fraction: float = 0.01,
    consolidated: bool = True,
) -> SyntheticTruth:
    """A cube that looks like a real fast glacier's (what :func:`write_synthetic_cube` hides), with truth.

    Pair timing from :data:`REALISTIC_SENSORS` (about 1,300 pairs over 2017–2021: Sentinel-1 6-day
    multiples ending in October 2020, Sentinel-2 and Landsat short and annual pairs, none in the
    polar night), each pair covering a random share of the scene in coherent blobs. Noise: the
    stated σ × (0.6 · a smooth field across the scene + 0.8 · white), i.e. errors correlated between
    neighbouring pixels of a pair. Gross errors: 1 % of values ±300–2,000 m/yr, and 1 % of pairs
    offset by ±300–1,500 m/yr over a coherent 30 % of the scene (mismatched features). Truth:
    base speed up to ``vmax`` m/yr, a ±20 % seasonal cycle and a surge of ``surge_amplitude``·vmax
    (σ = ``surge_width`` days) on ``surge_center``. Fast pixels: ``truth.base > 1000``.
    """
    rng = np.random.default_rng(seed)
    t0, t1 = float(days_since_epoch(np.datetime64(start))), float(days_since_epoch(np.datetime64(end)))
    scene = _scene(nx, ny, origin, resolution, epsg, vmax)
    x, y, base = scene.x, scene.y, scene.base
    pairs = pd.concat([_sensor_pairs(rng, s, t0, t1) for s in sensors], ignore_index=True)
    pairs = pairs.sort_values("t1", kind="stable").reset_index(drop=True)
    pairs["duplicate_of"] = -1
    n = len(pairs)
    temporal = Temporal(
        seasonal_amplitude=seasonal_amplitude,
        seasonal_phase=float(rng.uniform(0, YEAR_DAYS)),
        surge=surge_amplitude * vmax,
        surge_center=float(days_since_epoch(np.datetime64(surge_center))),
        surge_width=surge_width,
    )
    truth = replace(scene, temporal=temporal)

    dt = (pairs["t2"] - pairs["t1"]).to_numpy()
    sigma = pairs["sigma_d"].to_numpy() * (dt / 10) ** pairs["exponent"].to_numpy() * YEAR_DAYS / dt + 2.0
    vx_err = sigma * rng.uniform(0.9, 1.1, n)
    vy_err = sigma * rng.uniform(0.9, 1.1, n)
    tvx, tvy = truth.mean_velocity(pairs["t1"].to_numpy(), pairs["t2"].to_numpy())
    tvx, tvy = np.moveaxis(tvx, -1, 0), np.moveaxis(tvy, -1, 0)
    shape = (n, ny, nx)
    obs = []
    for true, err in ((tvx, vx_err), (tvy, vy_err)):
        noise = 0.6 * _smooth_fields(rng, n, ny, nx, 4.0) + 0.8 * rng.standard_normal(shape)
        value = true + noise * err[:, None, None]
        outlier = rng.random(shape) < pixel_outlier_fraction
        value = np.where(
            outlier, value + rng.choice([-1.0, 1.0], shape) * rng.uniform(300, 2000, shape), value
        )
        obs.append(value)
    blunder = np.flatnonzero(rng.random(n) < blunder_fraction)
    if blunder.size:
        region = _smooth_fields(rng, blunder.size, ny, nx, 6.0) > 0.52  # ≈ 30 % of the scene
        for value in obs:
            offset = rng.choice([-1.0, 1.0], blunder.size) * rng.uniform(300, 1500, blunder.size)
            value[blunder] += region * offset[:, None, None]
    cover = rng.uniform(pairs["coverage_lo"].to_numpy(), pairs["coverage_hi"].to_numpy())
    blobs = _smooth_fields(rng, n, ny, nx, 5.0)
    ranked = np.sort(blobs.reshape(n, -1), axis=1)
    threshold = ranked[np.arange(n), np.round(cover * (ranked.shape[1] - 1)).astype(int)]
    missing = blobs > threshold[:, None, None]
    layers = pairs[["t1", "t2", "satellite_img1", "satellite_img2", "mission", "duplicate_of"]]
    truth.layers = _write_store(
        store_path_or_url,
        storage_options,
        rng,
        x,
        y,
        epsg,
        resolution,
        layers,
        vx_err,
        vy_err,
        obs[0],
        obs[1],
        missing,
        base > 0,
        chunks,
        0.05,
        consolidated,
    )
    return truth


def write_large_cube(
    target: str | Path,
    *,
    side: int = 200,
    n_pairs: int = 5000,
    start: Day = "2015-01-01",
    end: Day = "2024-12-31",
    seed: int = 0,
    chunk: int = 10,
    dropout: float = 0.2,
    swath_share: float = 0.3,
    resolution: float = 120.0,
    epsg: int = 3413,
    origin: tuple[float, float] = (-3300000.0, 300000.0),
) -> SyntheticTruth:
    """A large cube for scaling benchmarks, written chunk column by chunk column (memory: one column
    of ``n_pairs`` × ``chunk``² values, whatever the size).

    ``side`` × ``side`` pixels, ``n_pairs`` ITS_LIVE-like pairs (:func:`.truth.itslive_like_pairs`),
    white noise of the stated σ, every pixel its own validity pattern: ``dropout`` independent
    gaps plus, for a ``swath_share`` of the pairs, a half of the scene cut off by a straight swath
    edge (coherent gaps, as in real cubes). Truth as in :func:`write_synthetic_cube`.
    """
    from .truth import itslive_like_pairs

    rng = np.random.default_rng(seed)
    t0, t1 = float(days_since_epoch(np.datetime64(start))), float(days_since_epoch(np.datetime64(end)))
    scene = _scene(side, side, origin, resolution, epsg, 1500.0)
    x, y, base, direction = scene.x, scene.y, scene.base, scene.direction
    a, b = itslive_like_pairs(rng, n_pairs, t0, t1)
    temporal = Temporal(
        seasonal_amplitude=0.25,
        seasonal_phase=float(rng.uniform(0, YEAR_DAYS)),
        surge=750.0,
        surge_center=(t0 + t1) / 2,
        surge_width=30.0,
    )
    truth = replace(scene, temporal=temporal)
    sigma = 1.5 * YEAR_DAYS / (b - a) + 2.0
    swath = rng.random(n_pairs) < swath_share
    angle, offset = rng.uniform(0, 2 * np.pi, n_pairs), rng.uniform(-0.3, 0.3, n_pairs)
    group = _create_group(target, None)
    time_attrs = {"_ARRAY_DIMENSIONS": ["mid_date"], "units": "days since 1970-01-01"}
    _write(group, "x", x, {"_ARRAY_DIMENSIONS": ["x"], "units": "m"})
    _write(group, "y", y, {"_ARRAY_DIMENSIONS": ["y"], "units": "m"})
    _write(group, "mid_date", (a + b) / 2, dict(time_attrs))
    _write(group, "acquisition_date_img1", a, dict(time_attrs))
    _write(group, "acquisition_date_img2", b, dict(time_attrs))
    _write(group, "date_dt", (b - a).astype(np.float32), {"_ARRAY_DIMENSIONS": ["mid_date"], "units": "days"})
    for name in ("satellite_img1", "satellite_img2"):
        _write(group, name, np.full(n_pairs, "1A", "<U2"), {"_ARRAY_DIMENSIONS": ["mid_date"]}, fill="")
    for name in ("vx_error", "vy_error"):
        _write(group, name, sigma.astype(np.float32), {"_ARRAY_DIMENSIONS": ["mid_date"], "units": "m/y"})
    attrs = {
        "_ARRAY_DIMENSIONS": ["mid_date", "y", "x"],
        "missing_value": -32767,
        "units": "m/y",
        "grid_mapping": "mapping",
    }
    arrays = {}
    for name in ("vx", "vy"):
        arrays[name] = group.create_array(
            name, shape=(n_pairs, side, side), dtype=np.int16, chunks=(n_pairs, chunk, chunk), fill_value=0
        )
        arrays[name].attrs.update(attrs)
    u = (np.arange(side) + 0.5) / side - 0.5
    for r0 in range(0, side, chunk):
        for c0 in range(0, side, chunk):
            rows, cols = slice(r0, min(r0 + chunk, side)), slice(c0, min(c0 + chunk, side))
            mean_x, mean_y = pair_mean_velocity(a, b, base[rows, cols], direction[rows, cols], temporal)
            yy, xx = np.meshgrid(u[rows], u[cols], indexing="ij")
            cut = swath[:, None, None] & (
                (np.cos(angle)[:, None, None] * xx + np.sin(angle)[:, None, None] * yy)
                > offset[:, None, None]
            )
            gone = cut | (rng.random(cut.shape) < dropout)
            for name, mean in (("vx", mean_x), ("vy", mean_y)):
                value = np.moveaxis(mean, -1, 0) + rng.standard_normal(gone.shape) * sigma[:, None, None]
                stored = np.clip(np.round(value), -32000, 32000).astype(np.int16)
                stored[gone] = -32767
                arrays[name][:, rows, cols] = stored
    _write_mapping(group, x, y, epsg, resolution)
    group.attrs.update(
        {"projection": str(epsg), "title": "ITS_LIVE-like cube for scaling benchmarks (synthetic)"}
    )
    zarr.consolidate_metadata(group.store, zarr_format=2)
    truth.layers = pd.DataFrame({"t1": a, "t2": b, "vx_error": sigma, "vy_error": sigma})
    return truth


def catalog_entry(truth: SyntheticTruth, zarr_url: str, name: str = "Synthetic") -> dict:
    """A GeoJSON feature describing a generated cube as the ITS_LIVE catalog does (footprint in the
    cube CRS and in EPSG:4326, ``zarr_url`` in the catalog's http form), for offline catalogs."""
    import geopandas as gpd
    from shapely.geometry import box, mapping

    half = abs(float(truth.x[1] - truth.x[0])) / 2
    footprint = box(truth.x[0] - half, truth.y[-1] - half, truth.x[-1] + half, truth.y[0] + half)
    lonlat = gpd.GeoSeries([footprint], crs=truth.epsg).to_crs(4326).iloc[0]
    return {
        "type": "Feature",
        "geometry": mapping(lonlat),
        "properties": {
            "zarr_url": zarr_url,
            "epsg": truth.epsg,
            "geometry_epsg": mapping(footprint),
            "datacube_exist": 1,
            "FULL_NAME": name,
            "RGI_CODE": 1,
        },
    }


def _write_store(
    target: str | Path,
    storage_options: dict | None,
    rng: np.random.Generator,
    x: np.ndarray,
    y: np.ndarray,
    epsg: int,
    resolution: float,
    pairs: pd.DataFrame,
    vx_err: np.ndarray,
    vy_err: np.ndarray,
    obs_x: np.ndarray,
    obs_y: np.ndarray,
    missing: np.ndarray,
    landice_mask: np.ndarray,
    chunks: Chunks,
    swapped_fraction: float,
    consolidated: bool,
) -> pd.DataFrame:
    """Write the observations (n, ny, nx m/yr, ``missing`` masked) of ``pairs`` (t1, t2, satellite_img1/2,
    mission, duplicate_of) in the ITS_LIVE v2 layout; returns the stored layers' description."""
    n, ny, nx = obs_x.shape
    vx = np.clip(np.round(obs_x), -32000, 32000).astype(np.int16)
    vy = np.clip(np.round(obs_y), -32000, 32000).astype(np.int16)
    v = np.clip(np.round(np.hypot(obs_x, obs_y)), 0, 32000).astype(np.int16)
    v_error = np.round(np.hypot(vx_err, vy_err)[:, None, None] * rng.uniform(0.8, 1.2, (1, ny, nx)))
    v_error = np.broadcast_to(v_error, obs_x.shape).astype(np.int16).copy()
    for a in (vx, vy, v, v_error):
        a[missing] = -32767

    # store order: shuffled (mid_date unsorted), some img1/img2 swapped, centroid microseconds
    order = rng.permutation(n)
    swapped = rng.random(n) < swapped_fraction
    micro = rng.integers(1, 999_999, n) / 86400e6
    p = pairs.iloc[order].reset_index(drop=True)
    mid = (p["t1"] + p["t2"]).to_numpy() / 2 + micro
    img1 = np.where(swapped, p["t2"], p["t1"])
    img2 = np.where(swapped, p["t1"], p["t2"])
    sat1 = np.where(swapped, p["satellite_img2"], p["satellite_img1"])
    sat2 = np.where(swapped, p["satellite_img1"], p["satellite_img2"])
    layers = pd.DataFrame(
        {
            "layer": np.arange(n),
            "pair": order,
            "img1": EPOCH + (p["t1"].to_numpy() * 86400e6).astype("timedelta64[us]"),
            "img2": EPOCH + (p["t2"].to_numpy() * 86400e6).astype("timedelta64[us]"),
            "t1": p["t1"].to_numpy(),
            "t2": p["t2"].to_numpy(),
            "swapped": swapped,
            "duplicate": p["duplicate_of"].to_numpy() >= 0,
            "satellite_img1": p["satellite_img1"].to_numpy(),
            "satellite_img2": p["satellite_img2"].to_numpy(),
            "mission": p["mission"].to_numpy(),
            "vx_error": vx_err[order],
            "vy_error": vy_err[order],
        }
    )

    chunks = tuple(chunks) if chunks is not None else (n, 10, 10)
    group = _create_group(target, storage_options)
    _write(
        group, "x", x, {"_ARRAY_DIMENSIONS": ["x"], "units": "m", "standard_name": "projection_x_coordinate"}
    )
    _write(
        group, "y", y, {"_ARRAY_DIMENSIONS": ["y"], "units": "m", "standard_name": "projection_y_coordinate"}
    )
    time_attrs = {
        "_ARRAY_DIMENSIONS": ["mid_date"],
        "units": "days since 1970-01-01",
        "calendar": "proleptic_gregorian",
    }
    _write(
        group, "mid_date", mid, {**time_attrs, "standard_name": "image_pair_center_date_with_time_separation"}
    )
    _write(group, "acquisition_date_img1", img1.astype(float), dict(time_attrs))
    _write(group, "acquisition_date_img2", img2.astype(float), dict(time_attrs))
    _write(
        group,
        "date_dt",
        (p["t2"] - p["t1"]).to_numpy().astype(np.float32),
        {"_ARRAY_DIMENSIONS": ["mid_date"], "units": "days"},
    )
    for name, values in (("satellite_img1", sat1), ("satellite_img2", sat2)):
        _write(group, name, values.astype("<U2"), {"_ARRAY_DIMENSIONS": ["mid_date"]}, fill="")
    mission = p["mission"].to_numpy().astype("<U1")
    for name in ("mission_img1", "mission_img2"):
        _write(group, name, mission, {"_ARRAY_DIMENSIONS": ["mid_date"]}, fill="")
    for name, values in (("vx_error", vx_err[order]), ("vy_error", vy_err[order])):
        _write(group, name, values.astype(np.float32), {"_ARRAY_DIMENSIONS": ["mid_date"], "units": "m/y"})
    cube_attrs = {
        "_ARRAY_DIMENSIONS": ["mid_date", "y", "x"],
        "missing_value": -32767,
        "units": "m/y",
        "grid_mapping": "mapping",
    }
    for name, values in (("v", v), ("vx", vx), ("vy", vy), ("v_error", v_error)):
        _write(group, name, values[order], dict(cube_attrs), chunks=chunks, fill=0)
    landice = np.zeros((ny, nx), np.uint8)
    landice[landice_mask] = 1
    _write(
        group, "landice", landice, {"_ARRAY_DIMENSIONS": ["y", "x"], "flag_values": [0, 1]}, chunks=(10, 10)
    )
    _write_mapping(group, x, y, epsg, resolution)
    group.attrs.update(
        {
            "projection": str(epsg),
            "title": "ITS_LIVE datacube of image pair velocities (synthetic)",
            "GDAL_AREA_OR_POINT": "Area",
            "Conventions": "CF-1.8",
            "datacube_software_version": "synthetic",
        }
    )
    if consolidated:
        zarr.consolidate_metadata(group.store, zarr_format=2)
    return layers


def _create_group(target: str | Path, storage_options: dict | None) -> zarr.Group:
    from zarr.storage import FsspecStore, LocalStore

    url = normalise_url(str(target))
    if "://" in url:
        opts = s3_storage_options(storage_options) if url.startswith("s3://") else dict(storage_options or {})
        store = FsspecStore.from_url(url, storage_options=opts, read_only=False)
    else:
        store = LocalStore(url)
    return zarr.open_group(store, mode="w", zarr_format=2)


def _write(
    group: zarr.Group,
    name: str,
    values: np.ndarray,
    attrs: dict,
    chunks: tuple[int, ...] | None = None,
    fill: float | None = None,
) -> None:
    values = np.asarray(values)
    arr = group.create_array(
        name,
        shape=values.shape,
        dtype=values.dtype,
        chunks=chunks or values.shape or "auto",
        fill_value=fill,
        config={"write_empty_chunks": True},
    )
    arr[...] = values
    arr.attrs.update(attrs)


def _write_mapping(group: zarr.Group, x: np.ndarray, y: np.ndarray, epsg: int, resolution: float) -> None:
    from pyproj import CRS

    crs = CRS.from_epsg(epsg)
    x0, y0 = x[0] - resolution / 2, y[0] + resolution / 2
    cf = crs.to_cf()
    attrs = {k: v for k, v in cf.items() if isinstance(v, (str, int, float))}
    attrs.update(
        {
            "_ARRAY_DIMENSIONS": [],
            "spatial_epsg": epsg,
            "proj4text": _proj4(crs),
            "GeoTransform": f"{x0} {resolution} 0 {y0} 0 {-resolution}",
        }
    )
    arr = group.create_array("mapping", shape=(), dtype="<U1", fill_value="")
    arr.attrs.update(attrs)


def _proj4(crs: pyproj.CRS) -> str:
    import warnings

    with warnings.catch_warnings():  # PROJ warns that proj4 strings are lossy; ITS_LIVE carries one anyway
        warnings.simplefilter("ignore", UserWarning)
        return crs.to_proj4()
