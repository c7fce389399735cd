r"""A global equity model: world, country and industry factors, and the investor's currency.

Exposures: every stock has exposure one to WORLD, to its country and to its industry,

.. math:: r_i = f_W + f_{c(i)} + f_{j(i)} + \varepsilon_i .

The country dummies add up to the WORLD column, and so do the industry dummies: two
exact collinearities, so the regression needs two constraints. With cap-weighted
country returns and cap-weighted industry returns each summing to zero, WORLD is (close
to) the cap-weighted world market, a country factor is that country's return relative to
the world with its industry mix held neutral, and an industry factor is the industry's
return relative to the world with its country mix held neutral. Other constraints fit
the data equally well (the fitted returns and residuals do not change) but give the
factors other meanings; see :func:`global_constraints`.

An investor whose base currency is the dollar earns, on a stock quoted in currency c,
:math:`(1 + r^{\text{local}})(1 + x_c) - 1` with :math:`x_c` the return of holding
currency c in dollars: to first order the local return plus a currency factor return.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mini import _checks
from mini.constraints import restriction_matrix, sum_to_zero_constraints
from mini.regression import (
    CrossSectionalFit,
    PanelFit,
    cross_sectional_regression,
    panel_regression,
    regression_weights,
)
from mini.simulation import GlobalMarket


def global_exposures(
    country: pd.Series, industry: pd.Series, countries: list[str], industries: list[str]
) -> pd.DataFrame:
    """N × K exposures: WORLD (ones), one dummy per country, one per industry."""
    _checks.same_labels(country.index, industry.index, "stocks", "industries")
    unknown = sorted(set(country) - set(countries)) + sorted(set(industry) - set(industries))
    if unknown:
        raise ValueError(f"stocks in unknown countries or industries: {unknown}")
    x = pd.DataFrame(0.0, index=country.index, columns=["WORLD", *countries, *industries])
    x["WORLD"] = 1.0
    for name in countries:
        x[name] = (country == name).astype(float)
    for name in industries:
        x[name] = (industry == name).astype(float)
    return x


def global_constraints(
    caps: pd.Series,
    country: pd.Series,
    industry: pd.Series,
    countries: list[str],
    industries: list[str],
    reference_country: str | None = None,
) -> pd.DataFrame:
    r"""The two constraints of a global model, as a 2 × K frame for :func:`restriction_matrix`.

    By default: cap-weighted country returns sum to zero and cap-weighted industry
    returns sum to zero. With ``reference_country`` the first row becomes
    :math:`f_{\text{reference}} = 0`: WORLD is then the reference country's return (net
    of its industry mix) and every other country factor is a spread against it.
    """
    caps = _checks.finite_series(caps, "caps")
    weights = caps / caps.sum()
    country_w = weights.groupby(country).sum().reindex(countries)
    industry_w = weights.groupby(industry).sum().reindex(industries)
    if country_w.isna().any() or industry_w.isna().any():
        raise ValueError("every country and industry needs at least one stock")
    if reference_country is not None:
        if reference_country not in countries:
            raise ValueError(f"unknown reference country {reference_country!r}")
        country_w = pd.Series(0.0, index=countries)
        country_w[reference_country] = 1.0
    factors = ["WORLD", *countries, *industries]
    frame = sum_to_zero_constraints({"countries": country_w, "industries": industry_w}, factors)
    if reference_country is not None:
        frame.index = [f"{reference_country} is the reference", frame.index[1]]
    return frame


def fit_global_period(
    returns: pd.Series,
    caps: pd.Series,
    country: pd.Series,
    industry: pd.Series,
    countries: list[str],
    industries: list[str],
    reference_country: str | None = None,
) -> CrossSectionalFit:
    """One period's regression of a global model (√cap weights, the two constraints)."""
    x = global_exposures(country, industry, countries, industries)
    constraints = global_constraints(caps, country, industry, countries, industries, reference_country)
    eliminate = [reference_country or countries[-1], industries[-1]]
    restriction = restriction_matrix(constraints, eliminate=eliminate)
    return cross_sectional_regression(x, returns, regression_weights(caps), restriction)


def base_currency_returns(
    local: pd.DataFrame, currency_returns: pd.DataFrame, currency: pd.Series
) -> pd.DataFrame:
    r"""Returns in the investor's currency, :math:`(1 + r^{\text{local}}_{ti})(1 + x_{t,c(i)}) - 1`.

    ``local`` is T × N, ``currency_returns`` T × currencies (the base currency's column
    zero), ``currency`` maps each stock to its currency.
    """
    local = _checks.finite_frame(local, "local returns")
    fx = _checks.finite_frame(currency_returns, "currency returns")
    _checks.same_labels(local.columns, currency.index, "stocks", "currencies")
    _checks.known_labels(sorted(set(currency)), fx.columns, "currency")
    if not local.index.equals(fx.index):
        raise ValueError("local and currency returns must cover the same periods")
    moves = fx[currency.reindex(local.columns).to_numpy()].to_numpy()
    return pd.DataFrame((1 + local.to_numpy()) * (1 + moves) - 1, index=local.index, columns=local.columns)


def currency_exposures(
    weights: pd.Series, currency: pd.Series, currencies: list[str], base: str
) -> pd.Series:
    """A portfolio's exposure to each foreign currency: the weight it holds in that currency
    (the base currency carries no currency risk and is left out)."""
    weights = _checks.finite_series(weights, "weights")
    _checks.same_labels(weights.index, currency.index, "stocks", "currencies")
    held = weights.groupby(currency.reindex(weights.index)).sum()
    return held.reindex([c for c in currencies if c != base], fill_value=0.0).rename("currency exposure")


def fit_global(market: GlobalMarket, reference_country: str | None = None) -> PanelFit:
    """:func:`fit_global_period` in every period at once (batched; caps are constant, so
    the restriction matrix is the same in every period)."""
    countries, industries = market.countries, market.industries
    x = global_exposures(market.country, market.industry, countries, industries)
    constraints = global_constraints(
        market.caps, market.country, market.industry, countries, industries, reference_country
    )
    restriction = restriction_matrix(
        constraints, eliminate=[reference_country or countries[-1], industries[-1]]
    )
    n_periods = len(market.returns)
    exposures = np.broadcast_to(x.to_numpy(), (n_periods, *x.shape))
    restrictions = np.broadcast_to(restriction.to_numpy(), (n_periods, *restriction.shape))
    root_cap = pd.DataFrame(
        np.broadcast_to(np.sqrt(market.caps.to_numpy()), market.returns.shape),
        index=market.returns.index,
        columns=market.returns.columns,
    )
    return panel_regression(exposures, market.returns, root_cap, restrictions, list(x.columns))
