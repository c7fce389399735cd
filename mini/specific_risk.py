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
