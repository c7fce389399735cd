"""The stored panel of mini.streaming: its checks, its defaults and what it holds.

(The streamed estimation is compared with the readable functions in test_engine.py.)
"""

from __future__ import annotations

import filecmp

import numpy as np
import pandas as pd
import pytest

from mini.covariance import eigenvalue_floor, ewma_variance_forecasts, newey_west_covariance
from mini.evaluation import bias_statistic
from mini.streaming import PanelShape, panel_shape, read_block, stream_estimation, write_simulated_panel

# the smallest panel the checks accept: one style, two industries of five stocks, two periods
SMALLEST = {"n_stocks": 10, "n_periods": 2, "n_industries": 2, "n_styles": 1}
FILES = ("returns.npy", "caps.npy", "industry.npy", "styles.npy", "meta.json")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"n_styles": 0}, r"^need at least one style and two industries$"),
        ({"n_industries": 1, "n_stocks": 50}, r"^need at least one style and two industries$"),
        ({"n_stocks": 9}, r"^need at least five stocks per industry: 9 for 2 industries$"),
        ({"n_periods": 1}, r"^need at least two periods and a positive block size$"),
        ({"block_periods": 0}, r"^need at least two periods and a positive block size$"),
    ],
)
def test_write_simulated_panel_rejects_a_panel_below_its_limits(tmp_path, change, message):
    with pytest.raises(ValueError, match=message):
        write_simulated_panel(tmp_path, **{**SMALLEST, **change})


@pytest.mark.parametrize("n_styles", [1, 2])
def test_the_smallest_panel_is_accepted_and_described(tmp_path, n_styles):
    folder = tmp_path / "new" / "panel"  # missing parents are created
    shape = write_simulated_panel(folder, **{**SMALLEST, "n_styles": n_styles}, block_periods=1)
    styles = ["SIZE", "STYLE01"][:n_styles]
    assert shape == PanelShape(2, 10, ["IND00", "IND01"], styles, 252)
    assert panel_shape(folder) == shape


def test_the_defaults_are_seed_0_daily_periods_and_blocks_of_64(tmp_path):
    sizes = {**SMALLEST, "n_periods": 65}  # two blocks of the default size: the draws depend on it
    write_simulated_panel(tmp_path / "default", **sizes)
    write_simulated_panel(tmp_path / "explicit", **sizes, seed=0, periods_per_year=252, block_periods=64)
    _, mismatch, errors = filecmp.cmpfiles(tmp_path / "default", tmp_path / "explicit", FILES, shallow=False)
    assert mismatch == errors == []


@pytest.fixture(scope="module")
def daily_panel(tmp_path_factory):
    """A stored panel of 150 stocks over 60 days, its blocks and its streamed estimates."""
    folder = tmp_path_factory.mktemp("daily")
    write_simulated_panel(folder, n_stocks=150, n_periods=60, n_industries=3, n_styles=3, seed=0)
    estimate = stream_estimation(folder, half_life=20, vol_half_life=10, warmup=5, keep_residuals=True)
    return read_block(folder, 0, 60), estimate


def test_the_stored_panel_has_the_volatilities_its_description_gives(daily_panel):
    whole, estimate = daily_panel
    annual = np.sqrt(252)
    vols = estimate.factor_returns.std() * annual  # true: market 16%, industries 5-10%, styles 2-6%
    assert 0.09 < vols["MKT"] < 0.25
    assert (vols[["IND00", "IND01", "IND02"]] < 0.2).all()
    assert (vols[["SIZE", "STYLE01", "STYLE02"]] < 0.12).all()
    specific = estimate.residuals.std() * annual  # true: about 28% at the median cap
    assert 0.22 < specific.median() < 0.31
    log_cap = np.log(whole.caps[0])
    slope = np.polyfit(log_cap, np.log(specific), 1)[0]  # true: -0.12, small stocks more volatile
    assert -0.22 < slope < -0.06
    assert 1.0 < log_cap.std() < 1.6  # log-normal caps


