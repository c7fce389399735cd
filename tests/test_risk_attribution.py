"""Risk attribution beyond the reference report: the pairwise table of factor variance terms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from support import SETTINGS, random_model, seeds

from mini.decomposition import decompose_risk, pairwise_factor_contributions


@SETTINGS
@given(seeds)
def test_pairwise_terms_add_up_to_the_factor_contributions(seed):
    model = random_model(seed)
    weights = pd.Series(np.random.default_rng(seed + 5).normal(size=len(model.stocks)), index=model.stocks)
    d = decompose_risk(model, weights)
    terms = pairwise_factor_contributions(model.factor_cov, d.exposures)
    assert np.allclose(terms, terms.T, atol=1e-15)
    assert np.allclose(terms.sum(axis=1), d.factor_contributions, rtol=1e-12, atol=1e-15)
    assert np.isclose(terms.to_numpy().sum(), d.factor_variance, rtol=1e-12)
    assert np.allclose(np.diag(terms), d.exposures**2 * np.diag(model.factor_cov), rtol=1e-12)


def test_pairwise_terms_follow_the_factor_order_of_the_covariance(mm):
    f = mm.risk_model.factor_cov
    x = decompose_risk(mm.risk_model, mm.active).exposures
    shuffled = pairwise_factor_contributions(f, x.iloc[::-1])
    assert list(shuffled.index) == list(f.index)
    # long VALUE and short MOM reinforce each other, because the two factors are negatively correlated
    assert shuffled.loc["VALUE", "MOM"] > 0
    assert shuffled.loc["VALUE", "MOM"] == pytest.approx(x["VALUE"] * x["MOM"] * f.loc["VALUE", "MOM"])


def test_pairwise_terms_reject_unknown_factors(mm):
    x = decompose_risk(mm.risk_model, mm.active).exposures.rename({"SIZE": "QUALITY"})
    with pytest.raises(ValueError, match="QUALITY"):
        pairwise_factor_contributions(mm.risk_model.factor_cov, x)
