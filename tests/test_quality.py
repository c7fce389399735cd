"""Quality gates pass on the MiniModel and fail on the faults they exist to catch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mini.quality import quality_gates
from mini.risk_model import RiskModel

STYLES = ["VALUE", "MOM", "SIZE"]


def gates(mm, model=None, caps=None, f=None):
    return quality_gates(
        model or mm.risk_model,
        caps if caps is not None else mm.benchmark,
        STYLES,
        f if f is not None else mm.month1.factor_returns,
        mm.universe.industry_weights,
    )


def test_minimodel_passes_every_gate(mm):
    assert gates(mm)["passed"].all()


def test_equal_weighted_centring_fails_the_mean_gate(mm):
    x = mm.exposures.copy()
    x["VALUE"] = (x["VALUE"] - x["VALUE"].mean()) / x["VALUE"].std(ddof=0)
    table = gates(mm, model=RiskModel(x, mm.risk_model.factor_cov, mm.risk_model.specific_var))
    assert not table.loc["VALUE: |cap-weighted mean|", "passed"]
    assert table.loc["MOM: |cap-weighted mean|", "passed"]


def test_broken_constraint_and_membership_fail(mm):
    f = mm.month1.factor_returns.copy()
    f["CONS"] += 0.001
    assert not gates(mm, f=f).loc["industry constraint |sum pi_j f_j|", "passed"]
    x = mm.exposures.copy()
    x.loc["AXIOM", "FIN"] = 1.0  # mapped to two industries
    table = gates(mm, model=RiskModel(x, mm.risk_model.factor_cov, mm.risk_model.specific_var))
    assert table.loc["stocks not in exactly one industry", "value"] == 1.0
    assert not table.loc["stocks not in exactly one industry", "passed"]


def test_gate_values_by_hand():
    stocks, factors = list("abcd"), ["MKT", "X", "Y", "STY"]
    x = pd.DataFrame(
        {"MKT": 1.0, "X": [1.0, 1.0, 0.0, 0.0], "Y": [0.0, 0.0, 1.0, 1.0], "STY": [1.0, -1.0, 2.0, -1.0]},
        index=stocks,
    )
    f = pd.DataFrame(np.diag([0.04, 0.01, 0.02, 0.005]), index=factors, columns=factors)
    model = RiskModel(x, f, pd.Series(0.01, index=stocks))
    caps = pd.Series([0.4, 0.1, 0.3, 0.2], index=stocks)
    table = quality_gates(
        model,
        caps,
        ["STY"],
        pd.Series({"MKT": 0.01, "X": 0.02, "Y": -0.01, "STY": 0.0}),
        pd.Series({"X": 0.5, "Y": 0.5}),
        tolerance=1e-3,
    )
    # cap-weighted mean 0.4 - 0.1 + 0.6 - 0.2 = 0.7; population std of (1, -1, 2, -1) is sqrt(1.6875)
    assert table.loc["STY: |cap-weighted mean|", "value"] == pytest.approx(0.7, rel=1e-14)
    assert table.loc["STY: |std - 1|", "value"] == pytest.approx(np.sqrt(1.6875) - 1, rel=1e-14)
    assert table.loc["industry constraint |sum pi_j f_j|", "value"] == pytest.approx(0.005, rel=1e-12)
    assert table.loc["stocks not in exactly one industry", "value"] == 0.0
    assert table.loc["factor covariance: -(smallest eigenvalue)", "value"] == pytest.approx(-0.005, rel=1e-12)
    assert table["passed"].tolist() == [False, False, False, True, True, True]
    assert (table["limit"].iloc[:3] == 1e-3).all()


def _two_stock_gates(model) -> pd.DataFrame:
    """The gates with no tolerance on a two-stock model (MKT, X, STY): half weight each,
    STY the only style, factor means 0 and X's weight 1."""
    stocks = list(model.stocks)
    return quality_gates(
        model,
        pd.Series(0.5, index=stocks),
        ["STY"],
        pd.Series({"MKT": 0.0, "X": 0.0, "STY": 0.0}),
        pd.Series({"X": 1.0}),
        tolerance=0.0,
    )


