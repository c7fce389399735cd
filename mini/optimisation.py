r"""Portfolio construction: the smallest tracking error that meets linear targets.

With active weights w, minimise :math:`w^\top \Sigma w` subject to :math:`A w = b`.
Setting the gradient of the Lagrangian to zero gives the KKT system

.. math::
   \begin{pmatrix} 2\Sigma & A^\top \\ A & 0 \end{pmatrix}
   \begin{pmatrix} w \\ \nu \end{pmatrix} =
   \begin{pmatrix} 0 \\ b \end{pmatrix},

with ν the Lagrange multipliers: one linear solve whose solution is the optimum
whenever Σ is positive definite and the rows of A are linearly independent.

With an alpha vector α and a risk aversion λ the mean–variance problem, maximise
:math:`\alpha^\top w - \lambda\, w^\top \Sigma w` subject to :math:`A w = b`, has the
same structure with :math:`2\lambda\Sigma` in the corner and α on the right-hand side.

Inequality limits (a long-only book, a cap per holding, a maximum active weight) end
the closed form: which limits bind is not known in advance. The ``*_bounded``
functions find out with a primal active-set method: start from a feasible point (a
linear programme), solve the KKT system with the binding limits held as equalities,
step towards its solution until a new limit blocks, and release a limit whose
multiplier says the objective would improve by leaving it. At the end the answer is
again the solution of one KKT system, the one with the binding limits as equalities.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from mini import _checks

BUDGET = "budget"
_STEP_TOLERANCE = 1e-12  # a step smaller than this (in weight) counts as no step
_MULTIPLIER_TOLERANCE = 1e-12  # multipliers of this size or smaller count as zero


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


def _problem(
    covariance: pd.DataFrame, constraints: pd.DataFrame, targets: pd.Series
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Check and align Σ, A and b; return them as arrays in Σ's stock order."""
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
    return sigma, a, targets.reindex(constraints.index).to_numpy()


