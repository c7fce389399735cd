"""Portfolio construction beyond the closed form: risk-aversion breakpoints, trading
costs in the objective, the factor-alignment repair and the batched optimiser, each
checked against an independent computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from mini.optimisation import (
    alignment_exposures,
    exposure_constraints,
    mean_variance,
    mean_variance_bounded,
    mean_variance_panel,
    mean_variance_with_costs,
    risk_aversion_breakpoints,
    trading_margins,
)
from mini.risk_model import RiskModel


@pytest.fixture(scope="module")
def problem(mm):
    sigma = mm.risk_model.covariance()
    alpha = 0.02 * mm.exposures["VALUE"]
    rows, targets = exposure_constraints(mm.exposures, {"MOM": 0.0})
    return sigma, alpha, rows, targets


def test_breakpoints_match_the_active_set_solver(mm, problem):
    sigma, alpha, rows, targets = problem
    lower, upper = -mm.benchmark, 0.25 - mm.benchmark
    table = risk_aversion_breakpoints(sigma, alpha, rows, targets, lower, upper)
    first = float(np.nanmax(table.to_numpy()))
    free_above = mean_variance(sigma, alpha, rows, targets, first * 1.0001)
    bounded_above = mean_variance_bounded(sigma, alpha, rows, targets, first * 1.0001, lower, upper)
    assert np.allclose(free_above, bounded_above, atol=1e-10)
    bounded_below = mean_variance_bounded(sigma, alpha, rows, targets, first * 0.999, lower, upper)
    assert not np.allclose(
        mean_variance(sigma, alpha, rows, targets, first * 0.999), bounded_below, atol=1e-6
    )
    # at the breakpoint the stock sits exactly on its limit
    stock = table.max(axis=1).idxmax()
    at = mean_variance(sigma, alpha, rows, targets, first)
    assert np.isclose(at[stock], upper[stock]) or np.isclose(at[stock], lower[stock])
    # every finite entry is a point where that stock's unbounded weight meets its limit
    for stock, row in table.iterrows():
        for column, limit in (("lower limit reached at λ", lower), ("upper limit reached at λ", upper)):
            if np.isfinite(row[column]):
                w = mean_variance(sigma, alpha, rows, targets, row[column])
                assert np.isclose(w[stock], limit[stock], atol=1e-12)


def test_costs_reduce_to_mean_variance_without_costs(mm, problem):
    sigma, alpha, rows, targets = problem
    zero = pd.Series(0.0, index=mm.stocks)
    w = mean_variance_with_costs(sigma, alpha, rows, targets, 2.0, mm.active, zero, zero)
    assert np.allclose(w, mean_variance(sigma, alpha, rows, targets, 2.0), atol=1e-8)


def _objective(w, sigma, alpha, lam, w0, c, k, p):
    t = np.abs(w - w0)
    return float(alpha @ w - lam * w @ sigma @ w - c @ t - k @ t**p)


def test_costs_optimum_against_an_independent_solver(mm, problem):
    sigma, alpha, rows, targets = problem
    c = pd.Series(0.0005, index=mm.stocks)
    k = 0.003 / np.sqrt(mm.benchmark)
    w = mean_variance_with_costs(sigma, alpha, rows, targets, 2.0, mm.active, c, k)
    assert np.allclose(rows.to_numpy() @ w.to_numpy(), targets.to_numpy(), atol=1e-10)
    args = (sigma.to_numpy(), alpha.to_numpy(), 2.0, mm.active.to_numpy(), c.to_numpy(), k.to_numpy(), 1.5)
    best = _objective(w.to_numpy(), *args)
    # a derivative-free search over the null space of the constraints finds nothing better
    a = rows.to_numpy()
    null = np.linalg.svd(a)[2][a.shape[0] :].T
    search = minimize(
        lambda z: -_objective(w.to_numpy() + null @ z, *args),
        np.zeros(null.shape[1]),
        method="Powell",
        options={"xtol": 1e-12, "ftol": 1e-15, "maxiter": 20000},
    )
    assert -search.fun <= best + 1e-9
    # and random feasible perturbations all do worse
    rng = np.random.default_rng(0)
    for _ in range(200):
        step = null @ rng.normal(0, 1e-3, null.shape[1])
        assert _objective(w.to_numpy() + step, *args) <= best + 1e-12


def test_quadratic_impact_against_the_active_set_solver(mm, problem):
    # with p = 2 the split problem (buy b, sell s >= 0) is a quadratic programme
    sigma, alpha, rows, targets = problem
    c = pd.Series(0.001, index=mm.stocks)
    k = pd.Series(0.05, index=mm.stocks)
    w = mean_variance_with_costs(sigma, alpha, rows, targets, 2.0, mm.active, c, k, impact_power=2.0)
    stocks = list(mm.stocks)
    split = [f"{s} buy" for s in stocks] + [f"{s} sell" for s in stocks]
    s_np = sigma.to_numpy()
    big = np.block([[s_np, -s_np], [-s_np, s_np]]) + np.diag(np.concatenate([k, k])) / 2.0
    # w = w0 + buy - sell; with lam = 2 the objective is lin'z - 2 z' big z + constant
    pull = 2 * 2.0 * s_np @ mm.active.to_numpy()
    lin = np.concatenate([alpha - pull - c, -alpha + pull - c])
    a = rows.to_numpy()
    cons = pd.DataFrame(np.hstack([a, -a]), index=rows.index, columns=split)
    rhs = targets - rows.to_numpy() @ mm.active.to_numpy()
    z = mean_variance_bounded(
        pd.DataFrame(big, index=split, columns=split),
        pd.Series(lin, index=split),
        cons,
        rhs,
        2.0,
        pd.Series(0.0, index=split),
        pd.Series(np.inf, index=split),
    )
    via_qp = mm.active.to_numpy() + z.to_numpy()[:10] - z.to_numpy()[10:]
    assert np.allclose(w.to_numpy(), via_qp, atol=1e-7)


def test_trading_margins_satisfy_the_break_even_conditions(mm, problem):
    sigma, alpha, rows, targets = problem
    c = pd.Series(0.004, index=mm.stocks)
    k = pd.Series(0.002, index=mm.stocks)
    w = mean_variance_with_costs(sigma, alpha, rows, targets, 2.0, mm.active, c, k)
    m = trading_margins(sigma, alpha, rows, w, 2.0, mm.active, c, k)
    traded = m["trade"].abs() > 1e-7
    assert traded.sum() >= rows.shape[0] and (~traded).any()  # a no-trade band appears
    assert np.allclose(m.loc[traded, "marginal utility"].abs(), m.loc[traded, "marginal cost"], atol=1e-6)
    assert (m.loc[~traded, "marginal utility"].abs() <= m.loc[~traded, "no-trade band"] + 1e-6).all()


def test_alignment_exposures_by_hand():
    x = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0]])
    alpha = np.array([0.0, 1.0, 0.0, 3.0])
    y = alignment_exposures(alpha, x)
    # residual of a straight-line fit, standardised
    fitted = np.polyval(np.polyfit(x[:, 1], alpha, 1), x[:, 1])
    residual = alpha - fitted
    assert np.allclose(y, residual / residual.std())
    assert np.allclose(x.T @ y, 0.0, atol=1e-12)
    with pytest.raises(ValueError, match="span"):
        alignment_exposures(x[:, 1] * 2.0, x)


def test_panel_optimiser_matches_the_kkt_solution(mm):
    model = mm.risk_model
    alpha = 0.02 * mm.exposures["VALUE"] + 0.01 * mm.exposures["MOM"]
    w = mean_variance_panel(
        model.exposures.to_numpy()[None],
        model.factor_cov.to_numpy(),
        model.specific_var.to_numpy(),
        alpha.to_numpy()[None],
        0.03,
    )[0]
    rows, targets = exposure_constraints(mm.exposures, {})
    direct = mean_variance(model.covariance(), alpha, rows, targets, 1.0).to_numpy()
    direct = direct * 0.03 / np.sqrt(direct @ model.covariance().to_numpy() @ direct)
    assert np.allclose(w, direct, atol=1e-12)
    # adding an uncorrelated factor with zero exposure changes nothing
    x2 = np.concatenate([model.exposures.to_numpy(), np.zeros((10, 1))], axis=1)
    f2 = np.zeros((8, 8))
    f2[:7, :7] = model.factor_cov.to_numpy()
    f2[7, 7] = 0.01
    w2 = mean_variance_panel(x2[None], f2, model.specific_var.to_numpy(), alpha.to_numpy()[None], 0.03)[0]
    assert np.allclose(w, w2, atol=1e-12)
    RiskModel(mm.exposures, model.factor_cov, model.specific_var)  # inputs were valid


def test_costs_bad_input(mm, problem):
    sigma, alpha, rows, targets = problem
    zero = pd.Series(0.0, index=mm.stocks)
    with pytest.raises(ValueError, match="impact power"):
        mean_variance_with_costs(sigma, alpha, rows, targets, 2.0, mm.active, zero, zero, impact_power=1.0)
    with pytest.raises(ValueError, match="non-negative"):
        mean_variance_with_costs(sigma, alpha, rows, targets, 2.0, mm.active, zero - 0.01, zero)
    with pytest.raises(ValueError, match="tracking error"):
        mean_variance_panel(np.ones((1, 3, 1)), np.eye(1), np.ones(3), np.ones((1, 3)), -0.1)


# --- the cost optimiser on three stocks: inputs named, horizon, label --------------------------
STOCKS3 = ["a", "b", "c"]
SIGMA3 = pd.DataFrame(np.diag([0.01, 0.02, 0.04]), index=STOCKS3, columns=STOCKS3)
BUDGET1 = pd.DataFrame([[1.0, 1.0, 1.0]], index=["budget"], columns=STOCKS3)
ONE = pd.Series({"budget": 1.0})
ALPHA3 = pd.Series({"a": 0.1, "b": 0.0, "c": -0.1})
CURRENT3 = pd.Series({"a": 0.2, "b": 0.5, "c": 0.3})
LINEAR3 = pd.Series({"a": 0.002, "b": 0.004, "c": 0.001})
IMPACT3 = pd.Series({"a": 0.01, "b": 0.03, "c": 0.02})


def costs3(**change):
    """mean_variance_with_costs on the three-stock problem, with some arguments changed."""
    args = {"current": CURRENT3, "linear_cost": LINEAR3, "impact_cost": IMPACT3} | change
    return mean_variance_with_costs(SIGMA3, ALPHA3, BUDGET1, ONE, 2.0, **args)


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"current": CURRENT3.replace(0.5, np.nan)},
            r"^current weights contains 1 NaN or infinite value\(s\)$",
        ),
        (
            {"linear_cost": LINEAR3.replace(0.004, np.nan)},
            r"^linear costs contains 1 NaN or infinite value\(s\)$",
        ),
        (
            {"impact_cost": IMPACT3.replace(0.03, np.inf)},
            r"^impact costs contains 1 NaN or infinite value\(s\)$",
        ),
        (
            {"current": CURRENT3.drop("c")},
            r"^current weights does not match the model's stocks: missing stocks \['c'\]$",
        ),
        ({"impact_cost": IMPACT3 - 0.02}, r"^trading costs must be non-negative$"),
        ({"linear_cost": LINEAR3 - 0.002}, r"^trading costs must be non-negative$"),
        ({"impact_power": np.nan}, r"^impact power contains 1 NaN or infinite value\(s\)$"),
        ({"impact_power": np.array([1.5])}, r"^impact power must be 0-dimensional, got shape \(1,\)$"),
        ({"impact_power": 1.0}, r"^impact power must exceed 1 \(convex costs\), got 1.0$"),
        ({"horizon": np.inf}, r"^horizon contains 1 NaN or infinite value\(s\)$"),
        ({"horizon": np.array([2.0])}, r"^horizon must be 0-dimensional, got shape \(1,\)$"),
        ({"horizon": 0.0}, r"^horizon must be positive, got 0.0$"),
    ],
)
def test_costs_inputs_named_in_their_errors(change, message):
    """Each cost input is named in full; a zero horizon and a unit impact power are refused."""
    with pytest.raises(ValueError, match=message):
        costs3(**change)


@pytest.mark.filterwarnings("error")
def test_costs_spread_over_the_horizon_and_labelled_weight():
    """Costs paid once over H years weigh as costs / H paid every year; the result is "weight".

    Run with warnings as errors: the solver must receive only options it knows."""
    two_years = costs3(horizon=2.0)
    per_year = costs3(linear_cost=LINEAR3 / 2, impact_cost=IMPACT3 / 2)
    assert np.allclose(two_years, per_year, atol=1e-9)
    assert not np.allclose(two_years, costs3(), atol=1e-6)  # the horizon matters here
    assert two_years.name == "weight" and list(two_years.index) == STOCKS3
