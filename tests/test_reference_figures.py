"""Every figure of the reference output (mini-example-output.txt), at the precision printed.

Section numbers follow the reference. Returns in the reference are in percent; `mini`
works in decimals, so expected percentages are compared with 100 × the value.
"""

from __future__ import annotations

import pandas as pd
import pytest
from support import printed, printed_all

from mini.attribution import carino_link, compound
from mini.decomposition import block_contributions, decompose_exposures, decompose_risk, stock_contributions
from mini.examples import five_stock_example
from mini.hedging import beta, exposure_hedge, hedged_exposures, minimum_variance_hedge
from mini.minimodel import FACTOR_BLOCKS, FACTORS, STOCKS
from mini.optimisation import exposure_constraints, minimum_tracking_error, turnover
from mini.stress import conditional_factor_shock, shock_impact, sigma_shock, single_factor_shock

PCT = 100.0


# 1. Universe ------------------------------------------------------------------------
def test_universe_table(mm):
    printed_all(
        PCT * mm.benchmark[STOCKS], [24.39, 13.01, 6.50, 1.63, 19.51, 9.76, 3.25, 14.63, 4.88, 2.44], 2
    )
    printed_all(
        mm.descriptors["SIZE"][STOCKS], [5.01, 4.38, 3.69, 2.30, 4.79, 4.09, 3.00, 4.50, 3.40, 2.71], 2
    )
    printed_all(
        mm.benchmark[STOCKS],
        [0.2439, 0.1301, 0.0650, 0.0163, 0.1951, 0.0976, 0.0325, 0.1463, 0.0488, 0.0244],
        4,
    )
    printed_all(
        mm.active[STOCKS],
        [-0.1439, -0.0501, 0.0350, 0.0137, 0.0249, 0.0424, 0.0275, 0.0037, 0.0312, 0.0156],
        4,
    )


def test_industry_cap_weights(mm):
    printed_all(mm.universe.industry_weights[["TECH", "FIN", "CONS"]], [0.4553, 0.3252, 0.2195], 4)


# 2. Standardised exposures ----------------------------------------------------------
EXPOSURES = {
    "AXIOM": [-1.228, 1.198, 0.710],
    "BINARY": [-0.882, 0.341, -0.010],
    "CIPHER": [-0.190, -1.066, -0.805],
    "DIGIT": [0.329, 1.688, -2.394],
    "EVERGREEN": [1.194, -0.393, 0.455],
    "FIDELIS": [1.540, -0.883, -0.340],
    "GUARDIAN": [2.060, -1.495, -1.600],
    "HARVEST": [-0.363, -0.148, 0.125],
    "INDIGO": [0.156, -0.638, -1.135],
    "JUNIPER": [0.675, -1.250, -1.930],
}


def test_standardised_exposures(mm):
    x = mm.exposures
    assert list(x.columns) == FACTORS
    for stock, styles in EXPOSURES.items():
        printed_all(x.loc[stock, ["VALUE", "MOM", "SIZE"]], styles, 3)
    industry_of = mm.universe.industry
    for stock in STOCKS:
        assert x.loc[stock, "MKT"] == 1.0
        assert x.loc[stock, ["TECH", "FIN", "CONS"]].to_dict() == {
            name: float(name == industry_of[stock]) for name in ["TECH", "FIN", "CONS"]
        }


def test_style_moments(mm):
    styles = mm.exposures[["VALUE", "MOM", "SIZE"]]
    printed_all(mm.benchmark @ styles, [0.0, 0.0, 0.0], 4)
    printed_all(styles.std(ddof=0), [1.0, 1.0, 1.0], 4)


# 3. Month-1 constrained WLS ---------------------------------------------------------
def test_regression_weights(mm):
    printed_all(
        mm.regression_weights[STOCKS],
        [0.1685, 0.1230, 0.0870, 0.0435, 0.1507, 0.1066, 0.0615, 0.1305, 0.0754, 0.0533],
        4,
    )


def test_month1_factor_returns(mm):
    printed_all(
        PCT * mm.month1.factor_returns[FACTORS], [1.8214, 0.7683, -1.2822, 0.3060, 0.5484, 1.9616, 0.0460], 4
    )


def test_month1_constraint_holds(mm):
    f = mm.month1.factor_returns
    assert abs(mm.universe.industry_weights @ f[["TECH", "FIN", "CONS"]]) < 1e-15


def test_month1_residuals(mm):
    printed_all(
        PCT * mm.month1.residuals[STOCKS],
        [-0.0996, 0.0248, 0.1434, 0.0286, 0.3561, -0.2365, -0.4626, -0.4432, 1.0906, -0.4568],
        4,
    )


