"""Tukey weights: medians of the valid entries, MAD scale, outliers down to zero."""

from __future__ import annotations

import numpy as np
from surface_motion.core.itslive.inversion.robust import RowMedian, tukey_weights


def test_row_median_is_the_median_of_the_valid_entries():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(300, 41)).astype(np.float32)
    valid = rng.random(z.shape) < rng.uniform(0.05, 1.0, (300, 1))
    valid[:, 0] = True  # at least one valid entry per row
    expected = [np.median(row[ok]) for row, ok in zip(z, valid, strict=True)]
    np.testing.assert_allclose(RowMedian(valid)(z), expected, rtol=1e-6)


def test_gross_outlier_gets_zero_weight_and_invalid_pairs_zero():
    rng = np.random.default_rng(1)
    r = rng.normal(size=(2, 200))
    r[0, 17] = 50.0  # a bad match: far outside in one component
    valid = np.ones(r.shape, bool)
    valid[1, 5] = False
    w = tukey_weights([r, rng.normal(size=r.shape)], valid)
    assert w[0, 17] == 0.0 and w[1, 5] == 0.0
    assert np.median(w[valid]) > 0.85  # inliers keep most of their weight


def test_row_without_spread_keeps_weight_one():
    r = np.zeros((1, 10))
    assert np.all(tukey_weights([r, r], np.ones((1, 10), bool)) == 1.0)
