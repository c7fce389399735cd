"""Model evaluation statistics: what they should read for correct forecasts, identities, bad input."""

from __future__ import annotations

from math import comb

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from scipy.optimize import brentq
from support import SETTINGS

from mini.evaluation import (
    RiskForecasts,
    bias_band,
    bias_statistic,
    eigenportfolio_outcomes,
    exceedance_band,
    exceedances,
    kurtosis_adjusted_bias_band,
    minimum_variance_weights,
    portfolio_vol_forecasts,
    q_statistic,
    q_statistic_band,
    rolling_bias,
    rolling_forecasts,
    share_outside_bias_band,
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


# Exact values on a handful of periods.

Z = pd.Series([0.5, -2.0, 1.0, 2.5], index=list("abcd"))


def test_bias_band_and_statistic_by_hand():
    lo, hi = bias_band(50)
    assert lo == pytest.approx(0.8, rel=1e-14) and hi == pytest.approx(1.2, rel=1e-14)  # sqrt(2/50) = 0.2
    # mean 0.5; deviations 0, -2.5, 0.5, 2: sum of squares 10.5 over T - 1 = 3
    assert bias_statistic(Z) == pytest.approx(np.sqrt(3.5), rel=1e-14)
    frame = bias_statistic(pd.DataFrame({"p": Z, "q": 2 * Z}))
    assert frame["q"] == pytest.approx(2 * np.sqrt(3.5), rel=1e-14)


def test_rolling_bias_by_hand():
    rolling = rolling_bias(Z, window=2)
    # sample std of two numbers is |difference| / sqrt(2)
    assert np.allclose(rolling, [2.5 / np.sqrt(2), 3.0 / np.sqrt(2), 1.5 / np.sqrt(2)], rtol=1e-14)
    assert list(rolling.index) == ["b", "c", "d"]


def test_share_outside_bias_band_by_hand():
    # window 3: band 1 ± sqrt(2/3) = (0.18, 1.82); the four windows of [0, 1, 2, 5, 5, 5]
    # have sample standard deviations 1, sqrt(39)/3 = 2.08, sqrt(3) = 1.73 and 0
    z = pd.Series([0.0, 1.0, 2.0, 5.0, 5.0, 5.0])
    assert share_outside_bias_band(z, 3) == 0.5  # the second and the fourth window
    frame = share_outside_bias_band(pd.DataFrame({"p": z, "q": np.ones(6)}), 3)
    assert frame["p"] == 0.5 and frame["q"] == 1.0  # constant outcomes: every window at zero
    # window 2: band (0, 2); |difference| / sqrt(2) for Z is 1.77, 2.12 (outside), 1.06
    assert share_outside_bias_band(Z, 2) == pytest.approx(1 / 3, rel=1e-14)


def test_share_outside_bias_band_is_about_five_percent_for_correct_forecasts():
    z = pd.Series(np.random.default_rng(53).standard_normal(20000))
    assert 0.04 < share_outside_bias_band(z, 24) < 0.07


def test_share_outside_bias_band_rejects_bad_input():
    with pytest.raises(ValueError, match="window must be between 2 and the number of periods"):
        share_outside_bias_band(Z, 5)
    with pytest.raises(ValueError, match="window"):
        share_outside_bias_band(Z, 1)
    with pytest.raises(ValueError, match="NaN"):
        share_outside_bias_band(pd.Series([1.0, np.nan, 2.0]), 2)
    with pytest.raises(ValueError, match="oldest first"):
        share_outside_bias_band(pd.Series([1.0, 2.0, 3.0], index=[3, 2, 1]), 2)


def test_q_statistic_and_exceedances_by_hand():
    expected = np.mean([z**2 - np.log(z**2) for z in Z])
    assert q_statistic(Z) == pytest.approx(expected, rel=1e-14)
    assert q_statistic(pd.DataFrame({"p": Z}))["p"] == pytest.approx(expected, rel=1e-14)
    assert exceedances(Z) == 1  # only -2.0 is below -1.645
    assert exceedances(Z, threshold=0.4) == 1
    assert exceedances(-Z, threshold=0.9) == 2  # -1.0 and -2.5
    assert exceedances(pd.Series([-1.0, -1.5]), threshold=1.0) == 1  # a loss of exactly 1 does not count


def test_standardised_returns_by_hand():
    z = standardised_returns(pd.Series([0.02, -0.03]), pd.Series([0.04, 0.01]))
    assert np.allclose(z, [0.5, -3.0])
    frame = standardised_returns(pd.DataFrame({"a": [0.02, -0.03]}), pd.DataFrame({"a": [0.04, 0.01]}))
    assert np.allclose(frame["a"], [0.5, -3.0])


def test_portfolio_vol_forecasts_by_hand():
    # one stock-pair, one factor, two periods
    x = np.array([[[1.0], [2.0]], [[1.0], [0.0]]])  # (T=2, N=2, K=1)
    f = np.array([[[0.04]], [[0.09]]])
    d = np.array([[0.01, 0.02], [0.03, 0.04]])
    w = np.array([0.5, 0.5])
    # period 1: x = 1.5, 2.25 * 0.04 + 0.25 * 0.03; period 2: x = 0.5, 0.25 * 0.09 + 0.25 * 0.07
    expected = np.sqrt([2.25 * 0.04 + 0.25 * 0.03, 0.25 * 0.09 + 0.25 * 0.07])
    assert np.allclose(portfolio_vol_forecasts(x, f, d, w), expected, rtol=1e-14)
    changing = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert np.allclose(portfolio_vol_forecasts(x, f, d, changing), np.sqrt([0.04 + 0.01, 0.04]), rtol=1e-14)


def test_rolling_forecasts_are_the_ewma_forecasts_with_the_exposures():
    rng = np.random.default_rng(8)
    periods = pd.RangeIndex(10)
    factor_returns = pd.DataFrame(rng.normal(0, 0.02, (10, 2)), index=periods, columns=["F0", "F1"])
    residuals = pd.DataFrame(rng.normal(0, 0.05, (10, 3)), index=periods, columns=list("abc"))
    exposures = rng.normal(size=(10, 3, 2))
    forecasts = rolling_forecasts(exposures, factor_returns, residuals, 4.0, 6.0, warmup=3)
    assert list(forecasts.periods) == list(range(3, 10))
    # period 5's forecasts from the returns before it, as the EWMA recursion started at period 3
    lam_f, lam_s = 0.5**0.25, 0.5 ** (1 / 6)
    cov = np.mean([np.outer(v, v) for v in factor_returns.to_numpy()[:3]], axis=0)
    var = np.mean(residuals.to_numpy()[:3] ** 2, axis=0)
    for t in (3, 4):
        cov = lam_f * cov + (1 - lam_f) * np.outer(factor_returns.iloc[t], factor_returns.iloc[t])
        var = lam_s * var + (1 - lam_s) * residuals.to_numpy()[t] ** 2
    assert np.allclose(forecasts.factor_cov[2], cov, rtol=1e-12)
    assert np.allclose(forecasts.specific_var[2], var, rtol=1e-12)
    assert np.array_equal(forecasts.exposures[2], exposures[5])
    w = np.array([0.2, 0.3, 0.5])
    x5 = exposures[5].T @ w
    vol5 = np.sqrt(x5 @ cov @ x5 + w**2 @ var)
    assert forecasts.vol(w).loc[5] == pytest.approx(vol5, rel=1e-12)
    stock_returns = pd.DataFrame(rng.normal(0, 0.05, (10, 3)), index=periods, columns=list("abc"))
    z = forecasts.standardised(w, stock_returns)
    assert z.loc[5] == pytest.approx(stock_returns.loc[5].to_numpy() @ w / vol5, rel=1e-12)
    assert forecasts.vol(w).name == "forecast vol" and z.name == "z"
    assert list(z.index) == list(range(3, 10))


@pytest.mark.parametrize(
    "z, window",
    [
        (pd.Series([2.75, -2.75, 0.5, -0.5, 0.25, -0.25, 0.0, 0.0]), 8),  # b = 1.5 = 1 + sqrt(2/8)
        (pd.Series([1.0, -0.75, -0.25, 0.25, -0.25, 0.0, 0.0, 0.0]), 8),  # b = 0.5 = 1 - sqrt(2/8)
        (pd.Series([1.0, 1.0, 1.0]), 2),  # b = 0 = 1 - sqrt(2/2)
    ],
)
def test_a_window_exactly_on_the_band_is_inside(z, window):
    """The rule is |b - 1| > sqrt(2/w), strictly: a bias statistic on the edge does not count."""
    edges = bias_band(window)
    b = np.std(z.to_numpy()[:window], ddof=1)
    assert b in edges  # the test sits on the boundary
    assert share_outside_bias_band(z, window) == 0.0


def test_share_outside_bias_band_of_a_frame_is_a_named_series_and_checks_it():
    frame = pd.DataFrame({"p": [0.0, 1.0, 2.0, 5.0, 5.0, 5.0], "q": np.ones(6)})
    shares = share_outside_bias_band(frame, 3)
    assert shares.name == "share outside band"
    assert list(shares.index) == ["p", "q"]
    with pytest.raises(ValueError, match=r"^standardised returns contains 1 NaN"):
        share_outside_bias_band(frame.assign(q=[1.0, np.nan, 1, 1, 1, 1]), 3)


@pytest.mark.parametrize(
    "n_periods, kurtosis, half_width",
    [
        (2, 3.0, 1.0),  # the fewest periods allowed: sqrt(2/2), as bias_band(2)
        (2, 1.5, 0.5),  # 2 sqrt(0.5 / 8)
        (8, 1.0, 0.0),  # kurtosis 1 (the smallest there is: a two-point outcome) has no spread
    ],
)
def test_kurtosis_adjusted_bias_band_at_its_limits(n_periods, kurtosis, half_width):
    low, high = kurtosis_adjusted_bias_band(n_periods, kurtosis)
    assert low == pytest.approx(1.0 - half_width, abs=1e-15)
    assert high == pytest.approx(1.0 + half_width, abs=1e-15)


# Eigenportfolios of two forecasts: [[2, 1], [1, 2]] has eigenvalues 1 (direction (1, -1)/√2)
# and 3 (direction (1, 1)/√2); diag(0.25, 4) has 0.25 (first factor) and 4 (second factor).
EIGEN_FORECASTS = np.array([[[2.0, 1.0], [1.0, 2.0]], [[0.25, 0.0], [0.0, 4.0]]])
EIGEN_RETURNS = pd.DataFrame([[1.0, 0.0], [0.3, 1.0]], index=["jan", "feb"], columns=["F0", "F1"])


def test_eigenportfolio_outcomes_by_hand():
    outcomes = eigenportfolio_outcomes(EIGEN_FORECASTS, EIGEN_RETURNS)
    assert list(outcomes.index) == ["jan", "feb"]
    assert list(outcomes.columns) == [1, 2] and outcomes.columns.name == "eigenvalue rank (1 = smallest)"
    # each eigenvector's sign is arbitrary, so compare sizes: |u'f| / sqrt(eigenvalue)
    expected = [[1 / np.sqrt(2), 1 / np.sqrt(2) / np.sqrt(3)], [0.3 / 0.5, 1.0 / 2.0]]
    assert np.allclose(np.abs(outcomes.to_numpy()), expected, rtol=1e-14)
    # and the squares add up to the Mahalanobis distance f' F^-1 f of each period
    for t in range(2):
        f = EIGEN_RETURNS.to_numpy()[t]
        assert np.sum(outcomes.to_numpy()[t] ** 2) == pytest.approx(
            f @ np.linalg.solve(EIGEN_FORECASTS[t], f)
        )


@pytest.mark.parametrize(
    "forecasts, returns, message",
    [
        (EIGEN_FORECASTS[0], EIGEN_RETURNS, r"^factor covariance forecasts must be 3-dimensional"),
        (EIGEN_FORECASTS * np.nan, EIGEN_RETURNS, r"^factor covariance forecasts contains 8 NaN"),
        (EIGEN_FORECASTS, EIGEN_RETURNS * np.nan, r"^factor returns contains 4 NaN"),
        (EIGEN_FORECASTS[:1], EIGEN_RETURNS, r"^forecasts \(1, 2, 2\) do not match factor returns \(2, 2\)$"),
        (
            EIGEN_FORECASTS,
            EIGEN_RETURNS[["F0"]],
            r"^forecasts \(2, 2, 2\) do not match factor returns \(2, 1\)$",
        ),
        (
            np.array([EIGEN_FORECASTS[0], np.diag([0.0, 1.0])]),  # a zero eigenvalue
            EIGEN_RETURNS,
            r"^a factor covariance forecast is not positive definite$",
        ),
    ],
)
def test_eigenportfolio_outcomes_rejects_bad_input(forecasts, returns, message):
    with pytest.raises(ValueError, match=message):
        eigenportfolio_outcomes(forecasts, returns)


def test_minimum_variance_weights_of_uncorrelated_stocks_are_inverse_variance():
    """No factor exposure: Σ = Δ, so the weights are proportional to 1/δ."""
    x = np.zeros((1, 3, 1))
    d = np.array([[0.01, 0.02, 0.04]])
    w = minimum_variance_weights(x, np.array([[[0.05]]]), d)
    assert np.allclose(w, [[4 / 7, 2 / 7, 1 / 7]], rtol=1e-14)


MV_X = np.ones((1, 2, 1))
MV_F = np.array([[[0.04]]])
MV_D = np.array([[0.01, 0.02]])


@pytest.mark.parametrize(
    "x, f, d, message",
    [
        (MV_X[0], MV_F, MV_D, r"^exposures must be 3-dimensional"),
        (MV_X * np.nan, MV_F, MV_D, r"^exposures contains 2 NaN"),
        (MV_X, MV_F[0], MV_D, r"^factor covariance forecasts must be 3-dimensional"),
        (MV_X, MV_F * np.nan, MV_D, r"^factor covariance forecasts contains 1 NaN"),
        (MV_X, MV_F, MV_D[0], r"^specific variance forecasts must be 2-dimensional"),
        (MV_X, MV_F, MV_D * np.nan, r"^specific variance forecasts contains 2 NaN"),
        (
            MV_X,
            MV_F,
            np.array([[0.01, 0.0]]),
            r"^specific variances must be positive to invert the covariance$",
        ),
    ],
)
def test_minimum_variance_weights_rejects_bad_input(x, f, d, message):
    with pytest.raises(ValueError, match=message):
        minimum_variance_weights(x, f, d)


def _exact_q_band(level: float, square_cdf) -> tuple[float, float]:
    """Central interval of Q = x - ln x for one outcome, x = z², from the distribution of x:
    Q <= q exactly when x lies between the two roots of x - ln x = q."""

    def cdf(q: float) -> float:
        below = brentq(lambda x: x - np.log(x) - q, 1e-300, 1.0)
        above = brentq(lambda x: x - np.log(x) - q, 1.0, q + 50.0)
        return square_cdf(above) - square_cdf(below)

    tail = (1 - level) / 2
    return brentq(lambda q: cdf(q) - tail, 1.0 + 1e-12, 60.0), brentq(
        lambda q: cdf(q) - 1 + tail, 1.0 + 1e-12, 60.0
    )


@pytest.mark.parametrize(
    "level, tail_dof, square_cdf",
    [
        (0.9, None, lambda x: stats.chi2.cdf(x, 1)),  # z² of a normal outcome is chi-squared(1)
        (0.8, 5.0, lambda x: stats.f.cdf(x * 5 / 3, 1, 5)),  # t² is F(1, 5); z = t sqrt(3/5)
    ],
)
def test_q_statistic_band_of_one_period_is_the_exact_interval(level, tail_dof, square_cdf):
    low, high = q_statistic_band(1, level=level, tail_dof=tail_dof, n_simulations=20000, seed=3)
    exact_low, exact_high = _exact_q_band(level, square_cdf)
    assert low == pytest.approx(exact_low, rel=0.03)
    assert high == pytest.approx(exact_high, rel=0.03)


@pytest.mark.parametrize(
    "n_periods, probability, level",
    [(1, 0.05, 0.95), (20, 0.05, 0.95), (50, 0.3, 0.5)],
)
def test_exceedance_band_is_the_central_binomial_interval(n_periods, probability, level):
    """The smallest counts whose binomial CDF reaches (1 - level)/2 and (1 + level)/2."""
    pmf = [
        comb(n_periods, k) * probability**k * (1 - probability) ** (n_periods - k)
        for k in range(n_periods + 1)
    ]
    cdf = np.cumsum(pmf)
    tail = (1 - level) / 2
    expected = (int(np.argmax(cdf >= tail - 1e-12)), int(np.argmax(cdf >= 1 - tail - 1e-12)))
    assert exceedance_band(n_periods, probability, level) == expected


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: exceedance_band(0), r"^need at least one period, got 0$"),
        (
            lambda: exceedance_band(10, probability=0.0),
            r"^probability and level must lie in \(0, 1\), got 0\.0 and 0\.95$",
        ),
        (
            lambda: exceedance_band(10, level=1.0),
            r"^probability and level must lie in \(0, 1\), got 0\.05 and 1\.0$",
        ),
        (lambda: q_statistic_band(0), r"^need at least one period and 100 simulations, got 0 and 20000$"),
        (
            lambda: q_statistic_band(5, n_simulations=99),
            r"^need at least one period and 100 simulations, got 5 and 99$",
        ),
        (lambda: q_statistic_band(5, level=1.0), r"^level must lie in \(0, 1\), got 1\.0$"),
        (lambda: q_statistic_band(5, level=0.0), r"^level must lie in \(0, 1\), got 0\.0$"),
        (lambda: q_statistic_band(5, tail_dof=2.0), r"^tail_dof must exceed 2 or be None, got 2\.0$"),
    ],
)
def test_exceedance_and_q_bands_reject_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_q_statistic_band_accepts_the_smallest_simulation():
    low, high = q_statistic_band(1, n_simulations=100)
    assert 1.0 <= low < high


