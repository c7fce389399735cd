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
    alignment_exposures,
    exposure_constraints,
    mean_variance,
    mean_variance_bounded,
    mean_variance_diagonal,
    mean_variance_panel,
    minimum_tracking_error,
    minimum_tracking_error_bounded,
    risk_aversion_breakpoints,
    trading_margins,
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


def test_a_stock_the_constraints_hold_still_is_not_taken_for_a_blocking_limit():
    # Stock c's active weight is fixed by its own constraint row, so every step leaves it
    # where it is (a step of zero, or of rounding noise either side of zero). Only a step
    # towards its finite lower limit may make that limit block; a step of +1e-17 read as
    # one would pin c at -1 and break the constraint.
    names = ["a", "b", "c"]
    sigma = pd.DataFrame(np.diag([0.01, 0.02, 0.03]), index=names, columns=names)
    rows = pd.DataFrame([[1.0, 1.0, 1.0], [0.0, 0.0, 1.0]], index=["budget", "fixed c"], columns=names)
    targets = pd.Series([0.0, 0.1], index=rows.index)
    # free optimum: a = -1/15, b = -1/30; a's limit of -0.05 binds, so b takes the rest
    lower = pd.Series([-0.05, -1.0, -1.0], index=names)
    upper = pd.Series(1.0, index=names)
    w = minimum_tracking_error_bounded(sigma, rows, targets, lower, upper)
    assert np.allclose(w, [-0.05, -0.05, 0.1], atol=1e-12)


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


@pytest.mark.parametrize(
    "before, after, message",
    [
        ({"a": np.nan, "b": 0.5}, {"a": 0.5, "b": 0.5}, r"^weights before contains 1 NaN"),
        ({"a": 0.5, "b": 0.5}, {"a": 0.5, "b": np.inf}, r"^weights after contains 1 NaN"),
        (
            {"a": 0.5, "b": 0.5},
            {"a": 1.0},
            r"^weights after does not match the model's stocks: missing stocks \['b'\]$",
        ),
    ],
)
def test_turnover_rejects_bad_weights(before, after, message):
    with pytest.raises(ValueError, match=message):
        turnover(pd.Series(before), pd.Series(after))


# --- the factor-alignment exposure ---------------------------------------------------------
LINE_X = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0]])  # a constant and a trend
LINE_ALPHA = np.array([0.0, 1.0, 0.0, 3.0])


def line_residual(alpha: np.ndarray) -> np.ndarray:
    """The residual of a straight-line fit of ``alpha`` on LINE_X's trend, standardised."""
    residual = alpha - np.polyval(np.polyfit(LINE_X[:, 1], alpha, 1), LINE_X[:, 1])
    return residual / residual.std()


def test_alignment_exposures_per_period_and_at_any_scale():
    # the standardised residual does not depend on the alpha's scale, however small
    tiny = alignment_exposures(1e-14 * LINE_ALPHA, LINE_X)
    assert np.allclose(tiny, line_residual(LINE_ALPHA), rtol=1e-8)
    # a panel is aligned period by period: its own exposures, spread and scale in each
    other_x = np.column_stack([np.ones(4), [2.0, -1.0, 0.5, 1.0]])
    other_alpha = 1e-14 * np.array([1.0, 0.0, 2.0, -1.0])
    panel = alignment_exposures(np.stack([LINE_ALPHA, other_alpha]), np.stack([LINE_X, other_x]))
    assert panel.shape == (2, 4)
    assert np.allclose(panel[0], line_residual(LINE_ALPHA), rtol=1e-8)
    fitted = other_x @ np.linalg.lstsq(other_x, other_alpha, rcond=None)[0]
    residual = other_alpha - fitted
    assert np.allclose(panel[1], residual / residual.std(), rtol=1e-8)


