"""Pipeline: parameter/input errors (nothing written), cancellation in every stage, atomic outputs,
ATBD options, several tiles, and Dask giving the same products as the in-process run."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import box
from surface_motion.core.egms.config import EgmsL3Config
from surface_motion.core.egms.pipeline import run_egms_l3
from surface_motion.core.egms.reader import read_table
from surface_motion.core.errors import CancelledError, InputError, ParameterError
from surface_motion.core.progress import Progress

from tests.compare import assert_same_egms_products
from tests.conftest import shared_fixture


def files(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def run(paths, out, **kw):
    return run_egms_l3(EgmsL3Config(inputs=paths, output_folder=out, **kw))


@pytest.mark.parametrize(
    "kw, error, words",
    [
        ({"spacing": 0}, ParameterError, "SPACING"),
        ({"spacing": -100}, ParameterError, "SPACING"),
        ({"spacing_days": 0}, ParameterError, "SPACING_DAYS"),
        ({"start_date": "2021-01-01", "end_date": "2020-06-01"}, ParameterError, "START_DATE"),
        ({"start_date": "01/02/2020"}, ParameterError, "YYYY-MM-DD"),
        (
            {"aoi": box(4_700_000, 1_700_000, 4_710_000, 1_710_000)},
            ParameterError,
            "AOI: contains no measurement",
        ),
        (
            {"aoi": box(-100, 30, -99, 31), "aoi_crs": "EPSG:4326"},
            ParameterError,
            "outside the European area",
        ),
        (
            {"aoi": box(4_500_000, 1_700_000, 4_510_000, 1_710_000), "aoi_crs": "EPSG:4326"},
            ParameterError,
            "AOI",
        ),
        ({"remove_gnss_north": True}, ParameterError, "GNSS_MODEL"),
    ],
)
def test_bad_parameters_write_nothing(small_bursts, tmp_path, kw, error, words):
    paths, _ = small_bursts
    out = tmp_path / "out"
    with pytest.raises(error, match=words):
        run(paths, out, **kw)
    assert files(out) == []


def test_only_one_geometry_and_duplicates_are_rejected(small_bursts, tmp_path):
    paths, _ = small_bursts
    with pytest.raises(InputError, match=r"only ascending MPs.*add a descending burst"):
        run(paths[:1], tmp_path / "a")
    with pytest.raises(InputError, match="given twice"):
        run([paths[0], paths[0], paths[1]], tmp_path / "b")
    assert files(tmp_path / "a") == files(tmp_path / "b") == []


@pytest.mark.parametrize("stage", ["Reading", "Solving", "Writing", "tile"])
def test_cancel_in_each_stage_leaves_no_file(small_bursts, tmp_path, stage):
    paths, _ = small_bursts
    seen = {"hit": False}

    def on_progress(fraction, message):
        if stage in message:
            seen["hit"] = True

    progress = Progress(on_progress=on_progress, is_cancelled=lambda: seen["hit"])
    out = tmp_path / "out"
    with pytest.raises(CancelledError):
        run_egms_l3(EgmsL3Config(inputs=paths, output_folder=out), progress)
    assert seen["hit"] and files(out) == []  # no product and no hidden partial file


def test_failed_rerun_keeps_the_previous_products(small_bursts, tmp_path):
    paths, _ = small_bursts
    res = run(paths, tmp_path, formats=("zip", "md5"))
    before = {p: p.read_bytes() for p in res.paths}
    stop = Progress(on_progress=lambda f, m: None, is_cancelled=lambda: False)
    stop.is_cancelled = lambda: True
    with pytest.raises(CancelledError):
        run_egms_l3(EgmsL3Config(inputs=paths, output_folder=tmp_path, formats=("zip", "md5")), stop)
    assert {p: p.read_bytes() for p in res.paths} == before
    assert files(tmp_path) == sorted(p.name for p in res.paths)


def test_truth_recovered_and_options_run(small_bursts, tmp_path):
    paths, truth = small_bursts
    base = run(paths, tmp_path / "base", formats=("zip",))
    up = read_table(base.products["E45N17"]["U_zip"])
    err = up["mean_velocity"] - truth.up(up["easting"].to_numpy(), up["northing"].to_numpy())
    assert np.sqrt(np.mean(err**2)) < 1.0
    legacy = run(
        paths,
        tmp_path / "legacy",
        formats=("zip",),
        legacy_columns=True,
        average_per_geometry=True,
        weighting="rmse",
        min_mp_count=3,
        resampling="linear",
    )
    tab = read_table(legacy.products["E45N17"]["U_zip"])
    assert list(tab.columns[:5]) == ["pid", "easting", "northing", "height", "rmse"]
    assert "gnss_velocity_n" not in tab.columns and 0 < len(tab) < len(up)


def test_gnss_model_fills_gnss_fields(tmp_path):
    from surface_motion.core.synthetic.egms import generate

    model = shared_fixture("egms_aepnd", "EGMS_AEPND_V2022.0.csv")
    paths, _ = generate(
        tmp_path / "in", n_per_burst=300, n_epochs=30, bounds=(4_596_800, 1_739_700, 4_598_000, 1_741_000)
    )  # where the official E45N17 cells are
    res = run(paths, tmp_path / "out", formats=("zip",), gnss_model=model, remove_gnss_north=True)
    tab = read_table(res.products["E45N17"]["U_zip"])
    # V2022.0 sampled bilinearly reproduces the official gnss_velocity_e (-0.7) there (fixture README)
    assert (tab["gnss_velocity_e"] == -0.7).all() and tab["gnss_velocity_u"].between(-1.5, -1.0).all()


def test_two_tiles(tmp_path):
    from surface_motion.core.synthetic.egms import generate

    paths, _ = generate(
        tmp_path / "in",
        n_per_burst=800,
        n_epochs=30,
        n_bursts_per_geometry=2,
        bounds=(4_599_000, 1_700_000, 4_601_000, 1_701_000),
    )
    res = run(paths, tmp_path / "out", formats=("zip", "tiff", "gpkg", "parquet"))
    assert res.tiles == ["E45N17", "E46N17"] and all(n > 0 for n in res.cells.values())
    import geopandas as gpd

    for tile in res.tiles:
        tab = read_table(res.products[tile]["E_zip"])
        x0 = int(tile[1:3]) * 100_000
        assert tab["easting"].between(x0, x0 + 100_000).all()
        for fmt in ("gpkg", "parquet"):
            layer = (gpd.read_file if fmt == "gpkg" else gpd.read_parquet)(res.products[tile][f"E_{fmt}"])
            assert layer.crs.to_epsg() == 3035 and len(layer) == len(tab)
            assert np.allclose(layer.geometry.x, tab["easting"]) and list(layer.columns[:-1]) == list(
                tab.columns
            )


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_products(small_bursts, tmp_path):
    paths, _ = small_bursts
    local = run(paths, tmp_path / "local", formats=("zip", "tiff"))
    dask = run(paths, tmp_path / "dask", formats=("zip", "tiff"), scheduler="local", n_workers=2)
    assert_same_egms_products(local.products["E45N17"], dask.products["E45N17"])


def test_area_far_from_europe_is_refused(small_bursts, tmp_path):
    paths, _ = small_bursts
    with pytest.raises(ParameterError, match="outside the European area"):
        run(paths, tmp_path, aoi=box(-9e6, -9e6, -8e6, -8e6))
    assert files(tmp_path) == []


def test_layer_payload_aoi_is_reprojected(tmp_path):
    """The Processing algorithm's AOI (WKB + CRS, as the algorithm sends it): a lon/lat polygon with a
    hole, reprojected to EPSG:3035; cell centres in the hole are outside."""
    import geopandas as gpd
    import shapely
    from shapely.geometry import Polygon
    from surface_motion.core.egms.aoi import aoi_in_3035

    ring = Polygon(
        box(4_500_000, 1_700_000, 4_510_000, 1_710_000).exterior,
        [box(4_502_000, 1_702_000, 4_504_000, 1_704_000).exterior.coords],
    )
    lonlat = gpd.GeoSeries([ring], crs=3035).to_crs(4326)
    config = EgmsL3Config(
        inputs=["a.csv"],
        output_folder=tmp_path,
        aoi={"wkb": list(shapely.to_wkb(lonlat.values)), "crs": "EPSG:4326"},
        aoi_crs="EPSG:4326",
    )
    area = aoi_in_3035(config.aoi, config.aoi_crs)
    assert area.geom_type == "MultiPolygon" and np.allclose(area.bounds, ring.bounds, atol=0.01)
    inside = shapely.contains_xy(
        area, np.array([4_501_050.0, 4_503_050.0, 4_511_050.0]), np.full(3, 1_703_050.0)
    )
    assert inside.tolist() == [True, False, False]


@pytest.mark.slow
def test_dask_cancel_leaves_no_file(small_bursts, tmp_path):
    paths, _ = small_bursts
    seen = {"hit": False}
    progress = Progress(
        on_progress=lambda f, m: seen.update(hit=seen["hit"] or "Solving" in m),
        is_cancelled=lambda: seen["hit"],
    )
    with pytest.raises(CancelledError):
        run_egms_l3(
            EgmsL3Config(inputs=paths, output_folder=tmp_path, scheduler="local", n_workers=2), progress
        )
    assert files(tmp_path) == []
