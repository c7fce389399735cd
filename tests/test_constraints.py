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