def test_alignment_exposures_with_a_market_and_every_industry():
    # the market column is the sum of the industry dummies, so X'X is singular; the
    # projection on X's columns is the one on the industries alone, and so must y be
    rng = np.random.default_rng(11)
    industry = rng.integers(0, 4, size=(3, 200))
    dummies = (industry[..., None] == np.arange(4)).astype(float)  # (3, 200, 4)
    style = rng.standard_normal((3, 200, 1))
    full_rank = np.concatenate([dummies, style], axis=2)
    with_market = np.concatenate([np.ones((3, 200, 1)), full_rank], axis=2)
    alpha = 0.02 * (style[..., 0] + rng.standard_normal((3, 200)))
    expected = alignment_exposures(alpha, full_rank)
    assert np.abs(alignment_exposures(alpha, with_market) - expected).max() < 1e-12
    for t in range(3):
        fitted = full_rank[t] @ np.linalg.lstsq(full_rank[t], alpha[t], rcond=None)[0]
        assert np.allclose(expected[t], (alpha[t] - fitted) / (alpha[t] - fitted).std(), atol=1e-12)


@pytest.mark.parametrize(
    "alpha, exposures, message",
    [
        (np.where(LINE_ALPHA == 1.0, np.nan, LINE_ALPHA), LINE_X, r"^alpha contains 1 NaN"),
        (LINE_ALPHA, np.where(LINE_X == 3.0, np.inf, LINE_X), r"^exposures contains 1 NaN"),
        (
            np.append(LINE_ALPHA, 1.0),
            LINE_X,
            r"^exposures \(4, 2\) must be alpha's shape \(5,\) plus a factor axis$",
        ),
        (
            LINE_ALPHA,
            LINE_X[None],
            r"^exposures \(1, 4, 2\) must be alpha's shape \(4,\) plus a factor axis$",
        ),
        (
            2.0 * LINE_X[:, 1],
            LINE_X,
            r"^the alpha lies within the span of the exposures: nothing is left to align$",
        ),
    ],
)
def test_alignment_exposures_rejects_bad_input(alpha, exposures, message):
    with pytest.raises(ValueError, match=message):
        alignment_exposures(alpha, exposures)


# --- the batched mean-variance optimiser ---------------------------------------------------
def panel_inputs():
    """Two periods of four stocks and two factors, each period with its own F and Δ."""
    rng = np.random.default_rng(11)
    x = rng.normal(size=(2, 4, 2))
    root = rng.normal(scale=0.1, size=(2, 2, 2))
    f = root @ np.swapaxes(root, 1, 2) + 0.001 * np.eye(2)
    d = rng.uniform(0.01, 0.05, size=(2, 4))
    alpha = rng.normal(scale=0.02, size=(2, 4))
    return x, f, d, alpha


