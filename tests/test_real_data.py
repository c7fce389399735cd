"""mini's estimators on the real returns the chapters use, against another library."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mini.covariance import ewma_covariance_forecasts, ewma_variance_forecasts
from mini.data import french_factors, french_industries, french_sorted
from mini.timeseries import fama_macbeth, time_series_betas

linearmodels = pytest.importorskip("linearmodels", reason="linearmodels is in requirements.txt")


def test_two_pass_fama_macbeth_equals_linearmodels_on_the_french_portfolios():
    factors = french_factors()
    names = ["MKT", "SMB", "HML", "MOM"]
    excess = pd.concat([french_industries(), french_sorted("size-value")], axis=1).sub(factors["RF"], axis=0)
    betas = time_series_betas(excess, factors[names]).betas
    ours = fama_macbeth(excess, np.broadcast_to(betas.to_numpy(), (len(excess), *betas.shape)), names)

    # linearmodels wants a long panel indexed by (entity, time).
    panel = excess.stack().rename("excess").to_frame()
    panel.index.names = ["date", "portfolio"]
    panel = panel.swaplevel().sort_index().join(betas, on="portfolio")
    panel["const"] = 1.0
    theirs = linearmodels.FamaMacBeth(panel["excess"], panel[["const", *names]]).fit()

    np.testing.assert_allclose(ours.mean[["const", *names]], theirs.params[["const", *names]], rtol=1e-10)
    np.testing.assert_allclose(
        ours.standard_error[["const", *names]], theirs.std_errors[["const", *names]], rtol=1e-10
    )


def test_minimodel_size_is_large_minus_small_so_smb_enters_with_a_minus_sign():
    from mini.minimodel import load_minimodel

    mm = load_minimodel()
    size = mm.exposures["SIZE"]
    # SIZE exposure rises with market cap: a long-SIZE portfolio is long large companies.
    assert (np.diff(size[mm.universe.cap.sort_values().index].to_numpy()) > 0).all()


def test_the_two_replayed_months_and_their_trailing_covariance():
    from mini.covariance import trailing_covariance
    from mini.stress import conditional_factor_shock, shock_impact

    french = french_factors()
    april = french.loc["2009-04-30"]
    assert april["MOM"] == pytest.approx(-0.3458) and april["MKT"] == pytest.approx(0.1019)
    assert french.loc["1987-10-31", "MKT"] == pytest.approx(-0.2324)
    f = french[["MKT", "HML", "MOM"]]
    cov = trailing_covariance(f, pd.Timestamp("2009-04-30"), 60)
    end = f.index.get_loc(pd.Timestamp("2009-04-30"))
    np.testing.assert_allclose(cov, np.cov(f.iloc[end - 60 : end].to_numpy().T, ddof=1), rtol=1e-12)
    assert f.index[end - 60] == pd.Timestamp("2004-04-30")  # the window ends in March 2009
    forecast = conditional_factor_shock(cov, "MOM", april["MOM"])
    assert forecast["MOM"] == april["MOM"]
    assert forecast["MKT"] == pytest.approx(
        cov.loc["MKT", "MOM"] / cov.loc["MOM", "MOM"] * april["MOM"], rel=1e-14
    )
    x = pd.Series({"MKT": 1.0, "HML": 0.4, "MOM": -0.3})
    assert shock_impact(x, april[x.index]) == pytest.approx(0.1019 + 0.4 * 0.0544 + 0.3 * 0.3458, rel=1e-12)


def test_first_principal_component_of_the_twenty_stocks_is_the_market():
    from mini.data import sp500_stocks
    from mini.statistical import principal_components

    stocks = sp500_stocks().loc["2001":]
    pcs = principal_components(stocks, n_components=3)
    pc1 = pcs.loadings["PC1"]
    assert (np.sign(pc1) == np.sign(pc1.iloc[0])).all()  # one sign, whichever it is
    # The same eigen-decomposition from numpy's symmetric solver.
    eigenvalues, vectors = np.linalg.eigh(stocks.corr().to_numpy())
    np.testing.assert_allclose(pcs.eigenvalues.iloc[:3], eigenvalues[::-1][:3], rtol=1e-10)
    np.testing.assert_allclose(np.abs(pc1), np.abs(vectors[:, -1]), atol=1e-10)
    assert pcs.n_above_edge == 3


def test_vasicek_weights_on_real_betas_reproduce_the_shrunk_betas():
    from mini.data import monthly, sp500_index, sp500_stocks
    from mini.timeseries import shrink_betas, vasicek_weights

    stocks = monthly(sp500_stocks().loc["2001":]).iloc[:60]
    index = monthly(sp500_index().loc["2001":]).iloc[:60].to_frame("SP500")
    fit = time_series_betas(stocks, index)
    beta, se = fit.betas["SP500"], fit.standard_errors["SP500"]
    weights = vasicek_weights(beta, se)
    assert ((weights > 0) & (weights < 1)).all()
    np.testing.assert_allclose(
        shrink_betas(beta, se), beta.mean() + weights * (beta - beta.mean()), rtol=1e-14
    )


def test_a_months_ewma_forecast_is_the_weighted_mean_of_earlier_squared_returns():
    """Chapter 14's forecast for April 2009 (momentum's crash), rebuilt by hand:
    lambda^n times the warm-up mean square plus (1 - lambda) lambda^s f_{t-1-s}^2."""
    mom = french_factors()[["MOM"]]
    warmup, half_life = 24, 12
    month = pd.Timestamp("2009-04-30")
    t = mom.index.get_loc(month)
    f = mom["MOM"].to_numpy()
    lam = 0.5 ** (1 / half_life)
    earlier = f[warmup:t] ** 2  # the scored months before April 2009
    ages = np.arange(len(earlier))[::-1]  # the last of them is 0 months before t - 1
    by_hand = lam ** len(earlier) * np.mean(f[:warmup] ** 2) + (1 - lam) * np.sum(lam**ages * earlier)
    forecasts = ewma_variance_forecasts(mom, half_life, warmup)
    assert forecasts.loc[month, "MOM"] == pytest.approx(by_hand, rel=1e-12)
    # the month's own return plays no part in its forecast
    shocked = mom.copy()
    shocked.loc[month, "MOM"] = 1.0
    assert (
        ewma_variance_forecasts(shocked, half_life, warmup).loc[month, "MOM"] == forecasts.loc[month, "MOM"]
    )


def test_ewma_covariance_forecasts_of_factors_and_industries_have_the_variance_forecasts_on_the_diagonal():
    """Chapter 8's 16 x 16 real forecasts: the diagonal is each series' own EWMA variance."""
    factors = french_factors()
    assets = pd.concat(
        [factors[["MKT", "SMB", "HML", "MOM"]], french_industries().sub(factors["RF"], axis=0)], axis=1
    )
    covariances = ewma_covariance_forecasts(assets, 36, 60)
    variances = ewma_variance_forecasts(assets, 36, 60)
    np.testing.assert_allclose(np.diagonal(covariances, axis1=1, axis2=2), variances.to_numpy(), rtol=1e-12)
    assert np.linalg.eigvalsh(covariances).min() > 0  # positive definite: eigenportfolios exist
