"""Alpha research tools: IC and neutralisation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mini.alpha import ic_by_horizon, ic_summary, information_coefficient, neutralise


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


def test_ic_against_scipy_and_ic_summary_by_hand():
    from scipy import stats

    rng = np.random.default_rng(4)
    signal = pd.DataFrame(rng.normal(size=(3, 6)), columns=list("abcdef"))
    returns = pd.DataFrame(rng.normal(size=(3, 6)), columns=list("abcdef"))
    returns.iloc[0, :2] = 1.5  # a tie: ranks are averaged
    spearman = information_coefficient(signal, returns)
    pearson = information_coefficient(signal, returns, rank=False)
    for t in range(3):
        assert spearman[t] == pytest.approx(stats.spearmanr(signal.iloc[t], returns.iloc[t])[0], rel=1e-12)
        assert pearson[t] == pytest.approx(stats.pearsonr(signal.iloc[t], returns.iloc[t])[0], rel=1e-12)
    summary = ic_summary(pd.Series([0.1, 0.0, 0.05, 0.05]))
    # mean 0.05; deviations 0.05, -0.05, 0, 0: sd sqrt(0.005 / 3)
    sd = np.sqrt(0.005 / 3)
    assert summary["mean IC"] == pytest.approx(0.05)
    assert summary["IC volatility"] == pytest.approx(sd, rel=1e-12)
    assert summary["IC IR"] == pytest.approx(0.05 / sd, rel=1e-12)
    assert summary["t-statistic"] == pytest.approx(0.05 / sd * 2, rel=1e-12)


def test_neutralised_signal_is_the_weighted_least_squares_residual():
    rng = np.random.default_rng(5)
    stocks = list("abcdefg")
    x = pd.DataFrame({"MKT": 1.0, "VAL": rng.normal(size=7)}, index=stocks)
    s = pd.Series(rng.normal(size=7), index=stocks)
    w = pd.Series(rng.uniform(0.5, 2.0, 7), index=stocks)
    root = np.sqrt(w.to_numpy())
    coef = np.linalg.lstsq(x.to_numpy() * root[:, None], s.to_numpy() * root, rcond=None)[0]
    assert np.allclose(neutralise(s, x, w), s.to_numpy() - x.to_numpy() @ coef, rtol=1e-10, atol=1e-14)


def test_alpha_labels_and_messages():
    signal = pd.DataFrame([[1.0, 2.0, 3.0], [3.0, 1.0, 2.0]], columns=list("abc"))
    assert information_coefficient(signal, signal).name == "IC"
    assert list(ic_summary(pd.Series([0.1, 0.2])).index) == [
        "mean IC",
        "IC volatility",
        "IC IR",
        "t-statistic",
    ]
    with pytest.raises(ValueError, match="^need at least two periods of IC$"):
        ic_summary(pd.Series([0.1]))
    with pytest.raises(ValueError, match="^signal or returns are constant across stocks in some period"):
        information_coefficient(signal, signal.assign(a=1.0, b=1.0, c=1.0), rank=False)
    with pytest.raises(ValueError, match=r"^signal \(2, 3\) and returns \(2, 2\) must have the same periods"):
        information_coefficient(signal, signal[["a", "b"]])
    stocks = list("abcd")
    x = pd.DataFrame({"MKT": 1.0}, index=stocks)
    s = pd.Series([1.0, 2.0, 3.0, 6.0], index=stocks, name="anything")
    clean = neutralise(s, x, pd.Series(1.0, index=stocks))
    assert clean.name == "neutralised signal"
    assert clean.tolist() == pytest.approx([-2.0, -1.0, 0.0, 3.0])  # minus the mean, 3


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ic_summary(pd.Series([0.1, np.nan])), r"^IC contains 1 NaN"),
        (
            lambda: neutralise(
                pd.Series([1.0, np.nan], index=["a", "b"]),
                pd.DataFrame({"MKT": 1.0}, index=["a", "b"]),
                pd.Series(1.0, index=["a", "b"]),
            ),
            r"^signal contains 1 NaN",
        ),
        (
            lambda: information_coefficient(pd.DataFrame([[1.0, np.nan]]), pd.DataFrame([[1.0, 2.0]])),
            r"^signal contains 1 NaN",
        ),
        (
            lambda: information_coefficient(pd.DataFrame([[1.0, 2.0]]), pd.DataFrame([[1.0, np.inf]])),
            r"^returns contains 1 NaN",
        ),
        (
            lambda: ic_by_horizon(pd.DataFrame([[1.0, np.nan]]), pd.DataFrame([[1.0, 2.0]] * 3), [0]),
            r"^signal contains 1 NaN",
        ),
        (
            lambda: ic_by_horizon(pd.DataFrame([[1.0, 2.0]]), pd.DataFrame([[1.0, np.nan]] * 3), [0]),
            r"^returns contains 3 NaN",
        ),
    ],
)
def test_alpha_inputs_are_named_in_the_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_ic_checks_columns_and_keeps_the_period_labels():
    """Same shape and periods but other stocks is rejected (each label check counts on its
    own); a constant period is named in full; the IC keeps the signal's period labels."""
    signal = pd.DataFrame([[1.0, 2.0, 3.0], [3.0, 1.0, 2.0]], index=["p1", "p2"], columns=list("abc"))
    with pytest.raises(
        ValueError,
        match=r"^signal \(2, 3\) and returns \(2, 3\) must have the same periods and stocks$",
    ):
        information_coefficient(signal, signal.set_axis(list("abd"), axis=1))
    with pytest.raises(
        ValueError,
        match=r"^signal or returns are constant across stocks in some period, so the IC is undefined$",
    ):
        information_coefficient(signal, signal.assign(a=1.0, b=1.0, c=1.0), rank=False)
    # row p1: ranks (1, 2, 3) against (3, 1, 2): centred (-1, 0, 1) and (1, -1, 0), corr -1/2
    ic = information_coefficient(signal, signal.iloc[::-1].set_axis(["p1", "p2"]))
    assert list(ic.index) == ["p1", "p2"]
    assert ic["p1"] == pytest.approx(-0.5, rel=1e-14)
