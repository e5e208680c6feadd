"""Product writers: official number formatting, GeoTIFF georeferencing, GeoPackage/GeoParquet layers."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from surface_motion.core.egms.products import format_numbers, product_stem


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-1e4, 1e4, allow_nan=False), min_size=1, max_size=30), st.sampled_from([0, 1, 2]))
def test_numbers_are_written_like_the_official_pandas_output(values, decimals):
    v = np.array(values)
    got = format_numbers(v, decimals).to_pylist()
    want = [str(int(x)) if decimals == 0 else repr(float(x)) for x in np.round(v, decimals)]
    if decimals == 0:
        want = [w.replace("-0", "0") if w == "-0" else w for w in want]
    assert got == want


def test_negative_zero_and_nan():
    assert format_numbers(np.array([-0.04, 0.04, np.nan, 0.25, 0.35]), 1).to_pylist() == [
        "-0.0",
        "0.0",
        None,
        "0.2",
        "0.4",
    ]


def test_names():
    assert product_stem("E45N17", "U", "2020_2024_1") == "EGMS_L3_E45N17_100km_U_2020_2024_1"
    assert product_stem("E45N17", "E", None) == "EGMS_L3_E45N17_100km_E"


def test_large_columns_use_the_lookup_table_and_agree():
    from surface_motion.core.egms.products import _format

    rng = np.random.default_rng(3)
    for decimals in (0, 1, 2):
        v = rng.normal(0, 8, 20_000)
        v[::7], v[::11], v[::13] = np.nan, -0.001, 0.045
        assert format_numbers(v, decimals).to_pylist() == _format(v, decimals).to_pylist()
