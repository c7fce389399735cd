"""mini's estimators on the real returns the chapters use, against another library."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

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
