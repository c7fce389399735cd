"""Quality gates: checks a production pipeline runs before it publishes a risk model.

Each gate compares a measured quantity with a tolerance and reports pass or fail, so a
bad input (a stale price, a mis-mapped industry, a corrupted covariance) stops the
pipeline instead of quietly moving every risk number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mini import _checks
from mini.risk_model import RiskModel


def quality_gates(
    model: RiskModel,
    cap_weights: pd.Series,
    styles: list[str],
    factor_returns: pd.Series,
    industry_weights: pd.Series,
    tolerance: float = 1e-8,
) -> pd.DataFrame:
    r"""Run the standard gates and return one row per gate: measured value, limit, passed.

    * styles standardised: :math:`|\sum_i c_i X_{ik}| \le` tolerance and equal-weighted
      std within tolerance of one, for every style k;
    * industry constraint: :math:`|\sum_j \pi_j f_j| \le` tolerance, with
      :math:`\pi_j` the industry cap weights;
    * factor covariance positive definite: smallest eigenvalue > 0;
    * specific variances positive and finite;
    * every stock in exactly one industry (industry exposures sum to one per stock).
    """
    cap_weights = _checks.finite_series(cap_weights, "cap weights")
    factor_returns = _checks.finite_series(factor_returns, "factor returns")
    industry_weights = _checks.finite_series(industry_weights, "industry weights")
    _checks.same_labels(model.stocks, cap_weights.index, "stocks", "cap weights")
    styles = _checks.known_labels(styles, model.factors, "factor")
    industries = _checks.known_labels(industry_weights.index, model.factors, "factor")
    x = model.exposures
    c = cap_weights.reindex(model.stocks)
    rows = []
    for k in styles:
        rows.append((f"{k}: |cap-weighted mean|", abs(float(c @ x[k])), tolerance))
        rows.append((f"{k}: |std - 1|", abs(float(x[k].std(ddof=0)) - 1.0), tolerance))
    rows.append(
        (
            "industry constraint |sum pi_j f_j|",
            abs(float(industry_weights @ factor_returns.reindex(industries))),
            tolerance,
        )
    )
    membership = x[industries].sum(axis=1)
    rows.append(("stocks not in exactly one industry", float((~np.isclose(membership, 1.0)).sum()), 0.0))
    smallest = float(np.linalg.eigvalsh(model.factor_cov.to_numpy())[0])
    rows.append(("factor covariance: -(smallest eigenvalue)", -smallest, 0.0))
    rows.append(("non-positive specific variances", float((model.specific_var <= 0).sum()), 0.0))
    table = pd.DataFrame(rows, columns=["gate", "value", "limit"]).set_index("gate")
    # eigenvalue gate passes only when strictly positive; count gates when zero
    table["passed"] = [
        value < limit if "eigenvalue" in gate else value <= limit
        for gate, value, limit in zip(table.index, table["value"], table["limit"], strict=True)
    ]
    return table