def test_a_gate_exactly_at_its_limit_passes():
    stocks = list("ab")
    x = pd.DataFrame({"MKT": 1.0, "X": 1.0, "STY": [1.0, -1.0]}, index=stocks)
    f = pd.DataFrame(np.eye(3) * 0.01, index=x.columns, columns=x.columns)
    model = RiskModel(x, f, pd.Series(0.01, index=stocks))
    table = _two_stock_gates(model)
    assert table["passed"].all()  # mean exactly 0, std exactly 1: the limits are inclusive


def test_gate_labels_and_default_tolerance(mm):
    table = gates(mm)
    assert table.index[-3:].tolist() == [
        "stocks not in exactly one industry",
        "factor covariance: -(smallest eigenvalue)",
        "non-positive specific variances",
    ]
    assert table.loc["non-positive specific variances", "value"] == 0.0
    assert table["limit"].iloc[: 2 * len(STYLES) + 1].tolist() == [1e-8] * (2 * len(STYLES) + 1)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("caps", r"^cap weights contains 1 NaN"),
        ("factor returns", r"^factor returns contains 1 NaN"),
        ("industry weights", r"^industry weights contains 1 NaN"),
        ("missing cap", r"^cap weights does not match the model's stocks: missing stocks \['AXIOM'\]$"),
        ("style", r"^unknown factor \['BETA'\]; known factors are"),
        ("industry", r"^unknown factor \['ENERGY'\]; known factors are"),
    ],
)
def test_quality_gates_name_the_bad_input(mm, bad, message):
    caps, f, industry = mm.benchmark.copy(), mm.month1.factor_returns.copy(), mm.universe.industry_weights
    styles = STYLES
    if bad == "caps":
        caps.iloc[0] = np.nan
    elif bad == "factor returns":
        f.iloc[0] = np.nan
    elif bad == "industry weights":
        industry = industry.copy()
        industry.iloc[0] = np.nan
    elif bad == "missing cap":
        caps = caps.drop("AXIOM")
    elif bad == "style":
        styles = [*STYLES, "BETA"]
    else:
        industry = industry.rename({industry.index[0]: "ENERGY"})
    with pytest.raises(ValueError, match=message):
        quality_gates(mm.risk_model, caps, styles, f, industry)


def _unchecked_model(exposures: pd.DataFrame, factor_cov: pd.DataFrame, specific_var: pd.Series) -> RiskModel:
    """A model as a pipeline might read it back from storage, before RiskModel's own checks:
    the gates exist to catch exactly what RiskModel would refuse. A real RiskModel with its
    fields set and its __post_init__ checks skipped, so everything else is RiskModel's own."""
    model = object.__new__(RiskModel)
    for name, value in [("exposures", exposures), ("factor_cov", factor_cov), ("specific_var", specific_var)]:
        object.__setattr__(model, name, value)
    return model


def test_singular_covariance_and_a_zero_specific_variance_fail_their_gates():
    """Smallest eigenvalue exactly 0 fails (the gate is strict); a zero specific variance counts as
    non-positive; both limits are 0."""
    stocks = list("ab")
    x = pd.DataFrame({"MKT": 1.0, "X": 1.0, "STY": [1.0, -1.0]}, index=stocks)
    # diagonal, so eigvalsh returns the diagonal exactly: smallest eigenvalue 0.0
    f = pd.DataFrame(np.diag([0.01, 0.0, 0.02]), index=x.columns, columns=x.columns)
    model = _unchecked_model(x, f, pd.Series({"a": 0.0, "b": 0.01}))
    table = _two_stock_gates(model)
    eigen, specific = "factor covariance: -(smallest eigenvalue)", "non-positive specific variances"
    assert table.loc[eigen, "value"] == 0.0 and table.loc[specific, "value"] == 1.0
    assert table.loc[[eigen, specific], "limit"].tolist() == [0.0, 0.0]
    assert table["passed"].tolist() == [True, True, True, True, False, False]