def test_mean_variance_panel_solves_each_period_on_its_own():
    x, f, d, alpha = panel_inputs()
    w = mean_variance_panel(x, f, d, alpha, 0.05)
    for t in range(2):
        sigma = x[t] @ f[t] @ x[t].T + np.diag(d[t])
        ones = np.ones(4)
        inv_alpha, inv_one = np.linalg.solve(sigma, alpha[t]), np.linalg.solve(sigma, ones)
        direct = inv_alpha - (ones @ inv_alpha) / (ones @ inv_one) * inv_one
        direct *= 0.05 / np.sqrt(direct @ sigma @ direct)
        assert np.allclose(w[t], direct, rtol=1e-10)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"x": np.nan}, r"^exposures contains 1 NaN"),
        ({"f": np.nan}, r"^factor covariance contains 1 NaN"),
        ({"d": np.nan}, r"^specific variances contains 1 NaN"),
        ({"alpha": np.nan}, r"^alpha contains 1 NaN"),
        ({"te": np.nan}, r"^tracking error contains 1 NaN"),
        ({"x": "2-D"}, r"^exposures must be 3-dimensional, got shape \(4, 2\)$"),
        ({"alpha": "1-D"}, r"^alpha must be 2-dimensional, got shape \(4,\)$"),
        ({"alpha": "short"}, r"^alpha is \(2, 3\), the exposures need \(2, 4\)$"),
        ({"te": "1-D"}, r"^tracking error must be 0-dimensional, got shape \(1,\)$"),
        ({"d": 0.0}, r"^specific variances must be positive$"),
        ({"te": 0.0}, r"^tracking error must be positive, got 0.0$"),
        (
            {"alpha": "constant"},
            r"^the alpha is constant across stocks in some period: no active bet to make$",
        ),
    ],
)
def test_mean_variance_panel_rejects_bad_input(change, message):
    x, f, d, alpha = panel_inputs()
    te = 0.05
    ((name, value),) = change.items()
    if name == "x":
        x = x[0] if value == "2-D" else np.where(x == x[0, 0, 0], value, x)
    elif name == "f":
        f = np.where(f == f[1, 0, 0], value, f)
    elif name == "d":
        d = np.where(d == d[1, 2], value, d)
    elif name == "alpha":
        shapes = {"1-D": alpha[0], "short": alpha[:, :3], "constant": np.vstack([alpha[0], np.ones(4)])}
        alpha = shapes.get(value, np.where(alpha == alpha[0, 1], value, alpha))
    else:
        te = np.array([te]) if value == "1-D" else value
    with pytest.raises(ValueError, match=message):
        mean_variance_panel(x, f, d, alpha, te)


# --- trading margins -----------------------------------------------------------------------
MARGIN_ALPHA = pd.Series({"a": 0.1, "b": 0.0, "c": -0.1})
MARGIN_CURRENT = pd.Series({"a": 0.2, "b": 0.5, "c": 0.3})
MARGIN_WEIGHTS = pd.Series({"a": 0.5, "b": 0.4, "c": 0.1})
LINEAR_COST = pd.Series({"a": 0.002, "b": 0.004, "c": 0.001})
IMPACT_COST = pd.Series({"a": 0.01, "b": 0.03, "c": 0.02})


def test_trading_margins_spread_the_costs_over_the_horizon():
    """Holding for H years costs as much per year as costs divided by H held for one year."""
    two_years = trading_margins(
        SIGMA3,
        MARGIN_ALPHA,
        BUDGET1,
        MARGIN_WEIGHTS,
        2.0,
        MARGIN_CURRENT,
        LINEAR_COST,
        IMPACT_COST,
        horizon=2.0,
    )
    per_year = trading_margins(
        SIGMA3, MARGIN_ALPHA, BUDGET1, MARGIN_WEIGHTS, 2.0, MARGIN_CURRENT, LINEAR_COST / 2, IMPACT_COST / 2
    )
    pd.testing.assert_frame_equal(two_years, per_year, rtol=1e-14)
    assert list(two_years.index) == STOCKS3
    assert np.allclose(two_years["no-trade band"], LINEAR_COST / 2, rtol=1e-15)
    assert np.allclose(two_years["trade"], MARGIN_WEIGHTS - MARGIN_CURRENT, rtol=1e-14)


def test_trading_margins_with_one_traded_stock_per_constraint():
    """One constraint and one traded stock: the multiplier puts that stock exactly at break-even."""
    weights = MARGIN_CURRENT + pd.Series({"a": 0.1, "b": 0.0, "c": 0.0})
    m = trading_margins(SIGMA3, MARGIN_ALPHA, BUDGET1, weights, 2.0, MARGIN_CURRENT, LINEAR_COST, IMPACT_COST)
    assert m.loc["a", "marginal utility"] == pytest.approx(m.loc["a", "marginal cost"], rel=1e-12)
    # the others differ from it by their gross marginal utilities α − 2λΣw
    gross = MARGIN_ALPHA - 4.0 * SIGMA3 @ weights
    shift = m.loc["a", "marginal utility"] - gross["a"]
    assert np.allclose(m["marginal utility"], gross + shift, rtol=1e-12)
    with pytest.raises(
        ValueError, match=r"^too few stocks are traded to pin down the constraint multipliers$"
    ):
        trading_margins(
            SIGMA3, MARGIN_ALPHA, BUDGET1, MARGIN_CURRENT, 2.0, MARGIN_CURRENT, LINEAR_COST, IMPACT_COST
        )


