"""The cross-sectional regression against scikit-learn's weighted least squares and R² by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from mini.regression import (
    cross_sectional_regression,
    huber_regression,
    panel_regression,
    shrunk_regression,
    weighted_r2,
)


def _sample(seed: int = 6, n: int = 9):
    rng = np.random.default_rng(seed)
    stocks = [f"s{i}" for i in range(n)]
    x = pd.DataFrame({"MKT": 1.0, "VAL": rng.normal(size=n), "MOM": rng.normal(size=n)}, index=stocks)
    r = pd.Series(rng.normal(0, 0.05, n), index=stocks)
    w = pd.Series(rng.uniform(0.5, 2.0, n), index=stocks)
    return x, r, w


def test_weighted_r2_by_hand():
    r = pd.Series({"a": 0.1, "b": -0.1, "c": 0.3})
    e = pd.Series({"a": 0.0, "b": 0.1, "c": -0.1})
    w = pd.Series({"a": 1.0, "b": 1.0, "c": 2.0})
    # uncentred: 1 - (0.01 + 0.02) / (0.01 + 0.01 + 0.18) = 1 - 0.03 / 0.2
    assert weighted_r2(r, e, w, centred=False) == pytest.approx(0.85, rel=1e-14)
    # weighted mean (0.1 - 0.1 + 0.6) / 4 = 0.15; sum w (r - 0.15)^2 = 0.0025 + 0.0625 + 0.045
    assert weighted_r2(r, e, w, centred=True) == pytest.approx(1 - 0.03 / 0.11, rel=1e-13)


def test_cross_sectional_regression_equals_scikit_learn():
    x, r, w = _sample()
    fit = cross_sectional_regression(x, r, w)
    reference = LinearRegression(fit_intercept=False).fit(
        x.to_numpy(), r.to_numpy(), sample_weight=w.to_numpy()
    )
    assert np.allclose(fit.factor_returns, reference.coef_, rtol=1e-10, atol=1e-14)
    assert np.allclose(fit.residuals, r - x.to_numpy() @ reference.coef_, rtol=1e-10, atol=1e-14)
    resid = r.to_numpy() - x.to_numpy() @ reference.coef_
    ww = w.to_numpy() / w.sum()
    assert fit.r2_uncentred == pytest.approx(1 - ww @ resid**2 / (ww @ r.to_numpy() ** 2), rel=1e-10)
    centre = ww @ r.to_numpy()
    assert fit.r2_centred == pytest.approx(1 - ww @ resid**2 / (ww @ (r.to_numpy() - centre) ** 2), rel=1e-10)


def test_shrunk_regression_equals_an_augmented_least_squares():
    """A ridge penalty lambda f_VAL^2 is one more observation: exposure 1 to VAL, return 0, weight lambda."""
    x, r, w = _sample()
    fit = shrunk_regression(x, r, w, prior_weights=pd.Series({"VAL": 0.7}))
    x_aug = np.vstack([x.to_numpy(), [0.0, 1.0, 0.0]])
    reference = LinearRegression(fit_intercept=False).fit(
        x_aug, np.append(r.to_numpy(), 0.0), sample_weight=np.append(w.to_numpy(), 0.7)
    )
    assert np.allclose(fit.factor_returns, reference.coef_, rtol=1e-10, atol=1e-14)


def test_huber_regression_by_hand():
    """Five stocks on a constant: Huber's estimate is the M-estimate of location."""
    stocks = list("abcde")
    x = pd.DataFrame({"MKT": 1.0}, index=stocks)
    r = pd.Series([0.0, 0.01, 0.02, 0.03, 1.0], index=stocks)
    fit = huber_regression(x, r, pd.Series(1.0, index=stocks), threshold=1.345)
    mu = fit.factor_returns["MKT"]
    e = r.to_numpy() - mu
    spread = 1.4826 * np.median(np.abs(e - np.median(e)))
    h = np.minimum(1.0, 1.345 * spread / np.abs(e))
    # at the fixed point, mu is the Huber-weighted mean of the returns
    assert mu == pytest.approx(h @ r.to_numpy() / h.sum(), abs=1e-10)
    assert fit.weights["e"] == pytest.approx(h[4], rel=1e-6)
    assert 0.01 < mu < 0.03  # the outlier barely moves it


def test_panel_regression_t_statistics_by_hand():
    """One period, one factor (a constant), equal weights: the HC1 t-statistic of a mean."""
    r = pd.DataFrame([[0.01, 0.03, -0.02, 0.06]], columns=list("abcd"))
    fit = panel_regression(np.ones((1, 4, 1)), r, pd.DataFrame(1.0, index=r.index, columns=r.columns))
    mean = 0.02
    e = r.to_numpy()[0] - mean
    # (X'X)^-1 = 1/4; meat = N/(N-1) sum e^2; var = meat / 16
    variance = (4 / 3) * np.sum(e**2) / 16
    assert fit.factor_returns.iloc[0, 0] == pytest.approx(mean, rel=1e-13)
    assert fit.t_stats.iloc[0, 0] == pytest.approx(mean / np.sqrt(variance), rel=1e-12)
    assert fit.r2_centred.iloc[0] == pytest.approx(0.0, abs=1e-13)
    assert fit.r2_uncentred.iloc[0] == pytest.approx(1 - np.sum(e**2) / np.sum(r.to_numpy() ** 2), rel=1e-12)
