"""Factor covariance estimators: identities on random inputs, recovery of the simulated truth, bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import SETTINGS, seeds

from mini.covariance import (
    cross_sectional_bias,
    decay_from_half_life,
    effective_sample_size,
    eigenfactor_adjusted_forecasts,
    eigenvalue_floor,
    ewma_covariance,
    ewma_covariance_forecasts,
    ewma_variance_forecasts,
    ewma_weights,
    newey_west_covariance,
    newey_west_covariance_forecasts,
    sample_covariance,
    shrink_covariance,
    simulated_eigen_bias,
    trailing_covariance,
    volatility_regime_adjustment,
    volatility_regime_multipliers,
)
from mini.simulation import simulate_market


def random_returns(seed: int, n_periods: int = 60, n_factors: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(n_factors, n_factors))
    return pd.DataFrame(
        rng.normal(size=(n_periods, n_factors)) @ mixing * 0.02, columns=[f"F{k}" for k in range(n_factors)]
    )


@SETTINGS
@given(st.floats(0.5, 300), st.integers(1, 500))
def test_effective_sample_size_of_ewma_weights_has_a_closed_form(half_life, n):
    lam = decay_from_half_life(half_life)
    expected = (1 + lam) * (1 - lam**n) / ((1 - lam) * (1 + lam**n))
    assert effective_sample_size(ewma_weights(n, half_life)) == pytest.approx(expected, rel=1e-9)
    assert 1.0 - 1e-9 <= effective_sample_size(ewma_weights(n, half_life)) <= n + 1e-9


@SETTINGS
@given(seeds, st.floats(1, 100))
def test_ewma_covariance_is_the_weighted_sum_of_outer_products(seed, half_life):
    f = random_returns(seed)
    w = ewma_weights(len(f), half_life)
    expected = sum(w[t] * np.outer(f.iloc[t], f.iloc[t]) for t in range(len(f)))
    assert np.allclose(ewma_covariance(f, half_life), expected, rtol=1e-10, atol=1e-14)


@SETTINGS
@given(seeds, st.floats(2, 100))
def test_newey_west_with_zero_lags_equals_ewma_and_is_positive_semidefinite(seed, half_life):
    f = random_returns(seed)
    assert np.allclose(newey_west_covariance(f, lags=0, half_life=half_life), ewma_covariance(f, half_life))
    nw = newey_west_covariance(f, lags=3, half_life=half_life).to_numpy()
    assert np.allclose(nw, nw.T)
    assert np.linalg.eigvalsh(nw)[0] > -1e-12 * np.abs(nw).max()


@SETTINGS
@given(seeds, st.floats(1e-6, 1e-2))
def test_eigenvalue_floor_gives_min_eigenvalue_at_least_the_floor(seed, floor):
    f = random_returns(seed, n_periods=3, n_factors=5)  # fewer periods than factors: singular
    floored = eigenvalue_floor(sample_covariance(f), floor).to_numpy()
    assert np.linalg.eigvalsh(floored)[0] >= floor * (1 - 1e-9)
    np.linalg.cholesky(floored)  # positive definite


@SETTINGS
@given(seeds)
def test_eigenvalue_floor_leaves_a_well_conditioned_matrix_alone(seed):
    s = sample_covariance(random_returns(seed, n_periods=200))
    floor = 0.5 * np.linalg.eigvalsh(s)[0]
    assert np.allclose(eigenvalue_floor(s, floor), s, rtol=1e-10, atol=1e-15)


@SETTINGS
@given(seeds, st.floats(0, 1))
def test_shrinkage_keeps_variances_and_interpolates(seed, intensity):
    s = sample_covariance(random_returns(seed))
    for target in ("diagonal", "constant correlation"):
        shrunk = shrink_covariance(s, intensity, target)
        assert np.allclose(np.diag(shrunk), np.diag(s))
        full = shrink_covariance(s, 1.0, target)
        assert np.allclose(shrunk, (1 - intensity) * s + intensity * full)
    assert np.allclose(shrink_covariance(s, 0.0), s)


def test_ewma_covariance_recovers_the_true_calm_covariance():
    """600 calm months, half-life 200 (effective sample about 580): whitened eigenvalues near 1."""
    market = simulate_market(n_stocks=60, n_periods=600, n_industries=4, seed=41, crisis_entry=1e-9)
    estimate = ewma_covariance(market.factor_returns, half_life=200, demean=True).to_numpy()
    # The truth drifts a little as industry weights move, so the target is the truth
    # averaged with the same weights.
    truth = np.einsum("t,tkl->kl", ewma_weights(len(market.periods), 200), market.true_factor_cov)
    # The industry convention makes the true F singular (cap-weighted industries sum to
    # zero), so compare on the free factors: drop the last industry from both.
    keep = [k for k, name in enumerate(market.factors) if name != market.industries[-1]]
    estimate, truth = estimate[np.ix_(keep, keep)], truth[np.ix_(keep, keep)]
    root_inv = np.linalg.inv(np.linalg.cholesky(truth))
    whitened = np.linalg.eigvalsh(root_inv @ estimate @ root_inv.T)
    # sampling theory: about (1 ± sqrt(K / n_eff))^2 = [0.75, 1.30] for K = 7
    assert 0.6 < whitened.min() and whitened.max() < 1.5, whitened


def test_a_calm_covariance_under_forecasts_crises_by_the_crisis_multiplier():
    market = simulate_market(
        n_stocks=60,
        n_periods=1200,
        n_industries=4,
        seed=42,
        crisis_entry=0.1,
        crisis_exit=0.2,
        crisis_multiplier=2.0,
    )
    calm_vol = np.sqrt(market.regime_factor_cov[0, 0, 0])
    z = (market.factor_returns["MKT"] - 0.06 / 12) / calm_vol
    crisis = market.regime == "crisis"
    assert crisis.sum() > 200
    assert z[crisis].std() == pytest.approx(2.0, rel=0.15)
    assert z[~crisis].std() == pytest.approx(1.0, rel=0.15)


def test_covariance_bad_input():
    f = random_returns(0)
    with pytest.raises(ValueError, match="lags must be a non-negative integer"):
        newey_west_covariance(f, lags=-1)
    with pytest.raises(ValueError, match="lags must be a non-negative integer"):
        newey_west_covariance(f, lags=1.5)
    with pytest.raises(ValueError, match="need at least 12 periods"):
        newey_west_covariance(f.iloc[:5], lags=10)
    with pytest.raises(ValueError, match="half-life must be a positive"):
        ewma_covariance(f, half_life=30, vol_half_life=-1)
    flat = f.assign(F0=0.0)
    with pytest.raises(ValueError, match=r"\['F0'\] are all zero"):
        ewma_covariance(flat, half_life=30, vol_half_life=10)
    with pytest.raises(ValueError, match="non-positive variance"):
        shrink_covariance(flat.cov(), 0.5)
    with pytest.raises(ValueError, match="not symmetric"):
        eigenvalue_floor(pd.DataFrame([[1.0, 0.5], [0.0, 1.0]]), 0.1)
    with pytest.raises(ValueError, match="NaN"):
        sample_covariance(f.mask(f > 0.05))
    with pytest.raises(ValueError, match="warm-up must be at least one"):
        ewma_variance_forecasts(f, half_life=10, warmup=0)
    with pytest.raises(ValueError, match="need at least 61 periods"):
        ewma_covariance_forecasts(f, half_life=10, warmup=60)
    with pytest.raises(ValueError, match="weights must be non-negative"):
        effective_sample_size(np.array([0.5, -0.1]))
    with pytest.raises(ValueError, match="need at least one period"):
        ewma_weights(0, 10)


# Exact values: each formula against a computation written out by hand on a tiny input.


@pytest.mark.parametrize("half_life", [1.0, 2.5, 10.0, 63.0])
def test_decay_halves_the_weight_after_one_half_life(half_life):
    decay = decay_from_half_life(half_life)
    assert decay**half_life == pytest.approx(0.5, rel=1e-12)


def test_ewma_weights_by_hand():
    # half-life 1: weights proportional to 1/4, 1/2, 1 (oldest first), total 7/4
    assert np.allclose(ewma_weights(3, 1.0), [1 / 7, 2 / 7, 4 / 7], rtol=1e-14)
    assert np.allclose(ewma_weights(1, 5.0), [1.0])


def test_effective_sample_size_by_hand():
    assert effective_sample_size(np.array([1.0, 1.0, 1.0, 1.0])) == pytest.approx(4.0)
    # weights 1/2, 1/4, 1/4 (given unnormalised): 1 / (1/4 + 1/16 + 1/16) = 8/3
    assert effective_sample_size(np.array([2.0, 1.0, 1.0])) == pytest.approx(8 / 3, rel=1e-14)


TINY = pd.DataFrame({"A": [1.0, 2.0, 3.0, -1.0, 2.0], "B": [0.5, -1.0, 0.0, 2.0, 1.5]})


def test_sample_covariance_by_hand():
    a, b = TINY["A"].to_numpy(), TINY["B"].to_numpy()
    # mean of A is 7/5, of B 3/5; divide the cross-products of deviations by T - 1 = 4
    var_a = sum((x - 1.4) ** 2 for x in a) / 4
    cov_ab = sum((x - 1.4) * (y - 0.6) for x, y in zip(a, b, strict=True)) / 4
    got = sample_covariance(TINY)
    assert got.loc["A", "A"] == pytest.approx(var_a, rel=1e-14)
    assert got.loc["A", "B"] == pytest.approx(cov_ab, rel=1e-14)
    assert got.loc["A", "A"] == pytest.approx(2.3, rel=1e-14)  # (0.16 + 0.36 + 2.56 + 5.76 + 0.36) / 4


def test_ewma_covariance_by_hand_with_and_without_demeaning():
    f = pd.DataFrame({"A": [1.0, 3.0], "B": [2.0, -2.0]})
    # half-life 1 over two periods: weights 1/3 (older), 2/3 (newer)
    raw = ewma_covariance(f, half_life=1.0)
    assert raw.loc["A", "A"] == pytest.approx(1 / 3 + 2 / 3 * 9, rel=1e-14)
    assert raw.loc["A", "B"] == pytest.approx(1 / 3 * 2 - 2 / 3 * 6, rel=1e-14)
    # demeaned with the weighted means 7/3 and -2/3
    centred = ewma_covariance(f, half_life=1.0, demean=True)
    assert centred.loc["A", "A"] == pytest.approx(1 / 3 * (4 / 3) ** 2 + 2 / 3 * (2 / 3) ** 2, rel=1e-13)
    assert centred.loc["A", "B"] == pytest.approx(
        1 / 3 * (-4 / 3) * (8 / 3) + 2 / 3 * (2 / 3) * (-4 / 3), rel=1e-13
    )


def test_ewma_covariance_with_a_separate_volatility_half_life():
    f = random_returns(5, n_periods=40, n_factors=3)
    fast, slow = ewma_covariance(f, 5.0).to_numpy(), ewma_covariance(f, 30.0).to_numpy()
    mixed = ewma_covariance(f, 30.0, vol_half_life=5.0).to_numpy()
    for i in range(3):
        assert mixed[i, i] == pytest.approx(fast[i, i], rel=1e-12)
        for j in range(3):
            correlation = slow[i, j] / np.sqrt(slow[i, i] * slow[j, j])
            assert mixed[i, j] == pytest.approx(correlation * np.sqrt(fast[i, i] * fast[j, j]), rel=1e-12)


def test_newey_west_one_lag_by_hand():
    # Gamma_0 = (1 + 4 + 9 + 1 + 4) / 5 = 3.8; Gamma_1 = (2*1 + 3*2 - 1*3 - 2*1) / 5 = 0.6;
    # the Bartlett weight of lag 1 with L = 1 is 1 - 1/2: 3.8 + 0.5 * (0.6 + 0.6) = 4.4
    nw = newey_west_covariance(TINY[["A"]], lags=1)
    assert nw.loc["A", "A"] == pytest.approx(4.4, rel=1e-14)


def _newey_west_by_hand(values: np.ndarray, lags: int, weights: np.ndarray) -> np.ndarray:
    t_len, k = values.shape
    result = np.zeros((k, k))
    for s in range(t_len):
        result += weights[s] * np.outer(values[s], values[s])
    for lag in range(1, lags + 1):
        gamma = np.zeros((k, k))
        for s in range(lag, t_len):
            gamma += np.sqrt(weights[s] * weights[s - lag]) * np.outer(values[s], values[s - lag])
        result += (1 - lag / (lags + 1)) * (gamma + gamma.T)
    return result


@pytest.mark.parametrize("lags", [1, 2, 3])
def test_newey_west_equals_the_bartlett_sum_by_hand(lags):
    values = TINY.to_numpy()
    equal = np.full(len(values), 1 / len(values))
    assert np.allclose(
        newey_west_covariance(TINY, lags), _newey_west_by_hand(values, lags, equal), rtol=1e-13
    )
    decayed = 2.0 ** (np.arange(len(values)) / 2.0)  # half-life 2: weight doubles every 2 periods
    decayed /= decayed.sum()
    assert np.allclose(
        newey_west_covariance(TINY, lags, half_life=2.0),
        _newey_west_by_hand(values, lags, decayed),
        rtol=1e-13,
    )


def _three_factor_covariance() -> pd.DataFrame:
    vols = np.array([0.1, 0.2, 0.3])
    corr = np.array([[1.0, 0.5, 0.2], [0.5, 1.0, -0.1], [0.2, -0.1, 1.0]])
    return pd.DataFrame(np.outer(vols, vols) * corr, index=list("xyz"), columns=list("xyz"))


def test_constant_correlation_target_by_hand():
    s = _three_factor_covariance()
    # average off-diagonal correlation (0.5 + 0.2 - 0.1) / 3 = 0.2
    target = pd.DataFrame(
        [[0.01, 0.2 * 0.02, 0.2 * 0.03], [0.2 * 0.02, 0.04, 0.2 * 0.06], [0.2 * 0.03, 0.2 * 0.06, 0.09]],
        index=list("xyz"),
        columns=list("xyz"),
    )
    assert np.allclose(shrink_covariance(s, 1.0), target, rtol=1e-13, atol=0)
    assert np.allclose(shrink_covariance(s, 0.25), 0.75 * s + 0.25 * target, rtol=1e-13, atol=0)


def test_diagonal_target_by_hand():
    s = _three_factor_covariance()
    expected = s.to_numpy() * 0.6
    np.fill_diagonal(expected, [0.01, 0.04, 0.09])
    assert np.allclose(shrink_covariance(s, 0.4, target="diagonal"), expected, rtol=1e-13, atol=0)


def test_eigenvalue_floor_by_hand():
    # [[2, 1], [1, 2]] has eigenvalues 3 and 1 on (1, 1) and (1, -1); flooring at 1.5 gives
    # 3 P1 + 1.5 P2 = [[2.25, 0.75], [0.75, 2.25]]
    s = pd.DataFrame([[2.0, 1.0], [1.0, 2.0]])
    assert np.allclose(eigenvalue_floor(s, 1.5), [[2.25, 0.75], [0.75, 2.25]], rtol=1e-14)


def test_volatility_regime_adjustment_by_hand():
    z = pd.DataFrame({"A": [1.0, 3.0], "B": [1.0, 1.0]})
    # mean squares 1 and 5, half-life 1 weights 1/3 and 2/3: sqrt(1/3 + 10/3)
    assert volatility_regime_adjustment(z, 1.0) == pytest.approx(np.sqrt(11 / 3), rel=1e-14)


def test_ewma_variance_and_covariance_forecasts_by_hand():
    f = pd.DataFrame({"A": [1.0, 3.0, 2.0, -1.0], "B": [2.0, 0.0, 1.0, 1.0]})
    decay = 0.5  # half-life 1
    variance = ewma_variance_forecasts(f, half_life=1.0, warmup=2)
    # start from the mean square of the first two periods: A (1 + 9) / 2 = 5, B (4 + 0) / 2 = 2
    assert list(variance.index) == [2, 3]
    assert variance.loc[2, "A"] == pytest.approx(5.0)
    assert variance.loc[3, "A"] == pytest.approx(decay * 5.0 + (1 - decay) * 4.0)
    assert variance.loc[3, "B"] == pytest.approx(decay * 2.0 + (1 - decay) * 1.0)
    cov = ewma_covariance_forecasts(f, half_life=1.0, warmup=2)
    assert cov.shape == (2, 2, 2)
    assert cov[0, 0, 1] == pytest.approx((1 * 2 + 3 * 0) / 2)
    assert cov[1, 0, 1] == pytest.approx(decay * 1.0 + (1 - decay) * 2.0 * 1.0)
    assert np.allclose(np.diagonal(cov, axis1=1, axis2=2), variance.to_numpy())


def test_matrix_functions_keep_labels_and_name_bad_input():
    s = _three_factor_covariance()
    floored = eigenvalue_floor(s, 1e-6)
    assert list(floored.index) == list("xyz") and list(floored.columns) == list("xyz")
    shrunk = shrink_covariance(s, 0.5)
    assert list(shrunk.index) == list("xyz") and list(shrunk.columns) == list("xyz")
    asymmetric = s.copy()
    asymmetric.iloc[0, 1] += 0.01
    for function in (lambda m: eigenvalue_floor(m, 1e-6), lambda m: shrink_covariance(m, 0.5)):
        with pytest.raises(ValueError, match="^covariance contains 1 NaN"):
            function(s.mask(s > 0.08))
        with pytest.raises(ValueError, match="^covariance is not symmetric"):
            function(asymmetric)


def test_volatility_regime_adjustment_of_a_single_period():
    # one period: the multiplier is the root mean square of that period's z
    assert volatility_regime_adjustment(pd.DataFrame({"A": [3.0], "B": [1.0]}), 10.0) == pytest.approx(
        np.sqrt(5.0), rel=1e-14
    )


def test_effective_sample_size_edge_cases():
    assert effective_sample_size(np.array([1.0, 0.0, 1.0])) == pytest.approx(2.0)  # a zero weight is allowed
    with pytest.raises(ValueError, match="^weights must be non-negative and not all zero$"):
        effective_sample_size(np.zeros(3))
    with pytest.raises(ValueError, match="^weights must be 1-dimensional"):
        effective_sample_size(np.ones((2, 2)))
    with pytest.raises(ValueError, match="^weights contains 1 NaN"):
        effective_sample_size(np.array([1.0, np.nan]))


def test_constant_correlation_target_of_one_and_two_factors():
    one = pd.DataFrame([[0.04]], index=["x"], columns=["x"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 0/0 on the way: one factor has no correlations to average
        assert np.allclose(shrink_covariance(one, 0.7), one, rtol=1e-15)
    two = pd.DataFrame([[0.04, 0.01], [0.01, 0.01]], index=["x", "y"], columns=["x", "y"])
    # with two factors the average correlation is the one correlation: the target is the matrix itself
    assert np.allclose(shrink_covariance(two, 1.0), two, rtol=1e-14)
    with pytest.raises(
        ValueError, match=r"^covariance has a non-positive variance on its diagonal, for \[0\]$"
    ):
        shrink_covariance(pd.DataFrame([[0.0, 0.0], [0.0, 0.01]]), 0.5)


def test_trailing_covariance_uses_only_the_window_before_the_period():
    dates = pd.date_range("2000-01-31", periods=30, freq="ME")
    f = pd.DataFrame(np.random.default_rng(4).normal(size=(30, 3)), index=dates, columns=list("abc"))
    got = trailing_covariance(f, dates[20], window=12)
    rows = f.to_numpy()[8:20]  # periods 8..19: the twelve before period 20
    centred = rows - rows.mean(axis=0)
    np.testing.assert_allclose(got.to_numpy(), centred.T @ centred / 11, rtol=1e-13)
    assert list(got.index) == list("abc") and list(got.columns) == list("abc")
    changed = f.copy()
    changed.iloc[20:] = 99.0  # the period itself and later ones do not enter
    pd.testing.assert_frame_equal(trailing_covariance(changed, dates[20], 12), got)
    assert np.allclose(trailing_covariance(f, dates[12], 12), f.iloc[:12].cov())


def test_trailing_covariance_bad_input():
    dates = pd.date_range("2000-01-31", periods=30, freq="ME")
    f = pd.DataFrame(np.random.default_rng(4).normal(size=(30, 2)), index=dates, columns=["a", "b"])
    with pytest.raises(ValueError, match="needs 12 periods before .* there are 11"):
        trailing_covariance(f, dates[11], 12)
    with pytest.raises(ValueError, match="is not in the factor returns"):
        trailing_covariance(f, pd.Timestamp("1999-12-31"), 12)
    with pytest.raises(ValueError, match="does not name a single period"):
        trailing_covariance(f, "2001-05", 3)
    with pytest.raises(ValueError, match="window must be a whole number of at least 2"):
        trailing_covariance(f, dates[20], 1)
    with pytest.raises(ValueError, match="oldest first"):
        trailing_covariance(f.iloc[::-1], dates[20], 3)


# Production repairs: the cross-sectional bias statistic, regime multipliers, and the
# eigenfactor adjustment of a stack of forecasts, on inputs small enough to follow by hand.

MONTHS = pd.date_range("2001-01-31", periods=2, freq="ME")
Z = pd.DataFrame([[1.0, -2.0, 3.0], [0.5, 0.0, -1.0]], index=MONTHS, columns=list("abc"))


def test_cross_sectional_bias_by_hand_keeps_the_periods():
    # mean squares (1 + 4 + 9) / 3 and (0.25 + 0 + 1) / 3
    expected = pd.Series([14 / 3, 1.25 / 3], index=MONTHS, name="B squared")
    pd.testing.assert_series_equal(cross_sectional_bias(Z), expected, rtol=1e-14)
    pd.testing.assert_series_equal(cross_sectional_bias(Z.iloc[:1]), expected.iloc[:1], rtol=1e-14)


def test_cross_sectional_bias_with_weights_given_in_another_order():
    # fractional weights, one of them zero, normalised in each period:
    # (0.5 * 1 + 0.25 * 4) / 0.75 = 2 and (0.1 * 0.25 + 0.1 * 1) / 0.4 = 0.3125
    w = pd.DataFrame([[0.5, 0.25, 0.0], [0.1, 0.2, 0.1]], index=MONTHS, columns=list("abc"))
    expected = pd.Series([2.0, 0.3125], index=MONTHS, name="B squared")
    pd.testing.assert_series_equal(cross_sectional_bias(Z, w.iloc[::-1, ::-1]), expected, rtol=1e-14)


@pytest.mark.parametrize(
    "weights, message",
    [
        (
            pd.DataFrame([[1.0, np.nan, 1.0], [1.0, 1.0, 1.0]], index=MONTHS, columns=list("abc")),
            r"^weights contains 1 NaN",
        ),
        (
            pd.DataFrame(1.0, index=MONTHS, columns=list("ab")),
            r"^weights \(2, 2\) and standardised returns \(2, 3\) differ in shape$",
        ),
        (
            pd.DataFrame(1.0, index=MONTHS, columns=list("abd")),
            r"^weights does not match the model's columns: missing columns \['c'\]; unknown columns \['d'\]$",
        ),
        (
            pd.DataFrame(1.0, index=MONTHS + pd.offsets.MonthEnd(1), columns=list("abc")),
            r"^weights does not match the model's periods: missing periods \[Timestamp\('2001-01-31",
        ),
        (
            pd.DataFrame([[1.0, -0.5, 1.0], [1.0, 1.0, 1.0]], index=MONTHS, columns=list("abc")),
            r"^weights must be non-negative with a positive sum in every period$",
        ),
        (
            pd.DataFrame([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]], index=MONTHS, columns=list("abc")),
            r"^weights must be non-negative with a positive sum in every period$",
        ),
    ],
    ids=["nan", "shape", "columns", "periods", "negative", "all-zero-period"],
)
def test_cross_sectional_bias_rejects_bad_weights(weights, message):
    with pytest.raises(ValueError, match=message):
        cross_sectional_bias(Z, weights)


def test_volatility_regime_multipliers_by_hand():
    months = pd.date_range("2001-01-31", periods=3, freq="ME")
    # half-life 1: decay 1/2. No history: 1; then B_0^2 = 0; then (0.5 * 0 + 1 * 2) / (0.5 + 1)
    got = volatility_regime_multipliers(pd.Series([0.0, 2.0, 4.0], index=months), half_life=1.0)
    expected = pd.Series([1.0, 0.0, 4 / 3], index=months, name="lambda squared")
    pd.testing.assert_series_equal(got, expected, rtol=1e-14)


@pytest.mark.parametrize(
    "values, message",
    [
        ([1.0, np.nan], r"^squared bias statistics contains 1 NaN"),
        ([1.0, -0.1], r"^squared bias statistics cannot be negative$"),
    ],
)
def test_volatility_regime_multipliers_bad_input(values, message):
    with pytest.raises(ValueError, match=message):
        volatility_regime_multipliers(pd.Series(values), half_life=5.0)


def _adjusted_by_hand(matrix: np.ndarray, bias: np.ndarray, scale: float) -> np.ndarray:
    """U diag(gamma^2 D) U' with gamma = a (v - 1) + 1, written out eigenvalue by eigenvalue."""
    values, vectors = np.linalg.eigh(matrix)
    result = np.zeros_like(matrix)
    for rank in range(len(values)):
        gamma = scale * (bias[rank] - 1.0) + 1.0
        result += gamma**2 * values[rank] * np.outer(vectors[:, rank], vectors[:, rank])
    return result


