"""Factor covariance estimators: identities on random inputs, recovery of the simulated truth, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import SETTINGS, seeds

from mini.covariance import (
    decay_from_half_life,
    effective_sample_size,
    eigenvalue_floor,
    ewma_covariance,
    ewma_covariance_forecasts,
    ewma_variance_forecasts,
    ewma_weights,
    newey_west_covariance,
    sample_covariance,
    shrink_covariance,
)
from mini.simulation import simulate_market


def random_returns(seed: int, n_periods: int = 60, n_factors: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(n_factors, n_factors))
    return pd.DataFrame(
        rng.normal(size=(n_periods, n_factors)) @ mixing * 0.02, columns=[f"F{k}" for k in range(n_factors)]
    )


@SETTINGS
@given(st.floats(0.5, 300), st.integers(1, 500))
def test_effective_sample_size_of_ewma_weights_has_a_closed_form(half_life, n):
    lam = decay_from_half_life(half_life)
    expected = (1 + lam) * (1 - lam**n) / ((1 - lam) * (1 + lam**n))
    assert effective_sample_size(ewma_weights(n, half_life)) == pytest.approx(expected, rel=1e-9)
    assert 1.0 - 1e-9 <= effective_sample_size(ewma_weights(n, half_life)) <= n + 1e-9


@SETTINGS
@given(seeds, st.floats(1, 100))
def test_ewma_covariance_is_the_weighted_sum_of_outer_products(seed, half_life):
    f = random_returns(seed)
    w = ewma_weights(len(f), half_life)
    expected = sum(w[t] * np.outer(f.iloc[t], f.iloc[t]) for t in range(len(f)))
    assert np.allclose(ewma_covariance(f, half_life), expected, rtol=1e-10, atol=1e-14)


@SETTINGS
@given(seeds, st.floats(2, 100))
def test_newey_west_with_zero_lags_equals_ewma_and_is_positive_semidefinite(seed, half_life):
    f = random_returns(seed)
    assert np.allclose(newey_west_covariance(f, lags=0, half_life=half_life), ewma_covariance(f, half_life))
    nw = newey_west_covariance(f, lags=3, half_life=half_life).to_numpy()
    assert np.allclose(nw, nw.T)
    assert np.linalg.eigvalsh(nw)[0] > -1e-12 * np.abs(nw).max()


@SETTINGS
@given(seeds, st.floats(1e-6, 1e-2))
def test_eigenvalue_floor_gives_min_eigenvalue_at_least_the_floor(seed, floor):
    f = random_returns(seed, n_periods=3, n_factors=5)  # fewer periods than factors: singular
    floored = eigenvalue_floor(sample_covariance(f), floor).to_numpy()
    assert np.linalg.eigvalsh(floored)[0] >= floor * (1 - 1e-9)
    np.linalg.cholesky(floored)  # positive definite


@SETTINGS
@given(seeds)
def test_eigenvalue_floor_leaves_a_well_conditioned_matrix_alone(seed):
    s = sample_covariance(random_returns(seed, n_periods=200))
    floor = 0.5 * np.linalg.eigvalsh(s)[0]
    assert np.allclose(eigenvalue_floor(s, floor), s, rtol=1e-10, atol=1e-15)


@SETTINGS
@given(seeds, st.floats(0, 1))
def test_shrinkage_keeps_variances_and_interpolates(seed, intensity):
    s = sample_covariance(random_returns(seed))
    for target in ("diagonal", "constant correlation"):
        shrunk = shrink_covariance(s, intensity, target)
        assert np.allclose(np.diag(shrunk), np.diag(s))
        full = shrink_covariance(s, 1.0, target)
        assert np.allclose(shrunk, (1 - intensity) * s + intensity * full)
    assert np.allclose(shrink_covariance(s, 0.0), s)


def test_ewma_covariance_recovers_the_true_calm_covariance():
    """600 calm months, half-life 200 (effective sample about 580): whitened eigenvalues near 1."""
    market = simulate_market(n_stocks=60, n_periods=600, n_industries=4, seed=41, crisis_entry=1e-9)
    estimate = ewma_covariance(market.factor_returns, half_life=200, demean=True).to_numpy()
    # The truth drifts a little as industry weights move, so the target is the truth
    # averaged with the same weights.
    truth = np.einsum("t,tkl->kl", ewma_weights(len(market.periods), 200), market.true_factor_cov)
    # The industry convention makes the true F singular (cap-weighted industries sum to
    # zero), so compare on the free factors: drop the last industry from both.
    keep = [k for k, name in enumerate(market.factors) if name != market.industries[-1]]
    estimate, truth = estimate[np.ix_(keep, keep)], truth[np.ix_(keep, keep)]
    root_inv = np.linalg.inv(np.linalg.cholesky(truth))
    whitened = np.linalg.eigvalsh(root_inv @ estimate @ root_inv.T)
    # sampling theory: about (1 ± sqrt(K / n_eff))^2 = [0.75, 1.30] for K = 7
    assert 0.6 < whitened.min() and whitened.max() < 1.5, whitened


def test_a_calm_covariance_under_forecasts_crises_by_the_crisis_multiplier():
    market = simulate_market(
        n_stocks=60,
        n_periods=1200,
        n_industries=4,
        seed=42,
        crisis_entry=0.1,
        crisis_exit=0.2,
        crisis_multiplier=2.0,
    )
    calm_vol = np.sqrt(market.regime_factor_cov[0, 0, 0])
    z = (market.factor_returns["MKT"] - 0.06 / 12) / calm_vol
    crisis = market.regime == "crisis"
    assert crisis.sum() > 200
    assert z[crisis].std() == pytest.approx(2.0, rel=0.15)
    assert z[~crisis].std() == pytest.approx(1.0, rel=0.15)


def test_covariance_bad_input():
    f = random_returns(0)
    with pytest.raises(ValueError, match="lags must be a non-negative integer"):
        newey_west_covariance(f, lags=-1)
    with pytest.raises(ValueError, match="lags must be a non-negative integer"):
        newey_west_covariance(f, lags=1.5)
    with pytest.raises(ValueError, match="need at least 12 periods"):
        newey_west_covariance(f.iloc[:5], lags=10)
    with pytest.raises(ValueError, match="half-life must be a positive"):
        ewma_covariance(f, half_life=30, vol_half_life=-1)
    flat = f.assign(F0=0.0)
    with pytest.raises(ValueError, match=r"\['F0'\] are all zero"):
        ewma_covariance(flat, half_life=30, vol_half_life=10)
    with pytest.raises(ValueError, match="non-positive variance"):
        shrink_covariance(flat.cov(), 0.5)
    with pytest.raises(ValueError, match="not symmetric"):
        eigenvalue_floor(pd.DataFrame([[1.0, 0.5], [0.0, 1.0]]), 0.1)
    with pytest.raises(ValueError, match="NaN"):
        sample_covariance(f.mask(f > 0.05))
    with pytest.raises(ValueError, match="warm-up must be at least one"):
        ewma_variance_forecasts(f, half_life=10, warmup=0)
    with pytest.raises(ValueError, match="need at least 61 periods"):
        ewma_covariance_forecasts(f, half_life=10, warmup=60)
    with pytest.raises(ValueError, match="weights must be non-negative"):
        effective_sample_size(np.array([0.5, -0.1]))
    with pytest.raises(ValueError, match="need at least one period"):
        ewma_weights(0, 10)
