"""Stress tests against numbers worked out by hand on a two-factor covariance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mini.stress import conditional_factor_shock, shock_impact, sigma_shock, single_factor_shock

# vols 0.2 and 0.1, correlation 0.5: covariance 0.01
F = pd.DataFrame([[0.04, 0.01], [0.01, 0.01]], index=["MKT", "VAL"], columns=["MKT", "VAL"])


def test_sigma_shock_by_hand():
    assert sigma_shock(F, "MKT", -3.0) == pytest.approx(-0.6, rel=1e-15)
    assert sigma_shock(F, "VAL", 2.0) == pytest.approx(0.2, rel=1e-15)


def test_single_factor_shock_moves_one_factor_only():
    moves = single_factor_shock(F.index, "VAL", -0.05)
    assert moves.to_dict() == {"MKT": 0.0, "VAL": -0.05}


def test_conditional_shock_by_hand():
    # E[f_VAL | f_MKT = -0.2] = 0.01 / 0.04 * -0.2 = -0.05
    moves = conditional_factor_shock(F, "MKT", -0.2)
    assert moves["MKT"] == pytest.approx(-0.2, rel=1e-15)
    assert moves["VAL"] == pytest.approx(-0.05, rel=1e-15)
    # conditioning on VAL: E[f_MKT | f_VAL = 0.1] = 0.01 / 0.01 * 0.1
    assert conditional_factor_shock(F, "VAL", 0.1)["MKT"] == pytest.approx(0.1, rel=1e-15)


def test_shock_impact_by_hand():
    exposures = pd.Series({"VAL": 0.5, "MKT": 1.2})
    moves = pd.Series({"MKT": -0.2, "VAL": -0.05})
    assert shock_impact(exposures, moves) == pytest.approx(1.2 * -0.2 + 0.5 * -0.05, rel=1e-15)


def test_stress_labels_and_messages():
    assert single_factor_shock(F.index, "MKT", 0.1).name == "factor move"
    assert conditional_factor_shock(F, "MKT", 0.1).name == "factor move"
    with pytest.raises(ValueError, match=r"^unknown factor \['MOM'\]"):
        sigma_shock(F, "MOM", 1.0)
    with pytest.raises(ValueError, match=r"^unknown factor \['MOM'\]"):
        single_factor_shock(F.index, "MOM", 1.0)
    with pytest.raises(ValueError, match=r"^unknown factor \['MOM'\]"):
        conditional_factor_shock(F, "MOM", 1.0)
    degenerate = pd.DataFrame([[0.0, 0.0], [0.0, 0.01]], index=F.index, columns=F.columns)
    with pytest.raises(
        ValueError, match=r"^factor covariance has a non-positive variance on its diagonal, for \['MKT'\]"
    ):
        conditional_factor_shock(degenerate, "MKT", 0.1)
    with pytest.raises(ValueError, match="^factor covariance is not symmetric"):
        conditional_factor_shock(F + np.array([[0.0, 0.01], [0.0, 0.0]]), "MKT", 0.1)
    with pytest.raises(ValueError, match="^factor covariance contains 1 NaN"):
        sigma_shock(F.mask(F > 0.03), "VAL", 1.0)
    with pytest.raises(ValueError, match="^factor moves does not match the model's factors"):
        shock_impact(pd.Series({"MKT": 1.0}), pd.Series({"VAL": 0.1}))
    with pytest.raises(ValueError, match="^exposures contains 1 NaN"):
        shock_impact(pd.Series({"MKT": np.nan}), pd.Series({"MKT": 0.1}))
    with pytest.raises(ValueError, match="^factor moves contains 1 NaN"):
        shock_impact(pd.Series({"MKT": 1.0}), pd.Series({"MKT": np.nan}))


@pytest.mark.parametrize("shock", [sigma_shock, conditional_factor_shock])
def test_shocks_name_a_covariance_with_a_nan(shock):
    with pytest.raises(ValueError, match="^factor covariance contains 1 NaN"):
        shock(F.mask(F > 0.03), "VAL", 1.0)
