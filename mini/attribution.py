r"""Performance attribution: which factors (and how much stock picking) made the return.

In one period the active return splits exactly,

.. math:: r_A = \sum_k x_k f_k + r_{\text{spec}},

with x the active exposures. Over several periods returns compound, the single-period
pieces no longer add up to the cumulative active return, and a linking scheme rescales
each period's pieces so that they do. Three schemes are provided (Cariño, Menchero,
GRAP); they agree on the total and differ slightly in how they share it out.

The module also has the two yardsticks for judging an active record (information
ratio and t-statistic) and the Brinson–Fachler sector attribution that predates
factor models.
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


def annualised_return(returns: pd.Series | np.ndarray, periods_per_year: int) -> float:
    r"""Geometric average return per year, :math:`\bigl(\prod_t (1 + r_t)\bigr)^{P/T} - 1`.

    ``returns`` are T simple returns per period, ``periods_per_year`` is P (12 for
    months, 252 for trading days).
    """
    periods_per_year = _checks.whole(periods_per_year, "periods_per_year", 1)
    r = _checks.finite_array(returns, "returns", ndim=1)
    return float((1.0 + compound(r)) ** (periods_per_year / len(r)) - 1.0)


def _log_ratio(portfolio: np.ndarray | float, benchmark: np.ndarray | float) -> np.ndarray:
    r"""Cariño's coefficient :math:`(\ln(1+r_P) - \ln(1+r_B)) / (r_P - r_B)`, with its limit 1/(1+r).

    Computed as :math:`\ln(1 + D/(1+r_B)) / D` with :math:`D = r_P - r_B`, which keeps
    full precision when the two returns are nearly equal (the difference of two
    logarithms would lose it)."""
    rp, rb = np.asarray(portfolio, dtype=float), np.asarray(benchmark, dtype=float)
    diff = rp - rb
    same = diff == 0.0
    safe = np.where(same, 1.0, diff)
    return np.where(same, 1.0 / (1.0 + rb), np.log1p(diff / (1.0 + rb)) / safe)


def _linking_inputs(
    contributions: pd.DataFrame, portfolio: pd.Series, benchmark: pd.Series
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Check the inputs of a linking scheme; return contributions and aligned period returns."""
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
    return contributions, rp, rb


def carino_link(contributions: pd.DataFrame, portfolio: pd.Series, benchmark: pd.Series) -> pd.Series:
    r"""Link single-period contributions so they add up to the cumulative active return.

    .. math:: \tilde c_j = \sum_t \frac{k_t}{k}\, c_{t j}, \qquad
       k_t = \frac{\ln(1+r_{P,t}) - \ln(1+r_{B,t})}{r_{P,t} - r_{B,t}}, \qquad
       k = \frac{\ln(1+R_P) - \ln(1+R_B)}{R_P - R_B}

    ``contributions`` has one row per period (same labels as ``portfolio`` and
    ``benchmark``) and one column per source; each row must add up to that period's
    active return :math:`r_{P,t} - r_{B,t}`. Then :math:`\sum_j \tilde c_j = R_P - R_B`.
    """
    contributions, rp, rb = _linking_inputs(contributions, portfolio, benchmark)
    scale = _log_ratio(rp, rb) / _log_ratio(compound(rp), compound(rb))
    return (contributions.mul(scale, axis=0).sum()).rename("linked contribution")