@pytest.mark.parametrize(
    "position, message",
    [
        (3, r"^weights contains 1 NaN"),
        (5, r"^current weights contains 1 NaN"),
        (6, r"^linear costs contains 1 NaN"),
        (7, r"^impact costs contains 1 NaN"),
    ],
)
def test_trading_margins_name_the_bad_input(position, message):
    args = [SIGMA3, MARGIN_ALPHA, BUDGET1, MARGIN_WEIGHTS, 2.0, MARGIN_CURRENT, LINEAR_COST, IMPACT_COST]
    args[position] = args[position].where(args[position].index != "b", np.nan)
    with pytest.raises(ValueError, match=message):
        trading_margins(*args)


# --- risk-aversion breakpoints -------------------------------------------------------------
def test_risk_aversion_breakpoints_by_hand_when_fully_invested():
    alpha = pd.Series({"a": 0.001, "b": 0.0, "c": -0.001})
    lower, upper = pd.Series(0.0, index=STOCKS3), pd.Series(0.8, index=STOCKS3)
    table = risk_aversion_breakpoints(SIGMA3, alpha, BUDGET1, ONE, lower, upper)
    # w(λ) = w_b + u / λ: w_b the minimum-variance weights, u = (α − ν) / (2 s) summing to zero
    s = np.array([0.01, 0.02, 0.04])
    w_b = np.array([4 / 7, 2 / 7, 1 / 7])
    u = (alpha.to_numpy() - np.sum(alpha.to_numpy() / s) / np.sum(1 / s)) / (2 * s)
    for column, limit in (("lower limit reached at λ", 0.0), ("upper limit reached at λ", 0.8)):
        by_hand = u / (limit - w_b)
        assert np.allclose(table[column], np.where(by_hand > 0, by_hand, np.nan), rtol=1e-12, equal_nan=True)
    assert np.nanmax(table.to_numpy()) < 1  # a small alpha: every breakpoint lies below λ = 1
    at = mean_variance(SIGMA3, alpha, BUDGET1, ONE, table.loc["a", "upper limit reached at λ"])
    assert at["a"] == pytest.approx(0.8, rel=1e-12)


@pytest.mark.filterwarnings("error")
def test_risk_aversion_breakpoints_for_a_path_leaving_its_limit():
    """Active weights start at zero; a limit at zero the path moves away from is never reached."""
    alpha = pd.Series({"a": 0.1, "b": 0.0, "c": -0.1})
    lower = pd.Series({"a": 0.0, "b": -np.inf, "c": -0.3})
    upper = pd.Series({"a": 0.3, "b": np.inf, "c": 0.0})
    table = risk_aversion_breakpoints(SIGMA3, alpha, BUDGET1, pd.Series({"budget": 0.0}), lower, upper)
    assert np.isnan(table.loc["a", "lower limit reached at λ"]) and np.isnan(
        table.loc["c", "upper limit reached at λ"]
    )
    assert table.loc["b"].isna().all() and table.loc["c", "lower limit reached at λ"] > 0
    w = mean_variance(
        SIGMA3, alpha, BUDGET1, pd.Series({"budget": 0.0}), table.loc["a", "upper limit reached at λ"]
    )
    assert w["a"] == pytest.approx(0.3, rel=1e-12)


