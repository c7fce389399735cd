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
