"""Risk decomposition against numbers worked out by hand on two stocks and two factors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mini.decomposition import (
    SPECIFIC,
    active_weights,
    betas_to_portfolio,
    block_contributions,
    decompose_exposures,
    decompose_risk,
    pairwise_factor_contributions,
    portfolio_exposures,
    recentre_industries,
    stock_contributions,
    tracking_error,
    x_sigma_rho,
)
from mini.risk_model import RiskModel

STOCKS, FACTORS = ["A", "B"], ["MKT", "VAL"]
X = pd.DataFrame([[1.0, 0.5], [1.0, -1.0]], index=STOCKS, columns=FACTORS)
F = pd.DataFrame([[0.04, 0.01], [0.01, 0.01]], index=FACTORS, columns=FACTORS)
D = pd.Series([0.09, 0.04], index=STOCKS)
MODEL = RiskModel(X, F, D)
W = pd.Series({"B": 0.4, "A": 0.6})  # labels in another order than the model's


def test_portfolio_exposures_and_active_weights_by_hand():
    x = portfolio_exposures(X, W)
    assert x["MKT"] == pytest.approx(1.0) and x["VAL"] == pytest.approx(0.6 * 0.5 - 0.4 * 1.0)
    active = active_weights(W, pd.Series({"A": 0.5, "B": 0.5}))
    assert active["A"] == pytest.approx(0.1) and active["B"] == pytest.approx(-0.1)


def test_decompose_risk_by_hand():
    # x = (1, -0.1); Fx = (0.04 - 0.001, 0.01 - 0.001) = (0.039, 0.009)
    d = decompose_risk(MODEL, W)
    assert d.factor_contributions["MKT"] == pytest.approx(0.039, rel=1e-13)
    assert d.factor_contributions["VAL"] == pytest.approx(-0.1 * 0.009, rel=1e-13)
    assert d.factor_variance == pytest.approx(0.039 - 0.0009, rel=1e-13)
    assert d.specific_variance == pytest.approx(0.36 * 0.09 + 0.16 * 0.04, rel=1e-13)
    assert d.total_variance == pytest.approx(0.0381 + 0.0388, rel=1e-13)
    assert d.total_vol == pytest.approx(np.sqrt(0.0769), rel=1e-13)
    assert d.factor_vol == pytest.approx(np.sqrt(0.0381), rel=1e-13)
    assert d.specific_vol == pytest.approx(np.sqrt(0.0388), rel=1e-13)
    assert d.shares[SPECIFIC] == pytest.approx(0.0388 / 0.0769, rel=1e-13)
    assert d.shares["MKT"] == pytest.approx(0.039 / 0.0769, rel=1e-13)


def test_decompose_exposures_by_hand():
    d = decompose_exposures(F, pd.Series({"VAL": 2.0, "MKT": 0.0}), 0.01)
    assert d.factor_variance == pytest.approx(4 * 0.01, rel=1e-14)
    assert d.factor_contributions["MKT"] == 0.0
    assert d.total_variance == pytest.approx(0.05, rel=1e-14)


def test_tracking_error_by_hand():
    # active weights (0.1, -0.1): exposures (0, 0.15); factor variance 0.15^2 * 0.01,
    # specific 0.01 * 0.09 + 0.01 * 0.04
    expected = np.sqrt(0.15**2 * 0.01 + 0.01 * 0.13)
    assert tracking_error(MODEL, W, pd.Series({"A": 0.5, "B": 0.5})) == pytest.approx(expected, rel=1e-13)


def test_stock_contributions_and_betas_against_the_full_covariance():
    sigma = X.to_numpy() @ F.to_numpy() @ X.to_numpy().T + np.diag(D.to_numpy())
    w = np.array([0.6, 0.4])
    vol = np.sqrt(w @ sigma @ w)
    table = stock_contributions(MODEL, W)
    assert np.allclose(table["weight"], w)
    assert np.allclose(table["MCR"], sigma @ w / vol, rtol=1e-13)
    assert np.allclose(table["CTR"], w * (sigma @ w) / vol, rtol=1e-13)
    assert np.allclose(table["share"], w * (sigma @ w) / vol**2, rtol=1e-13)
    assert np.allclose(betas_to_portfolio(MODEL, W), sigma @ w / vol**2, rtol=1e-13)


def test_block_contributions_by_hand():
    factors = ["MKT", "VAL", "MOM"]
    cov = pd.DataFrame(np.diag([0.04, 0.01, 0.02]), index=factors, columns=factors)
    d = decompose_exposures(cov, pd.Series({"MKT": 1.0, "VAL": 1.0, "MOM": 2.0}), 0.003)
    blocks = block_contributions(d, {"market": ["MKT"], "styles": ["VAL", "MOM"]})
    assert blocks.to_dict() == pytest.approx({"market": 0.04, "styles": 0.01 + 0.08, SPECIFIC: 0.003})


def test_pairwise_factor_contributions_by_hand():
    table = pairwise_factor_contributions(F, pd.Series({"VAL": -0.1, "MKT": 1.0}))
    assert table.loc["MKT", "MKT"] == pytest.approx(0.04)
    assert table.loc["MKT", "VAL"] == pytest.approx(-0.001)
    assert table.loc["VAL", "MKT"] == pytest.approx(-0.001)
    assert table.loc["VAL", "VAL"] == pytest.approx(0.0001)


def test_portfolio_exposures_are_named():
    assert portfolio_exposures(X, W).name == "exposure"


@pytest.mark.parametrize(
    ("exposures", "weights", "message"),
    [
        (X.replace(0.5, np.nan), W, r"^exposures contains 1 NaN"),
        (X, W.replace(0.4, np.nan), r"^weights contains 1 NaN"),
        (
            X,
            W.rename({"B": "C"}),
            r"^weights does not match the model's stocks: missing stocks \['B'\]; unknown stocks \['C'\]$",
        ),
    ],
)
def test_portfolio_exposures_name_the_bad_input(exposures, weights, message):
    with pytest.raises(ValueError, match=message):
        portfolio_exposures(exposures, weights)


def test_block_contributions_are_named_and_reject_a_factor_in_two_blocks():
    factors = ["MKT", "VAL", "MOM"]
    cov = pd.DataFrame(np.diag([0.04, 0.01, 0.02]), index=factors, columns=factors)
    d = decompose_exposures(cov, pd.Series({"MKT": 1.0, "VAL": 1.0, "MOM": 2.0}), 0.003)
    assert (
        block_contributions(d, {"market": ["MKT"], "styles": ["VAL", "MOM"]}).name == "variance contribution"
    )
    with pytest.raises(
        ValueError, match=r"^blocks must cover each factor exactly once: repeated \['VAL'\], left out \[\]$"
    ):
        block_contributions(d, {"market": ["MKT", "VAL"], "styles": ["VAL", "MOM"]})


COV3 = pd.DataFrame(np.diag([0.04, 0.01, 0.02]), index=["MKT", "TECH", "FIN"], columns=["MKT", "TECH", "FIN"])
NU = pd.Series({"TECH": 0.25, "FIN": 0.75})


@pytest.mark.parametrize(
    ("cov", "market", "nu", "message"),
    [
        (COV3.replace(0.01, np.nan), "MKT", NU, r"^factor covariance contains 1 NaN"),
        (COV3, "MKT", NU.replace(0.25, np.nan), r"^industry weights contains 1 NaN"),
        (COV3, "WORLD", NU, r"^unknown factor \['WORLD'\]; known factors are \['MKT', 'TECH', 'FIN'\]$"),
        (COV3, "MKT", NU.rename({"FIN": "ENERGY"}), r"^unknown factor \['ENERGY'\]; known factors are"),
        (COV3, "TECH", NU, r"^the market factor 'TECH' cannot also be an industry$"),
        (COV3, "MKT", NU * 2, r"^industry weights must sum to 1, but they sum to 2$"),
    ],
)
def test_recentre_industries_names_the_bad_input(cov, market, nu, message):
    with pytest.raises(ValueError, match=message):
        recentre_industries(cov, market, nu)


ZERO = pd.Series({"A": 0.0, "B": 0.0})


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: active_weights(W.replace(0.4, np.nan), W), r"^portfolio weights contains 1 NaN"),
        (lambda: active_weights(W, W.replace(0.4, np.nan)), r"^benchmark weights contains 1 NaN"),
        (
            lambda: active_weights(W, W.rename({"B": "C"})),
            r"^benchmark weights does not match the model's stocks: missing stocks \['B'\]; unknown stocks \['C'\]$",
        ),
        (lambda: active_weights(W * 2, W), r"^portfolio weights must sum to 1, but they sum to 2$"),
        (lambda: active_weights(W, W * 2), r"^benchmark weights must sum to 1, but they sum to 2$"),
        (
            lambda: decompose_exposures(F.replace(0.04, np.nan), pd.Series({"MKT": 1.0, "VAL": 0.0}), 0.01),
            r"^factor covariance contains 1 NaN",
        ),
        (
            lambda: decompose_exposures(F, pd.Series({"MKT": np.nan, "VAL": 0.0}), 0.01),
            r"^exposures contains 1 NaN",
        ),
        (
            lambda: decompose_exposures(F, pd.Series({"MKT": 1.0, "MOM": 0.0}), 0.01),
            r"^exposures does not match the model's factors: missing factors \['VAL'\]; unknown factors \['MOM'\]$",
        ),
        (
            lambda: decompose_exposures(F, pd.Series({"MKT": 1.0, "VAL": 0.0}), np.nan),
            r"^specific variance contains 1 NaN",
        ),
        (
            lambda: decompose_exposures(F, pd.Series({"MKT": 1.0, "VAL": 0.0}), [0.01]),
            r"^specific variance must be 0-dimensional",
        ),
        (
            lambda: decompose_exposures(F, pd.Series({"MKT": 1.0, "VAL": 0.0}), -0.01),
            r"^specific variance must be non-negative, got -0.01$",
        ),
        (
            lambda: stock_contributions(MODEL, ZERO),
            r"^the portfolio has zero risk, so contributions to risk are undefined$",
        ),
        (
            lambda: betas_to_portfolio(MODEL, ZERO),
            r"^the portfolio has zero variance, so betas to it are undefined$",
        ),
        (
            lambda: pairwise_factor_contributions(
                F.replace(0.04, np.nan), pd.Series({"MKT": 1.0, "VAL": 0.0})
            ),
            r"^factor covariance contains 1 NaN",
        ),
        (
            lambda: pairwise_factor_contributions(F, pd.Series({"MKT": np.nan, "VAL": 0.0})),
            r"^exposures contains 1 NaN",
        ),
        (
            lambda: pairwise_factor_contributions(F, pd.Series({"MKT": 1.0, "MOM": 0.0})),
            r"^exposures does not match the model's factors: missing factors \['VAL'\]; unknown factors \['MOM'\]$",
        ),
        (
            lambda: pairwise_factor_contributions(
                F.mask(F.index.to_numpy()[:, None] < F.columns.to_numpy(), 0.02),
                pd.Series({"MKT": 1.0, "VAL": 0.0}),
            ),
            r"^factor covariance is not symmetric$",
        ),
    ],
)
def test_decomposition_names_the_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_decomposition_results_are_named_and_a_zero_specific_variance_is_allowed():
    d = decompose_exposures(F, pd.Series({"VAL": 2.0, "MKT": 0.0}), 0.0)
    assert d.total_variance == pytest.approx(4 * 0.01, rel=1e-14) and d.specific_vol == 0.0
    assert d.exposures.name == "exposure" and d.factor_contributions.name == "variance contribution"
    assert list(d.exposures.index) == FACTORS  # in the covariance's order
    assert active_weights(W, pd.Series({"A": 0.5, "B": 0.5})).name == "active weight"
    assert betas_to_portfolio(MODEL, W).name == "beta"
    assert d.shares.name == "share of variance"


def test_x_sigma_rho_layout_and_undefined_correlations():
    table = x_sigma_rho(F, pd.Series({"VAL": 1.0, "MKT": 0.5}), 0.01)
    assert list(table.columns) == ["exposure", "volatility", "stand-alone", "correlation", "contribution"]
    assert list(table.index) == [*FACTORS, SPECIFIC]
    with pytest.raises(
        ValueError, match=r"^the portfolio has zero risk, so correlations with it are undefined$"
    ):
        x_sigma_rho(F, pd.Series({"MKT": 0.0, "VAL": 0.0}), 0.0)
    flat = pd.DataFrame(np.diag([0.04, 0.0]), index=FACTORS, columns=FACTORS)
    with pytest.raises(ValueError, match=r"^a factor has zero volatility, so its correlation is undefined$"):
        x_sigma_rho(flat, pd.Series({"MKT": 1.0, "VAL": 0.0}), 0.01)


def test_active_weights_keep_the_portfolios_order():
    # B before A in the portfolio: a plain subtraction would sort the labels
    active = active_weights(pd.Series({"B": 0.6, "A": 0.4}), pd.Series({"A": 0.5, "B": 0.5}))
    assert list(active.index) == ["B", "A"] and active.tolist() == pytest.approx([0.1, -0.1], rel=1e-14)


def test_x_sigma_rho_specific_row_by_hand():
    # x'Fx = 0.25 × 0.04 + 2 × 0.5 × 0.01 + 0.01 = 0.03, plus 0.01 specific: σ = 0.2;
    # the specific source has exposure 1, volatility 0.1, correlation 0.1 / 0.2
    table = x_sigma_rho(F, pd.Series({"VAL": 1.0, "MKT": 0.5}), 0.01)
    assert table.loc[SPECIFIC].tolist() == pytest.approx([1.0, 0.1, 0.1, 0.5, 0.05], rel=1e-14)
