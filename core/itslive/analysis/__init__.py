"""ITS_LIVE analysis: point series and their tables, GP regression, centerline profiles, plots, one pixel's
image pairs (the inspector's tasks). Settings in :mod:`.config` (numpy-free: the algorithms read it
inside QGIS); the public names below load their module on first use (see :mod:`...lazy`)."""

from ...lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "config": ("COMPONENTS", "MODELS", "GPConfig", "PointSeriesConfig", "CenterlineConfig"),
        "series_table": ("read_series_csv", "normalise_series", "stated_errors", "filter_pair_lengths"),
        "gp": (
            "ACCEPT_WEIGHT",
            "GPFit",
            "averaging_operator",
            "output_dates",
            "regress_component",
            "regress_series",
            "regress_points",
            "gp_from_table",
        ),
        "plots": (
            "MAX_PLOT_PANELS",
            "plot_gp",
            "gp_figure",
            "write_gp_plot",
            "plot_heatmap",
            "rejected_pairs",
        ),
        "series": ("point_series", "write_series_csv"),
        "centerline": ("centerline_profile", "heatmap_panels"),
        "inspect": ("task_pixel_pairs", "task_pixel_gp"),
    },
)
