"""The fast engine (mini.engine) and the streaming pipeline (mini.streaming) give the same
numbers as the readable per-period functions; bad input raises."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os

import numpy as np
import pandas as pd
import pytest

from mini import engine
from mini.constraints import industry_constraint, industry_restrictions, restriction_matrix
from mini.covariance import ewma_covariance, ewma_variance_forecasts
from mini.engine import (
    fit_simulated_market,
    industry_cap_weights,
    industry_restriction_block,
    structured_regression,
)
from mini.evaluation import bias_statistic
from mini.regression import cross_sectional_regression, panel_regression, regression_weights
from mini.simulation import STYLES, fit_cross_sections, simulate_market
from mini.specific_risk import ewma_specific_variance
from mini.streaming import panel_shape, read_block, stream_estimation, write_simulated_panel


def dense_exposures(codes: np.ndarray, styles: np.ndarray, n_industries: int) -> np.ndarray:
    """(T, N, K) exposures: market, industry dummies, styles (given as (T, S, N))."""
    n_periods, _, n_stocks = styles.shape
    dummies = np.eye(n_industries)[codes]
    return np.concatenate([np.ones((n_periods, n_stocks, 1)), dummies, np.swapaxes(styles, 1, 2)], axis=2)


@pytest.fixture(scope="module")
def market():
    return simulate_market(n_stocks=150, n_periods=20, n_industries=5, seed=7)


@pytest.fixture(scope="module")
def structured(market):
    n_periods = len(market.periods)
    codes = np.tile(
        market.industry.map({k: j for j, k in enumerate(market.industries)}).to_numpy(), (n_periods, 1)
    )
    styles = np.swapaxes(market.exposures[:, :, 1 + len(market.industries) :], 1, 2)
    pi = industry_cap_weights(codes, market.caps.to_numpy(), len(market.industries))
    return codes, styles, pi


def test_industry_weights_and_restrictions_match_the_readable_ones(market, structured):
    codes, styles, pi = structured
    assert np.allclose(pi, market.industry_weights().to_numpy(), atol=1e-14)
    columns = [market.factors.get_loc(name) for name in market.industries]
    expected = industry_restrictions(pi, columns, len(market.factors))
    assert np.array_equal(industry_restriction_block(pi, styles.shape[1]), expected)
    readable = restriction_matrix(
        industry_constraint(market.industry_weights().iloc[3], list(market.factors)),
        eliminate=[market.industries[-1]],
    )
    assert np.allclose(industry_restriction_block(pi, styles.shape[1])[3], readable.to_numpy(), atol=1e-14)


def test_structured_regression_equals_the_readable_regression_period_by_period(market, structured):
    codes, styles, pi = structured
    fit = structured_regression(codes, styles, market.returns.to_numpy(), np.sqrt(market.caps.to_numpy()), pi)
    for t in (0, 9, 19):
        readable = cross_sectional_regression(
            market.exposures_at(t),
            market.returns.iloc[t],
            regression_weights(market.caps.iloc[t]),
            market.restriction_at(t),
        )
        assert np.allclose(fit.factor_returns[t], readable.factor_returns.to_numpy(), atol=1e-13)
        assert np.allclose(fit.residuals[t], readable.residuals.to_numpy(), atol=1e-13)
        assert fit.r2_centred[t] == pytest.approx(readable.r2_centred, abs=1e-12)
        assert fit.r2_uncentred[t] == pytest.approx(readable.r2_uncentred, abs=1e-12)
    batched = fit_cross_sections(market)
    assert np.allclose(fit.t_stats, batched.t_stats.to_numpy(), rtol=1e-9)


def test_structured_regression_with_changing_industries_equals_the_dense_batched_one():
    rng = np.random.default_rng(3)
    n_periods, n_stocks, n_industries, n_styles = 6, 80, 4, 2
    codes = np.tile(np.arange(n_stocks) % n_industries, (n_periods, 1))
    codes[3:, :5] = (codes[3:, :5] + 1) % n_industries  # five stocks reclassified in period 3
    styles = rng.standard_normal((n_periods, n_styles, n_stocks))
    returns = rng.standard_normal((n_periods, n_stocks)) * 0.02
    caps = rng.lognormal(0, 1, (n_periods, n_stocks))
    pi = industry_cap_weights(codes, caps, n_industries)
    fit = structured_regression(codes, styles, returns, np.sqrt(caps), pi)
    x = dense_exposures(codes, styles, n_industries)
    restrictions = industry_restrictions(pi, list(range(1, 1 + n_industries)), x.shape[2])
    dense = panel_regression(x, pd.DataFrame(returns), pd.DataFrame(np.sqrt(caps)), restrictions)
    assert np.allclose(fit.factor_returns, dense.factor_returns.to_numpy(), atol=1e-13)
    assert np.allclose(fit.residuals, dense.residuals.to_numpy(), atol=1e-13)
    assert np.allclose(fit.t_stats, dense.t_stats.to_numpy(), rtol=1e-9)


def test_structured_regression_rejects_bad_input(market, structured):
    codes, styles, pi = structured
    r = market.returns.to_numpy()
    w = np.sqrt(market.caps.to_numpy())
    with pytest.raises(ValueError, match="industry codes"):
        structured_regression(codes + 10, styles, r, w, pi)
    with pytest.raises(ValueError, match="positive"):
        structured_regression(codes, styles, r, -w, pi)
    with pytest.raises(ValueError, match="NaN"):
        structured_regression(codes, styles, np.where(r > 0.1, np.nan, r), w, pi)
    with pytest.raises(ValueError, match="periods, stocks"):
        structured_regression(codes[:, :10], styles, r, w, pi)
    emptied = codes.copy()
    emptied[emptied == 0] = 1  # industry 0 loses every member
    with pytest.raises(ValueError, match="no members"):
        structured_regression(emptied, styles, r, w, pi)


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    folder = tmp_path_factory.mktemp("panel")
    write_simulated_panel(
        folder, n_stocks=120, n_periods=50, n_industries=4, n_styles=3, seed=11, block_periods=8
    )
    return folder


def test_the_stored_panel_is_read_back_in_blocks_and_follows_its_description(stored):
    shape = panel_shape(stored)
    assert (shape.n_periods, shape.n_stocks, len(shape.industries), len(shape.styles)) == (50, 120, 4, 3)
    whole = read_block(stored, 0, 50)
    halves = [read_block(stored, 0, 23), read_block(stored, 23, 50)]
    assert np.array_equal(np.vstack([h.styles for h in halves]), whole.styles)
    weights = whole.caps / whole.caps.sum(axis=1, keepdims=True)
    assert np.allclose(
        np.sum(weights[:, None, :] * whole.styles, axis=2), 0.0, atol=1e-5
    )  # cap-weighted mean 0
    assert np.allclose(whole.styles.std(axis=2), 1.0, atol=1e-5)
    assert np.allclose(whole.caps[1:], whole.caps[:-1] * np.maximum(1 + whole.returns[:-1], 0.05), rtol=1e-5)
    with pytest.raises(ValueError, match="outside"):
        read_block(stored, 40, 60)


def test_streamed_pipeline_equals_the_readable_functions_on_the_whole_panel(stored):
    shape = panel_shape(stored)
    result = stream_estimation(
        stored, half_life=20, vol_half_life=10, warmup=6, block_periods=7, keep_residuals=True
    )
    whole = read_block(stored, 0, shape.n_periods)
    n_ind = len(shape.industries)
    x = dense_exposures(whole.codes, whole.styles, n_ind)
    for t in (0, 6, 7, 49):  # block edges included
        exposures = pd.DataFrame(x[t], columns=shape.factors)
        pi = pd.Series(industry_cap_weights(whole.codes[t : t + 1], whole.caps[t : t + 1], n_ind)[0])
        pi.index = shape.industries
        restriction = restriction_matrix(
            industry_constraint(pi, shape.factors), eliminate=[shape.industries[-1]]
        )
        readable = cross_sectional_regression(
            exposures, pd.Series(whole.returns[t]), regression_weights(pd.Series(whole.caps[t])), restriction
        )
        assert np.allclose(result.factor_returns.iloc[t], readable.factor_returns.to_numpy(), atol=1e-13)
        assert np.allclose(result.residuals.iloc[t], readable.residuals.to_numpy(), atol=1e-13)
        assert result.r2_centred.iloc[t] == pytest.approx(readable.r2_centred, abs=1e-12)
    residuals = result.residuals
    # every output is labelled: periods down, factors or stocks across
    periods = result.factor_returns.index
    assert result.r2_centred.name == "R² (centred)" and result.r2_centred.index.equals(periods)
    assert result.t_stats.index.equals(periods) and list(result.t_stats.columns) == list(shape.factors)
    assert np.isfinite(result.t_stats.to_numpy(dtype=float)).all()
    assert residuals.index.equals(periods) and residuals.columns.equals(result.specific_var.index)
    pd.testing.assert_series_equal(
        result.specific_var, ewma_specific_variance(residuals, half_life=20), rtol=1e-12
    )
    forecasts = ewma_variance_forecasts(residuals, half_life=20, warmup=6)
    expected_bias = bias_statistic(residuals.iloc[6:] / np.sqrt(forecasts))
    assert np.allclose(result.specific_bias, expected_bias, rtol=1e-10)
    f = result.factor_returns
    assert np.allclose(result.factor_cov, ewma_covariance(f, half_life=20, vol_half_life=10), rtol=1e-12)
    assert np.all(np.linalg.eigvalsh(result.factor_cov_nw.to_numpy()) > 0)


def test_streaming_does_not_depend_on_the_block_size(stored):
    one = stream_estimation(stored, half_life=20, vol_half_life=10, warmup=6, block_periods=50)
    many = stream_estimation(stored, half_life=20, vol_half_life=10, warmup=6, block_periods=3)
    assert np.allclose(one.factor_returns, many.factor_returns, atol=1e-14)
    assert np.allclose(one.specific_bias, many.specific_bias, rtol=1e-12)


def test_streaming_rejects_bad_input(stored, tmp_path):
    with pytest.raises(ValueError, match="warm-up"):
        stream_estimation(stored, half_life=20, vol_half_life=10, warmup=0)
    # the last warm-up allowed leaves two periods to forecast (50 periods stored)
    with pytest.raises(ValueError, match=r"^warm-up must be between 1 and 48 periods, got 49$"):
        stream_estimation(stored, half_life=20, vol_half_life=10, warmup=49)
    with pytest.raises(ValueError, match="block size"):
        stream_estimation(stored, half_life=20, vol_half_life=10, warmup=6, block_periods=0)
    with pytest.raises(ValueError, match="no stored panel"):
        panel_shape(tmp_path)
    with pytest.raises(ValueError, match="five stocks"):
        write_simulated_panel(tmp_path, n_stocks=10, n_periods=5, n_industries=4, n_styles=2)


def test_fit_simulated_market_equals_fit_cross_sections(market):
    fast = fit_simulated_market(market)
    slow = fit_cross_sections(market)
    pd.testing.assert_frame_equal(fast.factor_returns, slow.factor_returns, atol=1e-13, rtol=0)
    pd.testing.assert_frame_equal(fast.residuals, slow.residuals, atol=1e-13, rtol=0)
    pd.testing.assert_frame_equal(fast.t_stats, slow.t_stats, rtol=1e-9)
    pd.testing.assert_series_equal(fast.r2_centred, slow.r2_centred, atol=1e-12, rtol=0)
    pd.testing.assert_series_equal(fast.r2_uncentred, slow.r2_uncentred, atol=1e-12, rtol=0)
    without = fit_simulated_market(market, t_stats=False).t_stats
    pd.testing.assert_frame_equal(
        without, pd.DataFrame(np.nan, index=slow.t_stats.index, columns=slow.t_stats.columns)
    )


def test_fit_simulated_market_needs_the_engine_s_factor_order_and_known_industries(market):
    styles_first = [
        *market.factors[market.factors.isin(STYLES)],
        *market.factors[~market.factors.isin(STYLES)],
    ]
    reordered = dataclasses.replace(market, factor_returns=market.factor_returns[styles_first])
    with pytest.raises(
        ValueError, match=r"^the engine needs factors ordered market, industries, styles; got \['"
    ):
        fit_simulated_market(reordered)
    unknown = dataclasses.replace(
        market, industry=market.industry.where(market.industry != market.industries[0], "?")
    )
    with pytest.raises(ValueError, match=r"^some stocks belong to no known industry$"):
        fit_simulated_market(unknown)


def _use_pool_and_exit(parents_pool) -> None:
    """In a forked child: exit 0 if the engine's pool is a new one and runs work."""
    pool = engine._thread_pool()
    os._exit(0 if pool is not parents_pool and list(pool.map(abs, [-2, 3])) == [2, 3] else 1)


