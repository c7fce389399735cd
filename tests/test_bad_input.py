"""Bad input raises ValueError with a message that names the problem."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mini.attribution import carino_link, compound, factor_attribution, information_ratio, menchero_link
from mini.constraints import industry_constraint, restriction_matrix
from mini.decomposition import active_weights, block_contributions, decompose_risk, tracking_error
from mini.evaluation import bias_band, exceedances, q_statistic, rolling_bias, standardised_returns
from mini.exposures import industry_dummies, standardise, winsorise
from mini.global_model import global_exposures
from mini.hedging import exposure_hedge, minimum_variance_hedge
from mini.minimodel import FACTOR_BLOCKS
from mini.optimisation import exposure_constraints, minimum_tracking_error
from mini.regression import cross_sectional_regression, huber_regression
from mini.risk_model import RiskModel, factor_covariance
from mini.statistical import marchenko_pastur_edge
from mini.stress import conditional_factor_shock, sigma_shock
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


def test_covariance_not_positive_semidefinite_in_risk_model(mm):
    f = mm.risk_model.factor_cov.copy()
    f.loc["MKT", "MKT"] = -0.01
    with pytest.raises(ValueError, match="factor covariance is not positive semi-definite"):
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


# Inputs that cannot mislead (issue 9): each case below used to pass silently, give a
# misaligned answer or fail deep inside numpy.


def one_period_panel(mm, exposures: pd.DataFrame):
    """The MiniModel's month 1 as a one-period panel: (1, N, K) exposures, 1 × N frames."""
    restriction = mm.restriction.reindex(exposures.columns).to_numpy()[None]
    returns = mm.returns.to_frame("month 1").T
    weights = mm.regression_weights.reindex(mm.returns.index).to_frame("month 1").T
    return exposures.to_numpy()[None], returns, weights, restriction


@pytest.fixture(scope="module")
def small_market():
    from mini.simulation import fit_cross_sections, simulate_market

    market = simulate_market(n_stocks=40, n_periods=30, n_industries=3, seed=5)
    return market, fit_cross_sections(market)