def _forecast_stack(n: int) -> np.ndarray:
    """n different 3 x 3 covariances: the correlations of the three-factor example, varied."""
    base = _three_factor_covariance().to_numpy()
    return np.stack([base + 0.002 * t * np.eye(3) + 0.001 * t * np.ones((3, 3)) for t in range(n)])


def _profile(matrix: np.ndarray, n_periods: int, n_simulations: int, seed: int) -> np.ndarray:
    return simulated_eigen_bias(
        pd.DataFrame(matrix), n_periods, n_simulations=n_simulations, seed=seed
    ).to_numpy()


@pytest.mark.parametrize("every, scale", [(1, 0.5), (2, 0.0), (3, 1.3)])
def test_eigenfactor_adjusted_forecasts_by_hand(every, scale):
    stack = _forecast_stack(3)
    got = eigenfactor_adjusted_forecasts(stack, 10, every=every, n_simulations=50, scale=scale, seed=7)
    for t in range(3):
        start = t - t % every  # the profile of the block's first period, simulated with seed 7 + start
        bias = _profile(stack[start], 10, 50, 7 + start)
        np.testing.assert_allclose(got[t], _adjusted_by_hand(stack[t], bias, scale), rtol=1e-10, atol=1e-16)


def test_eigenfactor_adjusted_forecasts_default_profile_is_renewed_after_21_periods():
    stack = _forecast_stack(22)
    got = eigenfactor_adjusted_forecasts(stack, 10)  # every 21 periods, 200 simulations, seed 0, scale 1.2
    for t, start in [(0, 0), (20, 0), (21, 21)]:
        bias = _profile(stack[start], 10, 200, start)
        np.testing.assert_allclose(got[t], _adjusted_by_hand(stack[t], bias, 1.2), rtol=1e-10, atol=1e-16)


