"""The simulated market: reproducible, consistent with mini's conventions, recoverable."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mini.constraints import industry_constraint, industry_restrictions, restriction_matrix
from mini.exposures import standardise
from mini.regression import cross_sectional_regression, panel_regression, regression_weights
from mini.simulation import fit_cross_sections, simulate_market


@pytest.fixture(scope="module")
def market():
    return simulate_market(n_stocks=300, n_periods=48, seed=11)


@pytest.fixture(scope="module")
def fit(market):
    return fit_cross_sections(market)


def test_same_seed_same_market_and_different_seed_differs():
    a, b = simulate_market(100, 12, seed=3), simulate_market(100, 12, seed=3)
    pd.testing.assert_frame_equal(a.returns, b.returns)
    assert not simulate_market(100, 12, seed=4).returns.equals(a.returns)


def test_shapes_and_labels(market):
    t, n, k = market.exposures.shape
    assert (t, n) == market.returns.shape == market.caps.shape
    assert list(market.factors) == ["MKT", *market.industries, "VALUE", "MOM", "SIZE"]
    assert market.true_factor_cov.shape == (t, k, k)
    assert set(market.regime) <= {"calm", "crisis"}
    assert market.industry.value_counts().min() >= 5


def test_styles_standardised_like_mini(market):
    t = 17
    cap_weights = market.caps.iloc[t] / market.caps.iloc[t].sum()
    size = standardise(np.log(market.caps.iloc[t]).rename("SIZE"), cap_weights)
    assert np.allclose(market.exposures_at(t)["SIZE"], size, atol=1e-12)


def test_true_factor_returns_meet_the_industry_convention(market):
    weights = market.industry_weights().to_numpy()
    sums = np.sum(weights * market.factor_returns[market.industries].to_numpy(), axis=1)
    assert np.max(np.abs(sums)) < 1e-14


def test_returns_follow_the_factor_model(market):
    t = 5
    systematic = market.exposures_at(t) @ market.factor_returns.iloc[t]
    specific = market.returns.iloc[t] - systematic
    # specific returns are centred and their spread matches the stated vols
    ratio = specific.std() / (market.specific_vol / np.sqrt(12)).mean()
    assert 0.7 < ratio < 1.3


def test_panel_regression_matches_single_period(market, fit):
    for t in (0, 23, 47):
        one = cross_sectional_regression(
            market.exposures_at(t),
            market.returns.iloc[t],
            regression_weights(market.caps.iloc[t]),
            market.restriction_at(t),
        )
        assert np.allclose(one.factor_returns, fit.factor_returns.iloc[t], atol=1e-12)
        assert np.allclose(one.residuals, fit.residuals.iloc[t], atol=1e-12)
        assert np.isclose(one.r2_centred, fit.r2_centred.iloc[t])


def test_panel_regression_in_many_parallel_blocks_equals_one_block(market, fit, monkeypatch):
    import mini.regression

    n_stocks, n_factors = market.exposures.shape[1:]
    monkeypatch.setattr(mini.regression, "_BLOCK_BYTES", 5 * 8 * n_stocks * n_factors)  # 5 periods a block
    assert len(mini.regression._period_blocks(market.exposures.shape)) == 10
    blocked = fit_cross_sections(market)
    for name in ("factor_returns", "residuals", "t_stats"):
        pd.testing.assert_frame_equal(getattr(blocked, name), getattr(fit, name), rtol=1e-12)


def test_industry_weights_refuse_a_stock_in_an_unknown_industry(market):
    import dataclasses

    industry = market.industry.copy()
    industry.iloc[3] = "SHIPPING"
    with pytest.raises(ValueError, match="unknown industries: \\['SHIPPING'\\]"):
        dataclasses.replace(market, industry=industry).industry_weights()


def test_estimated_factor_returns_track_the_truth(market, fit):
    corr = {f: np.corrcoef(fit.factor_returns[f], market.factor_returns[f])[0, 1] for f in market.factors}
    # the volatile factors are pinned down tightly; thin industries and SIZE (3% a year) less so
    assert min(corr["MKT"], corr["VALUE"], corr["MOM"]) > 0.9, corr
    assert min(corr.values()) > 0.6, corr


def test_t_statistics_reject_zero_for_the_market(fit):
    assert (fit.t_stats["MKT"].abs() > 2).mean() > 0.7  # robust SEs, fat tails: still mostly significant


def test_industry_restrictions_match_restriction_matrix(market):
    columns = [market.factors.get_loc(name) for name in market.industries]
    batched = industry_restrictions(market.industry_weights().to_numpy(), columns, len(market.factors))
    t = 9
    constraint = industry_constraint(market.industry_weights().iloc[t], list(market.factors))
    single = restriction_matrix(constraint, eliminate=[market.industries[-1]])
    assert np.allclose(batched[t], single.to_numpy())


def test_daily_market_scales_volatility():
    daily = simulate_market(100, 300, frequency="daily", seed=5)
    assert daily.periods_per_year == 252
    annual_mkt = daily.factor_returns["MKT"].std() * np.sqrt(252)
    assert 0.08 < annual_mkt < 0.35


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"frequency": "weekly"}, "frequency must be"),
        ({"n_industries": 20}, "n_industries must be between"),
        ({"n_stocks": 20}, "at least five stocks per industry"),
        ({"crisis_multiplier": 0.5}, "crisis_multiplier"),
    ],
)
def test_bad_simulation_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        simulate_market(**{"n_stocks": 100, "n_periods": 12, **kwargs})


def test_panel_regression_bad_input(market):
    weights = np.sqrt(market.caps)
    with pytest.raises(ValueError, match="exposures are"):
        panel_regression(market.exposures[:, :10], market.returns, weights)
    broken = market.returns.copy()
    broken.iloc[3, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        panel_regression(market.exposures, broken, weights)
    with pytest.raises(ValueError, match="singular in period"):
        panel_regression(market.exposures, market.returns, weights)  # MKT = sum of industries


def test_true_risk_model_gives_the_stock_covariance_of_the_reported_convention(market):
    t = 30
    x = market.exposures_at(t).to_numpy()
    reported = x @ market.true_factor_cov[t] @ x.T
    model = market.true_risk_model(t)
    raw = x @ (model.factor_cov.to_numpy() / market.periods_per_year) @ x.T
    assert np.allclose(reported, raw, atol=1e-14)