def test_the_engine_thread_pool_survives_a_fork():
    pool = engine._thread_pool()
    assert list(pool.map(abs, [-1])) == [1]  # the parent's pool has started its threads
    # a forked child inherits the cached pool but not its threads: it must start its own
    child = multiprocessing.get_context("fork").Process(target=_use_pool_and_exit, args=(pool,))
    child.start()
    child.join(timeout=60)
    hung = child.is_alive()
    if hung:
        child.kill()
    assert not hung and child.exitcode == 0


def _tiny_engine_inputs():
    """Two periods, six stocks, three industries (codes fixed), one style: small enough to
    read every message by hand."""
    codes = np.array([[0, 0, 1, 1, 2, 2]] * 2)
    styles = np.array([[[0.5, -1.0, 1.5, 0.2, -0.3, 0.9]], [[1.0, 0.4, -0.8, 0.1, 0.6, -1.2]]])
    returns = np.array([[0.01, -0.02, 0.03, 0.00, 0.02, -0.01], [0.02, 0.01, -0.01, 0.03, -0.02, 0.01]])
    weights = np.ones((2, 6))
    industry_weights = np.array([[0.3, 0.3, 0.4], [0.2, 0.5, 0.3]])
    return codes, styles, returns, weights, industry_weights


def test_structured_regression_messages_in_full_at_their_boundaries():
    """Each input check of the engine, its full message, at the edge it guards: the
    largest valid code plus one, a weight of exactly zero, an eliminated industry of exactly
    zero weight, as many stocks as free factors; each shape check on its own."""
    codes, styles, r, w, pi = _tiny_engine_inputs()
    with pytest.raises(ValueError, match=r"^styles must be \(periods, styles, stocks\), got shape \(2, 6\)$"):
        structured_regression(codes, styles[:, 0], r, w, pi)
    with pytest.raises(
        ValueError, match=r"^industry weights must be \(periods, industries\) with 2 periods$"
    ):
        structured_regression(codes, styles, r, w, np.vstack([pi, pi[:1]]))  # 2-d, but 3 periods
    shapes = (
        r"^codes \(2, 6\), returns \(2, 5\) and weights \(2, 6\) must all be "
        r"\(periods, stocks\) = \(2, 6\), like the styles \(2, 1, 6\)$"
    )
    with pytest.raises(ValueError, match=shapes):
        structured_regression(codes, styles, r[:, :5], w, pi)  # only the returns are off
    with pytest.raises(ValueError, match=r"^industry codes must be integers, got float64$"):
        structured_regression(codes.astype(float), styles, r, w, pi)
    with pytest.raises(ValueError, match=r"^industry codes must lie in \[0, 3\)$"):
        structured_regression(np.where(codes == 2, 3, codes), styles, r, w, pi)
    for name, bad in (
        ("styles", (np.nan * styles, r, w)),
        ("returns", (styles, np.full_like(r, np.inf), w)),
        ("weights", (styles, r, w * np.inf)),
    ):
        with pytest.raises(ValueError, match=rf"^{name} contain NaN or infinite values$"):
            structured_regression(codes, *bad, pi)
    zero_weight = w.copy()
    zero_weight[1, 3] = 0.0
    with pytest.raises(ValueError, match=r"^regression weights must be positive$"):
        structured_regression(codes, styles, r, zero_weight, pi)
    # the last industry's weight exactly zero in period 1 (the middle industry's is not)
    last_zero = np.array([[0.3, 0.3, 0.4], [0.5, 0.5, 0.0]])
    with pytest.raises(
        ValueError, match=r"^the eliminated \(last\) industry has zero weight in some period$"
    ):
        structured_regression(codes, styles, r, w, last_zero)
    # four stocks, four free factor returns (three industries less one constraint, one style, market)
    with pytest.raises(
        ValueError, match=r"^regression is singular: 4 stocks cannot identify 4 free factor returns$"
    ):
        structured_regression(codes[:, [0, 2, 4, 5]], styles[:, :, [0, 2, 4, 5]], r[:, :4], w[:, :4], pi)