PV_X = np.array([[[1.0], [2.0]], [[1.0], [0.0]]])  # (T=2, N=2, K=1), as in the by-hand test
PV_F = np.array([[[0.04]], [[0.09]]])
PV_D = np.array([[0.01, 0.02], [0.03, 0.04]])
PV_W = np.array([0.5, 0.5])
ONE_NAN = r" contains 1 NaN or infinite value\(s\)$"


@pytest.mark.parametrize(
    ("x", "f", "d", "w", "message"),
    [
        (PV_X[0], PV_F, PV_D, PV_W, r"^exposures must be 3-dimensional, got shape \(2, 1\)$"),
        (np.where(PV_X == 2.0, np.nan, PV_X), PV_F, PV_D, PV_W, r"^exposures" + ONE_NAN),
        (
            PV_X,
            PV_F[0],
            PV_D,
            PV_W,
            r"^factor covariance forecasts must be 3-dimensional, got shape \(1, 1\)$",
        ),
        (PV_X, np.where(PV_F == 0.09, np.inf, PV_F), PV_D, PV_W, r"^factor covariance forecasts" + ONE_NAN),
        (PV_X, PV_F, PV_D[0], PV_W, r"^specific variance forecasts must be 2-dimensional, got shape \(2,\)$"),
        (PV_X, PV_F, np.where(PV_D == 0.04, np.nan, PV_D), PV_W, r"^specific variance forecasts" + ONE_NAN),
        (PV_X, PV_F, PV_D, np.array([0.5, np.inf]), r"^weights" + ONE_NAN),
        # only the specific variances are off: each shape is checked on its own
        (
            PV_X,
            PV_F,
            PV_D[:, :1],
            PV_W,
            r"^shapes do not line up: exposures \(2, 2, 1\), factor covariance \(2, 1, 1\), "
            r"specific variance \(2, 1\), weights \(2, 2\)$",
        ),
        # the second period's factor variance is negative: x = 0.5, 0.25 * -1 + 0.25 * 0.07 < 0
        (
            PV_X,
            np.array([[[0.04]], [[-1.0]]]),
            PV_D,
            PV_W,
            r"^forecast variance is negative in period position 1: "
            r"a factor covariance is not positive semi-definite or a specific variance is negative$",
        ),
    ],
)
def test_portfolio_vol_forecasts_names_the_bad_input(x, f, d, w, message):
    """Each input named in full; a negative variance reported in its own period position."""
    with pytest.raises(ValueError, match=message):
        portfolio_vol_forecasts(x, f, d, w)


