r"""Specific risk: forecasting each stock's residual volatility.

Three estimators, as in production models: a time-series EWMA of each stock's own
residuals; a structural model that predicts specific volatility from characteristics
(size, industry) and so also covers stocks with short histories; and their blend.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mini import _checks
from mini.covariance import ewma_weights

#: The interquartile range of normal data is about 1.35 standard deviations
#: (:math:`2\Phi^{-1}(3/4) \approx 1.349`), so (Q3 - Q1) / 1.35 is a robust volatility.
IQR_TO_SD = 1.35
#: USE4's Bayesian shrinkage intensity q (:func:`bayesian_shrinkage`'s default).
USE4_SHRINKAGE_INTENSITY = 0.1


def ewma_specific_variance(residuals: pd.DataFrame, half_life: float) -> pd.Series:
    r"""Per-period specific variance of each stock, :math:`\hat\delta_i = \sum_s w_s e_{i,t-s}^2`."""
    residuals = _checks.finite_frame(residuals, "residuals")
    _checks.oldest_first(residuals, "residuals")
    if len(residuals) < 2:
        raise ValueError(f"need at least two periods of residuals, got {len(residuals)}")
    weights = ewma_weights(len(residuals), half_life)
    return pd.Series(weights @ residuals.to_numpy() ** 2, index=residuals.columns, name="specific variance")


def _fit_structural(
    variance: pd.Series, characteristics: pd.DataFrame, weights: pd.Series | None
) -> tuple[pd.Series, float]:
    """Coefficients β of ln σ on the characteristics, and the rescaling κ (see below)."""
    variance = _checks.finite_series(variance, "specific variances")
    z = _checks.finite_frame(characteristics, "characteristics")
    _checks.same_labels(variance.index, z.index, "stocks", "characteristics")
    if (variance <= 0).any():
        raise ValueError("specific variances must be positive to take logs")
    w = pd.Series(1.0, index=variance.index) if weights is None else _checks.finite_series(weights, "weights")
    _checks.same_labels(variance.index, w.index, "stocks", "weights")
    if (w <= 0).any():
        raise ValueError(f"weights must be positive; not so for {list(w.index[w <= 0])[:5]}")
    zm = z.reindex(variance.index).to_numpy()
    wv = w.reindex(variance.index).to_numpy()
    y = 0.5 * np.log(variance.to_numpy())
    zw = zm.T * wv
    normal = zw @ zm
    if np.linalg.matrix_rank(normal) < zm.shape[1]:
        raise ValueError("characteristics are collinear, so the structural model is singular")
    beta = np.linalg.solve(normal, zw @ y)
    fitted = np.exp(2 * (zm @ beta))
    return pd.Series(beta, index=z.columns, name="coefficient"), float(variance.mean() / fitted.mean())


def structural_specific_variance(
    variance: pd.Series, characteristics: pd.DataFrame, weights: pd.Series | None = None
) -> pd.Series:
    r"""Predict log specific volatility from characteristics by (weighted) least squares.

    .. math:: \ln \hat\sigma_i = Z_i \beta, \qquad \hat\delta_i = e^{2 Z_i \beta}\, \kappa

    with :math:`\kappa` rescaling so the prediction is unbiased on average (the mean of
    :math:`\hat\delta` equals the mean of the input variances). ``characteristics``
    (Z) typically holds a constant, log cap and industry dummies; stocks whose
    time-series estimate is noisy or missing get a sensible value from their peers.
    """
    return structural_specific_variance_for(
        characteristics.reindex(variance.index), variance, characteristics, weights
    )


def structural_specific_variance_for(
    covered: pd.DataFrame,
    variance: pd.Series,
    characteristics: pd.DataFrame,
    weights: pd.Series | None = None,
) -> pd.Series:
    r"""Structural specific variance for stocks outside the sample it was fitted on.

    Fits the model of :func:`structural_specific_variance` on ``variance`` and
    ``characteristics`` (the estimation universe) and evaluates
    :math:`\hat\delta_i = e^{2 Z_i \beta}\, \kappa` at the rows of ``covered`` (one row
    per covered stock, the same characteristic columns). This is how a stock with no
    usable residual history, such as a covered name outside the estimation universe,
    gets a specific risk.
    """
    beta, kappa = _fit_structural(variance, characteristics, weights)
    covered = _checks.finite_frame(covered, "covered characteristics")
    _checks.same_labels(beta.index, covered.columns, "characteristics", "covered characteristics")
    fitted = np.exp(2 * (covered[beta.index].to_numpy() @ beta.to_numpy())) * kappa
    return pd.Series(fitted, index=covered.index, name="structural specific variance")


def blend_specific_variance(
    time_series: pd.Series, structural: pd.Series, confidence: pd.Series | float
) -> pd.Series:
    r"""Blend :math:`\gamma\, \hat\delta^{TS} + (1-\gamma)\, \hat\delta^{STR}` with γ in [0, 1].

    γ is typically the fraction of a full history a stock has: a new listing leans on
    the structural model, a seasoned stock on its own residuals.
    """
    time_series = _checks.finite_series(time_series, "time-series variances")
    structural = _checks.finite_series(structural, "structural variances")
    _checks.same_labels(time_series.index, structural.index, "stocks", "structural variances")
    gamma = (
        confidence
        if isinstance(confidence, pd.Series)
        else pd.Series(float(confidence), index=time_series.index)
    )
    gamma = _checks.finite_series(gamma, "confidence")
    if ((gamma < 0) | (gamma > 1)).any():
        raise ValueError("blending confidence must lie in [0, 1]")
    gamma = gamma.reindex(time_series.index)
    return (gamma * time_series + (1 - gamma) * structural.reindex(time_series.index)).rename(
        "specific variance"
    )


# --- Production specific risk (USE4-style): blend, structural model, shrinkage ---------


def time_series_specific_risk(residuals: pd.DataFrame, half_life: float) -> pd.DataFrame:
    r"""Each stock's time-series specific volatility and the statistics the blend needs.

    ``residuals`` is periods × stocks, oldest first, with NaN before a stock has a history
    (a new listing). Over each stock's :math:`h_i` available periods:

    * ``ewma vol``: :math:`\sqrt{\sum_s w_s e_{is}^2}` with EWMA weights renormalised over
      the available periods (per period, not annualised);
    * ``equal vol``: the equally weighted standard deviation :math:`\sigma^{eq}_i` (ddof = 1);
    * ``robust vol``: :math:`\tilde\sigma_i = (Q_3 - Q_1)/1.35`, the interquartile range
      scaled to equal the standard deviation for normal data;
    * ``history``: :math:`h_i`.
    """
    if not isinstance(residuals, pd.DataFrame):
        raise ValueError("residuals must be a DataFrame of periods × stocks")
    values = residuals.to_numpy(dtype=float)
    if np.isinf(values).any():
        raise ValueError("residuals contain infinite values")
    available = ~np.isnan(values)
    history = available.sum(axis=0)
    if (history < 3).any():
        short = list(residuals.columns[history < 3][:5])
        raise ValueError(f"need at least three periods of residuals for every stock; not so for {short}")
    weights = ewma_weights(len(values), half_life)[:, None] * available
    squares = np.where(available, values, 0.0) ** 2
    ewma = np.sqrt(np.sum(weights * squares, axis=0) / weights.sum(axis=0))
    q1, q3 = np.nanquantile(values, [0.25, 0.75], axis=0)
    return pd.DataFrame(
        {
            "ewma vol": ewma,
            "equal vol": np.nanstd(values, axis=0, ddof=1),
            "robust vol": (q3 - q1) / IQR_TO_SD,
            "history": history,
        },
        index=residuals.columns,
    )


def blend_confidence(
    history: pd.Series,
    equal_vol: pd.Series,
    robust_vol: pd.Series,
    *,
    min_history: int = 60,
    ramp: int = 120,
) -> pd.Series:
    r"""Confidence γ in each stock's time-series specific risk (the USE4 blending weight):

    .. math:: \gamma_i = \min\!\Big(1, \max\!\Big(0, \frac{h_i - h_{\min}}{h_{\text{ramp}}}\Big)\Big)
       \cdot \min\!\big(1, \max(0, e^{1 - Z_i})\big), \qquad
       Z_i = \Big|\frac{\sigma^{eq}_i}{\tilde\sigma_i} - 1\Big|

    The first factor trusts a history in proportion to its length (none below
    ``min_history`` periods, full from ``min_history + ramp``); the second distrusts a
    history whose sample volatility disagrees with its robust volatility by more than
    100% (a few outliers dominate it). USE4 uses 60 and 120 trading days.
    """
    history = _checks.finite_series(history, "history")
    equal_vol = _checks.finite_series(equal_vol, "equal-weighted volatilities")
    robust_vol = _checks.finite_series(robust_vol, "robust volatilities")
    _checks.same_labels(history.index, equal_vol.index, "stocks", "equal-weighted volatilities")
    _checks.same_labels(history.index, robust_vol.index, "stocks", "robust volatilities")
    if min_history < 0 or ramp <= 0:
        raise ValueError(f"min_history must be non-negative and ramp positive, got {min_history} and {ramp}")
    robust = robust_vol.reindex(history.index)
    if (robust <= 0).any():
        raise ValueError(
            f"robust volatilities must be positive; not so for {list(robust.index[robust <= 0])[:5]}"
        )
    length = np.clip((history - min_history) / ramp, 0.0, 1.0)
    z = np.abs(equal_vol.reindex(history.index) / robust - 1.0)
    quality = np.clip(np.exp(1.0 - z), 0.0, 1.0)
    return (length * quality).rename("confidence")


def structural_blend(
    time_series_vol: pd.Series,
    exposures: pd.DataFrame,
    caps: pd.Series,
    confidence: pd.Series,
) -> pd.Series:
    r"""Specific volatility blended from time-series and structural estimates:

    .. math:: \hat\sigma_i = \gamma_i\, \sigma^{TS}_i + (1 - \gamma_i)\, \sigma^{STR}_i,
       \qquad \sigma^{STR}_i = \sqrt{\kappa}\, e^{X_i b}

    where b comes from the cap-weighted regression of :math:`\ln \sigma^{TS}_i` on all the
    exposures :math:`X_i` (industries and styles; the industry dummies play the role of
    the constant, so a market column of ones is dropped) over the stocks the time series
    is trusted for (:math:`\gamma_i = 1`), and κ rescales so that the mean fitted variance
    equals the mean time-series variance there
    (:func:`structural_specific_variance_for`). Volatilities in, volatilities out.
    """
    ts = _checks.finite_series(time_series_vol, "time-series volatilities")
    gamma = _checks.finite_series(confidence, "confidence")
    caps = _checks.finite_series(caps, "caps")
    x = _checks.finite_frame(exposures, "exposures")
    for labels, name in ((gamma.index, "confidence"), (caps.index, "caps"), (x.index, "exposures")):
        _checks.same_labels(ts.index, labels, "stocks", name)
    if ((gamma < 0) | (gamma > 1)).any():
        raise ValueError("confidence must lie in [0, 1]")
    if (ts <= 0).any() or (caps <= 0).any():
        raise ValueError("time-series volatilities and caps must be positive")
    x = x.reindex(ts.index)
    constant = [c for c in x.columns if np.allclose(x[c], 1.0)]
    characteristics = x.drop(columns=constant) if len(constant) < x.shape[1] else x
    trusted = gamma.reindex(ts.index) >= 1.0
    if trusted.sum() <= characteristics.shape[1]:
        raise ValueError(
            f"only {int(trusted.sum())} stocks have a fully trusted history, too few to fit "
            f"{characteristics.shape[1]} structural coefficients"
        )
    structural = np.sqrt(
        structural_specific_variance_for(
            characteristics, ts[trusted] ** 2, characteristics[trusted], caps.reindex(ts.index)[trusted]
        )
    )
    g = gamma.reindex(ts.index)
    return (g * ts + (1 - g) * structural).rename("specific vol")


def bayesian_shrinkage(
    specific_vol: pd.Series,
    caps: pd.Series,
    *,
    n_groups: int = 10,
    intensity: float = USE4_SHRINKAGE_INTENSITY,
) -> pd.Series:
    r"""Shrink each stock's specific volatility towards the cap-weighted mean of its size
    group (USE4's Bayesian shrinkage):

    .. math:: \sigma^{SH}_i = v_i\, \bar\sigma_{s(i)} + (1 - v_i)\, \hat\sigma_i, \qquad
       v_i = \frac{q\, |\hat\sigma_i - \bar\sigma_{s(i)}|}
                  {\Delta_{s(i)} + q\, |\hat\sigma_i - \bar\sigma_{s(i)}|}

    with :math:`\bar\sigma_s = \sum_{j \in s} w_j \hat\sigma_j` the cap-weighted mean of
    the size group s (``n_groups`` groups of equal count by cap; deciles by default),
    :math:`\Delta_s = \sqrt{\frac{1}{N_s}\sum_{j\in s} (\hat\sigma_j - \bar\sigma_s)^2}`
    the dispersion within it, and q = ``intensity`` (0.1 in USE4). Stocks far from their
    group's mean, whose estimates are the most likely to owe their extremity to noise,
    move furthest. This corrects the selection bias of ranking on estimated volatility:
    the stocks forecast to be the most volatile tend to have had unusually large residuals
    in the estimation window, and the least volatile unusually small ones.
    """
    vol = _checks.finite_series(specific_vol, "specific volatilities")
    caps = _checks.finite_series(caps, "caps")
    _checks.same_labels(vol.index, caps.index, "stocks", "caps")
    if (vol <= 0).any() or (caps <= 0).any():
        raise ValueError("specific volatilities and caps must be positive")
    if (
        isinstance(n_groups, bool)
        or not isinstance(n_groups, (int, np.integer))
        or not 1 <= n_groups <= len(vol)
    ):
        raise ValueError(f"n_groups must be an integer between 1 and the number of stocks, got {n_groups!r}")
    if not (np.isfinite(intensity) and intensity >= 0):
        raise ValueError(f"intensity must be a non-negative number, got {intensity}")
    caps = caps.reindex(vol.index)
    order = np.argsort(np.argsort(caps.to_numpy(), kind="stable"), kind="stable")
    group = order * n_groups // len(vol)
    sigma = vol.to_numpy()
    weight = caps.to_numpy()
    mean = np.zeros(n_groups)
    spread = np.zeros(n_groups)
    for g in range(n_groups):  # a handful of size groups
        members = group == g
        mean[g] = np.sum(weight[members] * sigma[members]) / np.sum(weight[members])
        spread[g] = np.sqrt(np.mean((sigma[members] - mean[g]) ** 2))
    distance = intensity * np.abs(sigma - mean[group])
    denominator = spread[group] + distance
    v = np.divide(distance, denominator, out=np.zeros_like(distance), where=denominator > 0)
    return pd.Series(v * mean[group] + (1 - v) * sigma, index=vol.index, name="shrunk specific vol")
