"""Parameter counts and the singular sample covariance (chapter 1)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import SETTINGS

from mini.covariance import sample_covariance
from mini.dimensionality import (
    covariance_parameter_count,
    draw_returns,
    factor_model_parameter_count,
    zero_variance_portfolio,
)
from mini.risk_model import RiskModel


def random_returns(seed: int, n_periods: int, n_stocks: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    market = rng.normal(0, 0.01, n_periods)
    returns = np.outer(market, rng.uniform(0.5, 1.5, n_stocks)) + rng.normal(0, 0.02, (n_periods, n_stocks))
    return pd.DataFrame(returns, columns=[f"S{i}" for i in range(n_stocks)])


def test_parameter_counts_by_hand():
    assert covariance_parameter_count(1) == 1
    assert covariance_parameter_count(3) == 6  # three variances, three covariances
    assert covariance_parameter_count(3000) == 4_501_500
    assert factor_model_parameter_count(3000, 60) == 1830 + 3000


@given(n=st.integers(1, 300), k=st.integers(1, 200))
@SETTINGS
def test_parameter_counts_match_the_matrix(n, k):
    # a symmetric matrix is fixed by its upper triangle, diagonal included
    assert covariance_parameter_count(n) == len(np.triu_indices(n)[0])
    assert factor_model_parameter_count(n, k) == covariance_parameter_count(k) + n


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "10"])
def test_parameter_counts_reject_non_counts(bad):
    with pytest.raises(ValueError, match="positive whole number"):
        covariance_parameter_count(bad)
    with pytest.raises(ValueError, match="number of factors must be a positive whole number"):
        factor_model_parameter_count(10, bad)


@given(seed=st.integers(0, 2**32 - 1), n_periods=st.integers(3, 30), extra=st.integers(1, 20))
@SETTINGS
def test_fewer_periods_than_stocks_gives_a_riskless_portfolio(seed, n_periods, extra):
    returns = random_returns(seed, n_periods, n_periods + extra)
    sigma = sample_covariance(returns)
    # T periods of demeaned data span at most T - 1 dimensions
    assert np.linalg.matrix_rank(sigma.to_numpy()) == n_periods - 1
    w = zero_variance_portfolio(sigma)
    assert list(w.index) == list(sigma.index)
    assert w.sum() == pytest.approx(1.0)
    assert w @ sigma @ w == pytest.approx(0.0, abs=1e-12 * np.trace(sigma.to_numpy()))
    # its realised return is the same in every period of the sample: no variation at all
    realised = returns.to_numpy() @ w.to_numpy()
    assert np.ptp(realised) == pytest.approx(0.0, abs=1e-10)


def test_riskless_portfolio_has_the_smallest_sum_of_squares():
    sigma = sample_covariance(random_returns(3, 8, 12))
    w = zero_variance_portfolio(sigma).to_numpy()
    eigenvalues, vectors = np.linalg.eigh(sigma.to_numpy())
    null = vectors[:, eigenvalues <= 1e-10 * eigenvalues[-1]]
    # any other riskless, fully invested portfolio is w plus a dollar-neutral null-space vector
    v = null @ np.random.default_rng(0).normal(size=null.shape[1])
    neutral = v - v.sum() * w
    other = w + neutral
    assert other.sum() == pytest.approx(1.0)
    assert other @ sigma.to_numpy() @ other == pytest.approx(0.0, abs=1e-15)
    assert np.sum(other**2) > np.sum(w**2) + 0.5 * np.sum(neutral**2)


def test_enough_periods_leave_no_riskless_portfolio():
    sigma = sample_covariance(random_returns(1, 40, 10))
    with pytest.raises(ValueError, match="non-singular"):
        zero_variance_portfolio(sigma)


def test_dollar_neutral_null_space_is_rejected():
    # stocks 1 and 2 are the same, so long one and short the other is riskless,
    # but no fully invested portfolio is
    sigma = pd.DataFrame(
        [[2.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]], index=list("abc"), columns=list("abc")
    )
    with pytest.raises(ValueError, match="dollar-neutral"):
        zero_variance_portfolio(sigma)


def test_zero_variance_portfolio_rejects_bad_matrices():
    labels = list("ab")
    with pytest.raises(ValueError, match="not symmetric"):
        zero_variance_portfolio(pd.DataFrame([[1.0, 0.5], [0.0, 1.0]], index=labels, columns=labels))
    with pytest.raises(ValueError, match="not positive semi-definite"):
        zero_variance_portfolio(pd.DataFrame([[1.0, 2.0], [2.0, 1.0]], index=labels, columns=labels))
    with pytest.raises(ValueError, match="no positive eigenvalue"):
        zero_variance_portfolio(pd.DataFrame(np.zeros((2, 2)), index=labels, columns=labels))
    with pytest.raises(ValueError, match="NaN"):
        zero_variance_portfolio(pd.DataFrame([[1.0, np.nan], [np.nan, 1.0]], index=labels, columns=labels))
    with pytest.raises(ValueError, match="rel_tol"):
        zero_variance_portfolio(pd.DataFrame(np.eye(2), index=labels, columns=labels), rel_tol=0.0)


def one_factor_model(n: int = 6) -> RiskModel:
    stocks = pd.Index([f"S{i}" for i in range(n)])
    return RiskModel(
        exposures=pd.DataFrame({"MKT": np.linspace(0.6, 1.4, n)}, index=stocks),
        factor_cov=pd.DataFrame([[0.16**2]], index=["MKT"], columns=["MKT"]),
        specific_var=pd.Series(np.linspace(0.2, 0.4, n) ** 2, index=stocks),
    )


def test_drawn_returns_have_the_model_covariance():
    model = one_factor_model()
    returns = draw_returns(model, 200_000, periods_per_year=12, seed=5)
    assert returns.shape == (200_000, 6) and list(returns.columns) == list(model.stocks)
    annualised = sample_covariance(returns) * 12
    # sampling error of a covariance from 200,000 draws is well under one per cent of the largest entry
    assert (
        np.abs(annualised - model.covariance()).to_numpy().max() < 0.01 * model.covariance().to_numpy().max()
    )
    assert np.abs(returns.mean()).max() < 0.002


def test_a_singular_factor_covariance_draws_factor_returns_with_that_covariance():
    # two factors that always move together: F has rank one and no Cholesky factor
    stocks = [f"S{i}" for i in range(4)]
    f = pd.DataFrame(0.04 * np.ones((2, 2)), index=["A", "B"], columns=["A", "B"])
    model = RiskModel(
        exposures=pd.DataFrame({"A": [1.0, 0.0, 1.0, 0.5], "B": [0.0, 1.0, 1.0, 0.5]}, index=stocks),
        factor_cov=f,
        specific_var=pd.Series(0.01, index=stocks),
    )
    returns = draw_returns(model, 100_000, periods_per_year=1, seed=3)
    difference = np.abs(sample_covariance(returns) - model.covariance()).to_numpy().max()
    assert difference < 0.02 * model.covariance().to_numpy().max()


def test_draws_are_reproducible_and_seeded():
    model = one_factor_model()
    pd.testing.assert_frame_equal(draw_returns(model, 5, seed=1), draw_returns(model, 5, seed=1))
    assert not draw_returns(model, 5, seed=1).equals(draw_returns(model, 5, seed=2))
    rng = np.random.default_rng(1)
    pd.testing.assert_frame_equal(draw_returns(model, 5, seed=rng), draw_returns(model, 5, seed=1))


def test_draw_returns_rejects_bad_counts():
    with pytest.raises(ValueError, match="number of periods must be a positive whole number"):
        draw_returns(one_factor_model(), 0)
    with pytest.raises(ValueError, match="periods per year must be a positive whole number"):
        draw_returns(one_factor_model(), 10, periods_per_year=0)


def test_zero_variance_portfolio_by_hand():
    # two perfectly correlated stocks with vols 1 and 2:
    # the null vector of [[1, 2], [2, 4]] is (2, -1); scaled to sum to one: (2, -1)
    sigma = pd.DataFrame([[1.0, 2.0], [2.0, 4.0]], index=["a", "b"], columns=["a", "b"])
    assert np.allclose(zero_variance_portfolio(sigma), [2.0, -1.0], rtol=1e-12)


AB = ["a", "b"]


@pytest.mark.parametrize(
    ("matrix", "rel_tol", "message"),
    [
        ([[1.0, 0.5], [0.0, 1.0]], 1e-10, r"^covariance is not symmetric$"),
        (
            [[1.0, 2.0], [2.0, 1.0]],
            1e-10,
            r"^covariance is not positive semi-definite \(smallest eigenvalue -1\)$",
        ),
        (
            [[0.0, 0.0], [0.0, 0.0]],
            1e-10,
            r"^covariance has no positive eigenvalue: it describes no risk at all$",
        ),
        ([[1.0, np.nan], [np.nan, 1.0]], 1e-10, r"^covariance contains 2 NaN"),
        ([[1.0, 0.0], [0.0, 1.0]], 1.0, r"^rel_tol must lie strictly between 0 and 1, got 1.0$"),
        ([[1.0, 0.0], [0.0, 1.0]], float("nan"), r"^rel_tol must lie strictly between 0 and 1, got nan$"),
        (
            [[1.0, 0.0], [0.0, 2.0]],
            1e-10,
            r"^covariance is non-singular \(smallest eigenvalue 1\), so no portfolio has zero variance$",
        ),
        (
            [[1.0, 1.0], [1.0, 1.0]],
            1e-10,
            r"^every zero-variance combination of the stocks is dollar-neutral; none is fully invested$",
        ),
    ],
)
def test_zero_variance_portfolio_messages_are_exact(matrix, rel_tol, message):
    with pytest.raises(ValueError, match=message):
        zero_variance_portfolio(pd.DataFrame(matrix, index=AB, columns=AB), rel_tol=rel_tol)


def test_zero_variance_portfolio_is_labelled_weight_and_counts_name_themselves():
    sigma = pd.DataFrame([[1.0, 2.0], [2.0, 4.0]], index=AB, columns=AB)
    assert zero_variance_portfolio(sigma).name == "weight"
    with pytest.raises(ValueError, match=r"^number of stocks must be a positive whole number, got 0$"):
        covariance_parameter_count(0)
    with pytest.raises(ValueError, match=r"^number of stocks must be a positive whole number, got 0$"):
        factor_model_parameter_count(0, 1)


def test_drawn_returns_are_numbered_periods_from_one_with_daily_seed_0_defaults():
    returns = draw_returns(one_factor_model(), 3)
    pd.testing.assert_index_equal(returns.index, pd.RangeIndex(1, 4, name="period"))
    # the defaults are documented: 252 periods a year and seed 0
    pd.testing.assert_frame_equal(returns, draw_returns(one_factor_model(), 3, periods_per_year=252, seed=0))


def test_parameter_counts_are_whole_numbers():
    assert type(covariance_parameter_count(3)) is int
    assert type(factor_model_parameter_count(5, 3)) is int
