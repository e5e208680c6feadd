"""itslive_centerline_profile through qgis_process: lines in lon/lat on a generated inversion NetCDF."""

from __future__ import annotations

import sqlite3

from tests.core.itslive.analysis.test_centerline import _line, write_inversion


def test_profile_gpkg_and_svg_heatmap(qgis_process, tmp_path):
    nc = write_inversion(tmp_path / "inv.nc")
    lines = tmp_path / "lines.geojson"
    _line(crs=4326).to_file(lines)
    out = tmp_path / "profile.gpkg"
    result = qgis_process(
        "itslive_centerline_profile",
        LINES=lines,
        LINE_ID="line_id",
        INVERSION=nc,
        SPACING=300,
        OUTPUT=out,
        HEATMAP=tmp_path / "heat.svg",
    )["results"]
    assert result["HEATMAP"] == str(tmp_path / "heat.svg") and (tmp_path / "heat.svg").stat().st_size > 1000
    with sqlite3.connect(out) as db:
        count, ids = db.execute("select count(*), group_concat(distinct line_id) from profile").fetchone()
        style = db.execute("select styleQML from layer_styles where useAsDefault").fetchone()[0]
    assert ids == "A" and count == 3 * (((48 * 120) // 300) + 1)
    assert 'startField="date"' in style and 'enabled="1"' in style
