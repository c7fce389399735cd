r"""Stress testing: what a portfolio loses if factors move by a given amount.

A naive stress moves one factor and holds the others still. Factors are correlated,
so a more plausible scenario moves the others by their expected value given the
shocked factor (the conditional mean of a joint normal):

.. math:: E[f \mid f_k = s] = \frac{F_{\cdot k}}{F_{kk}}\, s .
"""

from __future__ import annotations

import pandas as pd

from mini import _checks


def sigma_shock(factor_cov: pd.DataFrame, factor: str, n_sigmas: float) -> float:
    r"""A shock of ``n_sigmas`` standard deviations to one factor, :math:`n \sqrt{F_{kk}}`."""
    factor_cov = _checks.finite_frame(factor_cov, "factor covariance")
    _checks.known_labels([factor], factor_cov.index, "factor")
    _checks.positive_variances(factor_cov, "factor covariance")
    n_sigmas = _checks.number(n_sigmas, "number of standard deviations")
    return float(n_sigmas * factor_cov.loc[factor, factor] ** 0.5)


def single_factor_shock(factors: pd.Index, factor: str, shock: float) -> pd.Series:
    """The naive scenario: ``factor`` moves by ``shock``, every other factor stays put."""
    _checks.known_labels([factor], factors, "factor")
    moves = pd.Series(0.0, index=factors, name="factor move")
    moves[factor] = shock
    return moves


def conditional_factor_shock(factor_cov: pd.DataFrame, factor: str, shock: float) -> pd.Series:
    r"""Expected move of every factor when ``factor`` moves by ``shock``: :math:`F_{\cdot k} s / F_{kk}`."""
    factor_cov = _checks.finite_frame(factor_cov, "factor covariance")
    _checks.known_labels([factor], factor_cov.index, "factor")
    _checks.symmetric(factor_cov.to_numpy(), "factor covariance")
    _checks.positive_variances(factor_cov, "factor covariance")
    shock = _checks.number(shock, "shock")
    return (factor_cov[factor] / factor_cov.loc[factor, factor] * shock).rename("factor move")


def shock_impact(exposures: pd.Series, factor_moves: pd.Series) -> float:
    r"""Portfolio return under a scenario of factor moves m, :math:`x^\top m` (specific returns
    assumed zero)."""
    exposures = _checks.finite_series(exposures, "exposures")
    factor_moves = _checks.finite_series(factor_moves, "factor moves")
    _checks.same_labels(exposures.index, factor_moves.index, "factors", "factor moves")
    return float(exposures @ factor_moves.reindex(exposures.index))