def _solve_kkt(q: np.ndarray, c: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Minimise :math:`\tfrac12 w^\top Q w - c^\top w` subject to :math:`A w = b`.

    Solves :math:`\begin{pmatrix} Q & A^\top \\ A & 0 \end{pmatrix}
    \begin{pmatrix} w \\ \nu \end{pmatrix} = \begin{pmatrix} c \\ b \end{pmatrix}`
    and returns w and the multipliers ν (so that :math:`Qw - c + A^\top \nu = 0`).
    """
    n, m = q.shape[0], a.shape[0]
    kkt = np.block([[q, a.T], [a, np.zeros((m, m))]])
    solution = np.linalg.solve(kkt, np.concatenate([c, b]))
    return solution[:n], solution[n:]


def minimum_tracking_error(
    covariance: pd.DataFrame, constraints: pd.DataFrame, targets: pd.Series
) -> pd.Series:
    """Active weights with the least variance wᵀΣw that satisfy ``constraints`` @ w = ``targets``.

    Raises ``ValueError`` if Σ is not positive definite or the constraints are
    redundant or contradictory (their rows are linearly dependent).
    """
    sigma, a, b = _problem(covariance, constraints, targets)
    w, _ = _solve_kkt(2.0 * sigma, np.zeros(sigma.shape[0]), a, b)
    return pd.Series(w, index=covariance.index, name="active weight")


def _risk_aversion(risk_aversion: float) -> float:
    return _checks.positive(risk_aversion, "risk aversion")


def _alpha(alpha: pd.Series, stocks: pd.Index) -> np.ndarray:
    alpha = _checks.finite_series(alpha, "alpha")
    _checks.same_labels(stocks, alpha.index, "stocks", "alpha")
    return alpha.reindex(stocks).to_numpy()


def mean_variance(
    covariance: pd.DataFrame,
    alpha: pd.Series,
    constraints: pd.DataFrame,
    targets: pd.Series,
    risk_aversion: float,
) -> pd.Series:
    r"""Weights that maximise :math:`\alpha^\top w - \lambda\, w^\top \Sigma w` subject to :math:`A w = b`.

    The KKT system is

    .. math::
       \begin{pmatrix} 2\lambda\Sigma & A^\top \\ A & 0 \end{pmatrix}
       \begin{pmatrix} w \\ \nu \end{pmatrix} =
       \begin{pmatrix} \alpha \\ b \end{pmatrix}.

    Units: α in expected return per year, Σ annual, so λ is per unit of annual
    variance. With b = 0 the weights scale as 1/λ: halving the risk aversion doubles
    every position and the tracking error.
    """
    sigma, a, b = _problem(covariance, constraints, targets)
    lam = _risk_aversion(risk_aversion)
    w, _ = _solve_kkt(2.0 * lam * sigma, _alpha(alpha, covariance.index), a, b)
    return pd.Series(w, index=covariance.index, name="weight")


def _bounds(lower: pd.Series, upper: pd.Series, stocks: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper limits per stock; ±inf means no limit on that side."""
    arrays = []
    for bound, name in ((lower, "lower bounds"), (upper, "upper bounds")):
        _checks.of_type(bound, pd.Series, name, "a pandas Series")
        _checks.same_labels(stocks, bound.index, "stocks", name)
        values = bound.reindex(stocks).to_numpy(dtype=float)
        if np.any(np.isnan(values)):
            raise ValueError(f"{name} contain NaN; use -inf or +inf for 'no limit'")
        arrays.append(values)
    lo, hi = arrays
    if np.any(lo > hi):
        raise ValueError(f"lower bounds exceed upper bounds for {list(stocks[lo > hi])}")
    return lo, hi


def _feasible_start(a: np.ndarray, b: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A point with A w = b and lo <= w <= hi, from a linear programme with no objective."""
    limits = [(None if np.isinf(l) else l, None if np.isinf(h) else h) for l, h in zip(lo, hi, strict=True)]
    result = linprog(np.zeros(a.shape[1]), A_eq=a, b_eq=b, bounds=limits, method="highs")
    if result.status == 2:
        raise ValueError("the constraints and bounds cannot all be met: no weights satisfy them together")
    if not result.success:
        raise ValueError(f"could not find weights that meet the constraints and bounds: {result.message}")
    return np.clip(result.x, lo, hi)


def _active_set(
    q: np.ndarray,
    c: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    max_iterations: int = 500,
) -> np.ndarray:
    r"""Minimise :math:`\tfrac12 w^\top Q w - c^\top w` subject to A w = b and lo <= w <= hi.

    Primal active-set method for a strictly convex quadratic (Nocedal and Wright,
    *Numerical Optimization*, algorithm 16.3). The working set holds limits treated
    as equalities; each iteration solves the KKT system with them and either steps
    towards its solution (stopping at the first limit in the way, which joins the
    working set) or, at that solution, releases a limit whose multiplier has the wrong
    sign. A limit at an upper bound needs a multiplier >= 0, at a lower bound <= 0.
    """
    n = q.shape[0]
    w = _feasible_start(a, b, lo, hi)
    working: dict[int, str] = {}  # stock position -> "lower" or "upper"
    for _ in range(max_iterations):
        held = sorted(working)
        rows = np.vstack([a, np.eye(n)[held]])
        rhs = np.concatenate([b, [lo[i] if working[i] == "lower" else hi[i] for i in held]])
        target, multipliers = _solve_kkt(q, c, rows, rhs)
        step = target - w
        if np.max(np.abs(step)) <= _STEP_TOLERANCE:
            bound_multipliers = multipliers[a.shape[0] :]
            wrong = {
                i: abs(mu)
                for i, mu in zip(held, bound_multipliers, strict=True)
                if (working[i] == "upper" and mu < -_MULTIPLIER_TOLERANCE)
                or (working[i] == "lower" and mu > _MULTIPLIER_TOLERANCE)
            }
            if not wrong:
                return target
            del working[max(wrong, key=wrong.get)]
            continue
        length, blocking = 1.0, None
        for i in range(n):
            if i in working:
                continue
            if step[i] > _STEP_TOLERANCE and np.isfinite(hi[i]) and (hi[i] - w[i]) / step[i] < length:
                length, blocking = max((hi[i] - w[i]) / step[i], 0.0), (i, "upper")
            elif step[i] < -_STEP_TOLERANCE and np.isfinite(lo[i]) and (lo[i] - w[i]) / step[i] < length:
                length, blocking = max((lo[i] - w[i]) / step[i], 0.0), (i, "lower")
        w = w + length * step
        if blocking is not None:
            i, side = blocking
            w[i] = lo[i] if side == "lower" else hi[i]
            working[i] = side
    raise ValueError(f"the active-set method did not converge in {max_iterations} iterations")


def minimum_tracking_error_bounded(
    covariance: pd.DataFrame,
    constraints: pd.DataFrame,
    targets: pd.Series,
    lower: pd.Series,
    upper: pd.Series,
) -> pd.Series:
    r"""Active weights with the least variance subject to A w = b and lower <= w <= upper.

    .. math:: \min_w\ w^\top \Sigma w \quad\text{s.t.}\quad A w = b,\ \ \ell \le w \le u

    The limits apply to the active weights; for a limit on holdings
    :math:`\ell^P \le w_B + w \le u^P` pass :math:`\ell = \ell^P - w_B` and
    :math:`u = u^P - w_B`. Use ±inf for "no limit". When no limit binds the answer is
    that of :func:`minimum_tracking_error`. Raises ``ValueError`` when no weights meet
    the constraints and the limits together.
    """
    sigma, a, b = _problem(covariance, constraints, targets)
    lo, hi = _bounds(lower, upper, covariance.index)
    w = _active_set(2.0 * sigma, np.zeros(sigma.shape[0]), a, b, lo, hi)
    return pd.Series(w, index=covariance.index, name="active weight")


def mean_variance_bounded(
    covariance: pd.DataFrame,
    alpha: pd.Series,
    constraints: pd.DataFrame,
    targets: pd.Series,
    risk_aversion: float,
    lower: pd.Series,
    upper: pd.Series,
) -> pd.Series:
    r"""Weights that maximise :math:`\alpha^\top w - \lambda\, w^\top \Sigma w` subject to
    A w = b and lower <= w <= upper (±inf for "no limit").

    When no limit binds the answer is that of :func:`mean_variance`.
    """
    sigma, a, b = _problem(covariance, constraints, targets)
    lam = _risk_aversion(risk_aversion)
    lo, hi = _bounds(lower, upper, covariance.index)
    w = _active_set(2.0 * lam * sigma, _alpha(alpha, covariance.index), a, b, lo, hi)
    return pd.Series(w, index=covariance.index, name="weight")


def turnover(before: pd.Series, after: pd.Series) -> float:
    r"""One-way turnover :math:`\tfrac12 \sum_i |w^{\text{after}}_i - w^{\text{before}}_i|`."""
    before = _checks.finite_series(before, "weights before")
    after = _checks.finite_series(after, "weights after")
    _checks.same_labels(before.index, after.index, "stocks", "weights after")
    return float(0.5 * np.abs(after.reindex(before.index) - before).sum())
