"""One source for the defaults: the toolbox parameter, the CLI option and the core config agree, for
the inversion and GP settings that decide the product (issue 9 changed them; issue 11)."""

from __future__ import annotations

import pytest


def _cli_defaults(command: str) -> dict:
    from surface_motion.core.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._subparsers._group_actions if a.dest)  # noqa: SLF001 - argparse has no API
    return {a.dest: a.default for a in sub.choices[command]._actions}  # noqa: SLF001


@pytest.mark.parametrize(
    "key, field, option",
    [
        ("INTERVAL_DAYS", "interval_days", "interval_days"),
        ("LAMBDA", "lam", "lam"),
        ("DERIVATIVE", "derivative", "derivative"),
        ("ROBUST", "robust", "robust"),
        ("WEIGHTED", "weighted", "weighted"),
        ("MAX_ERROR_RATIO", "max_error_ratio", "max_error_ratio"),
        ("MIN_OBSERVATIONS", "min_observations", "min_observations"),
    ],
)
def test_inversion_defaults_agree(provider, key, field, option):
    from surface_motion.core.itslive.config import ItsliveInvertConfig

    api = getattr(ItsliveInvertConfig(glaciers="g.gpkg", output="v.nc"), field)
    toolbox = provider.algorithm("itslive_invert").parameterDefinition(key).defaultValue()
    cli = _cli_defaults("itslive-invert")[option]
    assert toolbox == api == cli or (api is None and toolbox is None and cli is None), (toolbox, cli, api)


@pytest.mark.parametrize("key, field", [("MODEL", "model"), ("ROBUST", "robust"), ("STEP_DAYS", "step_days")])
def test_gp_defaults_agree(provider, key, field):
    from surface_motion.core.itslive.analysis.gp_config import MODELS, GPConfig

    api = getattr(GPConfig(), field)
    toolbox = provider.algorithm("itslive_gp_regression").parameterDefinition(key).defaultValue()
    if key == "MODEL":
        toolbox = MODELS[int(toolbox)]
    assert toolbox == api, (toolbox, api)
