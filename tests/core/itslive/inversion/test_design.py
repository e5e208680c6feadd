"""Time bins and the exact pair/bin overlap design."""

from __future__ import annotations

import numpy as np
import pytest
from surface_motion.core.errors import ParameterError
from surface_motion.core.itslive.inversion import (
    difference_matrix,
    pair_design,
    time_bins,
)


def test_time_bins_cover_the_period_with_uniform_days():
    e = time_bins(np.datetime64("2020-01-01"), np.datetime64("2020-03-01"), 12)
    assert e.dtype == np.dtype("datetime64[D]")
    assert e[0] == np.datetime64("2020-01-01") and e[-1] >= np.datetime64("2020-03-01")
    assert np.all(np.diff(e).astype(int) == 12)
    half = time_bins(np.datetime64("2020-01-01"), np.datetime64("2020-01-03"), 0.5)
    assert half.size == 5 and (half[1] - half[0]) == np.timedelta64(43200, "s")
    with pytest.raises(ParameterError, match="interval_days"):
        time_bins(np.datetime64("2020-01-01"), np.datetime64("2020-03-01"), 0)
    with pytest.raises(ParameterError, match="end"):
        time_bins(np.datetime64("2020-03-01"), np.datetime64("2020-01-01"), 12)


def test_design_uses_exact_overlaps_and_renormalises_partly_outside_pairs():
    edges = np.array([0.0, 12, 24, 36])
    d = pair_design(np.array([5.0, -6.0, -30.0, 1.0]), np.array([29.0, 18.0, 6.0, 2.0]), edges)
    a = d.a.toarray()
    np.testing.assert_allclose(a[0], [7 / 24, 12 / 24, 5 / 24])  # exact, not snapped to bins
    np.testing.assert_allclose(a[1], [12 / 18, 6 / 18, 0])  # the inside part, rows sum to 1
    assert d.weight[1] == pytest.approx(18 / 24)  # down-weighted by the inside fraction
    assert not d.kept[2] and a[2].sum() == 0  # only 6 of 36 days inside: dropped
    np.testing.assert_allclose(a[3], [1, 0, 0])
    assert d.bandwidth == 2


def test_difference_matrices_have_no_zero_rows():
    for k in (1, 2):
        dk = difference_matrix(7, k)
        assert dk.shape == (7 - k, 7)
        assert np.all(np.abs(dk).sum(1) > 0)
        np.testing.assert_allclose(dk @ np.arange(7.0) ** (k - 1), 0)
