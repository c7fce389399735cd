"""Global model (world, countries, industries, currencies), general sum-to-zero constraints
and the nested F-test, each against an independent computation; bad input raises."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mini.constraints import restriction_matrix, sum_to_zero_constraints
from mini.global_model import (
    base_currency_returns,
    currency_exposures,
    fit_global,
    fit_global_period,
    global_constraints,
    global_exposures,
)
from mini.regression import backfill_factor, nested_f_test
from mini.simulation import simulate_global_market


@pytest.fixture(scope="module")
def world():
    return simulate_global_market(n_stocks=240, n_periods=12, n_countries=3, n_industries=4, seed=2)


def test_sum_to_zero_constraints_hold_for_every_restricted_vector():
    factors = ["W", "A", "B", "X", "Y"]
    c = sum_to_zero_constraints(
        {"countries": pd.Series({"A": 0.3, "B": 0.7}), "industries": pd.Series({"X": 0.6, "Y": 0.4})}, factors
    )
    r = restriction_matrix(c)
    g = np.random.default_rng(0).normal(size=r.shape[1])
    assert np.allclose(c.to_numpy() @ (r.to_numpy() @ g), 0.0)
    with pytest.raises(ValueError, match="more than one group"):
        sum_to_zero_constraints({"a": pd.Series({"A": 1.0}), "b": pd.Series({"A": 1.0})}, factors)


def test_global_regression_equals_constrained_least_squares_by_kkt(world):
    t = 3
    fit = fit_global_period(
        world.returns.iloc[t], world.caps, world.country, world.industry, world.countries, world.industries
    )
    x = np.column_stack(
        [np.ones(240)]
        + [(world.country == c).to_numpy(float) for c in world.countries]
        + [(world.industry == j).to_numpy(float) for j in world.industries]
    )
    w = np.sqrt(world.caps.to_numpy())
    c = global_constraints(
        world.caps, world.country, world.industry, world.countries, world.industries
    ).to_numpy()
    k, m = x.shape[1], c.shape[0]
    kkt = np.block([[x.T @ (w[:, None] * x), c.T], [c, np.zeros((m, m))]])
    rhs = np.concatenate([x.T @ (w * world.returns.iloc[t].to_numpy()), np.zeros(m)])
    assert np.allclose(fit.factor_returns.to_numpy(), np.linalg.solve(kkt, rhs)[:k], atol=1e-12)
    batched = fit_global(world)
    assert np.allclose(batched.factor_returns.iloc[t], fit.factor_returns, atol=1e-12)
    assert np.allclose(batched.residuals.iloc[t], fit.residuals, atol=1e-12)


def test_a_reference_country_changes_the_factors_not_the_fit(world):
    args = (world.caps, world.country, world.industry, world.countries, world.industries)
    zero_sum = fit_global_period(world.returns.iloc[0], *args)
    reference = fit_global_period(world.returns.iloc[0], *args, reference_country="US")
    assert np.allclose(zero_sum.residuals, reference.residuals, atol=1e-12)
    assert reference.factor_returns["US"] == pytest.approx(0.0, abs=1e-12)
    assert reference.factor_returns["WORLD"] == pytest.approx(
        zero_sum.factor_returns["WORLD"] + zero_sum.factor_returns["US"]
    )


def test_base_currency_returns_compound_local_and_currency_returns(world):
    usd = base_currency_returns(world.returns, world.currency_returns, world.currency)
    stock = world.country[world.country == "JP"].index[0]
    expected = (1 + world.returns[stock]) * (1 + world.currency_returns["JPY"]) - 1
    assert np.allclose(usd[stock], expected)
    us_stock = world.country[world.country == "US"].index[0]
    assert np.allclose(usd[us_stock], world.returns[us_stock])
    w = world.caps / world.caps.sum()
    exposure = currency_exposures(w, world.currency, list(world.currency_returns.columns), "USD")
    assert exposure["JPY"] == pytest.approx(w[world.country == "JP"].sum())
    assert "USD" not in exposure.index


def test_nested_f_test_matches_the_f_statistic_from_residual_sums_of_squares():
    rng = np.random.default_rng(1)
    n = 80
    x = np.column_stack([np.ones(n), rng.normal(size=(n, 2))])
    extra = rng.normal(size=n)
    y = x @ [0.1, 0.5, -0.2] + 0.3 * extra + rng.normal(size=n)
    ssr = [
        np.sum((y - a @ np.linalg.lstsq(a, y, rcond=None)[0]) ** 2) for a in (x, np.column_stack([x, extra]))
    ]
    tss = np.sum((y - y.mean()) ** 2)
    f_stat, p_value = nested_f_test(1 - ssr[0] / tss, 1 - ssr[1] / tss, n, 4)
    expected = (ssr[0] - ssr[1]) / (ssr[1] / (n - 4))
    assert f_stat == pytest.approx(expected)
    assert p_value == pytest.approx(stats.f.sf(expected, 1, n - 4))
    with pytest.raises(ValueError, match="cannot be below"):
        nested_f_test(0.5, 0.4, n, 4)


def test_global_model_rejects_bad_input(world):
    with pytest.raises(ValueError, match="reference country"):
        global_constraints(
            world.caps,
            world.country,
            world.industry,
            world.countries,
            world.industries,
            reference_country="XX",
        )
    with pytest.raises(ValueError, match="countries"):
        simulate_global_market(n_countries=9)


def test_backfill_factor_is_a_one_regressor_wls_of_the_residuals():
    rng = np.random.default_rng(5)
    e = pd.DataFrame(rng.normal(size=(4, 30)))
    x = rng.normal(size=(4, 30))
    w = pd.DataFrame(rng.uniform(0.5, 2.0, size=(4, 30)))
    got = backfill_factor(e, x, w)
    for t in range(4):
        root = np.sqrt(w.iloc[t].to_numpy())
        expected = np.linalg.lstsq((x[t] * root)[:, None], e.iloc[t].to_numpy() * root, rcond=None)[0][0]
        assert got.iloc[t] == pytest.approx(expected)
    with pytest.raises(ValueError, match="must match"):
        backfill_factor(e, x[:, :5], w)


@pytest.fixture
def two_markets():
    """Two stocks quoted in yen and dollars, two dated periods, stock labels out of order."""
    dates = pd.to_datetime(["2024-01-31", "2024-02-29"])
    local = pd.DataFrame({"A": [0.10, -0.05], "B": [0.02, 0.04]}, index=dates)
    fx = pd.DataFrame({"USD": [0.0, 0.0], "JPY": [0.20, -0.10]}, index=dates)
    currency = pd.Series({"B": "USD", "A": "JPY"})
    return local, fx, currency


def test_base_currency_returns_by_hand_keeps_periods_and_maps_each_stock_to_its_currency(two_markets):
    local, fx, currency = two_markets
    usd = base_currency_returns(local, fx, currency)
    expected = pd.DataFrame({"A": [1.1 * 1.2 - 1, 0.95 * 0.9 - 1], "B": [0.02, 0.04]}, index=local.index)
    pd.testing.assert_frame_equal(usd, expected)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("nan local", r"^local returns contains 1 NaN"),
        ("nan fx", r"^currency returns contains 1 NaN"),
        ("extra stock", r"^currencies does not match the model's stocks: unknown stocks \['C'\]$"),
        ("unknown currency", r"^unknown currency \['EUR'\]; known currencys are"),
        ("other periods", r"^local and currency returns must cover the same periods$"),
    ],
)
def test_base_currency_returns_names_the_bad_input(two_markets, change, message):
    local, fx, currency = two_markets
    if change == "nan local":
        local = local.assign(A=[np.nan, -0.05])
    elif change == "nan fx":
        fx = fx.assign(JPY=[np.nan, 0.1])
    elif change == "extra stock":
        currency = pd.concat([currency, pd.Series({"C": "USD"})])
    elif change == "unknown currency":
        currency = currency.replace("JPY", "EUR")
    else:
        fx = fx.set_axis(fx.index + pd.Timedelta(days=1))
    with pytest.raises(ValueError, match=message):
        base_currency_returns(local, fx, currency)


def test_currency_exposures_by_hand_with_a_currency_nobody_holds():
    weights = pd.Series({"A": 0.5, "B": 0.3, "C": 0.2})
    currency = pd.Series({"C": "JPY", "A": "USD", "B": "JPY"})
    exposure = currency_exposures(weights, currency, ["USD", "JPY", "EUR"], "USD")
    pd.testing.assert_series_equal(exposure, pd.Series({"JPY": 0.5, "EUR": 0.0}, name="currency exposure"))


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        (pd.Series({"A": np.nan, "B": 1.0}), r"^weights contains 1 NaN"),
        (
            pd.Series({"A": 0.5, "B": 0.5, "C": 0.0}),
            r"^currencies does not match the model's stocks: missing stocks \['C'\]$",
        ),
    ],
)
def test_currency_exposures_names_the_bad_input(weights, message):
    with pytest.raises(ValueError, match=message):
        currency_exposures(weights, pd.Series({"A": "USD", "B": "JPY"}), ["USD", "JPY"], "USD")


# --- a four-stock market by hand: two countries, two industries --------------------------------
STOCKS4 = ["s1", "s2", "s3", "s4"]
COUNTRY4 = pd.Series(["US", "US", "UK", "UK"], index=STOCKS4)
INDUSTRY4 = pd.Series(["TECH", "BANKS", "TECH", "TECH"], index=STOCKS4)
CAPS4 = pd.Series([1.0, 3.0, 2.0, 4.0], index=STOCKS4)


def test_global_exposures_by_hand_and_their_errors():
    """WORLD ones plus country and industry dummies; unknown groups and labels named in full."""
    x = global_exposures(COUNTRY4, INDUSTRY4, ["US", "UK"], ["TECH", "BANKS"])
    assert list(x.columns) == ["WORLD", "US", "UK", "TECH", "BANKS"]
    assert x.to_numpy().tolist() == [[1, 1, 0, 1, 0], [1, 1, 0, 0, 1], [1, 0, 1, 1, 0], [1, 0, 1, 1, 0]]
    with pytest.raises(ValueError, match=r"^stocks in unknown countries or industries: \['UK', 'BANKS'\]$"):
        global_exposures(COUNTRY4, INDUSTRY4, ["US"], ["TECH"])
    with pytest.raises(
        ValueError, match=r"^industries does not match the model's stocks: missing stocks \['s4'\]$"
    ):
        global_exposures(COUNTRY4, INDUSTRY4.drop("s4"), ["US", "UK"], ["TECH", "BANKS"])


def test_global_constraints_by_hand():
    """Cap weights 0.1, 0.3, 0.2, 0.4: US 0.4, UK 0.6; TECH 0.7, BANKS 0.3 (caps / total, not × total)."""
    frame = global_constraints(CAPS4, COUNTRY4, INDUSTRY4, ["US", "UK"], ["TECH", "BANKS"])
    assert list(frame.index) == ["cap-weighted countries sum to zero", "cap-weighted industries sum to zero"]
    assert np.allclose(frame.to_numpy(), [[0, 0.4, 0.6, 0, 0], [0, 0, 0, 0.7, 0.3]], rtol=1e-14)
    with_reference = global_constraints(CAPS4, COUNTRY4, INDUSTRY4, ["US", "UK"], ["TECH", "BANKS"], "UK")
    assert list(with_reference.index) == ["UK is the reference", "cap-weighted industries sum to zero"]
    assert with_reference.iloc[0].tolist() == [0.0, 0.0, 1.0, 0.0, 0.0]  # f_UK = 0


@pytest.mark.parametrize(
    "countries, industries, caps, message",
    [
        (
            ["US", "UK", "FR"],
            ["TECH", "BANKS"],
            CAPS4,
            r"^every country and industry needs at least one stock$",
        ),
        (
            ["US", "UK"],
            ["TECH", "BANKS", "OIL"],
            CAPS4,
            r"^every country and industry needs at least one stock$",
        ),
        (
            ["US", "UK"],
            ["TECH", "BANKS"],
            CAPS4.replace(3.0, np.nan),
            r"^caps contains 1 NaN or infinite value\(s\)$",
        ),
    ],
)
def test_global_constraints_name_the_bad_input(countries, industries, caps, message):
    """A country or an industry without stocks (either alone) and NaN caps raise, in full."""
    with pytest.raises(ValueError, match=message):
        global_constraints(caps, COUNTRY4, INDUSTRY4, countries, industries)


def test_fit_global_with_a_reference_country_labels_and_pins_it(world):
    """The batched fit takes the reference country (its factor return is zero) and labels every factor."""
    fit = fit_global(world, reference_country="US")
    assert list(fit.factor_returns.columns) == ["WORLD", *world.countries, *world.industries]
    assert np.allclose(fit.factor_returns["US"], 0.0, atol=1e-12)
    one = fit_global_period(
        world.returns.iloc[2],
        world.caps,
        world.country,
        world.industry,
        world.countries,
        world.industries,
        "US",
    )
    assert np.allclose(fit.factor_returns.iloc[2], one.factor_returns, atol=1e-12)
