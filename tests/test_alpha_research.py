"""From a signal to an alpha: Grinold's rule, the transfer coefficient, IC decay and
signal combination, each checked against an independent computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.optimize import minimize

from mini.alpha import (
    combine_signals,
    grinold_alpha,
    ic_by_horizon,
    ic_half_life,
    information_coefficient,
    neutralise,
    neutralise_panel,
    standardise_scores,
    transfer_coefficient,
)
from mini.optimisation import mean_variance_bounded, mean_variance_diagonal


def test_standardise_and_grinold_by_hand():
    scores = pd.DataFrame([[1.0, 2.0, 3.0]], columns=["a", "b", "c"])
    z = standardise_scores(scores)
    sd = np.sqrt(2.0 / 3.0)  # population sd of 1, 2, 3
    assert np.allclose(z.to_numpy(), [[-1 / sd, 0.0, 1 / sd]])
    vol = pd.Series({"a": 0.1, "b": 0.2, "c": 0.4})
    alpha = grinold_alpha(scores, vol, ic=0.05)
    assert np.allclose(alpha.to_numpy(), [[-0.05 * 0.1 / sd, 0.0, 0.05 * 0.4 / sd]])


def test_grinold_alpha_is_the_conditional_expectation():
    # z and u = theta / omega jointly normal with correlation IC: the regression of
    # theta on the z-score has slope IC * omega, stock by stock.
    rng = np.random.default_rng(3)
    n_periods, ic = 20000, 0.1
    vol = pd.Series([0.02, 0.05, 0.1], index=["a", "b", "c"])
    raw = rng.standard_normal((n_periods, 3))
    u = ic * raw + np.sqrt(1 - ic**2) * rng.standard_normal((n_periods, 3))
    theta = u * vol.to_numpy()
    for i, stock in enumerate(vol.index):
        slope = np.polyfit(raw[:, i], theta[:, i], 1)[0]
        assert abs(slope - ic * vol[stock]) < 0.15 * ic * vol[stock]


def test_transfer_coefficient_against_a_direct_correlation():
    rng = np.random.default_rng(1)
    stocks = [f"s{i}" for i in range(8)]
    alpha = pd.DataFrame(rng.normal(size=(3, 8)), columns=stocks)
    weights = pd.DataFrame(rng.normal(size=(3, 8)), columns=stocks)
    vol = pd.Series(rng.uniform(0.1, 0.5, 8), index=stocks)
    tc = transfer_coefficient(alpha, weights, vol)
    for t in range(3):
        expected = np.corrcoef(alpha.iloc[t] / vol, weights.iloc[t] * vol)[0, 1]
        assert np.isclose(tc.iloc[t], expected)
    # with diagonal risk and alphas whose budget multiplier is zero (sum of alpha / vol²
    # is zero), the optimum w = alpha / (2 lambda vol²) transfers everything
    balanced = alpha - np.outer(alpha.div(vol**2).mean(axis=1), vol**2)
    optimum = mean_variance_diagonal(balanced, vol**2, 2.0)
    assert np.allclose(optimum, balanced / (4.0 * vol**2))
    assert np.allclose(transfer_coefficient(balanced, optimum, vol), 1.0)
    # a budget that binds (alphas not balanced) transfers a little less
    assert (transfer_coefficient(alpha, mean_variance_diagonal(alpha, vol**2, 2.0), vol) < 1.0).all()


def test_diagonal_optimiser_matches_the_active_set_solver():
    rng = np.random.default_rng(7)
    stocks = pd.Index([f"s{i}" for i in range(10)])
    alpha = pd.Series(rng.normal(0, 0.02, 10), index=stocks)
    var = pd.Series(rng.uniform(0.01, 0.09, 10), index=stocks)
    benchmark = pd.Series(rng.dirichlet(np.ones(10)), index=stocks)
    lower, upper = -benchmark, pd.Series(np.inf, index=stocks)
    ones = pd.DataFrame([np.ones(10)], index=["budget"], columns=stocks)
    for lam in (0.5, 2.0, 10.0):
        fast = mean_variance_diagonal(alpha.to_frame().T, var, lam, lower.to_frame().T, upper.to_frame().T)
        slow = mean_variance_bounded(
            pd.DataFrame(np.diag(var), index=stocks, columns=stocks),
            alpha,
            ones,
            pd.Series({"budget": 0.0}),
            lam,
            lower,
            upper,
        )
        assert np.allclose(fast.iloc[0], slow, atol=1e-10)
        assert abs(fast.iloc[0].sum()) < 1e-12 and (fast.iloc[0] >= lower - 1e-15).all()


def test_neutralise_panel_matches_the_loop(mm):
    rng = np.random.default_rng(5)
    signal = pd.DataFrame(rng.normal(size=(3, 10)), columns=mm.stocks)
    x = np.repeat(mm.exposures.to_numpy()[None], 3, axis=0)
    weights = pd.DataFrame(np.tile(mm.regression_weights.to_numpy(), (3, 1)), columns=mm.stocks)
    restrictions = np.repeat(mm.restriction.to_numpy()[None], 3, axis=0)
    fast = neutralise_panel(signal, x, weights, restrictions)
    for t in range(3):
        slow = neutralise(signal.iloc[t], mm.exposures, mm.regression_weights, mm.restriction)
        assert np.allclose(fast.iloc[t].to_numpy(), slow.to_numpy(), atol=1e-12)


def test_ic_by_horizon_and_half_life():
    rng = np.random.default_rng(11)
    n_periods, n_stocks, decay = 400, 300, 0.5
    returns = pd.DataFrame(rng.standard_normal((n_periods, n_stocks)))
    # a signal that sees the next few periods' returns, less clearly the further out
    signal = 0.3 * sum(decay**h * returns.shift(-h).fillna(0.0) for h in range(6))
    signal = signal + pd.DataFrame(rng.standard_normal((n_periods, n_stocks)))
    table = ic_by_horizon(signal, returns, range(4), rank=False)
    assert list(table.index) == [0, 1, 2, 3] and table.loc[3, "periods"] == n_periods - 3
    # horizon 1 by hand
    by_hand = information_coefficient(
        signal.iloc[:-1], returns.iloc[1:].set_axis(signal.index[:-1]), rank=False
    )
    assert np.isclose(table.loc[1, "mean IC"], by_hand.mean())
    ratios = table["mean IC"].iloc[1:].to_numpy() / table["mean IC"].iloc[:-1].to_numpy()
    assert np.allclose(ratios, decay, atol=0.08)
    assert abs(ic_half_life(table["mean IC"]) - 1.0) < 0.2  # decay 0.5 per period: one period
    assert np.isclose(ic_half_life(pd.Series([0.04, 0.02, 0.01])), 1.0)
    with pytest.raises(ValueError, match="does not decay"):
        ic_half_life(pd.Series([0.01, 0.02, 0.04]))


def test_combined_ic_against_brute_force():
    ic = pd.Series({"a": 0.04, "b": 0.03})
    for rho in (-0.3, 0.0, 0.5, 0.8):
        corr = pd.DataFrame([[1.0, rho], [rho, 1.0]], index=ic.index, columns=ic.index)
        weights, combined = combine_signals(ic, corr)

        c = corr.to_numpy()
        best = minimize(
            lambda v, c=c: -(v @ ic.to_numpy()) / np.sqrt(v @ c @ v),
            np.array([0.5, 0.5]),
            method="Nelder-Mead",
            options={"xatol": 1e-10, "fatol": 1e-14},
        )
        assert np.isclose(combined, -best.fun, rtol=1e-8)
        closed = np.sqrt((0.04**2 + 0.03**2 - 2 * rho * 0.04 * 0.03) / (1 - rho**2))
        assert np.isclose(combined, closed)
        assert np.isclose(weights.sum(), 1.0)
        v = weights.to_numpy()
        assert np.isclose(v @ ic.to_numpy() / np.sqrt(v @ c @ v), combined)


def test_alpha_research_bad_input():
    scores = pd.DataFrame([[1.0, 1.0, 1.0]], columns=["a", "b", "c"])
    with pytest.raises(ValueError, match="constant across stocks"):
        standardise_scores(scores)
    with pytest.raises(ValueError, match="positive"):
        grinold_alpha(scores + np.array([[0.0, 1.0, 2.0]]), pd.Series({"a": 0.1, "b": 0.0, "c": 0.1}), 0.05)
    with pytest.raises(ValueError, match="horizons"):
        ic_by_horizon(scores, scores, [5])
    with pytest.raises(ValueError, match="zero position"):
        mean_variance_diagonal(scores, pd.Series(1.0, index=scores.columns), 1.0, lower=scores)


SCORES = pd.DataFrame([[1.0, 2.0, 3.0], [2.0, 0.0, 7.0]], index=["t1", "t2"], columns=["c", "a", "b"])
VOL = pd.Series({"a": 0.1, "b": 0.2, "c": 0.4})


def test_standardise_and_grinold_row_by_row_keep_the_scores_labels():
    # rows with different means (2 and 3): each is centred on its own mean
    z = standardise_scores(SCORES)
    expected_z = stats.zscore(SCORES.to_numpy(), axis=1, ddof=0)
    pd.testing.assert_frame_equal(z, pd.DataFrame(expected_z, index=SCORES.index, columns=SCORES.columns))
    # the volatilities are given in another order than the scores' columns
    alpha = grinold_alpha(SCORES, VOL, ic=0.05)
    expected = 0.05 * expected_z * np.array([0.4, 0.1, 0.2])
    pd.testing.assert_frame_equal(alpha, pd.DataFrame(expected, index=SCORES.index, columns=SCORES.columns))


@pytest.mark.parametrize(
    ("scores", "vol", "ic", "message"),
    [
        (SCORES.assign(a=[0.0, np.nan]), VOL, 0.05, r"^scores contains 1 NaN"),
        (
            SCORES.assign(a=1.0, b=1.0, c=1.0),
            VOL,
            0.05,
            r"^scores are constant across stocks in some period, so they cannot be standardised$",
        ),
        (SCORES, VOL.replace(0.2, np.inf), 0.05, r"^residual volatility contains 1 NaN"),
        (
            SCORES,
            VOL.rename({"c": "d"}),
            0.05,
            r"^residual volatility does not match the model's stocks: missing stocks \['c'\]; unknown stocks \['d'\]$",
        ),
        (SCORES, VOL.replace(0.2, 0.0), 0.05, r"^residual volatilities must be positive$"),
        (SCORES, VOL, np.nan, r"^IC contains 1 NaN"),
        (SCORES, VOL, [0.05, 0.05], r"^IC must be 0-dimensional, got shape \(2,\)$"),
    ],
)
def test_grinold_alpha_names_the_bad_input(scores, vol, ic, message):
    with pytest.raises(ValueError, match=message):
        grinold_alpha(scores, vol, ic)


PERIODS = pd.Index(["2024-01", "2024-02"], name="month")
TC_STOCKS = ["a", "b", "c", "d"]
TC_ALPHA = pd.DataFrame(
    [[0.02, -0.01, 0.00, 0.03], [0.01, 0.02, -0.02, 0.0]], index=PERIODS, columns=TC_STOCKS
)
TC_WEIGHTS = pd.DataFrame([[0.1, -0.2, 0.05, 0.05], [-0.1, 0.3, 0.0, -0.2]], index=PERIODS, columns=TC_STOCKS)
TC_VOL = pd.Series([0.1, 0.2, 0.3, 0.4], index=TC_STOCKS)


def test_transfer_coefficient_aligns_labels_given_in_another_order():
    # weights with rows and columns shuffled, volatilities in reverse order
    weights = TC_WEIGHTS.iloc[::-1][["c", "a", "d", "b"]]
    tc = transfer_coefficient(TC_ALPHA, weights, TC_VOL.iloc[::-1])
    vol = TC_VOL.to_numpy()
    expected = [
        np.corrcoef(TC_ALPHA.iloc[t].to_numpy() / vol, TC_WEIGHTS.iloc[t].to_numpy() * vol)[0, 1]
        for t in range(2)
    ]
    pd.testing.assert_series_equal(tc, pd.Series(expected, index=PERIODS, name="TC"))


@pytest.mark.parametrize(
    ("alpha", "weights", "vol", "message"),
    [
        (TC_ALPHA.replace(0.03, np.nan), TC_WEIGHTS, TC_VOL, r"^alpha contains 1 NaN"),
        (TC_ALPHA, TC_WEIGHTS.replace(0.3, np.nan), TC_VOL, r"^weights contains 1 NaN"),
        (TC_ALPHA, TC_WEIGHTS, TC_VOL.replace(0.3, np.nan), r"^residual volatility contains 1 NaN"),
        (
            TC_ALPHA,
            TC_WEIGHTS.rename(index={"2024-02": "2024-03"}),
            TC_VOL,
            r"^weights does not match the model's periods: missing periods \['2024-02'\]; unknown periods \['2024-03'\]$",
        ),
        (
            TC_ALPHA,
            TC_WEIGHTS.rename(columns={"d": "e"}),
            TC_VOL,
            r"^weights does not match the model's stocks: missing stocks \['d'\]; unknown stocks \['e'\]$",
        ),
        (
            TC_ALPHA,
            TC_WEIGHTS,
            TC_VOL.rename({"d": "e"}),
            r"^residual volatility does not match the model's stocks: missing stocks \['d'\]; unknown stocks \['e'\]$",
        ),
        (
            TC_ALPHA.assign(a=1.0, b=1.0, c=1.0, d=1.0),
            TC_WEIGHTS,
            TC_VOL.map(lambda v: 1.0),
            r"^alpha or weights are constant across stocks in some period, so TC is undefined$",
        ),
    ],
)
def test_transfer_coefficient_names_the_bad_input(alpha, weights, vol, message):
    with pytest.raises(ValueError, match=message):
        transfer_coefficient(alpha, weights, vol)


def test_ic_by_horizon_by_hand_on_a_short_record():
    rng = np.random.default_rng(2)
    returns = pd.DataFrame(rng.normal(size=(6, 5)), index=range(6), columns=list("abcde"))
    signal = pd.DataFrame(rng.normal(size=(4, 5)), index=range(4), columns=list("abcde"))
    # the largest horizon allowed: the number of return periods - 2
    table = ic_by_horizon(signal, returns, [0, 4])
    assert table.index.name == "horizon" and list(table.columns) == ["mean IC", "standard error", "periods"]
    for h, used in ((0, 4), (4, 2)):
        # rank correlation by default, row t of the signal against row t + h of the returns
        ic = [stats.spearmanr(signal.iloc[t], returns.iloc[t + h])[0] for t in range(used)]
        assert table.loc[h, "mean IC"] == pytest.approx(np.mean(ic), rel=1e-12)
        assert table.loc[h, "standard error"] == pytest.approx(np.std(ic, ddof=1) / np.sqrt(used), rel=1e-12)
        assert table.loc[h, "periods"] == used


@pytest.mark.parametrize(
    ("horizons", "message"),
    [
        ([5], r"^horizons must lie between 0 and the number of return periods - 2, got \[5\]$"),
        ([-1], r"^horizons must lie between 0 and the number of return periods - 2, got \[-1\]$"),
        ([], r"^horizons must lie between 0 and the number of return periods - 2, got \[\]$"),
    ],
)
def test_ic_by_horizon_rejects_horizons_beyond_the_record(horizons, message):
    signal = pd.DataFrame(np.arange(12.0).reshape(4, 3) % 5)
    returns = pd.DataFrame(np.arange(18.0).reshape(6, 3) % 7)
    with pytest.raises(ValueError, match=message):
        ic_by_horizon(signal, returns, horizons)


def test_ic_half_life_at_its_boundaries():
    # two positive horizons are enough; a zero or negative IC is left out of the fit
    assert ic_half_life(pd.Series([0.04, 0.02])) == pytest.approx(1.0, rel=1e-12)
    assert ic_half_life(pd.Series([0.04, 0.02, 0.0, -0.01])) == pytest.approx(1.0, rel=1e-12)
    # halving over two horizons: a half-life of two
    assert ic_half_life(pd.Series({0: 0.04, 2: 0.02})) == pytest.approx(2.0, rel=1e-12)
    # a slow decay still has a half-life: log IC falls by 1e-6 over one horizon
    assert ic_half_life(pd.Series([0.5, 0.5 * np.exp(-1e-6)])) == pytest.approx(np.log(2) / 1e-6, rel=1e-6)


@pytest.mark.parametrize(
    ("mean_ic", "message"),
    [
        ([0.04, np.nan], r"^mean IC contains 1 NaN"),
        ([0.04, 0.0, -0.02], r"^need a positive mean IC at two horizons or more to fit a decay$"),
        ([0.02, 0.02], r"^the IC does not decay with the horizon, so it has no half-life$"),
        # log IC exactly flat: a slope of exactly zero is no decay either
        ([1.0, 1.0], r"^the IC does not decay with the horizon, so it has no half-life$"),
        # flat over three horizons: polyfit's slope is -2e-16, a rounding error, not a decay
        ([0.5, 0.5, 0.5], r"^the IC does not decay with the horizon, so it has no half-life$"),
        # a fall of 1e-10 in log IC across the horizons is no decay either
        ([0.5, 0.5 * np.exp(-1e-10)], r"^the IC does not decay with the horizon"),
    ],
)
def test_ic_half_life_names_the_bad_input(mean_ic, message):
    with pytest.raises(ValueError, match=message):
        ic_half_life(pd.Series(mean_ic))


def test_combined_weights_by_hand():
    # C^-1 IC for C = [[1, 0.5], [0.5, 1]] and IC = (0.04, 0.01): (0.04 - 0.005, 0.01 - 0.02) / 0.75
    ic = pd.Series({"value": 0.04, "momentum": 0.01})
    corr = pd.DataFrame([[1.0, 0.5], [0.5, 1.0]], index=["momentum", "value"], columns=["momentum", "value"])
    weights, combined = combine_signals(ic, corr)
    v = np.array([0.035, -0.01]) / 0.75
    pd.testing.assert_series_equal(weights, pd.Series(v / v.sum(), index=ic.index, name="weight"))
    assert combined == pytest.approx(np.sqrt(ic.to_numpy() @ v), rel=1e-12)


CORR = pd.DataFrame([[1.0, 0.2], [0.2, 1.0]], index=["a", "b"], columns=["a", "b"])


@pytest.mark.parametrize(
    ("ic", "corr", "message"),
    [
        (pd.Series({"a": np.nan, "b": 0.02}), CORR, r"^IC contains 1 NaN"),
        (pd.Series({"a": 0.03, "b": 0.02}), CORR.replace(0.2, np.nan), r"^signal correlation contains 2 NaN"),
        (
            pd.Series({"a": 0.03, "b": 0.02}),
            CORR.rename(index={"b": "c"}),
            r"^signal correlation rows does not match the model's signals: missing signals \['b'\]; "
            r"unknown signals \['c'\]$",
        ),
        (
            pd.Series({"a": 0.03, "b": 0.02}),
            CORR.rename(columns={"b": "c"}),
            r"^signal correlation columns does not match the model's signals: missing signals \['b'\]; "
            r"unknown signals \['c'\]$",
        ),
        (
            pd.Series({"a": 0.03, "b": 0.02}),
            CORR.mask(CORR.index.to_numpy()[:, None] < CORR.columns.to_numpy(), 0.3),
            r"^signal correlation is not symmetric$",
        ),
        (
            pd.Series({"a": 0.03, "b": 0.02}),
            CORR.replace(0.2, 1.0),
            r"^signal correlation is not positive definite \(",
        ),
        (
            pd.Series({"a": 0.03, "b": -0.03}),
            CORR.replace(0.2, 0.0),
            r"^the best weights sum to zero and cannot be scaled to sum to one$",
        ),
    ],
)
def test_combine_signals_names_the_bad_input(ic, corr, message):
    with pytest.raises(ValueError, match=message):
        combine_signals(ic, corr)


def test_ic_by_horizon_and_half_life_at_the_decay_threshold():
    """Returns that do not start with the signal's periods are refused in full. The decay
    test multiplies the fitted slope by the span of horizons: a log-IC slope of -1e-9 over
    horizons 0 to 2 falls by 2e-9 (a half-life of ln 2 / 1e-9), while -5e-10 over horizons
    1 to 2 falls by only 5e-10 (no decay)."""
    signal = pd.DataFrame([[1.0, 2.0, 3.0], [3.0, 1.0, 2.0]], index=[1, 2])
    returns = pd.DataFrame([[1.0, 2.0, 3.0]] * 4, index=[0, 1, 2, 3])
    with pytest.raises(
        ValueError, match=r"^the returns must start with the signal's periods, in the same order$"
    ):
        ic_by_horizon(signal, returns, [0])
    slow = pd.Series(0.5 * np.exp(-1e-9 * np.arange(3.0)), index=[0, 1, 2])
    assert ic_half_life(slow) == pytest.approx(np.log(2) / 1e-9, rel=1e-5)
    with pytest.raises(ValueError, match=r"^the IC does not decay with the horizon, so it has no half-life$"):
        ic_half_life(pd.Series({1: 0.5, 2: 0.5 * np.exp(-5e-10)}))
