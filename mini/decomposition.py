r"""Risk decomposition: where a portfolio's variance comes from.

For weights w, exposures :math:`x = X^\top w` and

.. math:: \sigma^2 = x^\top F x + w^\top \Delta w
   = \sum_k x_k (F x)_k + \sum_i w_i^2 \delta_i .

Each term :math:`x_k (F x)_k` is factor k's contribution; it can be negative when the
factor hedges the others. By Euler's theorem the stock contributions
:math:`w_i (\Sigma w)_i / \sigma` add up to σ exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mini import _checks
from mini.risk_model import RiskModel

SPECIFIC = "Specific"


def portfolio_exposures(exposures: pd.DataFrame, weights: pd.Series) -> pd.Series:
    r"""Factor exposures of a portfolio, :math:`x = X^\top w`."""
    exposures = _checks.finite_frame(exposures, "exposures")
    weights = _checks.finite_series(weights, "weights")
    _checks.same_labels(exposures.index, weights.index, "stocks", "weights")
    return (exposures.T @ weights.reindex(exposures.index)).rename("exposure")


def active_weights(portfolio: pd.Series, benchmark: pd.Series) -> pd.Series:
    """Active weights w_P − w_B; both inputs must be fully invested (sum to 1)."""
    portfolio = _checks.finite_series(portfolio, "portfolio weights")
    benchmark = _checks.finite_series(benchmark, "benchmark weights")
    _checks.same_labels(portfolio.index, benchmark.index, "stocks", "benchmark weights")
    _checks.sums_to(portfolio, 1.0, "portfolio weights")
    _checks.sums_to(benchmark, 1.0, "benchmark weights")
    return (portfolio - benchmark.reindex(portfolio.index)).rename("active weight")


@dataclass(frozen=True)
class RiskDecomposition:
    """A portfolio's variance split into factor and specific parts (annualised, decimal)."""

    exposures: pd.Series
    factor_contributions: pd.Series  # x_k (F x)_k, one per factor; they sum to factor_variance
    factor_variance: float
    specific_variance: float

    @property
    def total_variance(self) -> float:
        return self.factor_variance + self.specific_variance

    @property
    def total_vol(self) -> float:
        return float(np.sqrt(self.total_variance))

    @property
    def factor_vol(self) -> float:
        return float(np.sqrt(self.factor_variance))

    @property
    def specific_vol(self) -> float:
        return float(np.sqrt(self.specific_variance))

    @property
    def shares(self) -> pd.Series:
        """Each factor's and the specific part's share of total variance (sums to 1)."""
        parts = pd.concat([self.factor_contributions, pd.Series({SPECIFIC: self.specific_variance})])
        return (parts / self.total_variance).rename("share of variance")


def decompose_risk(model: RiskModel, weights: pd.Series) -> RiskDecomposition:
    r"""Split :math:`w^\top \Sigma w` into per-factor contributions and specific variance."""
    w = model.aligned_weights(weights)
    exposures = pd.Series(model.exposures.to_numpy().T @ w, index=model.factors)
    return decompose_exposures(model.factor_cov, exposures, float(model.specific_var.to_numpy() @ w**2))


def decompose_exposures(
    factor_cov: pd.DataFrame, exposures: pd.Series, specific_variance: float
) -> RiskDecomposition:
    r"""Decompose risk given factor exposures x and a specific variance :math:`w^\top \Delta w`.

    Used directly when exposures change without the stock weights changing, as when a
    portfolio is hedged with futures that carry factor exposure but no specific risk.
    """
    factor_cov = _checks.finite_frame(factor_cov, "factor covariance")
    exposures = _checks.finite_series(exposures, "exposures")
    _checks.same_labels(factor_cov.index, exposures.index, "factors", "exposures")
    _checks.finite_array(specific_variance, "specific variance", ndim=0)
    if specific_variance < 0:
        raise ValueError(f"specific variance must be non-negative, got {specific_variance}")
    x = _checks.aligned(exposures, factor_cov.index, "factors", "exposures").to_numpy()
    fx = factor_cov.to_numpy() @ x
    return RiskDecomposition(
        exposures=pd.Series(x, index=factor_cov.index, name="exposure"),
        factor_contributions=pd.Series(x * fx, index=factor_cov.index, name="variance contribution"),
        factor_variance=float(x @ fx),
        specific_variance=float(specific_variance),
    )


