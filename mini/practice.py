r"""Practical matters of a production model: point-in-time data, corporate actions, memory.

Small helpers for chapter 16's examples: exposures built from what was known at the
time (or, for contrast, from what was known only later), a return series broken by an
unadjusted stock split, and how many stocks a covariance matrix can cover in a memory
budget.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from mini import _checks


def standardise_panel(descriptor: np.ndarray, caps: np.ndarray) -> np.ndarray:
    r"""Standardise a (T, N) descriptor period by period, as :func:`mini.exposures.standardise`:

    .. math:: z_{ti} = \frac{d_{ti} - \sum_j c_{tj} d_{tj}}{\operatorname{std}_i(d_{ti})},
       \qquad c_{tj} = \mathrm{cap}_{tj} / \textstyle\sum_k \mathrm{cap}_{tk}

    (cap-weighted mean zero, equal-weighted population standard deviation one).
    """
    d = _checks.finite_array(descriptor, "descriptor", ndim=2)
    c = _checks.finite_array(caps, "caps", ndim=2)
    if d.shape != c.shape:
        raise ValueError(
            f"descriptor {d.shape} and caps {c.shape} must have the same (periods, stocks) shape"
        )
    if np.any(c <= 0):
        raise ValueError("caps must be positive")
    spread = d.std(axis=1, ddof=0, keepdims=True)
    if np.any(spread == 0):
        raise ValueError("the descriptor is constant across stocks in some period")
    weights = c / c.sum(axis=1, keepdims=True)
    return (d - np.sum(weights * d, axis=1, keepdims=True)) / spread


def size_exposures(caps: pd.DataFrame, returns: pd.DataFrame, look_ahead: bool = False) -> np.ndarray:
    r"""SIZE exposures (T, N) from log caps, point in time or with look-ahead.

    Point in time, period t uses the start-of-period cap (known when the period starts).
    With ``look_ahead`` it uses the end-of-period cap
    :math:`\mathrm{cap}_{t}(1 + r_{t})`, which is only known once the period's return
    has happened: the classic look-ahead error of stamping data with the date it
    describes rather than the date it became available.
    """
    caps = _checks.finite_frame(caps, "caps")
    returns = _checks.finite_frame(returns, "returns")
    if caps.shape != returns.shape:
        raise ValueError(f"caps {caps.shape} and returns {returns.shape} must have the same shape")
    c = caps.to_numpy()
    known = c * np.maximum(1.0 + returns.to_numpy(), 0.05) if look_ahead else c
    return standardise_panel(np.log(known), c)


def unadjusted_split(returns: pd.DataFrame, stock: str, period: object, ratio: float) -> pd.DataFrame:
    r"""Returns as they look when a ``ratio``-for-one split is not adjusted for.

    On the split date the price falls to :math:`1/\text{ratio}` of what it would have
    been, so the recorded return is :math:`(1 + r)/\text{ratio} - 1` instead of r.
    """
    returns = _checks.finite_frame(returns, "returns")
    if stock not in returns.columns or period not in returns.index:
        raise ValueError(f"unknown stock {stock!r} or period {period!r}")
    if not np.isfinite(ratio) or ratio <= 0:
        raise ValueError(f"split ratio must be positive, got {ratio}")
    broken = returns.copy()
    broken.loc[period, stock] = (1.0 + returns.loc[period, stock]) / ratio - 1.0
    return broken


def covariance_capacity(budget_bytes: float, symmetric: bool = True, itemsize: int = 8) -> int:
    r"""The largest N whose N × N covariance fits in ``budget_bytes``.

    Full storage needs :math:`N^2` numbers; symmetric storage (one triangle, diagonal
    included) :math:`N(N+1)/2`, so :math:`N = \lfloor (\sqrt{8B + 1} - 1)/2 \rfloor` for a
    budget of B numbers.
    """
    if not np.isfinite(budget_bytes) or budget_bytes <= 0 or itemsize <= 0:
        raise ValueError("the budget and the item size must be positive")
    numbers = int(budget_bytes // itemsize)
    n = math.isqrt(numbers) if not symmetric else (math.isqrt(8 * numbers + 1) - 1) // 2
    return n
