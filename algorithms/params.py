"""Processing parameters built from the core configs' fields, and the groups of them that several
algorithms share (as 3liz/QuickOSM's ``params.py``).

Default, options, range and help come from the field's metadata (``core/params.py``): the toolbox
offers what the CLI and the Python API offer. Keys, defaults and option order are what users'
models and ``qgis_process`` calls hold (enum parameters take option indices on QGIS 3.22): they
must not change. Only numpy-free config modules are imported here (the provider loads without
the scientific packages).
"""

from __future__ import annotations

from qgis.core import (
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from ..core.compute_options import ComputeOptions
from ..core.itslive.analysis.config import COMPONENTS, MODELS, PLOT_FORMATS, GPConfig
from ..core.itslive.selection import MISSIONS, CubeSource, PairFilters, PairSeparation
from ..core.params import default, spec
from .compat import set_advanced

# ------------------------------------------------------------------------------------------------
# one parameter from one config field


def number(cls, name: str, label: str, key: str | None = None) -> QgsProcessingParameterNumber:
    """The number parameter of field ``name`` of ``cls``: key (the range's unless ``key``), default
    (None: optional), minimum, maximum and the decimals the widget shows (``100``, not ``100.000000``)."""
    spec_, value = spec(cls, name), default(cls, name)
    allowed = spec_.allowed
    kind = QgsProcessingParameterNumber.Integer if allowed.integer else QgsProcessingParameterNumber.Double
    param = QgsProcessingParameterNumber(
        key or allowed.key,
        f"{label} [{allowed.describe()}]",
        kind,
        value,
        value is None,
        allowed.minimum,
        allowed.maximum,
    )
    # the unit and hint travel with the parameter for the range message of checkParameterValues
    param.setMetadata(
        {"widget_wrapper": {"decimals": allowed.decimals}, "unit": allowed.unit, "hint": allowed.hint}
    )
    return _helped(param, cls, name)


def boolean(cls, name: str, key: str, label: str) -> QgsProcessingParameterBoolean:
    return _helped(QgsProcessingParameterBoolean(key, label, defaultValue=default(cls, name)), cls, name)


def enum(
    cls, name: str, key: str, label: str, labels: dict | None = None, optional: bool = False
) -> QgsProcessingParameterEnum:
    """The choice among the field's ``choices`` (shown as ``labels[choice]`` when given), in their order;
    a tuple field takes several."""
    choices, value = spec(cls, name).choices, default(cls, name)
    multiple = isinstance(value, tuple)
    param = QgsProcessingParameterEnum(
        key,
        label,
        options=[labels[c] for c in choices] if labels else [str(c) for c in choices],
        allowMultiple=multiple,
        defaultValue=([choices.index(c) for c in value] or None) if multiple else choices.index(value),
        optional=optional,
    )
    return _helped(param, cls, name)


def text(cls, name: str, key: str, label: str, optional: bool = True, multiline: bool = False):
    """A text parameter (an empty default, e.g. no cube, shows as an empty field)."""
    param = QgsProcessingParameterString(
        key, label, defaultValue=default(cls, name) or None, multiLine=multiline, optional=optional
    )
    return _helped(param, cls, name)


def _helped(param, cls, name: str):
    """The field's help as the parameter's tooltip."""
    param.setHelp(spec(cls, name).describe())
    return param


# ------------------------------------------------------------------------------------------------
# groups


def scheduler_parameter() -> QgsProcessingParameterString:
    return text(
        ComputeOptions,
        "scheduler",
        "SCHEDULER",
        "Dask scheduler (empty: this process; 'local': a local cluster; or tcp://host:port)",
    )


def catalog_parameter(optional: bool = True) -> QgsProcessingParameterString:
    return text(CubeSource, "catalog", "CATALOG", "Catalog (URL or GeoJSON file)", optional=optional)


def add_cube_source(alg) -> None:
    """CUBES and CATALOG (:class:`CubeSource`)."""
    alg.addParameter(
        text(
            CubeSource,
            "cubes",
            "CUBES",
            "Cubes (URLs or folders, one per line; empty: from the catalog)",
            multiline=True,
        )
    )
    alg.addParameter(catalog_parameter())


def cube_source(alg, parameters, context) -> dict:
    """The :class:`CubeSource` fields from :func:`add_cube_source`'s parameters (catalog None: the official one)."""
    return {
        "cubes": alg.text_list(parameters, "CUBES", context),
        "catalog": alg.parameterAsString(parameters, "CATALOG", context).strip() or None,
    }


def add_separation(alg, advanced: bool = False) -> None:
    """MIN_DATE_DT and MAX_DATE_DT (:class:`PairSeparation`)."""
    for name, label in (
        ("min_dt", "Minimum pair separation date_dt"),
        ("max_dt", "Maximum pair separation date_dt"),
    ):
        param = number(PairSeparation, name, label)
        alg.addParameter(set_advanced(param) if advanced else param)


def separation(alg, parameters, context) -> dict:
    return {
        "min_dt": alg.optional_double(parameters, "MIN_DATE_DT", context),
        "max_dt": alg.optional_double(parameters, "MAX_DATE_DT", context),
    }


def add_pair_filters(alg, advanced_separation: bool = False) -> None:
    """MISSIONS, START_DATE, END_DATE and the separation (:class:`PairFilters`)."""
    alg.addParameter(enum(PairFilters, "missions", "MISSIONS", "Missions (none: all)", optional=True))
    alg.addParameter(text(PairFilters, "start", "START_DATE", "Start date (YYYY-MM-DD)"))
    alg.addParameter(text(PairFilters, "end", "END_DATE", "End date (YYYY-MM-DD)"))
    add_separation(alg, advanced_separation)


def pair_filters(alg, parameters, context) -> dict:
    """The :class:`PairFilters` fields from :func:`add_pair_filters`'s parameters."""
    return {
        "missions": tuple(MISSIONS[i] for i in alg.optional_enums(parameters, "MISSIONS", context)),
        "start": alg.parameterAsString(parameters, "START_DATE", context).strip() or None,
        "end": alg.parameterAsString(parameters, "END_DATE", context).strip() or None,
        **separation(alg, parameters, context),
    }


# ------------------------------------------------------------------------------------------------
# GP regression (its own algorithm, and an option of the point series)

GP_MODEL_LABELS = {
    "interval": "Interval mean: each pair = mean velocity over [img1, img2]",
    "midpoint": "Mid-date point: each pair = velocity at its mid_date (ITS_LIVE_TOOL's model)",
}

GP_HELP = (
    "<p><b>GP model</b>: the kernel is Matérn-3/2 + 1-year periodic + white noise (ITS_LIVE_TOOL's), "
    "hyperparameters by maximising the marginal likelihood. <i>Interval mean</i> (default) treats "
    "each pair as the mean of the latent velocity over its two acquisition dates, which is what a pair "
    "measures; <i>Mid-date point</i> treats it as a sample at its mid_date, which smears long pairs. "
    "The Matérn term's amplitude varies in time (learned): high around a surge, low where the velocity "
    "follows its seasonal cycle, so that gaps (polar night) do not swing. Per-pair noise = (fitted scale × "
    "stated error)² + a learned extra noise; the speed's error is projected from the vx/vy errors. "
    "<b>Robust</b> (default) rejects outlying pairs with a Tukey biweight on standardised residuals (first "
    "pass on pairs ≤ 180 days), blocks of bad pairs included.</p>"
    "<p>Output table: <code>date, v, v_std, v_lower, v_upper</code> (lower/upper = mean ∓ 2σ, m/yr) and "
    "the same for vx/vy when chosen; the plot (PNG or SVG, written next to the table) shows each pair "
    "as a horizontal bar over its interval, the GP mean and the ±2σ band.</p>"
)


def add_gp_parameters(alg, prefix: str = "", advanced: bool = False) -> None:
    """The GP parameters (model, robust, step, components, plot format, extrapolation) of
    :class:`GPConfig`, keys prefixed by ``prefix``."""
    params = [
        enum(GPConfig, "model", f"{prefix}MODEL", "GP observation model", labels=GP_MODEL_LABELS),
        boolean(GPConfig, "robust", f"{prefix}ROBUST", "Robust (reject outlying pairs)"),
        number(GPConfig, "step_days", "Output step", key=f"{prefix}STEP_DAYS"),
        enum(GPConfig, "components", f"{prefix}COMPONENTS", "Components"),
        QgsProcessingParameterEnum(
            f"{prefix}PLOT_FORMAT", "Plot format", options=list(PLOT_FORMATS), defaultValue=0
        ),
        set_advanced(
            boolean(
                GPConfig,
                "extrapolate",
                f"{prefix}EXTRAPOLATE",
                "Allow output dates beyond the pairs (extrapolated by the prior)",
            )
        ),
    ]
    for param in params:
        alg.addParameter(set_advanced(param) if advanced else param)


def gp_config(alg, parameters, context, prefix: str = "", **more) -> GPConfig:
    """The GPConfig from :func:`add_gp_parameters`'s parameters; ``more``: its other fields."""
    model = MODELS[alg.parameterAsEnum(parameters, f"{prefix}MODEL", context)]
    components = tuple(
        COMPONENTS[i] for i in alg.parameterAsEnums(parameters, f"{prefix}COMPONENTS", context)
    )
    return GPConfig(
        model=model,
        robust=alg.parameterAsBool(parameters, f"{prefix}ROBUST", context),
        step_days=alg.parameterAsDouble(parameters, f"{prefix}STEP_DAYS", context),
        components=components or GPConfig.components,
        extrapolate=alg.parameterAsBool(parameters, f"{prefix}EXTRAPOLATE", context),
        **more,
    )


def plot_format(alg, parameters, context, prefix: str = "") -> str:
    return PLOT_FORMATS[alg.parameterAsEnum(parameters, f"{prefix}PLOT_FORMAT", context)]
