"""Bad input raises ValueError with a message that names the problem."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mini.attribution import carino_link, compound, factor_attribution
from mini.constraints import industry_constraint, restriction_matrix
from mini.decomposition import active_weights, block_contributions, decompose_risk, tracking_error
from mini.exposures import industry_dummies, standardise
from mini.hedging import exposure_hedge, minimum_variance_hedge
from mini.minimodel import FACTOR_BLOCKS
from mini.optimisation import exposure_constraints, minimum_tracking_error
from mini.regression import cross_sectional_regression
from mini.risk_model import RiskModel, factor_covariance
from mini.stress import conditional_factor_shock
from mini.universe import Universe


def test_returns_with_nan_are_rejected(mm):
    r = mm.returns.copy()
    r.iloc[2] = np.nan
    with pytest.raises(ValueError, match="returns contains 1 NaN"):
        cross_sectional_regression(mm.exposures, r, mm.regression_weights, mm.restriction)


def test_infinite_exposure_is_rejected(mm):
    x = mm.exposures.copy()
    x.iloc[0, 4] = np.inf
    with pytest.raises(ValueError, match="exposures contains 1 NaN or infinite"):
        cross_sectional_regression(x, mm.returns, mm.regression_weights, mm.restriction)


def test_returns_for_other_stocks_are_rejected(mm):
    r = mm.returns.rename(index={"AXIOM": "AXIOMA"})
    with pytest.raises(ValueError, match=r"missing stocks \['AXIOM'\]; unknown stocks \['AXIOMA'\]"):
        cross_sectional_regression(mm.exposures, r, mm.regression_weights, mm.restriction)


def test_industry_without_members_makes_regression_singular(mm):
    x = mm.exposures.copy()
    x["ENERGY"] = 0.0
    restriction = pd.DataFrame(np.eye(8), index=x.columns, columns=x.columns)
    with pytest.raises(ValueError, match=r"singular: no stock has exposure to \['ENERGY'\]"):
        cross_sectional_regression(x, mm.returns, mm.regression_weights, restriction)


def test_unconstrained_collinear_regression_is_singular(mm):
    with pytest.raises(ValueError, match="collinear"):
        cross_sectional_regression(mm.exposures, mm.returns, mm.regression_weights)


def test_too_few_stocks(mm):
    few = mm.stocks[:4]
    with pytest.raises(ValueError, match="4 stocks cannot identify 6 free factor returns"):
        cross_sectional_regression(
            mm.exposures.loc[few], mm.returns[few], mm.regression_weights[few], mm.restriction
        )


def test_constraint_that_cannot_be_solved_for_the_chosen_factor(mm):
    constraint = industry_constraint(mm.universe.industry_weights, list(mm.factors))
    with pytest.raises(ValueError, match=r"cannot be solved for \['VALUE'\]"):
        restriction_matrix(constraint, eliminate=["VALUE"])


def test_contradictory_constraints(mm):
    constraint = industry_constraint(mm.universe.industry_weights, list(mm.factors))
    twice = pd.concat([constraint, 2 * constraint.rename(index=lambda s: s + " again")])
    with pytest.raises(ValueError, match="cannot be solved"):
        restriction_matrix(twice, eliminate=["TECH", "CONS"])


def test_correlation_not_positive_definite(mm):
    corr = mm.factor_corr.copy()
    corr.loc["VALUE", "MOM"] = corr.loc["MOM", "VALUE"] = -0.99
    corr.loc["VALUE", "FIN"] = corr.loc["FIN", "VALUE"] = 0.99
    with pytest.raises(ValueError, match="not positive definite"):
        factor_covariance(mm.factor_vol, corr)


def test_correlation_not_symmetric(mm):
    corr = mm.factor_corr.copy()
    corr.loc["VALUE", "MOM"] = 0.3
    with pytest.raises(ValueError, match="not symmetric"):
        factor_covariance(mm.factor_vol, corr)


def test_covariance_not_positive_definite_in_risk_model(mm):
    f = mm.risk_model.factor_cov.copy()
    f.loc["MKT", "MKT"] = -0.01
    with pytest.raises(ValueError, match="factor covariance is not positive definite"):
        RiskModel(mm.exposures, f, mm.specific_vol**2)


def test_portfolio_weights_must_sum_to_one(mm):
    with pytest.raises(ValueError, match="portfolio weights must sum to 1, but they sum to 1.1"):
        active_weights(mm.portfolio * 1.1, mm.benchmark)
    with pytest.raises(ValueError, match="benchmark weights must sum to 1"):
        tracking_error(mm.risk_model, mm.portfolio, mm.benchmark * 0.5)


def test_cap_weights_for_standardising_must_sum_to_one(mm):
    with pytest.raises(ValueError, match="cap weights must sum to 1"):
        standardise(mm.descriptors["VALUE"], mm.benchmark * 2)


def test_unknown_factor_names(mm):
    with pytest.raises(ValueError, match=r"unknown factor \['QUALITY'\]"):
        conditional_factor_shock(mm.risk_model.factor_cov, "QUALITY", -0.08)
    with pytest.raises(ValueError, match=r"unknown factor \['QUALITY'\]"):
        exposure_constraints(mm.exposures, {"QUALITY": 0.0})
    d = decompose_risk(mm.risk_model, mm.active)
    with pytest.raises(ValueError, match=r"unknown factor \['QUALITY'\]"):
        block_contributions(d, {**FACTOR_BLOCKS, "Other": ["QUALITY"]})


def test_blocks_must_partition_the_factors(mm):
    d = decompose_risk(mm.risk_model, mm.active)
    with pytest.raises(ValueError, match=r"left out \['MKT'\]"):
        block_contributions(d, {"Styles": ["VALUE", "MOM", "SIZE"], "Industries": ["TECH", "FIN", "CONS"]})


def test_unknown_stock_and_industry(mm):
    weights = mm.portfolio.rename(index={"JUNIPER": "KESTREL"})
    with pytest.raises(ValueError, match=r"unknown stocks \['KESTREL'\]"):
        decompose_risk(mm.risk_model, weights)
    with pytest.raises(ValueError, match=r"unknown industry \['ENERGY'\]"):
        industry_dummies(pd.Series(["TECH", "ENERGY"]), ["TECH", "FIN"])
    with pytest.raises(ValueError, match=r"industries \['ENERGY'\] not listed"):
        Universe(
            pd.Series(["TECH", "ENERGY"], index=["A", "B"]),
            pd.Series([1.0, 2.0], index=["A", "B"]),
            ("TECH",),
        )


def test_hedge_system_without_solution(mm):
    x = decompose_risk(mm.risk_model, mm.portfolio).exposures
    index_future = mm.hedge_instruments["index future"]
    twins = pd.DataFrame({"index future": index_future, "twice the index": 2 * index_future})
    with pytest.raises(ValueError, match="hedge system has no unique solution"):
        exposure_hedge(x, twins, ["MKT", "SIZE"])
    with pytest.raises(ValueError, match="need as many instruments as factors"):
        exposure_hedge(x, mm.hedge_instruments, ["MKT"])
    with pytest.raises(ValueError, match="redundant"):
        minimum_variance_hedge(x, twins, mm.risk_model.factor_cov)


def test_optimiser_rejects_dependent_constraints(mm):
    rows, targets = exposure_constraints(mm.exposures, {"MKT": 0.0})  # MKT row repeats the budget row
    with pytest.raises(ValueError, match="linearly dependent"):
        minimum_tracking_error(mm.risk_model.covariance(), rows, targets)


def test_attribution_inputs(mm):
    with pytest.raises(ValueError, match="-100% or worse"):
        compound(np.array([0.1, -1.2]))
    a = mm.attribution
    broken = a.contributions.copy()
    broken.iloc[1, 0] += 0.01
    with pytest.raises(ValueError, match="contributions in period 'month 2' do not add up"):
        carino_link(broken, a.portfolio, a.benchmark)
    with pytest.raises(ValueError, match="factor returns does not match"):
        factor_attribution(
            decompose_risk(mm.risk_model, mm.active).exposures, mm.factor_returns.iloc[0, :3], 0.0
        )


def test_published_data_cannot_be_changed_in_place(mm):
    with pytest.raises(ValueError, match="read-only"):
        mm.returns.to_numpy()[0] = 1.0


def test_factor_volatilities_and_correlations_must_be_valid(mm):
    vols, corr = mm.factor_vol, mm.factor_corr
    with pytest.raises(ValueError, match="volatilities must be positive; not so for \\['SIZE'\\]"):
        factor_covariance(vols.mask(vols.index == "SIZE", 0.0), corr)
    off_diagonal = corr.copy()
    off_diagonal.loc["MKT", "MKT"] = 0.9
    with pytest.raises(ValueError, match="ones on its diagonal"):
        factor_covariance(vols, off_diagonal)
    beyond_one = corr.copy()
    beyond_one.loc["MKT", "TECH"] = beyond_one.loc["TECH", "MKT"] = 1.2
    with pytest.raises(ValueError, match="outside \\[-1, 1\\]"):
        factor_covariance(vols, beyond_one)
    with pytest.raises(ValueError, match="factors"):
        factor_covariance(vols.drop("SIZE"), corr)


def test_labels_must_be_unique_and_containers_labelled(mm):
    from mini import _checks

    doubled = pd.concat([mm.returns, mm.returns.iloc[:1]])
    with pytest.raises(ValueError, match="duplicate labels: \\['AXIOM'\\]"):
        cross_sectional_regression(mm.exposures, doubled, mm.regression_weights, mm.restriction)
    with pytest.raises(ValueError, match="must be a pandas Series, got ndarray"):
        _checks.finite_series(mm.returns.to_numpy(), "returns")
    with pytest.raises(ValueError, match="must be a pandas DataFrame, got Series"):
        _checks.finite_frame(mm.returns, "exposures")
    with pytest.raises(ValueError, match="duplicate column labels: \\['MKT'\\]"):
        _checks.finite_frame(pd.concat([mm.exposures, mm.exposures[["MKT"]]], axis=1), "exposures")
    with pytest.raises(ValueError, match="must be 3-dimensional, got shape \\(2, 2\\)"):
        _checks.finite_array(np.eye(2), "exposures", ndim=3)


def test_evaluation_inputs_are_checked():
    from mini.evaluation import q_statistic, rolling_forecasts, standardised_returns

    periods, stocks = pd.RangeIndex(6), ["A", "B"]
    realised = pd.DataFrame(np.ones((6, 2)), index=periods, columns=stocks)
    with pytest.raises(ValueError, match="differ in shape"):
        standardised_returns(realised, realised.iloc[:5])
    with pytest.raises(ValueError, match="exactly zero"):
        q_statistic(pd.Series([1.0, 0.0, -0.5]))
    factor_returns = pd.DataFrame(np.zeros((6, 1)), index=periods, columns=["MKT"])
    with pytest.raises(ValueError, match="do not match factor returns"):
        rolling_forecasts(np.ones((5, 2, 1)), factor_returns, realised, 12, 12, 2)
