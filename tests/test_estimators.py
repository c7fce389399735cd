"""Estimators recover the simulated truth; identities hold; bad input raises."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import SETTINGS

from mini.covariance import (
    decay_from_half_life,
    effective_sample_size,
    eigenvalue_floor,
    ewma_covariance,
    ewma_covariance_forecasts,
    ewma_variance_forecasts,
    ewma_weights,
    newey_west_covariance,
    sample_covariance,
    shrink_covariance,
    volatility_regime_adjustment,
)
from mini.decomposition import decompose_risk
from mini.evaluation import (
    bias_band,
    bias_statistic,
    exceedances,
    portfolio_vol_forecasts,
    q_statistic,
    rolling_bias,
    rolling_forecasts,
    standardised_returns,
)
from mini.simulation import fit_cross_sections, simulate_market
from mini.specific_risk import blend_specific_variance, ewma_specific_variance, structural_specific_variance
from mini.statistical import marchenko_pastur_edge, principal_components
from mini.timeseries import fama_macbeth, shrink_betas, time_series_betas


@pytest.fixture(scope="module")
def calm():
    """A long calm market (no crisis regime) so that one true F holds throughout."""
    market = simulate_market(n_stocks=300, n_periods=600, seed=21, crisis_entry=1e-9)
    return market, fit_cross_sections(market)


def test_ewma_covariance_recovers_true_factor_vols_in_calm_regime(calm):
    market, fit = calm
    estimate = ewma_covariance(market.factor_returns, half_life=200)
    truth = market.factor_cov_at(len(market.periods) - 1)
    ratio = np.sqrt(np.diag(estimate) / np.diag(truth))
    assert np.all(np.abs(ratio - 1) < 0.2), ratio


def test_estimated_factor_returns_give_close_covariance(calm):
    market, fit = calm
    estimate = ewma_covariance(fit.factor_returns[["MKT", "VALUE", "MOM"]], half_life=200)
    truth = market.factor_cov_at(len(market.periods) - 1).loc[
        ["MKT", "VALUE", "MOM"], ["MKT", "VALUE", "MOM"]
    ]
    ratio = np.sqrt(np.diag(estimate) / np.diag(truth))
    assert np.all(np.abs(ratio - 1) < 0.25), ratio


def test_bias_statistic_near_one_for_correct_model_and_above_when_underforecast(calm):
    market, _ = calm
    weights = pd.Series(1 / len(market.stocks), index=market.stocks)
    vols = np.array(
        [
            np.sqrt(market.true_risk_model(t).covariance_times(weights) @ weights / 12)
            for t in range(len(market.periods))
        ]
    )
    realised = market.returns @ weights
    z = standardised_returns(realised, pd.Series(vols, index=realised.index))
    low, high = bias_band(len(z))
    assert low < bias_statistic(z) < high
    assert bias_statistic(z * 1.0) > 0.9
    under = standardised_returns(realised, pd.Series(vols * 0.6, index=realised.index))
    assert bias_statistic(under) > high
    assert q_statistic(under) > q_statistic(z)
    assert exceedances(under) > exceedances(z)


@SETTINGS
@given(st.floats(0.5, 500), st.integers(1, 400))
def test_ewma_weights_sum_to_one_and_halve_every_half_life(half_life, n):
    w = ewma_weights(n, half_life)
    assert np.isclose(w.sum(), 1.0)
    assert np.all(np.diff(w) >= 0)  # most recent last, largest
    if n > half_life + 1 and float(half_life).is_integer():
        assert np.isclose(w[-1 - int(half_life)] / w[-1], 0.5)


def test_effective_sample_size():
    assert effective_sample_size(np.ones(50)) == pytest.approx(50)
    lam = decay_from_half_life(30)
    assert effective_sample_size(ewma_weights(5000, 30)) == pytest.approx((1 + lam) / (1 - lam), rel=1e-6)


def test_newey_west_with_zero_lags_is_the_uncentred_covariance():
    rng = np.random.default_rng(0)
    f = pd.DataFrame(rng.normal(size=(200, 3)), columns=list("abc"))
    nw = newey_west_covariance(f, lags=0)
    assert np.allclose(nw, f.T @ f / len(f))
    assert np.allclose(nw, ewma_covariance(f, half_life=1e12), atol=1e-9)


def test_newey_west_raises_variance_for_positively_autocorrelated_returns():
    rng = np.random.default_rng(1)
    shocks = rng.normal(size=(3000, 1))
    ar = np.zeros_like(shocks)
    for t in range(1, len(ar)):
        ar[t] = 0.4 * ar[t - 1] + shocks[t]
    f = pd.DataFrame(ar, columns=["x"])
    # the variance of the sum of q consecutive returns per period is (1+rho)/(1-rho) times larger
    assert newey_west_covariance(f, lags=10).iloc[0, 0] / sample_covariance(f).iloc[0, 0] > 1.8


def test_separate_vol_half_life_keeps_correlation_of_the_slow_estimate():
    rng = np.random.default_rng(2)
    f = pd.DataFrame(rng.normal(size=(300, 3)), columns=list("abc"))
    slow, mixed = ewma_covariance(f, 90), ewma_covariance(f, 90, vol_half_life=20)
    corr = lambda c: c / np.sqrt(np.outer(np.diag(c), np.diag(c)))  # noqa: E731
    assert np.allclose(corr(slow.to_numpy()), corr(mixed.to_numpy()))
    assert np.allclose(np.diag(mixed), np.diag(ewma_covariance(f, 20)))


def test_shrinkage_and_floor():
    rng = np.random.default_rng(3)
    f = pd.DataFrame(rng.normal(size=(5, 6)), columns=list("abcdef"))  # T < K + 1: singular
    s = sample_covariance(f)
    assert np.linalg.eigvalsh(s)[0] < 1e-10
    floored = eigenvalue_floor(s, 1e-3)
    assert np.linalg.eigvalsh(floored)[0] >= 1e-3 - 1e-12
    shrunk = shrink_covariance(s, 0.5, "diagonal")
    assert np.allclose(np.diag(shrunk), np.diag(s))
    assert np.linalg.eigvalsh(shrunk)[0] > 0
    cc = shrink_covariance(s, 1.0, "constant correlation").to_numpy()
    off = (cc / np.sqrt(np.outer(np.diag(cc), np.diag(cc))))[~np.eye(6, dtype=bool)]
    assert np.allclose(off, off[0])


def test_volatility_regime_adjustment_detects_underforecast():
    rng = np.random.default_rng(4)
    z = pd.DataFrame(rng.normal(size=(200, 5)) * 1.5)
    assert volatility_regime_adjustment(z, half_life=40) == pytest.approx(1.5, rel=0.15)


def test_specific_risk_estimators(calm):
    market, fit = calm
    monthly_truth = market.specific_vol**2 / 12
    ts = ewma_specific_variance(fit.residuals, half_life=200)
    assert np.corrcoef(np.log(ts), np.log(monthly_truth))[0, 1] > 0.8
    z = pd.DataFrame({"const": 1.0, "log cap": np.log(market.caps.iloc[-1])})
    structural = structural_specific_variance(ts, z)
    assert np.isclose(structural.mean(), ts.mean())
    assert np.corrcoef(structural, monthly_truth)[0, 1] > 0.3
    blended = blend_specific_variance(ts, structural, 0.75)
    assert np.allclose(blended, 0.75 * ts + 0.25 * structural)


def test_pca_finds_the_factors_above_the_marchenko_pastur_edge():
    market = simulate_market(n_stocks=200, n_periods=400, n_industries=4, seed=8, crisis_entry=1e-9)
    pcs = principal_components(market.returns, 10)
    assert 2 <= pcs.n_above_edge <= len(market.factors) - 1  # market + industries + some styles
    noise = pd.DataFrame(np.random.default_rng(0).normal(size=(400, 200)))
    assert principal_components(noise, 5).n_above_edge == 0
    assert marchenko_pastur_edge(200, 400) == pytest.approx((1 + np.sqrt(0.5)) ** 2)


def test_time_series_betas_recover_true_betas():
    rng = np.random.default_rng(5)
    f = pd.DataFrame(rng.normal(0, 0.04, (240, 2)), columns=["MKT", "RATES"])
    true = pd.DataFrame({"MKT": [0.8, 1.0, 1.3], "RATES": [0.2, -0.5, 0.0]}, index=["a", "b", "c"])
    r = f @ true.T + rng.normal(0, 0.05, (240, 3))
    fit = time_series_betas(r, f)
    assert np.all(np.abs(fit.betas - true) < 3 * fit.standard_errors)
    assert np.all(np.abs(fit.alpha) < 3 * fit.alpha_standard_error)  # no alpha was simulated
    shrunk = shrink_betas(fit.betas["MKT"], fit.standard_errors["MKT"], prior_mean=1.0, prior_std=0.3)
    assert np.all(np.abs(shrunk - 1.0) <= np.abs(fit.betas["MKT"] - 1.0))


def test_fama_macbeth_finds_the_priced_characteristic(calm):
    market, _ = calm
    value = market.exposures[:, :, list(market.factors).index("VALUE")][:, :, None]
    result = fama_macbeth(market.returns, value, ["VALUE"])
    truth = market.factor_returns["VALUE"].mean()
    assert abs(result.mean["VALUE"] - truth) < 4 * result.standard_error["VALUE"]
    # the standard error is the time-series spread of the slopes over the square root of T
    assert result.standard_error["VALUE"] == pytest.approx(
        result.slopes["VALUE"].std() / np.sqrt(len(result.slopes))
    )
    assert abs(result.t_stat["VALUE"]) < 4  # VALUE carries no premium in the simulation


def test_estimator_bad_input():
    f = pd.DataFrame(np.zeros((10, 2)), columns=["a", "b"])
    with pytest.raises(ValueError, match="half-life must be a positive"):
        ewma_covariance(f, half_life=0)
    with pytest.raises(ValueError, match="need at least 2 periods"):
        sample_covariance(f.iloc[:1])
    with pytest.raises(ValueError, match="intensity"):
        shrink_covariance(f.cov(), 1.5)
    with pytest.raises(ValueError, match="unknown shrinkage target"):
        shrink_covariance(f.cov(), 0.5, "identity")
    with pytest.raises(ValueError, match="floor must be positive"):
        eigenvalue_floor(f.cov(), 0.0)
    with pytest.raises(ValueError, match="forecast volatilities must be positive"):
        standardised_returns(pd.Series([0.01, 0.02]), pd.Series([0.0, 0.1]))
    with pytest.raises(ValueError, match="window"):
        rolling_bias(pd.Series([0.1, 0.2, 0.3]), 5)
    with pytest.raises(ValueError, match="cannot identify"):
        time_series_betas(f.iloc[:2], f.iloc[:2])
    with pytest.raises(ValueError, match="n_components"):
        principal_components(pd.DataFrame(np.eye(3)), 5)
    with pytest.raises(ValueError, match="NaN"):
        ewma_specific_variance(pd.DataFrame([[np.nan, 1.0], [1.0, 1.0]]), 10)


def test_ewma_variance_forecasts_use_only_the_past():
    rng = np.random.default_rng(6)
    f = pd.DataFrame(rng.normal(0, 0.05, (100, 2)), columns=["a", "b"])
    forecasts = ewma_variance_forecasts(f, half_life=10, warmup=20)
    changed = f.copy()
    changed.iloc[60] *= 10  # a shock in period 60 must not affect forecasts up to 60
    after = ewma_variance_forecasts(changed, half_life=10, warmup=20)
    assert np.allclose(forecasts.loc[:60], after.loc[:60]) and not np.allclose(
        forecasts.loc[61], after.loc[61]
    )
    lam = decay_from_half_life(10)
    expected = lam * forecasts.loc[40] + (1 - lam) * f.loc[40] ** 2
    assert np.allclose(forecasts.loc[41], expected)
    z = f.iloc[20:] / np.sqrt(forecasts)
    assert 0.8 < float(bias_statistic(z).mean()) < 1.2


def test_ewma_covariance_forecasts_match_the_variance_recursion():
    rng = np.random.default_rng(7)
    f = pd.DataFrame(rng.normal(0, 0.05, (80, 3)), columns=list("abc"))
    cov = ewma_covariance_forecasts(f, half_life=8, warmup=10)
    var = ewma_variance_forecasts(f, half_life=8, warmup=10)
    assert cov.shape == (70, 3, 3)
    assert np.allclose(np.diagonal(cov, axis1=1, axis2=2), var.to_numpy())
    assert np.allclose(cov, np.swapaxes(cov, 1, 2))


def test_portfolio_vol_forecasts_match_the_risk_model(calm):
    market, _ = calm
    t = 100
    model = market.true_risk_model(t)
    w = pd.Series(np.random.default_rng(8).dirichlet(np.ones(len(market.stocks))), index=market.stocks)
    vol = portfolio_vol_forecasts(
        market.exposures[t : t + 1],
        model.factor_cov.to_numpy()[None],
        model.specific_var.to_numpy()[None],
        w.to_numpy(),
    )
    assert np.isclose(vol[0], decompose_risk(model, w).total_vol)
    with pytest.raises(ValueError, match="shapes do not line up"):
        portfolio_vol_forecasts(
            market.exposures[:2],
            model.factor_cov.to_numpy()[None],
            model.specific_var.to_numpy()[None],
            w.to_numpy(),
        )


def test_dropping_a_style_factor(calm):
    market, fit = calm
    smaller = fit_cross_sections(market, drop=["VALUE"])
    assert "VALUE" not in smaller.factor_returns.columns
    assert (smaller.r2_centred <= fit.r2_centred + 1e-12).all()  # fewer regressors never fit better
    with pytest.raises(ValueError, match="only style factors"):
        fit_cross_sections(market, drop=["MKT"])
    with pytest.raises(ValueError, match="unknown factor"):
        fit_cross_sections(market, drop=["QUALITY"])


def test_rolling_forecasts_catch_a_missing_factor():
    """The deliberate misspecification: a model without VALUE under-forecasts a value tilt."""
    market = simulate_market(n_stocks=300, n_periods=180, seed=23)
    value = market.exposures[:, :, list(market.factors).index("VALUE")]
    tilt = value / np.abs(value).sum(axis=1, keepdims=True) * 2  # long-short, changes each period
    results = {}
    for label, drop in (("full", []), ("no VALUE", ["VALUE"])):
        fit = fit_cross_sections(market, drop=drop)
        keep = [list(market.factors).index(name) for name in fit.factor_returns.columns]
        forecasts = rolling_forecasts(
            market.exposures[:, :, keep], fit.factor_returns, fit.residuals, 12, 24, 24
        )
        results[label] = bias_statistic(forecasts.standardised(tilt[24:], market.returns))
    low, high = bias_band(180 - 24)
    assert low < results["full"] < high
    assert results["no VALUE"] > 1.5


def test_adding_a_candidate_factor(calm):
    market, fit = calm
    size = market.exposures[:, :, list(market.factors).index("SIZE")]
    bigger = fit_cross_sections(market, extra={"NOISE": np.random.default_rng(9).normal(size=size.shape)})
    assert list(bigger.factor_returns.columns)[-1] == "NOISE"
    assert (bigger.r2_centred >= fit.r2_centred - 1e-12).all()  # more regressors never fit worse
    assert (bigger.t_stats["NOISE"].abs() > 2).mean() < 0.1  # a useless factor is rarely significant
    with pytest.raises(ValueError, match="needs a new name"):
        fit_cross_sections(market, extra={"SIZE": size})


def test_variance_inflation_factors(mm):
    from mini.exposures import variance_inflation_factors

    vif = variance_inflation_factors(mm.exposures, mm.regression_weights, ["VALUE", "MOM", "SIZE"])
    assert (vif >= 1).all()
    x = mm.exposures.copy()
    x["NOISE"] = np.random.default_rng(1).normal(size=len(x))
    x["TWIN"] = x["NOISE"] + 1e-3 * np.random.default_rng(2).normal(size=len(x))
    twins = variance_inflation_factors(x, mm.regression_weights, ["NOISE", "TWIN"])
    assert (twins > 1e4).all()
    with pytest.raises(ValueError, match="unknown factor"):
        variance_inflation_factors(mm.exposures, mm.regression_weights, ["QUALITY"])
