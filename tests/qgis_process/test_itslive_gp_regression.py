"""itslive_gp_regression through qgis_process on a real itslive-py CSV (midpoint model, PNG)."""

from __future__ import annotations

from tests.conftest import shared_fixture


def test_midpoint_model_png(qgis_process, tmp_path):
    out = tmp_path / "gp.csv"
    result = qgis_process(
        "itslive_gp_regression",
        INPUT=shared_fixture("itslive", "jakobshavn_LAT69.1117--LON-49.4604.csv"),
        MODEL=1,
        ROBUST="false",
        STEP_DAYS=30,
        OUTPUT=out,
    )["results"]
    assert result["PLOT"] == str(tmp_path / "gp_gp.png")
    assert (tmp_path / "gp_gp.png").read_bytes()[:4] == b"\x89PNG"
    header, *rows = out.read_text().splitlines()
    assert header.split(",")[:5] == ["date", "v", "v_std", "v_lower", "v_upper"]
    assert len(rows) > 400  # 1984–2022 every 30 days
