"""The change of basis for linear constraints, against matrices worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mini.constraints import (
    apply_restriction,
    industry_constraint,
    industry_restrictions,
    restriction_matrix,
    sum_to_zero_constraints,
)

FACTORS = ["MKT", "X", "Y", "Z"]


def test_industry_constraint_row_by_hand():
    row = industry_constraint(pd.Series({"Y": 0.3, "X": 0.5, "Z": 0.2}), FACTORS)
    assert row.shape == (1, 4)
    assert row.iloc[0].to_dict() == {"MKT": 0.0, "X": 0.5, "Y": 0.3, "Z": 0.2}


def test_restriction_matrix_by_hand():
    row = industry_constraint(pd.Series({"X": 0.5, "Y": 0.3, "Z": 0.2}), FACTORS)
    r = restriction_matrix(row)  # eliminates Z, the last factor the row involves
    assert list(r.columns) == ["MKT", "X", "Y"]
    expected = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, -2.5, -1.5]]  # f_Z = -(0.5 f_X + 0.3 f_Y) / 0.2
    assert np.allclose(r, expected, rtol=1e-14)
    r_x = restriction_matrix(row, eliminate=["X"])
    assert np.allclose(r_x.loc["X"], [0.0, -0.6, -0.4], rtol=1e-14)  # f_X = -(0.3 f_Y + 0.2 f_Z) / 0.5
    f = apply_restriction(r, pd.Series({"Y": 0.01, "MKT": 0.02, "X": -0.02}))
    assert f.to_dict() == pytest.approx({"MKT": 0.02, "X": -0.02, "Y": 0.01, "Z": 0.05 - 0.015})


def test_two_constraints_by_hand():
    rows = pd.DataFrame([[0.0, 1.0, 1.0, 0.0], [1.0, 0.0, 0.0, -1.0]], columns=FACTORS, index=["c1", "c2"])
    r = restriction_matrix(rows)  # eliminates Y (c1) and Z (c2): f_Y = -f_X, f_Z = f_MKT
    assert list(r.columns) == ["MKT", "X"]
    assert np.allclose(r, [[1, 0], [0, 1], [0, -1], [1, 0]], rtol=1e-14)


def test_industry_restrictions_by_hand():
    # five factors, industries at positions 1, 2, 3; the last industry (3) is eliminated
    weights = np.array([[0.5, 0.3, 0.2], [0.25, 0.25, 0.5]])
    stacked = industry_restrictions(weights, [1, 2, 3], n_factors=5)
    first = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, -2.5, -1.5, 0], [0, 0, 0, 1]]
    second = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, -0.5, -0.5, 0], [0, 0, 0, 1]]
    assert np.allclose(stacked, [first, second], rtol=1e-14)


R_BY_HAND = pd.DataFrame(
    [[1.0, 0.0], [0.0, 1.0], [0.0, -1.0], [1.0, 0.0]], index=FACTORS, columns=["MKT", "X"]
)


@pytest.mark.parametrize(
    "restriction, free_returns, message",
    [
        (R_BY_HAND.replace(-1.0, np.nan), {"MKT": 0.01, "X": 0.02}, r"^restriction matrix contains 1 NaN"),
        (R_BY_HAND, {"MKT": 0.01, "X": np.nan}, r"^free factor returns contains 1 NaN"),
        (
            R_BY_HAND,
            {"MKT": 0.01, "Y": 0.02},
            r"^free factor returns does not match the model's free factors: "
            r"missing free factors \['X'\]; unknown free factors \['Y'\]$",
        ),
    ],
)
def test_apply_restriction_names_the_bad_input(restriction, free_returns, message):
    with pytest.raises(ValueError, match=message):
        apply_restriction(restriction, pd.Series(free_returns))


def test_unknown_industry_named_in_full():
    """An industry weight for a factor that is not in the model is named, with the known factors."""
    with pytest.raises(ValueError, match=r"^unknown factor \['ZZZ'\]; known factors are \['A', 'B'\]$"):
        industry_constraint(pd.Series({"A": 0.5, "ZZZ": 0.5}), ["A", "B"])


def test_restriction_matrix_shows_no_negative_zero():
    """A zero coefficient on a free factor gives a zero loading, +0.0 and not -0.0, for display."""
    # A + 0·B + C = 0 solved for C: C = −A − 0·B, so R[C, B] = −0.0 before the "+ 0.0"
    constraints = pd.DataFrame([[1.0, 0.0, 1.0]], index=["c"], columns=["A", "B", "C"])
    r = restriction_matrix(constraints, eliminate=["C"])
    assert r.loc["C", "A"] == -1.0 and r.loc["C", "B"] == 0.0
    assert not np.signbit(r.to_numpy()[r.to_numpy() == 0.0]).any()


def test_sum_to_zero_constraints_labels_and_messages():
    """Rows are named after their groups; bad cap weights, unknown factors and no groups raise in full."""
    factors = ["W", "US", "UK", "TECH"]
    rows = sum_to_zero_constraints({"countries": pd.Series({"US": 0.6, "UK": 0.4})}, factors)
    assert list(rows.index) == ["cap-weighted countries sum to zero"]
    assert rows.iloc[0].tolist() == [0.0, 0.6, 0.4, 0.0]
    with pytest.raises(ValueError, match=r"^cap weights of countries contains 1 NaN or infinite value\(s\)$"):
        sum_to_zero_constraints({"countries": pd.Series({"US": 0.6, "UK": np.nan})}, factors)
    with pytest.raises(
        ValueError, match=r"^unknown factor \['FR'\]; known factors are \['W', 'US', 'UK', 'TECH'\]$"
    ):
        sum_to_zero_constraints({"countries": pd.Series({"US": 0.6, "FR": 0.4})}, factors)
    with pytest.raises(ValueError, match=r"^no groups given: nothing to constrain$"):
        sum_to_zero_constraints({}, factors)


def test_industry_restrictions_allow_an_empty_industry_that_is_not_eliminated():
    """Only the last (eliminated) industry needs weight: zeros elsewhere give zero loadings."""
    # six factors, industries at 1..4; the second and third industries are empty
    stacked = industry_restrictions(np.array([[0.4, 0.0, 0.0, 0.6]]), [1, 2, 3, 4], n_factors=6)
    # f_4 = −(0.4 f_1 + 0 f_2 + 0 f_3) / 0.6
    assert np.allclose(stacked[0, 4], [0, -0.4 / 0.6, 0, 0, 0], rtol=1e-14)


@pytest.mark.parametrize(
    "weights, columns, message",
    [
        (
            np.array([[0.5, np.nan, 0.2]]),
            [1, 2, 3],
            r"^industry weights contains 1 NaN or infinite value\(s\)$",
        ),
        (np.array([0.5, 0.3, 0.2]), [1, 2, 3], r"^industry weights must be 2-dimensional, got shape \(3,\)$"),
        (np.array([[0.5, 0.5]]), [1, 2, 3], r"^industry weights have 2 columns for 3 industry factors$"),
        (
            np.array([[0.5, 0.5, 0.0]]),
            [1, 2, 3],
            r"^the eliminated \(last\) industry has zero weight in some period, "
            r"so the constraint cannot be solved for it$",
        ),
    ],
)
def test_industry_restrictions_name_the_bad_input(weights, columns, message):
    """Bad industry weights are named in full; a last industry of weight exactly 0 is refused."""
    with pytest.raises(ValueError, match=message):
        industry_restrictions(weights, columns, n_factors=5)
