"""Stress tests against numbers worked out by hand on a two-factor covariance."""

from __future__ import annotations

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