def test_portfolio_vol_forecasts_of_no_position_is_zero():
    """A variance of exactly zero (no holdings) is a forecast of zero, not an error."""
    assert portfolio_vol_forecasts(PV_X, PV_F, PV_D, np.zeros(2)).tolist() == [0.0, 0.0]


def test_risk_forecasts_standardised_names_bad_returns():
    """The realised returns handed to RiskForecasts.standardised are named when they hold a NaN."""
    forecasts = RiskForecasts(pd.Index(["p1", "p2"]), PV_X, PV_F, PV_D)
    returns = pd.DataFrame([[0.01, np.nan], [0.02, 0.03]], index=["p1", "p2"])
    with pytest.raises(ValueError, match=r"^returns" + ONE_NAN):
        forecasts.standardised(PV_W, returns)


def test_standardised_returns_bias_and_rolling_bias_name_their_inputs():
    """Each check names its input in full (forecast volatilities as a frame, with other
    columns, and as a series; standardised returns as a frame and a series; the window);
    two periods are enough for a bias statistic; the rolling bias is named."""
    realised = pd.DataFrame({"a": [0.01, 0.02], "b": [0.03, -0.01]})
    vol = pd.DataFrame({"a": [0.1, 0.1], "b": [0.2, 0.2]})
    with pytest.raises(ValueError, match=r"^forecast volatilities" + ONE_NAN):
        standardised_returns(realised, pd.DataFrame({"a": [0.1, np.nan], "b": [0.2, 0.2]}))
    with pytest.raises(
        ValueError,
        match=r"^forecast volatilities does not match the model's columns: missing columns \['b'\]; "
        r"unknown columns \['c'\]$",
    ):
        standardised_returns(realised, vol.rename(columns={"b": "c"}))
    with pytest.raises(ValueError, match=r"^forecast volatilities" + ONE_NAN):
        standardised_returns(realised["a"], pd.Series([0.1, np.nan]))
    with pytest.raises(ValueError, match=r"^standardised returns" + ONE_NAN):
        bias_statistic(pd.DataFrame({"a": [1.0, np.nan], "b": [1.0, 2.0]}))
    # the smallest history: two periods, standard deviation (ddof 1) of (1, 3) is sqrt(2)
    assert bias_statistic(pd.Series([1.0, 3.0])) == pytest.approx(np.sqrt(2.0), rel=1e-15)
    with pytest.raises(ValueError, match=r"^standardised returns" + ONE_NAN):
        rolling_bias(pd.Series([1.0, np.nan, 2.0]), 2)
    with pytest.raises(ValueError, match=r"^window must be a whole number of at least 2, got float 2\.0$"):
        rolling_bias(pd.Series([1.0, 3.0, 2.0]), 2.0)
    assert rolling_bias(pd.Series([1.0, 3.0, 2.0]), 2).name == "rolling bias"


