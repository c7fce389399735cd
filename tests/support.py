"""Helpers shared by the tests of `mini`: printed-precision comparisons, reference figures, random models.

Not a test module: tests import it by name (``tests/`` is on pytest's python path, see
pyproject.toml). Fixtures live in ``conftest.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import settings
from hypothesis import strategies as st

from mini.book import reference_figure
from mini.risk_model import RiskModel

SETTINGS = settings(max_examples=40, deadline=None)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


def random_model(seed: int, n: int = 12, k: int = 4) -> RiskModel:
    rng = np.random.default_rng(seed)
    stocks = pd.Index([f"S{i}" for i in range(n)])
    factors = pd.Index([f"F{j}" for j in range(k)])
    root = rng.normal(size=(k, k)) * 0.1
    return RiskModel(
        exposures=pd.DataFrame(rng.normal(size=(n, k)), index=stocks, columns=factors),
        factor_cov=pd.DataFrame(root @ root.T + 0.001 * np.eye(k), index=factors, columns=factors),
        specific_var=pd.Series(rng.uniform(0.01, 0.1, n), index=stocks),
    )


def random_industry_market(seed: int, n: int = 15, industries: int = 3, styles: int = 2):
    """Exposures with a market column, industry dummies (every industry populated) and styles."""
    rng = np.random.default_rng(seed)
    stocks = pd.Index([f"S{i}" for i in range(n)])
    labels = np.concatenate([np.arange(industries), rng.integers(0, industries, n - industries)])
    ind_names = [f"IND{j}" for j in range(industries)]
    x = pd.DataFrame({"MKT": 1.0}, index=stocks)
    for j, name in enumerate(ind_names):
        x[name] = (labels == j).astype(float)
    for s in range(styles):
        x[f"STY{s}"] = rng.normal(size=n)
    cap = pd.Series(rng.lognormal(3, 1, n), index=stocks)
    ind_weights = pd.Series([cap[labels == j].sum() for j in range(industries)], index=ind_names) / cap.sum()
    returns = pd.Series(rng.normal(0, 0.05, n), index=stocks)
    weights = np.sqrt(cap) / np.sqrt(cap).sum()
    return x, returns, weights, ind_weights


def printed(actual: float, expected: float, decimals: int) -> None:
    """Assert ``actual`` shows as ``expected`` when printed with ``decimals`` places."""
    tolerance = 0.5 * 10.0**-decimals + 1e-12
    assert abs(actual - expected) <= tolerance, f"{actual!r} does not print as {expected} at {decimals} dp"


def printed_all(actual, expected, decimals: int) -> None:
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape
    for a, e in zip(actual.ravel(), expected.ravel(), strict=True):
        printed(a, e, decimals)


# Reference figures (mini/data/reference_figures.csv) ---------------------------------
def reference_value(key: str) -> float:
    """Reference figure ``key`` as a number; a percentage becomes a decimal ("5.42%" is 0.0542)."""
    value = reference_figure(key).value
    if value.endswith("%"):
        return float(value[:-1]) / 100
    return float(value)


def reference_decimals(key: str) -> int:
    """Decimal places the figure is printed to, in the units of ``reference_value`` ("5.42%": 4)."""
    value = reference_figure(key).value
    places = len(value.rstrip("%").partition(".")[2])
    return places + 2 if value.endswith("%") else places


def printed_as(actual: float, key: str, decimals: int | None = None) -> None:
    """Assert ``actual`` prints as reference figure ``key`` (at ``decimals`` places if given)."""
    places = reference_decimals(key) if decimals is None else decimals
    tolerance = 0.5 * 10.0**-places + 1e-12
    shown = reference_figure(key).value
    assert abs(actual - reference_value(key)) <= tolerance, f"{actual!r} does not print as {key} = {shown}"


def printed_all_as(actual, keys: list[str], decimals: int | None = None) -> None:
    """``printed_as`` for each value and key in turn."""
    actual = np.asarray(actual, dtype=float)
    assert actual.shape == (len(keys),), f"{actual.shape} values for {len(keys)} keys"
    for value, key in zip(actual, keys, strict=True):
        printed_as(value, key, decimals)
