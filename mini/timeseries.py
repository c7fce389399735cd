r"""Estimators that run through time: time-series betas and Fama–MacBeth.

A time-series (macro) model observes the factor returns and estimates each stock's
exposures by regressing its returns on them. Fama–MacBeth goes the other way round:
it observes characteristics, runs one cross-sectional regression per period, and
averages the slopes through time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mini import _checks


@dataclass(frozen=True)
class TimeSeriesBetas:
    """OLS betas of each asset on the factors, with standard errors (rows: assets)."""

    alpha: pd.Series
    alpha_standard_error: pd.Series
    betas: pd.DataFrame
    standard_errors: pd.DataFrame
    residual_vol: pd.Series


def time_series_betas(asset_returns: pd.DataFrame, factor_returns: pd.DataFrame) -> TimeSeriesBetas:
    r"""Regress every asset on the factors at once: :math:`r_{it} = \alpha_i + \beta_i^\top f_t + e_{it}`.

    Standard errors are the OLS ones, :math:`\operatorname{se}(\hat\beta_i) =
    \hat s_i \sqrt{\operatorname{diag}((Z^\top Z)^{-1})}` with Z the factor returns and a
    constant, and :math:`\hat s_i^2 = \sum_t e_{it}^2 / (T - K - 1)`.
    """
    assets = _checks.finite_frame(asset_returns, "asset returns")
    factors = _checks.finite_frame(factor_returns, "factor returns")
    if not assets.index.equals(factors.index):
        raise ValueError("asset and factor returns must cover the same periods")
    n_periods, n_factors = factors.shape
    if n_periods <= n_factors + 1:
        raise ValueError(f"{n_periods} periods cannot identify {n_factors} betas and an intercept")
    z = np.column_stack([np.ones(n_periods), factors.to_numpy()])
    zz = z.T @ z
    if np.linalg.matrix_rank(zz) < zz.shape[0]:
        raise ValueError("factor returns are collinear, so the betas are not identified")
    coef = np.linalg.solve(zz, z.T @ assets.to_numpy())
    resid = assets.to_numpy() - z @ coef
    s2 = np.sum(resid**2, axis=0) / (n_periods - n_factors - 1)
    se = np.sqrt(np.outer(np.diag(np.linalg.inv(zz)), s2))
    return TimeSeriesBetas(
        alpha=pd.Series(coef[0], index=assets.columns, name="alpha"),
        alpha_standard_error=pd.Series(se[0], index=assets.columns, name="alpha standard error"),
        betas=pd.DataFrame(coef[1:].T, index=assets.columns, columns=factors.columns),
        standard_errors=pd.DataFrame(se[1:].T, index=assets.columns, columns=factors.columns),
        residual_vol=pd.Series(np.sqrt(s2), index=assets.columns, name="residual vol"),
    )


def vasicek_weights(
    betas: pd.Series, standard_errors: pd.Series, prior_std: float | None = None
) -> pd.Series:
    r"""The weight each beta keeps on its own estimate under Vasicek shrinkage,

    .. math:: w_i = \frac{\sigma_p^2}{\sigma_p^2 + s_i^2} ,

    with :math:`s_i` the standard error of :math:`\hat\beta_i` and :math:`\sigma_p` the
    prior's standard deviation; by default the cross-sectional dispersion of the betas
    net of estimation noise, :math:`\sigma_p^2 = \operatorname{var}(\hat\beta)
    - \overline{s^2}` (ddof 1, floored at 1e-12). A weight near one leaves the
    estimate alone; near zero replaces it by the prior mean.
    """
    betas = _checks.finite_series(betas, "betas")
    se = _checks.finite_series(standard_errors, "standard errors")
    _checks.same_labels(betas.index, se.index, "assets", "standard errors")
    se = se.reindex(betas.index)
    if (se <= 0).any():
        raise ValueError("standard errors must be positive")
    if prior_std is None:
        prior_var = max(float(betas.var(ddof=1) - np.mean(se**2)), 1e-12)
    else:
        prior_var = _checks.positive(prior_std, "prior standard deviation") ** 2
    return (prior_var / (prior_var + se**2)).rename("weight on own estimate")


def shrink_betas(
    betas: pd.Series,
    standard_errors: pd.Series,
    prior_mean: float | None = None,
    prior_std: float | None = None,
) -> pd.Series:
    r"""Bayesian (Vasicek) shrinkage of betas towards a prior:

    .. math:: \tilde\beta_i = \frac{\sigma_p^2}{\sigma_p^2 + s_i^2}\,\hat\beta_i
       + \frac{s_i^2}{\sigma_p^2 + s_i^2}\,\mu_p

    Noisy estimates (large :math:`s_i`) move furthest. By default the prior is the
    cross-section: mean of the betas and their dispersion net of estimation noise
    (the weights are :func:`vasicek_weights`).
    """
    weight = vasicek_weights(betas, standard_errors, prior_std)
    betas = betas.reindex(weight.index)
    mean = float(betas.mean()) if prior_mean is None else _checks.number(prior_mean, "prior mean")
    return (weight * betas + (1 - weight) * mean).rename("shrunk beta")


@dataclass(frozen=True)
class FamaMacBeth:
    """Per-period slopes, their time-series means, standard errors and t-statistics."""

    slopes: pd.DataFrame
    mean: pd.Series
    standard_error: pd.Series
    t_stat: pd.Series


def fama_macbeth(returns: pd.DataFrame, characteristics: np.ndarray, names: list[str]) -> FamaMacBeth:
    r"""Fama–MacBeth: OLS of returns on characteristics (plus a constant) in each period,
    then :math:`\bar\gamma = \frac1T \sum_t \hat\gamma_t`, :math:`\operatorname{se} =
    \operatorname{std}(\hat\gamma_t)/\sqrt{T}`.

    ``characteristics`` is (T, N, J), aligned with ``returns`` (T × N). The standard
    error comes from the variation of the slopes through time, which makes it robust
    to cross-sectional correlation of the residuals.
    """
    returns = _checks.finite_frame(returns, "returns")
    z = _checks.finite_array(characteristics, "characteristics", ndim=3)
    n_periods, n_assets = returns.shape
    if z.shape[:2] != (n_periods, n_assets) or z.shape[2] != len(names):
        raise ValueError(f"characteristics {z.shape} do not match returns {returns.shape} and names {names}")
    if n_periods < 2:
        raise ValueError("need at least two periods")
    design = np.concatenate([np.ones((n_periods, n_assets, 1)), z], axis=2)
    normal = np.einsum("tnj,tnk->tjk", design, design)
    if np.any(np.linalg.matrix_rank(normal) < design.shape[2]):
        raise ValueError("characteristics are collinear in some period")
    slopes = np.linalg.solve(normal, np.einsum("tnj,tn->tj", design, returns.to_numpy())[:, :, None])[:, :, 0]
    columns = ["const", *names]
    frame = pd.DataFrame(slopes, index=returns.index, columns=columns)
    se = frame.std(ddof=1) / np.sqrt(n_periods)
    return FamaMacBeth(slopes=frame, mean=frame.mean(), standard_error=se, t_stat=frame.mean() / se)
