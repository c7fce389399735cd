"""Small hand-checkable examples used before the MiniModel is introduced in full.

Both are ordinary :class:`~mini.risk_model.RiskModel` objects, so every formula the
book applies to them is the same code it applies to the MiniModel.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from mini.risk_model import RiskModel, factor_covariance


@dataclass(frozen=True)
class Example:
    """A risk model and the portfolio weights the chapter studies with it."""

    model: RiskModel
    weights: pd.Series


def two_stock_example() -> Example:
    """Two stocks, one market factor (chapter 1).

    Betas 1.2 and 0.8, market vol 16%, specific vols 25% and 20%; equal weights.
    """
    stocks = pd.Index(["STOCK A", "STOCK B"], name="stock")
    factors = pd.Index(["MKT"], name="factor")
    model = RiskModel(
        exposures=pd.DataFrame({"MKT": [1.2, 0.8]}, index=stocks),
        factor_cov=factor_covariance(
            pd.Series([0.16], index=factors), pd.DataFrame([[1.0]], index=factors, columns=factors)
        ),
        specific_var=pd.Series([0.25, 0.20], index=stocks) ** 2,
    )
    return Example(model=model, weights=pd.Series([0.5, 0.5], index=stocks, name="weight"))


def five_stock_example() -> Example:
    """Five stocks, two factors (chapter 2).

    Market and value factors with vols 16% and 4% and correlation −0.2; every stock
    has market exposure 1 and a value exposure between −1 and 1.2.
    """
    stocks = pd.Index(["S1", "S2", "S3", "S4", "S5"], name="stock")
    factors = pd.Index(["MKT", "VALUE"], name="factor")
    exposures = pd.DataFrame(
        {"MKT": [1.0, 1.0, 1.0, 1.0, 1.0], "VALUE": [1.2, 0.5, -0.3, -1.0, -0.4]}, index=stocks
    )
    correlation = pd.DataFrame([[1.0, -0.2], [-0.2, 1.0]], index=factors, columns=factors)
    model = RiskModel(
        exposures=exposures,
        factor_cov=factor_covariance(pd.Series([0.16, 0.04], index=factors), correlation),
        specific_var=pd.Series([0.20, 0.25, 0.18, 0.30, 0.22], index=stocks) ** 2,
    )
    weights = pd.Series([0.30, 0.25, 0.20, 0.15, 0.10], index=stocks, name="weight")
    return Example(model=model, weights=weights)
