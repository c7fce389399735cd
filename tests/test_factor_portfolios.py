"""Factor-mimicking portfolios against matrices worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mini.factor_portfolios import (
    characteristic_portfolio,
    model_characteristic_portfolio,
    pure_factor_portfolios,
    sort_portfolio_weights,
)
from mini.risk_model import RiskModel


def test_pure_factor_portfolios_of_a_dummy_design_by_hand():
    """With only industry dummies, the pure portfolio of an industry holds its members in
    proportion to their regression weights."""
    stocks = list("abc")
    x = pd.DataFrame({"X": [1.0, 1.0, 0.0], "Y": [0.0, 0.0, 1.0]}, index=stocks)
    p = pure_factor_portfolios(x, pd.Series({"a": 1.0, "b": 3.0, "c": 2.0}))
    assert np.allclose(p, [[0.25, 0.75, 0.0], [0.0, 0.0, 1.0]], rtol=1e-14)
    # with the constraint 0.5 f_X + 0.5 f_Y = 0 (f_Y = -f_X): one free factor g, f = (g, -g)
    r = pd.DataFrame({"X": [1.0, -1.0]}, index=["X", "Y"])
    pc = pure_factor_portfolios(x, pd.Series({"a": 1.0, "b": 3.0, "c": 2.0}), r)
    # g minimises sum w_i (r_i - x_i' R g)^2: A = XR = (1, 1, -1), g = (r_a + 3 r_b - 2 r_c) / 6
    assert np.allclose(pc, [[1 / 6, 3 / 6, -2 / 6], [-1 / 6, -3 / 6, 2 / 6]], rtol=1e-13)


def test_characteristic_portfolio_by_hand():
    sigma = pd.DataFrame([[0.04, 0.0], [0.0, 0.01]], index=["a", "b"], columns=["a", "b"])
    h = characteristic_portfolio(sigma, pd.Series({"a": 1.0, "b": 1.0}))
    # Sigma^-1 1 = (25, 100); divided by 125
    assert np.allclose(h, [0.2, 0.8], rtol=1e-14)


def test_model_characteristic_portfolio_against_the_dense_solve():
    x = pd.DataFrame({"MKT": [1.0, 1.0, 1.0], "VAL": [1.0, 0.0, -1.0]}, index=list("abc"))
    f = pd.DataFrame([[0.04, 0.01], [0.01, 0.02]], index=x.columns, columns=x.columns)
    model = RiskModel(x, f, pd.Series([0.01, 0.02, 0.03], index=list("abc")))
    sigma = x.to_numpy() @ f.to_numpy() @ x.T.to_numpy() + np.diag([0.01, 0.02, 0.03])
    a = np.array([1.0, 0.0, -1.0])
    expected = np.linalg.solve(sigma, a) / (a @ np.linalg.solve(sigma, a))
    assert np.allclose(model_characteristic_portfolio(model, x["VAL"]), expected, rtol=1e-12)


def test_sort_portfolio_weights_by_hand():
    weights = sort_portfolio_weights(np.array([3.0, 1.0, 4.0, 1.5, 5.0, 9.0, 2.0]), fraction=0.3)
    # two stocks a leg: long 5.0 and 9.0, short 1.0 and 1.5
    assert np.allclose(weights, [0.0, -0.5, 0.0, -0.5, 0.5, 0.5, 0.0])
    panel = sort_portfolio_weights(np.array([[1.0, 2.0, 3.0, 4.0], [4.0, 3.0, 2.0, 1.0]]), fraction=0.5)
    assert np.allclose(panel, [[-0.5, -0.5, 0.5, 0.5], [0.5, 0.5, -0.5, -0.5]])
    assert sort_portfolio_weights(np.arange(4.0), fraction=0.25) == pytest.approx([-1.0, 0.0, 0.0, 1.0])


DUMMIES = pd.DataFrame({"X": [1.0, 1.0, 0.0], "Y": [0.0, 0.0, 1.0]}, index=list("abc"))
UNIT = pd.Series(1.0, index=list("abc"))


def test_pure_factor_portfolios_are_labelled_and_take_the_restriction_in_any_order():
    r = pd.DataFrame({"G": [-1.0, 1.0]}, index=["Y", "X"])
    p = pure_factor_portfolios(DUMMIES, pd.Series({"c": 2.0, "a": 1.0, "b": 3.0}), r)
    assert p.index.tolist() == ["X", "Y"] and p.columns.tolist() == ["a", "b", "c"]
    # as the by-hand case with R = (1, -1)': g = (r_a + 3 r_b - 2 r_c) / 6
    assert np.allclose(p, [[1 / 6, 3 / 6, -2 / 6], [-1 / 6, -3 / 6, 2 / 6]], rtol=1e-13)
    # as many stocks as free factors is enough: each pure portfolio holds one stock
    two = pure_factor_portfolios(DUMMIES.loc[["a", "c"]], UNIT.loc[["a", "c"]])
    assert np.allclose(two, np.eye(2))


@pytest.mark.parametrize(
    ("exposures", "weights", "restriction", "message"),
    [
        (DUMMIES.replace(0.0, np.nan), UNIT, None, r"^exposures contains 3 NaN"),
        (DUMMIES, UNIT.replace(1.0, np.inf), None, r"^regression weights contains 3 NaN"),
        (DUMMIES, UNIT.drop("c"), None, r"^regression weights does not match the model's stocks: missing"),
        (DUMMIES, UNIT * [1.0, 0.0, 1.0], None, r"^regression weights must be positive; not so for \['b'\]$"),
        (
            DUMMIES,
            UNIT,
            pd.DataFrame({"G": [np.nan, 1.0]}, index=["X", "Y"]),
            r"^restriction matrix contains 1",
        ),
        (
            DUMMIES,
            UNIT,
            pd.DataFrame({"G": [1.0]}, index=["X"]),
            r"^restriction matrix does not match the model's factors: missing factors \['Y'\]$",
        ),
        (
            DUMMIES.loc[["a"]],
            UNIT.loc[["a"]],
            None,
            r"^regression is singular: 1 stocks cannot identify 2 free factor returns$",
        ),
        (
            DUMMIES.assign(Y=0.0),
            UNIT,
            None,
            r"^regression is singular: no stock has exposure to \['Y'\] \(an industry with no members\?\)$",
        ),
        (
            DUMMIES.assign(Y=2 * DUMMIES["X"]),
            UNIT,
            None,
            r"^regression is singular: the exposures are collinear on the free factors \['X', 'Y'\]; add a",
        ),
    ],
)
def test_pure_factor_portfolios_name_the_bad_input(exposures, weights, restriction, message):
    with pytest.raises(ValueError, match=message):
        pure_factor_portfolios(exposures, weights, restriction)


SIGMA = pd.DataFrame([[0.04, 0.0], [0.0, 0.01]], index=["a", "b"], columns=["a", "b"])


@pytest.mark.parametrize(
    ("covariance", "exposure", "message"),
    [
        (SIGMA.replace(0.0, np.nan), None, r"^covariance contains 2 NaN"),
        (None, pd.Series({"a": np.nan, "b": 1.0}), r"^exposure contains 1 NaN"),
        (
            None,
            pd.Series({"a": 1.0}),
            r"^exposure does not match the model's stocks: missing stocks \['b'\]$",
        ),
        (-SIGMA, None, r"^covariance is not positive definite"),
        (None, pd.Series({"a": 0.0, "b": 0.0}), r"^exposure is zero for every stock: no portfolio has unit"),
    ],
)
def test_characteristic_portfolio_names_the_bad_input(covariance, exposure, message):
    covariance = SIGMA if covariance is None else covariance
    exposure = pd.Series({"a": 1.0, "b": 1.0}) if exposure is None else exposure
    with pytest.raises(ValueError, match=message):
        characteristic_portfolio(covariance, exposure)


def _two_stock_model() -> RiskModel:
    x = pd.DataFrame({"MKT": [1.0, 1.0]}, index=["a", "b"])
    return RiskModel(
        x, pd.DataFrame([[0.04]], index=["MKT"], columns=["MKT"]), pd.Series({"a": 0.01, "b": 0.04})
    )


def test_characteristic_portfolios_carry_the_exposure_name_and_align_it():
    exposure = pd.Series({"b": 3.0, "a": 1.0}, name="VAL")
    dense = characteristic_portfolio(_two_stock_model().covariance(), exposure)
    assert dense.name == "VAL" and dense.index.tolist() == ["a", "b"]
    woodbury = model_characteristic_portfolio(_two_stock_model(), exposure)
    assert woodbury.name == "VAL"
    assert np.allclose(woodbury, dense, rtol=1e-12)
    assert float(woodbury @ exposure.reindex(["a", "b"])) == pytest.approx(1.0, rel=1e-14)


@pytest.mark.parametrize(
    ("exposure", "message"),
    [
        (pd.Series({"a": np.nan, "b": 1.0}), r"^exposure contains 1 NaN"),
        (pd.Series({"a": 1.0}), r"^exposure does not match the model's stocks: missing stocks \['b'\]$"),
        (
            pd.Series({"a": 0.0, "b": 0.0}),
            r"^exposure is zero for every stock: no portfolio has unit exposure$",
        ),
    ],
)
def test_model_characteristic_portfolio_names_the_bad_input(exposure, message):
    with pytest.raises(ValueError, match=message):
        model_characteristic_portfolio(_two_stock_model(), exposure)


def test_sort_portfolio_weights_at_the_limits_of_fraction_and_with_ties():
    # fraction 0.5 is allowed; ties keep their order (stable sort): the later of equals ranks higher
    assert sort_portfolio_weights(np.array([1.0, 1.0, 1.0, 1.0]), fraction=0.5).tolist() == [
        -0.5,
        -0.5,
        0.5,
        0.5,
    ]
    # exactly one stock a leg (0.2 of 5)
    assert sort_portfolio_weights(np.array([5.0, 1.0, 3.0, 2.0, 4.0]), fraction=0.2).tolist() == [
        1,
        -1,
        0,
        0,
        0,
    ]


@pytest.mark.parametrize(
    ("values", "fraction", "message"),
    [
        (
            np.zeros((2, 2, 2)),
            0.3,
            r"^characteristic must be \(stocks,\) or \(periods, stocks\), got shape \(2, 2, 2\)$",
        ),
        (np.arange(4.0), 0.0, r"^fraction must be in \(0, 0.5\], got 0.0$"),
        (np.arange(4.0), 0.51, r"^fraction must be in \(0, 0.5\], got 0.51$"),
        (np.arange(4.0), 0.2, r"^a fraction of 0.2 of 4 stocks leaves an empty leg$"),
        (np.array([1.0, np.nan]), 0.5, r"^characteristic contains 1 NaN"),
    ],
)
def test_sort_portfolio_weights_names_the_bad_input(values, fraction, message):
    with pytest.raises(ValueError, match=message):
        sort_portfolio_weights(values, fraction=fraction)


def test_sort_portfolio_weights_default_fraction_is_three_tenths():
    # ten stocks, three a leg
    expected = [-1 / 3] * 3 + [0.0] * 4 + [1 / 3] * 3
    assert sort_portfolio_weights(np.arange(10.0)) == pytest.approx(expected, rel=1e-15)
