"""Generated data with known truth for the tests, the demo and the benchmarks (not used by the
products): EGMS bursts, ITS_LIVE cubes (small, realistic, large) and the analytic velocity behind
them. Public names load their module on first use (see :mod:`..lazy`)."""

from ..lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "egms": ("generate", "write_burst", "Truth"),
        "itslive": (
            "SyntheticTruth",
            "write_synthetic_cube",
            "write_realistic_cube",
            "write_large_cube",
            "catalog_entry",
        ),
        "truth": ("Temporal", "true_velocity", "pair_mean_velocity", "itslive_like_pairs"),
    },
)
