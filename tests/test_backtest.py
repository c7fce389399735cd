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


# --- inputs named in full, the smallest windows, the rolling hedge by hand ---------------------
COV2 = pd.DataFrame([[0.04, 0.01], [0.01, 0.09]], index=["x", "y"], columns=["x", "y"])


@pytest.mark.parametrize(
    "covariance, message",
    [
        (COV2.replace(0.09, np.nan), r"^covariance contains 1 NaN or infinite value\(s\)$"),
        (
            COV2.rename(columns={"y": "z"}),
            r"^covariance columns does not match the model's assets: missing assets \['y'\]; "
            r"unknown assets \['z'\]$",
        ),
        (
            pd.DataFrame([[0.04, 0.01], [0.02, 0.09]], index=["x", "y"], columns=["x", "y"]),
            r"^covariance is not symmetric$",
        ),
        (
            pd.DataFrame([[1.0, 2.0], [2.0, 1.0]], index=["x", "y"], columns=["x", "y"]),
            r"^covariance is not positive definite \(smallest eigenvalue -1\)$",  # eigenvalues -1 and 3
        ),
    ],
)
def test_minimum_variance_weights_name_the_bad_covariance(covariance, message):
    """Each check of the covariance names it (and its labels) in full."""
    with pytest.raises(ValueError, match=message):
        minimum_variance_weights(covariance)


def test_minimum_variance_weights_by_hand():
    """Σ⁻¹1 / 1ᵀΣ⁻¹1 for a 2 × 2 Σ: Σ⁻¹1 ∝ (0.09 − 0.01, 0.04 − 0.01) = (0.08, 0.03)."""
    w = minimum_variance_weights(COV2)
    assert np.allclose(w, [8 / 11, 3 / 11], rtol=1e-13)
    assert w.name == "weight" and list(w.index) == ["x", "y"]


def test_smallest_window_and_hold_are_allowed_and_a_window_as_long_as_the_data_is_not():
    """A 2-period window held 1 period is the least allowed; a window of all periods leaves none."""
    returns = _returns(9, periods=5, assets=2)
    realised = minimum_variance_backtest(
        returns, {"s": lambda p: p.cov() + 0.01 * np.eye(2)}, window=2, hold=1
    )
    assert realised.index.equals(returns.index[2:])
    with pytest.raises(ValueError, match=r"^5 periods leave nothing to test after a 5-period window$"):
        minimum_variance_backtest(returns, {"s": lambda p: p.cov()}, window=5, hold=1)


def test_backtests_name_their_bad_input():
    """Returns, portfolio and instrument returns are named in their errors, in full."""
    returns = _returns(10, periods=30, assets=2)
    estimators = {"s": lambda p: p.cov()}
    with pytest.raises(ValueError, match=r"^returns contains 1 NaN or infinite value\(s\)$"):
        minimum_variance_backtest(returns.replace(returns.iloc[3, 1], np.nan), estimators, window=10, hold=5)
    with pytest.raises(ValueError, match=r"^give at least one covariance estimator$"):
        minimum_variance_backtest(returns, {}, window=10, hold=5)
    portfolio, instruments = returns["A0"], returns[["A1"]]
    with pytest.raises(ValueError, match=r"^portfolio returns contains 1 NaN or infinite value\(s\)$"):
        hedge_backtest(
            portfolio.replace(portfolio.iloc[4], np.nan), instruments, {"h": ["A1"]}, window=10, hold=5
        )
    with pytest.raises(ValueError, match=r"^instrument returns contains 1 NaN or infinite value\(s\)$"):
        hedge_backtest(
            portfolio, instruments.replace(instruments.iloc[4, 0], np.inf), {"h": ["A1"]}, window=10, hold=5
        )
    with pytest.raises(
        ValueError, match=r"^portfolio and instrument returns must cover the same periods, in the same order$"
    ):
        hedge_backtest(portfolio.iloc[::-1], instruments, {"h": ["A1"]}, window=10, hold=5)


def test_minimum_variance_backtest_aligns_the_estimators_labels():
    """An estimator may return its covariance in another order: weights are matched by label."""
    returns = _returns(11, periods=40, assets=3)
    in_order = minimum_variance_backtest(returns, {"s": lambda p: p.cov()}, window=20, hold=10)
    reversed_ = minimum_variance_backtest(
        returns, {"s": lambda p: p.cov().iloc[::-1, ::-1]}, window=20, hold=10
    )
    pd.testing.assert_frame_equal(in_order, reversed_, rtol=1e-12)


def test_hedge_backtest_uses_a_rolling_window_by_hand():
    """Each hedge is the OLS slope on the trailing window only (numpy.polyfit), held for the next periods."""
    returns = _returns(12, periods=10, assets=2)
    portfolio, instrument = returns["A0"], returns["A1"]
    hedged = hedge_backtest(portfolio, returns[["A1"]], {"h": ["A1"]}, window=4, hold=3)
    expected = []
    for start in (4, 7):  # rebalancing dates: range(4, 10, 3)
        slope = np.polyfit(instrument.iloc[start - 4 : start], portfolio.iloc[start - 4 : start], 1)[0]
        future = slice(start, start + 3)
        expected.extend(portfolio.iloc[future] - slope * instrument.iloc[future])
    np.testing.assert_allclose(hedged["h"], expected, rtol=1e-10)
