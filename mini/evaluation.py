r"""Model evaluation: are the risk forecasts the right size?

For a portfolio with forecast volatility :math:`\hat\sigma_t` (made before period t)
and realised return :math:`r_t`, the standardised outcome is
:math:`z_t = r_t / \hat\sigma_t`. If the forecasts are right, z has standard deviation
one. The bias statistic is that standard deviation; values above one mean risk was
under-forecast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mini import _checks
from mini.covariance import ewma_covariance_forecasts, ewma_variance_forecasts


def standardised_returns(
    realised: pd.Series | pd.DataFrame, forecast_vol: pd.Series | pd.DataFrame
) -> pd.Series | pd.DataFrame:
    """z = realised / forecast, matched by label (periods, and columns for frames)."""
    if isinstance(realised, pd.DataFrame):
        realised = _checks.finite_frame(realised, "realised returns")
        forecast_vol = _checks.finite_frame(forecast_vol, "forecast volatilities")
        if realised.shape != forecast_vol.shape:
            raise ValueError(
                f"realised returns {realised.shape} and forecasts {forecast_vol.shape} differ in shape"
            )
        forecast_vol = _checks.aligned(forecast_vol, realised.columns, "columns", "forecast volatilities", 1)
    else:
        realised = _checks.finite_series(realised, "realised returns")
        forecast_vol = _checks.finite_series(forecast_vol, "forecast volatilities")
        if len(realised) != len(forecast_vol):
            raise ValueError(f"{len(realised)} realised returns but {len(forecast_vol)} forecasts")
    forecast_vol = _checks.aligned(forecast_vol, realised.index, "periods", "forecast volatilities")
    if (forecast_vol.to_numpy() <= 0).any():
        raise ValueError("forecast volatilities must be positive")
    return realised / forecast_vol.to_numpy()


def bias_statistic(z: pd.Series | pd.DataFrame) -> float | pd.Series:
    r"""Standard deviation of standardised returns, :math:`b = \sqrt{\frac{1}{T-1}\sum_t (z_t - \bar z)^2}`."""
    if isinstance(z, pd.DataFrame):
        z = _checks.finite_frame(z, "standardised returns")
    else:
        z = _checks.finite_series(z, "standardised returns")
    if len(z) < 2:
        raise ValueError("need at least two periods for a bias statistic")
    return z.std(ddof=1)


def bias_band(n_periods: int) -> tuple[float, float]:
    r"""Approximate 95% band for the bias statistic of a correct model: :math:`1 \pm \sqrt{2/T}`."""
    n_periods = _checks.whole(n_periods, "n_periods", 2, "a whole number of at least two periods")
    half_width = np.sqrt(2.0 / n_periods)
    return 1.0 - half_width, 1.0 + half_width


def rolling_bias(z: pd.Series, window: int) -> pd.Series:
    """Bias statistic over a moving window of ``window`` periods."""
    z = _checks.finite_series(z, "standardised returns")
    _checks.oldest_first(z, "standardised returns")
    window = _checks.whole(window, "window", 2)
    if not 2 <= window <= len(z):
        raise ValueError(f"window must be between 2 and the number of periods ({len(z)}), got {window}")
    return z.rolling(window).std(ddof=1).dropna().rename("rolling bias")


def share_outside_bias_band(z: pd.Series | pd.DataFrame, window: int) -> float | pd.Series:
    r"""Share of rolling windows whose bias statistic falls outside the band of
    :func:`bias_band` for a window of that length:

    .. math:: \frac{1}{T - w + 1} \sum_{\tau = w}^{T}
       \mathbf{1}\Big[\,|b_\tau - 1| > \sqrt{2/w}\,\Big]

    with :math:`w` = ``window`` and :math:`b_\tau` the bias statistic (sample standard
    deviation, ddof 1) of the w outcomes ending at period τ, as in :func:`rolling_bias`.
    For correct forecasts of normal outcomes about 5% of windows fall outside; windows
    overlap, so the share is noisy, and fat tails raise it even for correct forecasts.
    A frame gives one share per column.
    """
    if isinstance(z, pd.DataFrame):
        frame = _checks.finite_frame(z, "standardised returns")
        return frame.apply(share_outside_bias_band, window=window).rename("share outside band")
    rolling = rolling_bias(z, window)  # checks z and the window
    low, high = bias_band(window)
    return float(((rolling < low) | (rolling > high)).mean())


def q_statistic(z: pd.Series | pd.DataFrame) -> float | pd.Series:
    r"""Mean of :math:`z^2 - \ln z^2`, a loss that is smallest (one) at :math:`z^2 = 1`
    and punishes over- and under-forecasting alike, period by period. For correct
    forecasts of normal returns its expected value is about 2.27, not 1."""
    if isinstance(z, pd.DataFrame):
        z = _checks.finite_frame(z, "standardised returns")
    else:
        z = _checks.finite_series(z, "standardised returns")
    squared = z.to_numpy() ** 2
    if np.any(squared == 0):
        raise ValueError("a standardised return of exactly zero has no Q-statistic (log of zero)")
    values = squared - np.log(squared)
    if isinstance(z, pd.DataFrame):
        return pd.Series(values.mean(axis=0), index=z.columns, name="Q")
    return float(values.mean())


def exceedances(z: pd.Series, threshold: float = 1.645) -> int:
    """How many periods lost more than ``threshold`` forecast standard deviations.

    With normal returns and correct forecasts about 5% of periods exceed 1.645.
    """
    z = _checks.finite_series(z, "standardised returns")
    threshold = _checks.positive(threshold, "threshold")
    return int((z < -threshold).sum())


def portfolio_vol_forecasts(
    exposures: np.ndarray, factor_cov: np.ndarray, specific_var: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    r"""Forecast volatility of a portfolio in every period,
    :math:`\hat\sigma_t = \sqrt{x_t^\top \hat F_t x_t + \sum_i w_{it}^2 \hat\delta_{it}}`,
    :math:`x_t = X_t^\top w_t`.

    Shapes: exposures (T, N, K), factor_cov (T, K, K), specific_var (T, N), weights
    (N,) for fixed weights or (T, N).
    """
    x = _checks.finite_array(exposures, "exposures", ndim=3)
    f = _checks.finite_array(factor_cov, "factor covariance forecasts", ndim=3)
    d = _checks.finite_array(specific_var, "specific variance forecasts", ndim=2)
    w = _checks.finite_array(weights, "weights")
    n_periods, n_assets, n_factors = x.shape
    if w.ndim == 1:
        w = np.broadcast_to(w, (n_periods, n_assets))
    if (
        f.shape != (n_periods, n_factors, n_factors)
        or d.shape != (n_periods, n_assets)
        or w.shape != (n_periods, n_assets)
    ):
        raise ValueError(
            f"shapes do not line up: exposures {x.shape}, factor covariance {f.shape}, "
            f"specific variance {d.shape}, weights {w.shape}"
        )
    port_x = np.einsum("tnk,tn->tk", x, w)
    variance = np.einsum("tk,tkl,tl->t", port_x, f, port_x) + np.sum(w**2 * d, axis=1)
    if np.any(variance < 0):
        raise ValueError(
            f"forecast variance is negative in period position {int(np.argmax(variance < 0))}: "
            "a factor covariance is not positive semi-definite or a specific variance is negative"
        )
    return np.sqrt(variance)


@dataclass(frozen=True)
class RiskForecasts:
    """Risk-model forecasts made before each period of a backtest (rows: ``periods``)."""

    periods: pd.Index
    exposures: np.ndarray  # (T, N, K)
    factor_cov: np.ndarray  # (T, K, K)
    specific_var: np.ndarray  # (T, N)

    def vol(self, weights: np.ndarray) -> pd.Series:
        """Forecast volatility (per period) of fixed (N,) or changing (T, N) weights."""
        return pd.Series(
            portfolio_vol_forecasts(self.exposures, self.factor_cov, self.specific_var, weights),
            index=self.periods,
            name="forecast vol",
        )

    def standardised(self, weights: np.ndarray, returns: pd.DataFrame) -> pd.Series:
        """Realised portfolio return divided by its forecast volatility, period by period."""
        returns = _checks.finite_frame(returns, "returns").loc[self.periods]
        w = np.broadcast_to(np.asarray(weights, dtype=float), returns.shape)
        realised = pd.Series(np.sum(w * returns.to_numpy(), axis=1), index=self.periods)
        return standardised_returns(realised, self.vol(weights)).rename("z")


def rolling_forecasts(
    exposures: np.ndarray,
    factor_returns: pd.DataFrame,
    residuals: pd.DataFrame,
    factor_half_life: float,
    specific_half_life: float,
    warmup: int,
) -> RiskForecasts:
    r"""Rebuild the risk model every period from data before it, as a live model would:
    EWMA factor covariance and EWMA specific variances, combined with that period's
    exposures. ``exposures`` is (T, N, K) with K the columns of ``factor_returns``.
    """
    x = _checks.finite_array(exposures, "exposures", ndim=3)
    factor_returns = _checks.finite_frame(factor_returns, "factor returns")
    residuals = _checks.finite_frame(residuals, "residuals")
    residuals = _checks.aligned(residuals, factor_returns.index, "periods", "residuals")
    warmup = _checks.whole(warmup, "warm-up", 1, "at least one period")
    if (
        x.shape[0] != len(factor_returns)
        or x.shape[2] != factor_returns.shape[1]
        or x.shape[1] != residuals.shape[1]
    ):
        raise ValueError(
            f"exposures {x.shape} do not match factor returns {factor_returns.shape} and residuals {residuals.shape}"
        )
    return RiskForecasts(
        periods=factor_returns.index[warmup:],
        exposures=x[warmup:],
        factor_cov=ewma_covariance_forecasts(factor_returns, factor_half_life, warmup),
        specific_var=ewma_variance_forecasts(residuals, specific_half_life, warmup).to_numpy(),
    )


# --- Tests a risk manager runs: bands, eigenportfolios, optimised portfolios ------------


def kurtosis_adjusted_bias_band(n_periods: int, kurtosis: float) -> tuple[float, float]:
    r"""Approximate 95% band for the bias statistic when outcomes have kurtosis κ:

    .. math:: 1 \pm 2\sqrt{\frac{\kappa - 1}{4T}}

    (the standard error of a sample standard deviation is :math:`\sqrt{(\kappa-1)/(4T)}`
    times the true one). For normal outcomes κ = 3 and this is :func:`bias_band`,
    :math:`1 \pm \sqrt{2/T}`; Student-t outcomes with five degrees of freedom have κ = 9,
    a band twice as wide.
    """
    if n_periods < 2:
        raise ValueError(f"need at least two periods, got {n_periods}")
    if not (np.isfinite(kurtosis) and kurtosis >= 1):
        raise ValueError(f"kurtosis must be a number of at least 1, got {kurtosis}")
    half_width = 2.0 * np.sqrt((kurtosis - 1.0) / (4.0 * n_periods))
    return 1.0 - half_width, 1.0 + half_width


def mean_rolling_absolute_deviation(z: pd.Series, window: int) -> float:
    r"""Mean rolling absolute deviation of the bias statistic,
    :math:`\text{MRAD} = \frac{1}{T-w+1} \sum_\tau |b_\tau - 1|`, with :math:`b_\tau` the
    bias statistic of the window of ``window`` periods ending at τ. It punishes forecasts
    that are too high in some stretches and too low in others even when the full-sample
    bias statistic is one.
    """
    return float(np.mean(np.abs(rolling_bias(z, window) - 1.0)))


def exceedance_band(n_periods: int, probability: float = 0.05, level: float = 0.95) -> tuple[int, int]:
    r"""Range of exceedance counts a correct model produces with probability at least
    ``level``: the central interval of :math:`\text{Binomial}(T, p)`, with p the
    probability of one exceedance (5% for the one-sided 1.645 threshold of
    :func:`exceedances`)."""
    from scipy.stats import binom

    if n_periods < 1:
        raise ValueError(f"need at least one period, got {n_periods}")
    if not (0 < probability < 1 and 0 < level < 1):
        raise ValueError(f"probability and level must lie in (0, 1), got {probability} and {level}")
    tail = (1.0 - level) / 2.0
    return int(binom.ppf(tail, n_periods, probability)), int(binom.ppf(1.0 - tail, n_periods, probability))


def q_statistic_band(
    n_periods: int,
    *,
    level: float = 0.95,
    tail_dof: float | None = None,
    n_simulations: int = 20000,
    seed: int = 0,
) -> tuple[float, float]:
    r"""Central ``level`` interval of the Q-statistic of :func:`q_statistic` for a correct
    model, by simulation: ``n_periods`` outcomes z drawn from N(0, 1), or from a Student t
    with ``tail_dof`` degrees of freedom rescaled to unit variance, ``n_simulations`` times."""
    if n_periods < 1 or n_simulations < 100:
        raise ValueError(f"need at least one period and 100 simulations, got {n_periods} and {n_simulations}")
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    if tail_dof is not None and not tail_dof > 2:
        raise ValueError(f"tail_dof must exceed 2 or be None, got {tail_dof}")
    rng = np.random.default_rng(seed)
    if tail_dof is None:
        z = rng.standard_normal((n_simulations, n_periods))
    else:
        z = rng.standard_t(tail_dof, (n_simulations, n_periods)) / np.sqrt(tail_dof / (tail_dof - 2))
    squared = z**2
    q = np.mean(squared - np.log(squared), axis=1)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(q, [tail, 1.0 - tail])
    return float(low), float(high)


def eigenportfolio_outcomes(factor_cov: np.ndarray, factor_returns: pd.DataFrame) -> pd.DataFrame:
    r"""Standardised outcomes of the eigenportfolios of each period's forecast.

    For the forecast :math:`\hat F_t = U_t D_t U_t^\top` (eigenvalues ascending) the k-th
    eigenportfolio holds factor weights :math:`u_{kt}` and its outcome is
    :math:`z_{kt} = u_{kt}^\top f_t / \sqrt{D_t(k)}`. Columns are ranks (1 = smallest
    eigenvalue); the bias statistic of each column says how well the model forecasts the
    risk of the directions it thinks safest and riskiest. ``factor_cov`` is (T, K, K),
    row t made before period t; ``factor_returns`` is T × K.
    """
    f = _checks.finite_array(factor_cov, "factor covariance forecasts", ndim=3)
    returns = _checks.finite_frame(factor_returns, "factor returns")
    if f.shape != (len(returns), returns.shape[1], returns.shape[1]):
        raise ValueError(f"forecasts {f.shape} do not match factor returns {returns.shape}")
    values, vectors = np.linalg.eigh(f)
    if np.any(values <= 0):
        raise ValueError("a factor covariance forecast is not positive definite")
    outcomes = np.einsum("tkj,tk->tj", vectors, returns.to_numpy()) / np.sqrt(values)
    ranks = pd.Index(np.arange(1, f.shape[1] + 1), name="eigenvalue rank (1 = smallest)")
    return pd.DataFrame(outcomes, index=returns.index, columns=ranks)


def minimum_variance_weights(
    exposures: np.ndarray, factor_cov: np.ndarray, specific_var: np.ndarray
) -> np.ndarray:
    r"""Fully invested minimum-variance portfolio of each period's forecast,
    :math:`w_t = \Sigma_t^{-1}\mathbf 1 / \mathbf 1^\top \Sigma_t^{-1} \mathbf 1`, with
    :math:`\Sigma_t = X_t F_t X_t^\top + \Delta_t` inverted by Woodbury's identity,

    .. math:: \Sigma^{-1} = \Delta^{-1} - \Delta^{-1} X (F^{-1} + X^\top \Delta^{-1} X)^{-1} X^\top \Delta^{-1},

    so no N × N matrix is formed. Shapes: exposures (T, N, K), factor_cov (T, K, K),
    specific_var (T, N); returns (T, N). This portfolio leans on exactly the directions
    the forecast rates least risky, which makes it the hardest test of a model.
    """
    x = _checks.finite_array(exposures, "exposures", ndim=3)
    f = _checks.finite_array(factor_cov, "factor covariance forecasts", ndim=3)
    d = _checks.finite_array(specific_var, "specific variance forecasts", ndim=2)
    n_periods, n_assets, n_factors = x.shape
    if f.shape != (n_periods, n_factors, n_factors) or d.shape != (n_periods, n_assets):
        raise ValueError(
            f"shapes do not line up: exposures {x.shape}, factor covariance {f.shape}, specific {d.shape}"
        )
    if np.any(d <= 0):
        raise ValueError("specific variances must be positive to invert the covariance")
    inv_d = 1.0 / d
    scaled = x * inv_d[:, :, None]  # Δ⁻¹X
    inner = np.linalg.inv(f) + np.einsum("tnk,tnl->tkl", x, scaled)
    rhs = np.einsum("tnk->tk", scaled)  # Xᵀ Δ⁻¹ 1
    correction = np.einsum("tnk,tk->tn", scaled, np.linalg.solve(inner, rhs[:, :, None])[:, :, 0])
    raw = inv_d - correction
    return raw / raw.sum(axis=1, keepdims=True)
