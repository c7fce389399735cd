"""Mean–variance and bounded optimisation: constraints met, limits respected, optimality checked
against an independent solver, and agreement with the closed form when no limit binds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import minimize
from support import SETTINGS, random_model, seeds

from mini.decomposition import decompose_risk
from mini.optimisation import (
    _feasible_start,
    exposure_constraints,
    mean_variance,
    mean_variance_bounded,
    minimum_tracking_error,
    minimum_tracking_error_bounded,
    turnover,
)


def random_problem(seed: int, n: int = 10):
    """A random Σ, a budget-zero row plus two random rows, and targets those rows can meet."""
    model = random_model(seed, n=n, k=3)
    sigma = model.covariance()
    rng = np.random.default_rng(seed + 7)
    a = pd.DataFrame(rng.normal(size=(3, n)), index=["budget", "c1", "c2"], columns=model.stocks)
    a.loc["budget"] = 1.0
    b = pd.Series([0.0, *rng.normal(scale=0.3, size=2)], index=a.index)
    alpha = pd.Series(rng.normal(scale=0.02, size=n), index=model.stocks)
    return sigma, a, b, alpha


def scipy_reference(q: np.ndarray, c: np.ndarray, a: np.ndarray, b: np.ndarray, lo, hi, start) -> float:
    """Objective value ½wᵀQw − cᵀw reached by SLSQP, an independent solver."""
    result = minimize(
        lambda w: 0.5 * w @ q @ w - c @ w,
        start,
        jac=lambda w: q @ w - c,
        method="SLSQP",
        bounds=list(zip(lo, hi, strict=True)),
        constraints=[{"type": "eq", "fun": lambda w: a @ w - b, "jac": lambda w: a}],
        options={"ftol": 1e-14, "maxiter": 1000},
    )
    return float(0.5 * result.x @ q @ result.x - c @ result.x) if result.success else np.inf


@SETTINGS
@given(seeds)
def test_bounded_equals_closed_form_when_bounds_are_slack(seed):
    sigma, a, b, alpha = random_problem(seed)
    free = minimum_tracking_error(sigma, a, b)
    margin = float(free.abs().max()) + 1.0
    lower, upper = pd.Series(-margin, index=sigma.index), pd.Series(margin, index=sigma.index)
    assert np.allclose(minimum_tracking_error_bounded(sigma, a, b, lower, upper), free, atol=1e-12)
    infinite = pd.Series(np.inf, index=sigma.index)
    assert np.allclose(minimum_tracking_error_bounded(sigma, a, b, -infinite, infinite), free, atol=1e-12)
    unbounded_mv = mean_variance(sigma, alpha, a, b, 3.0)
    margin = float(unbounded_mv.abs().max()) + 1.0
    bounded_mv = mean_variance_bounded(sigma, alpha, a, b, 3.0, lower * 0 - margin, upper * 0 + margin)
    assert np.allclose(bounded_mv, unbounded_mv, atol=1e-12)


@SETTINGS
@given(seeds, st.floats(min_value=0.3, max_value=0.9))
def test_bounded_solution_meets_limits_and_constraints_and_is_optimal(seed, tightness):
    check_box_limited_solution(seed, tightness)


@pytest.mark.parametrize("seed", [2, 19, 22, 43])
def test_bounded_solution_when_a_limit_must_be_released(seed):
    """In these cases a limit met on the way to the optimum does not bind at the end, so the
    active-set method has to release it (its multiplier has the wrong sign)."""
    check_box_limited_solution(seed, 0.6)


def check_box_limited_solution(seed: int, tightness: float) -> None:
    sigma, a, b, alpha = random_problem(seed)
    free = minimum_tracking_error(sigma, a, b)
    limit = tightness * float(free.abs().max())  # tighter than the free solution, so something binds
    lower, upper = pd.Series(-limit, index=sigma.index), pd.Series(limit, index=sigma.index)
    try:
        w = minimum_tracking_error_bounded(sigma, a, b, lower, upper)
    except ValueError as error:  # a tight box can make the targets unreachable
        assert "cannot all be met" in str(error)
        return
    assert np.allclose(a @ w, b, atol=1e-10)
    assert (w >= lower - 1e-12).all() and (w <= upper + 1e-12).all()
    assert np.isclose(w.abs().max(), limit, atol=1e-12)  # the limit binds
    q = 2.0 * sigma.to_numpy()
    ours = 0.5 * w.to_numpy() @ q @ w.to_numpy()
    theirs = scipy_reference(
        q, np.zeros(len(w)), a.to_numpy(), b.to_numpy(), lower, upper, np.clip(free, -limit, limit)
    )
    assert ours <= theirs + 1e-10


@SETTINGS
@given(seeds)
def test_bounded_mean_variance_is_optimal_long_only(seed):
    sigma, a, b, alpha = random_problem(seed)
    b[:] = 0.0  # active weights: zero budget, zero exposures; w = 0 is feasible
    floor = pd.Series(-0.05, index=sigma.index)  # at most 5% underweight in any stock
    cap = pd.Series(np.inf, index=sigma.index)
    w = mean_variance_bounded(sigma, alpha, a, b, 2.0, floor, cap)
    assert np.allclose(a @ w, b, atol=1e-10) and (w >= floor - 1e-12).all()
    q, c = 4.0 * sigma.to_numpy(), alpha.to_numpy()
    ours = 0.5 * w.to_numpy() @ q @ w.to_numpy() - c @ w.to_numpy()
    assert (
        ours
        <= scipy_reference(q, c, a.to_numpy(), b.to_numpy(), floor, [None] * len(w), np.zeros(len(w))) + 1e-10
    )


@SETTINGS
@given(seeds, st.floats(min_value=0.1, max_value=10.0))
def test_mean_variance_first_order_condition_and_scaling(seed, risk_aversion):
    sigma, a, b, alpha = random_problem(seed)
    w = mean_variance(sigma, alpha, a, b, risk_aversion)
    assert np.allclose(a @ w, b, atol=1e-10)
    # α − 2λΣw must lie in the row space of A (it equals Aᵀν)
    gradient = alpha.to_numpy() - 2.0 * risk_aversion * sigma.to_numpy() @ w.to_numpy()
    nu, *_ = np.linalg.lstsq(a.to_numpy().T, gradient, rcond=None)
    assert np.allclose(a.to_numpy().T @ nu, gradient, atol=1e-10)
    # with zero targets, halving the risk aversion doubles every weight
    b[:] = 0.0
    assert np.allclose(
        mean_variance(sigma, alpha, a, b, risk_aversion / 2),
        2 * mean_variance(sigma, alpha, a, b, risk_aversion),
    )


def test_minimodel_long_only_does_not_bind_but_a_cap_does(mm):
    active = decompose_risk(mm.risk_model, mm.active)
    rows, targets = exposure_constraints(mm.exposures, {"MOM": 0.0, "VALUE": active.exposures["VALUE"]})
    sigma = mm.risk_model.covariance()
    free = minimum_tracking_error(sigma, rows, targets)
    long_only = minimum_tracking_error_bounded(sigma, rows, targets, -mm.benchmark, 1 - mm.benchmark)
    assert np.allclose(long_only, free, atol=1e-14)
    capped = minimum_tracking_error_bounded(sigma, rows, targets, -mm.benchmark, 0.25 - mm.benchmark)
    holdings = mm.benchmark + capped
    assert np.isclose(holdings["EVERGREEN"], 0.25, atol=1e-15) and (holdings.drop("EVERGREEN") < 0.25).all()
    assert capped @ sigma @ capped > free @ sigma @ free


def test_unreachable_targets_and_bad_limits_raise(mm):
    active = decompose_risk(mm.risk_model, mm.active)
    rows, targets = exposure_constraints(mm.exposures, {"MOM": 0.0, "VALUE": active.exposures["VALUE"]})
    sigma = mm.risk_model.covariance()
    box = pd.Series(0.05, index=mm.stocks)
    with pytest.raises(ValueError, match="cannot all be met"):
        minimum_tracking_error_bounded(sigma, rows, targets, -box, box)
    with pytest.raises(ValueError, match="lower bounds exceed upper bounds for \\['AXIOM'\\]"):
        minimum_tracking_error_bounded(sigma, rows, targets, box.where(box.index != "AXIOM", 0.1), box)
    with pytest.raises(ValueError, match="NaN"):
        minimum_tracking_error_bounded(sigma, rows, targets, -box, box.where(box.index != "AXIOM", np.nan))
    with pytest.raises(ValueError, match="missing stocks \\['JUNIPER'\\]"):
        minimum_tracking_error_bounded(sigma, rows, targets, -box.drop("JUNIPER"), box)
    with pytest.raises(ValueError, match="must be a pandas Series"):
        minimum_tracking_error_bounded(sigma, rows, targets, -0.05, box)
    alpha = 0.02 * mm.exposures["VALUE"]
    with pytest.raises(ValueError, match="risk aversion must be positive"):
        mean_variance(sigma, alpha, rows, targets, 0.0)
    with pytest.raises(ValueError, match="alpha does not match"):
        mean_variance(sigma, alpha.drop("AXIOM"), rows, targets, 1.0)


def test_turnover_by_hand():
    before = pd.Series({"a": 0.5, "b": 0.3, "c": 0.2})
    after = pd.Series({"c": 0.5, "a": 0.2, "b": 0.3})  # same stocks, another order
    # half of |0.2 - 0.5| + |0.3 - 0.3| + |0.5 - 0.2|
    assert turnover(before, after) == pytest.approx(0.3, rel=1e-15)
    assert turnover(before, before) == 0.0
    assert turnover(pd.Series({"a": 0.1, "b": -0.1}), pd.Series({"a": -0.1, "b": 0.1})) == pytest.approx(0.2)


STOCKS3 = ["a", "b", "c"]
SIGMA3 = pd.DataFrame(np.diag([0.01, 0.02, 0.04]), index=STOCKS3, columns=STOCKS3)
BUDGET1 = pd.DataFrame([[1.0, 1.0, 1.0]], index=["budget"], columns=STOCKS3)
ONE = pd.Series({"budget": 1.0})


def test_exposure_constraints_by_hand():
    x = pd.DataFrame({"MKT": 1.0, "VAL": [1.0, -1.0, 0.5]}, index=STOCKS3)
    rows, rhs = exposure_constraints(x, {"VAL": 0.25}, budget=1.0)
    assert rows.loc["budget"].tolist() == [1.0, 1.0, 1.0]
    assert rows.loc["VAL"].tolist() == [1.0, -1.0, 0.5]
    assert list(rows.index) == ["budget", "VAL"]
    assert rhs.to_dict() == {"budget": 1.0, "VAL": 0.25}
    assert exposure_constraints(x, {})[1].to_dict() == {"budget": 0.0}


def test_minimum_variance_by_hand():
    # weights proportional to 1 / variance: (100, 50, 25) / 175
    w = minimum_tracking_error(SIGMA3, BUDGET1, ONE)
    assert np.allclose(w, [4 / 7, 2 / 7, 1 / 7], rtol=1e-13)
    capped = minimum_tracking_error_bounded(
        SIGMA3, BUDGET1, ONE, pd.Series(-np.inf, index=STOCKS3), pd.Series(0.5, index=STOCKS3)
    )
    # a capped at 0.5; the other half split in proportion 50 : 25
    assert np.allclose(capped, [0.5, 1 / 3, 1 / 6], rtol=1e-10)


def test_mean_variance_by_hand():
    alpha = pd.Series({"a": 0.1, "b": 0.0, "c": -0.1})
    zero = pd.Series({"budget": 0.0})
    # w_i = (alpha_i - nu) / (2 lambda s_i) with nu making the weights sum to zero
    s = np.array([0.01, 0.02, 0.04])
    nu = np.sum(alpha.to_numpy() / s) / np.sum(1 / s)
    w = mean_variance(SIGMA3, alpha, BUDGET1, zero, risk_aversion=2.0)
    assert np.allclose(w, (alpha.to_numpy() - nu) / (4.0 * s), rtol=1e-12)
    # long-only, at most 0.8 a name, fully invested: a at its cap, c at zero, b takes the rest
    bounded = mean_variance_bounded(
        SIGMA3, alpha, BUDGET1, ONE, 1.0, pd.Series(0.0, index=STOCKS3), pd.Series(0.8, index=STOCKS3)
    )
    assert np.allclose(bounded, [0.8, 0.2, 0.0], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    ("lower", "upper", "least_norm_inside"),
    [(-1.0, 1.0, True), (0.5, 1.0, False)],
)
def test_feasible_start_takes_the_least_norm_point_only_inside_the_limits(lower, upper, least_norm_inside):
    # one budget row over three stocks: the least-norm point of w1 + w2 + w3 = 1 is 1/3 each
    a, b = np.ones((1, 3)), np.array([1.0])
    lo, hi = np.array([lower, -1.0, -1.0]), np.full(3, upper)
    w = _feasible_start(a, b, lo, hi)
    assert np.isclose(w.sum(), 1.0, atol=1e-12) and np.all((lo <= w) & (w <= hi))
    assert np.allclose(w, 1 / 3, atol=1e-15) == least_norm_inside
