"""The field metadata of the configs (``core/params.py``): the CLI options built from it, the range checks
and the nested inversion settings travelling to the worker."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import pytest
from surface_motion.core.errors import ParameterError
from surface_motion.core.itslive.config import ItsliveInvertConfig
from surface_motion.core.itslive.inversion.config import InversionConfig
from surface_motion.core.params import add_option, check_ranges, param, values
from surface_motion.core.ranges import BLOCK_SIZE


@dataclass
class Example:
    path: str = param(help="where")
    size: int | None = param(None, "block side", allowed=BLOCK_SIZE)
    mode: str = param("a", "mode", choices=("a", "b"))
    fast: bool = param(True, "go fast")
    items: tuple[str, ...] = param(("x",), "items")
    other: int = 0  # no metadata: not an option


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    for name in ("path", "size", "mode", "fast", "items"):
        add_option(parser, Example, name)
    return parser.parse_args(argv)


def test_options_take_default_type_choices_and_help_from_the_field():
    args = parse(["--path", "p"])
    assert values(Example, args) == {"path": "p", "size": None, "mode": "a", "fast": True, "items": ("x",)}
    args = parse(["--path", "p", "--size", "7", "--mode", "b", "--no-fast", "--items", "y, z;w"])
    assert Example(**values(Example, args)) == Example("p", 7, "b", False, ("y", "z", "w"))
    with pytest.raises(SystemExit):
        parse([])  # --path has no default: required
    with pytest.raises(SystemExit):
        parse(["--path", "p", "--mode", "c"])
    parser = argparse.ArgumentParser()
    add_option(parser, Example, "size")
    assert "block side [1…10,000 pixels]" in parser.format_help()


def test_ranges_are_checked_under_the_processing_key():
    check_ranges(Example("p", None))  # not set: nothing to check
    with pytest.raises(ParameterError, match="BLOCK_SIZE"):
        check_ranges(Example("p", 0))


def test_inversion_settings_are_nested_in_the_config():
    config = ItsliveInvertConfig(
        glaciers="g.gpkg", output="v.nc", inversion=InversionConfig(interval_days=6, device="CPU")
    )
    assert config.inversion.interval_days == 6.0 and type(config.inversion.interval_days) is float
    assert config.inversion.device == "cpu" and config.kernel().backend == "numpy"
    provenance = config.provenance()
    assert provenance["parameter_interval_days"] == 6.0 and provenance["parameter_device"] == "cpu"
    assert "parameter_backend" not in provenance and "parameter_inversion" not in provenance
    with pytest.raises(ParameterError, match="INTERVAL_DAYS"):
        ItsliveInvertConfig(
            glaciers="g", output="v.nc", inversion=InversionConfig(interval_days=0.5)
        ).validate()
