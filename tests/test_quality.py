"""Quality gates pass on the MiniModel and fail on the faults they exist to catch."""

from __future__ import annotations

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
