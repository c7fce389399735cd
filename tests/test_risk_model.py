"""The risk model's covariance algebra against the full matrix formed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mini.risk_model import RiskModel, correlation_from_covariance, factor_covariance

FACTORS = ["MKT", "VAL"]


def test_factor_covariance_by_hand():
    vols = pd.Series({"MKT": 0.2, "VAL": 0.1})
    corr = pd.DataFrame([[1.0, -0.5], [-0.5, 1.0]], index=FACTORS, columns=FACTORS)
    f = factor_covariance(vols, corr)
    assert np.allclose(f, [[0.04, -0.01], [-0.01, 0.01]], rtol=1e-14)


def test_correlation_from_covariance_by_hand():
    cov = pd.DataFrame([[0.04, -0.01], [-0.01, 0.01]], index=FACTORS, columns=FACTORS)
    assert np.allclose(correlation_from_covariance(cov), [[1.0, -0.5], [-0.5, 1.0]], rtol=1e-14)


def _model() -> RiskModel:
    x = pd.DataFrame([[1.0, 0.5], [1.0, -1.0], [1.0, 0.0]], index=list("ABC"), columns=FACTORS)
    f = pd.DataFrame([[0.04, 0.01], [0.01, 0.01]], index=FACTORS, columns=FACTORS)
    return RiskModel(x, f, pd.Series({"C": 0.01, "A": 0.09, "B": 0.04}))


def test_covariance_by_hand():
    model = _model()
    sigma = model.covariance()
    # A with B: (1, 0.5) F (1, -1)' = 0.04 - 0.01 + 0.005 - 0.005 = 0.03
    assert sigma.loc["A", "B"] == pytest.approx(0.03, rel=1e-14)
    # A's variance: 0.04 + 2 * 0.5 * 0.01 + 0.25 * 0.01 + 0.09
    assert sigma.loc["A", "A"] == pytest.approx(0.04 + 0.01 + 0.0025 + 0.09, rel=1e-14)
    assert sigma.loc["C", "C"] == pytest.approx(0.05, rel=1e-14)


def test_covariance_times_and_solve_against_the_full_matrix():
    model = _model()
    sigma = model.covariance().to_numpy()
    w = pd.Series({"B": -0.3, "C": 0.5, "A": 1.0})
    aligned = w.reindex(model.stocks).to_numpy()
    assert np.allclose(model.covariance_times(w), sigma @ aligned, rtol=1e-13)
    assert np.allclose(model.solve(w), np.linalg.solve(sigma, aligned), rtol=1e-12)
    assert np.array_equal(model.aligned_weights(w), [1.0, -0.3, 0.5])


@pytest.mark.parametrize(
    ("covariance", "message"),
    [
        ([[0.04, np.nan], [np.nan, 0.01]], r"^covariance contains 2 NaN"),
        ([[0.04, -0.01], [0.01, 0.01]], r"^covariance is not symmetric$"),
        (
            [[0.04, 0.0], [0.0, 0.0]],
            r"^covariance has a non-positive variance on its diagonal, for \['VAL'\]$",
        ),
    ],
)
def test_correlation_from_covariance_names_the_bad_input(covariance, message):
    with pytest.raises(ValueError, match=message):
        correlation_from_covariance(pd.DataFrame(covariance, index=FACTORS, columns=FACTORS))


@pytest.mark.parametrize(
    ("vols", "correlation", "message"),
    [
        ({"MKT": np.nan, "VAL": 0.1}, [[1.0, 0.0], [0.0, 1.0]], r"^factor volatilities contains 1 NaN"),
        ({"MKT": 0.2, "VAL": 0.1}, [[1.0, np.inf], [0.0, 1.0]], r"^factor correlation contains 1 NaN"),
    ],
)
def test_factor_covariance_names_the_bad_input(vols, correlation, message):
    with pytest.raises(ValueError, match=message):
        factor_covariance(pd.Series(vols), pd.DataFrame(correlation, index=FACTORS, columns=FACTORS))


VOLS = pd.Series({"MKT": 0.2, "VAL": 0.1})


@pytest.mark.parametrize(
    ("correlation", "message"),
    [
        (
            pd.DataFrame(np.eye(2), index=["MKT", "SMB"], columns=FACTORS),
            r"^correlation rows does not match the model's factors: missing factors \['VAL'\]; unknown factors",
        ),
        (
            pd.DataFrame(np.eye(2), index=FACTORS, columns=["MKT", "SMB"]),
            r"^correlation columns does not match the model's factors: missing factors \['VAL'\]; unknown factors",
        ),
        (
            pd.DataFrame([[1.0, 0.0], [0.0, 0.9]], index=FACTORS, columns=FACTORS),
            r"^factor correlation must have ones on its diagonal$",
        ),
        (
            pd.DataFrame([[1.0, 1.5], [1.5, 1.0]], index=FACTORS, columns=FACTORS),
            r"^factor correlation has an entry outside \[-1, 1\]$",
        ),
        # an entry within the 1e-12 rounding allowance is not "outside [-1, 1]": the matrix is
        # reported as what it is, not positive definite
        (
            pd.DataFrame([[1.0, 1.0 + 1e-12], [1.0 + 1e-12, 1.0]], index=FACTORS, columns=FACTORS),
            r"^factor correlation is not positive definite",
        ),
    ],
)
def test_factor_covariance_rejects_a_bad_correlation_with_its_exact_message(correlation, message):
    with pytest.raises(ValueError, match=message):
        factor_covariance(VOLS, correlation)


F2 = pd.DataFrame([[0.04, 0.01], [0.01, 0.01]], index=FACTORS, columns=FACTORS)
X3 = pd.DataFrame([[1.0, 0.5], [1.0, -1.0], [1.0, 0.0]], index=list("ABC"), columns=FACTORS)
D3 = pd.Series({"A": 0.09, "B": 0.04, "C": 0.01})


@pytest.mark.parametrize(
    ("factor_cov", "specific_var", "message"),
    [
        (
            F2.mask(F2 < 0.02, np.nan),  # the three 0.01 entries
            D3,
            r"^factor covariance contains 3 NaN or infinite value\(s\)$",
        ),
        (
            F2.rename(index={"VAL": "SMB"}),
            D3,
            r"^factor covariance rows does not match the model's factors: "
            r"missing factors \['VAL'\]; unknown factors \['SMB'\]$",
        ),
        (
            F2.rename(columns={"VAL": "SMB"}),
            D3,
            r"^factor covariance columns does not match the model's factors: "
            r"missing factors \['VAL'\]; unknown factors \['SMB'\]$",
        ),
        (F2, D3.mask(D3.index == "B", 0.0), r"^specific variances must be positive; not so for \['B'\]$"),
    ],
    ids=["nan-factor-cov", "factor-cov-rows", "factor-cov-columns", "zero-specific-variance"],
)
def test_risk_model_names_the_bad_input_in_full(factor_cov, specific_var, message):
    """Each constructor check names its input (and the factors it expected) in the whole message."""
    with pytest.raises(ValueError, match=message):
        RiskModel(X3, factor_cov, specific_var)


def test_solve_and_covariance_times_name_their_vector_in_full():
    """solve checks its argument as "vector", covariance_times as "weights" (aligned_weights' default)."""
    model = _model()
    missing = r" does not match the model's stocks: missing stocks \['C'\]$"
    with pytest.raises(ValueError, match=r"^vector" + missing):
        model.solve(pd.Series({"A": 1.0, "B": 0.5}))
    with pytest.raises(ValueError, match=r"^vector contains 1 NaN or infinite value\(s\)$"):
        model.solve(pd.Series({"A": 1.0, "B": np.nan, "C": 0.0}))
    with pytest.raises(ValueError, match=r"^weights" + missing):
        model.covariance_times(pd.Series({"A": 1.0, "B": 0.5}))
    with pytest.raises(ValueError, match=r"^weights" + missing):
        model.aligned_weights(pd.Series({"A": 1.0, "B": 0.5}))


def test_the_model_keeps_frozen_float_copies_in_its_own_order():
    """The model stores copies: float, read-only, F in the exposures' factor order and the
    specific variances in their stock order, untouched by later edits to the caller's data."""
    x = pd.DataFrame([[1, 1], [1, -1], [1, 0]], index=list("ABC"), columns=FACTORS)  # integers
    f = pd.DataFrame([[0.01, 0.01], [0.01, 0.04]], index=FACTORS[::-1], columns=FACTORS[::-1])
    d = pd.Series({"C": 0.01, "A": 0.09, "B": 0.04})
    model = RiskModel(x, f, d)
    x.iloc[0, 0], f.iloc[0, 0], d.iloc[0] = 9, 9.0, 9.0  # the caller edits its own data
    for stored in (model.exposures, model.factor_cov, model.specific_var):
        assert not stored.to_numpy().flags.writeable
        assert stored.to_numpy().dtype == np.float64
    assert model.exposures.to_numpy().tolist() == [[1.0, 1.0], [1.0, -1.0], [1.0, 0.0]]
    assert list(model.factor_cov.index) == list(FACTORS) == list(model.factor_cov.columns)
    assert model.factor_cov.to_numpy().tolist() == [[0.04, 0.01], [0.01, 0.01]]
    assert model.specific_var.to_dict() == {"A": 0.09, "B": 0.04, "C": 0.01}
    assert list(model.specific_var.index) == list("ABC")


@pytest.mark.parametrize(
    ("exposures", "specific", "message"),
    [
        (
            pd.DataFrame([[1.0, np.nan]], index=["A"], columns=FACTORS),
            pd.Series({"A": 0.01}),
            r"^exposures contains 1 NaN or infinite value\(s\)$",
        ),
        (
            pd.DataFrame([[1.0, 0.5]], index=["A"], columns=FACTORS),
            pd.Series({"A": np.inf}),
            r"^specific variances contains 1 NaN or infinite value\(s\)$",
        ),
        (
            pd.DataFrame([[1.0, 0.5]], index=["A"], columns=FACTORS),
            pd.Series({"B": 0.01}),
            r"^specific variances does not match the model's stocks: "
            r"missing stocks \['A'\]; unknown stocks \['B'\]$",
        ),
    ],
    ids=["exposures-nan", "specific-inf", "specific-labels"],
)
def test_the_model_names_bad_exposures_and_specific_variances_in_full(exposures, specific, message):
    f = pd.DataFrame([[0.04, 0.01], [0.01, 0.01]], index=FACTORS, columns=FACTORS)
    with pytest.raises(ValueError, match=message):
        RiskModel(exposures, f, specific)