def test_weighted_r2(mm):
    printed(mm.month1.r2_uncentred, 0.9736, 4)
    printed(mm.month1.r2_centred, 0.9564, 4)


# 3b. Pure factor portfolios ---------------------------------------------------------
PURE = {
    "MKT": [0.2371, 0.1350, 0.0656, 0.0177, 0.1924, 0.1030, 0.0298, 0.1492, 0.0505, 0.0197],
    "TECH": [-0.5490, -1.4586, 1.8639, 0.6884, 1.1758, -0.2296, -1.2714, 0.5896, -0.9532, 0.1441],
    "FIN": [1.0090, 2.6531, -2.9473, -1.1700, -2.0147, 0.4449, 2.2447, -1.3606, 1.4671, -0.3259],
    "CONS": [-0.3563, -0.9052, 0.5005, 0.3057, 0.5462, -0.1829, -0.6885, 0.7929, -0.1965, 0.1840],
    "VALUE": [-0.8275, -2.1559, 2.0071, 0.9763, 1.7954, -0.1754, -1.6200, 0.9590, -1.1554, 0.1965],
    "MOM": [0.1013, -0.2542, -0.1566, 0.3095, 0.2057, -0.0336, -0.1720, 0.1111, -0.0855, -0.0256],
    "SIZE": [-0.2602, -0.9670, 0.9790, 0.2482, 0.9563, -0.0945, -0.8618, 0.5762, -0.5938, 0.0176],
}


def test_pure_factor_portfolios(mm):
    p = mm.month1.pure_portfolios
    for factor, row in PURE.items():
        printed_all(p.loc[factor, STOCKS], row, 4)


def test_p_times_x(mm):
    px = mm.month1.pure_portfolios @ mm.exposures
    expected = [
        [1, 0.4553, 0.3252, 0.2195, 0, 0, 0],
        [0, 0.5447, -0.3252, -0.2195, 0, 0, 0],
        [0, -0.4553, 0.6748, -0.2195, 0, 0, 0],
        [0, -0.4553, -0.3252, 0.7805, 0, 0, 0],
        [0, 0, 0, 0, 1, 0, 0],
        [0, 0, 0, 0, 0, 1, 0],
        [0, 0, 0, 0, 0, 0, 1],
    ]
    printed_all(px.loc[FACTORS, FACTORS], expected, 4)


def test_f_equals_p_r(mm):
    printed_all(
        PCT * (mm.month1.pure_portfolios @ mm.returns)[FACTORS],
        [1.8214, 0.7683, -1.2822, 0.3060, 0.5484, 1.9616, 0.0460],
        4,
    )


def test_value_portfolio_leverage(mm):
    value = mm.month1.pure_portfolios.loc["VALUE"]
    assert abs(value.sum()) < 1e-12
    printed(value.abs().sum(), 11.868382999104018, 12)


# 4. Risk model ----------------------------------------------------------------------
def test_factor_vols_and_eigenvalues(mm):
    import numpy as np

    printed_all(PCT * np.sqrt(np.diag(mm.risk_model.factor_cov)), [16, 9, 7, 5, 4, 6, 4], 10)
    printed_all(
        np.linalg.eigvalsh(mm.factor_corr), [0.3847, 0.4878, 0.8702, 0.8986, 1.0347, 1.2210, 2.1031], 4
    )


RISK = {
    # exposures (4 dp), factor/specific/total var (6 dp), vols % (2 dp), contributions % (2 dp), specific share % (2 dp)
    "portfolio": dict(
        x=[1.0, 0.31, 0.42, 0.27, 0.3846, -0.3319, -0.2749],
        var=[0.025576, 0.005216, 0.030792],
        vol=[15.99, 7.22, 17.55],
        contrib=[80.15, 1.47, 1.72, -0.50, -0.30, 1.04, -0.51],
        spec=16.94,
    ),
    "benchmark": dict(
        x=[1.0, 0.4553, 0.3252, 0.2195, 0.0, 0.0, 0.0],
        var=[0.027447, 0.005444, 0.032892],
        vol=[16.57, 7.38, 18.14],
        contrib=[78.74, 5.55, -0.19, -0.65, 0.0, 0.0, 0.0],
        spec=16.55,
    ),
    "active": dict(
        x=[0.0, -0.1453, 0.0948, 0.0505, 0.3846, -0.3319, -0.2749],
        var=[0.001770, 0.001168, 0.002938],
        vol=[4.21, 3.42, 5.42],
        contrib=[0.0, 12.64, 4.69, 0.70, 16.02, 21.99, 4.21],
        spec=39.76,
    ),
}


