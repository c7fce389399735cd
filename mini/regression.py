r"""The cross-sectional regression that turns one period's returns into factor returns.

Model for one period: :math:`r = X f + \varepsilon`, estimated by weighted least squares
with weights proportional to √cap (a stand-in for inverse specific variance: big
stocks are less noisy) and, when the exposures are collinear, subject to linear
constraints f = R g (see :mod:`mini.constraints`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mini import _checks
from mini.factor_portfolios import pure_factor_portfolios


def regression_weights(cap: pd.Series) -> pd.Series:
    r"""Square-root-cap regression weights, :math:`w_i = \sqrt{\mathrm{cap}_i} / \sum_j \sqrt{\mathrm{cap}_j}`."""
    cap = _checks.finite_series(cap, "market caps")
    if (cap <= 0).any():
        raise ValueError(f"market caps must be positive; non-positive for {list(cap.index[cap <= 0])}")
    root = np.sqrt(cap)
    return (root / root.sum()).rename("regression weight")


def weighted_r2(returns: pd.Series, residuals: pd.Series, weights: pd.Series, centred: bool) -> float:
    r"""Weighted coefficient of determination.

    .. math:: R^2 = 1 - \frac{\sum_i w_i e_i^2}{\sum_i w_i (r_i - \bar r)^2}

    with :math:`\bar r = \sum_i w_i r_i / \sum_i w_i` when ``centred`` and
    :math:`\bar r = 0` otherwise. The uncentred version credits the model for the
    common market move; the centred one asks how much of the cross-sectional
    dispersion it explains, and is always the smaller of the two.
    """
    w = weights.to_numpy() / weights.sum()
    r = returns.reindex(weights.index).to_numpy()
    e = residuals.reindex(weights.index).to_numpy()
    centre = w @ r if centred else 0.0
    total = w @ (r - centre) ** 2
    if total == 0:
        raise ValueError("returns have no weighted variation, so R² is undefined")
    return float(1.0 - (w @ e**2) / total)


@dataclass(frozen=True)
class CrossSectionalFit:
    """One period's regression: factor returns, residuals, fit and the portfolios P."""

    factor_returns: pd.Series
    residuals: pd.Series
    weights: pd.Series
    pure_portfolios: pd.DataFrame
    r2_uncentred: float
    r2_centred: float


def cross_sectional_regression(
    exposures: pd.DataFrame,
    returns: pd.Series,
    weights: pd.Series,
    restriction: pd.DataFrame | None = None,
) -> CrossSectionalFit:
    r"""Constrained WLS of one period's stock returns on the exposures.

    .. math:: \hat f = P r, \qquad P = R\,(R^\top X^\top W X R)^{-1} R^\top X^\top W,
       \qquad e = r - X \hat f

    Raises ``ValueError`` when the inputs do not line up, contain NaN, or leave the
    regression singular (for instance an industry with no members).
    """
    returns = _checks.finite_series(returns, "returns")
    _checks.same_labels(exposures.index, returns.index, "stocks", "returns")
    portfolios = pure_factor_portfolios(exposures, weights, restriction)
    r = returns.reindex(exposures.index)
    factor_returns = (portfolios @ r).rename("factor return")
    residuals = (r - exposures @ factor_returns).rename("residual")
    weights = weights.reindex(exposures.index)
    return CrossSectionalFit(
        factor_returns=factor_returns,
        residuals=residuals,
        weights=weights,
        pure_portfolios=portfolios,
        r2_uncentred=weighted_r2(r, residuals, weights, centred=False),
        r2_centred=weighted_r2(r, residuals, weights, centred=True),
    )