@pytest.mark.parametrize(
    "stock, side, limit", [("a", "lower", 0.6), ("a", "upper", 0.5), ("c", "upper", 0.1)]
)
def test_risk_aversion_breakpoints_when_a_limit_binds_from_the_start(stock, side, limit):
    alpha = pd.Series({"a": 0.1, "b": 0.0, "c": -0.1})
    bounds = {"lower": pd.Series(-1.0, index=STOCKS3), "upper": pd.Series(1.0, index=STOCKS3)}
    bounds[side][stock] = limit  # the minimum-variance weights (4/7, 2/7, 1/7) break it
    with pytest.raises(
        ValueError, match=r"^the limits already bind for a very large risk aversion: no breakpoint to find$"
    ):
        risk_aversion_breakpoints(SIGMA3, alpha, BUDGET1, ONE, bounds["lower"], bounds["upper"])


# --- inputs named in their errors, labels on the results -------------------------------------
ZERO = pd.Series({"budget": 0.0})
NO_LIMIT = pd.Series(np.inf, index=STOCKS3)


def test_exposure_constraints_name_the_exposures_and_label_the_targets():
    """NaN exposures are named in the error; the right-hand side is the Series "target"."""
    x = pd.DataFrame({"MKT": 1.0, "VAL": [1.0, np.nan, 0.5]}, index=STOCKS3)
    with pytest.raises(ValueError, match=r"^exposures contains 1 NaN or infinite value\(s\)$"):
        exposure_constraints(x, {"VAL": 0.0})
    assert exposure_constraints(x.fillna(0.0), {"VAL": 0.0})[1].name == "target"


@pytest.mark.parametrize(
    "change, message",
    [
        ("nan constraint", r"^constraints contains 1 NaN or infinite value\(s\)$"),
        (
            "constraint columns",
            r"^constraint columns does not match the model's stocks: missing stocks \['c'\]$",
        ),
        ("targets", r"^targets does not match the model's constraints: unknown constraints \['other'\]$"),
        ("not positive definite", r"^covariance is not positive definite \(smallest eigenvalue -0.04\)$"),
        (
            "dependent",
            r"^the constraints are linearly dependent: some are redundant or contradict each other$",
        ),
        ("alpha", r"^alpha does not match the model's stocks: missing stocks \['c'\]$"),
    ],
)
def test_optimiser_inputs_named_in_their_errors(change, message):
    """Each check of Σ, A, b and α names its input (and the labels) in full."""
    sigma, rows, targets, alpha = SIGMA3, BUDGET1, ONE, pd.Series({"a": 0.1, "b": 0.0, "c": -0.1})
    if change == "nan constraint":
        rows = rows.replace(1.0, np.nan).fillna({"a": 1.0, "c": 1.0})
    elif change == "constraint columns":
        rows = rows.drop(columns="c")
    elif change == "targets":
        targets = pd.Series({"budget": 1.0, "other": 0.0})
    elif change == "not positive definite":
        sigma = -SIGMA3  # eigenvalues -0.01, -0.02, -0.04: the smallest is -0.04
    elif change == "dependent":
        rows = pd.concat([rows, rows.rename(index={"budget": "again"})])
        targets = pd.Series({"budget": 1.0, "again": 1.0})
    else:
        alpha = alpha.drop("c")
    with pytest.raises(ValueError, match=message):
        mean_variance(sigma, alpha, rows, targets, 1.0)


def test_feasible_start_may_need_negative_weights():
    """The linear programme honours the given limits, including negative ones (not linprog's w >= 0)."""
    # w1 + w2 + w3 = -1 with w1 <= -0.5: the least-norm point (-1/3 each) breaks w1's limit
    a, b = np.ones((1, 3)), np.array([-1.0])
    lo, hi = np.full(3, -1.0), np.array([-0.5, 1.0, 1.0])
    w = _feasible_start(a, b, lo, hi)
    assert np.isclose(w.sum(), -1.0, atol=1e-12) and np.all((lo <= w) & (w <= hi))


def test_limits_that_cannot_all_be_met_say_so_in_full():
    """Long-only weights cannot sum to -1: the error says why, in full."""
    with pytest.raises(
        ValueError, match=r"^the constraints and bounds cannot all be met: no weights satisfy them together$"
    ):
        minimum_tracking_error_bounded(
            SIGMA3, BUDGET1, pd.Series({"budget": -1.0}), pd.Series(0.0, index=STOCKS3), NO_LIMIT
        )


