"""Specific-risk estimators against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mini.specific_risk import (
    bayesian_shrinkage,
    blend_confidence,
    blend_specific_variance,
    ewma_specific_variance,
    structural_blend,
    structural_specific_variance,
    structural_specific_variance_for,
    time_series_specific_risk,
)


def test_ewma_specific_variance_by_hand():
    residuals = pd.DataFrame({"a": [0.1, 0.2, -0.1], "b": [0.0, 0.3, 0.0]})
    # half-life 1: weights 1/7, 2/7, 4/7 (oldest first)
    got = ewma_specific_variance(residuals, half_life=1.0)
    assert got["a"] == pytest.approx((0.01 + 2 * 0.04 + 4 * 0.01) / 7, rel=1e-14)
    assert got["b"] == pytest.approx(2 * 0.09 / 7, rel=1e-14)


def test_structural_model_by_hand():
    """Two groups of stocks with constant log-vol inside each: the fit is the group's log-vol."""
    stocks = list("abcd")
    variance = pd.Series([0.01, 0.04, 0.01, 0.04], index=stocks)  # vols 0.1 and 0.2
    z = pd.DataFrame({"const": 1.0, "big": [1.0, 0.0, 1.0, 0.0]}, index=stocks)
    fitted = structural_specific_variance(variance, z)
    # ln sigma = ln 0.2 + (ln 0.1 - ln 0.2) * big exactly; mean of fitted = mean of input, so kappa = 1
    assert np.allclose(fitted, variance, rtol=1e-12)
    covered = pd.DataFrame({"const": [1.0], "big": [0.5]}, index=["e"])
    halfway = structural_specific_variance_for(covered, variance, z)
    assert halfway["e"] == pytest.approx(0.1 * 0.2, rel=1e-12)  # exp(2 * mean of the log-vols)


def test_structural_model_rescales_to_the_mean_variance():
    """One group whose variances differ: log-vols average to ln(0.1 * 0.3) / 2, then kappa rescales."""
    stocks = list("ab")
    variance = pd.Series([0.01, 0.09], index=stocks)
    z = pd.DataFrame({"const": [1.0, 1.0]}, index=stocks)
    fitted = structural_specific_variance(variance, z)
    # exp(2 * mean log-vol) = 0.03 for both; kappa = 0.05 / 0.03
    assert np.allclose(fitted, [0.05, 0.05], rtol=1e-12)
    weighted = structural_specific_variance(variance, z, weights=pd.Series({"a": 3.0, "b": 1.0}))
    # weighted mean log-vol: (3 ln 0.1 + ln 0.3) / 4; kappa again brings the mean to 0.05
    assert np.allclose(weighted, [0.05, 0.05], rtol=1e-12)
    beta_check = structural_specific_variance_for(
        pd.DataFrame({"const": [2.0]}, index=["x"]), variance, z, weights=pd.Series({"a": 3.0, "b": 1.0})
    )
    log_vol = (3 * np.log(0.1) + np.log(0.3)) / 4
    assert beta_check["x"] == pytest.approx(np.exp(4 * log_vol) * 0.05 / np.exp(2 * log_vol), rel=1e-12)


def test_blend_by_hand():
    ts = pd.Series({"a": 0.04, "b": 0.01})
    structural = pd.Series({"b": 0.03, "a": 0.02})
    blended = blend_specific_variance(ts, structural, pd.Series({"a": 0.25, "b": 1.0}))
    assert blended["a"] == pytest.approx(0.25 * 0.04 + 0.75 * 0.02, rel=1e-14)
    assert blended["b"] == pytest.approx(0.01, rel=1e-14)
    assert np.allclose(blend_specific_variance(ts, structural, 0.5), [0.03, 0.02], rtol=1e-14)


