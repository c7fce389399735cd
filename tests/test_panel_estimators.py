"""Panel regression statistics, specific risk, PCA, time-series betas, Fama–MacBeth and the
characteristic portfolio: each agrees with a plain, one-at-a-time computation, and bad input raises."""

from __future__ import annotations

import multiprocessing
import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import SETTINGS

from mini import regression
from mini.constraints import industry_restrictions
from mini.factor_portfolios import (
    characteristic_portfolio,
    model_characteristic_portfolio,
    pure_factor_portfolios,
)
from mini.regression import panel_regression, regression_weights, weighted_r2
from mini.risk_model import RiskModel
from mini.simulation import fit_cross_sections, simulate_market
from mini.specific_risk import blend_specific_variance, ewma_specific_variance, structural_specific_variance
from mini.statistical import marchenko_pastur_edge, principal_components
from mini.timeseries import fama_macbeth, shrink_betas, time_series_betas

seeds = st.integers(min_value=0, max_value=2**32 - 1)


@pytest.fixture(scope="module")
def market():
    return simulate_market(n_stocks=120, n_periods=36, n_industries=5, seed=61)


@pytest.fixture(scope="module")
def fit(market):
    return fit_cross_sections(market)


def test_panel_t_statistics_and_r2_match_a_single_period_computation(market, fit):
    t = 20
    x = market.exposures_at(t)
    w = regression_weights(market.caps.iloc[t])
    p = pure_factor_portfolios(x, w, market.restriction_at(t)).to_numpy()
    r = market.returns.iloc[t].to_numpy()
    e = r - x.to_numpy() @ (p @ r)
    n_free = len(market.factors) - 1
    # White (HC1): Var(f) = P diag(e²) P' · N / (N − p), since f = P r
    se = np.sqrt(np.einsum("kn,n,kn->k", p, e**2, p) * len(r) / (len(r) - n_free))
    assert np.allclose(fit.t_stats.iloc[t], (p @ r) / se, rtol=1e-9)
    residuals = pd.Series(e, index=x.index)
    assert fit.r2_uncentred.iloc[t] == pytest.approx(
        weighted_r2(market.returns.iloc[t], residuals, w, centred=False)
    )


def test_panel_regression_is_unchanged_by_the_scale_of_the_weights(market, fit):
    again = fit_cross_sections(market)
    pd.testing.assert_frame_equal(again.factor_returns, fit.factor_returns)
    columns = [market.factors.get_loc(name) for name in market.industries]
    restrictions = industry_restrictions(market.industry_weights().to_numpy(), columns, len(market.factors))
    scaled = panel_regression(
        market.exposures, market.returns, np.sqrt(market.caps) * 1e3, restrictions, list(market.factors)
    )
    assert np.allclose(scaled.factor_returns, fit.factor_returns, rtol=1e-12, atol=1e-15)


def test_specific_risk_estimators_identities(fit):
    ts = ewma_specific_variance(fit.residuals, half_life=1e9)
    assert np.allclose(ts, (fit.residuals**2).mean())  # infinite half-life: equal weights
    z = pd.DataFrame({"const": 1.0, "x": np.linspace(-1, 1, len(ts))}, index=ts.index)
    structural = structural_specific_variance(ts, z)
    assert np.allclose(blend_specific_variance(ts, structural, 1.0), ts)
    assert np.allclose(blend_specific_variance(ts, structural, 0.0), structural)


def test_structural_model_recovers_the_size_effect():
    """The simulation makes specific vol fall with size: the structural fit must too."""
    market = simulate_market(n_stocks=400, n_periods=24, seed=62)
    truth = market.specific_vol**2
    z = pd.DataFrame({"const": 1.0, "log cap": np.log(market.caps.iloc[0])})
    structural = structural_specific_variance(truth, z)
    assert np.corrcoef(np.log(structural), np.log(market.caps.iloc[0]))[0, 1] < -0.99
    assert np.corrcoef(np.log(structural), np.log(truth))[0, 1] > 0.5


@SETTINGS
@given(seeds)
def test_pca_loadings_are_orthonormal_and_components_uncorrelated(seed):
    rng = np.random.default_rng(seed)
    returns = pd.DataFrame(rng.normal(size=(40, 8)) @ rng.normal(size=(8, 8)))
    pcs = principal_components(returns, 3)
    assert np.allclose(pcs.loadings.T @ pcs.loadings, np.eye(3), atol=1e-10)
    cov = np.cov(pcs.factor_returns.to_numpy(), rowvar=False)
    assert np.allclose(cov, np.diag(pcs.eigenvalues.iloc[:3]), atol=1e-8)
    assert pcs.eigenvalues.sum() == pytest.approx(8.0)  # trace of the correlation matrix
    assert np.all(np.diff(pcs.eigenvalues) <= 1e-12)


