"""The ``egms_l3_ortho`` worker task: the config the Processing algorithm sends, JSON-line reports."""

from __future__ import annotations

import shapely
from shapely.geometry import box
from surface_motion.core.egms.config import EgmsL3Config

from tests.conftest import run_worker


def test_worker_task_runs_the_config_with_a_wkb_aoi(small_bursts, tmp_path):
    paths, _ = small_bursts
    aoi = {"wkb": [shapely.to_wkb(box(4_500_000, 1_700_000, 4_501_000, 1_702_000))], "crs": "EPSG:3035"}
    config = EgmsL3Config(
        inputs=paths,
        output_folder=tmp_path / "out",
        aoi=aoi,
        aoi_crs="EPSG:3035",
        start_date="2020-01-01",
        formats=("zip", "gpkg"),
    )
    proc, events, result = run_worker("egms_l3_ortho", {"config": config}, tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert any("progress" in e for e in events) and any("info" in e for e in events)
    products = result["products"]["E45N17"]
    assert sorted(products) == ["E_gpkg", "E_zip", "U_gpkg", "U_zip"]
    assert 0 < result["cells"]["E45N17"] <= 10 * 20  # only the western 1 km of the 2 km area
    import geopandas as gpd

    layer = gpd.read_file(products["U_gpkg"], layer=products["U_gpkg"].rsplit("/", 1)[1][:-5])
    assert len(layer) == result["cells"]["E45N17"] and layer.crs.to_epsg() == 3035
    assert (layer.geometry.x < 4_501_000).all()
