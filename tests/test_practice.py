"""mini.practice: point-in-time exposures, unadjusted splits and covariance capacity, each
checked against a plain computation; bad input raises."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mini.exposures import standardise
from mini.practice import covariance_capacity, size_exposures, standardise_panel, unadjusted_split


def test_standardise_panel_equals_the_one_period_standardise():
    rng = np.random.default_rng(4)
    d, caps = rng.normal(size=(3, 9)), rng.lognormal(size=(3, 9))
    z = standardise_panel(d, caps)
    for t in range(3):
        weights = pd.Series(caps[t] / caps[t].sum())
        assert np.allclose(z[t], standardise(pd.Series(d[t], name="d"), weights))


def test_look_ahead_size_uses_the_end_of_period_cap():
    caps = pd.DataFrame([[1.0, 2.0, 4.0], [1.1, 1.8, 4.4]])
    returns = pd.DataFrame([[0.1, -0.1, 0.1], [0.0, 0.5, -0.5]])
    honest = size_exposures(caps, returns)
    peeking = size_exposures(caps, returns, look_ahead=True)
    assert np.allclose(honest, standardise_panel(np.log(caps.to_numpy()), caps.to_numpy()))
    assert np.allclose(peeking[0], standardise_panel(np.log([[1.1, 1.8, 4.4]]), caps.to_numpy()[:1])[0])


def test_unadjusted_split_halves_the_price_on_the_split_date_only():
    returns = pd.DataFrame({"A": [0.01, 0.02], "B": [0.0, 0.1]}, index=["t0", "t1"])
    broken = unadjusted_split(returns, "B", "t1", 2.0)
    assert broken.loc["t1", "B"] == pytest.approx(1.1 / 2 - 1)
    assert broken.drop(index="t1").equals(returns.drop(index="t1")) and broken["A"].equals(returns["A"])
    with pytest.raises(ValueError, match="unknown stock"):
        unadjusted_split(returns, "C", "t1", 2.0)
    with pytest.raises(ValueError, match="ratio"):
        unadjusted_split(returns, "B", "t1", 0.0)


@pytest.mark.parametrize("budget", [8, 80, 1000, 123_456, 1e9])
def test_covariance_capacity_is_the_largest_size_that_fits(budget):
    for symmetric in (True, False):
        n = covariance_capacity(budget, symmetric)
        count = (lambda m: m * (m + 1) // 2) if symmetric else (lambda m: m * m)
        assert 8 * count(n) <= budget < 8 * count(n + 1)


def test_practice_rejects_bad_input():
    with pytest.raises(ValueError, match="same"):
        standardise_panel(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="constant"):
        standardise_panel(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="positive"):
        covariance_capacity(-1.0)