def test_marchenko_pastur_edge_bounds_pure_noise():
    noise = pd.DataFrame(np.random.default_rng(63).standard_normal((600, 150)))
    pcs = principal_components(noise, 1)
    assert pcs.eigenvalues.iloc[0] == pytest.approx(marchenko_pastur_edge(150, 600), rel=0.1)


@SETTINGS
@given(seeds)
def test_time_series_betas_equal_a_regression_per_asset(seed):
    rng = np.random.default_rng(seed)
    f = pd.DataFrame(rng.normal(0, 0.04, (30, 2)), columns=["MKT", "RATES"])
    r = pd.DataFrame(rng.normal(0, 0.05, (30, 4)), columns=list("abcd"))
    fit = time_series_betas(r, f)
    design = np.column_stack([np.ones(30), f.to_numpy()])
    for name in r.columns:
        coef, *_ = np.linalg.lstsq(design, r[name].to_numpy(), rcond=None)
        assert np.allclose(coef[1:], fit.betas.loc[name], atol=1e-12)
        assert fit.alpha[name] == pytest.approx(coef[0], abs=1e-12)


def test_shrink_betas_limits():
    betas = pd.Series([0.5, 1.0, 1.8], index=list("abc"))
    se = pd.Series([0.1, 0.2, 0.4], index=list("abc"))
    assert np.allclose(shrink_betas(betas, se, prior_mean=1.0, prior_std=1e6), betas)
    assert np.allclose(shrink_betas(betas, se, prior_mean=1.0, prior_std=1e-6), 1.0)
    shrunk = shrink_betas(betas, se, prior_mean=1.0, prior_std=0.3)
    moved = (shrunk - betas).abs() / (1.0 - betas).abs()
    assert moved["c"] > moved["a"]  # the noisiest estimate moves furthest towards the prior


def test_fama_macbeth_slopes_equal_a_regression_per_period(market):
    value = market.exposures[:, :, [market.factors.get_loc("VALUE"), market.factors.get_loc("SIZE")]]
    result = fama_macbeth(market.returns, value, ["VALUE", "SIZE"])
    for t in (0, 17):
        design = np.column_stack([np.ones(len(market.stocks)), value[t]])
        coef, *_ = np.linalg.lstsq(design, market.returns.iloc[t].to_numpy(), rcond=None)
        assert np.allclose(result.slopes.iloc[t], coef, atol=1e-12)
    assert np.allclose(result.t_stat, result.mean / result.standard_error)


@SETTINGS
@given(seeds)
def test_model_characteristic_portfolio_equals_the_dense_one(seed):
    rng = np.random.default_rng(seed)
    stocks, factors = [f"S{i}" for i in range(15)], ["A", "B", "C"]
    root = rng.normal(size=(3, 3)) * 0.1
    model = RiskModel(
        exposures=pd.DataFrame(rng.normal(size=(15, 3)), index=stocks, columns=factors),
        factor_cov=pd.DataFrame(root @ root.T + 1e-3 * np.eye(3), index=factors, columns=factors),
        specific_var=pd.Series(rng.uniform(0.01, 0.1, 15), index=stocks),
    )
    a = model.exposures["B"]
    h = model_characteristic_portfolio(model, a)
    assert np.allclose(h, characteristic_portfolio(model.covariance(), a), atol=1e-10)
    assert h @ a == pytest.approx(1.0)
    # minimum variance: any other unit-exposure portfolio h + d (d'a = 0) has more variance
    d = pd.Series(rng.normal(size=15), index=stocks)
    d -= (d @ a) / (a @ a) * a
    sigma = model.covariance()
    assert (h + 0.1 * d) @ sigma @ (h + 0.1 * d) >= h @ sigma @ h


