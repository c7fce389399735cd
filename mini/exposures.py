"""Exposures: from raw descriptors to the labelled exposure matrix X."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from mini import _checks
from mini.universe import Universe

MARKET = "MKT"


def standardise(descriptor: pd.Series, cap_weights: pd.Series) -> pd.Series:
    r"""Standardise a descriptor to cap-weighted mean 0 and equal-weighted std 1.

    .. math:: z_i = \frac{d_i - \sum_j c_j d_j}{\operatorname{std}(d)}

    where :math:`c` are cap weights and std is the population (ddof = 0) standard
    deviation across stocks. Centring on the cap-weighted mean makes the benchmark's
    exposure exactly zero; scaling by the equal-weighted spread keeps a unit of
    exposure comparable across descriptors.
    """
    descriptor = _checks.finite_series(descriptor, f"descriptor {descriptor.name!r}")
    weights = _checks.finite_series(cap_weights, "cap weights")
    _checks.same_labels(descriptor.index, weights.index, "stocks", "cap weights")
    _checks.sums_to(weights, 1.0, "cap weights")
    spread = descriptor.std(ddof=0)
    if spread == 0:
        raise ValueError(f"descriptor {descriptor.name!r} is constant across stocks and cannot be standardised")
    centre = float(descriptor @ weights.reindex(descriptor.index))
    return (descriptor - centre) / spread


def winsorise(values: pd.Series, limit: float = 3.0) -> pd.Series:
    r"""Clip values more than ``limit`` standard deviations from the mean.

    .. math:: \tilde d_i = \min(\max(d_i, \bar d - k s), \bar d + k s)

    with :math:`\bar d` and :math:`s` the equal-weighted mean and std (ddof = 0) and
    :math:`k` = ``limit``. Applied before standardising, so that one extreme
    descriptor does not squash everybody else's exposure towards zero.
    """
    values = _checks.finite_series(values, f"descriptor {values.name!r}")
    if limit <= 0:
        raise ValueError(f"winsorising limit must be positive, got {limit}")
    mean, spread = values.mean(), values.std(ddof=0)
    return values.clip(mean - limit * spread, mean + limit * spread)


def industry_dummies(industry: pd.Series, industries: Sequence[str]) -> pd.DataFrame:
    """One column per industry, 1 where the stock belongs to it and 0 elsewhere."""
    unknown = sorted(set(industry) - set(industries))
    if unknown:
        raise ValueError(f"unknown industry {unknown}; known industries are {list(industries)}")
    return pd.DataFrame(
        {name: (industry == name).astype(float) for name in industries}, index=industry.index
    )


def exposure_matrix(universe: Universe, descriptors: pd.DataFrame) -> pd.DataFrame:
    """The exposure matrix X: a market column, industry dummies, standardised styles.

    ``descriptors`` has one column per style factor (named as the factor) and one row
    per stock. Every stock has exposure 1 to the market, so the market column equals
    the sum of the industry columns: that collinearity is why the regression needs a
    constraint (see :mod:`mini.constraints`).
    """
    descriptors = _checks.finite_frame(descriptors, "descriptors")
    _checks.same_labels(universe.stocks, descriptors.index, "stocks", "descriptors")
    weights = universe.cap_weights
    styles = pd.DataFrame(
        {name: standardise(descriptors[name].rename(name), weights) for name in descriptors.columns}
    )
    market = pd.DataFrame({MARKET: 1.0}, index=universe.stocks)
    dummies = industry_dummies(universe.industry, universe.industries)
    return pd.concat([market, dummies, styles.reindex(universe.stocks)], axis=1)