# Bayesian shrinkage on four stocks in two size groups (caps listed in another order than
# the volatilities): small {b: cap 1, vol 0.4; d: cap 3, vol 0.2}, cap-weighted mean 0.25,
# dispersion sqrt((0.15² + 0.05²) / 2); large {c: cap 10, vol 0.1; a: cap 30, vol 0.5},
# mean (1 + 15) / 40 = 0.4, dispersion sqrt((0.3² + 0.1²) / 2).
SHRINK_VOL = pd.Series({"a": 0.5, "b": 0.4, "c": 0.1, "d": 0.2})
SHRINK_CAPS = pd.Series({"b": 1.0, "c": 10.0, "a": 30.0, "d": 3.0})


def test_bayesian_shrinkage_by_hand():
    q = 0.5
    group_mean = pd.Series({"a": 0.4, "b": 0.25, "c": 0.4, "d": 0.25})
    spread = pd.Series({"a": np.sqrt(0.05), "b": np.sqrt(0.0125), "c": np.sqrt(0.05), "d": np.sqrt(0.0125)})
    distance = q * (SHRINK_VOL - group_mean).abs()  # 0.05, 0.075, 0.15, 0.025
    v = distance / (spread + distance)
    got = bayesian_shrinkage(SHRINK_VOL, SHRINK_CAPS, n_groups=2, intensity=q)
    assert got.name == "shrunk specific vol"
    assert list(got.index) == list("abcd")
    assert np.allclose(got, v * group_mean + (1 - v) * SHRINK_VOL, rtol=1e-14)


@pytest.mark.parametrize(
    "vol, caps, n_groups",
    [
        (pd.Series(np.linspace(0.1, 1.0, 10)), pd.Series(np.arange(10.0, 0.0, -1.0)), None),  # deciles
        (SHRINK_VOL, SHRINK_CAPS, 4),  # as many groups as stocks
    ],
)
def test_bayesian_shrinkage_leaves_a_stock_alone_in_its_group(vol, caps, n_groups):
    """A group of one has the stock's own volatility as its mean: nothing to shrink towards."""
    got = (
        bayesian_shrinkage(vol, caps)
        if n_groups is None
        else bayesian_shrinkage(vol, caps, n_groups=n_groups)
    )
    assert np.allclose(got, vol, rtol=1e-14)


def test_bayesian_shrinkage_leaves_a_group_of_equal_volatilities_alone():
    vol = pd.Series({"a": 0.5, "b": 0.2, "c": 0.1, "d": 0.2})  # the small group: b and d, both 0.2
    got = bayesian_shrinkage(vol, SHRINK_CAPS, n_groups=2)
    assert got["b"] == 0.2 and got["d"] == 0.2


@pytest.mark.parametrize(
    "vol, caps, options, message",
    [
        (SHRINK_VOL.where(SHRINK_VOL > 0.15), SHRINK_CAPS, {}, r"^specific volatilities contains 1 NaN"),
        (SHRINK_VOL, SHRINK_CAPS.where(SHRINK_CAPS > 2), {}, r"^caps contains 1 NaN"),
        (
            SHRINK_VOL,
            SHRINK_CAPS.drop("c"),
            {},
            r"^caps does not match the model's stocks: missing stocks \['c'\]$",
        ),
        (
            SHRINK_VOL.where(SHRINK_VOL > 0.15, 0.0),
            SHRINK_CAPS,
            {},
            r"^specific volatilities and caps must be positive$",
        ),
        (
            SHRINK_VOL,
            SHRINK_CAPS.where(SHRINK_CAPS > 2, 0.0),
            {},
            r"^specific volatilities and caps must be positive$",
        ),
        (
            SHRINK_VOL,
            SHRINK_CAPS,
            {"n_groups": 2.0},
            r"^n_groups must be an integer between 1 and the number of stocks, got 2\.0$",
        ),
        (
            SHRINK_VOL,
            SHRINK_CAPS,
            {"n_groups": True},
            r"^n_groups must be an integer between 1 and the number of stocks, got True$",
        ),
        (
            SHRINK_VOL,
            SHRINK_CAPS,
            {"n_groups": 5},
            r"^n_groups must be an integer between 1 and the number of stocks, got 5$",
        ),
        (
            SHRINK_VOL,
            SHRINK_CAPS,
            {"n_groups": 2, "intensity": -0.1},
            r"^intensity must be a non-negative number, got -0\.1$",
        ),
    ],
)
def test_bayesian_shrinkage_rejects_bad_input(vol, caps, options, message):
    with pytest.raises(ValueError, match=message):
        bayesian_shrinkage(vol, caps, **options)