def menchero_link(contributions: pd.DataFrame, portfolio: pd.Series, benchmark: pd.Series) -> pd.Series:
    r"""Menchero's linking: one common scale M plus a small correction proportional to each period's active return.

    With T periods, period active returns :math:`a_t = r_{P,t} - r_{B,t}` and
    cumulative active return :math:`A = R_P - R_B`,

    .. math:: M = \frac{A / T}{(1+R_P)^{1/T} - (1+R_B)^{1/T}}, \qquad
       \alpha_t = \frac{A - M \sum_s a_s}{\sum_s a_s^2}\, a_t, \qquad
       \tilde c_j = \sum_t (M + \alpha_t)\, c_{t j} .

    M is the scale that would link the periods exactly if the portfolio and the
    benchmark each earned the same return in every period (their geometric averages);
    the :math:`\alpha_t` close the remaining gap with the smallest
    (least-squares) adjustment. When :math:`R_P = R_B`, M takes its limit
    :math:`(1+R_P)^{(T-1)/T}`; when every :math:`a_t` is zero there is nothing to link.
    Inputs as for :func:`carino_link`; :math:`\sum_j \tilde c_j = R_P - R_B`.
    """
    contributions, rp, rb = _linking_inputs(contributions, portfolio, benchmark)
    periods = len(rp)
    cum_p, cum_b = compound(rp), compound(rb)
    total = cum_p - cum_b
    if total == 0.0:
        scale = (1.0 + cum_p) ** ((periods - 1) / periods)
    else:  # (1+R_P)^(1/T) - (1+R_B)^(1/T), written so that nearly equal numbers are not subtracted
        growth_gap = np.expm1(np.log1p(total / (1.0 + cum_b)) / periods)
        scale = (total / periods) / ((1.0 + cum_b) ** (1.0 / periods) * growth_gap)
    active = rp - rb
    squares = float(active @ active)
    correction = np.zeros(periods) if squares == 0.0 else (total - scale * active.sum()) / squares * active
    return contributions.mul(scale + correction, axis=0).sum().rename("linked contribution")


def grap_link(contributions: pd.DataFrame, portfolio: pd.Series, benchmark: pd.Series) -> pd.Series:
    r"""GRAP linking: each period's contributions grown at the portfolio's return before it and the benchmark's after.

    .. math:: \tilde c_j = \sum_t c_{t j} \prod_{s < t} (1 + r_{P,s}) \prod_{s > t} (1 + r_{B,s})

    The weights telescope, so :math:`\sum_j \tilde c_j = \prod_t (1+r_{P,t}) - \prod_t (1+r_{B,t})`
    exactly. Unlike Cariño's and Menchero's, the result depends on the order of the
    periods. (Frongello's recursive scheme gives the same numbers.) Inputs as for
    :func:`carino_link`.
    """
    _checks.oldest_first(contributions, "contributions")
    contributions, rp, rb = _linking_inputs(contributions, portfolio, benchmark)
    grown_before = np.concatenate([[1.0], np.cumprod(1.0 + rp)[:-1]])
    grown_after = np.concatenate([np.cumprod((1.0 + rb)[::-1])[::-1][1:], [1.0]])
    return contributions.mul(grown_before * grown_after, axis=0).sum().rename("linked contribution")


def information_ratio(active_returns: pd.Series | np.ndarray, periods_per_year: int = 12) -> float:
    r"""Annualised information ratio of a record of period active returns.

    .. math:: \mathrm{IR} = \frac{\bar a}{s_a} \sqrt{P}

    with :math:`\bar a` the mean and :math:`s_a` the sample standard deviation
    (divisor T − 1) of the T period returns, and P periods per year.
    """
    a = _checks.finite_array(active_returns, "active returns", ndim=1)
    if a.size < 2:
        raise ValueError(f"an information ratio needs at least two periods, got {a.size}")
    periods_per_year = _checks.positive(periods_per_year, "periods per year")
    spread = float(np.std(a, ddof=1))
    if spread == 0.0:
        raise ValueError("active returns do not vary, so the information ratio is undefined")
    return float(np.mean(a) / spread * np.sqrt(periods_per_year))


def t_statistic(active_returns: pd.Series | np.ndarray) -> float:
    r"""t-statistic of the mean active return, :math:`t = \bar a / (s_a / \sqrt{T})`.

    Equivalently :math:`t = \mathrm{IR} \sqrt{Y}`, with IR annualised and
    Y = T / P the length of the record in years.
    """
    a = _checks.finite_array(active_returns, "active returns", ndim=1)
    return information_ratio(a, periods_per_year=1) * float(np.sqrt(a.size))


