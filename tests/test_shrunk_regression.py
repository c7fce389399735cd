"""Shrinkage of chosen factor returns towards zero: the ridge formula, its optimality, its limits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import SETTINGS, random_industry_market, seeds

from mini.constraints import industry_constraint, restriction_matrix
from mini.regression import shrunk_regression


def shrunk_case(seed: int, scale: float):
    x, r, w, ind_weights = random_industry_market(seed)
    restriction = restriction_matrix(industry_constraint(ind_weights, list(x.columns)))
    prior = pd.Series(scale * np.arange(1, len(ind_weights) + 1), index=ind_weights.index)
    prior["STY0"] = scale
    return x, r, w, ind_weights, restriction, prior


def penalised_loss(x, r, w, prior, f) -> float:
    """Σ w_i (r_i − X_i f)² + Σ λ_k f_k²."""
    lam = prior.reindex(x.columns, fill_value=0.0)
    return float(w @ (r - x @ f) ** 2 + lam @ f**2)


def test_without_a_prior_it_is_the_plain_regression(mm):
    plain = shrunk_regression(mm.exposures, mm.returns, mm.regression_weights, mm.restriction)
    assert np.allclose(plain.factor_returns, mm.month1.factor_returns, atol=1e-15)
    assert np.allclose(plain.pure_portfolios, mm.month1.pure_portfolios, atol=1e-12)
    assert plain.r2_centred == pytest.approx(mm.month1.r2_centred, abs=1e-14)


@SETTINGS
@given(seeds, st.floats(1e-4, 1.0))
def test_shrunk_factor_returns_follow_the_ridge_formula(seed, scale):
    x, r, w, ind_weights, restriction, prior = shrunk_case(seed, scale)
    fit = shrunk_regression(x, r, w, restriction, prior)

    xr = x.to_numpy() @ restriction.to_numpy()
    lam = np.diag(prior.reindex(x.columns, fill_value=0.0).to_numpy())
    normal = xr.T @ (w.to_numpy()[:, None] * xr) + restriction.to_numpy().T @ lam @ restriction.to_numpy()
    expected = restriction.to_numpy() @ np.linalg.solve(normal, xr.T @ (w * r).to_numpy())
    assert np.allclose(fit.factor_returns, expected, atol=1e-12)
    assert np.allclose(fit.pure_portfolios @ r, fit.factor_returns, atol=1e-14)
    assert np.allclose(fit.residuals, r - x @ fit.factor_returns, atol=1e-14)
    assert abs(ind_weights @ fit.factor_returns[ind_weights.index]) < 1e-12  # the constraint still holds


@SETTINGS
@given(seeds, st.floats(1e-4, 1.0))
def test_no_feasible_change_lowers_the_penalised_loss(seed, scale):
    x, r, w, _, restriction, prior = shrunk_case(seed, scale)
    f = shrunk_regression(x, r, w, restriction, prior).factor_returns
    best = penalised_loss(x, r, w, prior, f)
    rng = np.random.default_rng(seed)
    for _ in range(5):
        step = restriction @ rng.normal(scale=1e-3, size=restriction.shape[1])  # stays on the constraint
        assert penalised_loss(x, r, w, prior, f + step) >= best - 1e-15


def test_a_heavy_prior_pins_a_factor_return_at_zero_and_any_prior_shrinks(mm):
    heavy = pd.Series({"VALUE": 1e9})
    fit = shrunk_regression(mm.exposures, mm.returns, mm.regression_weights, mm.restriction, heavy)
    assert abs(fit.factor_returns["VALUE"]) < 1e-9
    assert abs(mm.month1.factor_returns["VALUE"]) > 1e-3
    light = shrunk_regression(mm.exposures, mm.returns, mm.regression_weights, mm.restriction, heavy * 1e-9)
    assert 0 < abs(light.factor_returns["VALUE"]) < abs(mm.month1.factor_returns["VALUE"])


def test_a_prior_on_the_industries_identifies_an_unconstrained_regression(mm):
    """Without the industry constraint market and industries are collinear; a prior resolves it."""
    prior = pd.Series(0.1, index=["TECH", "FIN", "CONS"])
    fit = shrunk_regression(mm.exposures, mm.returns, mm.regression_weights, None, prior)
    assert np.all(np.isfinite(fit.factor_returns))
    with pytest.raises(ValueError, match="collinear"):
        shrunk_regression(mm.exposures, mm.returns, mm.regression_weights, None, pd.Series({"VALUE": 0.1}))


def test_bad_input_is_named(mm):
    args = (mm.exposures, mm.returns, mm.regression_weights, mm.restriction)
    with pytest.raises(ValueError, match="non-negative; negative for \\['TECH'\\]"):
        shrunk_regression(*args, pd.Series({"TECH": -0.1}))
    with pytest.raises(ValueError, match="unknown factor \\['ENERGY'\\]"):
        shrunk_regression(*args, pd.Series({"ENERGY": 0.1}))
    with pytest.raises(ValueError, match="prior weights"):
        shrunk_regression(*args, pd.Series({"TECH": np.nan}))
    with pytest.raises(ValueError, match="must be positive"):
        shrunk_regression(mm.exposures, mm.returns, mm.regression_weights * 0, mm.restriction)
    with pytest.raises(ValueError, match="stocks"):
        shrunk_regression(mm.exposures, mm.returns.drop("AXIOM"), mm.regression_weights, mm.restriction)


def _tiny():
    stocks = ["a", "b", "c", "d"]
    x = pd.DataFrame({"MKT": 1.0, "VAL": [1.0, -1.0, 0.5, -0.5]}, index=stocks)
    r = pd.Series([0.01, -0.02, 0.03, 0.0], index=stocks)
    w = pd.Series([1.0, 2.0, 1.0, 2.0], index=stocks, name="cap root")
    return x, r, w


def test_shrunk_regression_names_its_inputs_and_labels_its_fit():
    """Exposures and regression weights named in full (a NaN, a missing stock); the fit's
    residuals are named "residual" and its weights keep the name they were given."""
    x, r, w = _tiny()
    with pytest.raises(ValueError, match=r"^exposures contains 1 NaN or infinite value\(s\)$"):
        shrunk_regression(x.mask(x == 0.5), r, w)
    with pytest.raises(ValueError, match=r"^regression weights contains 1 NaN or infinite value\(s\)$"):
        shrunk_regression(x, r, w.mask(w == w.max()).fillna({"b": 2.0}))
    with pytest.raises(
        ValueError, match=r"^regression weights does not match the model's stocks: missing stocks \['d'\]$"
    ):
        shrunk_regression(x, r, w.drop("d"))
    fit = shrunk_regression(x, r, w)
    assert fit.residuals.name == "residual"
    assert fit.weights.name == "cap root"