def test_q_statistic_of_a_frame_names_bad_outcomes():
    """A frame of standardised returns with a NaN is named in full, as a series is."""
    with pytest.raises(ValueError, match=r"^standardised returns" + ONE_NAN):
        q_statistic(pd.DataFrame({"a": [1.0, np.nan], "b": [1.0, 2.0]}))


RF_X = np.ones((3, 2, 1))  # three periods, two stocks, one factor
RF_F = pd.DataFrame({"MKT": [0.01, -0.02, 0.03]})
RF_E = pd.DataFrame({"a": [0.01, 0.02, -0.01], "b": [-0.02, 0.01, 0.03]})


@pytest.mark.parametrize(
    ("x", "e", "message"),
    [
        (RF_X[:, :, 0], RF_E, r"^exposures must be 3-dimensional, got shape \(3, 2\)$"),
        (
            np.where(np.arange(2)[None, :, None] == 1, np.nan, RF_X),
            RF_E,
            r"^exposures" + ONE_NAN.replace("1 NaN", "3 NaN"),
        ),
        (RF_X, RF_E.replace(0.03, np.nan), r"^residuals" + ONE_NAN),
        # only the number of factors is off: each dimension is checked on its own
        (
            np.ones((3, 2, 2)),
            RF_E,
            r"^exposures \(3, 2, 2\) do not match factor returns \(3, 1\) and residuals \(3, 2\)$",
        ),
    ],
)
def test_rolling_forecasts_names_the_bad_input(x, e, message):
    """Exposures and residuals named in full; the factor count checked on its own."""
    with pytest.raises(ValueError, match=message):
        rolling_forecasts(x, RF_F, e, 4.0, 6.0, warmup=1)


