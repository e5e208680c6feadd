"""The ITS_LIVE analysis subcommands of ``surface-motion`` and their worker tasks."""

from __future__ import annotations

import json

import pandas as pd
from surface_motion.core.cli import main

from tests.conftest import PLUGINS, run_worker, shared_fixture


def test_find_cubes_and_gp_subcommands(tmp_path, capsys):
    aoi = tmp_path / "aoi.geojson"
    aoi.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {"type": "Point", "coordinates": [-146.9751, 61.1804]},
                    }
                ],
            }
        )
    )
    assert (
        main(
            [
                "itslive-find-cubes",
                "--aoi",
                str(aoi),
                "--catalog",
                str(shared_fixture("itslive", "catalog_v02.json")),
                "--output",
                str(tmp_path / "cubes.geojson"),
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.strip().endswith("ITS_LIVE_vel_EPSG3413_G0120_X-3150000_Y650000.zarr")
    import geopandas as gpd

    footprints = gpd.read_file(tmp_path / "cubes.geojson")
    assert len(footprints) == 1 and footprints["zarr_url"][0].endswith("_X-3150000_Y650000.zarr")
    assert footprints.crs.to_epsg() == 4326
    out = tmp_path / "gp.csv"
    assert (
        main(
            [
                "itslive-gp-regression",
                "--input",
                str(shared_fixture("itslive", "columbia_LAT61.1804--LON-146.9751.csv")),
                "--output",
                str(out),
                "--plot",
                str(tmp_path / "gp.png"),
                "--step-days",
                "30",
                "--components",
                "v,vy",
                "--start",
                "2018-01-01",
                "--end",
                "2019-01-01",
            ]
        )
        == 0
    )
    table = pd.read_csv(out)
    assert list(table.columns[:5]) == ["date", "v", "v_std", "v_lower", "v_upper"] and "vy_upper" in table
    assert len(table) == 13 and (tmp_path / "gp.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (
        main(["itslive-gp-regression", "--input", str(tmp_path / "missing.csv"), "--output", str(out)]) == 2
    )
    assert "missing.csv: file not found" in capsys.readouterr().err


def test_worker_reports_json_lines_and_errors(tmp_path):
    proc, events, _ = run_worker(
        "gp",
        {"input": str(tmp_path / "none.csv"), "config": {}},
        tmp_path,
        timeout=120,
        env={"PYTHONPATH": str(PLUGINS), "PATH": ""},
    )
    assert proc.returncode == 2 and events[-1] == {"error": "none.csv: file not found", "kind": "InputError"}