def years_for_significance(information_ratio: float, t: float = 2.0) -> float:
    r"""Years of record needed before a true information ratio shows a t-statistic of ``t``: :math:`(t / \mathrm{IR})^2`."""
    information_ratio = _checks.positive(information_ratio, "information ratio")
    t = _checks.positive(t, "t-statistic")
    return float((t / information_ratio) ** 2)


def brinson_fachler(
    portfolio_weights: pd.Series, benchmark_weights: pd.Series, returns: pd.Series, sectors: pd.Series
) -> pd.DataFrame:
    r"""Brinson–Fachler attribution of one period's active return by sector.

    With sector weights :math:`W_{P,j}, W_{B,j}`, sector returns
    :math:`R_{P,j}, R_{B,j}` (weighted averages of the stock returns inside the
    sector) and the benchmark return :math:`R_B`,

    .. math:: \text{allocation}_j = (W_{P,j} - W_{B,j})(R_{B,j} - R_B), \quad
       \text{selection}_j = W_{B,j}(R_{P,j} - R_{B,j}), \quad
       \text{interaction}_j = (W_{P,j} - W_{B,j})(R_{P,j} - R_{B,j}),

    and the three columns summed over sectors equal :math:`R_P - R_B`. A sector the
    portfolio does not hold is given :math:`R_{P,j} = R_{B,j}` (no selection); a sector
    absent from the benchmark is given :math:`R_{B,j} = R_B` (no allocation), so its
    whole effect is interaction. Both weight vectors must sum to one.
    Returns one row per sector with columns allocation, selection, interaction, total.
    """
    portfolio_weights = _checks.finite_series(portfolio_weights, "portfolio weights")
    benchmark_weights = _checks.finite_series(benchmark_weights, "benchmark weights")
    returns = _checks.finite_series(returns, "returns")
    _checks.of_type(sectors, pd.Series, "sectors", "a pandas Series")
    if sectors.isna().any():
        raise ValueError("sectors must be a pandas Series naming a sector for every stock")
    stocks = portfolio_weights.index
    for other, name in ((benchmark_weights, "benchmark weights"), (returns, "returns"), (sectors, "sectors")):
        _checks.same_labels(stocks, other.index, "stocks", name)
    _checks.sums_to(portfolio_weights, 1.0, "portfolio weights")
    _checks.sums_to(benchmark_weights, 1.0, "benchmark weights")
    sectors = sectors.reindex(stocks)
    frame = pd.DataFrame(
        {
            "wp": portfolio_weights,
            "wb": benchmark_weights.reindex(stocks),
            "r": returns.reindex(stocks),
            "sector": sectors,
        }
    )
    frame["wp_r"], frame["wb_r"] = frame["wp"] * frame["r"], frame["wb"] * frame["r"]
    by_sector = frame.groupby("sector", sort=False)[["wp", "wb", "wp_r", "wb_r"]].sum()
    total_b = float(by_sector["wb_r"].sum())
    held_b = by_sector["wb"] != 0
    rb = (by_sector["wb_r"] / by_sector["wb"].where(held_b, 1.0)).where(held_b, total_b)
    held_p = by_sector["wp"] != 0
    rp = (by_sector["wp_r"] / by_sector["wp"].where(held_p, 1.0)).where(held_p, rb)
    tilt = by_sector["wp"] - by_sector["wb"]
    table = pd.DataFrame(
        {
            "allocation": tilt * (rb - total_b),
            "selection": by_sector["wb"] * (rp - rb),
            "interaction": tilt * (rp - rb),
        }
    )
    table["total"] = table.sum(axis=1)
    table.index.name = "sector"
    return table
