r"""Alpha research: testing whether a signal predicts what the risk model cannot explain.

A signal s (one score per stock, known at the start of a period) is judged by its
information coefficient, the cross-sectional correlation between the scores and the
returns that follow. A raw signal often owes part of its IC to known factors; it is
*neutralised* by regressing it on the exposures and keeping the residual, the part of
the signal the factors cannot reproduce.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mini import _checks
from mini.regression import cross_sectional_regression, panel_regression


def information_coefficient(signal: pd.DataFrame, returns: pd.DataFrame, rank: bool = True) -> pd.Series:
    r"""Cross-sectional correlation between scores and subsequent returns, one per period.

    .. math:: \mathrm{IC}_t = \operatorname{corr}_i(s_{it}, r_{it})

    With ``rank`` the correlation is between ranks (Spearman), which is robust to
    outliers in both; otherwise Pearson. Row t of ``signal`` must be known before the
    returns of row t are earned.
    """
    signal = _checks.finite_frame(signal, "signal")
    returns = _checks.finite_frame(returns, "returns")
    if (
        signal.shape != returns.shape
        or not signal.index.equals(returns.index)
        or not signal.columns.equals(returns.columns)
    ):
        raise ValueError(
            f"signal {signal.shape} and returns {returns.shape} must have the same periods and stocks"
        )
    if rank:
        signal, returns = signal.rank(axis=1), returns.rank(axis=1)
    s = signal.to_numpy() - signal.to_numpy().mean(axis=1, keepdims=True)
    r = returns.to_numpy() - returns.to_numpy().mean(axis=1, keepdims=True)
    denominator = np.sqrt((s**2).sum(axis=1) * (r**2).sum(axis=1))
    if np.any(denominator == 0):
        raise ValueError(
            "signal or returns are constant across stocks in some period, so the IC is undefined"
        )
    return pd.Series((s * r).sum(axis=1) / denominator, index=signal.index, name="IC")


def ic_summary(ic: pd.Series) -> pd.Series:
    r"""Mean IC, its volatility, the IC information ratio and its t-statistic
    :math:`\overline{\mathrm{IC}} / (\operatorname{sd}(\mathrm{IC}) / \sqrt{T})`."""
    ic = _checks.finite_series(ic, "IC")
    if len(ic) < 2:
        raise ValueError("need at least two periods of IC")
    mean, sd = ic.mean(), ic.std(ddof=1)
    return pd.Series(
        {
            "mean IC": mean,
            "IC volatility": sd,
            "IC IR": mean / sd,
            "t-statistic": mean / sd * np.sqrt(len(ic)),
        }
    )


def neutralise(
    signal: pd.Series, exposures: pd.DataFrame, weights: pd.Series, restriction: pd.DataFrame | None = None
) -> pd.Series:
    r"""The part of a signal that the factor exposures cannot explain: the residual of a
    weighted cross-sectional regression of the signal on X,

    .. math:: \tilde s = s - X \hat b, \qquad \hat b = \arg\min_b \sum_i w_i (s_i - X_i b)^2

    (with the same constraints as the factor-return regression). A portfolio built from
    :math:`\tilde s` has no exposure to the factors in the weighted sense, so its
    returns cannot be explained as factor bets.
    """
    signal = _checks.finite_series(signal, "signal")
    fit = cross_sectional_regression(exposures, signal.rename("signal"), weights, restriction)
    return fit.residuals.rename("neutralised signal")


def neutralise_panel(
    signal: pd.DataFrame,
    exposures: np.ndarray,
    weights: pd.DataFrame,
    restrictions: np.ndarray | None = None,
) -> pd.DataFrame:
    r""":func:`neutralise` in every period at once.

    ``signal`` and ``weights`` are periods × stocks, ``exposures`` is (T, N, K) and
    ``restrictions`` (T, K, p) or None. Row t of the result is the residual of the
    weighted regression of row t of the signal on :math:`X_t`,
    :math:`\tilde s_t = s_t - X_t \hat b_t`, computed with the batched regression of
    :func:`mini.regression.panel_regression` (the same numbers as a loop over
    :func:`neutralise`, far faster).
    """
    fit = panel_regression(exposures, signal, weights, restrictions)
    return fit.residuals


def standardise_scores(scores: pd.DataFrame) -> pd.DataFrame:
    r"""Cross-sectional z-scores, one row per period:
    :math:`z_{it} = (s_{it} - \bar s_t) / \operatorname{sd}_i(s_{it})`, with the
    equal-weighted mean and the population standard deviation (ddof 0), so each row
    has mean 0 and standard deviation 1."""
    scores = _checks.finite_frame(scores, "scores")
    centred = scores.sub(scores.mean(axis=1), axis=0)
    spread = centred.pow(2).mean(axis=1).pow(0.5)
    if (spread == 0).any():
        raise ValueError("scores are constant across stocks in some period, so they cannot be standardised")
    return centred.div(spread, axis=0)


def grinold_alpha(scores: pd.DataFrame, residual_vol: pd.Series, ic: float) -> pd.DataFrame:
    r"""Turn scores into alphas with Grinold's rule, :math:`\alpha_{it} = \mathrm{IC}\cdot\omega_i\cdot z_{it}`.

    ``scores`` are periods × stocks, ``residual_vol`` :math:`\omega_i` is each stock's
    residual (specific) volatility in the units the alpha should have (per period:
    annual vol / √periods per year), and ``ic`` the information coefficient of the
    scores against *risk-adjusted* residual returns :math:`\theta_i / \omega_i`. The
    z-scores come from :func:`standardise_scores`.

    Why: if :math:`z` and :math:`u = \theta / \omega` are jointly normal with unit
    variances and correlation IC, the best forecast of u given z is
    :math:`\mathrm{E}[u \mid z] = \mathrm{IC}\, z`, so
    :math:`\mathrm{E}[\theta \mid z] = \mathrm{IC}\,\omega\, z`: volatility times
    skill times score. The result is in return units, so an optimiser can trade it
    against risk.
    """
    z = standardise_scores(scores)
    residual_vol = _checks.finite_series(residual_vol, "residual volatility")
    _checks.same_labels(z.columns, residual_vol.index, "stocks", "residual volatility")
    if (residual_vol <= 0).any():
        raise ValueError("residual volatilities must be positive")
    _checks.finite_array(ic, "IC", ndim=0)
    return z.mul(float(ic) * residual_vol.reindex(z.columns), axis=1)


def transfer_coefficient(alpha: pd.DataFrame, weights: pd.DataFrame, residual_vol: pd.Series) -> pd.Series:
    r"""Transfer coefficient per period (Clarke, de Silva and Thorley, 2002):

    .. math:: \mathrm{TC}_t = \operatorname{corr}_i\!\left(\frac{\alpha_{it}}{\omega_i},\;
       w_{it}\,\omega_i\right),

    the cross-sectional correlation between risk-adjusted alphas and risk-adjusted
    active weights. With residual risk :math:`\operatorname{diag}(\omega^2)` the
    unconstrained optimum has :math:`w_i \omega_i \propto \alpha_i / \omega_i` (TC = 1);
    constraints lower it, and the expected information ratio becomes
    :math:`\mathrm{IR} \approx \mathrm{TC}\cdot\mathrm{IC}\cdot\sqrt{\mathrm{BR}}`.
    Inputs are periods × stocks (alpha and weights on the same labels) and one
    volatility per stock.
    """
    alpha = _checks.finite_frame(alpha, "alpha")
    weights = _checks.finite_frame(weights, "weights")
    residual_vol = _checks.finite_series(residual_vol, "residual volatility")
    _checks.same_labels(alpha.index, weights.index, "periods", "weights")
    _checks.same_labels(alpha.columns, weights.columns, "stocks", "weights")
    _checks.same_labels(alpha.columns, residual_vol.index, "stocks", "residual volatility")
    vol = residual_vol.reindex(alpha.columns).to_numpy()
    a = alpha.to_numpy() / vol
    w = weights.reindex(index=alpha.index, columns=alpha.columns).to_numpy() * vol
    a = a - a.mean(axis=1, keepdims=True)
    w = w - w.mean(axis=1, keepdims=True)
    denominator = np.sqrt((a**2).sum(axis=1) * (w**2).sum(axis=1))
    if np.any(denominator == 0):
        raise ValueError("alpha or weights are constant across stocks in some period, so TC is undefined")
    return pd.Series((a * w).sum(axis=1) / denominator, index=alpha.index, name="TC")


def ic_by_horizon(
    signal: pd.DataFrame, returns: pd.DataFrame, horizons: Sequence[int], rank: bool = True
) -> pd.DataFrame:
    r"""Mean IC of a signal against the returns h periods later, for each horizon h.

    .. math:: \mathrm{IC}(h) = \frac{1}{T_h} \sum_{t} \operatorname{corr}_i(s_{it}, r_{i,t+h})

    Horizon 0 is the usual IC (row t of the signal against row t of the returns, the
    period that follows the signal). The returns must start with the signal's periods
    and may run on beyond them; each horizon uses the :math:`T_h` periods t for which
    return t + h exists. Returns the mean IC, its standard error
    :math:`\operatorname{sd}/\sqrt{T_h}` and :math:`T_h`, one row per horizon.
    """
    signal = _checks.finite_frame(signal, "signal")
    returns = _checks.finite_frame(returns, "returns")
    n = len(signal.index)
    if not returns.index[:n].equals(signal.index):
        raise ValueError("the returns must start with the signal's periods, in the same order")
    horizons = [int(h) for h in horizons]
    if not horizons or min(horizons) < 0 or max(horizons) > len(returns.index) - 2:
        raise ValueError(f"horizons must lie between 0 and the number of return periods - 2, got {horizons}")
    rows = {}
    for h in horizons:
        used = min(n, len(returns.index) - h)
        later = returns.iloc[h : h + used].set_axis(signal.index[:used])
        ic = information_coefficient(signal.iloc[:used], later, rank=rank)
        rows[h] = {
            "mean IC": ic.mean(),
            "standard error": ic.std(ddof=1) / np.sqrt(len(ic)),
            "periods": len(ic),
        }
    return pd.DataFrame(rows).T.rename_axis("horizon")


def ic_half_life(mean_ic: pd.Series) -> float:
    r"""Half-life of a signal's IC, from a least-squares fit of
    :math:`\log \mathrm{IC}(h) = a - h \ln 2 / H` over the horizons h (the index) whose
    mean IC is positive: the number of periods after which the IC has halved.
    Raises ``ValueError`` if fewer than two horizons have a positive IC or the IC does
    not decay: the fitted log IC falls by less than 1e-9 across the horizons, which
    also catches a flat IC whose fitted slope is a rounding error (-2e-16, say)."""
    mean_ic = _checks.finite_series(mean_ic, "mean IC")
    positive = mean_ic[mean_ic > 0]
    if len(positive) < 2:
        raise ValueError("need a positive mean IC at two horizons or more to fit a decay")
    horizons = positive.index.to_numpy(dtype=float)
    slope = np.polyfit(horizons, np.log(positive.to_numpy()), 1)[0]
    if -slope * (horizons.max() - horizons.min()) <= 1e-9:
        raise ValueError("the IC does not decay with the horizon, so it has no half-life")
    return float(-np.log(2.0) / slope)


def combine_signals(ic: pd.Series, signal_corr: pd.DataFrame) -> tuple[pd.Series, float]:
    r"""Best linear combination of standardised signals, and its IC.

    For signals with unit variance, ICs :math:`\mathrm{IC}_j` against the same returns
    and correlation matrix C among themselves, the combination :math:`\sum_j v_j s_j`
    has IC :math:`v^\top \mathrm{IC} / \sqrt{v^\top C v}`, which is largest for
    :math:`v \propto C^{-1}\mathrm{IC}`:

    .. math:: \mathrm{IC}_{\text{combined}} = \sqrt{\mathrm{IC}^\top C^{-1} \mathrm{IC}},

    for two signals :math:`\sqrt{(\mathrm{IC}_1^2 + \mathrm{IC}_2^2 - 2\rho\,\mathrm{IC}_1
    \mathrm{IC}_2) / (1 - \rho^2)}`. Returns the weights (scaled to sum to one) and the
    combined IC.
    """
    ic = _checks.finite_series(ic, "IC")
    signal_corr = _checks.finite_frame(signal_corr, "signal correlation")
    _checks.same_labels(ic.index, signal_corr.index, "signals", "signal correlation rows")
    _checks.same_labels(ic.index, signal_corr.columns, "signals", "signal correlation columns")
    c = signal_corr.loc[ic.index, ic.index].to_numpy()
    _checks.symmetric(c, "signal correlation")
    _checks.positive_definite(c, "signal correlation")
    v = np.linalg.solve(c, ic.to_numpy())
    combined = float(np.sqrt(ic.to_numpy() @ v))
    if v.sum() == 0:
        raise ValueError("the best weights sum to zero and cannot be scaled to sum to one")
    return pd.Series(v / v.sum(), index=ic.index, name="weight"), combined
