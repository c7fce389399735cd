"""The universe: which stocks the model covers, their industries and their sizes.

Also the rules that choose the estimation universe (the stocks the regression is
fitted on) and a measure of how concentrated a set of weights is."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
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
    _checks.of_type(industry, pd.Series, "industry labels", "a pandas Series")
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
        _checks.of_type(self.industry, pd.Series, "industry labels", "a pandas Series")
        _checks.same_labels(cap.index, self.industry.index, "stocks", "industry labels")
        unknown = sorted(set(self.industry) - set(self.industries))
        if unknown:
            raise ValueError(
                f"stocks belong to industries {unknown} not listed in industries {list(self.industries)}"
            )
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


def estimation_universe(
    cap: pd.Series,
    adv: pd.Series,
    history: pd.Series,
    previous: pd.Series | None = None,
    *,
    min_cap: float,
    min_adv: float,
    min_history: float,
    buffer: float = 0.0,
) -> pd.Series:
    r"""Which stocks belong to the estimation universe this period (True) and which not.

    A stock qualifies when it is big enough, liquid enough and has a long enough
    history. The size and liquidity tests use hysteresis so that a stock hovering
    near a threshold does not flip in and out every period:

    .. math::
       \text{enter:}\ \mathrm{cap}_i \ge m_{\mathrm{cap}},\ \mathrm{adv}_i \ge m_{\mathrm{adv}}
       \qquad
       \text{stay:}\ \mathrm{cap}_i \ge (1-b)\, m_{\mathrm{cap}},\ \mathrm{adv}_i \ge (1-b)\, m_{\mathrm{adv}}

    with buffer :math:`b`; "stay" applies to stocks that are True in ``previous``.
    Every stock also needs ``history >= min_history`` (no buffer: a history only
    grows). Stocks missing from ``previous`` count as outside it (new listings);
    stocks in ``previous`` but not in ``cap`` (delisted) are ignored. With ``buffer=0``
    or ``previous=None`` the rule is a plain set of thresholds.
    """
    cap = _checks.finite_series(cap, "market caps")
    adv = _checks.finite_series(adv, "average daily volumes")
    history = _checks.finite_series(history, "histories")
    _checks.same_labels(cap.index, adv.index, "stocks", "average daily volumes")
    _checks.same_labels(cap.index, history.index, "stocks", "histories")
    for name, values in (("market caps", cap), ("average daily volumes", adv), ("histories", history)):
        if (values < 0).any():
            raise ValueError(f"{name} must be non-negative; negative for {list(values.index[values < 0])}")
    for name, threshold in (("min_cap", min_cap), ("min_adv", min_adv), ("min_history", min_history)):
        if not np.isfinite(threshold) or threshold < 0:
            raise ValueError(f"{name} must be a non-negative number, got {threshold}")
    if not 0 <= buffer < 1:
        raise ValueError(f"buffer must lie in [0, 1), got {buffer}")
    if previous is None:
        incumbent = pd.Series(False, index=cap.index)
    else:
        if not isinstance(previous, pd.Series) or previous.dtype != bool:
            raise ValueError("previous must be a boolean pandas Series (True for members)")
        incumbent = previous.reindex(cap.index, fill_value=False).astype(bool)
    # incumbents are measured against the lower, buffered thresholds
    scale = np.where(incumbent, 1.0 - buffer, 1.0)
    history = history.reindex(cap.index)
    member = (cap >= scale * min_cap) & (adv.reindex(cap.index) >= scale * min_adv) & (history >= min_history)
    return member.rename("in estimation universe")


def estimation_universe_path(
    cap: pd.DataFrame,
    adv: pd.DataFrame,
    history: pd.DataFrame,
    *,
    min_cap: float,
    min_adv: float,
    min_history: float,
    buffer: float = 0.0,
) -> pd.DataFrame:
    """Apply :func:`estimation_universe` period by period (rows: periods; columns: stocks).

    The first period starts from no previous universe; each later period passes the
    one before as ``previous``, which is where the buffer acts.
    """
    cap = _checks.finite_frame(cap, "market caps")
    _checks.oldest_first(cap, "market caps")
    for name, frame in (("average daily volumes", adv), ("histories", history)):
        frame = _checks.finite_frame(frame, name)
        _checks.same_labels(cap.index, frame.index, "periods", name)
        _checks.same_labels(cap.columns, frame.columns, "stocks", name)
    if cap.empty:
        raise ValueError("market caps have no periods or no stocks")
    rows, previous = {}, None
    for period in cap.index:
        previous = estimation_universe(
            cap.loc[period],
            adv.loc[period],
            history.loc[period],
            previous,
            min_cap=min_cap,
            min_adv=min_adv,
            min_history=min_history,
            buffer=buffer,
        )
        rows[period] = previous
    return pd.DataFrame(rows).T.reindex(columns=cap.columns).astype(bool)


def universe_changes(membership: pd.DataFrame) -> pd.DataFrame:
    """Entries and exits each period, from a membership table (rows: periods; columns: stocks).

    An entry is a stock that is a member this period and was not the period before; an
    exit the reverse. The first period has no predecessor and is left out.
    """
    if not isinstance(membership, pd.DataFrame) or not all(
        pd.api.types.is_bool_dtype(dtype) for dtype in membership.dtypes
    ):
        raise ValueError("membership must be a pandas DataFrame of booleans")
    if len(membership) < 2:
        raise ValueError(f"need at least two periods to count changes, got {len(membership)}")
    now, before = membership.iloc[1:].to_numpy(), membership.iloc[:-1].to_numpy()
    return pd.DataFrame(
        {"entries": (now & ~before).sum(axis=1), "exits": (~now & before).sum(axis=1)},
        index=membership.index[1:],
    )


def effective_number(weights: pd.Series) -> float:
    r"""The effective number of stocks in a set of non-negative weights.

    .. math:: N_{\mathrm{eff}} = \frac{1}{\sum_i w_i^2}, \qquad \sum_i w_i = 1

    (weights are rescaled to sum to one first). Equal weights over N stocks give N;
    weights concentrated in one stock give one. It is the inverse Herfindahl index.
    """
    weights = _checks.finite_series(weights, "weights")
    if (weights < 0).any():
        raise ValueError(f"weights must be non-negative; negative for {list(weights.index[weights < 0])}")
    total = float(weights.sum())
    if total == 0:
        raise ValueError("weights are all zero, so there is no effective number of stocks")
    shares = weights / total
    return float(1.0 / (shares**2).sum())
