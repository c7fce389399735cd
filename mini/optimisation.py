r"""Portfolio construction: the smallest tracking error that meets linear targets.

With active weights w, minimise :math:`w^\top \Sigma w` subject to :math:`A w = b`.
Setting the gradient of the Lagrangian to zero gives the KKT system

.. math::
   \begin{pmatrix} 2\Sigma & A^\top \\ A & 0 \end{pmatrix}
   \begin{pmatrix} w \\ \lambda \end{pmatrix} =
   \begin{pmatrix} 0 \\ b \end{pmatrix},

one linear solve whose solution is the optimum whenever Σ is positive definite and
the rows of A are linearly independent.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from mini import _checks

BUDGET = "budget"


def exposure_constraints(
    exposures: pd.DataFrame, targets: Mapping[str, float], budget: float = 0.0
) -> tuple[pd.DataFrame, pd.Series]:
    r"""Constraint rows A and right-hand side b for :math:`\sum_i w_i = \text{budget}` and
    :math:`(X^\top w)_k = \text{target}_k`.

    Budget 0 is for active weights (what is bought is paid for by what is sold);
    budget 1 for a fully invested portfolio.
    """
    exposures = _checks.finite_frame(exposures, "exposures")
    chosen = _checks.known_labels(targets, exposures.columns, "factor")
    rows = pd.concat([pd.DataFrame({BUDGET: 1.0}, index=exposures.index), exposures[chosen]], axis=1).T
    rhs = pd.Series({BUDGET: float(budget), **{name: float(targets[name]) for name in chosen}}, name="target")
    return rows, rhs


def minimum_tracking_error(covariance: pd.DataFrame, constraints: pd.DataFrame, targets: pd.Series) -> pd.Series:
    """Active weights with the least variance wᵀΣw that satisfy ``constraints`` @ w = ``targets``.

    Raises ``ValueError`` if Σ is not positive definite or the constraints are
    redundant or contradictory (their rows are linearly dependent).
    """
    covariance = _checks.finite_frame(covariance, "covariance")
    constraints = _checks.finite_frame(constraints, "constraints")
    targets = _checks.finite_series(targets, "targets")
    _checks.same_labels(covariance.index, constraints.columns, "stocks", "constraint columns")
    _checks.same_labels(constraints.index, targets.index, "constraints", "targets")
    sigma = covariance.to_numpy()
    _checks.positive_definite(sigma, "covariance")
    a = constraints[covariance.index].to_numpy()
    if np.linalg.matrix_rank(a) < a.shape[0]:
        raise ValueError(
            "the constraints are linearly dependent: some are redundant or contradict each other"
        )
    n, m = sigma.shape[0], a.shape[0]
    kkt = np.block([[2.0 * sigma, a.T], [a, np.zeros((m, m))]])
    rhs = np.concatenate([np.zeros(n), targets.reindex(constraints.index).to_numpy()])
    solution = np.linalg.solve(kkt, rhs)
    return pd.Series(solution[:n], index=covariance.index, name="active weight")


def turnover(before: pd.Series, after: pd.Series) -> float:
    r"""One-way turnover :math:`\tfrac12 \sum_i |w^{\text{after}}_i - w^{\text{before}}_i|`."""
    before = _checks.finite_series(before, "weights before")
    after = _checks.finite_series(after, "weights after")
    _checks.same_labels(before.index, after.index, "stocks", "weights after")
    return float(0.5 * np.abs(after.reindex(before.index) - before).sum())
