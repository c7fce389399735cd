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
