"""Model evaluation statistics: what they should read for correct forecasts, identities, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import SETTINGS

from mini.evaluation import (
    bias_band,
    bias_statistic,
    exceedances,
    portfolio_vol_forecasts,
    q_statistic,
    rolling_bias,
    standardised_returns,
)


def test_the_band_holds_about_95_percent_of_correct_bias_statistics():
    """2000 correct models, 60 periods each: the share inside 1 ± sqrt(2/T) is close to 95%."""
    z = pd.DataFrame(np.random.default_rng(51).standard_normal((60, 2000)))
    low, high = bias_band(60)
    inside = ((bias_statistic(z) > low) & (bias_statistic(z) < high)).mean()
    assert 0.92 < inside < 0.97
    assert bias_statistic(z).mean() == pytest.approx(1.0, abs=0.01)


def test_bias_statistic_measures_the_scale_of_under_forecasting():
    z = pd.Series(np.random.default_rng(52).standard_normal(5000))
    assert bias_statistic(z * 1.5) == pytest.approx(1.5, rel=0.03)  # forecasts 2/3 of the true vol
    assert exceedances(z) == pytest.approx(0.05 * 5000, rel=0.15)
    assert exceedances(z * 1.5) > 2 * exceedances(z)


@SETTINGS
@given(st.floats(0.2, 5.0))
def test_q_statistic_of_unit_size_outcomes_is_c2_minus_log_c2(scale):
    z = pd.Series([1.0, -1.0, 1.0, -1.0]) * scale
    assert q_statistic(z) == pytest.approx(scale**2 - np.log(scale**2))
    assert q_statistic(z) >= 1.0 - 1e-12  # smallest at correct forecasts


def test_rolling_bias_is_the_bias_statistic_of_each_window():
    z = pd.Series(np.random.default_rng(53).standard_normal(40))
    rolled = rolling_bias(z, 12)
    assert len(rolled) == 40 - 12 + 1
    assert rolled.iloc[0] == pytest.approx(bias_statistic(z.iloc[:12]))
    assert rolled.iloc[-1] == pytest.approx(bias_statistic(z.iloc[-12:]))


def test_standardised_returns_divide_by_the_forecast():
    realised = pd.Series([0.02, -0.04])
    assert np.allclose(standardised_returns(realised, pd.Series([0.02, 0.02])), [1.0, -2.0])


def test_evaluation_bad_input():
    with pytest.raises(ValueError, match="NaN"):
        q_statistic(pd.Series([1.0, np.nan]))
    with pytest.raises(ValueError, match="exactly zero"):
        q_statistic(pd.Series([1.0, 0.0]))
    with pytest.raises(ValueError, match="threshold must be positive"):
        exceedances(pd.Series([1.0, 2.0]), threshold=0)
    with pytest.raises(ValueError, match="at least two periods"):
        bias_statistic(pd.Series([1.0]))
    with pytest.raises(ValueError, match="at least two periods"):
        bias_band(1)
    with pytest.raises(ValueError, match="2 realised returns but 3 forecasts"):
        standardised_returns(pd.Series([0.1, 0.2]), pd.Series([0.1, 0.1, 0.1]))
    x = np.ones((1, 2, 1))
    with pytest.raises(ValueError, match="forecast variance is negative"):
        portfolio_vol_forecasts(x, np.array([[[-1.0]]]), np.full((1, 2), 0.01), np.array([0.5, 0.5]))