def test_panel_estimators_bad_input(market, fit):
    weights = np.sqrt(market.caps)
    with pytest.raises(ValueError, match="same periods and stocks"):
        panel_regression(market.exposures, market.returns, weights.iloc[::-1])
    with pytest.raises(ValueError, match="regression weights must be positive"):
        panel_regression(market.exposures, market.returns, weights * 0)
    with pytest.raises(ValueError, match="factor names for"):
        panel_regression(market.exposures[:, :, :3], market.returns, weights, factors=["MKT"])
    with pytest.raises(ValueError, match="restrictions must be"):
        panel_regression(market.exposures, market.returns, weights, np.ones((2, 2, 2)))
    variance = (fit.residuals**2).mean()
    z = pd.DataFrame({"const": 1.0}, index=variance.index)
    with pytest.raises(ValueError, match="weights must be positive"):
        structural_specific_variance(variance, z, weights=pd.Series(-1.0, index=variance.index))
    with pytest.raises(ValueError, match="variances must be positive"):
        structural_specific_variance(variance * 0, z)
    with pytest.raises(ValueError, match="collinear"):
        structural_specific_variance(variance, z.assign(again=1.0))
    with pytest.raises(ValueError, match="confidence must lie in"):
        blend_specific_variance(variance, variance, 1.5)
    with pytest.raises(ValueError, match="half-life"):
        ewma_specific_variance(fit.residuals, half_life=-3)
    with pytest.raises(ValueError, match="variance must be positive"):
        marchenko_pastur_edge(10, 20, variance=0)
    with pytest.raises(ValueError, match="same periods"):
        time_series_betas(market.returns.iloc[:10], fit.factor_returns.iloc[1:11])
    with pytest.raises(ValueError, match="collinear"):
        time_series_betas(market.returns, fit.factor_returns.assign(COPY=fit.factor_returns["MKT"]))
    with pytest.raises(ValueError, match="prior standard deviation must be positive"):
        shrink_betas(pd.Series([1.0]), pd.Series([0.1]), prior_std=0)
    with pytest.raises(ValueError, match="do not match"):
        fama_macbeth(market.returns, market.exposures[:, :, :2], ["VALUE"])
    with pytest.raises(ValueError, match="collinear in some period"):
        fama_macbeth(market.returns, market.exposures[:, :, :1], ["MKT"])  # MKT is the constant
    model = market.true_risk_model(0)
    with pytest.raises(ValueError, match="exposure is zero for every stock"):
        model_characteristic_portfolio(model, pd.Series(0.0, index=model.stocks))
    with pytest.raises(ValueError, match="missing stocks"):
        model_characteristic_portfolio(model, model.exposures["VALUE"].iloc[1:])


def _refit_and_exit(market, expected: pd.DataFrame) -> None:
    """In a forked child: refit the panel and exit 0 if it gives the parent's answer."""
    os._exit(0 if np.array_equal(fit_cross_sections(market).factor_returns, expected) else 1)


def test_the_block_thread_pool_survives_a_fork(market, monkeypatch):
    # one period per block, so the fit runs on mini's thread pool, which the parent now starts
    monkeypatch.setattr(regression, "_BLOCK_BYTES", 1)
    expected = fit_cross_sections(market).factor_returns.to_numpy()
    # a forked child inherits the cached pool but not its threads; it must start its own
    # rather than wait for ever on work no thread will take
    child = multiprocessing.get_context("fork").Process(target=_refit_and_exit, args=(market, expected))
    child.start()
    child.join(timeout=60)
    hung = child.is_alive()
    if hung:
        child.kill()
    assert not hung and child.exitcode == 0


PX = np.stack([np.column_stack([np.ones(4), [1.0, -1.0, 0.5, -0.5]])] * 2)  # (T=2, N=4, K=2)
PR = pd.DataFrame([[0.01, -0.02, 0.03, 0.0], [0.02, 0.01, -0.01, 0.0]], columns=list("abcd"))
PW = pd.DataFrame(1.0, index=PR.index, columns=PR.columns)


@pytest.mark.parametrize(
    ("x", "r", "w", "kwargs", "message"),
    [
        (PX[0], PR, PW, {}, r"^exposures must be 3-dimensional, got shape \(4, 2\)$"),
        (
            PX,
            PR,
            PW.mask((PW.index == 1)[:, None] & (PW.columns == "c")),
            {},
            r"^regression weights contains 1 NaN or infinite value\(s\)$",
        ),
        (
            PX,
            PR.rename(columns={"d": "e"}),
            PW,
            {"stocks": list("abcd")},
            r"^returns does not match the model's stocks: missing stocks \['d'\]; unknown stocks \['e'\]$",
        ),
        (
            PX,
            PR,
            PW.rename(columns={"d": "e"}),
            {"stocks": list("abcd")},
            r"^regression weights does not match the model's stocks: missing stocks \['d'\]; unknown stocks \['e'\]$",
        ),
        (
            PX,
            PR,
            PW,
            {"restrictions": np.eye(2)},
            r"^restrictions must be 3-dimensional, got shape \(2, 2\)$",
        ),
        # as many stocks as free factors: two stocks, two factors
        (
            PX[:, :2],
            PR.iloc[:, :2],
            PW.iloc[:, :2],
            {},
            r"^regression is singular: 2 stocks cannot identify 2 free factor returns$",
        ),
    ],
)
def test_panel_regression_names_the_bad_input(x, r, w, kwargs, message):
    """Each input of the batched regression named in full, at the boundary where one is checked."""
    with pytest.raises(ValueError, match=message):
        panel_regression(x, r, w, **kwargs)
