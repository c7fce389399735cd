"""x-sigma-rho attribution, the industry convention and the panel bar chart."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mini.decomposition import decompose_risk, recentre_industries, stock_contributions, x_sigma_rho
from mini.minimodel import FACTOR_BLOCKS
from mini.plotting import panel_bars
from mini.risk_model import RiskModel


def test_x_sigma_rho_by_hand():
    # two factors, vols 0.2 and 0.1, correlation 0.5; exposures 1 and -2; specific var 0.01
    cov = pd.DataFrame([[0.04, 0.01], [0.01, 0.01]], index=["a", "b"], columns=["a", "b"])
    x = pd.Series({"a": 1.0, "b": -2.0})
    table = x_sigma_rho(cov, x, 0.01)
    # F x = (0.04 - 0.02, 0.01 - 0.02) = (0.02, -0.01); x'Fx = 0.02 + 0.02 = 0.04; total 0.05
    vol = np.sqrt(0.05)
    assert np.allclose(table["correlation"], [0.02 / (0.2 * vol), -0.01 / (0.1 * vol), 0.1 / vol])
    assert np.allclose(table["contribution"], [0.02 / vol, 0.02 / vol, 0.01 / vol])
    assert np.isclose(table["contribution"].sum(), vol)


def test_x_sigma_rho_correlations_from_simulated_returns(mm):
    model = mm.risk_model
    d = decompose_risk(model, mm.active)
    table = x_sigma_rho(model.factor_cov, d.exposures, d.specific_variance)
    rng = np.random.default_rng(0)
    n = 400_000
    f = rng.multivariate_normal(np.zeros(7), model.factor_cov.to_numpy(), size=n)
    eps = rng.normal(size=(n, 10)) * np.sqrt(model.specific_var.to_numpy())
    active_return = (f @ model.exposures.to_numpy().T + eps) @ mm.active.to_numpy()
    for k, factor in enumerate(model.factors):
        if d.exposures[factor] == 0 and factor == "MKT":
            continue
        sample = np.corrcoef(f[:, k], active_return)[0, 1]
        assert abs(sample - table.loc[factor, "correlation"]) < 0.01
    # the stock version: CTR = w sigma_i rho_i
    ctr = stock_contributions(model, mm.active)
    stock_vol = np.sqrt(np.diag(model.covariance()))
    returns = f @ model.exposures.to_numpy().T + eps
    rho = np.array([np.corrcoef(returns[:, i], active_return)[0, 1] for i in range(10)])
    assert np.allclose(mm.active.to_numpy() * stock_vol * rho, ctr["CTR"].to_numpy(), atol=2e-3)


def test_recentre_industries_keeps_stock_covariance(mm):
    model = mm.risk_model
    industries = FACTOR_BLOCKS["Industries"]
    nu = pd.Series([0.5, 0.3, 0.2], index=industries)
    moved = recentre_industries(model.factor_cov, "MKT", nu)
    x = model.exposures.to_numpy()
    assert np.allclose(x @ model.factor_cov.to_numpy() @ x.T, x @ moved.to_numpy() @ x.T)
    # the new industry returns satisfy sum nu_j f'_j = 0: that combination has no variance
    v = moved.loc[industries, industries].to_numpy()
    assert np.isclose(nu.to_numpy() @ v @ nu.to_numpy(), 0.0, atol=1e-15)
    # and the total portfolio's split between market and industries moves
    new = decompose_risk(RiskModel(model.exposures, moved, model.specific_var), mm.portfolio)
    old = decompose_risk(model, mm.portfolio)
    assert np.isclose(new.total_variance, old.total_variance)
    assert not np.isclose(new.factor_contributions["MKT"], old.factor_contributions["MKT"])
    with pytest.raises(ValueError, match="sum"):
        recentre_industries(model.factor_cov, "MKT", nu * 2)


def test_panel_bars_draws_one_panel_per_column():
    frame = pd.DataFrame({"a": [1.0, -2.0], "b": [0.1, 0.2]}, index=["x", "y"])
    fig = panel_bars(frame, "t", percent_columns=("a",))
    assert len(fig.axes) == 2
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["x", "y"]
    with pytest.raises(ValueError, match="percent_columns"):
        panel_bars(frame, "t", percent_columns=("c",))
