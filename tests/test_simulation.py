"""The simulated market: reproducible, consistent with mini's conventions, recoverable."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mini.constraints import industry_constraint, industry_restrictions, restriction_matrix
from mini.exposures import standardise
from mini.regression import cross_sectional_regression, panel_regression, regression_weights
from mini.simulation import (
    _ar1_filter,
    _ar1_paths,
    _factor_correlation,
    _standardise_panel,
    fit_cross_sections,
    simulate_global_market,
    simulate_market,
)


@pytest.fixture(scope="module")
def market():
    return simulate_market(n_stocks=300, n_periods=48, seed=11)


@pytest.fixture(scope="module")
def fit(market):
    return fit_cross_sections(market)


def test_same_seed_same_market_and_different_seed_differs():
    a, b = simulate_market(100, 12, seed=3), simulate_market(100, 12, seed=3)
    pd.testing.assert_frame_equal(a.returns, b.returns)
    assert not simulate_market(100, 12, seed=4).returns.equals(a.returns)


def test_shapes_and_labels(market):
    t, n, k = market.exposures.shape
    assert (t, n) == market.returns.shape == market.caps.shape
    assert list(market.factors) == ["MKT", *market.industries, "VALUE", "MOM", "SIZE"]
    assert market.true_factor_cov.shape == (t, k, k)
    assert set(market.regime) <= {"calm", "crisis"}
    assert market.industry.value_counts().min() >= 5


def test_styles_standardised_like_mini(market):
    t = 17
    cap_weights = market.caps.iloc[t] / market.caps.iloc[t].sum()
    size = standardise(np.log(market.caps.iloc[t]).rename("SIZE"), cap_weights)
    assert np.allclose(market.exposures_at(t)["SIZE"], size, atol=1e-12)


def test_true_factor_returns_meet_the_industry_convention(market):
    weights = market.industry_weights().to_numpy()
    sums = np.sum(weights * market.factor_returns[market.industries].to_numpy(), axis=1)
    assert np.max(np.abs(sums)) < 1e-14


def test_returns_follow_the_factor_model(market):
    t = 5
    systematic = market.exposures_at(t) @ market.factor_returns.iloc[t]
    specific = market.returns.iloc[t] - systematic
    # specific returns are centred and their spread matches the stated vols
    ratio = specific.std() / (market.specific_vol / np.sqrt(12)).mean()
    assert 0.7 < ratio < 1.3


def test_panel_regression_matches_single_period(market, fit):
    for t in (0, 23, 47):
        one = cross_sectional_regression(
            market.exposures_at(t),
            market.returns.iloc[t],
            regression_weights(market.caps.iloc[t]),
            market.restriction_at(t),
        )
        assert np.allclose(one.factor_returns, fit.factor_returns.iloc[t], atol=1e-12)
        assert np.allclose(one.residuals, fit.residuals.iloc[t], atol=1e-12)
        assert np.isclose(one.r2_centred, fit.r2_centred.iloc[t])


def test_panel_regression_in_many_parallel_blocks_equals_one_block(market, fit, monkeypatch):
    import mini.regression

    n_stocks, n_factors = market.exposures.shape[1:]
    monkeypatch.setattr(mini.regression, "_BLOCK_BYTES", 5 * 8 * n_stocks * n_factors)  # 5 periods a block
    assert len(mini.regression._period_blocks(market.exposures.shape)) == 10
    blocked = fit_cross_sections(market)
    for name in ("factor_returns", "residuals", "t_stats"):
        pd.testing.assert_frame_equal(getattr(blocked, name), getattr(fit, name), rtol=1e-12)


def test_industry_weights_refuse_a_stock_in_an_unknown_industry(market):
    import dataclasses

    industry = market.industry.copy()
    industry.iloc[3] = "SHIPPING"
    with pytest.raises(ValueError, match="unknown industries: \\['SHIPPING'\\]"):
        dataclasses.replace(market, industry=industry).industry_weights()


def test_estimated_factor_returns_track_the_truth(market, fit):
    corr = {f: np.corrcoef(fit.factor_returns[f], market.factor_returns[f])[0, 1] for f in market.factors}
    # the volatile factors are pinned down tightly; thin industries and SIZE (3% a year) less so
    assert min(corr["MKT"], corr["VALUE"], corr["MOM"]) > 0.9, corr
    assert min(corr.values()) > 0.6, corr


def test_t_statistics_reject_zero_for_the_market(fit):
    assert (fit.t_stats["MKT"].abs() > 2).mean() > 0.7  # robust SEs, fat tails: still mostly significant


def test_industry_restrictions_match_restriction_matrix(market):
    columns = [market.factors.get_loc(name) for name in market.industries]
    batched = industry_restrictions(market.industry_weights().to_numpy(), columns, len(market.factors))
    t = 9
    constraint = industry_constraint(market.industry_weights().iloc[t], list(market.factors))
    single = restriction_matrix(constraint, eliminate=[market.industries[-1]])
    assert np.allclose(batched[t], single.to_numpy())


def test_daily_market_scales_volatility():
    daily = simulate_market(100, 300, frequency="daily", seed=5)
    assert daily.periods_per_year == 252
    annual_mkt = daily.factor_returns["MKT"].std() * np.sqrt(252)
    assert 0.08 < annual_mkt < 0.35


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"frequency": "weekly"}, "frequency must be"),
        ({"n_industries": 20}, "n_industries must be between"),
        ({"n_stocks": 20}, "at least five stocks per industry"),
        ({"crisis_multiplier": 0.5}, "crisis_multiplier"),
    ],
)
def test_bad_simulation_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        simulate_market(**{"n_stocks": 100, "n_periods": 12, **kwargs})


def test_panel_regression_bad_input(market):
    weights = np.sqrt(market.caps)
    with pytest.raises(ValueError, match="exposures are"):
        panel_regression(market.exposures[:, :10], market.returns, weights)
    broken = market.returns.copy()
    broken.iloc[3, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        panel_regression(market.exposures, broken, weights)
    with pytest.raises(ValueError, match="singular in period"):
        panel_regression(market.exposures, market.returns, weights)  # MKT = sum of industries


def test_true_risk_model_gives_the_stock_covariance_of_the_reported_convention(market):
    t = 30
    x = market.exposures_at(t).to_numpy()
    reported = x @ market.true_factor_cov[t] @ x.T
    model = market.true_risk_model(t)
    raw = x @ (model.factor_cov.to_numpy() / market.periods_per_year) @ x.T
    assert np.allclose(reported, raw, atol=1e-14)


# --- Optional features: each is off by default and does what it says when on ----------


def test_options_at_their_defaults_change_nothing():
    plain = simulate_market(120, 30, seed=9)
    explicit = simulate_market(
        120,
        30,
        seed=9,
        factor_tail_dof=None,
        factor_autocorrelation=0.0,
        specific_crisis_multiplier=1.0,
        specific_industry_spread=0.0,
        specific_vol_drift=0.0,
        beta_dispersion=0.0,
    )
    pd.testing.assert_frame_equal(plain.returns, explicit.returns)
    assert np.array_equal(plain.specific_vol_path, np.broadcast_to(plain.specific_vol, (30, 120)))
    assert plain.true_risk_model(7).specific_var.equals(plain.specific_vol**2)


def test_an_option_leaves_the_other_draws_alone():
    """Optional draws come from a second generator: the regimes and first factor returns do
    not move when only the specific side changes (later ones do, slightly, through the caps
    that weight the industries), and specific returns do not move when only the factor side does."""
    plain = simulate_market(100, 40, seed=2)
    drifting = simulate_market(100, 40, seed=2, specific_vol_drift=0.3)
    assert plain.regime.equals(drifting.regime)
    assert np.array_equal(plain.factor_returns.iloc[0], drifting.factor_returns.iloc[0])
    fat = simulate_market(100, 40, seed=2, factor_tail_dof=6.0)
    spec_plain = plain.returns.to_numpy() - np.einsum("tnk,tk->tn", plain.exposures, plain.factor_returns)
    spec_fat = fat.returns.to_numpy() - np.einsum("tnk,tk->tn", fat.exposures, fat.factor_returns)
    assert np.allclose(spec_plain, spec_fat, atol=1e-14)


def _kurtosis(x: np.ndarray) -> np.ndarray:
    centred = x - x.mean(axis=0)
    return np.mean(centred**4, axis=0) / np.mean(centred**2, axis=0) ** 2 - 3.0


def test_student_t_factor_shocks_have_fat_tails():
    calm = {"n_stocks": 40, "n_periods": 6000, "n_industries": 4, "frequency": "daily", "crisis_entry": 1e-9}
    normal = simulate_market(**calm, seed=1)
    fat = simulate_market(**calm, seed=1, factor_tail_dof=6.0)
    assert (fat.regime == "calm").all()
    # excess kurtosis 6 / (nu - 4) = 3 for each shock; mixing factors dilutes it somewhat
    assert np.mean(_kurtosis(fat.factor_returns.to_numpy())) > 1.0
    assert abs(np.mean(_kurtosis(normal.factor_returns.to_numpy()))) < 0.3
    # unit-variance scaling: the fat-tailed market has the same volatility
    ratio = fat.factor_returns.std() / normal.factor_returns.std()
    assert 0.9 < ratio.mean() < 1.1


def test_crisis_regime_scales_factor_and_specific_volatility():
    market = simulate_market(
        200, 3000, n_industries=4, frequency="daily", seed=4, crisis_entry=0.2, specific_crisis_multiplier=1.5
    )
    crisis = (market.regime == "crisis").to_numpy()
    assert 300 < crisis.sum() < 2700
    factor_ratio = market.factor_returns[crisis].std() / market.factor_returns[~crisis].std()
    assert 1.8 < factor_ratio.median() < 2.2  # crisis_multiplier = 2
    specific = market.returns.to_numpy() - np.einsum("tnk,tk->tn", market.exposures, market.factor_returns)
    standardised = specific / (market.specific_vol.to_numpy() / np.sqrt(252))
    ratio = standardised[crisis].std() / standardised[~crisis].std()
    assert 1.4 < ratio < 1.6
    assert np.allclose(market.specific_vol_path[crisis] / market.specific_vol_path[~crisis][0], 1.5)


def test_serially_correlated_factor_returns_and_their_horizon_variance():
    market = simulate_market(
        40, 8000, n_industries=4, frequency="daily", seed=6, crisis_entry=1e-9, factor_autocorrelation=0.2
    )
    f = market.factor_returns.to_numpy()
    lag1 = [np.corrcoef(f[1:, k], f[:-1, k])[0, 1] for k in range(f.shape[1])]
    assert 0.16 < np.mean(lag1) < 0.24
    horizon = 10
    sums = f[: len(f) // horizon * horizon].reshape(-1, horizon, f.shape[1]).sum(axis=1)
    # styles only: the industry convention (and so each industry's variance) moves with caps
    styles = slice(-3, None)
    sums = sums[:, styles]
    expected = np.diag(market.horizon_factor_cov(len(f) - 1, horizon))[styles]
    naive = horizon * np.diag(market.factor_cov_at(len(f) - 1))[styles]
    # (1 + phi) / (1 - phi) is 1.5 for long horizons: h times the daily variance falls short
    assert 1.3 < np.mean(expected / naive) < 1.5
    assert 0.85 < np.mean(sums.var(axis=0) / expected) < 1.15
    with pytest.raises(ValueError, match="horizon must be a positive integer"):
        market.horizon_factor_cov(0, 0)


def test_true_betas_spread_realistically_with_beta_dispersion():
    from mini.decomposition import betas_to_portfolio

    def beta_spread(market):
        t = 10
        weights = market.caps.iloc[t] / market.caps.iloc[t].sum()
        return betas_to_portfolio(market.true_risk_model(t), weights).std()

    tight = simulate_market(300, 20, seed=3, crisis_entry=1e-9)
    spread = simulate_market(300, 20, seed=3, crisis_entry=1e-9, beta_dispersion=0.25)
    assert beta_spread(tight) < 0.1
    assert 0.2 < beta_spread(spread) < 0.4


def test_specific_volatility_differs_by_industry_and_drifts():
    market = simulate_market(600, 120, seed=8, specific_industry_spread=0.3, specific_vol_drift=0.3)
    plain = simulate_market(600, 120, seed=8)
    by_industry = np.log(market.specific_vol).groupby(market.industry).mean()
    plain_by_industry = np.log(plain.specific_vol).groupby(plain.industry).mean()
    assert by_industry.std() > 2 * plain_by_industry.std()
    log_path = np.log(market.specific_vol_path)
    # drift: a stock's specific vol ten years on is only loosely tied to where it started
    assert np.corrcoef(log_path[0], log_path[-1])[0, 1] < 0.8
    assert np.all(plain.specific_vol_path == plain.specific_vol_path[0])
    # the returns follow the path
    specific = market.returns.to_numpy() - np.einsum("tnk,tk->tn", market.exposures, market.factor_returns)
    high = log_path > np.median(log_path)
    assert specific[high].std() > 1.3 * specific[~high].std()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"factor_tail_dof": 2.0}, "factor_tail_dof must exceed 2"),
        ({"factor_autocorrelation": 1.0}, "factor_autocorrelation must lie"),
        ({"specific_crisis_multiplier": 0.0}, "specific_crisis_multiplier must be positive"),
        ({"specific_vol_drift": -0.1}, "specific_vol_drift must be a non-negative"),
        ({"beta_dispersion": np.nan}, "beta_dispersion must be a non-negative"),
    ],
)
def test_bad_optional_features(kwargs, message):
    with pytest.raises(ValueError, match=message):
        simulate_market(**{"n_stocks": 100, "n_periods": 12, **kwargs})


def test_ar1_filter_by_hand_and_the_paths_it_makes():
    # u_0 = e_0, u_t = φ u_{t-1} + √(1 − φ²) e_t with φ = 0.6, √(1 − φ²) = 0.8
    shocks = np.array([[1.0, -1.0], [2.0, 0.0], [3.0, 0.5]])
    u = _ar1_filter(shocks, 0.6)
    assert np.allclose(u[:, 0], [1.0, 0.6 * 1.0 + 0.8 * 2.0, 0.6 * 2.2 + 0.8 * 3.0], rtol=1e-14)
    assert np.allclose(u[:, 1], [-1.0, -0.6, -0.36 + 0.4], rtol=1e-14)
    # the characteristics' paths are that filter applied to standard normal draws
    draws = np.random.default_rng(5).standard_normal((4, 3))
    assert np.array_equal(_ar1_paths(np.random.default_rng(5), 4, 3, 0.9), _ar1_filter(draws, 0.9))


def test_standardise_panel_is_standardise_period_by_period():
    descriptors = np.array([[1.0, 2.0, 3.0, 6.0], [0.5, -1.0, 4.0, 2.0]])
    caps = np.array([[0.5, 0.5, 0.0, 0.0], [0.1, 0.2, 0.3, 0.4]])
    panel = _standardise_panel(descriptors, caps)
    # first row by hand: cap-weighted centre 1.5, population std √3.5 around the plain mean 3
    assert np.allclose(panel[0], (descriptors[0] - 1.5) / np.sqrt(3.5), rtol=1e-14)
    stocks = list("abcd")
    for t in range(2):
        one = standardise(pd.Series(descriptors[t], index=stocks), pd.Series(caps[t], index=stocks))
        assert np.allclose(panel[t], one.to_numpy(), rtol=1e-14)


@pytest.mark.parametrize(
    "probabilities", [{"crisis_entry": 1.0}, {"crisis_exit": 1.0}, {"crisis_entry": 0.0}]
)
def test_transition_probabilities_must_lie_strictly_inside_zero_and_one(probabilities):
    with pytest.raises(
        ValueError, match=r"^crisis_multiplier must be >= 1, transition probabilities in \(0, 1\)"
    ):
        simulate_market(40, 12, seed=1, **probabilities)


def test_factor_correlation_is_a_modest_correlation_matrix():
    corr = _factor_correlation(np.random.default_rng(8), 5)
    # unit diagonal, symmetric, positive definite, and no entry near ±1
    assert np.allclose(np.diag(corr), 1.0, rtol=1e-15) and np.allclose(corr, corr.T)
    assert np.linalg.eigvalsh(corr).min() > 0 and np.abs(corr - np.eye(5)).max() < 0.9


def test_the_simulators_defaults_are_the_documented_ones():
    # each default written out: a changed default changes the market every chapter draws
    market = simulate_market()
    explicit = simulate_market(
        500, 120, 8, "monthly", 0, 2.0, 0.03, 0.2, 0.06, 5.0,
        factor_tail_dof=None, factor_autocorrelation=0.0, specific_crisis_multiplier=1.0,
        specific_industry_spread=0.0, specific_vol_drift=0.0, beta_dispersion=0.0,
    )  # fmt: skip
    assert market.returns.shape == (120, 500) and len(market.industries) == 8
    pd.testing.assert_frame_equal(market.returns, explicit.returns)
    pd.testing.assert_series_equal(market.regime, explicit.regime)
    world = simulate_global_market()
    pd.testing.assert_frame_equal(world.returns, simulate_global_market(600, 60, 4, 6, 0).returns)
    assert world.returns.shape == (60, 600)


@pytest.mark.parametrize(
    "sizes",
    [
        {"n_countries": 1},
        {"n_countries": 7},
        {"n_industries": 1},
        {"n_industries": 13},
    ],
)
def test_simulate_global_market_needs_two_to_six_countries_and_two_to_twelve_industries(sizes):
    # the pools hold six countries and twelve industries; one less or one more is refused
    with pytest.raises(ValueError, match=r"^need 2\.\.6 countries and 2\.\.12 industries$"):
        simulate_global_market(
            **{"n_stocks": 1000, "n_periods": 2, "n_countries": 2, "n_industries": 2, **sizes}
        )


@pytest.mark.parametrize(
    "sizes",
    [
        {"n_stocks": 29, "n_periods": 2},  # 5 × 2 countries × 3 industries = 30 stocks needed
        {"n_stocks": 30, "n_periods": 1},
    ],
)
def test_simulate_global_market_needs_five_stocks_per_cell_and_two_periods(sizes):
    message = r"^need at least 5 × countries × industries stocks and two periods$"
    with pytest.raises(ValueError, match=message):
        simulate_global_market(**sizes, n_countries=2, n_industries=3)


@pytest.mark.parametrize(("n_stocks", "n_countries", "n_industries"), [(30, 2, 3), (60, 6, 2), (120, 2, 12)])
def test_simulate_global_market_accepts_its_limits(n_stocks, n_countries, n_industries):
    # the smallest market each limit allows: 5 stocks per country-industry cell, two periods
    world = simulate_global_market(n_stocks, 2, n_countries, n_industries, seed=1)
    assert world.returns.shape == (2, n_stocks)
    assert len(world.countries) == n_countries and len(world.industries) == n_industries


def test_simulate_global_market_labels_every_output():
    world = simulate_global_market(n_stocks=30, n_periods=3, n_countries=2, n_industries=3, seed=4)
    periods = pd.date_range("2015-01-01", periods=3, freq="MS", name="period")  # monthly, month starts
    stocks = pd.Index([f"G{i:04d}" for i in range(30)], name="stock")
    pd.testing.assert_index_equal(world.returns.index, periods)
    pd.testing.assert_index_equal(world.returns.columns, stocks)
    pd.testing.assert_index_equal(world.factor_returns.index, periods)
    factors = pd.Index(["WORLD", "US", "JP", "ENERGY", "MATERIALS", "INDUSTRIALS"], name="factor")
    pd.testing.assert_index_equal(world.factor_returns.columns, factors)
    pd.testing.assert_index_equal(world.currency_returns.index, periods)
    pd.testing.assert_index_equal(world.currency_returns.columns, pd.Index(["USD", "JPY"], name="currency"))
    for series, name in ((world.caps, "cap"), (world.country, "country"), (world.industry, "industry")):
        assert series.name == name
        pd.testing.assert_index_equal(series.index, stocks)
    assert set(world.country) == {"US", "JP"} and world.base_currency == "USD"
    assert set(world.industry) == {"ENERGY", "MATERIALS", "INDUSTRIALS"}


@pytest.fixture(scope="module")
def long_world():
    """A global market long enough (2000 months) to pin its volatilities to a few percent."""
    return simulate_global_market(n_stocks=120, n_periods=2000, n_countries=4, n_industries=6, seed=3)


def _cap_weights_by(world, labels):
    return (world.caps / world.caps.sum()).groupby(labels).sum()


def test_global_factor_returns_meet_both_sum_to_zero_conventions(long_world):
    # cap-weighted country returns and cap-weighted industry returns each sum to zero
    f = long_world.factor_returns
    for group in (long_world.country, long_world.industry):
        weights = _cap_weights_by(long_world, group)
        sums = f[weights.index].to_numpy() @ weights.to_numpy()
        assert np.max(np.abs(sums)) < 1e-15


def test_global_returns_are_the_factor_model_with_8pct_specific_risk(long_world):
    # r = f_W + f_c(i) + f_j(i) + e_i with e_i ~ N(0, 8%²): 240,000 draws pin the 8% to 1%
    f = long_world.factor_returns
    model = (
        f["WORLD"].to_numpy()[:, None] + f[long_world.country].to_numpy() + f[long_world.industry].to_numpy()
    )
    specific = long_world.returns.to_numpy() - model
    assert specific.std() == pytest.approx(0.08, rel=0.01)
    assert abs(specific.mean()) < 0.001


def test_global_factor_volatilities_follow_the_description(long_world):
    """World 4.5% with a 0.6% monthly mean, countries 3%, industries 2.5%, each re-centred."""
    f = long_world.factor_returns
    cw = _cap_weights_by(long_world, long_world.country)
    iw = _cap_weights_by(long_world, long_world.industry)
    # a re-centred return x_c - Σ_k w_k x_k of independent x_k with vol σ has variance σ²(1 - 2w_c + Σw²)
    for weights, vol in ((cw, 0.03), (iw, 0.025)):
        expected = vol * np.sqrt(1 - 2 * weights + (weights**2).sum())
        assert np.allclose(f[weights.index].std(), expected, rtol=0.08)
    world_vol = np.sqrt(0.045**2 + 0.03**2 * (cw**2).sum() + 0.025**2 * (iw**2).sum())
    assert f["WORLD"].std() == pytest.approx(world_vol, rel=0.08)
    assert f["WORLD"].mean() == pytest.approx(0.006, abs=0.004)  # standard error about 0.0011


def test_global_currencies_move_2_5pct_a_month_against_the_dollar(long_world):
    fx = long_world.currency_returns
    assert (fx["USD"] == 0.0).all()  # the base currency does not move against itself
    assert np.allclose(fx[["JPY", "GBP", "EUR"]].std(), 0.025, rtol=0.08)
    assert np.abs(fx[["JPY", "GBP", "EUR"]].mean()).max() < 0.003


def test_global_caps_are_log_normal_and_the_first_country_the_largest():
    # caps: log-normal about log 5 with σ 1.2; countries drawn with shares ∝ linspace(2, 1)
    # after five stocks each; industries uniformly after five stocks each
    world = simulate_global_market(n_stocks=20000, n_periods=2, n_countries=4, n_industries=6, seed=5)
    log_caps = np.log(world.caps)
    assert np.median(log_caps) == pytest.approx(np.log(5.0), abs=0.05)
    assert log_caps.std() == pytest.approx(1.2, rel=0.03)
    share = np.array([2.0, 5 / 3, 4 / 3, 1.0]) / 6.0
    expected = (5 + (20000 - 20) * share) / 20000
    observed = world.country.value_counts(normalize=True)[["US", "JP", "UK", "EU"]]
    assert np.allclose(observed, expected, atol=0.015)
    industries = world.industry.value_counts(normalize=True)
    assert np.allclose(industries, 1 / 6, atol=0.015)


def test_simulated_market_labels_its_weights_vols_stocks_and_regimes():
    market = simulate_market(40, 3, n_industries=2, seed=2, specific_vol_drift=0.1)
    stocks = pd.Index([f"S{i:04d}" for i in range(40)], name="stock")
    pd.testing.assert_index_equal(market.returns.columns, stocks)
    weights = market.industry_weights()
    pd.testing.assert_index_equal(weights.columns, pd.Index(["ENERGY", "MATERIALS"], name="industry"))
    vol = market.specific_vol_at(1)  # from the drifting path
    assert vol.name == "specific vol" and vol.index.equals(stocks)
    assert market.regime.name == "regime"


def test_restriction_at_eliminates_the_last_industry():
    # R maps the free factors (all but the last industry) to all factors
    market = simulate_market(40, 2, n_industries=3, seed=2)
    r = market.restriction_at(1)
    free = ["MKT", "ENERGY", "MATERIALS", "VALUE", "MOM", "SIZE"]
    assert list(r.columns) == free and list(r.index) == list(market.factors)
    w = market.industry_weights().iloc[1]
    # the eliminated industry's row: f_IND = -(w_E f_E + w_M f_M) / w_I
    expected = [0.0, -w["ENERGY"] / w["INDUSTRIALS"], -w["MATERIALS"] / w["INDUSTRIALS"], 0.0, 0.0, 0.0]
    assert np.allclose(r.loc["INDUSTRIALS"], expected, rtol=1e-12)


def test_the_crisis_settings_accept_their_limits():
    # a crisis multiplier of exactly 1 is allowed (no crisis effect); an exit probability of 0 is not
    calm = simulate_market(40, 12, seed=1, crisis_multiplier=1.0)
    assert np.allclose(calm.regime_factor_cov[1], calm.regime_factor_cov[0], rtol=1e-15)
    with pytest.raises(
        ValueError,
        match=r"^crisis_multiplier must be >= 1, transition probabilities in \(0, 1\), tail_dof > 2$",
    ):
        simulate_market(40, 12, seed=1, crisis_exit=0.0)


def test_the_optional_features_are_reproducible_from_the_seed():
    # their draws come from a second generator seeded from ``seed``, so the same seed repeats them
    a = simulate_market(40, 6, seed=3, beta_dispersion=0.3, specific_vol_drift=0.2)
    b = simulate_market(40, 6, seed=3, beta_dispersion=0.3, specific_vol_drift=0.2)
    pd.testing.assert_frame_equal(a.returns, b.returns)


def test_simulated_start_caps_are_log_normal_about_5():
    log_caps = np.log(simulate_market(5000, 2, seed=4).caps.iloc[0])
    assert np.median(log_caps) == pytest.approx(np.log(5.0), abs=0.06)  # standard error about 0.023
    assert log_caps.std() == pytest.approx(1.3, abs=0.05)


def test_industry_specific_vols_are_clipped_to_5_and_120_pct():
    # a huge industry spread pushes whole industries past both bounds of the clip
    market = simulate_market(120, 2, n_industries=12, seed=6, specific_industry_spread=4.0)
    assert market.specific_vol.min() == 0.05 and market.specific_vol.max() == 1.2


def test_specific_vol_drift_has_monthly_persistence_0_97():
    # log(path / base) = d × a unit AR(1) with coefficient 0.97 a month
    market = simulate_market(400, 60, seed=9, specific_vol_drift=0.2)
    drift = np.log(market.specific_vol_path / market.specific_vol.to_numpy()) / 0.2
    lag_one = np.mean([np.corrcoef(drift[t], drift[t + 1])[0, 1] for t in range(59)])
    assert lag_one == pytest.approx(0.97, abs=0.01)


def test_industry_weights_are_indexed_by_period():
    market = simulate_market(40, 3, n_industries=2, seed=2)
    pd.testing.assert_index_equal(market.industry_weights().index, market.periods)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (np.ones(40), r"^exposures of 'NEW' must be 2-dimensional, got shape \(40,\)$"),
        (np.full((3, 40), np.nan), r"^exposures of 'NEW' contains 120 NaN or infinite value\(s\)$"),
    ],
)
def test_fit_cross_sections_names_a_bad_extra_factor(values, message):
    market = simulate_market(40, 3, n_industries=2, seed=2)
    with pytest.raises(ValueError, match=message):
        fit_cross_sections(market, extra={"NEW": values})


def test_global_common_return_of_every_country_industry_cell_has_the_raw_volatility():
    # re-centring moves risk between WORLD, countries and industries but leaves each stock's
    # common return f_W + f_c + f_j at the raw model's independent draws: variance
    # 4.5%² + 3%² + 2.5%² in every cell; 10,000 months pin each volatility to about 0.7%
    world = simulate_global_market(n_stocks=20, n_periods=10000, n_countries=2, n_industries=2, seed=7)
    f = world.factor_returns
    expected = np.sqrt(0.045**2 + 0.03**2 + 0.025**2)
    for country in world.countries:
        for industry in world.industries:
            common = f["WORLD"] + f[country] + f[industry]
            assert common.std() == pytest.approx(expected, rel=0.025)
