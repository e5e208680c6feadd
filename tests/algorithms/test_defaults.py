"""One source for every parameter (issue 11): for each algorithm, every parameter that has a config field
has the same default in the toolbox, on the command line and in the Python API (the config dataclass),
the same options in the same order, and is required in all three or in none."""

from __future__ import annotations

import dataclasses

import pytest
from qgis.core import QgsProcessingParameterDefinition, QgsProcessingParameterEnum
from surface_motion.core.egms.config import EgmsL3Config
from surface_motion.core.itslive.analysis.config import CenterlineConfig, GPConfig, PointSeriesConfig
from surface_motion.core.itslive.config import ItsliveInvertConfig
from surface_motion.core.itslive.selection import CubeSource

SELECTION = {
    "CUBES": "cubes",
    "CATALOG": "catalog",
    "MISSIONS": "missions",
    "START_DATE": "start",
    "END_DATE": "end",
    "MIN_DATE_DT": "min_dt",
    "MAX_DATE_DT": "max_dt",
}
GP = {
    "MODEL": "model",
    "ROBUST": "robust",
    "STEP_DAYS": "step_days",
    "COMPONENTS": "components",
    "EXTRAPOLATE": "extrapolate",
}

#: algorithm → (CLI subcommand, config class, {Processing key: field path}, keys without a config field)
ALGORITHMS = {
    "egms_l3_ortho": (
        "egms-l3-ortho",
        EgmsL3Config,
        {
            "INPUTS": "inputs",
            "AOI": "aoi",
            "START_DATE": "start_date",
            "END_DATE": "end_date",
            "SPACING": "spacing",
            "SPACING_DAYS": "spacing_days",
            "MAX_GAP_DAYS": "max_gap_days",
            "RESAMPLING": "resampling",
            "GNSS_MODEL": "gnss_model",
            "SCHEDULER": "scheduler",
            "MIN_MP_COUNT": "min_mp_count",
            "REMOVE_GNSS_NORTH": "remove_gnss_north",
            "AVERAGE_PER_GEOMETRY": "average_per_geometry",
            "WEIGHTING": "weighting",
            "LEGACY_COLUMNS": "legacy_columns",
            "OUTPUT_FOLDER": "output_folder",
        },
        set(),
    ),
    "itslive_invert": (
        "itslive-invert",
        ItsliveInvertConfig,
        {
            "GLACIERS": "glaciers",
            **SELECTION,
            "INTERVAL_DAYS": "inversion.interval_days",
            "LAMBDA": "inversion.lam",
            "DERIVATIVE": "inversion.derivative",
            "ROBUST": "inversion.robust",
            "DEVICE": "inversion.device",
            "SCHEDULER": "scheduler",
            "OUTPUT": "output",
            "WEIGHTED": "inversion.weighted",
            "MAX_ERROR_RATIO": "inversion.max_error_ratio",
            "MIN_OBSERVATIONS": "inversion.min_observations",
            "BLOCK_SIZE": "block_size",
            "MEAN_VELOCITY": "geotiff",
        },
        set(),
    ),
    "itslive_point_series": (
        "itslive-point-series",
        PointSeriesConfig,
        {**SELECTION, "NEIGHBORHOOD": "neighborhood"},
        {"POINTS", "POINT_ID", "GP", "GP_PLOT_FORMAT", "OUTPUT", "CSV", "GP_OUTPUT"},
    ),
    "itslive_gp_regression": (
        "itslive-gp-regression",
        GPConfig,
        {**GP, "START_DATE": "start", "END_DATE": "end", "MIN_DATE_DT": "min_dt", "MAX_DATE_DT": "max_dt"},
        {"INPUT", "PLOT_FORMAT", "OUTPUT"},
    ),
    "itslive_centerline_profile": (
        "itslive-centerline-profile",
        CenterlineConfig,
        {"LINE_ID": "id_field", "INVERSION": "netcdf", "SPACING": "spacing"},
        {"LINES", "OUTPUT", "HEATMAP"},
    ),
    "itslive_find_cubes": ("itslive-find-cubes", CubeSource, {"CATALOG": "catalog"}, {"AOI", "OUTPUT"}),
}
#: the point series' GP options are GPConfig's, their keys prefixed
POINT_SERIES_GP = {f"GP_{key}": path for key, path in GP.items()}