def test_bounded_mean_variance_is_labelled_weight():
    """The bounded mean-variance weights carry the name "weight", like the unbounded ones."""
    alpha = pd.Series({"a": 0.1, "b": 0.0, "c": -0.1})
    w = mean_variance_bounded(SIGMA3, alpha, BUDGET1, ONE, 1.0, -NO_LIMIT, NO_LIMIT)
    assert w.name == "weight" and list(w.index) == STOCKS3


@pytest.mark.filterwarnings("error")
def test_risk_aversion_breakpoints_when_a_stock_never_moves():
    """A stock whose alpha equals the budget multiplier stays at w_b for every λ: NaN, not 0,
    even with a limit at w_b itself (0 / 0, computed without a warning)."""
    # equal variances: ν is the mean alpha, 0, so u_b = (α_b − ν) / (2s) = 0 and b never moves
    sigma = pd.DataFrame(0.02 * np.eye(3), index=STOCKS3, columns=STOCKS3)
    alpha = pd.Series({"a": 0.1, "b": 0.0, "c": -0.1})
    lower, upper = pd.Series({"a": -0.5, "b": 0.0, "c": -0.5}), pd.Series(0.5, index=STOCKS3)
    table = risk_aversion_breakpoints(sigma, alpha, BUDGET1, ZERO, lower, upper)
    assert table.loc["b"].isna().all()
    # a: w = u_a / λ with u_a = 0.1 / 0.04 = 2.5 reaches 0.5 at λ = 5; c reaches -0.5 there too
    assert table.loc["a", "upper limit reached at λ"] == pytest.approx(5.0, rel=1e-12)
    assert table.loc["c", "lower limit reached at λ"] == pytest.approx(5.0, rel=1e-12)


