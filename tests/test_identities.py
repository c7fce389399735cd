"""Identities that must hold for any valid input, checked on random inputs with hypothesis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import SETTINGS, random_industry_market, random_model, seeds

from mini.attribution import carino_link, compound
from mini.constraints import industry_constraint, restriction_matrix
from mini.decomposition import betas_to_portfolio, decompose_risk, stock_contributions
from mini.optimisation import minimum_tracking_error
from mini.regression import cross_sectional_regression, huber_regression


@SETTINGS
@given(seeds)
def test_ctr_sums_to_volatility(seed):
    model = random_model(seed)
    weights = pd.Series(np.random.default_rng(seed + 1).normal(size=len(model.stocks)), index=model.stocks)
    table = stock_contributions(model, weights)
    assert np.isclose(table["CTR"].sum(), decompose_risk(model, weights).total_vol, rtol=1e-12)


@SETTINGS
@given(seeds)
def test_factor_contributions_plus_specific_is_total_variance(seed):
    model = random_model(seed)
    weights = pd.Series(np.random.default_rng(seed + 2).normal(size=len(model.stocks)), index=model.stocks)
    d = decompose_risk(model, weights)
    w = weights.to_numpy()
    direct = w @ model.covariance().to_numpy() @ w
    assert np.isclose(d.factor_contributions.sum() + d.specific_variance, direct, rtol=1e-12)
    assert np.isclose(d.shares.sum(), 1.0)


@SETTINGS
@given(seeds)
def test_constrained_regression_identities(seed):
    x, r, w, ind_weights = random_industry_market(seed)
    restriction = restriction_matrix(industry_constraint(ind_weights, list(x.columns)))
    fit = cross_sectional_regression(x, r, w, restriction)
    p = fit.pure_portfolios
    # f = P r
    assert np.allclose(fit.factor_returns, p @ r, atol=1e-12)
    # the constraint holds exactly
    assert abs(ind_weights @ fit.factor_returns[ind_weights.index]) < 1e-12
    # P X is the identity on the styles (the unconstrained factors) and P X R = R
    px = p @ x
    styles = [c for c in x.columns if c.startswith("STY")]
    assert np.allclose(
        px.loc[styles, :], np.eye(len(x.columns))[[x.columns.get_loc(s) for s in styles]], atol=1e-9
    )
    assert np.allclose(px.to_numpy() @ restriction.to_numpy(), restriction.to_numpy(), atol=1e-9)
    # residuals are orthogonal (in the W metric) to the constrained exposures
    assert np.allclose((x @ restriction).T.to_numpy() @ (w * fit.residuals).to_numpy(), 0, atol=1e-12)


@SETTINGS
@given(st.lists(st.floats(-0.2, 0.2), min_size=2, max_size=12), seeds)
def test_linked_contributions_sum_to_compounded_active_return(benchmark_returns, seed):
    rng = np.random.default_rng(seed)
    periods = [f"t{i}" for i in range(len(benchmark_returns))]
    rb = pd.Series(benchmark_returns, index=periods)
    contributions = pd.DataFrame(rng.normal(0, 0.01, (len(periods), 4)), index=periods, columns=list("abcd"))
    rp = rb + contributions.sum(axis=1)
    linked = carino_link(contributions, rp, rb)
    assert np.isclose(linked.sum(), compound(rp) - compound(rb), atol=1e-12)


@SETTINGS
@given(seeds)
def test_optimiser_meets_constraints_and_is_optimal(seed):
    model = random_model(seed, n=10, k=3)
    sigma = model.covariance()
    rng = np.random.default_rng(seed + 3)
    a = pd.DataFrame(rng.normal(size=(3, 10)), index=["c0", "c1", "c2"], columns=model.stocks)
    b = pd.Series(rng.normal(size=3), index=a.index)
    w = minimum_tracking_error(sigma, a, b)
    assert np.allclose(a @ w, b, atol=1e-10)
    # any feasible perturbation (in the null space of A) raises the variance
    null_space = np.linalg.svd(a.to_numpy())[2][3:].T
    base = w @ sigma @ w
    for direction in null_space.T:
        for step in (1e-3, -1e-3, 0.1):
            moved = w + step * direction
            assert moved @ sigma @ moved >= base - 1e-14


def test_month1_portfolio_return_splits_exactly(mm):
    """Month 1: portfolio − benchmark return equals factor plus specific contributions."""
    a = mm.attribution
    assert np.isclose(a.portfolio["month 1"], float(mm.portfolio @ mm.returns), atol=1e-15)


@SETTINGS
@given(seeds)
def test_woodbury_solve_matches_direct_solve(seed):
    model = random_model(seed)
    v = pd.Series(np.random.default_rng(seed + 4).normal(size=len(model.stocks)), index=model.stocks)
    direct = np.linalg.solve(model.covariance().to_numpy(), v.to_numpy())
    assert np.allclose(model.solve(v).to_numpy(), direct, rtol=1e-9, atol=1e-9)


@SETTINGS
@given(seeds)
def test_betas_to_a_portfolio_average_to_one(seed):
    model = random_model(seed)
    weights = pd.Series(
        np.random.default_rng(seed + 5).dirichlet(np.ones(len(model.stocks))), index=model.stocks
    )
    beta = betas_to_portfolio(model, weights)
    assert np.isclose(weights @ beta, 1.0)
    sigma = model.covariance()
    assert np.allclose(beta, sigma @ weights / (weights @ sigma @ weights))


def test_huber_regression_resists_an_outlier_and_matches_wls_without_one(mm):
    clean = huber_regression(mm.exposures, mm.returns, mm.regression_weights, mm.restriction, threshold=100.0)
    assert np.allclose(clean.factor_returns, mm.month1.factor_returns, atol=1e-12)  # nothing downweighted
    shocked = mm.returns.copy()
    shocked["INDIGO"] += 0.30
    wls = cross_sectional_regression(mm.exposures, shocked, mm.regression_weights, mm.restriction)
    robust = huber_regression(mm.exposures, shocked, mm.regression_weights, mm.restriction)
    moved_wls = np.abs(wls.factor_returns - mm.month1.factor_returns).max()
    moved_robust = np.abs(robust.factor_returns - mm.month1.factor_returns).max()
    assert moved_robust < moved_wls / 2
    assert robust.weights["INDIGO"] < 0.5 * mm.regression_weights["INDIGO"]
    assert abs(mm.universe.industry_weights @ robust.factor_returns[["TECH", "FIN", "CONS"]]) < 1e-12


@SETTINGS
@given(seeds, st.floats(0.05, 0.5))
def test_sort_portfolio_is_dollar_neutral_and_long_the_top(seed, fraction):
    from mini.factor_portfolios import sort_portfolio_weights

    values = np.random.default_rng(seed).normal(size=(4, 40))
    w = sort_portfolio_weights(values, fraction)
    assert np.allclose(w.sum(axis=1), 0.0)
    assert np.allclose(np.clip(w, 0, None).sum(axis=1), 1.0)
    for row, weights in zip(values, w, strict=True):
        assert row[weights > 0].min() > row[weights < 0].max()  # longs rank above shorts


def test_sort_portfolio_bad_input():
    from mini.factor_portfolios import sort_portfolio_weights

    with pytest.raises(ValueError, match="fraction must be in"):
        sort_portfolio_weights(np.arange(10.0), 0.7)
    with pytest.raises(ValueError, match="empty leg"):
        sort_portfolio_weights(np.arange(3.0), 0.2)
    with pytest.raises(ValueError, match="NaN"):
        sort_portfolio_weights(np.array([1.0, np.nan, 2.0]), 0.3)


def test_winsorise_clips_an_outlier_and_leaves_the_rest(mm):
    from mini.exposures import winsorise

    values = mm.descriptors["VALUE"].copy()
    values["DIGIT"] = 6.0  # a data error
    clipped = winsorise(values.rename("VALUE"), limit=3.0)
    assert clipped["DIGIT"] < 2.0
    assert (clipped.drop("DIGIT") == values.drop("DIGIT")).all()
    assert (winsorise(mm.descriptors["VALUE"], 3.0) == mm.descriptors["VALUE"]).all()
    with pytest.raises(ValueError, match="limit must be positive"):
        winsorise(values, 0)


def test_fill_missing_uses_the_group_median(mm):
    from mini.exposures import fill_missing

    values = mm.descriptors["VALUE"].copy()
    values["BINARY"] = np.nan
    filled = fill_missing(values, mm.universe.industry)
    tech_others = mm.descriptors["VALUE"][["AXIOM", "CIPHER", "DIGIT"]]
    assert filled["BINARY"] == tech_others.median()
    assert (filled.drop("BINARY") == values.drop("BINARY")).all()
    values[["EVERGREEN", "FIDELIS", "GUARDIAN"]] = np.nan
    with pytest.raises(ValueError, match=r"missing in group\(s\) \['FIN'\]"):
        fill_missing(values, mm.universe.industry)