def test_structured_regression_names_the_singular_period_and_collinear_styles():
    """An industry without members is reported in its own period (period 1, not 0), and
    collinear styles with the full message."""
    codes, styles, r, w, pi = _tiny_engine_inputs()
    emptied = codes.copy()
    emptied[1, 4:] = 1  # industry 2 loses its members in period 1 only
    with pytest.raises(ValueError, match=r"^regression is singular in period 1: industry 2 has no members$"):
        structured_regression(emptied, styles, r, w, pi)
    # a style of zeros: its row and column of the normal matrix vanish, exactly singular
    collinear = 0.0 * styles
    with pytest.raises(
        ValueError, match=r"^regression is singular in some period \(collinear style exposures\)$"
    ):
        structured_regression(codes, collinear, r, w, pi)


def test_structured_regression_in_one_period_blocks_equals_one_block(monkeypatch):
    """Split into sub-blocks of one period each (the block size read from _BLOCK_BYTES, here
    shrunk to 8 bytes x 6 stocks x (1 style + 2) = 144), every period is still computed:
    the numbers equal the one-block fit."""
    codes, styles, r, w, pi = _tiny_engine_inputs()
    whole = structured_regression(codes, styles, r, w, pi)
    monkeypatch.setattr(engine, "_BLOCK_BYTES", 8 * 6 * 3)
    split = structured_regression(codes, styles, r, w, pi)
    for field in ("factor_returns", "residuals", "r2_uncentred", "r2_centred", "t_stats"):
        np.testing.assert_allclose(getattr(split, field), getattr(whole, field), rtol=1e-12, atol=1e-15)


def test_industry_cap_weights_follow_stocks_that_change_industry():
    """Codes that change between periods: each period's own industries count (by hand:
    caps 1, 2, 3 with industries (0, 0, 1) then (0, 1, 1) give (3/6, 3/6) then (1/6, 5/6))."""
    codes = np.array([[0, 0, 1], [0, 1, 1]])
    caps = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    np.testing.assert_allclose(industry_cap_weights(codes, caps, 2), [[0.5, 0.5], [1 / 6, 5 / 6]], rtol=1e-15)


def test_the_engine_runs_blas_on_one_thread():
    """Inside _single_threaded_blas every BLAS library runs one thread, even when two were
    allowed outside (threadpoolctl reports the limit)."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        with engine._single_threaded_blas():
            inside = [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    assert inside and all(n == 1 for n in inside)
