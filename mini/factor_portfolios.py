r"""Factor-mimicking portfolios: the pure factor portfolios and characteristic portfolios."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mini import _checks
from mini.risk_model import RiskModel


def pure_factor_portfolios(
    exposures: pd.DataFrame, weights: pd.Series, restriction: pd.DataFrame | None = None
) -> pd.DataFrame:
    r"""The K × N matrix P whose rows are the pure factor portfolios.

    .. math:: P = R\,(R^\top X^\top W X R)^{-1} R^\top X^\top W

    with X the N × K exposures, W = diag(``weights``) the regression weights and R the
    restriction matrix (identity when ``restriction`` is None). The constrained
    weighted least-squares factor returns are f = P r, so row k is a long–short
    portfolio whose return *is* factor k's return. PX = I when R = I; with a
    constraint only PXR = R holds.
    """
    exposures = _checks.finite_frame(exposures, "exposures")
    weights = _checks.finite_series(weights, "regression weights")
    _checks.same_labels(exposures.index, weights.index, "stocks", "regression weights")
    if (weights.to_numpy() <= 0).any():
        raise ValueError(
            f"regression weights must be positive; not so for {list(weights.index[weights <= 0])}"
        )
    if restriction is None:
        restriction = pd.DataFrame(
            np.eye(exposures.shape[1]), index=exposures.columns, columns=exposures.columns
        )
    restriction = _checks.finite_frame(restriction, "restriction matrix")
    _checks.same_labels(exposures.columns, restriction.index, "factors", "restriction matrix")

    x = exposures.to_numpy()
    # aligned() reorders only when the labels are out of order (a copy otherwise wasted)
    r = _checks.aligned(restriction, exposures.columns, "factors", "restriction matrix").to_numpy()
    w = _checks.aligned(weights, exposures.index, "stocks", "regression weights").to_numpy()
    xr = x @ r
    xr_w = xr.T * w  # (XR)^T W without forming the N x N diagonal matrix
    normal = xr_w @ xr
    _require_full_rank(normal, exposures, restriction)
    portfolios = r @ np.linalg.solve(normal, xr_w)
    return pd.DataFrame(portfolios, index=exposures.columns, columns=exposures.index)


def characteristic_portfolio(covariance: pd.DataFrame, exposure: pd.Series) -> pd.Series:
    r"""Minimum-variance portfolio with unit exposure to a characteristic a.

    .. math:: h_a = \frac{\Sigma^{-1} a}{a^\top \Sigma^{-1} a}

    It solves min hᵀΣh subject to hᵀa = 1; unlike a pure factor portfolio it may carry
    exposure to other factors when that lowers its variance.
    """
    covariance = _checks.finite_frame(covariance, "covariance")
    exposure = _checks.finite_series(exposure, "exposure")
    _checks.same_labels(covariance.index, exposure.index, "stocks", "exposure")
    _checks.positive_definite(covariance.to_numpy(), "covariance")
    a = exposure.reindex(covariance.index).to_numpy()
    if not np.any(a):
        raise ValueError("exposure is zero for every stock: no portfolio has unit exposure")
    solved = np.linalg.solve(covariance.to_numpy(), a)
    return pd.Series(solved / (a @ solved), index=covariance.index, name=exposure.name)


def model_characteristic_portfolio(model: RiskModel, exposure: pd.Series) -> pd.Series:
    r""":func:`characteristic_portfolio` for a factor risk model, without forming Σ.

    .. math:: h_a = \frac{\Sigma^{-1} a}{a^\top \Sigma^{-1} a}, \qquad
       \Sigma = X F X^\top + \Delta

    :math:`\Sigma^{-1} a` comes from :meth:`mini.risk_model.RiskModel.solve` (the
    Woodbury identity), so the cost grows linearly with the number of stocks and a
    3000-stock universe needs no 3000 × 3000 matrix. ``exposure`` is any
    characteristic a, typically a column of the model's exposures.
    """
    exposure = _checks.finite_series(exposure, "exposure")
    _checks.same_labels(model.stocks, exposure.index, "stocks", "exposure")
    a = exposure.reindex(model.stocks)
    if not np.any(a.to_numpy()):
        raise ValueError("exposure is zero for every stock: no portfolio has unit exposure")
    solved = model.solve(a)
    return (solved / float(a @ solved)).rename(exposure.name)


def _require_full_rank(normal: np.ndarray, exposures: pd.DataFrame, restriction: pd.DataFrame) -> None:
    """Raise a ValueError that explains why the regression (normal matrix R'X'WXR) has no
    unique solution; the rule is the one :func:`mini.regression.panel_regression` uses."""
    n_stocks, n_free = len(exposures), len(normal)
    if n_stocks < n_free:
        raise ValueError(
            f"regression is singular: {n_stocks} stocks cannot identify {n_free} free factor returns"
        )
    if not _checks.singular(normal):
        return
    empty = list(exposures.columns[(exposures == 0).all(axis=0)])
    if empty:
        raise ValueError(
            f"regression is singular: no stock has exposure to {empty} (an industry with no members?)"
        )
    raise ValueError(
        "regression is singular: the exposures are collinear on the free factors "
        f"{list(restriction.columns)}; add a constraint or drop a factor"
    )


def sort_portfolio_weights(characteristic: np.ndarray, fraction: float = 0.3) -> np.ndarray:
    r"""Fama–French style long–short weights from a characteristic, period by period.

    In each row (period) of the (T, N) ``characteristic``, the stocks in the top
    ``fraction`` are held long with equal weights summing to one and the bottom
    ``fraction`` short with weights summing to minus one:

    .. math:: w_{it} = \frac{\mathbb 1[i \in \text{top}_t]}{n_{\text{top}}}
       - \frac{\mathbb 1[i \in \text{bottom}_t]}{n_{\text{bottom}}}

    Simple and transparent, but not pure: the legs differ in every other
    characteristic that is correlated with the one sorted on.
    """
    values = _checks.finite_array(characteristic, "characteristic")
    values = values[None, :] if values.ndim == 1 else values
    if values.ndim != 2:
        raise ValueError(f"characteristic must be (stocks,) or (periods, stocks), got shape {values.shape}")
    if not 0 < fraction <= 0.5:
        raise ValueError(f"fraction must be in (0, 0.5], got {fraction}")
    n_stocks = values.shape[1]
    n_leg = int(np.floor(fraction * n_stocks))
    if n_leg < 1:
        raise ValueError(f"a fraction of {fraction} of {n_stocks} stocks leaves an empty leg")
    order = np.argsort(values, axis=1, kind="stable")
    weights = np.zeros_like(values)
    rows = np.arange(values.shape[0])[:, None]
    weights[rows, order[:, -n_leg:]] = 1.0 / n_leg
    weights[rows, order[:, :n_leg]] = -1.0 / n_leg
    return weights if np.ndim(characteristic) == 2 else weights[0]
