r"""Out-of-sample tests on real returns: estimate on a trailing window, hold, measure.

A risk model earns its keep out of sample. Both tests here walk through a return history
the same way: at each rebalancing date :math:`t` they estimate on the ``window`` periods
before :math:`t`, form a portfolio (or a hedge) from the estimate, and hold it for the
next ``hold`` periods, recording the returns it then earns. Weights are held constant
over each holding period (rebalanced back to target every period), which keeps the
arithmetic transparent; costs are ignored. Nothing after :math:`t` is used to choose
what is held after :math:`t`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from mini import _checks
from mini.timeseries import time_series_betas

CovarianceEstimator = Callable[[pd.DataFrame], pd.DataFrame]


def minimum_variance_weights(covariance: pd.DataFrame) -> pd.Series:
    r"""The fully invested portfolio of least forecast variance, shorts allowed.

    .. math:: w = \frac{\Sigma^{-1}\mathbf 1}{\mathbf 1^\top \Sigma^{-1} \mathbf 1}

    ``covariance`` is N × N, labelled by asset on both axes; the weights sum to one.
    """
    covariance = _checks.finite_frame(covariance, "covariance")
    _checks.same_labels(covariance.index, covariance.columns, "assets", "covariance columns")
    if not covariance.columns.equals(covariance.index):  # .loc costs more than the solve
        covariance = covariance.loc[covariance.index, covariance.index]
    _checks.symmetric(covariance.to_numpy(), "covariance")
    _checks.positive_definite(covariance.to_numpy(), "covariance")
    raw = np.linalg.solve(covariance.to_numpy(), np.ones(len(covariance)))
    return pd.Series(raw / raw.sum(), index=covariance.index, name="weight")


def single_index_covariance(returns: pd.DataFrame, market: pd.Series) -> pd.DataFrame:
    r"""The covariance implied by a one-factor (market) model estimated by OLS.

    .. math:: \Sigma = \beta\beta^\top \sigma_m^2 + \operatorname{diag}(s_1^2, \dots, s_N^2)

    β are the time-series betas on ``market``, :math:`\sigma_m^2` the market's sample
    variance (ddof = 1) and :math:`s_i^2` the residual variances (ddof = 2: a slope and an
    intercept). ``returns`` is T × N, ``market`` has the same T periods; the result has
    the returns' units squared per period.
    """
    market = _checks.finite_series(market, "market returns")
    fit = time_series_betas(returns, market.to_frame("market"))
    beta = fit.betas["market"].to_numpy()
    sigma = np.outer(beta, beta) * market.var(ddof=1) + np.diag(fit.residual_vol.to_numpy() ** 2)
    return pd.DataFrame(sigma, index=returns.columns, columns=returns.columns)


def _rebalancing_dates(index: pd.Index, window: int, hold: int) -> range:
    window = _checks.whole(window, "window", 2, "a whole number of periods, at least 2")
    hold = _checks.whole(hold, "hold", 1, "a whole number of periods, at least 1")
    if len(index) <= window:
        raise ValueError(f"{len(index)} periods leave nothing to test after a {window}-period window")
    return range(window, len(index), hold)


def _history(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    frame = _checks.finite_frame(frame, name)
    _checks.oldest_first(frame, name)
    return frame


def minimum_variance_backtest(
    returns: pd.DataFrame,
    estimators: Mapping[str, CovarianceEstimator],
    window: int,
    hold: int,
) -> pd.DataFrame:
    r"""Realised returns of the minimum-variance portfolio built with each estimator.

    At each rebalancing date every estimator maps the trailing ``window`` × N returns to
    a covariance matrix; :func:`minimum_variance_weights` turns it into weights, held for
    the next ``hold`` periods. Returns a (periods after the first window) × estimators
    frame of portfolio returns: the lower their volatility, the better the estimator
    forecast which combinations of the assets are quiet.
    """
    returns = _history(returns, "returns")
    if not estimators:
        raise ValueError("give at least one covariance estimator")
    values = returns.to_numpy()
    realised = {name: [] for name in estimators}
    for start in _rebalancing_dates(returns.index, window, hold):
        past = returns.iloc[start - window : start]
        for name, estimate in estimators.items():
            weights = minimum_variance_weights(estimate(past)).reindex(returns.columns)
            realised[name].append(values[start : start + hold] @ weights.to_numpy())
    held = returns.index[window:]
    return pd.DataFrame({name: np.concatenate(parts) for name, parts in realised.items()}, index=held)


def hedge_backtest(
    portfolio: pd.Series,
    instruments: pd.DataFrame,
    hedges: Mapping[str, list[str]],
    window: int,
    hold: int,
) -> pd.DataFrame:
    r"""Realised returns of a portfolio hedged with each chosen set of instruments.

    The minimum-variance hedge of portfolio return :math:`r_p` with instrument returns
    :math:`r_I` sells the regression coefficients of :math:`r_p` on :math:`r_I`,

    .. math:: n = -\operatorname{Cov}(r_I)^{-1}\operatorname{Cov}(r_I, r_p),

    estimated by OLS (with an intercept) on the trailing ``window`` periods and held for
    the next ``hold``. ``hedges`` maps a name to the instrument columns it uses; an empty
    list is the unhedged portfolio. Returns periods × hedges of hedged returns
    :math:`r_p + r_I^\top n`.
    """
    portfolio = _checks.finite_series(portfolio, "portfolio returns")
    instruments = _history(instruments, "instrument returns")
    if not portfolio.index.equals(instruments.index):
        raise ValueError("portfolio and instrument returns must cover the same periods, in the same order")
    chosen = {
        name: _checks.known_labels(used, instruments.columns, "instrument") for name, used in hedges.items()
    }
    target = portfolio.to_frame("portfolio")
    realised = {name: [] for name in hedges}
    for start in _rebalancing_dates(portfolio.index, window, hold):
        past, future = slice(start - window, start), slice(start, start + hold)
        for name, used in chosen.items():
            hedged = portfolio.iloc[future].to_numpy()
            if used:
                fit = time_series_betas(target.iloc[past], instruments.iloc[past][used])
                notionals = -fit.betas.loc["portfolio", used].to_numpy()
                hedged = hedged + instruments.iloc[future][used].to_numpy() @ notionals
            realised[name].append(hedged)
    held = portfolio.index[window:]
    return pd.DataFrame({name: np.concatenate(parts) for name, parts in realised.items()}, index=held)
