"""The shipped graphical model (find cubes → invert → centerline profile) through qgis_process,
on a generated cube, its glaciers, a one-cube catalog pointing at it and a centerline."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import shapely

MODEL = Path(__file__).resolve().parents[2] / "resources" / "models" / "itslive_glacier_profile.model3"


def test_model_runs_end_to_end(qgis_process, tmp_path):
    import geopandas as gpd
    from surface_motion.core.itslive.io.catalog import write_local_catalog
    from surface_motion.core.synthetic.itslive import write_synthetic_cube

    cube = tmp_path / "ITS_LIVE_vel_EPSG3413_G0120_X-3300000_Y300000.zarr"
    truth = write_synthetic_cube(cube, nx=24, ny=24, n_pairs=150, seed=4)
    glaciers = tmp_path / "glaciers.gpkg"
    truth.glaciers.to_crs(4326).to_file(glaciers)
    outline = truth.glaciers.geometry.iloc[0]
    c = outline.centroid
    across = shapely.LineString([(truth.x.min(), c.y), (truth.x.max(), c.y)]).intersection(outline)
    part = max(getattr(across, "geoms", [across]), key=lambda g: g.length)
    centerlines = tmp_path / "centerlines.geojson"
    gpd.GeoDataFrame({"name": ["main"]}, geometry=[part], crs=truth.epsg).to_crs(4326).to_file(centerlines)
    catalog = write_local_catalog(tmp_path / "catalog.json", [(cube, truth.epsg, truth.x, truth.y)])
    args = [
        "--json",
        "run",
        str(MODEL),
        "--",
        f"GLACIERS={glaciers}",
        f"CENTERLINES={centerlines}",
        f"CATALOG={catalog}",
        "START_DATE=2018-01-01",
        "END_DATE=2021-01-01",
        "INTERVAL_DAYS=60",
        "SPACING=240",
        f"invert:Velocity={tmp_path / 'velocity.nc'}",
        f"centerline:Profile={tmp_path / 'profile.gpkg'}",
        f"centerline:Heatmap={tmp_path / 'heat.png'}",
        f"find_cubes:Cubes={tmp_path / 'cubes.gpkg'}",
    ]
    proc = qgis_process.raw(args, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-3000:]
    assert (tmp_path / "velocity.nc").exists() and (tmp_path / "heat.png").read_bytes()[:4] == b"\x89PNG"
    with sqlite3.connect(tmp_path / "profile.gpkg") as db:
        n_dates, n_points, v_max = db.execute(
            "select count(distinct date), count(distinct point_index), max(v) from profile"
        ).fetchone()
    assert n_dates == 19  # ceil(1096 days / 60)
    assert n_points == int(part.length // 240) + 1
    assert 0 < v_max < 5000