HISTORY = pd.Series({"a": 60.0, "b": 120.0, "c": 180.0, "d": 240.0})
EQUAL_VOL = pd.Series({"a": 1.0, "b": 2.0, "c": 3.0, "d": 0.5})
ROBUST_VOL = pd.Series({"d": 1.0, "c": 1.0, "b": 1.0, "a": 1.0})


def test_blend_confidence_by_hand():
    # length (h - 60) / 120 clipped: 0, 0.5, 1, 1; Z = |equal / robust - 1|: 0, 1, 2, 0.5,
    # so quality min(1, e^(1 - Z)): 1, 1, 1/e, 1
    got = blend_confidence(HISTORY, EQUAL_VOL, ROBUST_VOL)
    assert got.name == "confidence" and list(got.index) == list("abcd")
    assert np.allclose(got, [0.0, 0.5, np.exp(-1.0), 1.0], rtol=1e-14)
    # no minimum history: h / 240
    assert np.allclose(blend_confidence(HISTORY, EQUAL_VOL, ROBUST_VOL, min_history=0, ramp=240)["b"], 0.5)


@pytest.mark.parametrize(
    "robust, options, message",
    [
        (
            ROBUST_VOL,
            {"min_history": -1},
            r"^min_history must be non-negative and ramp positive, got -1 and 120$",
        ),
        (ROBUST_VOL, {"ramp": 0}, r"^min_history must be non-negative and ramp positive, got 60 and 0$"),
        (
            ROBUST_VOL.where(ROBUST_VOL.index != "c", 0.0),
            {},
            r"^robust volatilities must be positive; not so for \['c'\]$",
        ),
        (
            ROBUST_VOL.drop("c"),
            {},
            r"^robust volatilities does not match the model's stocks: missing stocks \['c'\]$",
        ),
    ],
)
def test_blend_confidence_rejects_bad_input(robust, options, message):
    with pytest.raises(ValueError, match=message):
        blend_confidence(HISTORY, EQUAL_VOL, robust, **options)


def test_time_series_specific_risk_by_hand_with_a_new_listing():
    # "b" lists in the second period: its statistics use its three periods only
    residuals = pd.DataFrame(
        {"a": [0.1, 0.2, -0.1, 0.4], "b": [np.nan, 0.3, 0.0, -0.3]}, index=pd.RangeIndex(4, name="period")
    )
    stats = time_series_specific_risk(residuals, half_life=1.0)
    assert list(stats.columns) == ["ewma vol", "equal vol", "robust vol", "history"]
    assert list(stats.index) == ["a", "b"] and stats["history"].tolist() == [4, 3]
    # EWMA with half-life 1 over the available periods: weights 1, 2, 4, 8 (oldest first)
    a, b = np.array([0.1, 0.2, -0.1, 0.4]), np.array([0.3, 0.0, -0.3])
    assert stats.loc["a", "ewma vol"] == pytest.approx(np.sqrt((a**2 @ [1, 2, 4, 8]) / 15), rel=1e-14)
    assert stats.loc["b", "ewma vol"] == pytest.approx(np.sqrt((b**2 @ [2, 4, 8]) / 14), rel=1e-14)
    # the equal-weighted standard deviation with ddof = 1
    assert stats.loc["a", "equal vol"] == pytest.approx(np.sqrt(np.sum((a - a.mean()) ** 2) / 3), rel=1e-14)
    assert stats.loc["b", "equal vol"] == pytest.approx(0.3, rel=1e-14)  # √((0.09 + 0 + 0.09) / 2)
    # the interquartile range per stock (linear interpolation), over 1.35
    for stock, values in (("a", a), ("b", b)):
        q1, q3 = np.quantile(values, [0.25, 0.75])
        assert stats.loc[stock, "robust vol"] == pytest.approx((q3 - q1) / 1.35, rel=1e-14)


