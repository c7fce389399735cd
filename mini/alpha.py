r"""Alpha research: testing whether a signal predicts what the risk model cannot explain.

A signal s (one score per stock, known at the start of a period) is judged by its
information coefficient, the cross-sectional correlation between the scores and the
returns that follow. A raw signal often owes part of its IC to known factors; it is
*neutralised* by regressing it on the exposures and keeping the residual, the part of
the signal the factors cannot reproduce.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mini import _checks
from mini.regression import cross_sectional_regression


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
