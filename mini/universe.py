"""The universe: which stocks the model covers, their industries and their sizes."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from mini import _checks


def cap_weights(cap: pd.Series) -> pd.Series:
    r"""Capitalisation weights :math:`c_i = \mathrm{cap}_i / \sum_j \mathrm{cap}_j`."""
    cap = _checks.finite_series(cap, "market caps")
    if (cap <= 0).any():
        raise ValueError(f"market caps must be positive; non-positive for {list(cap.index[cap <= 0])}")
    return cap / cap.sum()


def industry_weights(industry: pd.Series, cap: pd.Series, industries: list[str] | None = None) -> pd.Series:
    r"""Cap weight of each industry, :math:`c_j = \sum_{i \in j} c_i`, in the order given."""
    weights = cap_weights(cap)
    _checks.same_labels(weights.index, industry.index, "stocks", "industry labels")
    totals = weights.groupby(industry.reindex(weights.index)).sum()
    order = list(pd.unique(industry.to_numpy())) if industries is None else list(industries)
    return totals.reindex(order, fill_value=0.0).rename("industry weight")


@dataclass(frozen=True)
class Universe:
    """Stocks with their industry and market capitalisation.

    ``industries`` fixes the order of the industry factors; every stock's industry must
    be one of them.
    """

    industry: pd.Series
    cap: pd.Series
    industries: tuple[str, ...]

    def __post_init__(self) -> None:
        cap = _checks.finite_series(self.cap, "market caps")
        _checks.same_labels(cap.index, self.industry.index, "stocks", "industry labels")
        unknown = sorted(set(self.industry) - set(self.industries))
        if unknown:
            raise ValueError(f"stocks belong to industries {unknown} not listed in industries {list(self.industries)}")
        cap_weights(cap)  # rejects non-positive caps
        object.__setattr__(self, "cap", _checks.frozen(cap))
        object.__setattr__(self, "industry", _checks.frozen(self.industry.reindex(cap.index)))

    @property
    def stocks(self) -> pd.Index:
        return self.cap.index

    @property
    def cap_weights(self) -> pd.Series:
        return cap_weights(self.cap).rename("cap weight")

    @property
    def industry_weights(self) -> pd.Series:
        return industry_weights(self.industry, self.cap, list(self.industries))
