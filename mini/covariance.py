r"""Estimating the factor covariance matrix F from a history of factor returns.

Rows of the input are periods (oldest first), columns are factors. All estimators
return per-period covariances; multiply by the number of periods per year to
annualise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mini import _checks


def _history(returns: pd.DataFrame, minimum: int = 2) -> pd.DataFrame:
    returns = _checks.finite_frame(returns, "factor returns")
    _checks.oldest_first(returns, "factor returns")
    if len(returns) < minimum:
        raise ValueError(f"need at least {minimum} periods of returns, got {len(returns)}")
    return returns


def decay_from_half_life(half_life: float) -> float:
    r"""EWMA decay per period, :math:`\lambda = 2^{-1/h}`: weights halve every h periods."""
    half_life = _checks.positive(half_life, "half-life", "a positive number of periods")
    return float(2.0 ** (-1.0 / half_life))


def ewma_weights(n_periods: int, half_life: float) -> np.ndarray:
    r"""Weights :math:`w_s \propto \lambda^{s}` for a sample whose last row is the most recent
    (s periods ago), normalised to sum to one."""
    if n_periods < 1:
        raise ValueError(f"need at least one period, got {n_periods}")
    decay = decay_from_half_life(half_life)
    weights = decay ** np.arange(n_periods - 1, -1, -1, dtype=float)
    return weights / weights.sum()


def effective_sample_size(weights: np.ndarray) -> float:
    r"""How many equally weighted observations the weights are worth, :math:`1 / \sum_s w_s^2`
    (weights normalised to sum to one). For long EWMA samples it tends to
    :math:`(1 + \lambda) / (1 - \lambda)`, about 2.9 half-lives."""
    w = _checks.finite_array(weights, "weights", ndim=1)
    if np.any(w < 0) or w.sum() <= 0:
        raise ValueError("weights must be non-negative and not all zero")
    w = w / w.sum()
    return float(1.0 / np.sum(w**2))


def sample_covariance(returns: pd.DataFrame) -> pd.DataFrame:
    r"""The equally weighted sample covariance, :math:`\frac{1}{T-1} \sum_t (f_t - \bar f)(f_t - \bar f)^\top`."""
    returns = _history(returns)
    return returns.cov(ddof=1)


def _weighted_cov(values: np.ndarray, weights: np.ndarray, demean: bool) -> np.ndarray:
    centred = values - weights @ values if demean else values
    return (centred * weights[:, None]).T @ centred


def ewma_covariance(
    returns: pd.DataFrame, half_life: float, vol_half_life: float | None = None, demean: bool = False
) -> pd.DataFrame:
    r"""Exponentially weighted covariance :math:`\sum_s w_s f_{t-s} f_{t-s}^\top`.

    With ``vol_half_life`` the volatilities come from one half-life and the correlations
    from another: :math:`F = D_{\text{vol}}\, C_{\text{corr}}\, D_{\text{vol}}`. Risk models
    typically let volatilities react fast (short half-life) and estimate correlations,
    which need more data, slowly. Returns are not demeaned by default: over short
    horizons the mean is tiny and estimating it adds noise.
    """
    returns = _history(returns)
    values = returns.to_numpy()
    cov = _weighted_cov(values, ewma_weights(len(values), half_life), demean)
    if vol_half_life is not None:
        vols = np.sqrt(np.diag(_weighted_cov(values, ewma_weights(len(values), vol_half_life), demean)))
        corr_vols = np.sqrt(np.diag(cov))
        if np.any(corr_vols == 0):
            flat = list(returns.columns[corr_vols == 0])
            raise ValueError(f"factor returns of {flat} are all zero, so their correlations are undefined")
        cov = cov / np.outer(corr_vols, corr_vols) * np.outer(vols, vols)
    return pd.DataFrame(cov, index=returns.columns, columns=returns.columns)


def newey_west_covariance(returns: pd.DataFrame, lags: int, half_life: float | None = None) -> pd.DataFrame:
    r"""Per-period long-run covariance, corrected for serial correlation (Newey–West).

    .. math:: F_{NW} = \Gamma_0 + \sum_{l=1}^{L} \left(1 - \frac{l}{L+1}\right)
       \left(\Gamma_l + \Gamma_l^\top\right), \qquad
       \Gamma_l = \sum_{s} \sqrt{w_s\, w_{s-l}}\; f_s f_{s-l}^\top

    (s runs over the periods that have a period l earlier). With equal weights
    :math:`w_s = 1/T` this is the classic estimator, :math:`\Gamma_l = \frac1T
    \sum_s f_s f_{s-l}^\top`; ``half_life`` gives EWMA weights instead. Splitting each
    pair's weight as :math:`\sqrt{w_s w_{s-l}}` together with the Bartlett weights keeps
    the result positive semi-definite for any data. If returns are positively
    autocorrelated, the variance of a month of daily returns exceeds 21 times the
    daily variance, and :math:`\Gamma_0` alone under-forecasts it. The result is per
    period: the covariance of an h-period sum is about h times it.
    """
    lags = _checks.whole(lags, "lags", 0, "a non-negative integer")
    returns = _history(returns, minimum=lags + 2)
    values = returns.to_numpy()
    n = len(values)
    weights = np.full(n, 1.0 / n) if half_life is None else ewma_weights(n, half_life)
    scaled = values * np.sqrt(weights)[:, None]
    result = scaled.T @ scaled
    for lag in range(1, lags + 1):  # one term per lag: L is small
        gamma = scaled[lag:].T @ scaled[:-lag]
        result = result + (1.0 - lag / (lags + 1.0)) * (gamma + gamma.T)
    return pd.DataFrame(result, index=returns.columns, columns=returns.columns)


def shrink_covariance(
    covariance: pd.DataFrame, intensity: float, target: str = "constant correlation"
) -> pd.DataFrame:
    r"""Shrink a covariance S towards a structured target G: :math:`(1-\rho) S + \rho G`,
    with ρ = ``intensity``.

    ``target`` is "diagonal" (same variances, zero correlations) or "constant
    correlation" (same variances, every correlation equal to the average). Shrinkage
    trades a little bias for a large cut in estimation noise.
    """
    covariance = _checks.finite_frame(covariance, "covariance")
    _checks.symmetric(covariance.to_numpy(), "covariance")
    intensity = _checks.number(intensity, "shrinkage intensity", "a number in [0, 1]")
    if not 0.0 <= intensity <= 1.0:
        raise ValueError(f"shrinkage intensity must be in [0, 1], got {intensity}")
    if target not in ("diagonal", "constant correlation"):
        raise ValueError(f"unknown shrinkage target {target!r}; use 'diagonal' or 'constant correlation'")
    _checks.positive_variances(covariance, "covariance")
    s = covariance.to_numpy()
    vols = np.sqrt(np.diag(s))
    if target == "diagonal":
        structured = np.diag(np.diag(s))
    else:  # constant correlation
        corr = s / np.outer(vols, vols)
        k = len(s)
        average = (corr.sum() - k) / (k * (k - 1)) if k > 1 else 0.0
        structured = average * np.outer(vols, vols)
        np.fill_diagonal(structured, np.diag(s))
    return pd.DataFrame(
        (1 - intensity) * s + intensity * structured, index=covariance.index, columns=covariance.columns
    )


def eigenvalue_floor(covariance: pd.DataFrame, floor: float) -> pd.DataFrame:
    r"""Raise every eigenvalue below ``floor`` to ``floor``: :math:`V \max(\Lambda, \epsilon) V^\top`.

    Guarantees a positive definite matrix, so no portfolio looks risk-free because of
    noise in the smallest eigenvalues.
    """
    covariance = _checks.finite_frame(covariance, "covariance")
    _checks.symmetric(covariance.to_numpy(), "covariance")
    floor = _checks.positive(floor, "eigenvalue floor")
    values, vectors = np.linalg.eigh(covariance.to_numpy())
    floored = (vectors * np.maximum(values, floor)) @ vectors.T
    return pd.DataFrame((floored + floored.T) / 2, index=covariance.index, columns=covariance.columns)


def volatility_regime_adjustment(standardised_returns: pd.DataFrame, half_life: float) -> float:
    r"""Cross-sectional volatility multiplier from recent forecast errors.

    .. math:: \lambda_{VRA} = \sqrt{\sum_s w_s\, \overline{z^2}_{t-s}}

    where :math:`\overline{z^2}_t` is the mean over factors of the squared standardised
    returns :math:`z = f / \hat\sigma` (return over forecast volatility). When recent
    returns have been larger than forecast, the multiplier exceeds one and scales the
    whole covariance up.
    """
    z = _history(standardised_returns, minimum=1).to_numpy()
    mean_square = np.mean(z**2, axis=1)
    return float(np.sqrt(ewma_weights(len(mean_square), half_life) @ mean_square))


def _ewma_forecasts(values: np.ndarray, half_life: float, warmup: int, outer: bool) -> np.ndarray:
    """Shared recursion for variance (outer=False) and covariance (outer=True) forecasts."""
    decay = decay_from_half_life(half_life)
    square = (lambda v: np.einsum("...k,...l->...kl", v, v)) if outer else np.square
    running = np.mean(square(values[:warmup]), axis=0)
    forecasts = np.empty((len(values) - warmup, *running.shape))
    for t in range(warmup, len(values)):  # a recursion in time: each forecast needs the last
        forecasts[t - warmup] = running
        running = decay * running + (1.0 - decay) * square(values[t])
    return forecasts


def ewma_variance_forecasts(returns: pd.DataFrame, half_life: float, warmup: int) -> pd.DataFrame:
    r"""One-step-ahead EWMA variance forecasts for every period after a warm-up.

    .. math:: \hat\sigma^2_{t} = \lambda\, \hat\sigma^2_{t-1} + (1 - \lambda)\, f_{t-1}^2

    started from the mean square of the first ``warmup`` periods. Row t uses only
    returns before t, so it is a genuine forecast that can be compared with
    :math:`f_t` (see :mod:`mini.evaluation`). Returns rows ``warmup`` onwards.
    """
    warmup = _checks.whole(warmup, "warm-up", 1, "at least one period")
    returns = _history(returns, minimum=warmup + 1)
    forecasts = _ewma_forecasts(returns.to_numpy(), half_life, warmup, outer=False)
    return pd.DataFrame(forecasts, index=returns.index[warmup:], columns=returns.columns)


def ewma_covariance_forecasts(returns: pd.DataFrame, half_life: float, warmup: int) -> np.ndarray:
    r"""One-step-ahead EWMA covariance forecasts :math:`\hat F_t = \lambda \hat F_{t-1} +
    (1-\lambda) f_{t-1} f_{t-1}^\top`, as a (T − warmup, K, K) array for periods
    ``warmup`` onwards; each uses only earlier returns."""
    warmup = _checks.whole(warmup, "warm-up", 1, "at least one period")
    returns = _history(returns, minimum=warmup + 1)
    return _ewma_forecasts(returns.to_numpy(), half_life, warmup, outer=True)
