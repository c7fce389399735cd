"""Hedging against numbers worked out by hand on two factors and two instruments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mini.hedging import beta, exposure_hedge, hedged_exposures, minimum_variance_hedge

F = pd.DataFrame([[0.04, 0.01], [0.01, 0.01]], index=["MKT", "VAL"], columns=["MKT", "VAL"])
X = pd.Series({"MKT": 1.1, "VAL": 0.3})
H = pd.DataFrame({"index future": {"MKT": 1.0, "VAL": 0.0}, "value future": {"MKT": 0.2, "VAL": 1.0}})


def test_exposure_hedge_by_hand():
    # n_value = -0.3 (to cancel VAL), then n_index = -(1.1 + 0.2 * -0.3) = -1.04
    notionals = exposure_hedge(X, H, ["MKT", "VAL"])
    assert notionals["value future"] == pytest.approx(-0.3, rel=1e-14)
    assert notionals["index future"] == pytest.approx(-1.04, rel=1e-14)
    one = exposure_hedge(X, H[["index future"]], ["MKT"])
    assert one["index future"] == pytest.approx(-1.1, rel=1e-14)


def test_hedged_exposures_by_hand():
    after = hedged_exposures(X, H, pd.Series({"value future": -0.5, "index future": 2.0}))
    assert after["MKT"] == pytest.approx(1.1 + 2.0 - 0.1, rel=1e-14)
    assert after["VAL"] == pytest.approx(0.3 - 0.5, rel=1e-14)


def test_beta_and_one_instrument_hedge_by_hand():
    # x'Fh = 1.1 * 0.04 + 0.3 * 0.01 = 0.047 for h = (1, 0); h'Fh = 0.04
    future = H["index future"]
    assert beta(X, future, F) == pytest.approx(0.047 / 0.04, rel=1e-14)
    assert minimum_variance_hedge(X, H[["index future"]], F)["index future"] == pytest.approx(
        -1.175, rel=1e-14
    )


def test_two_instrument_minimum_variance_hedge_against_least_squares():
    """With as many instruments as factors (H invertible) the hedge removes all factor risk."""
    notionals = minimum_variance_hedge(X, H, F)
    assert np.allclose(H.to_numpy() @ notionals.to_numpy(), -X.to_numpy(), rtol=1e-12)
    # a third factor the instruments cannot reach: n minimises (x + Hn)' F (x + Hn)
    f3 = pd.DataFrame(np.diag([0.04, 0.01, 0.02]), index=["MKT", "VAL", "MOM"], columns=["MKT", "VAL", "MOM"])
    f3.loc["MKT", "MOM"] = f3.loc["MOM", "MKT"] = 0.01
    x3 = pd.Series({"MKT": 1.1, "VAL": 0.3, "MOM": 0.5})
    h3 = H.reindex(["MKT", "VAL", "MOM"], fill_value=0.0)
    root = np.linalg.cholesky(f3.to_numpy()).T
    lstsq = np.linalg.lstsq(root @ h3.to_numpy(), -root @ x3.to_numpy(), rcond=None)[0]
    assert np.allclose(minimum_variance_hedge(x3, h3, f3), lstsq, rtol=1e-10)


def test_hedging_labels_and_messages():
    assert exposure_hedge(X, H, ["MKT", "VAL"]).name == "notional"
    assert minimum_variance_hedge(X, H, F).name == "notional"
    assert hedged_exposures(X, H, pd.Series({"index future": 1.0, "value future": 0.0})).name == "exposure"
    with pytest.raises(
        ValueError, match=r"^need as many instruments as factors to neutralise: 2 instrument\(s\) for 1"
    ):
        exposure_hedge(X, H, ["MKT"])
    twins = pd.DataFrame({"one": {"MKT": 1.0, "VAL": 0.5}, "two": {"MKT": 2.0, "VAL": 1.0}})
    with pytest.raises(ValueError, match="^the hedge system has no unique solution"):
        exposure_hedge(X, twins, ["MKT", "VAL"])
    with pytest.raises(ValueError, match="^the hedge instruments are redundant"):
        minimum_variance_hedge(X, twins, F)
    with pytest.raises(ValueError, match="^instrument exposures does not match the model's factors"):
        hedged_exposures(X, H.drop(index="VAL"), pd.Series({"index future": 1.0, "value future": 0.0}))
    with pytest.raises(ValueError, match="^notionals does not match the model's instruments"):
        hedged_exposures(X, H, pd.Series({"index future": 1.0}))
    with pytest.raises(ValueError, match="^factor covariance does not match the model's factors"):
        minimum_variance_hedge(X, H, F.drop(index="VAL", columns="VAL"))
    with pytest.raises(ValueError, match="^portfolio exposures contains 1 NaN"):
        exposure_hedge(X.where(X > 1.0), H, ["MKT", "VAL"])
    with pytest.raises(ValueError, match="^instrument exposures contains 1 NaN"):
        exposure_hedge(X, H.mask(H == 0.2), ["MKT", "VAL"])


def test_beta_names_a_bad_instrument():
    with pytest.raises(ValueError, match="^instrument exposures contains 1 NaN"):
        beta(X, H["value future"].mask(H["value future"] == 0.2), F)


def test_exposure_hedge_names_an_unknown_factor():
    with pytest.raises(ValueError, match=r"^unknown factor \['MOM'\]; known factors are \['MKT', 'VAL'\]$"):
        exposure_hedge(X, H, ["MKT", "MOM"])


def test_notionals_and_factor_covariance_named_in_full():
    """NaN notionals and a NaN factor covariance are named in their errors, in full."""
    with pytest.raises(ValueError, match=r"^notionals contains 1 NaN or infinite value\(s\)$"):
        hedged_exposures(X, H, pd.Series({"index future": 1.0, "value future": np.nan}))
    with pytest.raises(ValueError, match=r"^factor covariance contains 1 NaN or infinite value\(s\)$"):
        minimum_variance_hedge(X, H, F.replace(0.04, np.nan))


def test_minimum_variance_hedge_matches_instruments_to_factors_by_label():
    """Instrument exposures listed in another factor order give the same hedge."""
    shuffled = H.loc[["VAL", "MKT"]]
    pd.testing.assert_series_equal(minimum_variance_hedge(X, shuffled, F), minimum_variance_hedge(X, H, F))


def test_a_quiet_instrument_is_not_mistaken_for_a_redundant_one():
    """HᵀFH = diag(0.04, 1e-11): the smallest eigenvalue is 2.5e-10 of the largest, above the
    1e-10 cut, so the hedge is solved: n = −(HᵀFH)⁻¹HᵀFx = (−x₁ / 0.2, −x₂ / h₂)."""
    identity = pd.DataFrame(np.eye(2), index=["MKT", "VAL"], columns=["MKT", "VAL"])
    h2 = np.sqrt(1e-11)
    quiet = pd.DataFrame({"index future": {"MKT": 0.2, "VAL": 0.0}, "quiet future": {"MKT": 0.0, "VAL": h2}})
    notionals = minimum_variance_hedge(X, quiet, identity)
    assert np.allclose(notionals, [-1.1 / 0.2, -0.3 / h2], rtol=1e-9)
