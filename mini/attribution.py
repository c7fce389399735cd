r"""Performance attribution: which factors (and how much stock picking) made the return.

In one period the active return splits exactly,

.. math:: r_A = \sum_k x_k f_k + r_{\text{spec}},

with x the active exposures. Over several periods returns compound, the single-period
pieces no longer add up to the cumulative active return, and a linking scheme
(Cariño's, here) rescales each period's pieces so that they do.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mini import _checks

SPECIFIC = "Specific"


def factor_attribution(exposures: pd.Series, factor_returns: pd.Series, specific_return: float) -> pd.Series:
    r"""One period's return by source: :math:`x_k f_k` per factor, then the specific return."""
    exposures = _checks.finite_series(exposures, "exposures")
    factor_returns = _checks.finite_series(factor_returns, "factor returns")
    _checks.same_labels(exposures.index, factor_returns.index, "factors", "factor returns")
    _checks.finite_array(specific_return, "specific return", ndim=0)
    by_factor = exposures * factor_returns.reindex(exposures.index)
    return pd.concat([by_factor, pd.Series({SPECIFIC: float(specific_return)})]).rename("contribution")


def compound(returns: pd.Series | np.ndarray) -> float:
    r"""Cumulative return of a sequence of period returns, :math:`\prod_t (1 + r_t) - 1`."""
    r = _checks.finite_array(returns, "returns", ndim=1)
    if np.any(r <= -1):
        raise ValueError("a period return of -100% or worse cannot be compounded")
    return float(np.prod(1.0 + r) - 1.0)


def _log_ratio(portfolio: np.ndarray | float, benchmark: np.ndarray | float) -> np.ndarray:
    r"""Cariño's coefficient :math:`(\ln(1+r_P) - \ln(1+r_B)) / (r_P - r_B)`, with its limit 1/(1+r)."""
    rp, rb = np.asarray(portfolio, dtype=float), np.asarray(benchmark, dtype=float)
    diff = rp - rb
    same = np.isclose(diff, 0.0, atol=1e-14)
    safe = np.where(same, 1.0, diff)
    return np.where(same, 1.0 / (1.0 + rp), (np.log1p(rp) - np.log1p(rb)) / safe)


def carino_link(contributions: pd.DataFrame, portfolio: pd.Series, benchmark: pd.Series) -> pd.Series:
    r"""Link single-period contributions so they add up to the cumulative active return.

    .. math:: \tilde c_j = \sum_t \frac{k_t}{k}\, c_{t j}, \qquad
       k_t = \frac{\ln(1+r_{P,t}) - \ln(1+r_{B,t})}{r_{P,t} - r_{B,t}}, \qquad
       k = \frac{\ln(1+R_P) - \ln(1+R_B)}{R_P - R_B}

    ``contributions`` has one row per period (same labels as ``portfolio`` and
    ``benchmark``) and one column per source; each row must add up to that period's
    active return :math:`r_{P,t} - r_{B,t}`. Then :math:`\sum_j \tilde c_j = R_P - R_B`.
    """
    contributions = _checks.finite_frame(contributions, "contributions")
    portfolio = _checks.finite_series(portfolio, "portfolio returns")
    benchmark = _checks.finite_series(benchmark, "benchmark returns")
    _checks.same_labels(contributions.index, portfolio.index, "periods", "portfolio returns")
    _checks.same_labels(contributions.index, benchmark.index, "periods", "benchmark returns")
    rp = portfolio.reindex(contributions.index).to_numpy()
    rb = benchmark.reindex(contributions.index).to_numpy()
    gaps = contributions.sum(axis=1).to_numpy() - (rp - rb)
    if np.any(np.abs(gaps) > 1e-10):
        worst = contributions.index[int(np.argmax(np.abs(gaps)))]
        raise ValueError(f"contributions in period {worst!r} do not add up to its active return")
    scale = _log_ratio(rp, rb) / _log_ratio(compound(rp), compound(rb))
    return (contributions.mul(scale, axis=0).sum()).rename("linked contribution")