def test_eigenfactor_adjusted_forecasts_refuse_a_scale_that_zeroes_an_eigenvalue():
    stack = _forecast_stack(1)
    bias = _profile(stack[0], 10, 50, 0)
    scale = 1.0 / (1.0 - bias.min())  # the smallest bias is below one: its gamma is exactly zero
    assert scale * (bias.min() - 1.0) + 1.0 == 0.0
    message = r"^the scaled bias is not positive for every eigenvalue: use a smaller scale$"
    for too_large in (scale, 1e6):
        with pytest.raises(ValueError, match=message):
            eigenfactor_adjusted_forecasts(stack, 10, n_simulations=50, scale=too_large)


@pytest.mark.parametrize(
    "forecasts, kwargs, message",
    [
        (np.full((2, 3, 3), np.nan), {}, r"^factor covariance forecasts contains 18 NaN"),
        (np.eye(3), {}, r"^factor covariance forecasts must be 3-dimensional, got shape \(3, 3\)$"),
        (np.ones((2, 3, 4)), {}, r"^forecasts must be a stack of square matrices, got \(2, 3, 4\)$"),
        (np.stack([np.eye(3)] * 2), {"every": 1.5}, r"^every must be a positive integer, got 1.5$"),
        (np.stack([np.eye(3)] * 2), {"every": True}, r"^every must be a positive integer, got True$"),
        (np.stack([np.eye(3)] * 2), {"scale": -0.5}, r"^scale must be a non-negative number, got -0.5$"),
        (np.stack([np.eye(3)] * 2), {"scale": np.inf}, r"^scale must be a non-negative number, got inf$"),
    ],
)
def test_eigenfactor_adjusted_forecasts_bad_input(forecasts, kwargs, message):
    with pytest.raises(ValueError, match=message):
        eigenfactor_adjusted_forecasts(forecasts, 10, n_simulations=20, **kwargs)