STOCKS3 = pd.Index(["a", "b", "c"], name="stock")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: ewma_specific_variance(pd.DataFrame({"a": [0.1, np.nan, 0.2]}), half_life=2.0),
            r"^residuals contains 1 NaN",
        ),
        (
            lambda: blend_specific_variance(
                pd.Series(0.04, index=STOCKS3),
                pd.Series(0.05, index=STOCKS3),
                pd.Series([0.5, np.nan, 1.0], index=STOCKS3),
            ),
            r"^confidence contains 1 NaN",
        ),
        (
            lambda: blend_specific_variance(
                pd.Series(0.04, index=STOCKS3), pd.Series(0.05, index=STOCKS3), 1.5
            ),
            r"^blending confidence must lie in \[0, 1\]$",
        ),
        (
            lambda: blend_confidence(
                pd.Series(100, index=STOCKS3),
                pd.Series(0.1, index=STOCKS3),
                pd.Series([0.1, np.nan, 0.1], index=STOCKS3),
            ),
            r"^robust volatilities contains 1 NaN",
        ),
    ],
    ids=["ewma-residuals", "blend-confidence-nan", "blend-confidence-range", "robust-vols"],
)
def test_specific_risk_inputs_are_named_in_their_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_blend_confidence_accepts_a_one_period_ramp():
    # γ's length factor clip((h − min_history) / ramp, 0, 1) with a one-period ramp: a step at min_history + 1
    history = pd.Series([60, 61, 200], index=STOCKS3)
    vol = pd.Series(0.1, index=STOCKS3)
    gamma = blend_confidence(history, vol, vol, min_history=60, ramp=1)
    # equal and robust vols agree (Z = 0), so γ is the length factor alone: 0, 1, 1
    pd.testing.assert_series_equal(gamma, pd.Series([0.0, 1.0, 1.0], index=STOCKS3, name="confidence"))


def test_ewma_specific_variance_needs_two_periods_and_accepts_two():
    """The minimum is two periods: one is rejected with the full message, two give Σ w e² by hand."""
    with pytest.raises(ValueError, match=r"^need at least two periods of residuals, got 1$"):
        ewma_specific_variance(pd.DataFrame({"a": [0.1]}), half_life=1.0)
    got = ewma_specific_variance(pd.DataFrame({"a": [0.1, 0.2]}), half_life=1.0)
    assert got.name == "specific variance"
    assert got["a"] == pytest.approx((0.01 + 2 * 0.04) / 3, rel=1e-14)  # weights 1/3, 2/3


# Two groups of stocks (vols 0.1 and 0.2), characteristics listed in another row order
# than the variances, so any step that forgets to align them by label fits the wrong rows.
STRUCT_VAR = pd.Series({"a": 0.01, "b": 0.04, "c": 0.01, "d": 0.04})
STRUCT_Z = pd.DataFrame({"const": 1.0, "big": [0.0, 0.0, 1.0, 1.0]}, index=list("dbca"))


