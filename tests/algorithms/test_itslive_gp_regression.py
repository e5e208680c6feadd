"""itslive_gp_regression through processing.run: a real itslive-py CSV, table + plot next to it."""

from __future__ import annotations

import time

import pytest
from qgis.core import QgsProcessingException, QgsProcessingFeedback, QgsVectorLayer

from tests.conftest import shared_fixture


def test_real_series_table_and_plot(run_algorithm, tmp_path):
    out = tmp_path / "gp.gpkg"
    result = run_algorithm(
        "itslive_gp_regression",
        {
            "INPUT": str(shared_fixture("itslive", "columbia_LAT61.1804--LON-146.9751.csv")),
            "STEP_DAYS": 10,
            "COMPONENTS": [0, 1],
            "START_DATE": "2015-01-01",
            "END_DATE": "2020-01-01",
            "PLOT_FORMAT": 1,
            "OUTPUT": str(out),
        },
    )
    assert (
        result["PLOT"] == str(tmp_path / "gp_gp.svg")
        and b"<svg" in (tmp_path / "gp_gp.svg").read_bytes()[:2000]
    )
    layer = QgsVectorLayer(str(out), "gp", "ogr")
    assert layer.isValid() and layer.featureCount() == 183  # 2015-01-01 … 2020-01-01 every 10 days
    names = {f.name() for f in layer.fields()}
    assert {"date", "v", "v_lower", "v_upper", "vx", "vx_lower", "vx_upper"} <= names
    values = [(f["v_lower"], f["v"], f["v_upper"]) for f in layer.getFeatures()]
    assert all(lo < v < hi for lo, v, hi in values)
    assert 1000 < sorted(v for _, v, _ in values)[len(values) // 2] < 4000  # Columbia: km/yr


def test_bad_csv_fails_without_output(run_algorithm, tmp_path):
    bad = tmp_path / "series.csv"
    bad.write_text("mid_date,speed\n2020-01-01,3\n")
    out = tmp_path / "gp.gpkg"
    with pytest.raises(QgsProcessingException, match=r"series\.csv: column 'v'"):
        run_algorithm("itslive_gp_regression", {"INPUT": str(bad), "OUTPUT": str(out)})
    assert not out.exists() and not (tmp_path / "gp_gp.png").exists()


class CancelAfterStart(QgsProcessingFeedback):
    """Cancels as soon as the worker reports progress (mid-fit)."""

    def setProgress(self, progress):  # noqa: N802
        super().setProgress(progress)
        if progress > 0 and not self.isCanceled():
            self.started = time.perf_counter()
            self.cancel()


def test_cancel_mid_run_is_prompt_and_writes_nothing(run_algorithm, tmp_path):
    feedback = CancelAfterStart()
    with pytest.raises(QgsProcessingException, match="cancelled"):
        run_algorithm(
            "itslive_gp_regression",
            {
                "INPUT": str(shared_fixture("itslive", "jakobshavn_LAT69.1117--LON-49.4604.csv")),
                "COMPONENTS": [0, 1, 2],
                "OUTPUT": str(tmp_path / "gp.gpkg"),
            },
            feedback=feedback,
        )
    assert time.perf_counter() - feedback.started < 5.0
    assert not list(tmp_path.iterdir())