#: the options of every choice parameter in the order of their indices (``qgis_process`` and saved models
#: give indices: this order must not change), and the labels the toolbox shows when not the values
OPTIONS = {
    "RESAMPLING": ("nearest", "linear"),
    "WEIGHTING": ("none", "rmse"),
    "MISSIONS": ("Sentinel-1", "Sentinel-2", "Landsat 4", "Landsat 5", "Landsat 7", "Landsat 8", "Landsat 9"),
    "DEVICE": ("auto", "cpu", "cuda"),
    "NEIGHBORHOOD": (1, 3),
    "MODEL": ("interval", "midpoint"),
    "COMPONENTS": ("v", "vx", "vy"),
}
LABELS = {
    "NEIGHBORHOOD": ("1: the pixel under the point", "3: median of the 3×3 window"),
    "MODEL": (
        "Interval mean: each pair = mean velocity over [img1, img2]",
        "Mid-date point: each pair = velocity at its mid_date (ITS_LIVE_TOOL's model)",
    ),
}
REQUIRED = dataclasses.MISSING


def _cases():
    for alg, (command, cls, keys, _) in ALGORITHMS.items():
        prefixed = POINT_SERIES_GP if alg == "itslive_point_series" else {}
        for key, path in {**keys, **prefixed}.items():
            yield pytest.param(
                alg, command, GPConfig if key in prefixed else cls, key, path, id=f"{alg}:{key}"
            )


def _field(cls, path: str) -> tuple[dataclasses.Field, object]:
    """The dataclass field at ``path`` (``inversion.lam``: through the nested config's default) and its
    default as the API gives it (REQUIRED for a field without one)."""
    *parents, name = path.split(".")
    for parent in parents:
        cls = type(_default(_fields(cls)[parent]))
    field = _fields(cls)[name]
    return field, _default(field)


def _fields(cls) -> dict:
    return {f.name: f for f in dataclasses.fields(cls)}


def _default(field: dataclasses.Field):
    return field.default_factory() if field.default_factory is not dataclasses.MISSING else field.default


def _cli(command: str) -> dict:
    from surface_motion.core.cli import build_parser

    parser = build_parser()
    # argparse has no API for its subcommands' actions
    sub = next(a for a in parser._subparsers._group_actions if a.dest)
    return {a.dest: a for a in sub.choices[command]._actions}


def _same(value):
    """Empty (None, '', no item) as None, lists as tuples: how the three sources spell "nothing"."""
    if isinstance(value, list):
        value = tuple(value)
    return None if value in (None, "", ()) else value


@pytest.mark.parametrize("alg, command, cls, key, path", list(_cases()))
def test_toolbox_cli_and_api_agree(provider, alg, command, cls, key, path):
    field, api = _field(cls, path)
    definition = provider.algorithm(alg).parameterDefinition(key)
    option = _cli(command)[field.name]
    toolbox = definition.defaultValue()
    optional = bool(definition.flags() & QgsProcessingParameterDefinition.FlagOptional)
    if api is REQUIRED:
        assert toolbox is None and not optional and option.required, (toolbox, optional, option.required)
        return
    assert not option.required
    if isinstance(definition, QgsProcessingParameterEnum):
        choices = OPTIONS[key.removeprefix("GP_")]
        assert field.metadata["surface_motion"].choices == choices
        assert definition.options() == list(LABELS.get(key.removeprefix("GP_"), map(str, choices)))
        if isinstance(api, tuple):  # several options: no argparse choices, a list of values
            toolbox = tuple(choices[i] for i in toolbox or ())
        else:
            assert tuple(option.choices) == choices
            toolbox = choices[int(toolbox)]
    assert _same(toolbox) == _same(option.default) == _same(api), (toolbox, option.default, api)


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_every_parameter_is_checked(provider, alg):
    """A new parameter must say which config field it sets (or that it has none)."""
    _, _, keys, without = ALGORITHMS[alg]
    if alg == "itslive_point_series":
        keys = {**keys, **POINT_SERIES_GP}
    names = {d.name() for d in provider.algorithm(alg).parameterDefinitions()}
    assert names == set(keys) | without, names ^ (set(keys) | without)