def test_rolling_forecasts_accept_a_warm_up_of_one_period():
    """The shortest warm-up, one period, leaves every later period forecast."""
    forecasts = rolling_forecasts(RF_X, RF_F, RF_E, 4.0, 6.0, warmup=1)
    assert list(forecasts.periods) == [1, 2]
    # the first forecast is period 0's outer product and squares: 0.01^2; 0.01^2 and 0.02^2
    assert forecasts.factor_cov[0, 0, 0] == pytest.approx(1e-4, rel=1e-12)
    assert forecasts.specific_var[0].tolist() == pytest.approx([1e-4, 4e-4], rel=1e-12)


def test_exceedance_and_q_bands_at_their_limits_and_defaults():
    """A probability of one and a level of zero are refused with the full message; a
    t-tail with 3 degrees of freedom is allowed (more than 2); the default seed is 0."""
    with pytest.raises(ValueError, match=r"^probability and level must lie in \(0, 1\), got 1\.0 and 0\.95$"):
        exceedance_band(10, probability=1.0)
    with pytest.raises(ValueError, match=r"^probability and level must lie in \(0, 1\), got 0\.05 and 0\.0$"):
        exceedance_band(10, level=0.0)
    low, high = q_statistic_band(2, tail_dof=3, n_simulations=100)
    assert 1.0 <= low < high
    assert q_statistic_band(2, n_simulations=100) == q_statistic_band(2, n_simulations=100, seed=0)


def test_a_negative_variance_after_a_zero_one_is_placed_in_its_period():
    """Period 0 holds nothing (variance exactly zero, allowed), period 1 has a negative
    factor variance: the message names position 1."""
    weights = np.array([[0.0, 0.0], [0.5, 0.5]])
    with pytest.raises(ValueError, match=r"^forecast variance is negative in period position 1: "):
        portfolio_vol_forecasts(PV_X, np.array([[[0.04]], [[-1.0]]]), PV_D, weights)