@pytest.mark.parametrize("which", list(RISK))
def test_risk_report(mm, which):
    weights = {"portfolio": mm.portfolio, "benchmark": mm.benchmark, "active": mm.active}[which]
    expected = RISK[which]
    d = decompose_risk(mm.risk_model, weights)
    printed_all(d.exposures[FACTORS], expected["x"], 4)
    printed_all([d.factor_variance, d.specific_variance, d.total_variance], expected["var"], 6)
    printed_all([PCT * d.factor_vol, PCT * d.specific_vol, PCT * d.total_vol], expected["vol"], 2)
    printed_all(PCT * d.shares[FACTORS], expected["contrib"], 2)
    printed(PCT * d.shares["Specific"], expected["spec"], 2)


# 4b. Stock-level contributions to tracking error ------------------------------------
def test_stock_contributions(mm):
    table = stock_contributions(mm.risk_model, mm.active)
    ordered = table.reindex(table["CTR"].abs().sort_values(ascending=False).index)
    assert list(ordered.index) == [
        "AXIOM",
        "BINARY",
        "FIDELIS",
        "GUARDIAN",
        "INDIGO",
        "JUNIPER",
        "EVERGREEN",
        "CIPHER",
        "DIGIT",
        "HARVEST",
    ]
    printed_all(
        ordered["MCR"],
        [-0.2323, -0.1464, 0.1050, 0.1575, 0.0598, 0.0906, 0.0534, 0.0291, -0.0663, -0.0170],
        4,
    )
    printed_all(
        ordered["CTR"],
        [0.03343, 0.00733, 0.00445, 0.00433, 0.00187, 0.00141, 0.00133, 0.00102, -0.00091, -0.00006],
        5,
    )
    printed_all(PCT * ordered["share"], [61.68, 13.53, 8.22, 7.99, 3.44, 2.61, 2.45, 1.88, -1.68, -0.11], 2)
    printed(table["CTR"].sum(), 0.05419923237442224, 12)


def test_block_decomposition(mm):
    d = decompose_risk(mm.risk_model, mm.active)
    blocks = block_contributions(d, FACTOR_BLOCKS)
    printed_all(
        blocks[["Market", "Industries", "Styles", "Specific"]], [0.0, 0.000529, 0.001240, 0.001168], 6
    )
    printed_all(PCT * blocks / d.total_variance, [0.0, 18.02, 42.22, 39.76], 2)


# 5. Stress test ---------------------------------------------------------------------
def test_stress(mm):
    f = mm.risk_model.factor_cov
    shock = sigma_shock(f, "VALUE", -2)
    printed(PCT * shock, -8.0, 1)
    moves = conditional_factor_shock(f, "VALUE", shock)
    printed_all(PCT * moves[FACTORS], [6.4, 6.3, -5.6, -0.5, -8.0, 5.4, -0.8], 2)
    active = decompose_risk(mm.risk_model, mm.active).exposures
    total = decompose_risk(mm.risk_model, mm.portfolio).exposures
    printed(PCT * shock_impact(active, single_factor_shock(mm.factors, "VALUE", shock)), -3.08, 2)
    printed(PCT * shock_impact(active, moves), -6.12, 2)
    printed(PCT * shock_impact(total, moves), 1.22, 2)


# 6. Attribution ---------------------------------------------------------------------
def _attribution(mm):
    a = mm.attribution
    return a.contributions, a.portfolio, a.benchmark


def test_later_factor_returns(mm):
    f = mm.factor_returns
    printed_all(PCT * f.loc["month 2", FACTORS], [-2.0, -1.5, 1.0, 1.63, 1.2, -0.8, 0.5], 3)
    printed_all(PCT * f.loc["month 3", FACTORS], [3.0, 0.8, -0.5, -0.919, -0.6, 1.0, -0.3], 3)


def test_monthly_attribution(mm):
    contributions, portfolio, benchmark = _attribution(mm)
    factor = contributions[FACTORS].sum(axis=1)
    printed_all(PCT * (portfolio - benchmark), [-0.641, 1.285, -0.790], 3)
    printed_all(PCT * factor, [-0.671, 0.985, -0.690], 3)
    printed_all(PCT * contributions["Specific"], [0.030, 0.300, -0.100], 3)
    printed_all(
        PCT * contributions.loc["month 1", FACTORS], [0.0, -0.112, -0.122, 0.015, 0.211, -0.651, -0.013], 3
    )
    printed_all(
        PCT * contributions.loc["month 2", FACTORS], [0.0, 0.218, 0.095, 0.082, 0.461, 0.266, -0.137], 3
    )
    printed_all(
        PCT * contributions.loc["month 3", FACTORS], [0.0, -0.116, -0.047, -0.046, -0.231, -0.332, 0.082], 3
    )
    printed(PCT * float(mm.portfolio @ mm.returns), 1.178, 3)
    printed(PCT * benchmark["month 1"], 1.819, 3)


