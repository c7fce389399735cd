r"""Linear equality constraints on factor returns, enforced by a change of basis.

A set of m constraints :math:`C f = 0` on K factor returns is solved for m chosen
("eliminated") factors in terms of the other K − m ("free") factors:

.. math:: f = R g, \qquad R = \begin{pmatrix} I \\ -C_e^{-1} C_g \end{pmatrix}
   \text{ (rows reordered to the factor order)},

where :math:`C_e` holds the columns of the eliminated factors and :math:`C_g` those of
the free ones. Any f = R g satisfies the constraints exactly, so a regression on
:math:`X R` with unknowns g is unconstrained. Keeping this apart from the regression
means the same code serves the industry constraint and any other linear restriction.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mini import _checks


def industry_constraint(industry_weights: pd.Series, factors: Sequence[str]) -> pd.DataFrame:
    r"""The constraint :math:`\sum_j \pi_j f_j = 0` over the industry factors.

    With :math:`\pi_j` the industries' cap weights, the cap-weighted average industry
    return is zero, so the market factor carries the whole market's move.
    """
    weights = _checks.finite_series(industry_weights, "industry weights")
    _checks.known_labels(weights.index, pd.Index(factors), "factor")
    factors = pd.Index(factors)
    row = np.zeros(len(factors))
    row[factors.get_indexer(weights.index)] = weights.to_numpy()  # by position, not through .loc
    return pd.DataFrame(row[None, :], index=["cap-weighted industries sum to zero"], columns=factors)


def restriction_matrix(constraints: pd.DataFrame, eliminate: Sequence[str] | None = None) -> pd.DataFrame:
    """The K × (K − m) matrix R with f = R g for every f that meets ``constraints``.

    ``constraints`` is m × K (one row per constraint, columns named by factor).
    ``eliminate`` names the m factors written in terms of the others; by default each
    row eliminates the last factor it involves that no earlier row has taken.
    """
    constraints = _checks.finite_frame(constraints, "constraints")
    factors = constraints.columns
    if eliminate is None:
        eliminate = _default_eliminated(constraints)
    eliminate = _checks.known_labels(eliminate, factors, "factor")
    if len(eliminate) != len(constraints) or len(set(eliminate)) != len(eliminate):
        raise ValueError(
            f"need one distinct factor to eliminate per constraint: {len(constraints)} "
            f"constraint(s), eliminate={eliminate}"
        )
    free = [name for name in factors if name not in eliminate]
    coefficients = constraints.to_numpy()
    c_elim = coefficients[:, factors.get_indexer(eliminate)]
    c_free = coefficients[:, factors.get_indexer(free)]
    if np.linalg.matrix_rank(c_elim) < len(eliminate):
        raise ValueError(
            f"the constraints cannot be solved for {eliminate}: their coefficients on these "
            "factors are singular (a zero row, or two constraints saying the same thing)"
        )
    # eliminated factors as a function of g; "+ 0.0" turns -0.0 into 0.0 for display
    solved = -np.linalg.solve(c_elim, c_free) + 0.0
    # filled by position in one array, rather than by label through .loc
    values = np.zeros((len(factors), len(free)))
    values[factors.get_indexer(free), np.arange(len(free))] = 1.0
    values[factors.get_indexer(eliminate)] = solved
    return pd.DataFrame(values, index=factors, columns=pd.Index(free))


def apply_restriction(restriction: pd.DataFrame, free_returns: pd.Series) -> pd.Series:
    """Complete a vector of free-factor returns g into f = R g."""
    restriction = _checks.finite_frame(restriction, "restriction matrix")
    free_returns = _checks.finite_series(free_returns, "free factor returns")
    _checks.same_labels(restriction.columns, free_returns.index, "free factors", "free factor returns")
    return restriction @ free_returns.reindex(restriction.columns)


def _default_eliminated(constraints: pd.DataFrame) -> list[str]:
    chosen: list[str] = []
    for label, row in constraints.iterrows():
        candidates = [name for name in row.index[row.to_numpy() != 0] if name not in chosen]
        if not candidates:
            raise ValueError(f"constraint {label!r} involves no factor that is left to eliminate")
        chosen.append(candidates[-1])
    return chosen


def industry_restrictions(
    industry_weights: np.ndarray, industry_columns: Sequence[int], n_factors: int
) -> np.ndarray:
    r"""Restriction matrices for the industry constraint in every period at once.

    ``industry_weights`` is T × J (each period's industry cap weights, in the order of
    ``industry_columns``, the positions of the industry factors among the K factors).
    The last industry is eliminated: :math:`f_J = -\sum_{j<J} (c_j / c_J) f_j`.
    Returns a (T, K, K − 1) array, period t equal to :func:`restriction_matrix` of that
    period's :func:`industry_constraint` with the last industry eliminated.
    """
    weights = _checks.finite_array(industry_weights, "industry weights", ndim=2)
    columns = list(industry_columns)
    if weights.shape[1] != len(columns):
        raise ValueError(
            f"industry weights have {weights.shape[1]} columns for {len(columns)} industry factors"
        )
    if np.any(weights[:, -1] <= 0):
        raise ValueError(
            "the eliminated (last) industry has zero weight in some period, so the constraint cannot be solved for it"
        )
    eliminated = columns[-1]
    free = [k for k in range(n_factors) if k != eliminated]
    restrictions = np.zeros((weights.shape[0], n_factors, n_factors - 1))
    restrictions[:, free, np.arange(n_factors - 1)] = 1.0
    for j, column in enumerate(columns[:-1]):
        restrictions[:, eliminated, free.index(column)] = -weights[:, j] / weights[:, -1]
    return restrictions


def sum_to_zero_constraints(groups: dict[str, pd.Series], factors: Sequence[str]) -> pd.DataFrame:
    r"""One cap-weighted sum-to-zero row per group of factors, :math:`\sum_{j \in g} \pi_j f_j = 0`.

    ``groups`` maps a label (say "countries") to the cap weights of its factors (a
    Series indexed by factor name). A global model with world, country and industry
    factors needs two such rows, since both the country and the industry dummies add
    up to the world factor's column of ones. Returns an m × K frame for
    :func:`restriction_matrix`; a factor may belong to one group only.
    """
    factors = pd.Index(factors)
    rows = []
    seen: set[str] = set()
    for label, weights in groups.items():
        weights = _checks.finite_series(weights, f"cap weights of {label}")
        _checks.known_labels(weights.index, factors, "factor")
        overlap = seen.intersection(weights.index)
        if overlap:
            raise ValueError(f"factors {sorted(overlap)} belong to more than one group")
        seen.update(weights.index)
        row = pd.Series(0.0, index=factors, name=f"cap-weighted {label} sum to zero")
        row[weights.index] = weights.to_numpy()
        rows.append(row)
    if not rows:
        raise ValueError("no groups given: nothing to constrain")
    return pd.DataFrame(rows)
