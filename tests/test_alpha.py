"""Alpha research tools: IC and neutralisation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mini.alpha import ic_summary, information_coefficient, neutralise


def test_ic_of_a_perfect_and_a_reversed_signal():
    rng = np.random.default_rng(0)
    r = pd.DataFrame(rng.normal(size=(5, 30)))
    assert np.allclose(information_coefficient(r, r), 1.0)
    assert np.allclose(information_coefficient(-r, r, rank=False), -1.0)
    noise = pd.DataFrame(rng.normal(size=(400, 30)))
    assert abs(information_coefficient(noise, pd.DataFrame(rng.normal(size=(400, 30)))).mean()) < 0.02


def test_ic_summary_t_statistic():
    ic = pd.Series([0.05, 0.03, 0.07, 0.01])
    summary = ic_summary(ic)
    assert np.isclose(summary["t-statistic"], ic.mean() / ic.std() * 2)


def test_neutralised_signal_has_no_weighted_factor_exposure(mm):
    signal = 0.5 * mm.exposures["VALUE"] + pd.Series(np.linspace(-1, 1, 10), index=mm.stocks)
    clean = neutralise(signal, mm.exposures, mm.regression_weights, mm.restriction)
    xr = (mm.exposures @ mm.restriction).to_numpy()
    assert np.allclose(xr.T @ (mm.regression_weights * clean).to_numpy(), 0.0, atol=1e-12)
    # a signal that is pure exposure neutralises to nothing
    assert np.allclose(
        neutralise(mm.exposures["VALUE"], mm.exposures, mm.regression_weights, mm.restriction),
        0.0,
        atol=1e-12,
    )


def test_alpha_bad_input():
    a = pd.DataFrame(np.ones((3, 4)))
    with pytest.raises(ValueError, match="constant across stocks"):
        information_coefficient(a, a + np.arange(4.0))
    with pytest.raises(ValueError, match="same periods and stocks"):
        information_coefficient(a, a.iloc[:2])
