"""The simulated market has the properties its docstring promises, in every period."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mini.simulation import simulate_market


@pytest.fixture(scope="module")
def long_market():
    """Few stocks, many months: enough regime switches to measure the chain."""
    return simulate_market(n_stocks=40, n_periods=4000, n_industries=4, seed=71)


@pytest.fixture(scope="module")
def wide_market():
    return simulate_market(n_stocks=600, n_periods=60, n_industries=10, seed=72)


def test_regime_chain_has_the_stated_transition_probabilities(long_market):
    crisis = (long_market.regime == "crisis").to_numpy()
    enter = np.mean(crisis[1:][~crisis[:-1]])
    leave = np.mean(~crisis[1:][crisis[:-1]])
    assert enter == pytest.approx(0.03, abs=0.01)
    assert leave == pytest.approx(0.20, abs=0.05)
    assert crisis.mean() == pytest.approx(0.03 / 0.23, abs=0.04)  # stationary share


def test_crisis_factor_volatility_is_the_multiplier_times_calm(long_market):
    crisis = long_market.regime == "crisis"
    ratio = (
        long_market.factor_returns.loc[crisis, "MKT"].std()
        / long_market.factor_returns.loc[~crisis, "MKT"].std()
    )
    assert ratio == pytest.approx(2.0, rel=0.15)
    assert np.allclose(long_market.regime_factor_cov[1], 4.0 * long_market.regime_factor_cov[0])


def test_factor_volatilities_are_in_the_stated_ranges(long_market):
    calm = np.sqrt(np.diag(long_market.regime_factor_cov[0]) * 12)
    names = list(long_market.factors)
    assert calm[names.index("MKT")] == pytest.approx(0.16)
    assert all(0.05 <= calm[names.index(i)] <= 0.10 for i in long_market.industries)
    assert all(0.02 <= calm[names.index(s)] <= 0.06 for s in ("VALUE", "MOM", "SIZE"))


def test_specific_returns_are_fat_tailed_with_the_stated_volatilities(long_market):
    specific = long_market.returns.to_numpy() - np.einsum(
        "tnk,tk->tn", long_market.exposures, long_market.factor_returns.to_numpy()
    )
    scaled = specific / (long_market.specific_vol.to_numpy() / np.sqrt(12))
    assert scaled.std() == pytest.approx(1.0, rel=0.03)
    assert stats.kurtosis(scaled.ravel()) > 2.0  # Student-t with 5 dof: excess kurtosis 6; normal: 0


def test_small_caps_have_larger_specific_volatility(wide_market):
    log_cap = np.log(wide_market.caps.iloc[0])
    assert np.corrcoef(log_cap, np.log(wide_market.specific_vol))[0, 1] < -0.3
    assert wide_market.specific_vol.between(0.10, 0.80).all()


def test_caps_are_log_normal(wide_market):
    log_cap = np.log(wide_market.caps.iloc[0])
    assert abs(stats.skew(log_cap)) < 0.3
    assert log_cap.std() == pytest.approx(1.3, rel=0.15)


def test_industries_have_unequal_sizes_and_every_stock_one_industry(wide_market):
    counts = wide_market.industry.value_counts()
    assert counts.min() >= 5 and counts.max() > 2 * counts.min()
    dummies = wide_market.exposures[:, :, 1 : 1 + len(wide_market.industries)]
    assert np.all(dummies.sum(axis=2) == 1.0)
    assert np.all(wide_market.exposures[:, :, 0] == 1.0)


def test_styles_are_standardised_in_every_period(wide_market):
    weights = wide_market.caps.to_numpy() / wide_market.caps.to_numpy().sum(axis=1, keepdims=True)
    for style in ("VALUE", "MOM", "SIZE"):
        x = wide_market.exposures[:, :, wide_market.factors.get_loc(style)]
        assert np.allclose(np.sum(weights * x, axis=1), 0.0, atol=1e-12)
        assert np.allclose(x.std(axis=1), 1.0)


def test_style_exposures_drift_slowly(wide_market):
    def persistence(style: str) -> float:
        x = wide_market.exposures[:, :, wide_market.factors.get_loc(style)]
        return float(np.mean([np.corrcoef(x[t], x[t + 1])[0, 1] for t in range(len(x) - 1)]))

    assert persistence("SIZE") > 0.99
    assert persistence("VALUE") > 0.97
    assert 0.8 < persistence("MOM") < 0.97


def test_daily_market_is_reproducible_and_labelled():
    a = simulate_market(n_stocks=50, n_periods=30, frequency="daily", seed=73)
    b = simulate_market(n_stocks=50, n_periods=30, frequency="daily", seed=73)
    assert np.array_equal(a.exposures, b.exposures)
    pd.testing.assert_frame_equal(a.factor_returns, b.factor_returns)
    pd.testing.assert_series_equal(a.regime, b.regime)
    assert a.periods.freqstr == "B" and a.periods.name == "period"
    assert a.stocks[0] == "S0000" and a.exposures_at(3).shape == (50, len(a.factors))
    assert a.factor_cov_at(3).index.equals(a.factors)


def test_n_periods_must_be_at_least_two():
    with pytest.raises(ValueError, match="at least two periods"):
        simulate_market(n_stocks=50, n_periods=1)
    with pytest.raises(ValueError, match="tail_dof"):
        simulate_market(n_stocks=50, n_periods=5, tail_dof=2)
