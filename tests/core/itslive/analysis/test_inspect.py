"""The inspector's pixel tasks: the raw pairs behind one inverted pixel, their robust factor, a GP of them."""

from __future__ import annotations

import numpy as np
import pytest
from surface_motion.core.errors import InputError
from surface_motion.core.itslive.analysis.inspect import read_run, task_pixel_gp, task_pixel_pairs
from surface_motion.core.itslive.config import ItsliveInvertConfig
from surface_motion.core.itslive.inversion.config import InversionConfig
from surface_motion.core.itslive.pipeline import run_itslive_invert
from surface_motion.core.synthetic.itslive import write_synthetic_cube


@pytest.fixture(scope="module")
def run(tmp_path_factory):  # the run's mission filter must be applied again when re-reading
    folder = tmp_path_factory.mktemp("inspect")
    truth = write_synthetic_cube(folder / "cube.zarr", nx=20, ny=20, n_pairs=160, seed=5)
    truth.glaciers.to_file(folder / "glaciers.gpkg")
    out = folder / "velocity.nc"
    run_itslive_invert(
        ItsliveInvertConfig(
            glaciers=str(folder / "glaciers.gpkg"),
            output=out,
            cubes=[str(folder / "cube.zarr")],
            inversion=InversionConfig(interval_days=30, robust=True, device="cpu"),
            missions=("Sentinel-1", "Sentinel-2", "Landsat 8"),
        )
    )
    return out, truth


def _glacier_pixel(netcdf):
    import netCDF4

    with netCDF4.Dataset(netcdf) as ds:
        rows, cols = np.nonzero(ds["glacier_id"][:] > 0)
        k = len(rows) // 2
        return int(rows[k]), int(cols[k]), ds["vx"][:, rows[k], cols[k]].filled(np.nan)


def test_pixel_pairs_reproduce_the_run_and_carry_robust_weights(run):
    netcdf, truth = run
    row, col, vx_file = _glacier_pixel(netcdf)
    grid = read_run(netcdf)
    # a click a third of a pixel off the centre still picks that pixel
    out = task_pixel_pairs(str(netcdf), grid["x"][col] + 40.0, grid["y"][row] - 40.0)
    assert (out["row"], out["col"]) == (row, col)
    table = out["table"]
    assert 0 < len(table) <= len(truth.layers)
    assert (table["img1"] < table["img2"]).all() and np.allclose(
        table["v"], np.hypot(table["vx"], table["vy"])
    )
    # re-inverting the pixel gives the NetCDF's series (same pairs, same settings)
    np.testing.assert_allclose(out["vx"], vx_file, rtol=1e-4, atol=1e-2)
    # robust: factors in [0, 1], the injected outliers (±500–3000 m/yr) among the rejected ones
    assert table["weight"].between(0, 1).all() and (table["weight"] < 0.5).any()


def test_pixel_outside_the_grid_is_refused(run):
    netcdf, _ = run
    with pytest.raises(InputError, match="outside the inversion grid"):
        task_pixel_pairs(str(netcdf), 0.0, 0.0)


def test_pixel_gp_band_contains_its_mean(run):
    netcdf, _ = run
    row, col, _ = _glacier_pixel(netcdf)
    grid = read_run(netcdf)
    pairs = task_pixel_pairs(str(netcdf), grid["x"][col], grid["y"][row])["table"]
    gp = task_pixel_gp(pairs, ("v",), step_days=10.0)["table"]
    assert list(gp.columns) == ["date", "v", "v_std", "v_lower", "v_upper"]
    assert (gp["v_lower"] <= gp["v"]).all() and (gp["v"] <= gp["v_upper"]).all()
    assert 0.5 * pairs["v"].median() < gp["v"].median() < 2 * pairs["v"].median()
