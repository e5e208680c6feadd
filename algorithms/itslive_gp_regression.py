"""surfacemotion:itslive_gp_regression — Gaussian-process regression of a point series on disk."""

from __future__ import annotations

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessing,
    QgsProcessingOutputFile,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFile,
    QgsProcessingParameterString,
    QgsWkbTypes,
)

from ..core.ranges import GP_STEP_DAYS, MAX_DATE_DT, MIN_DATE_DT
from .base import SurfaceMotionAlgorithm, number_parameter
from .compat import set_advanced

GP_MODELS = ("interval", "midpoint")
GP_MODEL_LABELS = (
    "Interval mean: each pair = mean velocity over [img1, img2]",
    "Mid-date point: each pair = velocity at its mid_date (the seed's model)",
)
COMPONENTS = ("v", "vx", "vy")
PLOT_FORMATS = ("png", "svg")

GP_HELP = (
    "<p><b>GP model</b>: the kernel is Matérn-3/2 + 1-year periodic + white noise (the ITS_LIVE_TOOL "
    "seed's), hyperparameters by maximising the marginal likelihood. <i>Interval mean</i> (default) treats "
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
    """The GP parameters (model, robust, step, components, plot format), keys prefixed by ``prefix``;
    their defaults are the core GPConfig's."""
    from ..core.itslive.analysis.gp_config import GPConfig

    defaults = GPConfig()
    params = [
        QgsProcessingParameterEnum(
            f"{prefix}MODEL",
            "GP observation model",
            options=list(GP_MODEL_LABELS),
            defaultValue=GP_MODELS.index(defaults.model),
        ),
        QgsProcessingParameterBoolean(
            f"{prefix}ROBUST", "Robust (reject outlying pairs)", defaultValue=defaults.robust
        ),
        number_parameter(GP_STEP_DAYS, "Output step", defaults.step_days, key=f"{prefix}STEP_DAYS"),
        QgsProcessingParameterEnum(
            f"{prefix}COMPONENTS",
            "Components",
            options=list(COMPONENTS),
            allowMultiple=True,
            defaultValue=[COMPONENTS.index(c) for c in defaults.components],
        ),
        QgsProcessingParameterEnum(
            f"{prefix}PLOT_FORMAT", "Plot format", options=list(PLOT_FORMATS), defaultValue=0
        ),
        set_advanced(
            QgsProcessingParameterBoolean(
                f"{prefix}EXTRAPOLATE",
                "Allow output dates beyond the pairs (extrapolated by the prior)",
                defaultValue=False,
            )
        ),
    ]
    for param in params:
        alg.addParameter(set_advanced(param) if advanced else param)


def gp_config(alg, parameters, context, prefix: str = "", start=None, end=None):
    """The core GPConfig from the parameters added by :func:`add_gp_parameters`."""
    from ..core.itslive.analysis.gp import GPConfig

    components = tuple(
        COMPONENTS[i] for i in alg.parameterAsEnums(parameters, f"{prefix}COMPONENTS", context)
    )
    return GPConfig(
        model=GP_MODELS[alg.parameterAsEnum(parameters, f"{prefix}MODEL", context)],
        robust=alg.parameterAsBool(parameters, f"{prefix}ROBUST", context),
        step_days=alg.parameterAsDouble(parameters, f"{prefix}STEP_DAYS", context),
        components=components or ("v",),
        start=start,
        end=end,
        extrapolate=alg.parameterAsBool(parameters, f"{prefix}EXTRAPOLATE", context),
    )


def plot_format(alg, parameters, context, prefix: str = "") -> str:
    return PLOT_FORMATS[alg.parameterAsEnum(parameters, f"{prefix}PLOT_FORMAT", context)]


def write_gp_outputs(
    alg, parameters, context, feedback, table, plot_tmp: str | None, output_key: str, fmt: str
) -> tuple[str, str | None]:
    """Write the GP table into the ``output_key`` sink and move the plot (written by the worker to a
    temporary file) next to it; returns (dest, plot path)."""
    import shutil

    from ..core.io import atomic_output
    from .layers import fields_for, file_next_to, write_frame

    fields = fields_for(table, date_columns=("date",))
    sink, dest = alg.parameterAsSink(
        parameters, output_key, context, fields, QgsWkbTypes.NoGeometry, QgsCoordinateReferenceSystem()
    )
    write_frame(sink, table, fields, feedback=feedback)
    del sink  # flush a file output
    if not plot_tmp:
        return dest, None
    plot = file_next_to(dest, f"_gp.{fmt}", context)
    with atomic_output(plot) as tmp:
        shutil.copyfile(plot_tmp, tmp)
    return dest, plot


class ItsliveGpRegressionAlgorithm(SurfaceMotionAlgorithm):
    ALG_NAME = "itslive_gp_regression"
    DISPLAY_NAME = "Gaussian-process regression of a point series (ITS_LIVE)"
    GROUP = "ITS_LIVE"
    ICON = "itslive_gp_regression.svg"
    REQUIRED_MODULES = ("numpy", "pandas", "scipy", "matplotlib")
    HELP = (
        "<p>Regresses a latent velocity time series (daily by default) with its ±2σ band from an "
        "ITS_LIVE point series on disk: a CSV exported by itslive-py (<code>mid_date, v [m/yr], v_error "
        "[m/yr], vx …, date_dt [days], mission, satellite</code>; img1/img2 = mid_date ∓ date_dt/2) or "
        "the CSV of <i>Extract ITS_LIVE point series</i> (one regression per <code>point_id</code>).</p>"
        "<p><b>Min/Max date_dt</b> keep only pairs with that separation (days); <b>Start/End date</b> set "
        "the output range (default: the data span).</p>" + GP_HELP
    )

    INPUT = "INPUT"
    START_DATE = "START_DATE"
    END_DATE = "END_DATE"
    MIN_DATE_DT = "MIN_DATE_DT"
    MAX_DATE_DT = "MAX_DATE_DT"
    OUTPUT = "OUTPUT"
    PLOT = "PLOT"

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterFile(self.INPUT, "Point series (CSV)", extension="csv"))
        add_gp_parameters(self)
        self.addParameter(
            QgsProcessingParameterString(self.START_DATE, "Start date (YYYY-MM-DD)", optional=True)
        )
        self.addParameter(QgsProcessingParameterString(self.END_DATE, "End date (YYYY-MM-DD)", optional=True))
        for allowed, label in (
            (MIN_DATE_DT, "Minimum pair separation"),
            (MAX_DATE_DT, "Maximum pair separation"),
        ):
            self.addParameter(set_advanced(number_parameter(allowed, label, optional=True)))
        self.addParameter(
            QgsProcessingParameterFeatureSink(self.OUTPUT, "GP regression table", QgsProcessing.TypeVector)
        )
        self.addOutput(QgsProcessingOutputFile(self.PLOT, "GP plot (next to the table)"))

    def execute(self, parameters, context, feedback):
        from dataclasses import asdict

        from qgis.core import QgsProcessingUtils

        from .worker import run_task

        start = self.parameterAsString(parameters, self.START_DATE, context).strip() or None
        end = self.parameterAsString(parameters, self.END_DATE, context).strip() or None
        cfg = gp_config(self, parameters, context, start=start, end=end)
        cfg.validate()
        min_dt, max_dt = (
            self.optional_double(parameters, k, context) for k in (self.MIN_DATE_DT, self.MAX_DATE_DT)
        )
        fmt = plot_format(self, parameters, context)
        result = run_task(
            "gp",
            {
                "input": self.parameterAsFile(parameters, self.INPUT, context),
                "config": asdict(cfg),
                "min_dt": min_dt,
                "max_dt": max_dt,
                "plot": QgsProcessingUtils.generateTempFilename(f"gp.{fmt}"),
            },
            feedback,
        )
        dest, plot = write_gp_outputs(
            self, parameters, context, feedback, result["table"], result["plot"], self.OUTPUT, fmt
        )
        return {self.OUTPUT: dest, self.PLOT: plot}
