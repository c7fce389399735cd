"""Exposures: from raw descriptors to the labelled exposure matrix X."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
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
        raise ValueError(
            f"descriptor {descriptor.name!r} is constant across stocks and cannot be standardised"
        )
    centre = float(descriptor @ weights.reindex(descriptor.index))
    return (descriptor - centre) / spread


#: Scales a median absolute deviation (MAD) into a standard deviation: for normal data
#: the MAD is :math:`\Phi^{-1}(3/4)\,\sigma \approx \sigma / 1.4826`, so 1.4826 × MAD is
#: a consistent estimate of σ.
MAD_TO_SD = 1.4826


def winsorise(values: pd.Series, limit: float = 3.0) -> pd.Series:
    r"""Clip values more than ``limit`` robust standard deviations from the median.

    .. math:: \tilde d_i = \min(\max(d_i, m - k s), m + k s), \qquad
       s = 1.4826 \operatorname{median}_i |d_i - m|

    with m the median and k = ``limit``. The spread is measured robustly (the median
    absolute deviation, scaled to match a standard deviation for normal data) because
    an outlier inflates the ordinary standard deviation and so hides itself. Applied
    before standardising, so that one extreme descriptor does not squash everybody
    else's exposure towards zero.
    """
    values = _checks.finite_series(values, f"descriptor {values.name!r}")
    limit = _checks.positive(limit, "winsorising limit")
    centre = values.median()
    spread = MAD_TO_SD * (values - centre).abs().median()
    if spread == 0:
        raise ValueError(
            f"descriptor {values.name!r} has no spread around its median, so it cannot be winsorised"
        )
    return values.clip(centre - limit * spread, centre + limit * spread)


def fill_missing(descriptor: pd.Series, groups: pd.Series) -> pd.Series:
    """Fill missing descriptor values with the median of the stock's group (e.g. its industry).

    A stock with no book value still needs a value exposure; its peers' median is a
    neutral guess that does not pull it towards either end. Raises if a whole group is
    missing, since then there is no peer to borrow from.
    """
    _checks.of_type(descriptor, pd.Series, "descriptor", "a pandas Series")
    _checks.of_type(groups, pd.Series, "groups", "a pandas Series")
    _checks.same_labels(descriptor.index, groups.index, "stocks", "groups")
    groups = groups.reindex(descriptor.index)
    if np.isinf(descriptor.to_numpy(dtype=float)).any():
        raise ValueError(f"descriptor {descriptor.name!r} contains infinite values")
    medians = descriptor.groupby(groups).median()
    empty = sorted(medians.index[medians.isna()])
    if empty:
        raise ValueError(f"every value of {descriptor.name!r} is missing in group(s) {empty}")
    return descriptor.fillna(groups.map(medians)).astype(float)


def industry_dummies(industry: pd.Series, industries: Sequence[str]) -> pd.DataFrame:
    """One column per industry, 1 where the stock belongs to it and 0 elsewhere."""
    _checks.of_type(industry, pd.Series, "industry labels", "a pandas Series")
    unknown = sorted(set(industry) - set(industries))
    if unknown:
        raise ValueError(f"unknown industry {unknown}; known industries are {list(industries)}")
    return pd.DataFrame({name: (industry == name).astype(float) for name in industries}, index=industry.index)


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


def variance_inflation_factors(
    exposures: pd.DataFrame, weights: pd.Series, columns: Sequence[str]
) -> pd.Series:
    r"""How much each chosen exposure is explained by the others: :math:`\mathrm{VIF}_k = 1 / (1 - R_k^2)`.

    :math:`R_k^2` is the weighted, centred R² of regressing column k on all the other
    columns (least squares, so a collinear set such as market plus industries is
    fine). A VIF of one means column k is unrelated to the rest; large values mean
    the factor's return can only be separated from the others with large offsetting
    positions, so it is estimated noisily.
    """
    exposures = _checks.finite_frame(exposures, "exposures")
    weights = _checks.finite_series(weights, "weights")
    _checks.same_labels(exposures.index, weights.index, "stocks", "weights")
    chosen = _checks.known_labels(columns, exposures.columns, "factor")
    w = weights.reindex(exposures.index).to_numpy()
    if (w <= 0).any():
        raise ValueError("weights must be positive")
    root = np.sqrt(w)
    result = {}
    for name in chosen:
        y = exposures[name].to_numpy()
        others = exposures.drop(columns=name).to_numpy()
        coef = np.linalg.lstsq(others * root[:, None], y * root, rcond=None)[0]
        resid = y - others @ coef
        centre = w @ y / w.sum()
        total = w @ (y - centre) ** 2
        if total == 0:
            raise ValueError(f"exposure {name!r} is constant, so its VIF is undefined")
        r2 = 1.0 - (w @ resid**2) / total
        result[name] = np.inf if r2 >= 1.0 else 1.0 / (1.0 - r2)
    return pd.Series(result, name="VIF")


def standardise_like(descriptor: pd.Series, reference: pd.Series, cap_weights: pd.Series) -> pd.Series:
    r"""Standardise ``descriptor`` with the centre and spread of a reference set of stocks.

    .. math:: z_i = \frac{d_i - \sum_j c_j d^{\mathrm{ref}}_j}{\operatorname{std}(d^{\mathrm{ref}})}

    with :math:`c` the reference stocks' cap weights and std the population standard
    deviation over the reference stocks. This is how a covered stock outside the
    estimation universe gets its exposure: on the same scale as the estimation
    universe, without moving that scale. ``standardise_like(d, d, c)`` equals
    :func:`standardise`.
    """
    descriptor = _checks.finite_series(descriptor, f"descriptor {descriptor.name!r}")
    reference = _checks.finite_series(reference, f"reference descriptor {reference.name!r}")
    weights = _checks.finite_series(cap_weights, "cap weights")
    _checks.same_labels(reference.index, weights.index, "stocks", "cap weights")
    _checks.sums_to(weights, 1.0, "cap weights")
    spread = reference.std(ddof=0)
    if spread == 0:
        raise ValueError(
            f"reference descriptor {reference.name!r} is constant across stocks and cannot set a scale"
        )
    centre = float(reference @ weights.reindex(reference.index))
    return (descriptor - centre) / spread


def covered_exposures(
    universe: Universe, descriptors: pd.DataFrame, industry: pd.Series, covered_descriptors: pd.DataFrame
) -> pd.DataFrame:
    """Exposure rows for covered stocks outside the estimation universe.

    ``universe`` and ``descriptors`` describe the estimation universe (as for
    :func:`exposure_matrix`); ``industry`` and ``covered_descriptors`` the covered
    stocks. Market and industry exposures are set exactly as for any stock; style
    exposures are standardised with the estimation universe's cap-weighted means and
    standard deviations (:func:`standardise_like`), so the covered stocks land on the
    same scale and the estimation universe's exposures do not change.
    """
    descriptors = _checks.finite_frame(descriptors, "descriptors")
    covered_descriptors = _checks.finite_frame(covered_descriptors, "covered descriptors")
    _checks.same_labels(universe.stocks, descriptors.index, "stocks", "descriptors")
    _checks.same_labels(
        descriptors.columns, covered_descriptors.columns, "style descriptors", "covered descriptors"
    )
    _checks.same_labels(covered_descriptors.index, industry.index, "stocks", "covered industry labels")
    weights = universe.cap_weights
    styles = pd.DataFrame(
        {
            name: standardise_like(
                covered_descriptors[name].rename(name), descriptors[name].rename(name), weights
            )
            for name in descriptors.columns
        }
    )
    market = pd.DataFrame({MARKET: 1.0}, index=covered_descriptors.index)
    dummies = industry_dummies(industry.reindex(covered_descriptors.index), universe.industries)
    return pd.concat([market, dummies, styles], axis=1)
