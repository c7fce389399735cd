"""mini's panel regression agrees with skfolio's CharacteristicsFactorModel on the same panel."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("skfolio", reason="skfolio is not importable (it is in requirements.txt)")

from skfolio_crosscheck import skfolio_factor_returns, skfolio_model, skfolio_panel  # noqa: E402

from mini.simulation import fit_cross_sections, simulate_market  # noqa: E402

TOLERANCE = 1e-10  # both solve the same normal equations; only rounding differs


@pytest.mark.parametrize("frequency, n_stocks, n_periods", [("monthly", 150, 24), ("daily", 120, 60)])
def test_factor_returns_equal_skfolio(frequency, n_stocks, n_periods):
    market = simulate_market(n_stocks=n_stocks, n_periods=n_periods, frequency=frequency, seed=31)
    ours = fit_cross_sections(market).factor_returns
    theirs = skfolio_factor_returns(market)
    assert list(theirs.columns) == list(ours.columns)
    assert theirs.index.equals(ours.index)
    assert np.max(np.abs(theirs.to_numpy() - ours.to_numpy())) < TOLERANCE


def test_residuals_equal_skfolio_idiosyncratic_returns():
    market = simulate_market(n_stocks=100, n_periods=18, seed=32)
    model = skfolio_model(market)
    model.fit(characteristics=skfolio_panel(market))
    theirs = model.factor_model_.idio_returns_df.to_numpy()
    ours = fit_cross_sections(market).residuals.to_numpy()
    assert theirs.shape == ours.shape
    assert np.max(np.abs(theirs - ours)) < TOLERANCE


def test_reference_bad_input():
    with pytest.raises(ValueError, match="must be a SimulatedMarket"):
        skfolio_factor_returns("not a market")
    market = simulate_market(n_stocks=60, n_periods=6, seed=33)
    with pytest.raises(ValueError, match="half-life must be a positive"):
        skfolio_model(market, half_life=0)
