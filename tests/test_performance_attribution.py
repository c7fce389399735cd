"""Linking schemes, track-record statistics and Brinson–Fachler attribution."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import SETTINGS, seeds

from mini.attribution import (
    _log_ratio,
    annualised_return,
    brinson_fachler,
    carino_link,
    compound,
    factor_attribution,
    grap_link,
    information_ratio,
    menchero_link,
    t_statistic,
    years_for_significance,
)

LINKS = [carino_link, menchero_link, grap_link]


def random_record(benchmark_returns, seed, sources=4):
    rng = np.random.default_rng(seed)
    periods = [f"t{i}" for i in range(len(benchmark_returns))]
    rb = pd.Series(benchmark_returns, index=periods)
    contributions = pd.DataFrame(
        rng.normal(0, 0.01, (len(periods), sources)), index=periods, columns=list("abcd")[:sources]
    )
    return contributions, rb + contributions.sum(axis=1), rb


@SETTINGS
@given(st.lists(st.floats(-0.2, 0.2), min_size=2, max_size=12), seeds)
def test_menchero_and_grap_sum_to_the_compounded_active_return(benchmark_returns, seed):
    contributions, rp, rb = random_record(benchmark_returns, seed)
    for link in (menchero_link, grap_link):
        assert np.isclose(link(contributions, rp, rb).sum(), compound(rp) - compound(rb), atol=1e-12)


@SETTINGS
@given(st.floats(-0.2, 0.2), seeds)
def test_one_period_needs_no_linking(benchmark_return, seed):
    contributions, rp, rb = random_record([benchmark_return], seed)
    for link in LINKS:
        assert np.allclose(link(contributions, rp, rb), contributions.iloc[0], atol=1e-14)


@SETTINGS
@given(st.lists(st.floats(-0.2, 0.2), min_size=3, max_size=8, unique=True), seeds)
def test_grap_depends_on_the_order_of_periods_but_carino_does_not(benchmark_returns, seed):
    contributions, rp, rb = random_record(benchmark_returns, seed)
    backwards = contributions.iloc[::-1]
    assert np.allclose(carino_link(contributions, rp, rb), carino_link(backwards, rp, rb), atol=1e-14)
    assert np.allclose(menchero_link(contributions, rp, rb), menchero_link(backwards, rp, rb), atol=1e-14)
    forward, reverse = grap_link(contributions, rp, rb), grap_link(backwards, rp, rb)
    assert np.isclose(forward.sum(), reverse.sum(), atol=1e-12)  # same total either way
    assert not np.allclose(forward, reverse, atol=1e-9, rtol=0)


def test_grap_by_hand():
    """Two periods: c_1 is grown by the benchmark's second period, c_2 by the portfolio's first."""
    contributions = pd.DataFrame({"x": [0.01, 0.02]}, index=["p1", "p2"])
    rb = pd.Series([0.05, -0.03], index=contributions.index)
    rp = rb + contributions["x"]
    assert grap_link(contributions, rp, rb)["x"] == pytest.approx(0.01 * (1 - 0.03) + 0.02 * (1 + 0.06))


def test_menchero_when_there_is_nothing_to_link():
    """Active returns of zero in every period: the pieces cancel within each period and stay finite."""
    contributions = pd.DataFrame({"x": [0.01, -0.02], "y": [-0.01, 0.02]}, index=["p1", "p2"])
    rb = pd.Series([0.03, -0.01], index=contributions.index)
    linked = menchero_link(contributions, rb, rb)
    assert np.all(np.isfinite(linked)) and linked.sum() == pytest.approx(0.0, abs=1e-15)
    # the scale is the limit (1 + R)^((T-1)/T)
    assert linked["x"] == pytest.approx((1 + compound(rb)) ** 0.5 * (0.01 - 0.02))


def test_the_three_schemes_nearly_agree_on_the_minimodel(mm):
    a = mm.attribution
    carino = carino_link(a.contributions, a.portfolio, a.benchmark)
    for link in (menchero_link, grap_link):
        other = link(a.contributions, a.portfolio, a.benchmark)
        assert np.isclose(other.sum(), carino.sum(), atol=1e-14)
        assert np.allclose(other, carino, atol=5e-5)  # within half a basis point per source
        assert not np.allclose(other, carino, atol=1e-7)  # but not identical


def test_linking_rejects_inconsistent_contributions(mm):
    a = mm.attribution
    broken = a.contributions.copy()
    broken.iloc[0, 2] += 0.001
    for link in (menchero_link, grap_link):
        with pytest.raises(ValueError, match="month 1"):
            link(broken, a.portfolio, a.benchmark)


def test_information_ratio_and_t_statistic_by_hand():
    monthly = np.array([0.01, 0.03])  # mean 2%, sample sd sqrt(2) %
    assert information_ratio(monthly) == pytest.approx(0.02 / (0.01 * np.sqrt(2)) * np.sqrt(12))
    assert t_statistic(monthly) == pytest.approx(0.02 / (0.01 * np.sqrt(2) / np.sqrt(2)))
    assert years_for_significance(0.5) == pytest.approx(16.0)
    assert years_for_significance(1.0, t=3.0) == pytest.approx(9.0)


@SETTINGS
@given(st.integers(2, 240), seeds)
def test_t_is_ir_times_root_years(months, seed):
    a = np.random.default_rng(seed).normal(0.001, 0.01, months)
    assert np.isclose(t_statistic(a), information_ratio(a, 12) * np.sqrt(months / 12), rtol=1e-12)


def test_track_record_statistics_reject_bad_input():
    with pytest.raises(ValueError, match="at least two periods"):
        information_ratio(np.array([0.01]))
    with pytest.raises(ValueError, match="do not vary"):
        t_statistic(np.array([0.01, 0.01, 0.01]))
    with pytest.raises(ValueError, match="periods per year"):
        information_ratio(np.array([0.01, 0.02]), periods_per_year=0)
    with pytest.raises(ValueError, match="must be positive"):
        years_for_significance(-0.3)


def test_brinson_fachler_by_hand():
    stocks = ["a", "b", "c"]
    sectors = pd.Series(["X", "X", "Y"], index=stocks)
    wp = pd.Series([0.5, 0.2, 0.3], index=stocks)
    wb = pd.Series([0.2, 0.3, 0.5], index=stocks)
    r = pd.Series([0.04, 0.01, -0.02], index=stocks)
    table = brinson_fachler(wp, wb, r, sectors)
    rb_x, rp_x, total_b = (0.2 * 0.04 + 0.3 * 0.01) / 0.5, (0.5 * 0.04 + 0.2 * 0.01) / 0.7, wb @ r
    assert table.loc["X", "allocation"] == pytest.approx(0.2 * (rb_x - total_b))
    assert table.loc["X", "selection"] == pytest.approx(0.5 * (rp_x - rb_x))
    assert table.loc["X", "interaction"] == pytest.approx(0.2 * (rp_x - rb_x))
    assert table.loc["Y", ["selection", "interaction"]].tolist() == pytest.approx(
        [0.0, 0.0]
    )  # one stock, same return
    assert table["total"].sum() == pytest.approx(wp @ r - wb @ r)


@SETTINGS
@given(seeds)
def test_brinson_fachler_adds_up_even_with_empty_sectors(seed):
    rng = np.random.default_rng(seed)
    stocks = [f"s{i}" for i in range(9)]
    sectors = pd.Series(["A", "A", "A", "B", "B", "B", "C", "C", "C"], index=stocks)
    wp, wb = rng.uniform(0, 1, 9), rng.uniform(0, 1, 9)
    wp[:3] = 0.0  # the portfolio holds nothing in sector A
    wb[6:] = 0.0  # the benchmark holds nothing in sector C
    wp, wb = pd.Series(wp / wp.sum(), index=stocks), pd.Series(wb / wb.sum(), index=stocks)
    r = pd.Series(rng.normal(0, 0.05, 9), index=stocks)
    table = brinson_fachler(wp, wb, r, sectors)
    assert np.isclose(table["total"].sum(), wp @ r - wb @ r, atol=1e-14)
    assert np.allclose(table.loc["A", ["selection", "interaction"]], 0.0)
    assert np.allclose(table.loc["C", ["allocation", "selection"]], 0.0)


def test_brinson_fachler_on_the_minimodel(mm):
    table = brinson_fachler(mm.portfolio, mm.benchmark, mm.returns, mm.universe.industry)
    assert list(table.index) == ["TECH", "FIN", "CONS"]
    assert np.isclose(table["total"].sum(), mm.attribution.contributions.loc["month 1"].sum(), atol=1e-15)


def test_brinson_fachler_rejects_bad_input(mm):
    with pytest.raises(ValueError, match="portfolio weights must sum to 1"):
        brinson_fachler(mm.portfolio * 2, mm.benchmark, mm.returns, mm.universe.industry)
    with pytest.raises(ValueError, match="sectors must be"):
        brinson_fachler(
            mm.portfolio, mm.benchmark, mm.returns, mm.universe.industry.where(lambda s: s != "FIN")
        )
    with pytest.raises(ValueError, match="sectors does not match"):
        brinson_fachler(mm.portfolio, mm.benchmark, mm.returns, mm.universe.industry.iloc[:-1])


def test_annualised_return_is_the_geometric_average_per_year():
    from mini.attribution import annualised_return

    assert annualised_return(np.array([0.21, 0.0]), 1) == pytest.approx(1.21**0.5 - 1)
    assert annualised_return(np.full(24, 0.01), 12) == pytest.approx(1.01**12 - 1)
    assert annualised_return(np.array([0.1, -0.1]), 2) == pytest.approx(1.1 * 0.9 - 1)
    with pytest.raises(ValueError, match="at least 1"):
        annualised_return(np.array([0.1]), 0)
    with pytest.raises(TypeError, match="whole number"):
        annualised_return(np.array([0.1]), 12.0)


def test_factor_attribution_and_compound_by_hand():
    split = factor_attribution(
        pd.Series({"MKT": 1.0, "VAL": 0.5}), pd.Series({"VAL": -0.01, "MKT": 0.02}), 0.003
    )
    assert split.to_dict() == pytest.approx({"MKT": 0.02, "VAL": -0.005, "Specific": 0.003})
    assert compound(np.array([0.1, -0.1])) == pytest.approx(1.1 * 0.9 - 1, rel=1e-14)
    assert compound(pd.Series([0.5])) == pytest.approx(0.5)


def _two_periods():
    periods = ["t1", "t2"]
    contributions = pd.DataFrame({"x": [0.03, 0.01], "y": [0.02, 0.02]}, index=periods)
    rb = pd.Series([0.05, 0.02], index=periods)
    return contributions, rb + contributions.sum(axis=1), rb


def test_carino_by_hand():
    contributions, rp, rb = _two_periods()  # portfolio 10% then 5%, benchmark 5% then 2%
    k1 = (np.log(1.10) - np.log(1.05)) / 0.05
    k2 = (np.log(1.05) - np.log(1.02)) / 0.03
    total_p, total_b = 1.10 * 1.05 - 1, 1.05 * 1.02 - 1
    k = (np.log(1 + total_p) - np.log(1 + total_b)) / (total_p - total_b)
    linked = carino_link(contributions, rp, rb)
    assert linked["x"] == pytest.approx((k1 * 0.03 + k2 * 0.01) / k, rel=1e-12)
    assert linked["y"] == pytest.approx((k1 * 0.02 + k2 * 0.02) / k, rel=1e-12)
    # equal returns in a period: Cariño's coefficient takes its limit 1 / (1 + r)
    same = pd.DataFrame({"x": [0.01, -0.01]}, index=["t1", "t2"])
    rb_same = pd.Series([0.04, 0.03], index=["t1", "t2"])
    rp_same = rb_same + same["x"]
    k1, k2 = (np.log(1.05) - np.log(1.04)) / 0.01, (np.log(1.02) - np.log(1.03)) / -0.01
    total_p, total_b = 1.05 * 1.02 - 1, 1.04 * 1.03 - 1
    k = (np.log(1 + total_p) - np.log(1 + total_b)) / (total_p - total_b)
    assert carino_link(same, rp_same, rb_same)["x"] == pytest.approx((0.01 * k1 - 0.01 * k2) / k, rel=1e-9)
    flat = pd.DataFrame({"x": [0.0, 0.01]}, index=["t1", "t2"])
    rb_flat = pd.Series([0.04, 0.03], index=["t1", "t2"])
    k = (np.log(1.04 * 1.04) - np.log(1.04 * 1.03)) / (1.04 * 1.04 - 1.04 * 1.03)
    linked = carino_link(flat, rb_flat + flat["x"], rb_flat)
    assert linked["x"] == pytest.approx(0.01 * (np.log(1.04) - np.log(1.03)) / 0.01 / k, rel=1e-12)


def test_menchero_by_hand():
    contributions, rp, rb = _two_periods()
    total_p, total_b = 1.10 * 1.05 - 1, 1.05 * 1.02 - 1
    total = total_p - total_b
    m = (total / 2) / (np.sqrt(1 + total_p) - np.sqrt(1 + total_b))
    active = np.array([0.05, 0.03])
    alpha = (total - m * active.sum()) / (active @ active) * active
    linked = menchero_link(contributions, rp, rb)
    assert linked["x"] == pytest.approx((m + alpha[0]) * 0.03 + (m + alpha[1]) * 0.01, rel=1e-12)
    assert linked["y"] == pytest.approx((m + alpha[0]) * 0.02 + (m + alpha[1]) * 0.02, rel=1e-12)


def test_menchero_limit_when_the_totals_are_equal():
    """R_P = R_B but the periods differ: M is (1 + R)^((T-1)/T) and the correction closes the gap."""
    periods = ["t1", "t2"]
    rb = pd.Series([0.10, 0.0], index=periods)
    rp = pd.Series([0.0, 0.10], index=periods)
    contributions = pd.DataFrame({"x": [-0.10, 0.10]}, index=periods)
    m = np.sqrt(1.1)
    active = np.array([-0.1, 0.1])
    alpha = (0.0 - m * 0.0) / (active @ active) * active
    expected = (m + alpha[0]) * -0.10 + (m + alpha[1]) * 0.10
    assert menchero_link(contributions, rp, rb)["x"] == pytest.approx(expected, abs=1e-15)


def test_factor_attribution_keeps_the_exposures_order_and_names_the_result():
    split = factor_attribution(
        pd.Series({"VAL": 0.5, "MKT": 1.0}), pd.Series({"MKT": 0.02, "VAL": -0.01}), 0.003
    )
    pd.testing.assert_series_equal(
        split,
        pd.Series([0.5 * -0.01, 1.0 * 0.02, 0.003], index=["VAL", "MKT", "Specific"], name="contribution"),
    )


@pytest.mark.parametrize(
    ("exposures", "factor_returns", "specific", "message"),
    [
        ({"MKT": np.nan, "VAL": 0.5}, {"MKT": 0.02, "VAL": -0.01}, 0.0, r"^exposures contains 1 NaN"),
        ({"MKT": 1.0, "VAL": 0.5}, {"MKT": np.inf, "VAL": -0.01}, 0.0, r"^factor returns contains 1 NaN"),
        (
            {"MKT": 1.0, "VAL": 0.5},
            {"MKT": 0.02, "MOM": -0.01},
            0.0,
            r"^factor returns does not match the model's factors: missing factors \['VAL'\]; unknown factors \['MOM'\]$",
        ),
        ({"MKT": 1.0, "VAL": 0.5}, {"MKT": 0.02, "VAL": -0.01}, np.nan, r"^specific return contains 1 NaN"),
        (
            {"MKT": 1.0, "VAL": 0.5},
            {"MKT": 0.02, "VAL": -0.01},
            [0.0, 0.0],
            r"^specific return must be 0-dimensional, got shape \(2,\)$",
        ),
    ],
)
def test_factor_attribution_names_the_bad_input(exposures, factor_returns, specific, message):
    with pytest.raises(ValueError, match=message):
        factor_attribution(pd.Series(exposures), pd.Series(factor_returns), specific)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: annualised_return(np.array([0.1]), 0),
            r"^periods_per_year must be a whole number of at least 1, got 0$",
        ),
        (lambda: annualised_return(np.array([0.1, np.nan]), 12), r"^returns contains 1 NaN"),
        (lambda: years_for_significance(0.0), r"^information ratio must be positive, got 0$"),
        (lambda: years_for_significance(0.5, t=0.0), r"^t-statistic must be positive, got 0$"),
    ],
)
def test_track_record_inputs_are_named_in_the_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def _linking_case(change):
    contributions, rp, rb = _two_periods()
    return change(contributions, rp, rb)


@pytest.mark.parametrize("link", LINKS)
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c, rp, rb: (c.replace(0.03, np.nan), rp, rb), r"^contributions contains 1 NaN"),
        (lambda c, rp, rb: (c, rp.replace(0.05, np.nan), rb), r"^portfolio returns contains 1 NaN"),
        (lambda c, rp, rb: (c, rp, rb.replace(0.02, np.nan)), r"^benchmark returns contains 1 NaN"),
        (
            lambda c, rp, rb: (c, rp.rename({"t2": "t3"}), rb),
            r"^portfolio returns does not match the model's periods: missing periods \['t2'\]; unknown periods \['t3'\]$",
        ),
        (
            lambda c, rp, rb: (c, rp, rb.rename({"t2": "t3"})),
            r"^benchmark returns does not match the model's periods: missing periods \['t2'\]; unknown periods \['t3'\]$",
        ),
        (
            lambda c, rp, rb: (c, rp + pd.Series({"t1": 0.0, "t2": 1e-9}), rb),
            r"^contributions in period 't2' do not add up to its active return$",
        ),
    ],
)
def test_linking_names_the_bad_input(link, change, message):
    contributions, rp, rb = _linking_case(change)
    with pytest.raises(ValueError, match=message):
        link(contributions, rp, rb)


@pytest.mark.parametrize("link", LINKS)
def test_linking_accepts_rounding_within_the_tolerance(link):
    contributions, rp, rb = _two_periods()
    nudged = link(contributions, rp + pd.Series({"t1": 0.0, "t2": 5e-11}), rb)
    assert nudged.name == "linked contribution"
    assert nudged.to_numpy() == pytest.approx(link(contributions, rp, rb).to_numpy(), rel=1e-8)


def test_grap_needs_the_periods_oldest_first():
    contributions, rp, rb = (frame.set_axis([2, 1]) for frame in _two_periods())
    with pytest.raises(ValueError, match=r"^contributions must run oldest first, but 1 comes after 2$"):
        grap_link(contributions, rp, rb)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: compound(np.array([0.1, np.nan])), r"^returns contains 1 NaN"),
        (lambda: compound(np.array([[0.1, 0.2]])), r"^returns must be 1-dimensional, got shape \(1, 2\)$"),
        (
            lambda: compound(np.array([0.1, -1.0])),
            r"^a period return of -100% or worse cannot be compounded$",
        ),
        (lambda: information_ratio(np.array([0.01, np.nan])), r"^active returns contains 1 NaN"),
        (lambda: information_ratio(np.array([[0.01, 0.02]])), r"^active returns must be 1-dimensional"),
        (
            lambda: information_ratio(np.array([0.01])),
            r"^an information ratio needs at least two periods, got 1$",
        ),
        (lambda: information_ratio(np.array([0.01, 0.02]), 0), r"^periods per year must be positive, got 0$"),
        (
            lambda: information_ratio(np.array([0.01, 0.01])),
            r"^active returns do not vary, so the information ratio is undefined$",
        ),
        (lambda: t_statistic(np.array([0.01, np.nan])), r"^active returns contains 1 NaN"),
    ],
)
def test_return_statistics_name_the_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


BF_STOCKS = ["a", "b", "c"]
BF_WP = pd.Series([0.5, 0.2, 0.3], index=BF_STOCKS)
BF_WB = pd.Series([0.2, 0.3, 0.5], index=BF_STOCKS)
BF_R = pd.Series([0.04, 0.01, -0.02], index=BF_STOCKS)
BF_SECTORS = pd.Series(["X", "X", "Y"], index=BF_STOCKS)


def test_brinson_fachler_table_layout():
    table = brinson_fachler(BF_WP, BF_WB, BF_R, BF_SECTORS)
    assert table.index.name == "sector" and list(table.index) == ["X", "Y"]
    assert list(table.columns) == ["allocation", "selection", "interaction", "total"]


@pytest.mark.parametrize(
    ("wp", "wb", "r", "sectors", "message"),
    [
        (BF_WP.replace(0.2, np.nan), BF_WB, BF_R, BF_SECTORS, r"^portfolio weights contains 1 NaN"),
        (BF_WP, BF_WB.replace(0.2, np.nan), BF_R, BF_SECTORS, r"^benchmark weights contains 1 NaN"),
        (BF_WP, BF_WB, BF_R.replace(0.01, np.nan), BF_SECTORS, r"^returns contains 1 NaN"),
        (BF_WP, BF_WB, BF_R, ["X", "X", "Y"], r"^sectors must be a pandas Series, got list$"),
        (
            BF_WP,
            BF_WB,
            BF_R,
            BF_SECTORS.replace("Y", None),
            r"^sectors must be a pandas Series naming a sector for every stock$",
        ),
        (
            BF_WP,
            BF_WB.rename({"c": "d"}),
            BF_R,
            BF_SECTORS,
            r"^benchmark weights does not match the model's stocks: missing stocks \['c'\]; unknown stocks \['d'\]$",
        ),
        (
            BF_WP,
            BF_WB,
            BF_R.rename({"c": "d"}),
            BF_SECTORS,
            r"^returns does not match the model's stocks: missing stocks",
        ),
        (
            BF_WP,
            BF_WB,
            BF_R,
            BF_SECTORS.rename({"c": "d"}),
            r"^sectors does not match the model's stocks: missing stocks",
        ),
        (BF_WP * 2, BF_WB, BF_R, BF_SECTORS, r"^portfolio weights must sum to 1, but they sum to 2$"),
        (BF_WP, BF_WB * 2, BF_R, BF_SECTORS, r"^benchmark weights must sum to 1, but they sum to 2$"),
    ],
)
def test_brinson_fachler_names_the_bad_input(wp, wb, r, sectors, message):
    with pytest.raises(ValueError, match=message):
        brinson_fachler(wp, wb, r, sectors)


def test_brinson_fachler_lists_sectors_in_the_portfolio_order_whatever_the_order_of_the_other_inputs():
    """Benchmark weights, returns and sectors are matched to the portfolio's stocks by label, so
    the table's sectors come in order of first appearance among the portfolio's stocks."""
    order = ["c", "a", "b"]  # c is in sector Y, so Y comes first
    wp = BF_WP[order]
    table = brinson_fachler(wp, BF_WB, BF_R, BF_SECTORS)
    assert list(table.index) == ["Y", "X"]
    aligned = brinson_fachler(wp, BF_WB[order], BF_R[order], BF_SECTORS[order])
    pd.testing.assert_frame_equal(table, aligned)
    pd.testing.assert_frame_equal(table.loc[["X", "Y"]], brinson_fachler(BF_WP, BF_WB, BF_R, BF_SECTORS))


@pytest.mark.filterwarnings("error")
def test_carino_coefficient_at_equal_returns_takes_its_limit_without_dividing_by_zero():
    """Where r_P = r_B the coefficient is its limit 1/(1 + r), reached with no 0/0 on the way."""
    coefficient = _log_ratio(np.array([0.05, 0.10]), np.array([0.05, 0.02]))
    assert coefficient[0] == pytest.approx(1 / 1.05, rel=1e-15)
    assert coefficient[1] == pytest.approx((np.log(1.10) - np.log(1.02)) / 0.08, rel=1e-12)
