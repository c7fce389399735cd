"""Out-of-sample tests: closed forms checked against independent computations, no look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mini.backtest import (
    hedge_backtest,
    minimum_variance_backtest,
    minimum_variance_weights,
    single_index_covariance,
)
from mini.optimisation import exposure_constraints, minimum_tracking_error


def _returns(seed: int, periods: int = 300, assets: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    market = rng.normal(0, 0.01, periods)
    betas = rng.uniform(0.5, 1.5, assets)
    values = np.outer(market, betas) + rng.normal(0, 0.01, (periods, assets))
    dates = pd.bdate_range("2020-01-01", periods=periods)
    return pd.DataFrame(values, index=dates, columns=[f"A{i}" for i in range(assets)])


def test_minimum_variance_weights_match_the_optimiser_with_only_a_budget():
    cov = _returns(1).cov()
    budget, target = exposure_constraints(pd.DataFrame(index=cov.index), {}, budget=1.0)
    expected = minimum_tracking_error(cov, budget, target)
    got = minimum_variance_weights(cov)
    np.testing.assert_allclose(got.reindex(expected.index), expected, atol=1e-10)
    assert got.sum() == pytest.approx(1.0)


def test_minimum_variance_weights_align_columns_by_label():
    cov = _returns(2).cov()
    shuffled = cov.loc[cov.index[::-1], cov.index]  # rows reversed, columns not
    np.testing.assert_allclose(
        minimum_variance_weights(shuffled).reindex(cov.index), minimum_variance_weights(cov)
    )


def test_single_index_covariance_by_hand():
    returns = _returns(3, periods=80, assets=3)
    market = returns.mean(axis=1).rename("m")
    x = np.column_stack([np.ones(len(market)), market.to_numpy()])
    coef, *_ = np.linalg.lstsq(x, returns.to_numpy(), rcond=None)
    resid = returns.to_numpy() - x @ coef
    specific = (resid**2).sum(axis=0) / (len(market) - 2)
    beta = coef[1]
    expected = np.outer(beta, beta) * np.var(market.to_numpy(), ddof=1) + np.diag(specific)
    result = single_index_covariance(returns, market)
    np.testing.assert_allclose(result.to_numpy(), expected, rtol=1e-12)
    assert list(result.index) == list(result.columns) == ["A0", "A1", "A2"]
    with pytest.raises(ValueError, match="^market returns contains 1 NaN"):
        single_index_covariance(returns, market.where(market.index != market.index[5]))


def test_the_backtest_never_looks_ahead():
    returns = _returns(4)
    estimators = {"sample": lambda past: past.cov()}
    base = minimum_variance_backtest(returns, estimators, window=50, hold=20)
    changed = returns.copy()
    changed.iloc[150:] *= -3.0  # rewrite the future after day 150
    other = minimum_variance_backtest(changed, estimators, window=50, hold=20)
    # Days 50..149 were held on estimates from data before day 150 and earned returns
    # from before day 150: identical. Later days differ.
    pd.testing.assert_frame_equal(base.iloc[:100], other.iloc[:100])
    assert not np.allclose(base.iloc[100:], other.iloc[100:])
    assert base.index.equals(returns.index[50:])


def test_each_holding_period_earns_the_weights_chosen_at_its_start():
    returns = _returns(5)
    estimators = {"sample": lambda past: past.cov()}
    realised = minimum_variance_backtest(returns, estimators, window=60, hold=30)
    weights = minimum_variance_weights(returns.iloc[90:150].cov())  # chosen at day 150
    np.testing.assert_allclose(realised["sample"].iloc[90:120], returns.iloc[150:180] @ weights)


def test_a_perfect_hedge_removes_all_but_the_intercept():
    returns = _returns(6)
    instruments = returns[["A0", "A1"]]
    portfolio = (0.6 * returns["A0"] - 0.4 * returns["A1"] + 0.0001).rename("p")
    hedged = hedge_backtest(portfolio, instruments, {"none": [], "both": ["A0", "A1"]}, window=40, hold=10)
    pd.testing.assert_series_equal(hedged["none"], portfolio.iloc[40:], check_names=False)
    np.testing.assert_allclose(hedged["both"], 0.0001, atol=1e-12)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"window": 1, "hold": 5}, "window must be a whole number of periods, at least 2, got 1"),
        ({"window": 10, "hold": 0}, "hold must be a whole number of periods, at least 1, got 0"),
        ({"window": 400, "hold": 5}, "nothing to test"),
    ],
)
def test_bad_windows(kwargs, message):
    with pytest.raises(ValueError, match=message):
        minimum_variance_backtest(_returns(7), {"s": lambda p: p.cov()}, **kwargs)


def test_bad_input():
    returns = _returns(8)
    with pytest.raises(TypeError, match="window must be a whole number of periods"):
        minimum_variance_backtest(returns, {"s": lambda p: p.cov()}, window=10.5, hold=5)
    with pytest.raises(ValueError, match="returns must run oldest first"):
        minimum_variance_backtest(returns.iloc[::-1], {"s": lambda p: p.cov()}, window=10, hold=5)
    with pytest.raises(ValueError, match="at least one"):
        minimum_variance_backtest(returns, {}, window=10, hold=5)
    with pytest.raises(ValueError, match="unknown instrument"):
        hedge_backtest(returns["A0"], returns[["A1"]], {"x": ["B9"]}, window=10, hold=5)
    with pytest.raises(ValueError, match="same periods"):
        hedge_backtest(returns["A0"].iloc[1:], returns[["A1"]], {"x": ["A1"]}, window=10, hold=5)
    singular = returns.cov()
    singular["A0"] = singular["A1"]
    singular.loc["A0"] = singular.loc["A1"]
    with pytest.raises(ValueError, match="not positive definite"):
        minimum_variance_weights(singular)