def tracking_error(model: RiskModel, portfolio: pd.Series, benchmark: pd.Series) -> float:
    r"""Tracking error :math:`\sqrt{(w_P - w_B)^\top \Sigma (w_P - w_B)}`."""
    return decompose_risk(model, active_weights(portfolio, benchmark)).total_vol


def stock_contributions(model: RiskModel, weights: pd.Series) -> pd.DataFrame:
    r"""Marginal and total contributions to risk, stock by stock.

    .. math:: \mathrm{MCR}_i = \frac{(\Sigma w)_i}{\sigma}, \qquad
       \mathrm{CTR}_i = w_i\,\mathrm{MCR}_i, \qquad \sum_i \mathrm{CTR}_i = \sigma

    MCR is the change in volatility per unit of extra weight in stock i; CTR is the
    part of the volatility attributed to the stock. The share column is CTR / σ.
    """
    w = model.aligned_weights(weights)
    sigma_w = model.covariance_times(weights).to_numpy()
    vol = float(np.sqrt(w @ sigma_w))
    if vol == 0:
        raise ValueError("the portfolio has zero risk, so contributions to risk are undefined")
    mcr = sigma_w / vol
    return pd.DataFrame({"weight": w, "MCR": mcr, "CTR": w * mcr, "share": w * mcr / vol}, index=model.stocks)


def betas_to_portfolio(model: RiskModel, weights: pd.Series) -> pd.Series:
    r"""Each stock's beta to a portfolio, :math:`\beta = \Sigma w / (w^\top \Sigma w)`.

    The model-implied counterpart of a time-series regression beta on the portfolio's
    return; the weighted average :math:`w^\top \beta` is one by construction.
    """
    w = model.aligned_weights(weights)
    sigma_w = model.covariance_times(weights)
    variance = float(w @ sigma_w.to_numpy())
    if variance <= 0:
        raise ValueError("the portfolio has zero variance, so betas to it are undefined")
    return (sigma_w / variance).rename("beta")


def block_contributions(decomposition: RiskDecomposition, blocks: Mapping[str, Sequence[str]]) -> pd.Series:
    """Variance contributions summed over named blocks of factors, plus the specific part.

    Every factor must sit in exactly one block, so the result sums to total variance.
    """
    factors = decomposition.factor_contributions.index
    seen: list[str] = []
    for members in blocks.values():
        seen.extend(_checks.known_labels(members, factors, "factor"))
    repeated = sorted({name for name in seen if seen.count(name) > 1})
    left_out = [name for name in factors if name not in seen]
    if repeated or left_out:
        raise ValueError(
            f"blocks must cover each factor exactly once: repeated {repeated}, left out {left_out}"
        )
    sums = {
        block: float(decomposition.factor_contributions[list(members)].sum())
        for block, members in blocks.items()
    }
    sums[SPECIFIC] = decomposition.specific_variance
    return pd.Series(sums, name="variance contribution")


def pairwise_factor_contributions(factor_cov: pd.DataFrame, exposures: pd.Series) -> pd.DataFrame:
    r"""Factor variance term by term, :math:`T_{kl} = x_k F_{kl} x_l`.

    The K × K table is symmetric; its diagonal holds each factor's stand-alone
    variance :math:`x_k^2 F_{kk}`, and row k sums to factor k's contribution
    :math:`x_k (F x)_k`, so the whole table sums to the factor variance
    :math:`x^\top F x`. Off-diagonal entries show which pairs of bets reinforce each
    other (positive) and which offset (negative).
    """
    factor_cov = _checks.finite_frame(factor_cov, "factor covariance")
    exposures = _checks.finite_series(exposures, "exposures")
    _checks.same_labels(factor_cov.index, exposures.index, "factors", "exposures")
    _checks.symmetric(factor_cov.to_numpy(), "factor covariance")
    x = exposures.reindex(factor_cov.index).to_numpy()
    terms = np.outer(x, x) * factor_cov.loc[factor_cov.index, factor_cov.index].to_numpy()
    return pd.DataFrame(terms, index=factor_cov.index, columns=factor_cov.index)


