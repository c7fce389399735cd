"""Real returns that ship inside installed packages: no download, ever.

The book's worked example is invented and its long histories are simulated; this module
is where the methods meet real markets. Every loader reads a file bundled in a package's
wheel and returns it in one convention:

* **decimal simple returns**, :math:`r_t = P_t / P_{t-1} - 1` (0.01 is 1%), not percent
  and not log returns;
* a ``DatetimeIndex``, **oldest first**, named ``date``; monthly data are dated at the
  **month end** (the French files date a month by its first day);
* labelled columns.

Sources
-------
* Kenneth R. French's Data Library, through ``linearmodels.datasets.french`` (monthly,
  January 1949 to March 2017): the market's excess return, SMB, HML, momentum, the
  risk-free rate, 12 industry portfolios and two 3 × 3 sorts (size × value,
  size × momentum); and through ``arch.data.frenchdata`` (monthly from July 1926:
  market excess return, SMB, HML, risk-free rate).
* ``skfolio.datasets``: daily adjusted prices of 20 large US stocks and of the S&P 500
  index (January 1990 to December 2022), and of five US factor ETFs (2014 to 2022).
  Only loaders that read a bundled file are used here; some of skfolio's other loaders
  download.

A missing package raises ``ImportError`` naming the package to install.
"""

from __future__ import annotations

import importlib
import importlib.util
from functools import cache
from pathlib import Path

import pandas as pd

from mini import _checks

__all__ = [
    "SORTS",
    "factor_etfs",
    "french_factors",
    "french_factors_since_1926",
    "french_industries",
    "french_sorted",
    "monthly",
    "sp500_index",
    "sp500_stocks",
]

# The French factors under the book's names (MKT is the market's return over the
# risk-free rate, an excess return; the others are long-short portfolios).
_FACTOR_NAMES = {"MktRF": "MKT", "SMB": "SMB", "HML": "HML", "Mom": "MOM", "RF": "RF"}
_INDUSTRIES = [
    "NoDur",
    "Durbl",
    "Manuf",
    "Enrgy",
    "Chems",
    "BusEq",
    "Telcm",
    "Utils",
    "Shops",
    "Hlth",
    "Money",
    "Other",
]
# The two 3 × 3 sorts: S1/S3/S5 are the small, middle and big size quintiles; V1/V3/V5
# the low, middle and high book-to-market quintiles; M1/M3/M5 the losers, middle and
# winners of the prior-return sort.
SORTS = {
    "size-value": [f"S{s}V{v}" for s in (1, 3, 5) for v in (1, 3, 5)],
    "size-momentum": [f"S{s}M{m}" for s in (1, 3, 5) for m in (1, 3, 5)],
}


def _require(module: str, package: str):
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"this data set ships inside the {package!r} package: pip install {package}"
        ) from error


