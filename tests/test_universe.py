"""Estimation-universe rules with buffers, the effective number of stocks, and extending
exposures and specific risk to covered stocks outside the estimation universe."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import SETTINGS

from mini.exposures import covered_exposures, standardise, standardise_like
from mini.regression import regression_weights
from mini.specific_risk import structural_specific_variance, structural_specific_variance_for
from mini.universe import (
    cap_weights,
    effective_number,
    estimation_universe,
    estimation_universe_path,
    universe_changes,
)

RULES = {"min_cap": 1.0, "min_adv": 5.0, "min_history": 12}


def frame(**columns) -> pd.DataFrame:
    return pd.DataFrame(columns, index=[f"S{i}" for i in range(len(next(iter(columns.values()))))])


# ---------------------------------------------------------------- estimation universe


def test_each_rule_excludes_on_its_own():
    s = frame(cap=[2.0, 0.5, 2.0, 2.0], adv=[10.0, 10.0, 1.0, 10.0], history=[24, 24, 24, 6])
    member = estimation_universe(s.cap, s.adv, s.history, **RULES)
    assert member.tolist() == [True, False, False, False]
    assert member.dtype == bool


def test_thresholds_are_inclusive():
    s = frame(cap=[1.0], adv=[5.0], history=[12])
    assert estimation_universe(s.cap, s.adv, s.history, **RULES).all()


def test_buffer_keeps_incumbents_but_not_newcomers():
    # both stocks sit 10% below the size threshold; only S0 was a member last period
    s = frame(cap=[0.9, 0.9], adv=[10.0, 10.0], history=[24, 24])
    previous = pd.Series([True, False], index=s.index)
    with_buffer = estimation_universe(s.cap, s.adv, s.history, previous, buffer=0.2, **RULES)
    assert with_buffer.tolist() == [True, False]
    without = estimation_universe(s.cap, s.adv, s.history, previous, buffer=0.0, **RULES)
    assert without.tolist() == [False, False]


def test_buffer_applies_to_liquidity_but_not_to_history():
    s = frame(cap=[2.0, 2.0], adv=[4.5, 10.0], history=[24, 11])
    previous = pd.Series([True, True], index=s.index)
    assert estimation_universe(s.cap, s.adv, s.history, previous, buffer=0.2, **RULES).tolist() == [
        True,
        False,
    ]


def test_incumbent_below_the_buffered_threshold_leaves():
    s = frame(cap=[0.79], adv=[10.0], history=[24])
    previous = pd.Series([True], index=s.index)
    assert not estimation_universe(s.cap, s.adv, s.history, previous, buffer=0.2, **RULES).any()


def test_new_listings_and_delistings_in_previous():
    s = frame(cap=[0.9, 0.9], adv=[10.0, 10.0], history=[24, 24])
    # S1 is new (absent from previous); GONE has delisted (absent from this period)
    previous = pd.Series([True, True], index=["S0", "GONE"])
    member = estimation_universe(s.cap, s.adv, s.history, previous, buffer=0.2, **RULES)
    assert member.index.tolist() == ["S0", "S1"]
    assert member.tolist() == [True, False]


def test_path_with_buffer_churns_less():
    # a stock oscillating 5% either side of the threshold
    cap = pd.DataFrame({"A": [1.05, 0.95, 1.05, 0.95, 1.05], "B": [3.0] * 5})
    adv = pd.DataFrame(10.0, index=cap.index, columns=cap.columns)
    history = pd.DataFrame(24.0, index=cap.index, columns=cap.columns)
    plain = estimation_universe_path(cap, adv, history, **RULES)
    buffered = estimation_universe_path(cap, adv, history, buffer=0.1, **RULES)
    assert plain["A"].tolist() == [True, False, True, False, True]
    assert buffered["A"].tolist() == [True] * 5
    assert plain["B"].all() and buffered["B"].all()
    changes = universe_changes(plain)
    assert changes["entries"].tolist() == [0, 1, 0, 1]
    assert changes["exits"].tolist() == [1, 0, 1, 0]
    assert universe_changes(buffered).to_numpy().sum() == 0


@SETTINGS
@given(st.integers(min_value=0, max_value=2**32 - 1), st.floats(min_value=0.0, max_value=0.9))
def test_buffered_universe_contains_the_plain_one(seed, buffer):
    """Any stock that qualifies without a buffer also qualifies with one, every period."""
    rng = np.random.default_rng(seed)
    cap = pd.DataFrame(np.exp(rng.normal(0, 0.5, size=(12, 8)).cumsum(axis=0)))
    adv = 5 * cap * np.exp(rng.normal(0, 0.3, size=cap.shape))
    history = pd.DataFrame(np.arange(12)[:, None] + rng.integers(0, 24, size=8), dtype=float)
    plain = estimation_universe_path(cap, adv, history, **RULES)
    buffered = estimation_universe_path(cap, adv, history, buffer=buffer, **RULES)
    assert not (plain & ~buffered).to_numpy().any()


def test_estimation_universe_rejects_bad_input():
    s = frame(cap=[2.0, 1.0], adv=[10.0, 10.0], history=[24, 24])
    with pytest.raises(ValueError, match=r"buffer must lie in \[0, 1\)"):
        estimation_universe(s.cap, s.adv, s.history, buffer=1.0, **RULES)
    with pytest.raises(ValueError, match="min_cap must be a non-negative number"):
        estimation_universe(s.cap, s.adv, s.history, min_cap=-1.0, min_adv=5.0, min_history=12)
    with pytest.raises(ValueError, match=r"market caps must be non-negative; negative for \['S1'\]"):
        estimation_universe(pd.Series([2.0, -1.0], index=s.index), s.adv, s.history, **RULES)
    with pytest.raises(ValueError, match="histories contains 1 NaN"):
        estimation_universe(s.cap, s.adv, pd.Series([24, np.nan], index=s.index), **RULES)
    with pytest.raises(ValueError, match=r"missing stocks \['S1'\]"):
        estimation_universe(s.cap, s.adv.iloc[:1], s.history, **RULES)
    with pytest.raises(ValueError, match="previous must be a boolean pandas Series"):
        estimation_universe(s.cap, s.adv, s.history, pd.Series([1.0, 0.0], index=s.index), **RULES)


def test_path_and_changes_reject_bad_input():
    cap = pd.DataFrame({"A": [1.0, 2.0]})
    with pytest.raises(ValueError, match=r"histories does not match the model's periods"):
        estimation_universe_path(cap, cap, cap.iloc[:1], **RULES)
    with pytest.raises(ValueError, match="at least two periods"):
        universe_changes(pd.DataFrame({"A": [True]}))
    with pytest.raises(ValueError, match="DataFrame of booleans"):
        universe_changes(pd.DataFrame({"A": [1.0, 0.0]}))


# ---------------------------------------------------------------- effective number


def test_effective_number_of_equal_and_concentrated_weights():
    assert effective_number(pd.Series([0.25] * 4)) == pytest.approx(4.0)
    assert effective_number(pd.Series([1.0, 0.0, 0.0])) == pytest.approx(1.0)
    # rescaled to sum to one first
    assert effective_number(pd.Series([3.0, 3.0])) == pytest.approx(2.0)
    assert effective_number(pd.Series([0.5, 0.25, 0.25])) == pytest.approx(1 / 0.375)


def test_effective_number_of_minimodel_weightings_is_ordered(mm):
    cap = mm.universe.cap
    n_equal = effective_number(pd.Series(1.0, index=cap.index))
    n_root = effective_number(regression_weights(cap))
    n_cap = effective_number(cap_weights(cap))
    assert n_equal == pytest.approx(len(cap))
    assert n_equal > n_root > n_cap > 1


@SETTINGS
@given(st.lists(st.floats(min_value=0.01, max_value=100.0), min_size=1, max_size=30))
def test_effective_number_lies_between_one_and_n(values):
    n_eff = effective_number(pd.Series(values))
    assert 1 - 1e-9 <= n_eff <= len(values) + 1e-9


def test_effective_number_rejects_bad_weights():
    with pytest.raises(ValueError, match="negative for"):
        effective_number(pd.Series([0.5, -0.1]))
    with pytest.raises(ValueError, match="all zero"):
        effective_number(pd.Series([0.0, 0.0]))
    with pytest.raises(ValueError, match="NaN"):
        effective_number(pd.Series([0.5, np.nan]))


# ---------------------------------------------------------------- covered stocks


def test_standardise_like_reproduces_standardise(mm):
    weights = mm.universe.cap_weights
    for name in mm.descriptors.columns:
        d = mm.descriptors[name]
        pd.testing.assert_series_equal(standardise_like(d, d, weights), standardise(d, weights))


def test_covered_twin_gets_the_same_exposures(mm):
    # a covered stock with AXIOM's industry and descriptors lands exactly on AXIOM's row
    twin = mm.descriptors.loc[["AXIOM"]].rename(index={"AXIOM": "TWIN"})
    rows = covered_exposures(mm.universe, mm.descriptors, pd.Series({"TWIN": "TECH"}), twin)
    assert rows.columns.tolist() == mm.exposures.columns.tolist()
    np.testing.assert_allclose(rows.loc["TWIN"].to_numpy(), mm.exposures.loc["AXIOM"].to_numpy())


def test_covered_exposures_extrapolate_linearly(mm):
    # twice as far from the centre in the descriptor means twice the exposure
    weights = mm.universe.cap_weights
    d = mm.descriptors["VALUE"]
    centre = float(d @ weights)
    far = pd.Series({"FAR": centre + 2 * d.std(ddof=0)})
    assert standardise_like(far, d, weights)["FAR"] == pytest.approx(2.0)


def test_covered_exposures_reject_bad_input(mm):
    twin = mm.descriptors.loc[["AXIOM"]].rename(index={"AXIOM": "TWIN"})
    with pytest.raises(ValueError, match="unknown industry"):
        covered_exposures(mm.universe, mm.descriptors, pd.Series({"TWIN": "ENERGY"}), twin)
    with pytest.raises(ValueError, match=r"missing style descriptors \['SIZE'\]"):
        covered_exposures(mm.universe, mm.descriptors, pd.Series({"TWIN": "TECH"}), twin.drop(columns="SIZE"))
    with pytest.raises(ValueError, match="constant across stocks"):
        flat = pd.Series(1.0, index=mm.stocks, name="flat")
        standardise_like(flat, flat, mm.universe.cap_weights)


def test_structural_prediction_for_covered_stocks_matches_the_in_sample_fit(mm):
    z = pd.DataFrame({"const": 1.0, "log cap": np.log(mm.universe.cap)})
    variance = mm.specific_vol**2
    in_sample = structural_specific_variance(variance, z)
    twins = z.loc[["AXIOM", "DIGIT"]].rename(index=lambda s: s + "-TWIN")
    out = structural_specific_variance_for(twins, variance, z)
    assert out.tolist() == pytest.approx(in_sample[["AXIOM", "DIGIT"]].tolist())
    assert out["DIGIT-TWIN"] > out["AXIOM-TWIN"]  # smaller stocks are riskier in this data


def test_structural_model_recovers_an_exact_power_law():
    cap = pd.Series([1.0, 4.0, 16.0, 64.0])
    vol = 0.4 * cap**-0.25
    z = pd.DataFrame({"const": 1.0, "log cap": np.log(cap)})
    new = pd.DataFrame({"const": [1.0], "log cap": [np.log(0.25)]}, index=["NEW"])
    predicted = structural_specific_variance_for(new, vol**2, z)
    assert np.sqrt(predicted["NEW"]) == pytest.approx(0.4 * 0.25**-0.25)


def test_structural_prediction_rejects_mismatched_characteristics(mm):
    z = pd.DataFrame({"const": 1.0, "log cap": np.log(mm.universe.cap)})
    with pytest.raises(ValueError, match=r"missing characteristics \['log cap'\]"):
        structural_specific_variance_for(pd.DataFrame({"const": [1.0]}), mm.specific_vol**2, z)


# ---------------------------------------------------------------- weights by hand


def test_cap_and_industry_weights_by_hand():
    from mini.universe import Universe, industry_weights

    cap = pd.Series({"a": 6.0, "b": 3.0, "c": 1.0})
    assert cap_weights(cap).to_dict() == pytest.approx({"a": 0.6, "b": 0.3, "c": 0.1})
    industry = pd.Series({"c": "Y", "a": "X", "b": "Y"})
    by_industry = industry_weights(industry, cap, ["Y", "X", "Z"])
    assert by_industry.to_dict() == pytest.approx({"Y": 0.4, "X": 0.6, "Z": 0.0})
    assert list(industry_weights(industry, cap).index) == ["Y", "X"]  # order of first appearance
    universe = Universe(industry=industry, cap=cap, industries=("X", "Y"))
    assert universe.industry_weights.to_dict() == pytest.approx({"X": 0.6, "Y": 0.4})
    assert universe.cap_weights.to_dict() == pytest.approx({"a": 0.6, "b": 0.3, "c": 0.1})
    assert list(universe.stocks) == ["a", "b", "c"]


def test_effective_number_and_regression_weights_by_hand():
    assert effective_number(pd.Series([3.0, 1.0])) == pytest.approx(1 / (0.75**2 + 0.25**2), rel=1e-14)
    root = regression_weights(pd.Series({"a": 9.0, "b": 1.0}))
    assert root.to_dict() == pytest.approx({"a": 0.75, "b": 0.25}, rel=1e-14)


def test_universe_changes_by_hand():
    membership = pd.DataFrame(
        {"a": [True, True, False], "b": [False, True, True], "c": [True, False, True]}, index=[1, 2, 3]
    )
    changes = universe_changes(membership)
    assert changes.loc[2].to_dict() == {"entries": 1, "exits": 1}
    assert changes.loc[3].to_dict() == {"entries": 1, "exits": 1}
    assert list(changes.index) == [2, 3]


def test_universe_changes_of_exactly_two_periods_and_its_message():
    changes = universe_changes(pd.DataFrame({"a": [False, True], "b": [True, True]}, index=[7, 8]))
    assert changes.to_dict("index") == {8: {"entries": 1, "exits": 0}}
    with pytest.raises(ValueError, match=r"^membership must be a pandas DataFrame of booleans$"):
        universe_changes(pd.DataFrame({"A": [1.0, 0.0]}))
    with pytest.raises(ValueError, match=r"^need at least two periods to count changes, got 1$"):
        universe_changes(pd.DataFrame({"A": [True]}))


def test_cap_and_industry_weights_name_their_bad_input():
    cap = pd.Series({"a": 6.0, "b": 3.0})
    with pytest.raises(ValueError, match=r"^market caps must be positive; non-positive for \['b'\]$"):
        cap_weights(cap * [1.0, 0.0])
    with pytest.raises(ValueError, match=r"^market caps contains 1 NaN"):
        cap_weights(cap * [1.0, np.nan])
    from mini.universe import industry_weights

    with pytest.raises(ValueError, match=r"^industry labels must be a pandas Series, got list$"):
        industry_weights(["X", "Y"], cap)
    with pytest.raises(
        ValueError, match=r"^industry labels does not match the model's stocks: missing stocks \['b'\]$"
    ):
        industry_weights(pd.Series({"a": "X"}), cap)
    assert industry_weights(pd.Series({"b": "Y", "a": "X"}), cap).name == "industry weight"


def test_universe_aligns_and_freezes_its_inputs_and_names_bad_ones():
    from mini.universe import Universe

    universe = Universe(
        industry=pd.Series({"b": "Y", "a": "X"}), cap=pd.Series({"a": 6.0, "b": 3.0}), industries=("X", "Y")
    )
    assert universe.industry.tolist() == ["X", "Y"] and universe.cap_weights.name == "cap weight"
    assert not universe.cap.to_numpy().flags.writeable
    with pytest.raises(
        ValueError, match=r"^stocks belong to industries \['Z'\] not listed in industries \['X', 'Y'\]$"
    ):
        Universe(
            industry=pd.Series({"a": "Z", "b": "X"}),
            cap=pd.Series({"a": 6.0, "b": 3.0}),
            industries=("X", "Y"),
        )
    with pytest.raises(ValueError, match=r"^market caps must be positive; non-positive for \['b'\]$"):
        Universe(
            industry=pd.Series({"a": "X", "b": "X"}), cap=pd.Series({"a": 6.0, "b": -3.0}), industries=("X",)
        )
    with pytest.raises(ValueError, match=r"^market caps contains 1 NaN"):
        Universe(
            industry=pd.Series({"a": "X", "b": "X"}),
            cap=pd.Series({"a": 6.0, "b": np.nan}),
            industries=("X",),
        )
    with pytest.raises(ValueError, match=r"^industry labels must be a pandas Series, got dict$"):
        Universe(industry={"a": "X"}, cap=pd.Series({"a": 6.0}), industries=("X",))
    with pytest.raises(
        ValueError, match=r"^industry labels does not match the model's stocks: unknown stocks \['c'\]$"
    ):
        Universe(industry=pd.Series({"a": "X", "c": "X"}), cap=pd.Series({"a": 6.0}), industries=("X",))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"cap": [2.0, np.nan]}, r"^market caps contains 1 NaN"),
        ({"adv": [2.0, np.nan]}, r"^average daily volumes contains 1 NaN"),
        ({"adv": [2.0, -1.0]}, r"^average daily volumes must be non-negative; negative for \['S1'\]$"),
        ({"history": [24.0, -1.0]}, r"^histories must be non-negative; negative for \['S1'\]$"),
        ({"min_adv": -1.0}, r"^min_adv must be a non-negative number, got -1.0$"),
        ({"min_history": float("nan")}, r"^min_history must be a non-negative number, got nan$"),
        ({"min_cap": float("inf")}, r"^min_cap must be a non-negative number, got inf$"),
        ({"buffer": -0.1}, r"^buffer must lie in \[0, 1\), got -0.1$"),
        ({"buffer": 1.0}, r"^buffer must lie in \[0, 1\), got 1.0$"),
        ({"previous": [True, False]}, r"^previous must be a boolean pandas Series \(True for members\)$"),
        (
            {"adv_labels": ["S0", "S9"]},
            r"^average daily volumes does not match the model's stocks: missing stocks \['S1'\]",
        ),
        (
            {"history_labels": ["S0", "S9"]},
            r"^histories does not match the model's stocks: missing stocks \['S1'\]",
        ),
    ],
)
def test_estimation_universe_names_each_bad_input(change, message):
    s = frame(cap=[2.0, 1.0], adv=[10.0, 10.0], history=[24.0, 24.0])
    cap = pd.Series(change.get("cap", s.cap.tolist()), index=s.index)
    adv = pd.Series(change.get("adv", s.adv.tolist()), index=change.get("adv_labels", s.index))
    history = pd.Series(
        change.get("history", s.history.tolist()), index=change.get("history_labels", s.index)
    )
    rules = {**RULES, **{k: v for k, v in change.items() if k.startswith("min_")}}
    with pytest.raises(ValueError, match=message):
        estimation_universe(
            cap, adv, history, change.get("previous"), buffer=change.get("buffer", 0.0), **rules
        )


def test_estimation_universe_at_zero_thresholds_and_zero_values():
    s = frame(cap=[0.0, 1.0], adv=[0.0, 1.0], history=[0.0, 1.0])
    member = estimation_universe(s.cap, s.adv, s.history, min_cap=0.0, min_adv=0.0, min_history=0.0)
    assert member.tolist() == [True, True] and member.name == "in estimation universe"
    # a buffer just below one keeps an incumbent whose size has almost vanished
    previous = pd.Series([True, False], index=s.index)
    kept = estimation_universe(s.cap * 0 + 0.01, s.adv + 10, s.history + 24, previous, buffer=0.999, **RULES)
    assert kept.tolist() == [True, False]


@pytest.mark.parametrize(
    ("which", "message"),
    [
        ("cap order", r"^market caps must run oldest first, but 1 comes after 2$"),
        ("cap nan", r"^market caps contains 1 NaN"),
        ("adv nan", r"^average daily volumes contains 1 NaN"),
        ("history nan", r"^histories contains 1 NaN"),
        ("adv periods", r"^average daily volumes does not match the model's periods: missing periods \[2\]"),
        ("history stocks", r"^histories does not match the model's stocks: missing stocks \['B'\]"),
        ("empty", r"^market caps have no periods or no stocks$"),
    ],
)
def test_estimation_universe_path_names_each_bad_input(which, message):
    cap = pd.DataFrame({"A": [1.0, 2.0], "B": [3.0, 3.0]}, index=[1, 2])
    adv, history = cap * 10, cap * 0 + 24
    if which == "cap order":
        cap = cap.iloc[::-1]
    elif which == "cap nan":
        cap = cap.where(cap > 1.0)
    elif which == "adv nan":
        adv = adv.where(adv > 10.0)
    elif which == "history nan":
        history = history.where(cap > 1.0)
    elif which == "adv periods":
        adv = adv.set_axis([1, 3])
    elif which == "history stocks":
        history = history.rename(columns={"B": "C"})
    else:
        cap, adv, history = cap.iloc[:0], adv.iloc[:0], history.iloc[:0]
    with pytest.raises(ValueError, match=message):
        estimation_universe_path(cap, adv, history, **RULES)


def test_estimation_universe_path_keeps_the_stock_order_and_booleans():
    cap = pd.DataFrame({"B": [3.0, 0.5], "A": [0.5, 3.0]}, index=[1, 2])
    path = estimation_universe_path(cap, cap * 10, cap * 0 + 24, **RULES)
    assert path.columns.tolist() == ["B", "A"] and path.index.tolist() == [1, 2]
    assert path.dtypes.tolist() == [np.dtype(bool)] * 2
    assert path.to_numpy().tolist() == [[True, False], [False, True]]


def test_effective_number_messages_are_exact():
    with pytest.raises(ValueError, match=r"^weights must be non-negative; negative for \[2\]$"):
        effective_number(pd.Series([0.5, 0.0, -0.1]))
    with pytest.raises(
        ValueError, match=r"^weights are all zero, so there is no effective number of stocks$"
    ):
        effective_number(pd.Series([0.0, 0.0]))
    with pytest.raises(ValueError, match=r"^weights contains 1 NaN"):
        effective_number(pd.Series([0.5, np.nan]))
