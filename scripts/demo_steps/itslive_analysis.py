"""ITS_LIVE analysis: find cubes, point series + GP regression (both models), centerline profile, via qgis_process.

Generated cube with known truth, a local catalog pointing at it, its glaciers, two points and a
centerline on a glacier. Prints where the products are and how far the GP regressions are from the
true velocity at the points.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def run(ctx) -> list[str]:
    import geopandas as gpd
    import shapely
    from surface_motion.core.itslive.inversion import days_since_epoch as days
    from surface_motion.core.itslive.io.catalog import write_local_catalog
    from surface_motion.core.synthetic.itslive import write_realistic_cube

    folder = ctx.output / "itslive_analysis"
    folder.mkdir(parents=True, exist_ok=True)
    cube = folder / "ITS_LIVE_vel_EPSG3413_G0120_X-3300000_Y300000.zarr"
    truth = write_realistic_cube(cube, nx=40, ny=40, seed=21)
    catalog = write_local_catalog(
        folder / "catalog.json", [(cube, truth.epsg, truth.x, truth.y)], "Synthetic"
    )
    glaciers = folder / "glaciers.gpkg"
    truth.glaciers.to_crs(4326).to_file(glaciers)
    lines = [
        f"inputs in {folder}: realistic cube ({len(truth.x)} × {len(truth.y)} px, {len(truth.layers)} pairs "
        "2017–2021), "
        f"catalog.json (local catalog), glaciers.gpkg ({len(truth.glaciers)} outlines, EPSG:4326)"
    ]

    found = ctx.qgis_process(
        "itslive_find_cubes", AOI=glaciers, CATALOG=catalog, OUTPUT=folder / "cubes.gpkg"
    )
    lines.append(f"find cubes: {found['COUNT']} cube(s) → cubes.gpkg; CUBES = {found['CUBES']}")

    # two points on the fastest glacier pixels
    fast = np.argsort(truth.base.ravel())[::-1][[0, 25]]
    rows, cols = np.unravel_index(fast, truth.base.shape)
    points = folder / "points.geojson"
    gpd.GeoDataFrame(
        {"name": ["fast", "slower"]},
        geometry=[shapely.Point(truth.x[c], truth.y[r]) for r, c in zip(rows, cols, strict=True)],
        crs=truth.epsg,
    ).to_crs(4326).to_file(points)
    series_csv = folder / "series.csv"
    res = ctx.qgis_process(
        "itslive_point_series",
        POINTS=points,
        POINT_ID="name",
        CUBES=found["CUBES"],
        NEIGHBORHOOD=0,
        OUTPUT=folder / "series.gpkg",
        CSV=series_csv,
        GP="true",
        GP_STEP_DAYS=5,
        GP_OUTPUT=folder / "gp_interval.gpkg",
    )
    series = pd.read_csv(series_csv, parse_dates=["img1", "img2", "mid_date"])
    lines.append(
        f"point series: {len(series)} pairs at 2 points → series.gpkg, series.csv; GP (interval model) "
        f"→ gp_interval.gpkg, plot {res['GP_PLOT']}"
    )

    errors = {}
    for model_index, model in ((0, "interval"), (1, "midpoint")):
        out = folder / f"gp_{model}.csv"
        ctx.qgis_process(
            "itslive_gp_regression", INPUT=series_csv, MODEL=model_index, STEP_DAYS=5, OUTPUT=out
        )
        gp = pd.read_csv(out, parse_dates=["date"])
        for name, r, c in zip(("fast", "slower"), rows, cols, strict=True):
            pred = gp[gp["point_id"] == name]
            t = days(pred["date"].to_numpy())
            inside = (t > t.min() + 60) & (t < t.max() - 60)
            vx, vy = truth.velocity(t)
            true_speed = np.hypot(vx[r, c], vy[r, c])
            errors[(model, name)] = float(np.sqrt(np.mean((pred["v"].to_numpy() - true_speed)[inside] ** 2)))
    for name in ("fast", "slower"):
        lines.append(
            f"GP RMSE vs true speed at '{name}': interval model {errors[('interval', name)]:.0f} m/yr, "
            f"midpoint (ITS_LIVE_TOOL's) model {errors[('midpoint', name)]:.0f} m/yr "
            f"(gp_interval.csv / gp_midpoint.csv, plots *_gp.png)"
        )

    nc = folder / "velocity.nc"
    inv = ctx.qgis_process(
        "itslive_invert", GLACIERS=glaciers, CUBES=cube, INTERVAL_DAYS=30, ROBUST="true", DEVICE=0, OUTPUT=nc
    )
    outline = truth.glaciers.geometry.iloc[int(np.argmax(truth.glaciers.geometry.area))]
    across = shapely.LineString([(truth.x.min(), outline.centroid.y), (truth.x.max(), outline.centroid.y)])
    part = max(
        getattr(across.intersection(outline), "geoms", [across.intersection(outline)]), key=lambda g: g.length
    )
    centerlines = folder / "centerline.geojson"
    gpd.GeoDataFrame({"name": ["main"]}, geometry=[part], crs=truth.epsg).to_crs(4326).to_file(centerlines)
    prof = ctx.qgis_process(
        "itslive_centerline_profile",
        LINES=centerlines,
        LINE_ID="name",
        INVERSION=nc,
        SPACING=120,
        OUTPUT=folder / "centerline_profile.gpkg",
        HEATMAP=folder / "heatmap.png",
    )
    profile = gpd.read_file(folder / "centerline_profile.gpkg")
    lines.append(
        f"inversion: {inv['N_PIXELS']} px × {inv['N_BINS']} bins → velocity.nc; centerline "
        f"({part.length / 1000:.1f} km, every 120 m): {profile['point_index'].nunique()} points × "
        f"{profile['date'].nunique()} dates → centerline_profile.gpkg (time-aware), heat map {prof['HEATMAP']}; "
        f"v along it {np.nanmin(profile['v']):.0f}–{np.nanmax(profile['v']):.0f} m/yr"
    )
    return lines
