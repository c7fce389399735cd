r"""The dimensionality problem: why a covariance matrix of many stocks needs a model.

A full covariance matrix of N stocks has :math:`N(N+1)/2` free entries; a factor model
with K factors has :math:`K(K+1)/2` factor covariances and N specific variances (the
exposures are observed, not estimated). A sample covariance estimated from T periods
has rank at most :math:`T - 1`, so with :math:`T \le N` it is singular: some fully
invested portfolio appears to carry no risk at all.

:func:`draw_returns` produces the short histories that show this, drawn from a known
factor model so the true covariance is there to compare with.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mini import _checks
from mini.risk_model import RiskModel


def _count(value: int, name: str) -> int:
    return _checks.whole(value, name, 1, "a positive whole number")


def covariance_parameter_count(n_stocks: int) -> int:
    r"""Distinct entries of an N × N covariance matrix, :math:`N(N+1)/2`
    (N variances and :math:`N(N-1)/2` covariances)."""
    n = _count(n_stocks, "number of stocks")
    return n * (n + 1) // 2


def factor_model_parameter_count(n_stocks: int, n_factors: int) -> int:
    r"""Parameters a factor model estimates, :math:`K(K+1)/2 + N`: the factor covariance F
    and the N specific variances. The exposures X are observed, so they are not counted."""
    n = _count(n_stocks, "number of stocks")
    k = _count(n_factors, "number of factors")
    return k * (k + 1) // 2 + n


def zero_variance_portfolio(covariance: pd.DataFrame, rel_tol: float = 1e-10) -> pd.Series:
    r"""The fully invested portfolio that a singular covariance matrix says is riskless.

    Let :math:`V_0` hold the eigenvectors whose eigenvalues are at most ``rel_tol`` times
    the largest (the null space, up to rounding) and :math:`P = V_0 V_0^\top` the
    projection onto it. Then

    .. math:: w = \frac{P \mathbf{1}}{\mathbf{1}^\top P \mathbf{1}}

    has :math:`\mathbf{1}^\top w = 1` and :math:`w^\top \Sigma w = 0`; of all such
    portfolios it is the one with the smallest sum of squared weights.

    Raises ``ValueError`` if the matrix is not symmetric, not positive semi-definite, has
    no (numerically) zero eigenvalue, or if every riskless combination is dollar-neutral
    (then no fully invested portfolio has zero variance).
    """
    covariance = _checks.finite_frame(covariance, "covariance")
    sigma = covariance.to_numpy()
    _checks.symmetric(sigma, "covariance")
    if not np.isfinite(rel_tol) or not 0 < rel_tol < 1:
        raise ValueError(f"rel_tol must lie strictly between 0 and 1, got {rel_tol}")
    eigenvalues, eigenvectors = np.linalg.eigh(sigma)
    largest = float(eigenvalues[-1])
    if largest <= 0:
        raise ValueError("covariance has no positive eigenvalue: it describes no risk at all")
    threshold = rel_tol * largest
    if eigenvalues[0] < -threshold:
        raise ValueError(
            f"covariance is not positive semi-definite (smallest eigenvalue {eigenvalues[0]:.3g})"
        )
    null_space = eigenvectors[:, eigenvalues <= threshold]
    if null_space.shape[1] == 0:
        raise ValueError(
            "covariance is non-singular (smallest eigenvalue "
            f"{eigenvalues[0]:.3g}), so no portfolio has zero variance"
        )
    ones = np.ones(sigma.shape[0])
    projected = null_space @ (null_space.T @ ones)
    budget = float(ones @ projected)
    if budget <= rel_tol * sigma.shape[0]:
        raise ValueError(
            "every zero-variance combination of the stocks is dollar-neutral; none is fully invested"
        )
    return pd.Series(projected / budget, index=covariance.index, name="weight")


def _factor_root(f: np.ndarray) -> np.ndarray:
    """A matrix L with L Lᵀ = F: the Cholesky factor, or, for a singular F (which a
    RiskModel allows), U √max(λ, 0) from F's eigendecomposition."""
    try:
        return np.linalg.cholesky(f)
    except np.linalg.LinAlgError:
        eigenvalues, eigenvectors = np.linalg.eigh(f)
        return eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))


def draw_returns(
    model: RiskModel, n_periods: int, periods_per_year: int = 252, seed: int | np.random.Generator = 0
) -> pd.DataFrame:
    r"""Simulated per-period stock returns :math:`r_t = X f_t + \varepsilon_t` from a factor model.

    Factor returns are drawn as :math:`f_t \sim N(0, F/p)` and specific returns as
    :math:`\varepsilon_t \sim N(0, \Delta/p)`, independently across periods, where p is
    ``periods_per_year`` (the model is annualised), so that the covariance of the draws
    is :math:`\Sigma / p`. Rows are periods, columns are the model's stocks.
    """
    periods = _count(n_periods, "number of periods")
    per_year = _count(periods_per_year, "periods per year")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    root = _factor_root(model.factor_cov.to_numpy() / per_year)
    factor_returns = rng.standard_normal((periods, len(model.factors))) @ root.T
    specific = rng.standard_normal((periods, len(model.stocks))) * np.sqrt(
        model.specific_var.to_numpy() / per_year
    )
    returns = factor_returns @ model.exposures.to_numpy().T + specific
    return pd.DataFrame(returns, index=pd.RangeIndex(1, periods + 1, name="period"), columns=model.stocks)
