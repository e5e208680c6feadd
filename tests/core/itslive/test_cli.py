"""``surface-motion itslive-invert`` and its worker task: same config, same product as the API."""

from __future__ import annotations

import argparse

import netCDF4
import pytest
from surface_motion.core.errors import ParameterError
from surface_motion.core.itslive.cli import add_subcommands, config_from_args
from surface_motion.core.itslive.config import ItsliveInvertConfig
from surface_motion.core.itslive.inversion.config import InversionConfig

from tests.conftest import run_worker


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="surface-motion")
    add_subcommands(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_cli_builds_the_config_and_writes_the_product(local_cube, tmp_path):
    path, truth = local_cube
    glaciers = tmp_path / "glaciers.geojson"
    truth.glaciers.to_file(glaciers, driver="GeoJSON")
    out = tmp_path / "v.nc"
    argv = [
        "itslive-invert",
        "--glaciers",
        str(glaciers),
        "--cube",
        str(path),
        "--output",
        str(out),
        "--interval-days",
        "30",
        "--derivative",
        "1",
        "--missions",
        "Sentinel-1, L8",
        "--no-robust",
        "--device",
        "cpu",
        "--quiet",
    ]
    args = parse(argv)
    assert args.func(args) == 0
    with netCDF4.Dataset(out) as ds:
        assert ds.parameter_derivative == 1 and ds.parameter_missions == "Sentinel-1, Landsat 8"
        assert ds.parameter_robust == 0 and len(ds["time"]) > 30
        assert ds.inversion_lambda > 0 and ds.inversion_lambda_selection.startswith("chosen by generalised")
    config = config_from_args(args)
    assert (
        isinstance(config, ItsliveInvertConfig)
        and config.cubes == [str(path)]
        and config.inversion.lam is None
    )
    defaults = config_from_args(parse(argv[:7]))  # only the required arguments: the API's defaults
    api = ItsliveInvertConfig(glaciers=str(glaciers), output=out, cubes=[str(path)])
    assert defaults.kernel() == api.kernel() and defaults.inversion.robust and defaults.inversion.weighted


def test_cli_refuses_bad_parameters(local_cube, tmp_path):
    path, truth = local_cube
    glaciers = tmp_path / "glaciers.geojson"
    truth.glaciers.to_file(glaciers, driver="GeoJSON")
    args = parse(
        [
            "itslive-invert",
            "--glaciers",
            str(glaciers),
            "--cube",
            str(path),
            "--output",
            str(tmp_path / "v.nc"),
            "--start",
            "2020-01-01",
            "--end",
            "2019-01-01",
            "--quiet",
        ]
    )
    with pytest.raises(ParameterError, match="START_DATE"):
        args.func(args)
    assert not (tmp_path / "v.nc").exists()


def test_worker_task_reports_json_lines(local_cube, tmp_path):
    path, truth = local_cube
    glaciers = tmp_path / "glaciers.geojson"
    truth.glaciers.to_file(glaciers, driver="GeoJSON")
    config = ItsliveInvertConfig(
        glaciers=glaciers,
        output=tmp_path / "v.nc",
        cubes=[str(path)],
        inversion=InversionConfig(interval_days=60, device="cpu"),
    )
    proc, events, result = run_worker("itslive_invert", {"config": config}, tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert any("progress" in e for e in events)
    assert result["output"] == str(tmp_path / "v.nc")
    with netCDF4.Dataset(tmp_path / "v.nc") as ds:
        assert (
            len(ds["time"]) == result["n_bins"] and int((ds["glacier_id"][:] > 0).sum()) == result["n_pixels"]
        )
