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


DESCRIPTOR = np.array([[1.0, 2.0, 4.0], [0.5, 0.0, -1.0]])
CAPS = np.array([[1.0, 2.0, 3.0], [2.0, 2.0, 1.0]])


@pytest.mark.parametrize(
    "descriptor, caps, message",
    [
        (np.where(DESCRIPTOR == 2.0, np.nan, DESCRIPTOR), CAPS, r"^descriptor contains 1 NaN"),
        (DESCRIPTOR, np.where(CAPS == 3.0, np.inf, CAPS), r"^caps contains 1 NaN"),
        (DESCRIPTOR[0], CAPS, r"^descriptor must be 2-dimensional, got shape \(3,\)$"),
        (DESCRIPTOR[:1], CAPS[0], r"^caps must be 2-dimensional, got shape \(3,\)$"),
        (DESCRIPTOR, np.where(CAPS == 3.0, 0.0, CAPS), r"^caps must be positive$"),
        (
            np.vstack([DESCRIPTOR[0], [7.0, 7.0, 7.0]]),
            CAPS,
            r"^the descriptor is constant across stocks in some period$",
        ),
    ],
)
def test_standardise_panel_rejects_bad_input(descriptor, caps, message):
    with pytest.raises(ValueError, match=message):
        standardise_panel(descriptor, caps)


@pytest.mark.parametrize(
    "caps, returns, message",
    [
        (
            pd.DataFrame(np.where(CAPS == 3.0, np.nan, CAPS)),
            pd.DataFrame(0.0 * CAPS),
            r"^caps contains 1 NaN",
        ),
        (pd.DataFrame(CAPS), pd.DataFrame(np.where(CAPS == 3.0, np.nan, 0.0)), r"^returns contains 1 NaN"),
        (
            pd.DataFrame(CAPS),
            pd.DataFrame(0.0 * CAPS[:, :2]),
            r"^caps \(2, 3\) and returns \(2, 2\) must have the same shape$",
        ),
    ],
)
def test_size_exposures_rejects_bad_input(caps, returns, message):
    with pytest.raises(ValueError, match=message):
        size_exposures(caps, returns)


def test_unadjusted_reverse_split_and_bad_returns():
    returns = pd.DataFrame({"A": [0.01, 0.02], "B": [0.0, 0.1]}, index=["t0", "t1"])
    # a one-for-two reverse split doubles the price: (1 + 0.1) * 2 - 1
    assert unadjusted_split(returns, "B", "t1", 0.5).loc["t1", "B"] == pytest.approx(1.2, rel=1e-15)
    pd.testing.assert_frame_equal(unadjusted_split(returns, "B", "t1", 1.0), returns, rtol=1e-14)  # no change
    with pytest.raises(ValueError, match=r"^returns contains 1 NaN"):
        unadjusted_split(returns.where(returns != 0.02), "B", "t1", 2.0)


def test_covariance_capacity_small_budgets_by_hand():
    # 16 bytes hold two numbers: one triangle of N = 1 (one number), not of N = 2 (three)
    assert covariance_capacity(16) == 1 and isinstance(covariance_capacity(16), int)
    # symmetric storage is the default: 24 bytes hold the three numbers of a 2 x 2 triangle
    assert covariance_capacity(24) == 2 and covariance_capacity(24, symmetric=False) == 1
    assert covariance_capacity(1.0) == 0  # less than one number
    assert covariance_capacity(3, itemsize=1) == 2  # one-byte items: three numbers
    for budget, itemsize in ((0.0, 8), (64, 0)):
        with pytest.raises(ValueError, match=r"^the budget and the item size must be positive$"):
            covariance_capacity(budget, itemsize=itemsize)
