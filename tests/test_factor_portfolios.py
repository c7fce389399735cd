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
