"""The cross-sectional regression against scikit-learn's weighted least squares and R² by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from sklearn.linear_model import LinearRegression

from mini.regression import (
    backfill_factor,
    cross_sectional_regression,
    huber_regression,
    nested_f_test,
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


@pytest.mark.parametrize(
    "bad, message",
    [("weights", r"^regression weights contains 1 NaN"), ("residuals", r"^residuals contains 1 NaN")],
)
def test_weighted_r2_names_the_input_with_a_nan(bad, message):
    _, r, w = _sample()
    inputs = {"returns": r, "residuals": 0.5 * r, "weights": w}
    inputs[bad] = inputs[bad].mask(inputs[bad].index == "s3")
    with pytest.raises(ValueError, match=message):
        weighted_r2(inputs["returns"], inputs["residuals"], inputs["weights"], centred=True)


def test_nested_f_test_equals_statsmodels_compare_f_test():
    """Two added regressors: F and p-value as statsmodels computes them from the two fits."""
    rng = np.random.default_rng(3)
    n = 40
    x = np.column_stack([np.ones(n), rng.normal(size=(n, 4))])
    y = x @ [0.1, 0.5, -0.2, 0.3, 0.0] + rng.normal(size=n)
    full, restricted = sm.OLS(y, x).fit(), sm.OLS(y, x[:, :3]).fit()
    f_stat, p_value, n_added = full.compare_f_test(restricted)
    assert n_added == 2
    got = nested_f_test(restricted.rsquared, full.rsquared, n, 5, n_added=2)
    assert got == pytest.approx((f_stat, p_value), rel=1e-10)


@pytest.mark.parametrize(
    "r2_restricted, r2_full",
    [(0.0, 0.1), (0.0, 0.0), (0.3, 0.3), (0.5, 0.5 - 1e-12), (1.0, 1 - 1e-13)],
    ids=["restricted-zero", "both-zero", "equal", "full-below-by-the-tolerance", "restricted-one"],
)
def test_nested_f_test_accepts_the_limits(r2_restricted, r2_full):
    # F = (ΔR² / q) / ((1 - R²_full) / (n - p)) with n - p = 20 - 3; the p-value is F(1, 17)'s tail
    f_stat, p_value = nested_f_test(r2_restricted, r2_full, 20, 3)
    # a full R² below the restricted one within the tolerance is no gain: F = 0, p = 1
    expected = max(r2_full - r2_restricted, 0.0) / ((1 - r2_full) / 17)
    assert f_stat == pytest.approx(expected, abs=1e-9)
    assert p_value == pytest.approx(stats.f.sf(expected, 1, 17), abs=1e-9)


@pytest.mark.parametrize(
    "args, message",
    [
        ((-0.1, 0.5, 20, 3), r"^R² must lie in \[0, 1\], the full model\'s below 1: got -0.1 and 0.5$"),
        ((1.5, 0.5, 20, 3), r"^R² must lie in \[0, 1\], the full model\'s below 1: got 1.5 and 0.5$"),
        ((0.5, 1.0, 20, 3), r"^R² must lie in \[0, 1\], the full model\'s below 1: got 0.5 and 1.0$"),
        ((0.5, 1.5, 20, 3), r"^R² must lie in \[0, 1\], the full model\'s below 1: got 0.5 and 1.5$"),
        ((0.5, 0.5 - 2e-12, 20, 3), r"^the full model's R² cannot be below the restricted model's$"),
        ((0.2, 0.5, 20, 3, 0), r"^need n_added >= 1 and more observations \(20\) than parameters \(3\)$"),
        ((0.2, 0.5, 5, 5), r"^need n_added >= 1 and more observations \(5\) than parameters \(5\)$"),
    ],
)
def test_nested_f_test_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        nested_f_test(*args)


def test_backfill_factor_by_hand_keeps_the_periods():
    months = pd.date_range("2001-01-31", periods=2, freq="ME")
    e = pd.DataFrame([[0.02, -0.01], [0.0, 0.03]], index=months)
    x = np.array([[0.5, 0.1], [0.2, -0.4]])
    w = pd.DataFrame([[1.0, 2.0], [1.0, 1.0]], index=months)
    # (1 * 0.5 * 0.02 + 2 * 0.1 * -0.01) / (0.25 + 2 * 0.01) and (0.2 * 0 - 0.4 * 0.03) / (0.04 + 0.16)
    expected = pd.Series([0.008 / 0.27, -0.06], index=months)
    pd.testing.assert_series_equal(backfill_factor(e, x, w), expected, rtol=1e-13)


@pytest.mark.parametrize(
    "bad, message",
    [
        ("residuals", r"^residuals contains 1 NaN"),
        ("weights", r"^regression weights contains 1 NaN"),
        ("exposure", r"^exposure contains 1 NaN"),
        ("flat exposure", r"^exposure must be 2-dimensional, got shape \(4,\)$"),
        ("zero exposure", r"^the new exposure is zero in some period, so its return is undefined$"),
    ],
)
def test_backfill_factor_bad_input(bad, message):
    inputs = {
        "residuals": pd.DataFrame([[0.01, 0.02], [0.03, -0.01]]),
        "weights": pd.DataFrame([[1.0, 2.0], [1.0, 1.0]]),
        "exposure": np.array([[1.0, -1.0], [0.5, 2.0]]),
    }
    if bad in ("residuals", "weights"):
        inputs[bad].iloc[1, 0] = np.nan
    elif bad == "exposure":
        inputs[bad][1, 0] = np.nan
    elif bad == "flat exposure":
        inputs["exposure"] = inputs["exposure"].ravel()
    else:
        inputs["exposure"][1] = 0.0
    with pytest.raises(ValueError, match=message):
        backfill_factor(inputs["residuals"], inputs["exposure"], inputs["weights"])


def test_huber_regression_default_threshold_is_1_345():
    """With an outlier the threshold changes the fit, so the default fit equals the fit
    with threshold 1.345 written out (and differs from one with 2.345)."""
    x, r, w = _sample()
    r.iloc[0] = 0.5  # ten standard deviations out
    default = huber_regression(x, r, w).factor_returns
    pd.testing.assert_series_equal(default, huber_regression(x, r, w, threshold=1.345).factor_returns)
    assert not np.allclose(default, huber_regression(x, r, w, threshold=2.345).factor_returns, rtol=1e-6)