def test_the_stored_characteristics_drift_slowly_and_independently(daily_panel):
    styles = daily_panel[0].styles  # (T, S, N): SIZE, then two AR(1) characteristics
    for s in (1, 2):
        day_to_day = [np.corrcoef(styles[t, s], styles[t + 1, s])[0, 1] for t in range(len(styles) - 1)]
        assert min(day_to_day) > 0.99  # monthly persistence 0.995
    assert abs(np.corrcoef(styles[0, 1], styles[0, 2])[0, 1]) < 0.4


def test_the_streamed_estimates_are_labelled_by_period_factor_and_stock(daily_panel):
    # index names as well as labels: Index.equals alone ignores the names
    estimate = daily_panel[1]
    periods = pd.RangeIndex(60, name="period")
    factors = pd.Index(["MKT", "IND00", "IND01", "IND02", "SIZE", "STYLE01", "STYLE02"], name="factor")
    stocks = pd.Index([f"S{i:05d}" for i in range(150)], name="stock")
    for frame in (estimate.factor_returns, estimate.t_stats):
        pd.testing.assert_index_equal(frame.index, periods)
        pd.testing.assert_index_equal(frame.columns, factors)
    pd.testing.assert_index_equal(estimate.residuals.index, periods)
    pd.testing.assert_index_equal(estimate.residuals.columns, stocks)
    pd.testing.assert_index_equal(estimate.r2_centred.index, periods)
    for series in (estimate.specific_var, estimate.specific_bias):
        pd.testing.assert_index_equal(series.index, stocks)
    assert estimate.specific_bias.name == "bias statistic"
    assert estimate.r2_centred.name == "R² (centred)" and estimate.specific_var.name == "specific variance"
    for matrix in (estimate.factor_cov, estimate.factor_cov_nw):
        pd.testing.assert_index_equal(matrix.index, factors)
    pd.testing.assert_index_equal(estimate.factor_bias.index, factors)


def test_the_streamed_factor_risk_is_the_readable_functions_on_the_factor_returns(daily_panel):
    # Newey-West F with 2 lags and the correlation half-life, floored at 1e-6 of its mean
    # eigenvalue; factor bias statistics of EWMA forecasts with the volatility half-life
    estimate = daily_panel[1]
    f = estimate.factor_returns
    nw = newey_west_covariance(f, lags=2, half_life=20)
    floored = eigenvalue_floor(nw, 1e-6 * np.trace(nw.to_numpy()) / 7)
    pd.testing.assert_frame_equal(estimate.factor_cov_nw, floored, rtol=1e-12)
    forecasts = ewma_variance_forecasts(f, half_life=10, warmup=5)
    pd.testing.assert_series_equal(
        estimate.factor_bias, bias_statistic(f.iloc[5:] / np.sqrt(forecasts)), rtol=1e-12
    )


@pytest.fixture(scope="module")
def short_panel(tmp_path_factory):
    """The smallest stored panel with room for a warm-up: 10 stocks, 4 periods."""
    folder = tmp_path_factory.mktemp("short")
    write_simulated_panel(folder, **{**SMALLEST, "n_periods": 4}, seed=3)
    return folder


def test_stream_estimation_defaults_are_blocks_of_64_two_lags_and_no_residuals(short_panel):
    default = stream_estimation(short_panel, half_life=3, vol_half_life=2, warmup=1)
    explicit = stream_estimation(
        short_panel, half_life=3, vol_half_life=2, warmup=1, block_periods=64, newey_west_lags=2
    )
    assert default.residuals is None and explicit.residuals is None
    pd.testing.assert_frame_equal(default.factor_cov_nw, explicit.factor_cov_nw)
    pd.testing.assert_series_equal(default.specific_bias, explicit.specific_bias)