def test_newey_west_forecasts_by_hand_with_two_lags():
    # F_t = [Γ0 + Σ_l (1 − l/(L+1)) (Γl + Γlᵀ)] / (1 − λ^t), Γl = (1 − λ) Σ_{l ≤ s < t} λ^(t−1−s) f_s f_{s−l}ᵀ
    values = np.array(
        [[0.01, -0.02], [0.03, 0.01], [-0.02, 0.02], [0.015, -0.01], [0.005, 0.03], [-0.01, 0.0]]
    )
    returns = pd.DataFrame(values, columns=["MKT", "VAL"], index=pd.RangeIndex(6, name="period"))
    lags, warmup, half_life = 2, 3, 2.0
    lam = 0.5 ** (1 / half_life)
    got = newey_west_covariance_forecasts(returns, half_life=half_life, lags=lags, warmup=warmup)
    assert got.shape == (6 - warmup, 2, 2)
    for t in range(warmup, 6):
        gammas = [
            (1 - lam) * sum(lam ** (t - 1 - s) * np.outer(values[s], values[s - lag]) for s in range(lag, t))
            for lag in range(lags + 1)
        ]
        bartlett = sum((1 - lag / (lags + 1)) * (gammas[lag] + gammas[lag].T) for lag in range(1, lags + 1))
        assert np.allclose(got[t - warmup], (gammas[0] + bartlett) / (1 - lam**t), rtol=1e-12, atol=1e-16)


