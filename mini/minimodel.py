"""The MiniModel: ten stocks, three industries, three styles, used in every chapter.

:func:`load_minimodel` returns the data set; its methods assemble the derived objects
(exposure matrix, month-1 regression, risk model) from the functions of the other
modules, so chapters that build a piece step by step and chapters that only need the
finished piece run exactly the same code.

Units: returns, volatilities and weights are decimals (0.042 is 4.2%); volatilities
and covariances are annualised; returns are monthly; market caps are in $bn.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from mini import _checks
from mini.attribution import factor_attribution
from mini.constraints import apply_restriction, industry_constraint, restriction_matrix
from mini.decomposition import active_weights, portfolio_exposures
from mini.exposures import exposure_matrix
from mini.regression import CrossSectionalFit, cross_sectional_regression, regression_weights
from mini.risk_model import RiskModel, factor_covariance
from mini.universe import Universe

STOCKS = [
    "AXIOM",
    "BINARY",
    "CIPHER",
    "DIGIT",
    "EVERGREEN",
    "FIDELIS",
    "GUARDIAN",
    "HARVEST",
    "INDIGO",
    "JUNIPER",
]
INDUSTRY_NAMES = {"TECH": "Technology", "FIN": "Financials", "CONS": "Consumer"}
FACTORS = ["MKT", "TECH", "FIN", "CONS", "VALUE", "MOM", "SIZE"]
FACTOR_BLOCKS = {"Market": ["MKT"], "Industries": ["TECH", "FIN", "CONS"], "Styles": ["VALUE", "MOM", "SIZE"]}

# One row per stock: industry factor, cap ($bn), book-to-price, 12-1 month momentum,
# month-1 return, annualised specific vol, and the manager's (value-tilted) weight.
_STOCK_TABLE = [
    # industry  cap    B/P   mom    r1      spec   w_p
    ("TECH", 150.0, 0.15, 0.32, 0.042, 0.18, 0.10),
    ("TECH", 80.0, 0.25, 0.18, 0.028, 0.22, 0.08),
    ("TECH", 40.0, 0.45, -0.05, 0.005, 0.30, 0.10),
    ("TECH", 10.0, 0.60, 0.40, 0.060, 0.38, 0.03),
    ("FIN", 120.0, 0.85, 0.06, 0.008, 0.16, 0.22),
    ("FIN", 60.0, 0.95, -0.02, -0.006, 0.20, 0.14),
    ("FIN", 20.0, 1.10, -0.12, -0.018, 0.28, 0.06),
    ("CONS", 90.0, 0.40, 0.10, 0.012, 0.17, 0.15),
    ("CONS", 30.0, 0.55, 0.02, 0.020, 0.26, 0.08),
    ("CONS", 15.0, 0.70, -0.08, -0.005, 0.32, 0.04),
]

#: The MiniModel's size rule for the estimation universe: a market cap of at least this
#: many $bn (the smallest member, DIGIT, just meets it). Its stocks are assumed to pass
#: the liquidity and history rules, for which the data set has no figures.
ESTIMATION_MIN_CAP = 10.0

_FACTOR_VOLS = [0.16, 0.09, 0.07, 0.05, 0.04, 0.06, 0.04]
_FACTOR_CORR = [
    # MKT   TECH   FIN    CONS  VALUE   MOM   SIZE
    [1.00, 0.10, -0.05, -0.10, -0.20, 0.05, 0.15],
    [0.10, 1.00, -0.40, -0.30, -0.35, 0.30, 0.05],
    [-0.05, -0.40, 1.00, -0.10, 0.40, -0.15, 0.00],
    [-0.10, -0.30, -0.10, 1.00, 0.05, -0.05, -0.05],
    [-0.20, -0.35, 0.40, 0.05, 1.00, -0.45, 0.10],
    [0.05, 0.30, -0.15, -0.05, -0.45, 1.00, 0.05],
    [0.15, 0.05, 0.00, -0.05, 0.10, 0.05, 1.00],
]

# Months 2 and 3: stipulated returns of the free factors (CONS follows from the
# industry constraint) and stipulated active specific returns.
_LATER_FREE_FACTOR_RETURNS = {
    "month 2": {"MKT": -0.020, "TECH": -0.015, "FIN": 0.010, "VALUE": 0.012, "MOM": -0.008, "SIZE": 0.005},
    "month 3": {"MKT": 0.030, "TECH": 0.008, "FIN": -0.005, "VALUE": -0.006, "MOM": 0.010, "SIZE": -0.003},
}
_LATER_ACTIVE_SPECIFIC = {"month 2": 0.0030, "month 3": -0.0010}

# A small-cap index future, described by its factor exposures. The other hedge
# instrument, a broad index future, has the benchmark's exposures.
_SMALL_CAP_FUTURE = {
    "MKT": 1.05,
    "TECH": 0.35,
    "FIN": 0.30,
    "CONS": 0.35,
    "VALUE": 0.10,
    "MOM": -0.05,
    "SIZE": -1.20,
}


@dataclass(frozen=True)
class MonthlyAttribution:
    """Per-month contributions (rows: months; columns: factors, then Specific) and returns."""

    contributions: pd.DataFrame
    portfolio: pd.Series
    benchmark: pd.Series


@dataclass(frozen=True)
class MiniModel:
    """The MiniModel data set (see module docstring for units)."""

    universe: Universe
    descriptors: pd.DataFrame  # raw style descriptors, one column per style factor
    returns: pd.Series  # month-1 stock returns
    specific_vol: pd.Series  # annualised specific volatility per stock
    portfolio: pd.Series  # the manager's weights
    factor_vol: pd.Series  # annualised factor volatilities
    factor_corr: pd.DataFrame  # factor correlation matrix
    later_free_factor_returns: pd.DataFrame  # months 2-3, free factors only (rows: months)
    later_active_specific: pd.Series  # months 2-3 active specific returns
    small_cap_future: pd.Series  # factor exposures of the small-cap future

    @property
    def stocks(self) -> pd.Index:
        return self.universe.stocks

    @property
    def factors(self) -> pd.Index:
        return pd.Index(FACTORS)

    @property
    def benchmark(self) -> pd.Series:
        """The benchmark holds every stock at its cap weight."""
        return self.universe.cap_weights.rename("benchmark weight")

    @property
    def active(self) -> pd.Series:
        return active_weights(self.portfolio, self.benchmark)

    @cached_property
    def exposures(self) -> pd.DataFrame:
        """The standardised exposure matrix X (stocks × factors)."""
        return exposure_matrix(self.universe, self.descriptors)

    @cached_property
    def restriction(self) -> pd.DataFrame:
        """R for the constraint that cap-weighted industry returns sum to zero (CONS eliminated)."""
        constraint = industry_constraint(self.universe.industry_weights, FACTORS)
        return restriction_matrix(constraint, eliminate=["CONS"])

    @cached_property
    def regression_weights(self) -> pd.Series:
        return regression_weights(self.universe.cap)

    @cached_property
    def month1(self) -> CrossSectionalFit:
        """The constrained √cap-weighted regression of month-1 returns."""
        return cross_sectional_regression(
            self.exposures, self.returns, self.regression_weights, self.restriction
        )

    @cached_property
    def risk_model(self) -> RiskModel:
        """X, F = D C D from the factor vols and correlations, Δ from the specific vols."""
        return RiskModel(
            exposures=self.exposures,
            factor_cov=factor_covariance(self.factor_vol, self.factor_corr),
            specific_var=self.specific_vol**2,
        )

    @cached_property
    def factor_returns(self) -> pd.DataFrame:
        """Factor returns for months 1-3 (rows: months): estimated, then stipulated."""
        later = {
            month: apply_restriction(self.restriction, row)
            for month, row in self.later_free_factor_returns.iterrows()
        }
        return pd.DataFrame({"month 1": self.month1.factor_returns, **later}).T[FACTORS]

    @cached_property
    def active_specific(self) -> pd.Series:
        """Active specific returns for months 1-3: month 1 from the residuals, then stipulated."""
        month1 = float(self.active @ self.month1.residuals.reindex(self.stocks))
        return pd.concat([pd.Series({"month 1": month1}), self.later_active_specific]).rename(
            "active specific"
        )

    @cached_property
    def attribution(self) -> MonthlyAttribution:
        """Active return by source for months 1-3, with portfolio and benchmark returns.

        Month 1 uses the actual stock returns. For months 2-3 only factor returns and
        the active specific return are stipulated, so the benchmark earns its factor
        return x_Bᵀf (its specific return taken as zero) and the portfolio earns the
        benchmark's return plus the active return. Exposures are held constant.
        """
        x_active = portfolio_exposures(self.exposures, self.active)
        x_bench = portfolio_exposures(self.exposures, self.benchmark)
        f = self.factor_returns
        contributions = pd.DataFrame(
            {
                month: factor_attribution(x_active, f.loc[month], self.active_specific[month])
                for month in f.index
            }
        ).T
        benchmark = x_bench @ f.T
        benchmark["month 1"] = float(self.benchmark @ self.returns)
        portfolio = benchmark + contributions.sum(axis=1)
        return MonthlyAttribution(contributions, portfolio.rename("portfolio"), benchmark.rename("benchmark"))

    @cached_property
    def hedge_instruments(self) -> pd.DataFrame:
        """Factor exposures of the two futures (columns: instruments)."""
        index_future = portfolio_exposures(self.exposures, self.benchmark)
        return pd.DataFrame({"index future": index_future, "small-cap future": self.small_cap_future})


def load_minimodel() -> MiniModel:
    """Build the MiniModel data set. Each call returns a fresh, read-only copy."""
    table = pd.DataFrame(
        _STOCK_TABLE,
        index=pd.Index(STOCKS, name="stock"),
        columns=["industry", "cap", "book_to_price", "momentum", "return", "specific_vol", "portfolio"],
    )
    universe = Universe(industry=table["industry"], cap=table["cap"], industries=tuple(INDUSTRY_NAMES))
    descriptors = pd.DataFrame(
        {
            "VALUE": table["book_to_price"],
            "MOM": table["momentum"],
            "SIZE": np.log(table["cap"]),
        }
    )
    factors = pd.Index(FACTORS, name="factor")
    portfolio = table["portfolio"].rename("portfolio weight")
    _checks.sums_to(portfolio, 1.0, "MiniModel portfolio weights")
    return MiniModel(
        universe=universe,
        descriptors=_checks.frozen(descriptors),
        returns=_checks.frozen(table["return"].rename("month-1 return")),
        specific_vol=_checks.frozen(table["specific_vol"].rename("specific vol")),
        portfolio=_checks.frozen(portfolio),
        factor_vol=_checks.frozen(pd.Series(_FACTOR_VOLS, index=factors, name="factor vol")),
        factor_corr=_checks.frozen(pd.DataFrame(_FACTOR_CORR, index=factors, columns=factors)),
        later_free_factor_returns=_checks.frozen(pd.DataFrame(_LATER_FREE_FACTOR_RETURNS).T),
        later_active_specific=_checks.frozen(pd.Series(_LATER_ACTIVE_SPECIFIC, name="active specific")),
        small_cap_future=_checks.frozen(
            pd.Series(_SMALL_CAP_FUTURE, name="small-cap future").reindex(FACTORS)
        ),
    )
