"""ITS_LIVE analysis: point series and their tables, GP regression, centerline profiles, plots, one pixel's
image pairs (the inspector's tasks).

The public names below are imported on first use: the Processing algorithms import
``analysis.gp_config`` inside QGIS, which runs this file, and shapely (via the series and the
centerlines) must not load there.
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name → the module of this package that defines it
_EXPORTS = {
    **dict.fromkeys(("COMPONENTS", "MODELS", "GPConfig"), "gp_config"),
    **dict.fromkeys(
        ("read_series_csv", "normalise_series", "stated_errors", "filter_pair_lengths"), "series_table"
    ),
    **dict.fromkeys(
        (
            "ACCEPT_WEIGHT",
            "YEAR_DAYS",
            "GPFit",
            "averaging_operator",
            "output_dates",
            "regress_component",
            "regress_series",
            "regress_points",
            "gp_from_table",
        ),
        "gp",
    ),
    **dict.fromkeys(
        ("MAX_PLOT_PANELS", "plot_gp", "gp_figure", "write_gp_plot", "plot_heatmap", "rejected_pairs"),
        "plots",
    ),
    **dict.fromkeys(("PointSeriesConfig", "point_series", "write_series_csv"), "series"),
    **dict.fromkeys(("CenterlineConfig", "centerline_profile", "heatmap_panels"), "centerline"),
    **dict.fromkeys(("task_pixel_pairs", "task_pixel_gp"), "inspect"),
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:  # whatever the named module defines
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