def test_ewma_forecasts_name_their_inputs_at_the_warm_up_boundaries():
    """Factor returns and the warm-up named in full; the shortest accepted history is the
    warm-up plus one period (one forecast row), one period less is refused; a warm-up of
    one period is allowed, zero is not."""
    f = pd.DataFrame({"A": [0.01, -0.02, 0.03], "B": [0.02, 0.01, -0.01]}, index=[10, 11, 12])
    with pytest.raises(ValueError, match=r"^factor returns contains 1 NaN or infinite value\(s\)$"):
        ewma_variance_forecasts(f.mask(f > 0.025), half_life=2.0, warmup=1)
    with pytest.raises(ValueError, match=r"^need at least 4 periods of returns, got 3$"):
        ewma_variance_forecasts(f, half_life=2.0, warmup=3)
    assert list(ewma_variance_forecasts(f, half_life=2.0, warmup=2).index) == [12]
    with pytest.raises(ValueError, match=r"^warm-up must be at least one period, got 0$"):
        ewma_covariance_forecasts(f, half_life=2.0, warmup=0)
    # warm-up 1 on 2 periods: the forecast of period 11 is the outer product of period 10's returns
    one = ewma_covariance_forecasts(f.iloc[:2], half_life=2.0, warmup=1)
    np.testing.assert_allclose(one, [[[1e-4, 2e-4], [2e-4, 4e-4]]], rtol=1e-12)


