"""itslive_invert through processing.run: generated cube + glacier layer (reprojected to lon/lat),
NetCDF opened as a styled temporal mesh, GeoTIFF, and bad inputs failing without output."""

from __future__ import annotations

import numpy as np
import pytest
from qgis.core import QgsMeshLayer, QgsProcessingContext, QgsProcessingException, QgsProject, QgsRasterLayer


@pytest.fixture(scope="module")
def cube(tmp_path_factory):
    from surface_motion.core.synthetic.itslive import write_synthetic_cube

    folder = tmp_path_factory.mktemp("itslive_invert")
    truth = write_synthetic_cube(folder / "cube.zarr", nx=24, ny=24, n_pairs=200, seed=11)
    glaciers = folder / "glaciers.gpkg"
    truth.glaciers.to_crs(4326).to_file(glaciers)  # another CRS than the cube's
    return folder, truth, glaciers


def test_invert_loads_a_styled_temporal_mesh(run_algorithm, cube, tmp_path):
    folder, truth, glaciers = cube
    out, tif = tmp_path / "velocity.nc", tmp_path / "mean.tif"
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    result = run_algorithm(
        "itslive_invert",
        {
            "GLACIERS": str(glaciers),
            "CUBES": str(folder / "cube.zarr"),
            "START_DATE": "2018-01-01",
            "END_DATE": "2021-01-01",
            "INTERVAL_DAYS": 30,
            "ROBUST": True,
            "DEVICE": 1,
            "MISSIONS": [0, 1, 5, 6],
            "OUTPUT": str(out),
            "MEAN_VELOCITY": str(tif),
        },
        context=context,
    )
    assert result["OUTPUT"] == str(out) and out.exists()
    assert abs(result["N_PIXELS"] - truth.glaciers.geometry.area.sum() / 120**2) < 0.1 * result["N_PIXELS"]
    assert result["N_BINS"] == 37  # ceil(1096 / 30)
    # the mesh layer waits in the context, and its post-processor styles v
    details = context.layersToLoadOnCompletion()
    assert len(details) == 1
    layer_id, detail = next(iter(details.items()))
    layer = context.temporaryLayerStore().mapLayer(layer_id)
    assert isinstance(layer, QgsMeshLayer) and layer.isValid() and layer.providerType() == "mdal"
    # the pixel mesh beside the NetCDF: one face per glacier pixel, in the NetCDF's CRS
    assert layer.source() == result["OUTPUT_MESH"] == str(tmp_path / "velocity_pixels.nc")
    assert layer.crs().authid() == "EPSG:3413" and layer.dataProvider().faceCount() == result["N_PIXELS"]
    assert layer.temporalProperties().isActive()
    assert layer.temporalProperties().timeExtent().begin().date().year() == 2018
    detail.postProcessor().postProcessLayer(layer, context, None)
    active = layer.rendererSettings().activeScalarDatasetGroup()
    from qgis.core import QgsMeshDatasetIndex

    meta = layer.datasetGroupMetadata(QgsMeshDatasetIndex(active))
    assert meta.name() == "Velocity"  # v's long_name, less the " magnitude" MDAL's UGRID reader drops
    # the ramp spans the 2–98 % range rounded out to its step, not 0 … the absolute maximum
    scalar = layer.rendererSettings().scalarSettings(active)
    import netCDF4

    with netCDF4.Dataset(out) as ds:
        v = ds["v"][:].filled(np.nan)
    lo, hi = np.nanpercentile(v, [2, 98])
    stops = [item.value for item in scalar.colorRampShader().colorRampItemList()]
    step = stops[1] - stops[0]
    assert stops[0] <= lo < stops[0] + step and stops[-1] - step < hi <= stops[-1]
    labels = [item.label for item in scalar.colorRampShader().colorRampItemList()]
    assert all(label.replace(".", "", 1).isdigit() for label in labels)
    raster = QgsRasterLayer(str(tif), "mean")
    assert raster.isValid() and raster.crs().authid() == "EPSG:3413"
    stats = raster.dataProvider().bandStatistics(1)
    assert 100 < stats.maximumValue < 3000


@pytest.mark.parametrize(
    "params, message",
    [
        ({"START_DATE": "2020-01-01", "END_DATE": "2019-01-01"}, "START_DATE.*not before"),
        (
            {"START_DATE": "2019-01-01", "END_DATE": "2019-02-01", "INTERVAL_DAYS": 60},
            "INTERVAL_DAYS.*longer than the period",
        ),
        ({"CUBES": "/nonexistent/cube.zarr"}, "not a zarr store"),
    ],
)
def test_bad_inputs_fail_without_output(run_algorithm, cube, tmp_path, params, message):
    folder, _, glaciers = cube
    out = tmp_path / "velocity.nc"
    with pytest.raises(QgsProcessingException, match=message):
        run_algorithm(
            "itslive_invert",
            {"GLACIERS": str(glaciers), "CUBES": str(folder / "cube.zarr"), "OUTPUT": str(out), **params},
        )
    assert not out.exists()
    assert not list(tmp_path.iterdir())


def test_device_and_missions_are_passed(run_algorithm, cube, tmp_path):
    folder, _, glaciers = cube
    out = tmp_path / "s1.nc"
    run_algorithm(
        "itslive_invert",
        {
            "GLACIERS": str(glaciers),
            "CUBES": str(folder / "cube.zarr"),
            "DEVICE": 1,
            "MISSIONS": [0],
            "INTERVAL_DAYS": 24,
            "OUTPUT": str(out),
        },
    )
    import netCDF4

    with netCDF4.Dataset(out) as ds:
        assert ds.parameter_missions == "Sentinel-1" and ds.parameter_device == "cpu"
        assert ds.inversion_backend == "numpy"
        assert np.isfinite(ds["v"][:].filled(np.nan)).any()


def test_cancel_through_feedback_stops_the_worker_without_output(run_algorithm, cube, tmp_path):
    import time

    from qgis.core import QgsProcessingFeedback

    folder, _, glaciers = cube

    class CancelAtFirstBlock(QgsProcessingFeedback):
        cancelled_at = None

        def setProgressText(self, text):  # noqa: N802
            super().setProgressText(text)
            if text.startswith("Block") and self.cancelled_at is None:
                self.cancelled_at = time.perf_counter()
                self.cancel()

    feedback = CancelAtFirstBlock()
    out = tmp_path / "velocity.nc"
    with pytest.raises(QgsProcessingException, match="cancelled"):
        run_algorithm(
            "itslive_invert",
            {
                "GLACIERS": str(glaciers),
                "CUBES": str(folder / "cube.zarr"),
                "BLOCK_SIZE": 1,
                "DEVICE": 1,
                "OUTPUT": str(out),
            },
            feedback=feedback,
        )
    assert time.perf_counter() - feedback.cancelled_at < 2.0
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == [".velocity.checkpoint"]


def test_velocity_ramp_covers_the_robust_range_in_round_steps():
    from surface_motion.algorithms.layers import ramp_stops

    stops = ramp_stops(103.7, 2412.0)
    assert stops[0] <= 103.7 and stops[-1] >= 2412.0
    assert stops == [0.0, 500.0, 1000.0, 1500.0, 2000.0, 2500.0]
    assert ramp_stops(0.0, 0.0) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]  # an empty file still gets a ramp
