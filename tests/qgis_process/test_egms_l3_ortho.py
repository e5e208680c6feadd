"""Tier 3: ``qgis_process run surfacemotion:egms_l3_ortho`` end to end on synthetic bursts."""

from __future__ import annotations

import json


def test_qgis_process_writes_the_official_product_set(qgis_process, tmp_path):
    from surface_motion.core.synthetic.egms import generate

    paths, _ = generate(
        tmp_path / "in", n_per_burst=600, n_epochs=30, bounds=(4_500_000, 1_700_000, 4_502_000, 1_702_000)
    )
    out = tmp_path / "out"
    # AOI in lon/lat over the western half: reprojected in the worker, cells clipped to it
    from pyproj import Transformer

    t = Transformer.from_crs("EPSG:3035", "EPSG:4326", always_xy=True)
    ring = [
        list(t.transform(x, y))
        for x, y in (
            (4_499_900, 1_699_900),
            (4_501_000, 1_699_900),
            (4_501_000, 1_702_100),
            (4_499_900, 1_702_100),
            (4_499_900, 1_699_900),
        )
    ]
    aoi = tmp_path / "aoi.geojson"
    aoi.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {"type": "Polygon", "coordinates": [ring]},
                    }
                ],
            }
        )
    )
    res = qgis_process(
        "egms_l3_ortho", INPUTS=[str(p) for p in paths], AOI=str(aoi), OUTPUT_FOLDER=str(out), timeout=300
    )
    results = res["results"]
    assert 100 < results["CELLS"] < 300
    names = sorted(p.name for p in out.iterdir())
    for comp in ("E", "U"):
        for ext in ("zip", "tiff", "md5", "gpkg", "parquet"):
            assert f"EGMS_L3_E45N17_100km_{comp}_2020_2024_1.{ext}" in names
    import geopandas as gpd

    up = gpd.read_file(results["OUTPUT_UP"])
    assert len(up) == results["CELLS"] and up.crs.to_epsg() == 3035  # one tile: every cell once
    assert (up.geometry.x < 4_501_000).all() and up["mean_velocity"].notna().all()


def test_qgis_process_rejects_an_l3_file_as_input(qgis_process, tmp_path):
    bad = tmp_path / "EGMS_L3_E45N17_100km_U_2020_2024_1.csv"
    bad.write_text(
        "pid,easting,northing,height_ortho,rmse_ts,mean_velocity,gnss_velocity_n,20200103\n"
        "10LDTjEkDv,4597550,1739750,1.0,1.0,1.0,1.0,1.0\n"
    )
    res = qgis_process(
        "egms_l3_ortho", expect_failure=True, INPUTS=[str(bad)], OUTPUT_FOLDER=str(tmp_path / "o")
    )
    assert "L3" in res["stdout"] + res["stderr"] and "L2a/L2b" in res["stdout"] + res["stderr"]
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").iterdir())


def test_qgis_process_on_a_local_dask_cluster_matches_in_process(qgis_process, tmp_path):
    import zipfile

    from surface_motion.core.synthetic.egms import generate

    paths, _ = generate(
        tmp_path / "in", n_per_burst=300, n_epochs=20, bounds=(4_500_000, 1_700_000, 4_501_000, 1_701_000)
    )
    csv = {}
    for sched in ("", "local"):
        out = tmp_path / f"out{sched}"
        params = {"SCHEDULER": sched} if sched else {}
        qgis_process(
            "egms_l3_ortho", INPUTS=[str(p) for p in paths], OUTPUT_FOLDER=str(out), timeout=300, **params
        )
        with zipfile.ZipFile(out / "EGMS_L3_E45N17_100km_U_2020_2024_1.zip") as zf:
            csv[sched] = zf.read("EGMS_L3_E45N17_100km_U_2020_2024_1.csv")
    assert csv[""] == csv["local"] and csv[""].count(b"\n") > 50
