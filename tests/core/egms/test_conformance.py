"""Tier 1 conformance: the official L3 Ortho E45N17 (2020–2024) rebuilt from its two L2b bursts.

Skips when ../shared/fixtures is absent. Thresholds are those of issue 3 (must-show 4).
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import shared_fixture

STATS = {
    "mean_velocity": 1,
    "mean_velocity_std": 1,
    "acceleration": 2,
    "acceleration_std": 2,
    "seasonality": 1,
    "seasonality_std": 1,
    "rmse_ts": 1,
}


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    from shapely.geometry import box
    from surface_motion.core.egms.config import EgmsL3Config
    from surface_motion.core.egms.pipeline import run_egms_l3

    inputs = sorted(shared_fixture("egms_E45N17", "input").glob("*.zip"))
    out = tmp_path_factory.mktemp("egms_conformance")
    cfg = EgmsL3Config(
        inputs=inputs,
        output_folder=out,
        aoi=box(4_500_000, 1_700_000, 4_600_000, 1_800_000),
        formats=("zip", "tiff", "md5"),
    )
    return run_egms_l3(cfg)


def _tables(rebuilt, comp):
    from surface_motion.core.egms.reader import read_table

    official = read_table(
        shared_fixture("egms_E45N17", "expected", f"EGMS_L3_E45N17_100km_{comp}_2020_2024_1.zip")
    )
    mine = read_table(rebuilt.products["E45N17"][f"{comp}_zip"])
    return official, mine


@pytest.mark.parametrize("comp", ["E", "U"])
def test_same_cells_ids_and_static_fields(rebuilt, comp):
    official, mine = _tables(rebuilt, comp)
    assert len(mine) == len(official) == 522
    assert list(mine.columns) == list(official.columns)
    for col in ("pid", "easting", "northing", "height_ortho"):
        assert (mine[col].to_numpy() == official[col].to_numpy()).all(), col


@pytest.mark.parametrize("comp", ["E", "U"])
def test_statistics_equal_at_file_precision(rebuilt, comp):
    official, mine = _tables(rebuilt, comp)
    for col, dec in STATS.items():
        diff = np.abs(mine[col].to_numpy() - official[col].to_numpy())
        unit = 10.0**-dec
        assert diff.max() <= unit * 1.0001, (col, diff.max())
        assert np.mean(diff < unit / 2) >= 0.99, (col, np.mean(diff < unit / 2))


@pytest.mark.parametrize("comp", ["E", "U"])
def test_time_series_equal(rebuilt, comp):
    official, mine = _tables(rebuilt, comp)
    dates = [c for c in official.columns if c.isdigit()]
    assert len(dates) == 304 and dates[0] == "20200103" and dates[-1] == "20241225"
    diff = np.abs(mine[dates].to_numpy() - official[dates].to_numpy())
    assert diff.max() <= 0.1 + 1e-9
    assert np.mean(diff < 0.05) >= 0.97, np.mean(diff < 0.05)


@pytest.mark.parametrize("comp", ["E", "U"])
def test_geotiff_pixels_and_georeferencing(rebuilt, comp):
    gdal = pytest.importorskip("osgeo.gdal")
    ref = gdal.Open(
        str(shared_fixture("egms_E45N17", "expected", f"EGMS_L3_E45N17_100km_{comp}_2020_2024_1.tiff"))
    )
    new = gdal.Open(str(rebuilt.products["E45N17"][f"{comp}_tiff"]))
    assert (new.RasterXSize, new.RasterYSize) == (ref.RasterXSize, ref.RasterYSize) == (1000, 1000)
    assert new.GetGeoTransform() == ref.GetGeoTransform()
    assert new.GetSpatialRef().IsSame(ref.GetSpatialRef())
    rb, nb = ref.GetRasterBand(1), new.GetRasterBand(1)
    assert nb.GetNoDataValue() == rb.GetNoDataValue() == -9999
    assert nb.DataType == rb.DataType == gdal.GDT_Float32
    assert new.GetMetadataItem("AREA_OR_POINT") == "Area"
    a, b = rb.ReadAsArray(), nb.ReadAsArray()
    has = a != -9999
    assert ((b != -9999) == has).all()
    assert np.mean(a[has] == b[has]) >= 0.99
    # each product's pixel is its own CSV's mean_velocity at the cell's position
    x0, dx, _, y0, _, dy = new.GetGeoTransform()
    for raster, table in zip((a, b), _tables(rebuilt, comp), strict=True):
        col = ((table["easting"].to_numpy() - x0) // dx).astype(int)
        row = ((table["northing"].to_numpy() - y0) // dy).astype(int)
        np.testing.assert_allclose(raster[row, col], table["mean_velocity"], atol=0.05 + 1e-6)
        assert has.sum() == len(table)


def test_md5_and_zip_layout(rebuilt):
    import hashlib
    import zipfile

    for comp in ("E", "U"):
        p = rebuilt.products["E45N17"]
        zpath = p[f"{comp}_zip"]
        digest, name = p[f"{comp}_md5"].read_text().split()
        assert name == zpath.name and digest == hashlib.md5(zpath.read_bytes()).hexdigest()
        stem = zpath.name[:-4]
        with zipfile.ZipFile(zpath) as zf:
            assert zf.namelist() == [f"{stem}.xml", f"{stem}.csv"]
            xml = zf.read(f"{stem}.xml").decode()
        assert (
            xml.startswith("<?xml version='1.0' encoding='UTF-8'?>\n<TILE>")
            and "<version>2.0</version>" in xml
        )
