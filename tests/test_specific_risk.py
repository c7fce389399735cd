"""Specific-risk estimators against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mini.specific_risk import (
    blend_specific_variance,
    ewma_specific_variance,
    structural_specific_variance,
    structural_specific_variance_for,
)


def test_ewma_specific_variance_by_hand():
    residuals = pd.DataFrame({"a": [0.1, 0.2, -0.1], "b": [0.0, 0.3, 0.0]})
    # half-life 1: weights 1/7, 2/7, 4/7 (oldest first)
    got = ewma_specific_variance(residuals, half_life=1.0)
    assert got["a"] == pytest.approx((0.01 + 2 * 0.04 + 4 * 0.01) / 7, rel=1e-14)
    assert got["b"] == pytest.approx(2 * 0.09 / 7, rel=1e-14)


def test_structural_model_by_hand():
    """Two groups of stocks with constant log-vol inside each: the fit is the group's log-vol."""
    stocks = list("abcd")
    variance = pd.Series([0.01, 0.04, 0.01, 0.04], index=stocks)  # vols 0.1 and 0.2
    z = pd.DataFrame({"const": 1.0, "big": [1.0, 0.0, 1.0, 0.0]}, index=stocks)
    fitted = structural_specific_variance(variance, z)
    # ln sigma = ln 0.2 + (ln 0.1 - ln 0.2) * big exactly; mean of fitted = mean of input, so kappa = 1
    assert np.allclose(fitted, variance, rtol=1e-12)
    covered = pd.DataFrame({"const": [1.0], "big": [0.5]}, index=["e"])
    halfway = structural_specific_variance_for(covered, variance, z)
    assert halfway["e"] == pytest.approx(0.1 * 0.2, rel=1e-12)  # exp(2 * mean of the log-vols)


def test_structural_model_rescales_to_the_mean_variance():
    """One group whose variances differ: log-vols average to ln(0.1 * 0.3) / 2, then kappa rescales."""
    stocks = list("ab")
    variance = pd.Series([0.01, 0.09], index=stocks)
    z = pd.DataFrame({"const": [1.0, 1.0]}, index=stocks)
    fitted = structural_specific_variance(variance, z)
    # exp(2 * mean log-vol) = 0.03 for both; kappa = 0.05 / 0.03
    assert np.allclose(fitted, [0.05, 0.05], rtol=1e-12)
    weighted = structural_specific_variance(variance, z, weights=pd.Series({"a": 3.0, "b": 1.0}))
    # weighted mean log-vol: (3 ln 0.1 + ln 0.3) / 4; kappa again brings the mean to 0.05
    assert np.allclose(weighted, [0.05, 0.05], rtol=1e-12)
    beta_check = structural_specific_variance_for(
        pd.DataFrame({"const": [2.0]}, index=["x"]), variance, z, weights=pd.Series({"a": 3.0, "b": 1.0})
    )
    log_vol = (3 * np.log(0.1) + np.log(0.3)) / 4
    assert beta_check["x"] == pytest.approx(np.exp(4 * log_vol) * 0.05 / np.exp(2 * log_vol), rel=1e-12)


def test_blend_by_hand():
    ts = pd.Series({"a": 0.04, "b": 0.01})
    structural = pd.Series({"b": 0.03, "a": 0.02})
    blended = blend_specific_variance(ts, structural, pd.Series({"a": 0.25, "b": 1.0}))
    assert blended["a"] == pytest.approx(0.25 * 0.04 + 0.75 * 0.02, rel=1e-14)
    assert blended["b"] == pytest.approx(0.01, rel=1e-14)
    assert np.allclose(blend_specific_variance(ts, structural, 0.5), [0.03, 0.02], rtol=1e-14)