def test_structural_model_aligns_characteristics_by_label():
    """Rows of Z in another order: the fit is still exact and the result follows the variances' order."""
    fitted = structural_specific_variance(STRUCT_VAR, STRUCT_Z)
    expected = pd.Series(STRUCT_VAR.to_numpy(), index=STRUCT_VAR.index, name="structural specific variance")
    pd.testing.assert_series_equal(fitted, expected, rtol=1e-12)
    covered = pd.DataFrame({"big": [0.5], "const": [1.0]}, index=["e"])
    halfway = structural_specific_variance_for(covered, STRUCT_VAR, STRUCT_Z)
    assert halfway.name == "structural specific variance"
    assert halfway["e"] == pytest.approx(0.1 * 0.2, rel=1e-12)  # exp(2 * mean of ln 0.1 and ln 0.2)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: structural_specific_variance(STRUCT_VAR, STRUCT_Z.drop("c")),
            r"^characteristics does not match the model's stocks: missing stocks \['c'\]$",
        ),
        (
            lambda: structural_specific_variance(STRUCT_VAR, STRUCT_Z, weights=STRUCT_VAR.drop("b")),
            r"^weights does not match the model's stocks: missing stocks \['b'\]$",
        ),
        (
            lambda: structural_specific_variance_for(
                pd.DataFrame({"const": [1.0], "big": [np.nan]}, index=["e"]), STRUCT_VAR, STRUCT_Z
            ),
            r"^covered characteristics contains 1 NaN or infinite value\(s\)$",
        ),
        (
            lambda: structural_specific_variance_for(
                pd.DataFrame({"const": [1.0]}, index=["e"]), STRUCT_VAR, STRUCT_Z
            ),
            r"^covered characteristics does not match the model's characteristics: "
            r"missing characteristics \['big'\]$",
        ),
    ],
    ids=["characteristics-labels", "weights-labels", "covered-nan", "covered-columns"],
)
def test_structural_model_names_its_inputs_in_full(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_structural_model_lists_at_most_five_non_positive_weights():
    """Six stocks with non-positive weights: the message names the first five only."""
    stocks = list("abcdefg")
    variance = pd.Series(0.01, index=stocks)
    z = pd.DataFrame({"const": 1.0}, index=stocks)
    weights = pd.Series([0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 1.0], index=stocks)
    with pytest.raises(
        ValueError, match=r"^weights must be positive; not so for \['a', 'b', 'c', 'd', 'e'\]$"
    ):
        structural_specific_variance(variance, z, weights=weights)


def test_blend_keeps_the_time_series_order_and_names_its_inputs():
    """Inputs in three different label orders: aligned by label, returned in the time series' order."""
    ts = pd.Series({"b": 0.01, "a": 0.04})
    structural = pd.Series({"a": 0.02, "b": 0.03})
    blended = blend_specific_variance(ts, structural, pd.Series({"a": 0.25, "b": 1.0}))
    expected = pd.Series({"b": 0.01, "a": 0.25 * 0.04 + 0.75 * 0.02}, name="specific variance")
    pd.testing.assert_series_equal(blended, expected, rtol=1e-14)
    with pytest.raises(ValueError, match=r"^time-series variances contains 1 NaN or infinite value\(s\)$"):
        blend_specific_variance(ts.where(ts > 0.02), structural, 0.5)
    with pytest.raises(ValueError, match=r"^structural variances contains 1 NaN or infinite value\(s\)$"):
        blend_specific_variance(ts, structural.where(structural > 0.025), 0.5)
    with pytest.raises(
        ValueError, match=r"^structural variances does not match the model's stocks: missing stocks \['b'\]$"
    ):
        blend_specific_variance(ts, structural.drop("b"), 0.5)


@pytest.mark.parametrize(
    ("residuals", "message"),
    [
        (np.zeros((4, 2)), r"^residuals must be a DataFrame of periods × stocks$"),
        (pd.DataFrame({"a": [0.1, np.inf, 0.2, 0.0]}), r"^residuals contain infinite values$"),
        # histories 2 (too short) and 3 (just enough): only the first is named
        (
            pd.DataFrame({"a": [np.nan, np.nan, 0.1, 0.2], "b": [np.nan, 0.1, 0.2, 0.3]}),
            r"^need at least three periods of residuals for every stock; not so for \['a'\]$",
        ),
        # six short histories: the first five are named
        (
            pd.DataFrame({s: [np.nan, np.nan, 0.1, 0.2] for s in "uvwxyz"}),
            r"^need at least three periods of residuals for every stock; "
            r"not so for \['u', 'v', 'w', 'x', 'y'\]$",
        ),
    ],
    ids=["not-a-frame", "infinite", "history-boundary", "at-most-five-named"],
)
def test_time_series_specific_risk_rejects_bad_residuals_in_full(residuals, message):
    with pytest.raises(ValueError, match=message):
        time_series_specific_risk(residuals, half_life=2.0)


# Structural blend on four stocks in two industries (a market column of ones is dropped):
# a, b (industry A, vol 0.1) and c (industry B, vol 0.2) are fully trusted; d (industry B,
# time-series vol 0.4) has confidence 0.5.
BLEND_TS = pd.Series({"a": 0.1, "b": 0.1, "c": 0.2, "d": 0.4})
BLEND_X = pd.DataFrame(
    {"MKT": 1.0, "IND_A": [1.0, 1.0, 0.0, 0.0], "IND_B": [0.0, 0.0, 1.0, 1.0]}, index=list("abcd")
)
BLEND_CAPS = pd.Series({"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0})
BLEND_GAMMA = pd.Series({"a": 1.0, "b": 1.0, "c": 1.0, "d": 0.5})


def test_structural_blend_by_hand():
    """The industry dummies fit ln σ exactly on the trusted stocks (κ = 1): d's structural vol is
    industry B's 0.2, so its blend is 0.5 · 0.4 + 0.5 · 0.2."""
    got = structural_blend(BLEND_TS, BLEND_X, BLEND_CAPS, BLEND_GAMMA)
    expected = pd.Series({"a": 0.1, "b": 0.1, "c": 0.2, "d": 0.3}, name="specific vol")
    pd.testing.assert_series_equal(got, expected, rtol=1e-12)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ts": BLEND_TS.where(BLEND_TS > 0.15)}, r"^time-series volatilities contains 2 NaN"),
        ({"gamma": BLEND_GAMMA.where(BLEND_GAMMA > 0.6)}, r"^confidence contains 1 NaN"),
        ({"caps": BLEND_CAPS.where(BLEND_CAPS > 1.5)}, r"^caps contains 1 NaN"),
        ({"x": BLEND_X.assign(SIZE=[0.0, 1.0, np.nan, 0.0])}, r"^exposures contains 1 NaN"),
        (
            {"gamma": BLEND_GAMMA.drop("d")},
            r"^confidence does not match the model's stocks: missing stocks \['d'\]$",
        ),
        ({"caps": BLEND_CAPS.drop("d")}, r"^caps does not match the model's stocks: missing stocks \['d'\]$"),
        ({"x": BLEND_X.drop("d")}, r"^exposures does not match the model's stocks: missing stocks \['d'\]$"),
        ({"gamma": BLEND_GAMMA.replace(0.5, 1.5)}, r"^confidence must lie in \[0, 1\]$"),
        ({"gamma": BLEND_GAMMA.replace(0.5, -0.5)}, r"^confidence must lie in \[0, 1\]$"),
        ({"ts": BLEND_TS.replace(0.4, 0.0)}, r"^time-series volatilities and caps must be positive$"),
        ({"caps": BLEND_CAPS.replace(4.0, 0.0)}, r"^time-series volatilities and caps must be positive$"),
        (
            {"gamma": BLEND_GAMMA.mask(BLEND_GAMMA.index == "c", 0.9)},  # a and b trusted, two dummies to fit
            r"^only 2 stocks have a fully trusted history, too few to fit 2 structural coefficients$",
        ),
    ],
)
def test_structural_blend_names_its_bad_input_in_full(change, message):
    args = {"ts": BLEND_TS, "x": BLEND_X, "caps": BLEND_CAPS, "gamma": BLEND_GAMMA, **change}
    with pytest.raises(ValueError, match=message):
        structural_blend(args["ts"], args["x"], args["caps"], args["gamma"])