@pytest.mark.parametrize("warmup", [1, 2])
def test_stream_estimation_accepts_warmups_from_one_to_two_short_of_the_panel(short_panel, warmup):
    # 4 periods: a warm-up of 1 or 2 leaves at least two forecasts for each bias statistic;
    # one period a block is enough
    one_by_one = stream_estimation(short_panel, half_life=3, vol_half_life=2, warmup=warmup, block_periods=1)
    whole = stream_estimation(short_panel, half_life=3, vol_half_life=2, warmup=warmup)
    assert np.isfinite(one_by_one.specific_bias).all()
    pd.testing.assert_series_equal(one_by_one.specific_bias, whole.specific_bias, rtol=1e-12)
    pd.testing.assert_frame_equal(one_by_one.factor_returns, whole.factor_returns, rtol=1e-12)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"warmup": 3}, r"^warm-up must be between 1 and 2 periods, got 3$"),
        ({"warmup": 0}, r"^warm-up must be between 1 and 2 periods, got 0$"),
        ({"warmup": 1, "block_periods": 0}, r"^block size must be a positive number of periods, got 0$"),
    ],
)
def test_stream_estimation_refuses_a_warmup_or_block_outside_its_limits(short_panel, settings, message):
    with pytest.raises(ValueError, match=message):
        stream_estimation(short_panel, half_life=3, vol_half_life=2, **settings)


@pytest.mark.parametrize(("start", "stop"), [(1, 1), (2, 5), (-1, 2)])
def test_read_block_refuses_an_empty_block_or_one_past_the_panel(short_panel, start, stop):
    # 4 periods of 10 stocks: the message counts periods, not stocks
    message = rf"^block \[{start}, {stop}\) is outside the panel's 4 periods$"
    with pytest.raises(ValueError, match=message):
        read_block(short_panel, start, stop)
    assert len(read_block(short_panel, 3, 4).returns) == 1  # the last period alone is a block


@pytest.fixture(scope="module")
def wide_panel(tmp_path_factory):
    """4000 stocks over 41 half-years: many draws to pin the simulator's constants."""
    folder = tmp_path_factory.mktemp("wide")
    write_simulated_panel(folder, n_stocks=4000, n_periods=41, n_industries=2, n_styles=3, periods_per_year=2)
    return folder


def test_the_stored_characteristics_have_monthly_persistence_0_995(wide_panel):
    # two periods a year: the AR(1) coefficient per period is 0.995 ** (12 / 2) = 0.97037;
    # 2 × 40 correlations of 4000 stocks pin it to about ±0.0004
    styles = read_block(wide_panel, 0, 41).styles
    day_to_day = [np.corrcoef(styles[t, s], styles[t + 1, s])[0, 1] for s in (1, 2) for t in range(40)]
    assert np.mean(day_to_day) == pytest.approx(0.995**6, abs=0.0012)


def test_the_stored_caps_start_log_normal_about_5_with_spread_1_3(wide_panel):
    log_cap = np.log(read_block(wide_panel, 0, 1).caps[0])
    assert np.median(log_cap) == pytest.approx(np.log(5.0), abs=0.07)  # standard error about 0.026
    assert log_cap.std() == pytest.approx(1.3, abs=0.05)  # standard error about 0.015


def test_the_stored_specific_returns_have_unit_variance_t_draws_times_the_vols(wide_panel):
    # specific vol 0.28 (cap / median)^-0.12 e^(0.2 z): log vol has variance 0.12² 1.3² + 0.2²,
    # so the root mean square annual vol is 0.28 exp(0.12² 1.3² + 0.2²) = 0.2986; the t(5)
    # draws are rescaled by √(3/5) to unit variance
    estimate = stream_estimation(wide_panel, half_life=10, vol_half_life=5, warmup=5, keep_residuals=True)
    pooled = np.sqrt(np.mean(estimate.residuals.to_numpy() ** 2) * 2)
    assert pooled == pytest.approx(0.28 * np.exp(0.12**2 * 1.3**2 + 0.2**2), rel=0.03)