def test_linking(mm):
    contributions, portfolio, benchmark = _attribution(mm)
    printed(PCT * compound(portfolio), 2.674, 3)
    printed(PCT * compound(benchmark), 2.776, 3)
    printed(PCT * (compound(portfolio) - compound(benchmark)), -0.102, 3)
    printed(PCT * (portfolio - benchmark).sum(), -0.146, 3)
    linked = carino_link(contributions, portfolio, benchmark)
    printed_all(PCT * linked[FACTORS], [0.0, -0.002, -0.072, 0.055, 0.463, -0.715, -0.073], 3)
    printed(PCT * linked["Specific"], 0.243, 3)
    printed(PCT * linked.sum(), -0.102, 3)


# 7. Hedging -------------------------------------------------------------------------
def test_hedging(mm):
    instruments = mm.hedge_instruments
    printed_all(instruments["index future"][FACTORS], [1.0, 0.4553, 0.3252, 0.2195, 0.0, 0.0, 0.0], 4)
    portfolio = decompose_risk(mm.risk_model, mm.portfolio)
    notionals = exposure_hedge(portfolio.exposures, instruments, ["MKT", "SIZE"])
    printed_all(notionals[["index future", "small-cap future"]], [-0.7594, -0.2291], 4)
    hedged = hedged_exposures(portfolio.exposures, instruments, notionals)
    printed_all(hedged[FACTORS], [0.0, -0.1159, 0.1043, 0.0231, 0.3616, -0.3205, 0.0], 4)
    after = decompose_exposures(mm.risk_model.factor_cov, hedged, portfolio.specific_variance)
    printed(PCT * portfolio.total_vol, 17.55, 2)
    printed_all(
        PCT * pd.Series([after.total_vol, after.factor_vol, after.specific_vol]), [8.14, 3.76, 7.22], 2
    )


def test_minimum_variance_hedge(mm):
    index_future = mm.hedge_instruments[["index future"]]
    portfolio = decompose_risk(mm.risk_model, mm.portfolio)
    h = minimum_variance_hedge(portfolio.exposures, index_future, mm.risk_model.factor_cov)
    printed(h["index future"], -0.9337, 4)
    after = decompose_exposures(
        mm.risk_model.factor_cov,
        hedged_exposures(portfolio.exposures, index_future, h),
        portfolio.specific_variance,
    )
    printed(PCT * after.total_vol, 8.29, 2)
    printed(beta(portfolio.exposures, index_future["index future"], mm.risk_model.factor_cov), 0.9337, 4)


# 8. Optimisation --------------------------------------------------------------------
def test_minimum_tracking_error(mm):
    active = decompose_risk(mm.risk_model, mm.active)
    rows, targets = exposure_constraints(mm.exposures, {"MOM": 0.0, "VALUE": active.exposures["VALUE"]})
    w = minimum_tracking_error(mm.risk_model.covariance(), rows, targets)
    printed_all(
        w[STOCKS], [-0.0268, -0.0457, -0.0422, 0.0549, 0.0939, 0.0576, 0.0327, -0.0843, -0.0260, -0.0141], 4
    )
    holdings = mm.benchmark + w
    printed_all(
        holdings[STOCKS], [0.2171, 0.0844, 0.0228, 0.0711, 0.2890, 0.1552, 0.0653, 0.0620, 0.0228, 0.0103], 4
    )
    printed(holdings.min(), 0.01025018814816795, 12)
    optimal = decompose_risk(mm.risk_model, w)
    printed_all(optimal.exposures[FACTORS], [0.0, -0.0598, 0.1842, -0.1244, 0.3846, 0.0, -0.0991], 4)
    printed(PCT * active.total_vol, 5.42, 2)
    printed(PCT * optimal.total_vol, 4.65, 2)
    printed(PCT * turnover(mm.active, w), 25.2, 1)


# 9. Chapter-2 five-stock example ----------------------------------------------------
def test_five_stock_example():
    example = five_stock_example()
    d = decompose_risk(example.model, example.weights)
    printed_all(d.exposures, [1.0, 0.235], 3)
    printed(d.factor_variance, 0.025087, 6)
    printed(d.specific_variance, 0.011311, 6)
    printed(PCT * d.total_vol, 19.08, 2)
    printed(PCT * d.factor_vol, 15.84, 2)
    printed(PCT * d.specific_vol, 10.64, 2)
    printed(PCT * d.factor_variance / d.total_variance, 68.9, 1)
