"""surfacemotion:itslive_gp_regression — Gaussian-process regression of a point series on disk."""

from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputFile,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFile,
)

from ..core.itslive.analysis.config import GPConfig
from .base import SurfaceMotionAlgorithm
from .params import GP_HELP, add_gp_parameters, add_separation, gp_config, plot_format, separation, text


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
    OUTPUT = "OUTPUT"
    PLOT = "PLOT"

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterFile(self.INPUT, "Point series (CSV)", extension="csv"))
        add_gp_parameters(self)
        self.addParameter(text(GPConfig, "start", self.START_DATE, "Start date (YYYY-MM-DD)"))
        self.addParameter(text(GPConfig, "end", self.END_DATE, "End date (YYYY-MM-DD)"))
        add_separation(self, advanced=True)
        self.addParameter(
            QgsProcessingParameterFeatureSink(self.OUTPUT, "GP regression table", QgsProcessing.TypeVector)
        )
        self.addOutput(QgsProcessingOutputFile(self.PLOT, "GP plot (next to the table)"))

    def execute(self, parameters, context, feedback):
        from dataclasses import asdict

        from qgis.core import QgsProcessingUtils

        from .layers import write_gp_outputs
        from .worker import run_task

        cfg = gp_config(
            self,
            parameters,
            context,
            start=self.parameterAsString(parameters, self.START_DATE, context).strip() or None,
            end=self.parameterAsString(parameters, self.END_DATE, context).strip() or None,
            **separation(self, parameters, context),
        )
        cfg.validate()
        fmt = plot_format(self, parameters, context)
        result = run_task(
            "gp",
            {
                "input": self.parameterAsFile(parameters, self.INPUT, context),
                "config": asdict(cfg),
                "plot": QgsProcessingUtils.generateTempFilename(f"gp.{fmt}"),
            },
            feedback,
        )
        dest, plot = write_gp_outputs(
            self, parameters, context, feedback, result["table"], result["plot"], self.OUTPUT, fmt
        )
        return {self.OUTPUT: dest, self.PLOT: plot}