def x_sigma_rho(factor_cov: pd.DataFrame, exposures: pd.Series, specific_variance: float) -> pd.DataFrame:
    r"""Menchero and Davis's x-σ-ρ decomposition of a portfolio's volatility.

    Each source's contribution to volatility is its exposure times its volatility
    times its correlation with the portfolio's return:

    .. math:: c_k = x_k\, \sigma_k\, \rho_k, \qquad
       \rho_k = \frac{\operatorname{Cov}(f_k, R)}{\sigma_k\, \sigma} = \frac{(F x)_k}{\sigma_k\, \sigma},

    where :math:`\sigma_k = \sqrt{F_{kk}}` and :math:`\sigma^2 = x^\top F x + w^\top\Delta w`.
    Specific returns are uncorrelated with the factors, so :math:`\operatorname{Cov}(f_k, R)
    = (Fx)_k` and :math:`c_k = x_k (F x)_k / \sigma`, the Euler contribution of
    :func:`decompose_risk` divided by σ. The specific part is one more source with
    exposure 1, volatility :math:`\sigma_s = \sqrt{w^\top \Delta w}` and correlation
    :math:`\sigma_s / \sigma`. The contributions add up to σ.

    Returns one row per factor and a last row ``Specific``, with columns ``exposure``,
    ``volatility``, ``stand-alone`` (:math:`x_k \sigma_k`, the volatility of the
    source on its own, signed), ``correlation`` and ``contribution``.
    """
    d = decompose_exposures(factor_cov, exposures, specific_variance)
    vol = d.total_vol
    if vol == 0:
        raise ValueError("the portfolio has zero risk, so correlations with it are undefined")
    cov = factor_cov.loc[d.exposures.index, d.exposures.index].to_numpy()
    sigma_k = np.sqrt(np.diag(cov))
    if np.any(sigma_k == 0):
        raise ValueError("a factor has zero volatility, so its correlation is undefined")
    x = d.exposures.to_numpy()
    rho = (cov @ x) / (sigma_k * vol)
    table = pd.DataFrame(
        {"exposure": x, "volatility": sigma_k, "stand-alone": x * sigma_k, "correlation": rho},
        index=d.exposures.index,
    )
    spec = d.specific_vol
    table.loc[SPECIFIC] = [1.0, spec, spec, spec / vol]
    table["contribution"] = table["stand-alone"] * table["correlation"]
    return table


def recentre_industries(factor_cov: pd.DataFrame, market: str, industry_weights: pd.Series) -> pd.DataFrame:
    r"""The factor covariance under another industry convention, :math:`F' = M F M^\top`.

    The market factor and one dummy per industry are collinear, so some constraint
    must pin the industry returns down; the book's is that cap-weighted industry
    returns sum to zero. Any other set of weights :math:`\nu_j` (summing to one) gives
    equally valid factor returns

    .. math:: f'_j = f_j - m, \qquad f'_{\text{mkt}} = f_{\text{mkt}} + m, \qquad
       m = \sum_j \nu_j f_j ,

    with :math:`\sum_j \nu_j f'_j = 0`. Every stock's factor return
    :math:`f_{\text{mkt}} + f_{j(i)}` is unchanged, and so is :math:`XFX^\top`, but
    risk moves between the market and the industries. M is the K × K matrix of this
    map; ``industry_weights`` names the industries (the other factors are untouched).
    """
    factor_cov = _checks.finite_frame(factor_cov, "factor covariance")
    industry_weights = _checks.finite_series(industry_weights, "industry weights")
    factors = factor_cov.index
    _checks.known_labels([market], factors, "factor")
    industries = _checks.known_labels(industry_weights.index, factors, "factor")
    if market in industries:
        raise ValueError(f"the market factor {market!r} cannot also be an industry")
    _checks.sums_to(industry_weights, 1.0, "industry weights")
    position = {name: k for k, name in enumerate(factors)}
    m = np.eye(len(factors))
    nu = industry_weights.reindex(industries).to_numpy()
    columns = [position[name] for name in industries]
    for j in columns:
        m[j, columns] -= nu
    m[position[market], columns] += nu
    cov = factor_cov.loc[factors, factors].to_numpy()
    return pd.DataFrame(m @ cov @ m.T, index=factors, columns=factors)
