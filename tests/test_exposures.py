"""Exposures: each formula against values worked out by hand on a few stocks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mini.exposures import winsorise


def test_winsorise_clips_at_the_median_plus_k_scaled_mads():
    values = pd.Series([-50.0, 1.0, 2.0, 3.0, 4.0, 5.0, 100.0], index=list("abcdefg"), name="VALUE")
    # median 3; absolute deviations 53, 2, 1, 0, 1, 2, 97 have median 2; s = 1.4826 * 2
    spread = 1.4826 * 2.0
    clipped = winsorise(values, limit=2.0)
    assert clipped["g"] == pytest.approx(3.0 + 2.0 * spread, rel=1e-15)
    assert clipped["a"] == pytest.approx(3.0 - 2.0 * spread, rel=1e-15)
    assert (clipped[list("bcdef")] == values[list("bcdef")]).all()


def test_winsorise_leaves_values_inside_the_band_alone():
    values = pd.Series([1.0, 2.0, 3.0, 4.0, 100.0], index=list("abcde"), name="VALUE")
    # median 3, MAD 1: the band is 3 ± 3 * 1.4826 = [-1.4478, 7.4478]
    clipped = winsorise(values)
    assert clipped["e"] == pytest.approx(7.4478, rel=1e-15)
    assert np.array_equal(clipped.iloc[:4], values.iloc[:4])
