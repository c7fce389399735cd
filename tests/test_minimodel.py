"""The MiniModel's derived tables recomputed from its raw data with plain numpy and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

from mini import minimodel
from mini.minimodel import (
    _FACTOR_CORR,
    _FACTOR_VOLS,
    _LATER_ACTIVE_SPECIFIC,
    _LATER_FREE_FACTOR_RETURNS,
    _SMALL_CAP_FUTURE,
    _STOCK_TABLE,
    FACTORS,
    STOCKS,
    load_minimodel,
)


def _raw():
    industry = np.array([row[0] for row in _STOCK_TABLE])
    numbers = np.array([row[1:] for row in _STOCK_TABLE], dtype=float)
    cap, book, mom, ret, spec_vol, portfolio = numbers.T
    return industry, cap, book, mom, ret, spec_vol, portfolio


def test_benchmark_exposures_and_weights_from_the_raw_table(mm):
    industry, cap, book, mom, _, _, portfolio = _raw()
    c = cap / cap.sum()
    assert np.allclose(mm.benchmark, c, rtol=1e-14)
    assert np.allclose(mm.active, portfolio - c, rtol=1e-12, atol=1e-15)
    assert np.allclose(mm.regression_weights, np.sqrt(cap) / np.sqrt(cap).sum(), rtol=1e-14)
    for name, raw in (("VALUE", book), ("MOM", mom), ("SIZE", np.log(cap))):
        assert np.allclose(mm.exposures[name], (raw - c @ raw) / raw.std(), rtol=1e-12)
    for name in ("TECH", "FIN", "CONS"):
        assert np.array_equal(mm.exposures[name], (industry == name).astype(float))
    assert (mm.exposures["MKT"] == 1.0).all()
    assert list(mm.exposures.columns) == FACTORS


def test_month1_regression_and_attribution_from_the_raw_table(mm):
    industry, cap, _, _, ret, _, _ = _raw()
    c = cap / cap.sum()
    pi = {name: c[industry == name].sum() for name in ("TECH", "FIN", "CONS")}
    # f_CONS = -(pi_TECH f_TECH + pi_FIN f_FIN) / pi_CONS: regress on X R, with g the other six
    x = mm.exposures.to_numpy()
    r = np.zeros((7, 6))
    free = [0, 1, 2, 4, 5, 6]
    r[free, range(6)] = 1.0
    r[3, 1], r[3, 2] = -pi["TECH"] / pi["CONS"], -pi["FIN"] / pi["CONS"]
    reference = LinearRegression(fit_intercept=False).fit(x @ r, ret, sample_weight=np.sqrt(cap))
    f = r @ reference.coef_
    assert np.allclose(mm.month1.factor_returns, f, rtol=1e-9, atol=1e-14)
    residuals = ret - x @ f
    assert mm.active_specific["month 1"] == pytest.approx(mm.active.to_numpy() @ residuals, rel=1e-9)
    contributions = mm.attribution.contributions.loc["month 1"]
    x_active = x.T @ mm.active.to_numpy()
    assert np.allclose(contributions[FACTORS], x_active * f, rtol=1e-9, atol=1e-15)
    assert mm.attribution.benchmark["month 1"] == pytest.approx(c @ ret, rel=1e-12)
    later = mm.factor_returns.loc["month 2"].to_numpy()
    assert mm.attribution.benchmark["month 2"] == pytest.approx((x.T @ c) @ later, rel=1e-12)
    assert mm.attribution.portfolio["month 2"] == pytest.approx(
        (x.T @ c) @ later + x_active @ later + mm.active_specific["month 2"], rel=1e-12
    )
    assert np.allclose(mm.hedge_instruments["index future"], x.T @ c, rtol=1e-12)


def test_risk_model_from_the_raw_table(mm):
    _, _, _, _, _, spec_vol, _ = _raw()
    f = mm.risk_model.factor_cov.to_numpy()
    vols = mm.factor_vol.to_numpy()
    assert np.allclose(f, np.outer(vols, vols) * mm.factor_corr.to_numpy(), rtol=1e-14)
    assert np.allclose(mm.risk_model.specific_var, spec_vol**2, rtol=1e-14)


def test_load_minimodel_labels_and_fills_every_table():
    model = load_minimodel()  # called here, not through the shared fixture, so each part is exercised
    _, _, _, _, ret, spec_vol, portfolio = _raw()
    for series, name, values in (
        (model.returns, "month-1 return", ret),
        (model.specific_vol, "specific vol", spec_vol),
        (model.portfolio, "portfolio weight", portfolio),
    ):
        assert series.name == name
        assert list(series.index) == STOCKS
        assert series.index.name == "stock"
        assert np.array_equal(series, values)
    assert model.factor_vol.name == "factor vol"
    assert np.array_equal(model.factor_vol, _FACTOR_VOLS)
    assert np.array_equal(model.factor_corr, _FACTOR_CORR)
    for index in (model.factor_vol.index, model.factor_corr.index, model.factor_corr.columns):
        assert list(index) == FACTORS
        assert index.name == "factor"
    later = model.later_free_factor_returns
    assert list(later.index) == list(_LATER_FREE_FACTOR_RETURNS)
    for month, row in later.iterrows():
        assert row.to_dict() == _LATER_FREE_FACTOR_RETURNS[month]
    assert model.later_active_specific.name == "active specific"
    assert model.later_active_specific.to_dict() == _LATER_ACTIVE_SPECIFIC
    assert model.small_cap_future.name == "small-cap future"
    assert list(model.small_cap_future.index) == FACTORS
    assert model.small_cap_future.to_dict() == _SMALL_CAP_FUTURE


def test_load_minimodel_rejects_portfolio_weights_that_do_not_sum_to_one(monkeypatch):
    table = [(*row[:-1], row[-1] + 0.01) for row in _STOCK_TABLE]
    monkeypatch.setattr(minimodel, "_STOCK_TABLE", table)
    with pytest.raises(ValueError, match=r"^MiniModel portfolio weights must sum to 1, "):
        load_minimodel()