def dated_returns(n_periods: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2020-01-31", periods=n_periods, freq="ME", name="period")
    return pd.DataFrame(rng.normal(0.0, 0.02, (n_periods, 3)), index=dates, columns=["A", "B", "C"])


def test_standardised_returns_divide_by_label_not_position():
    from mini.evaluation import standardised_returns

    periods = pd.Index(["m1", "m2", "m3"])
    realised = pd.Series([0.02, -0.04, 0.01], index=periods)
    vol = pd.Series([0.01, 0.02, 0.04], index=periods)
    expected = pd.Series([2.0, -2.0, 0.25], index=periods)
    pd.testing.assert_series_equal(standardised_returns(realised, vol.iloc[::-1]), expected)
    realised_frame = pd.DataFrame({"P": realised, "Q": 2 * realised})
    vol_frame = pd.DataFrame({"P": vol, "Q": vol})
    z = standardised_returns(realised_frame, vol_frame.iloc[::-1][["Q", "P"]])
    pd.testing.assert_frame_equal(z, pd.DataFrame({"P": expected, "Q": 2 * expected}))
    with pytest.raises(ValueError, match=r"missing periods \['m1', 'm2', 'm3'\]; unknown periods \['m4'"):
        standardised_returns(realised, vol.set_axis(["m4", "m5", "m6"]))
    with pytest.raises(ValueError, match=r"missing columns \['Q'\]; unknown columns \['R'\]"):
        standardised_returns(realised_frame, vol_frame.rename(columns={"Q": "R"}))


def test_rolling_forecasts_check_the_residuals_periods(small_market):
    from mini.evaluation import rolling_forecasts

    market, fit = small_market
    base = rolling_forecasts(market.exposures, fit.factor_returns, fit.residuals, 12, 12, 6)
    newest_first = rolling_forecasts(
        market.exposures, fit.factor_returns, fit.residuals.iloc[::-1], 12, 12, 6
    )
    np.testing.assert_array_equal(newest_first.specific_var, base.specific_var)
    shifted = fit.residuals.set_axis(fit.residuals.index + pd.DateOffset(months=1))
    with pytest.raises(ValueError, match="residuals does not match the model's periods"):
        rolling_forecasts(market.exposures, fit.factor_returns, shifted, 12, 12, 6)
    with pytest.raises(ValueError, match=r"missing periods \[Timestamp\('2010-01-01"):
        rolling_forecasts(market.exposures, fit.factor_returns, fit.residuals.iloc[1:], 12, 12, 6)


def test_negative_variance_on_the_diagonal_of_f_is_named(mm):
    from mini.risk_model import correlation_from_covariance

    f = mm.risk_model.factor_cov.copy()
    f.loc["MOM", "MOM"] = -0.001
    named = r"factor covariance has a non-positive variance on its diagonal, for \['MOM'\]"
    with pytest.raises(
        ValueError, match=r"covariance has a non-positive variance on its diagonal, for \['MOM'\]"
    ):
        correlation_from_covariance(f)
    with pytest.raises(ValueError, match=named):
        sigma_shock(f, "MOM", -2)
    with pytest.raises(ValueError, match=named):
        sigma_shock(f, "VALUE", -2)
    with pytest.raises(ValueError, match=named):
        conditional_factor_shock(f, "VALUE", -0.05)


def test_oldest_first_estimators_reject_newest_first_data():
    from mini.attribution import grap_link
    from mini.covariance import (
        ewma_covariance,
        ewma_covariance_forecasts,
        ewma_variance_forecasts,
        newey_west_covariance,
        volatility_regime_adjustment,
    )
    from mini.evaluation import rolling_bias
    from mini.specific_risk import ewma_specific_variance

    returns = dated_returns()
    newest_first = returns.iloc[::-1]
    first = r"must run oldest first, but 2023-03-31 00:00:00 comes after 2023-04-30 00:00:00"
    for estimate in (
        lambda r: ewma_covariance(r, half_life=10),
        lambda r: ewma_covariance(r, half_life=20, vol_half_life=5),
        lambda r: ewma_variance_forecasts(r, half_life=10, warmup=5),
        lambda r: ewma_covariance_forecasts(r, half_life=10, warmup=5),
        lambda r: newey_west_covariance(r, lags=2, half_life=10),
        lambda r: volatility_regime_adjustment(r / 0.02, half_life=10),
    ):
        estimate(returns)  # oldest first is fine
        with pytest.raises(ValueError, match="factor returns " + first):
            estimate(newest_first)
    with pytest.raises(ValueError, match="residuals " + first):
        ewma_specific_variance(newest_first, half_life=10)
    with pytest.raises(ValueError, match="standardised returns " + first):
        rolling_bias(newest_first["A"] / 0.02, window=12)
    active = newest_first["A"] - newest_first["B"]
    contributions = pd.DataFrame({"A": newest_first["A"], "B": -newest_first["B"]})
    with pytest.raises(ValueError, match="contributions " + first):
        grap_link(contributions, newest_first["A"], newest_first["B"] + 0 * active)
    numbered = returns.set_axis(pd.RangeIndex(1, 41, name="period"))
    with pytest.raises(ValueError, match="must run oldest first, but 39 comes after 40"):
        ewma_covariance(numbered.iloc[::-1], half_life=10)
    # labels that carry no order cannot be checked, and are taken as given
    labelled = returns.set_axis([f"month {t}" for t in range(1, 41)])
    np.testing.assert_allclose(ewma_covariance(labelled, 10), ewma_covariance(returns, 10), rtol=0, atol=0)


def test_membership_path_rejects_newest_first_periods():
    from mini.universe import estimation_universe_path

    cap = pd.DataFrame([[5.0, 1.0], [6.0, 0.5]], index=pd.to_datetime(["2024-01-31", "2024-02-29"]))
    rules = {"min_cap": 1.0, "min_adv": 0.0, "min_history": 0.0}
    estimation_universe_path(cap, cap, cap, **rules)
    with pytest.raises(ValueError, match="market caps must run oldest first"):
        estimation_universe_path(cap.iloc[::-1], cap.iloc[::-1], cap.iloc[::-1], **rules)


def test_weighted_r2_checks_labels_and_lengths(mm):
    from mini.regression import weighted_r2

    fit = cross_sectional_regression(mm.exposures, mm.returns, mm.regression_weights, mm.restriction)
    weights = mm.regression_weights
    r2 = weighted_r2(mm.returns, fit.residuals, weights, centred=True)
    assert r2 == pytest.approx(fit.r2_centred, rel=1e-15)
    shuffled = weighted_r2(
        mm.returns.iloc[::-1], fit.residuals.iloc[[3, 1, 4, 0, 9, 2, 6, 5, 8, 7]], weights, True
    )
    assert shuffled == pytest.approx(r2, rel=1e-14)
    with pytest.raises(
        ValueError, match=r"returns does not match the model's stocks: missing stocks \['JUNIPER'\]"
    ):
        weighted_r2(mm.returns.drop("JUNIPER"), fit.residuals, weights, centred=True)
    with pytest.raises(
        ValueError, match=r"residuals does not match the model's stocks: missing stocks \['AXIOM'\]"
    ):
        weighted_r2(mm.returns, fit.residuals.drop("AXIOM"), weights, centred=False)
    with pytest.raises(ValueError, match=r"unknown stocks \['KESTREL'\]"):
        weighted_r2(mm.returns.rename(index={"JUNIPER": "KESTREL"}), fit.residuals, weights, True)
    with pytest.raises(TypeError, match="returns must be a pandas Series, got list"):
        weighted_r2(list(mm.returns), fit.residuals, weights, centred=True)


def fit_args(mm):
    return mm.exposures, mm.returns, mm.regression_weights, mm.restriction


Z = pd.Series([0.5, -1.2, 2.1, -0.3])
SCALAR_CASES = {  # a call with one bad scalar, and the message it must raise
    "Marchenko-Pastur variance": (
        lambda mm, v: marchenko_pastur_edge(10, 20, variance=v),
        "variance must be positive",
    ),
    "Marchenko-Pastur assets": (
        lambda mm, v: marchenko_pastur_edge(v, 20),
        "number of assets must be a whole number",
    ),
    "Marchenko-Pastur periods": (
        lambda mm, v: marchenko_pastur_edge(10, v),
        "number of periods must be a whole number",
    ),
    "bias band": (lambda mm, v: bias_band(v), "n_periods must be a whole number of at least two periods"),
    "exceedances": (lambda mm, v: exceedances(Z, threshold=v), "threshold must be positive"),
    "winsorise": (
        lambda mm, v: winsorise(mm.descriptors["VALUE"], limit=v),
        "winsorising limit must be positive",
    ),
    "information ratio": (
        lambda mm, v: information_ratio(Z.to_numpy(), periods_per_year=v),
        "periods per year must be positive",
    ),
    "sigma shock": (
        lambda mm, v: sigma_shock(mm.risk_model.factor_cov, "VALUE", v),
        "number of standard deviations must be a finite number",
    ),
    "conditional shock": (
        lambda mm, v: conditional_factor_shock(mm.risk_model.factor_cov, "VALUE", v),
        "shock must be a finite number",
    ),
    "Huber threshold": (
        lambda mm, v: huber_regression(*fit_args(mm), threshold=v),
        "Huber threshold must be positive",
    ),
    "Huber iterations": (
        lambda mm, v: huber_regression(*fit_args(mm), iterations=v),
        "iterations must be a whole number",
    ),
}


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("case", list(SCALAR_CASES))
def test_nan_and_infinite_scalar_parameters_are_rejected(mm, case, bad):
    call, message = SCALAR_CASES[case]
    with pytest.raises(ValueError, match=message):
        call(mm, bad)


def test_negative_counts_are_rejected(mm):
    with pytest.raises(ValueError, match="iterations must be a whole number of at least 0, got -1"):
        huber_regression(*fit_args(mm), iterations=-1)
    assert huber_regression(*fit_args(mm), iterations=0).factor_returns.equals(
        cross_sectional_regression(*fit_args(mm)).factor_returns
    )


def decimal_linking_reference(contributions, portfolio, benchmark):
    """Cariño and Menchero linked contributions computed in 60-digit decimal arithmetic
    from the exact binary values of the inputs."""
    from decimal import Decimal, localcontext

    with localcontext() as context:
        context.prec = 60
        rp = [Decimal(x) for x in portfolio]
        rb = [Decimal(x) for x in benchmark]
        c = {j: [Decimal(x) for x in contributions[j]] for j in contributions}

        def cumulative(returns):
            growth = Decimal(1)
            for r in returns:
                growth *= 1 + r
            return growth - 1

        def coefficient(p, b):
            return 1 / (1 + p) if p == b else ((1 + p).ln() - (1 + b).ln()) / (p - b)

        big_p, big_b = cumulative(rp), cumulative(rb)
        k = coefficient(big_p, big_b)
        carino = {
            j: float(sum(coefficient(p, b) / k * x for p, b, x in zip(rp, rb, c[j], strict=True))) for j in c
        }
        if big_p == big_b:  # Menchero's M is then a limit, checked separately
            return pd.Series(carino), None
        periods = len(rp)
        total = big_p - big_b
        root_p, root_b = (((1 + g).ln() / periods).exp() for g in (big_p, big_b))
        m = (total / periods) / (root_p - root_b)
        active = [p - b for p, b in zip(rp, rb, strict=True)]
        slope = (total - m * sum(active)) / sum(a * a for a in active)
        menchero = {j: float(sum((m + slope * a) * x for a, x in zip(active, c[j], strict=True))) for j in c}
    return pd.Series(carino), pd.Series(menchero)


def test_carino_and_menchero_keep_their_precision_when_returns_nearly_agree():
    # returns that compound exactly in binary, so the cumulative gap is exactly 1.5 x 2^-40
    gap = 2.0**-40
    months = ["m1", "m2", "m3"]
    portfolio = pd.Series([0.5, 0.25, -0.5], index=months)
    benchmark = pd.Series([0.5, 0.25 - gap, -0.5], index=months)
    contributions = pd.DataFrame(
        {"A": [0.01, 0.25 * gap, -0.02], "B": [-0.01, 0.75 * gap, 0.02]}, index=months
    )
    assert compound(portfolio) - compound(benchmark) == pytest.approx(1.36e-12, rel=0.01)
    carino, menchero = decimal_linking_reference(contributions, portfolio, benchmark)
    np.testing.assert_allclose(carino_link(contributions, portfolio, benchmark), carino, rtol=1e-13)
    np.testing.assert_allclose(menchero_link(contributions, portfolio, benchmark), menchero, rtol=1e-13)
    # no active return at all: the coefficients take their limits, 1 / (1 + r) for
    # Cariño and (1 + R)^((T - 1) / T) for Menchero, whose correction is then zero
    offsetting = pd.DataFrame({"A": [0.01, 0.02, -0.02], "B": [-0.01, -0.02, 0.02]}, index=months)
    carino, _ = decimal_linking_reference(offsetting, portfolio, portfolio)
    np.testing.assert_allclose(carino_link(offsetting, portfolio, portfolio), carino, rtol=1e-15)
    limit = (1 + compound(portfolio)) ** (2 / 3)
    np.testing.assert_allclose(
        menchero_link(offsetting, portfolio, portfolio), limit * offsetting.sum(), rtol=1e-15
    )


def test_one_singularity_rule_for_single_period_and_panel_regressions(mm):
    from mini.regression import panel_regression

    noise = np.random.default_rng(9).standard_normal(len(mm.stocks))
    factors = list(mm.exposures.columns)
    nearly = mm.exposures.assign(SIZE=mm.exposures["VALUE"] + 1e-8 * noise)
    with pytest.raises(ValueError, match="regression is singular: the exposures are collinear"):
        cross_sectional_regression(nearly, mm.returns, mm.regression_weights, mm.restriction)
    with pytest.raises(ValueError, match="regression is singular in period month 1"):
        panel_regression(*one_period_panel(mm, nearly), factors)
    # well away from collinearity both fit, and agree
    apart = mm.exposures.assign(SIZE=mm.exposures["VALUE"] + 1e-3 * noise)
    single = cross_sectional_regression(apart, mm.returns, mm.regression_weights, mm.restriction)
    panel = panel_regression(*one_period_panel(mm, apart), factors)
    np.testing.assert_allclose(panel.factor_returns.iloc[0], single.factor_returns, rtol=1e-7)


def test_panel_regression_checks_and_aligns_stock_labels(mm):
    from mini.regression import panel_regression

    x, returns, weights, restrictions = one_period_panel(mm, mm.exposures)
    factors = list(mm.exposures.columns)
    plain = panel_regression(x, returns, weights, restrictions, factors)
    order = list(mm.stocks[::-1])
    aligned = panel_regression(x, returns[order], weights[order], restrictions, factors, stocks=mm.stocks)
    pd.testing.assert_frame_equal(aligned.factor_returns, plain.factor_returns)
    pd.testing.assert_frame_equal(aligned.residuals, plain.residuals)
    # without the labels, the permuted stocks would be regressed on the wrong exposures
    unlabelled = panel_regression(x, returns[order], weights[order], restrictions, factors)
    assert not np.allclose(unlabelled.factor_returns, plain.factor_returns)
    renamed = [*mm.stocks[:-1], "KESTREL"]
    with pytest.raises(ValueError, match=r"missing stocks \['KESTREL'\]; unknown stocks \['JUNIPER'\]"):
        panel_regression(x, returns, weights, restrictions, factors, stocks=renamed)
    with pytest.raises(ValueError, match="9 stock labels for 10 stocks in the exposures"):
        panel_regression(x, returns, weights, restrictions, factors, stocks=mm.stocks[:-1])
    with pytest.raises(ValueError, match=r"stock labels has duplicate labels: \['AXIOM'\]"):
        panel_regression(x, returns, weights, restrictions, factors, stocks=[*mm.stocks[:-1], "AXIOM"])


def test_wrong_types_raise_type_error(mm, small_market):
    from mini._checks import InputTypeError
    from mini.covariance import ewma_covariance
    from mini.evaluation import rolling_forecasts
    from mini.regression import panel_regression

    market, fit = small_market
    with pytest.raises(TypeError, match="half-life must be a positive number of periods, got str"):
        ewma_covariance(dated_returns(), half_life="30")
    with pytest.raises(TypeError, match="returns must be a pandas Series, got list"):
        cross_sectional_regression(mm.exposures, list(mm.returns), mm.regression_weights, mm.restriction)
    with pytest.raises(TypeError, match="exposures must be a pandas DataFrame, got ndarray"):
        cross_sectional_regression(mm.exposures.to_numpy(), mm.returns, mm.regression_weights)
    with pytest.raises(TypeError, match="factor returns must be a pandas DataFrame, got ndarray"):
        rolling_forecasts(market.exposures, fit.factor_returns.to_numpy(), fit.residuals, 12, 12, 6)
    with pytest.raises(TypeError, match="warm-up must be at least one period, got float"):
        rolling_forecasts(market.exposures, fit.factor_returns, fit.residuals, 12, 12, 6.0)
    with pytest.raises(TypeError, match="exposures must be numeric, got str"):
        panel_regression("exposures", market.returns, market.caps)
    with pytest.raises(TypeError, match="iterations must be a whole number of at least 0, got str"):
        huber_regression(mm.exposures, mm.returns, mm.regression_weights, mm.restriction, iterations="50")
    with pytest.raises(TypeError, match="industry labels must be a pandas Series, got list"):
        industry_dummies(["TECH", "FIN"], ["TECH", "FIN"])
    # a wrong type is also a ValueError, the error mini promises for any bad input
    with pytest.raises(ValueError, match="got list"):
        cross_sectional_regression(mm.exposures, list(mm.returns), mm.regression_weights, mm.restriction)
    assert issubclass(InputTypeError, TypeError) and issubclass(InputTypeError, ValueError)


# --- each input is named by its own name in the error it causes -----------------------------
FOUR = pd.RangeIndex(4, name="period")
NAN_AT_1 = [0.1, np.nan, 0.3, 0.1]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: standardised_returns(
                pd.DataFrame({"a": [0.1, 0.2, 0.3, 0.1]}, index=FOUR),
                pd.DataFrame({"a": NAN_AT_1}, index=FOUR),
            ),
            r"^forecast volatilities contains 1 NaN",
        ),
        (lambda: rolling_bias(pd.Series(NAN_AT_1, index=FOUR), 2), r"^standardised returns contains 1 NaN"),
        (
            lambda: q_statistic(pd.DataFrame({"a": NAN_AT_1}, index=FOUR)),
            r"^standardised returns contains 1 NaN",
        ),
        (
            lambda: standardise(pd.Series([1.0, 2.0], index=["a", "b"]), pd.Series(0.5, index=["a", "c"])),
            r"^cap weights does not match the model's stocks: missing stocks \['b'\]",
        ),
        (
            lambda: global_exposures(
                pd.Series(["US", "UK"], index=["a", "b"]),
                pd.Series(["TECH", "FIN"], index=["a", "c"]),
                ["US", "UK"],
                ["TECH", "FIN"],
            ),
            r"^industries does not match the model's stocks: missing stocks \['b'\]",
        ),
    ],
    ids=["forecast-vols", "rolling-bias", "q-statistic", "standardise-caps", "global-industries"],
)
def test_each_input_is_named_in_its_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
