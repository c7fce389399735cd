"""Linking schemes, track-record statistics and Brinson–Fachler attribution."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import SETTINGS, seeds

from mini.attribution import (
    brinson_fachler,
    carino_link,
    compound,
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
