"""The real-data loaders: shipped files only, one convention, no network."""

from __future__ import annotations

import socket
import sys

import numpy as np
import pandas as pd
import pytest

from mini import data


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("a loader tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


LOADERS = {
    "french_factors": data.french_factors,
    "french_industries": data.french_industries,
    "size-value": lambda: data.french_sorted("size-value"),
    "size-momentum": lambda: data.french_sorted("size-momentum"),
    "french_factors_since_1926": data.french_factors_since_1926,
    "sp500_stocks": data.sp500_stocks,
    "sp500_index": data.sp500_index,
    "factor_etfs": data.factor_etfs,
}


@pytest.mark.parametrize("name", LOADERS)
def test_every_loader_reads_shipped_files_in_the_book_convention(name, no_network):
    loaded = LOADERS[name]()
    assert isinstance(loaded.index, pd.DatetimeIndex) and loaded.index.name == "date"
    assert loaded.index.is_monotonic_increasing and not loaded.index.has_duplicates
    values = np.asarray(loaded, dtype=float)
    assert np.isfinite(values).all()
    # Decimal returns: no month or day of any of these series moves by 100% or more.
    assert np.abs(values).max() < 1.0
    if name.startswith("french") or name.startswith("size"):
        assert loaded.index.is_month_end.all()


def test_french_factors_columns_dates_and_first_values():
    factors = data.french_factors()
    assert list(factors.columns) == ["MKT", "SMB", "HML", "MOM", "RF"]
    assert (factors.index[0], factors.index[-1], len(factors)) == (
        pd.Timestamp("1949-01-31"),
        pd.Timestamp("2017-03-31"),
        819,
    )
    # January 1949 as the Data Library prints it, in percent: 0.23, 1.81, 1.17, -2.92, 0.10.
    np.testing.assert_allclose(factors.iloc[0], [0.0023, 0.0181, 0.0117, -0.0292, 0.0010])


def test_the_two_french_vintages_agree_where_they_overlap():
    """linearmodels and arch ship different vintages of the same library: close, not equal."""
    recent = data.french_factors()[["MKT", "SMB", "HML", "RF"]]
    long = data.french_factors_since_1926()
    assert long.index[0] == pd.Timestamp("1926-07-31")
    both = recent.merge(long, left_index=True, right_index=True, suffixes=("", "_long"))
    assert len(both) == len(recent)  # the long file covers every month of the short one
    for column in ["MKT", "SMB", "HML", "RF"]:
        a, b = both[column], both[f"{column}_long"]
        assert np.corrcoef(a, b)[0, 1] > 0.98, column
        assert (a - b).abs().mean() < 0.001, column


def test_industries_and_sorts_have_their_labels():
    assert list(data.french_industries().columns)[:2] == ["NoDur", "Durbl"]
    assert len(data.french_industries().columns) == 12
    assert list(data.french_sorted("size-value").columns) == data.SORTS["size-value"]
    assert list(data.french_sorted("size-momentum").columns)[-1] == "S5M5"
    with pytest.raises(ValueError, match="unknown sort 'size-beta'"):
        data.french_sorted("size-beta")


def test_daily_returns_are_simple_returns_of_the_shipped_prices():
    from skfolio.datasets import load_sp500_dataset

    prices = load_sp500_dataset()
    returns = data.sp500_stocks()
    assert returns.shape == (len(prices) - 1, 20)
    day = returns.index[100]
    before = prices.index[prices.index.get_loc(day) - 1]
    np.testing.assert_allclose(returns.loc[day], prices.loc[day] / prices.loc[before] - 1)
    index = data.sp500_index()
    assert index.name == "SP500" and index.index.equals(returns.index)
    assert list(data.factor_etfs().columns) == ["MTUM", "QUAL", "SIZE", "USMV", "VLUE"]


def test_the_french_file_is_what_linearmodels_loads():
    """mini reads linearmodels' bundled file without importing the package: same data."""
    french = pytest.importorskip("linearmodels.datasets.french")
    theirs = french.load()
    ours = data._french_linearmodels()
    np.testing.assert_array_equal(ours.to_numpy(), theirs.drop(columns="dates").to_numpy())
    assert list(ours.columns) == [c for c in theirs.columns if c != "dates"]
    assert (ours.index.to_period("M") == pd.DatetimeIndex(theirs["dates"]).to_period("M")).all()


def test_a_missing_package_says_what_to_install(monkeypatch):
    # A None entry in sys.modules makes find_spec report the package as absent.
    data._french_file.cache_clear()
    monkeypatch.setitem(sys.modules, "linearmodels", None)
    with pytest.raises(ImportError, match="pip install linearmodels"):
        data.french_factors()
    monkeypatch.setitem(sys.modules, "skfolio", None)
    with pytest.raises(ImportError, match="pip install skfolio"):
        data.sp500_stocks()
    data._french_file.cache_clear()


def test_files_read_without_importing_the_packages_equal_their_own_loaders():
    from linearmodels.datasets import french
    from skfolio.datasets import load_factors_dataset, load_sp500_index

    raw = french.load()
    theirs = raw.set_index(data._month_end(raw["dates"]))
    ours = data.french_factors()
    np.testing.assert_array_equal(ours.to_numpy(), theirs[["MktRF", "SMB", "HML", "Mom", "RF"]].to_numpy())
    assert ours.index.equals(theirs.index)
    for name, loader in [("sp500_index", load_sp500_index), ("factors_dataset", load_factors_dataset)]:
        pd.testing.assert_frame_equal(data._skfolio_prices(name), loader())


def test_monthly_compounds_days_into_month_ends():
    days = pd.to_datetime(["2020-01-30", "2020-01-31", "2020-03-02", "2020-03-03"])
    returns = pd.DataFrame({"a": [0.01, 0.02, -0.01, 0.03], "b": [0.0, 0.0, 0.1, -0.1]}, index=days)
    months = data.monthly(returns)
    assert list(months.index) == [pd.Timestamp("2020-01-31"), pd.Timestamp("2020-03-31")]  # no empty February
    np.testing.assert_allclose(months["a"], [1.01 * 1.02 - 1, 0.99 * 1.03 - 1])
    np.testing.assert_allclose(months["b"], [0.0, 1.1 * 0.9 - 1])
    pd.testing.assert_series_equal(
        data.monthly(returns["a"]), months["a"], check_names=False, check_freq=False
    )
    with pytest.raises(ValueError, match="returns must run oldest first"):
        data.monthly(returns.iloc[::-1])
    with pytest.raises(TypeError, match="DatetimeIndex"):
        data.monthly(returns.reset_index(drop=True))


def test_missing_packages_and_files_give_exact_messages():
    with pytest.raises(
        ImportError, match=r"^this data set ships inside the 'no_such_pkg' package: pip install no_such_pkg$"
    ):
        data._require("no_such_pkg.sub", "no_such_pkg")
    with pytest.raises(
        ImportError, match=r"^this data set ships inside the 'no_such_pkg' package: pip install no_such_pkg$"
    ):
        data._bundled("no_such_pkg", "file.csv")
    with pytest.raises(
        ImportError, match=r"^the installed 'pandas' has no no/such\.csv: pip install -U pandas$"
    ):
        data._bundled("pandas", "no", "such.csv")
    assert data._require("json", "json").__name__ == "json"


def test_tidy_sorts_names_and_floats_and_rejects_duplicate_dates():
    days = pd.to_datetime(["2020-01-03", "2020-01-02"])
    tidy = data._tidy(pd.DataFrame({"a": [1, 2]}, index=days))
    assert tidy.index.name == "date" and tidy.index.is_monotonic_increasing
    assert tidy["a"].tolist() == [2.0, 1.0] and tidy["a"].dtype == float
    with pytest.raises(ValueError, match=r"^the bundled file has duplicate dates$"):
        data._tidy(pd.DataFrame({"a": [1, 2]}, index=days[[0, 0]]))


def test_daily_returns_of_unsorted_prices_by_hand_and_non_positive_prices():
    days = pd.to_datetime(["2020-01-03", "2020-01-01", "2020-01-02"])
    returns = data._daily_returns(pd.DataFrame({"p": [12.1, 10.0, 11.0]}, index=days))
    assert returns.index.tolist() == list(pd.to_datetime(["2020-01-02", "2020-01-03"]))
    np.testing.assert_allclose(returns["p"], [11.0 / 10.0 - 1, 12.1 / 11.0 - 1], rtol=1e-14)
    with pytest.raises(ValueError, match=r"^prices must be positive to turn into returns$"):
        data._daily_returns(pd.DataFrame({"p": [1.0, 0.0]}, index=days[1:]))


def test_month_end_dates_a_first_of_the_month_at_its_last_day_midnight():
    ends = data._month_end(pd.Index(["2020-02-01", "2021-12-15"]))
    assert ends.tolist() == [pd.Timestamp("2020-02-29"), pd.Timestamp("2021-12-31")]


def test_monthly_messages_are_exact():
    with pytest.raises(
        TypeError, match=r"^returns must be a pandas Series or DataFrame with a DatetimeIndex$"
    ):
        data.monthly(pd.Series([0.01, 0.02]))
    days = pd.to_datetime(["2020-01-31", "2020-01-30"])
    with pytest.raises(ValueError, match=r"^returns must run oldest first, but 2020-01-30"):
        data.monthly(pd.Series([0.01, 0.02], index=days))
    with pytest.raises(
        ValueError, match=r"^unknown sort 'size-beta': choose one of \['size-momentum', 'size-value'\]$"
    ):
        data.french_sorted("size-beta")


def test_the_1926_factors_name_arch_when_it_is_missing(monkeypatch):
    for module in ("arch", "arch.data", "arch.data.frenchdata"):  # even when an earlier test imported it
        monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(
        ImportError, match=r"^this data set ships inside the 'arch' package: pip install arch$"
    ):
        data.french_factors_since_1926()


def test_monthly_keeps_a_month_of_a_single_day_and_names_the_dates():
    days = pd.to_datetime(["2020-01-31", "2020-02-03"])
    returns = pd.DataFrame({"a": [0.01, 0.02], "b": [0.03, -0.01]}, index=days)
    for result in (data.monthly(returns), data.monthly(returns["a"])):
        assert result.index.tolist() == [pd.Timestamp("2020-01-31"), pd.Timestamp("2020-02-29")]
        assert result.index.name == "date"
    np.testing.assert_allclose(data.monthly(returns)["b"], [0.03, -0.01])