def test_simulated_eigen_bias_checks_labels_and_its_defaults():
    """The covariance is named when asymmetric; the periods must exceed the factors (equal
    is refused, one more accepted); the default seed is 0; the result is named."""
    cov = pd.DataFrame([[0.04, 0.01], [0.01, 0.09]], index=["A", "B"], columns=["A", "B"])
    with pytest.raises(ValueError, match=r"^factor covariance contains 2 NaN or infinite value\(s\)$"):
        simulated_eigen_bias(cov.replace(0.01, np.nan), 10)
    with pytest.raises(ValueError, match=r"^factor covariance is not symmetric$"):
        simulated_eigen_bias(cov.mask(cov.index.to_numpy()[:, None] < cov.columns.to_numpy(), 0.02), 10)
    with pytest.raises(
        ValueError,
        match=r"^need more periods than factors to simulate an estimate: 2 periods, 2 factors$",
    ):
        simulated_eigen_bias(cov, 2, n_simulations=5)
    smallest = simulated_eigen_bias(cov, 3, n_simulations=5)
    assert smallest.name == "simulated bias" and len(smallest) == 2
    pd.testing.assert_series_equal(
        simulated_eigen_bias(cov, 10, n_simulations=20),
        simulated_eigen_bias(cov, 10, n_simulations=20, seed=0),
    )
    assert not simulated_eigen_bias(cov, 10, n_simulations=20, seed=1).equals(
        simulated_eigen_bias(cov, 10, n_simulations=20)
    )


def test_simulated_eigen_bias_of_a_huge_sample_is_one_over_several_batches():
    """With 340,000 periods each simulated estimate is the truth to about 0.3%, so every
    bias is one; the draws come in batches of two simulations (2,000,000 // (340,000 x 2)),
    so three simulations need two batches, and all three must count."""
    cov = pd.DataFrame([[0.04, 0.01], [0.01, 0.09]], index=["A", "B"], columns=["A", "B"])
    bias = simulated_eigen_bias(cov, 340_000, n_simulations=3, seed=5)
    np.testing.assert_allclose(bias.to_numpy(), 1.0, atol=0.02)
