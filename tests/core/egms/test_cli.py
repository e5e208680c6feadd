"""``core/egms/cli.py`` worker mode: the JSON config the Processing algorithm writes, JSON-line reports."""

from __future__ import annotations

import json
import subprocess
import sys

import shapely
from shapely.geometry import box
from surface_motion.core.egms.config import EgmsL3Config

from tests.conftest import PLUGINS


def test_worker_mode_runs_the_json_config_with_a_wkb_aoi(small_bursts, tmp_path):
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
    assert EgmsL3Config.from_json(config.to_json()).start_date == config.start_date
    (tmp_path / "config.json").write_text(config.to_json())
    proc = subprocess.run(
        [sys.executable, "-m", "surface_motion.core.egms.cli", "--worker", str(tmp_path / "config.json")],
        capture_output=True,
        text=True,
        cwd=PLUGINS,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    assert any("progress" in e for e in events) and any("info" in e for e in events)
    result = events[-1]["result"]
    products = result["products"]["E45N17"]
    assert sorted(products) == ["E_gpkg", "E_zip", "U_gpkg", "U_zip"]
    assert 0 < result["cells"]["E45N17"] <= 10 * 20  # only the western 1 km of the 2 km area
    import geopandas as gpd

    layer = gpd.read_file(products["U_gpkg"], layer=products["U_gpkg"].rsplit("/", 1)[1][:-5])
    assert len(layer) == result["cells"]["E45N17"] and layer.crs.to_epsg() == 3035
    assert (layer.geometry.x < 4_501_000).all()