def test_single_thread_limits_blas_to_one_thread():
    """The cost optimiser's context caps BLAS at one thread, whatever it was before."""
    from threadpoolctl import threadpool_info, threadpool_limits

    from mini.optimisation import _single_thread

    with threadpool_limits(limits=2, user_api="blas"), _single_thread():
        assert {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"} == {1}


# --- the diagonal (residual-risk) optimiser, many periods at once ----------------------------
PERIODS2 = ["p1", "p2"]
DIAG_ALPHA = pd.DataFrame([[0.1, 0.0, -0.1]] * 2, index=PERIODS2, columns=STOCKS3)
DIAG_VAR = pd.Series({"a": 0.01, "b": 0.02, "c": 0.04})


def diagonal_limits(value: float) -> pd.DataFrame:
    return pd.DataFrame(value, index=PERIODS2, columns=STOCKS3)


def test_mean_variance_diagonal_by_hand_with_inputs_in_another_order():
    """w_i = clip((α_i − ν) / (2λω_i²)), solved by hand, with variances and limits given shuffled."""
    upper = diagonal_limits(np.inf)
    upper.loc["p2", "a"] = 1.0  # binds in the second period only
    w = mean_variance_diagonal(
        DIAG_ALPHA,
        DIAG_VAR[["c", "a", "b"]],
        2.0,
        lower=diagonal_limits(-np.inf).loc[["p2", "p1"], ["b", "c", "a"]],
        upper=upper.loc[["p2", "p1"], ["c", "b", "a"]],
    )
    # p1: ν = Σ(α/s) / Σ(1/s) = 7.5 / 175, w = (α − ν) / (4s)
    nu = 7.5 / 175
    s = DIAG_VAR.to_numpy()
    assert np.allclose(w.loc["p1"], (DIAG_ALPHA.loc["p1"].to_numpy() - nu) / (4 * s), rtol=1e-12)
    # p2: a held at 1; −ν/0.08 + (−0.1 − ν)/0.16 = −1 gives ν = 0.02, so b = −0.25, c = −0.75
    assert np.allclose(w.loc["p2"], [1.0, -0.25, -0.75], rtol=1e-12)
    assert list(w.index) == PERIODS2 and list(w.columns) == STOCKS3


def test_mean_variance_diagonal_limits_at_zero_are_allowed():
    """A lower limit of 0, an upper limit of 0 and an upper limit below 1 all allow a zero position."""
    lower, upper = diagonal_limits(-np.inf), diagonal_limits(np.inf)
    lower["a"], upper["c"], upper["b"] = 0.0, 0.0, 0.5  # none binds: a > 0, b and c < 0
    bounded = mean_variance_diagonal(DIAG_ALPHA, DIAG_VAR, 2.0, lower, upper)
    pd.testing.assert_frame_equal(bounded, mean_variance_diagonal(DIAG_ALPHA, DIAG_VAR, 2.0), rtol=1e-12)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"alpha": DIAG_ALPHA.replace(0.0, np.nan)}, r"^alpha contains 2 NaN or infinite value\(s\)$"),
        (
            {"residual_var": DIAG_VAR.replace(0.02, np.nan)},
            r"^residual variance contains 1 NaN or infinite value\(s\)$",
        ),
        (
            {"residual_var": DIAG_VAR.drop("c")},
            r"^residual variance does not match the model's stocks: missing stocks \['c'\]$",
        ),
        ({"residual_var": DIAG_VAR.replace(0.02, 0.0)}, r"^residual variances must be positive$"),
        ({"lower": -0.1}, r"^lower limits must be a DataFrame of periods × stocks$"),
        (
            {"lower": diagonal_limits(-1.0).drop("p2")},
            r"^lower limits does not match the model's periods: missing periods \['p2'\]$",
        ),
        (
            {"upper": diagonal_limits(1.0).drop(columns="b")},
            r"^upper limits does not match the model's stocks: missing stocks \['b'\]$",
        ),
        (
            {"upper": diagonal_limits(1.0).drop("p1")},
            r"^upper limits does not match the model's periods: missing periods \['p1'\]$",
        ),
        (
            {"lower": diagonal_limits(-1.0).drop(columns="a")},
            r"^lower limits does not match the model's stocks: missing stocks \['a'\]$",
        ),
        (
            {"upper": diagonal_limits(1.0).replace(1.0, np.nan)},
            r"^upper limits contain NaN; use -inf or \+inf for 'no limit'$",
        ),
        (
            {"lower": diagonal_limits(-1.0).replace(-1.0, np.nan)},
            r"^lower limits contain NaN; use -inf or \+inf for 'no limit'$",
        ),
        (
            {"lower": diagonal_limits(0.1)},
            r"^every limit must allow a zero position \(lower <= 0 <= upper\)$",
        ),
        (
            {"upper": diagonal_limits(-0.1)},
            r"^every limit must allow a zero position \(lower <= 0 <= upper\)$",
        ),
    ],
)
def test_mean_variance_diagonal_names_the_bad_input(change, message):
    """Each input and limit of the diagonal optimiser is named in full in its error."""
    args = {"alpha": DIAG_ALPHA, "residual_var": DIAG_VAR, "risk_aversion": 2.0} | change
    with pytest.raises(ValueError, match=message):
        mean_variance_diagonal(**args)


def test_closed_form_and_bounded_results_are_labelled():
    """mean_variance gives "weight"; minimum_tracking_error_bounded gives "active weight"."""
    alpha = pd.Series({"a": 0.1, "b": 0.0, "c": -0.1})
    assert mean_variance(SIGMA3, alpha, BUDGET1, ONE, 1.0).name == "weight"
    bounded = minimum_tracking_error_bounded(SIGMA3, BUDGET1, ONE, -NO_LIMIT, NO_LIMIT)
    assert bounded.name == "active weight" and list(bounded.index) == STOCKS3