def _bundled(package: str, *parts: str) -> Path:
    """Path of a file shipped inside ``package``, found without importing the package.

    Importing skfolio or linearmodels only to reach a data file costs seconds (they pull
    in scikit-learn and statsmodels); locating the package's folder does not.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"this data set ships inside the {package!r} package: pip install {package}")
    path = Path(spec.submodule_search_locations[0]).joinpath(*parts)
    if not path.is_file():
        raise ImportError(f"the installed {package!r} has no {'/'.join(parts)}: pip install -U {package}")
    return path


def _month_end(dates: pd.Series | pd.Index) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(dates)).to_period("M").to_timestamp(how="end").normalize()


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """Float columns, index named ``date``, oldest first, no duplicate dates."""
    frame = frame.astype(float).sort_index()
    frame.index.name = "date"
    if frame.index.has_duplicates:
        raise ValueError("the bundled file has duplicate dates")
    return frame


def _french_linearmodels() -> pd.DataFrame:
    return _french_file().copy()  # a fresh copy: callers may change what they get


@cache
def _french_file() -> pd.DataFrame:
    # The file behind linearmodels.datasets.french.load(), read as that function reads it.
    raw = pd.read_csv(_bundled("linearmodels", "datasets", "french", "french.csv.bz2"), compression="bz2")
    return raw.set_index(_month_end(raw["dates"])).drop(columns="dates")


def french_factors() -> pd.DataFrame:
    """Monthly Fama–French factors and momentum, 1949-01 to 2017-03 (819 months).

    Columns ``MKT`` (market return minus the risk-free rate), ``SMB``, ``HML``, ``MOM``
    and ``RF`` (one-month Treasury bill), decimal monthly returns, month-end dates.
    """
    raw = _french_linearmodels()
    return _tidy(raw[list(_FACTOR_NAMES)].rename(columns=_FACTOR_NAMES))


def french_industries() -> pd.DataFrame:
    """Monthly returns of the 12 value-weighted French industry portfolios, 1949-01 to 2017-03.

    Total (not excess) decimal returns; columns ``NoDur`` (consumer non-durables) …
    ``Money`` (finance), ``Other``.
    """
    return _tidy(_french_linearmodels()[_INDUSTRIES])


def french_sorted(kind: str) -> pd.DataFrame:
    """Monthly returns of a 3 × 3 sort of US stocks, 1949-01 to 2017-03.

    ``kind`` is ``"size-value"`` (columns ``S1V1`` … ``S5V5``: size quintile 1, 3 or 5
    crossed with book-to-market quintile 1, 3 or 5) or ``"size-momentum"`` (``S1M1`` …
    ``S5M5``, prior-return quintiles). Total decimal returns.
    """
    if kind not in SORTS:
        raise ValueError(f"unknown sort {kind!r}: choose one of {sorted(SORTS)}")
    return _tidy(_french_linearmodels()[SORTS[kind]])


def french_factors_since_1926() -> pd.DataFrame:
    """Monthly ``MKT``, ``SMB``, ``HML`` and ``RF`` from 1926-07 (``arch.data.frenchdata``).

    The bundled file is in percent and its dates are stored as the integer ``YYYYMM``;
    both are converted to the module's convention.
    """
    frenchdata = _require("arch.data.frenchdata", "arch")
    raw = frenchdata.load()
    # The file's dates were read as nanoseconds since 1970: the integer is YYYYMM.
    yyyymm = pd.Index(raw.index.asi8).astype(str)
    dates = _month_end(pd.to_datetime(yyyymm, format="%Y%m"))
    frame = pd.DataFrame(raw.to_numpy() / 100.0, index=dates, columns=["MKT", "SMB", "HML", "RF"])
    return _tidy(frame)


def _daily_returns(prices: pd.DataFrame) -> pd.DataFrame:
    prices = prices.sort_index()
    if (prices <= 0).any().any():
        raise ValueError("prices must be positive to turn into returns")
    returns = prices / prices.shift(1) - 1.0
    return _tidy(returns.iloc[1:])


def _skfolio_prices(name: str) -> pd.DataFrame:
    """Prices from a file bundled in skfolio, read as ``skfolio.datasets`` reads it."""
    path = _bundled("skfolio", "datasets", "data", f"{name}.csv.gz")
    prices = pd.read_csv(path, sep=",", index_col=0, compression="gzip")
    prices.index = pd.to_datetime(prices.index, format="%Y-%m-%d")
    return prices


def sp500_stocks() -> pd.DataFrame:
    """Daily simple returns of 20 large US stocks, 1990-01-03 to 2022-12-28.

    From adjusted closing prices (dividends and splits folded in). These are stocks that
    were large in 2022: a survivor-biased sample (chapter 5).
    """
    return _daily_returns(_skfolio_prices("sp500_dataset"))


def sp500_index() -> pd.Series:
    """Daily simple returns of the S&P 500 index over the same dates as :func:`sp500_stocks`.

    A price index: dividends are not included.
    """
    return _daily_returns(_skfolio_prices("sp500_index"))["SP500"].rename("SP500")


def factor_etfs() -> pd.DataFrame:
    """Daily simple returns of five US factor ETFs, 2014-01-03 to 2022-12-28.

    ``MTUM`` (momentum), ``QUAL`` (quality), ``SIZE`` (size), ``USMV`` (minimum
    volatility) and ``VLUE`` (value): long-only, so each is mostly market.
    """
    return _daily_returns(_skfolio_prices("factors_dataset"))


def monthly(returns: pd.Series | pd.DataFrame) -> pd.Series | pd.DataFrame:
    r"""Compound daily simple returns into calendar months: :math:`\prod_{d \in m} (1 + r_d) - 1`.

    The result is dated at each month's end, like the French data, so the two can be set
    side by side. A month with no observation is left out rather than shown as zero.
    """
    if not isinstance(returns, pd.Series | pd.DataFrame) or not isinstance(returns.index, pd.DatetimeIndex):
        raise TypeError("returns must be a pandas Series or DataFrame with a DatetimeIndex")
    _checks.oldest_first(returns, "returns")
    counts = returns.resample("ME").count()
    growth = (1.0 + returns).resample("ME").prod() - 1.0
    has_data = counts > 0 if isinstance(counts, pd.Series) else (counts > 0).all(axis=1)
    return growth[has_data].rename_axis("date")
