"""The production repairs of a risk model, each checked against a known truth: it must
measurably reduce the bias it exists for (eigenfactor adjustment, Newey–West, volatility
regime adjustment, structural blend and Bayesian shrinkage of specific risk)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mini.covariance import (
    cross_sectional_bias,
    eigenfactor_adjusted_forecasts,
    eigenfactor_adjustment,
    ewma_covariance,
    ewma_variance_forecasts,
    newey_west_covariance_forecasts,
    simulated_eigen_bias,
    volatility_regime_adjustment,
    volatility_regime_multipliers,
)
from mini.evaluation import (
    bias_band,
    exceedance_band,
    kurtosis_adjusted_bias_band,
    mean_rolling_absolute_deviation,
    minimum_variance_weights,
    q_statistic_band,
)
from mini.specific_risk import (
    bayesian_shrinkage,
    blend_confidence,
    structural_blend,
    time_series_specific_risk,
)


def _true_cov(k: int = 12, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    loadings = rng.normal(0, 1, (k, 3))
    vols = rng.uniform(0.5, 2.0, k)
    cov = loadings @ loadings.T + np.diag(vols**2)
    names = [f"F{i}" for i in range(k)]
    return pd.DataFrame(cov, index=names, columns=names)


def _eigen_true_bias(estimate: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """sqrt(u' F_true u / u' F_est u) for each eigenportfolio u of the estimate (ascending)."""
    values, vectors = np.linalg.eigh(estimate)
    return np.sqrt(np.einsum("kj,kl,lj->j", vectors, truth, vectors) / values)


# --- Eigenfactor adjustment ------------------------------------------------------------


def test_eigenfactor_adjustment_removes_the_bias_of_the_smallest_eigenportfolios():
    truth = _true_cov()
    rng = np.random.default_rng(1)
    chol = np.linalg.cholesky(truth.to_numpy())
    n_periods, before, after = 60, [], []
    for trial in range(40):  # forty independent histories, each estimated and adjusted
        returns = pd.DataFrame(rng.standard_normal((n_periods, len(truth))) @ chol.T, columns=truth.columns)
        estimate = returns.T @ returns / n_periods
        adjusted = eigenfactor_adjustment(estimate, n_periods, n_simulations=200, scale=1.0, seed=trial)
        before.append(_eigen_true_bias(estimate.to_numpy(), truth.to_numpy()))
        after.append(_eigen_true_bias(adjusted.to_numpy(), truth.to_numpy()))
    before, after = np.mean(before, axis=0), np.mean(after, axis=0)
    assert before[0] > 1.3  # the smallest eigenportfolio's risk is badly under-estimated
    assert abs(after[0] - 1) < 0.1 < abs(before[0] - 1) / 3
    assert np.mean(np.abs(after - 1)) < np.mean(np.abs(before - 1)) / 2


def test_eigenfactor_adjustment_keeps_labels_eigenvectors_and_definiteness():
    truth = _true_cov(6)
    adjusted = eigenfactor_adjustment(truth, 40, n_simulations=100, seed=3)
    assert adjusted.index.equals(truth.index) and adjusted.columns.equals(truth.columns)
    assert np.allclose(adjusted, adjusted.T)
    assert np.linalg.eigvalsh(adjusted)[0] > 0
    _, vectors = np.linalg.eigh(truth)
    rotated = vectors.T @ adjusted.to_numpy() @ vectors
    assert np.allclose(rotated - np.diag(np.diag(rotated)), 0, atol=1e-10)
    # scale 0 means no adjustment; the simulated bias rises towards the small eigenvalues
    assert np.allclose(eigenfactor_adjustment(truth, 40, n_simulations=50, scale=0.0), truth)
    bias = simulated_eigen_bias(truth, 40, n_simulations=200)
    assert bias.iloc[0] > bias.iloc[-1] and bias.iloc[-1] < 1.05


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_periods": 5}, "more periods than factors"),
        ({"n_periods": 40, "scale": -1.0}, "scale must be"),
        ({"n_periods": 40, "n_simulations": 0}, "n_simulations must be"),
        ({"n_periods": 40.5}, "n_periods must be an integer"),
    ],
)
def test_eigenfactor_adjustment_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        eigenfactor_adjustment(_true_cov(6), **kwargs)


def test_eigenfactor_adjustment_refuses_a_matrix_that_is_not_positive_definite():
    singular = pd.DataFrame(np.ones((3, 3)), index=list("abc"), columns=list("abc"))
    with pytest.raises(ValueError, match="positive definite"):
        eigenfactor_adjustment(singular, 40)


# --- Newey–West on serially correlated returns ------------------------------------------


def _ar1_returns(phi: float, n: int, k: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    e = rng.standard_normal((n, k))
    u = np.empty_like(e)
    u[0] = e[0]
    for t in range(1, n):
        u[t] = phi * u[t - 1] + np.sqrt(1 - phi**2) * e[t]
    return pd.DataFrame(u, columns=[f"F{i}" for i in range(k)])


def test_newey_west_forecasts_recover_the_long_run_variance():
    phi, horizon = 0.2, 21
    returns = _ar1_returns(phi, 6000, 8, seed=2)
    lags = np.arange(1, horizon)
    truth = 1 + 2 * np.sum((1 - lags / horizon) * phi**lags)  # per-period variance of a 21-day sum
    raw = newey_west_covariance_forecasts(returns, half_life=500, lags=0, warmup=100)
    nw = newey_west_covariance_forecasts(returns, half_life=500, lags=10, warmup=100)
    raw_ratio = np.mean(np.diagonal(raw[-1])) / truth
    nw_ratio = np.mean(np.diagonal(nw[-1])) / truth
    assert raw_ratio < 0.75  # the daily variance misses a third of the monthly risk
    assert abs(nw_ratio - 1) < min(0.1, abs(raw_ratio - 1) / 3)


def test_newey_west_forecasts_without_lags_are_the_ewma_of_earlier_returns():
    returns = _ar1_returns(0.1, 300, 4, seed=3)
    forecasts = newey_west_covariance_forecasts(returns, half_life=40, lags=0, warmup=50)
    assert forecasts.shape == (250, 4, 4)
    for t in (50, 177, 299):
        expected = ewma_covariance(returns.iloc[:t], half_life=40)
        assert np.allclose(forecasts[t - 50], expected, rtol=1e-10)
    with pytest.raises(ValueError, match="larger than the number of lags"):
        newey_west_covariance_forecasts(returns, half_life=40, lags=5, warmup=5)


# --- Volatility regime adjustment -----------------------------------------------------


def test_regime_multiplier_matches_the_end_of_history_adjustment():
    rng = np.random.default_rng(4)
    z = pd.DataFrame(rng.standard_normal((200, 5)))
    multipliers = volatility_regime_multipliers(cross_sectional_bias(z), half_life=20)
    assert multipliers.iloc[0] == 1.0
    assert np.isclose(multipliers.iloc[-1], volatility_regime_adjustment(z.iloc[:-1], 20) ** 2)


def test_cross_sectional_bias_with_cap_weights():
    z = pd.DataFrame([[1.0, 3.0], [2.0, 0.0]], columns=["a", "b"])
    caps = pd.DataFrame([[3.0, 1.0], [1.0, 1.0]], columns=["a", "b"])
    assert np.allclose(cross_sectional_bias(z, caps), [(3 * 1 + 9) / 4, 2.0])
    with pytest.raises(ValueError, match="non-negative with a positive sum"):
        cross_sectional_bias(z, -caps)


def test_regime_adjustment_cuts_the_rolling_bias_after_volatility_jumps():
    rng = np.random.default_rng(5)
    n, k = 3000, 20
    level = np.where((np.arange(n) // 250) % 2 == 1, 2.5, 1.0)  # calm and volatile years
    returns = pd.DataFrame(rng.standard_normal((n, k)) * level[:, None])
    forecasts = ewma_variance_forecasts(returns, half_life=90, warmup=60)
    z = returns.iloc[60:] / np.sqrt(forecasts)
    multipliers = volatility_regime_multipliers(cross_sectional_bias(z), half_life=10)
    z_adjusted = z.div(np.sqrt(multipliers), axis=0)
    portfolio = pd.Series(np.ones(k), index=z.columns) / np.sqrt(k)
    raw_outcome = (z * portfolio).sum(axis=1)  # independent factors: equal-risk basket
    adjusted_outcome = (z_adjusted * portfolio).sum(axis=1)
    before = mean_rolling_absolute_deviation(raw_outcome, 60)
    after = mean_rolling_absolute_deviation(adjusted_outcome, 60)
    assert after < 0.6 * before


# --- Specific risk: structural blend and Bayesian shrinkage ------------------------------


def _specific_panel(seed: int = 6):
    """Stocks with true specific vols driven by size and industry, some with short histories."""
    rng = np.random.default_rng(seed)
    n, t = 800, 500
    stocks = [f"S{i}" for i in range(n)]
    caps = pd.Series(rng.lognormal(0, 1.3, n), index=stocks)
    size = (np.log(caps) - np.log(caps).mean()) / np.log(caps).std()
    industry = rng.integers(0, 5, n)
    exposures = pd.DataFrame(np.eye(5)[industry], index=stocks, columns=[f"I{j}" for j in range(5)])
    exposures["SIZE"] = size
    exposures.insert(0, "MKT", 1.0)
    true_vol = 0.02 * np.exp(-0.25 * size + 0.2 * (industry - 2) + rng.normal(0, 0.15, n))
    draws = rng.standard_t(5, (t, n)) / np.sqrt(5 / 3) * true_vol.to_numpy()
    history = np.where(rng.random(n) < 0.3, rng.integers(10, 100, n), t)
    residuals = pd.DataFrame(draws, columns=stocks)
    for i, h in enumerate(history):
        residuals.iloc[: t - h, i] = np.nan
    return residuals, caps, exposures, true_vol


def test_structural_blend_fixes_short_histories():
    residuals, caps, exposures, truth = _specific_panel()
    stats = time_series_specific_risk(residuals, half_life=84)
    gamma = blend_confidence(stats["history"], stats["equal vol"], stats["robust vol"])
    blended = structural_blend(stats["ewma vol"], exposures, caps, gamma)
    short = stats["history"] < 60  # no confidence in the time series: structural only
    error_ts = np.abs(np.log(stats["ewma vol"] / truth))[short].mean()
    error_blend = np.abs(np.log(blended / truth))[short].mean()
    assert error_blend < 0.8 * error_ts
    long = ~short & (gamma == 1)
    assert np.allclose(blended[long], stats["ewma vol"][long])


def test_blend_confidence_formula():
    idx = ["a", "b", "c", "d"]
    history = pd.Series([30, 120, 400, 400], index=idx)
    equal = pd.Series([1.0, 1.0, 1.0, 3.0], index=idx)
    robust = pd.Series(1.0, index=idx)
    gamma = blend_confidence(history, equal, robust)
    assert np.allclose(gamma, [0.0, 0.5, 1.0, np.exp(1 - 2.0)])
    with pytest.raises(ValueError, match="robust volatilities must be positive"):
        blend_confidence(history, equal, robust * 0)


def test_bayesian_shrinkage_removes_the_selection_bias_of_extreme_forecasts():
    rng = np.random.default_rng(7)
    n, t = 3000, 60
    stocks = [f"S{i}" for i in range(n)]
    caps = pd.Series(rng.lognormal(0, 1.3, n), index=stocks)
    size = (np.log(caps) - np.log(caps).mean()) / np.log(caps).std()
    truth = pd.Series(0.02 * np.exp(-0.2 * size + rng.normal(0, 0.2, n)), index=stocks)
    sample = pd.Series(
        (rng.standard_t(5, (t, n)) / np.sqrt(5 / 3) * truth.to_numpy()).std(axis=0, ddof=1), index=stocks
    )
    shrunk = bayesian_shrinkage(sample, caps)

    def extreme_bias(forecast: pd.Series) -> float:
        """Mean |truth / forecast - 1| over the top and bottom deciles of the forecast."""
        deciles = pd.qcut(forecast, 10, labels=False)
        ratio = truth / forecast
        return float(np.mean([abs(ratio[deciles == d].mean() - 1) for d in (0, 9)]))

    assert extreme_bias(shrunk) < 0.6 * extreme_bias(sample)
    # a stock at its group's mean does not move; intensity 0 moves nobody
    assert np.allclose(bayesian_shrinkage(sample, caps, intensity=0.0), sample)


def test_bayesian_shrinkage_formula_on_one_group():
    vol = pd.Series([1.0, 2.0, 3.0], index=list("abc"))
    caps = pd.Series([1.0, 1.0, 2.0], index=list("abc"))
    mean = (1 + 2 + 6) / 4
    spread = np.sqrt(np.mean((vol - mean) ** 2))
    distance = 0.1 * np.abs(vol - mean)
    v = distance / (spread + distance)
    expected = v * mean + (1 - v) * vol
    assert np.allclose(bayesian_shrinkage(vol, caps, n_groups=1), expected)
    with pytest.raises(ValueError, match="n_groups must be"):
        bayesian_shrinkage(vol, caps, n_groups=5)
    with pytest.raises(ValueError, match="must be positive"):
        bayesian_shrinkage(-vol, caps)


# --- Evaluation helpers -----------------------------------------------------------------


def test_kurtosis_adjusted_band_is_the_normal_band_at_kurtosis_three_and_covers_t_outcomes():
    assert np.allclose(kurtosis_adjusted_bias_band(120, 3.0), bias_band(120))
    rng = np.random.default_rng(8)
    t, trials = 120, 4000
    draws = rng.standard_t(8, (trials, t)) / np.sqrt(8 / 6)  # kurtosis 3 + 6/(8-4) = 4.5
    b = draws.std(axis=1, ddof=1)
    low, high = bias_band(t)
    wide_low, wide_high = kurtosis_adjusted_bias_band(t, 4.5)
    normal_coverage = np.mean((b > low) & (b < high))
    adjusted_coverage = np.mean((b > wide_low) & (b < wide_high))
    assert normal_coverage < 0.91 and 0.93 < adjusted_coverage < 0.975


def test_exceedance_and_q_bands():
    low, high = exceedance_band(240)
    assert low < 0.05 * 240 < high
    q_low, q_high = q_statistic_band(240, n_simulations=4000)
    assert q_low < 1 + np.euler_gamma + np.log(2) < q_high
    assert q_statistic_band(240, tail_dof=5, n_simulations=4000)[1] > q_high


def test_minimum_variance_weights_match_the_dense_solution():
    rng = np.random.default_rng(9)
    x = rng.normal(size=(2, 30, 4))
    f = np.stack([np.eye(4) * 0.02 + 0.005] * 2)
    d = rng.uniform(0.01, 0.05, (2, 30))
    w = minimum_variance_weights(x, f, d)
    for t in range(2):
        sigma = x[t] @ f[t] @ x[t].T + np.diag(d[t])
        dense = np.linalg.solve(sigma, np.ones(30))
        assert np.allclose(w[t], dense / dense.sum())
    with pytest.raises(ValueError, match="shapes do not line up"):
        minimum_variance_weights(x, f[:, :3, :3], d)


def test_eigenfactor_adjusted_forecasts_apply_one_profile_per_block():
    truth = _true_cov(5)
    stack = np.stack([truth.to_numpy(), 2 * truth.to_numpy(), truth.to_numpy()])
    adjusted = eigenfactor_adjusted_forecasts(stack, 40, every=2, n_simulations=100, seed=4)
    single = eigenfactor_adjustment(truth, 40, n_simulations=100, seed=4)
    assert np.allclose(adjusted[0], single)
    assert np.allclose(adjusted[1], 2 * single)  # the first block's profile, applied to 2F
    with pytest.raises(ValueError, match="every must be a positive integer"):
        eigenfactor_adjusted_forecasts(stack, 40, every=0)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: kurtosis_adjusted_bias_band(1, 3.0), "at least two periods"),
        (lambda: kurtosis_adjusted_bias_band(100, 0.5), "kurtosis must be"),
        (lambda: exceedance_band(100, probability=1.5), "must lie in"),
        (lambda: q_statistic_band(100, tail_dof=2.0), "tail_dof must exceed 2"),
        (lambda: volatility_regime_multipliers(pd.Series([1.0, -1.0]), 10), "cannot be negative"),
        (lambda: newey_west_covariance_forecasts(_ar1_returns(0.1, 50, 2, 0), 10, -1, 5), "lags must be"),
        (
            lambda: time_series_specific_risk(pd.DataFrame({"a": [np.nan, np.nan, 0.1, 0.2]}), 10),
            "at least three periods",
        ),
        (
            lambda: structural_blend(
                pd.Series([0.1, 0.2], index=["a", "b"]),
                pd.DataFrame({"SIZE": [0.0, 1.0]}, index=["a", "b"]),
                pd.Series([1.0, 2.0], index=["a", "b"]),
                pd.Series([0.0, 0.0], index=["a", "b"]),
            ),
            "too few to fit",
        ),
    ],
)
def test_new_functions_name_the_problem_with_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_eigenfactor_adjustment_defaults_to_1000_simulations():
    """The default number of simulations is 1000: the default adjustment equals the one
    with n_simulations=1000 written out (the simulated bias depends on that number)."""
    cov = pd.DataFrame([[0.04, 0.01], [0.01, 0.09]], index=["A", "B"], columns=["A", "B"])
    default = eigenfactor_adjustment(cov, 10)
    pd.testing.assert_frame_equal(default, eigenfactor_adjustment(cov, 10, n_simulations=1000))
    assert not np.allclose(default, eigenfactor_adjustment(cov, 10, n_simulations=1001), rtol=1e-12, atol=0)
