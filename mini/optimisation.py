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

import contextlib
from collections.abc import Mapping

import numpy as np
import pandas as pd

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
    a = _checks.aligned(constraints, covariance.index, "stocks", "constraint columns", axis=1).to_numpy()
    if np.linalg.matrix_rank(a) < a.shape[0]:
        raise ValueError(
            "the constraints are linearly dependent: some are redundant or contradict each other"
        )
    return sigma, a, _checks.aligned(targets, constraints.index, "constraints", "targets").to_numpy()


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
    return _checks.aligned(alpha, stocks, "stocks", "alpha").to_numpy()


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
        values = _checks.aligned(bound, stocks, "stocks", name).to_numpy(dtype=float)
        if np.any(np.isnan(values)):
            raise ValueError(f"{name} contain NaN; use -inf or +inf for 'no limit'")
        arrays.append(values)
    lo, hi = arrays
    if np.any(lo > hi):
        raise ValueError(f"lower bounds exceed upper bounds for {list(stocks[lo > hi])}")
    return lo, hi


def _feasible_start(a: np.ndarray, b: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A point with A w = b and lo <= w <= hi.

    First the least-norm solution :math:`w_0 = A^+ b`; if it lies inside the limits it
    will do (for active weights with zero targets it is w = 0, inside any limits that
    allow holding the benchmark). Otherwise a linear programme with no objective finds
    one. The start changes only the path of the active-set method, not its answer: the
    problem is strictly convex, so its minimum is unique.
    """
    least_norm = np.linalg.lstsq(a, b, rcond=None)[0]
    meets_targets = np.allclose(a @ least_norm, b, rtol=0.0, atol=1e-12)
    if meets_targets and np.all((lo <= least_norm) & (least_norm <= hi)):
        return least_norm
    # imported here, not at module level: scipy.optimize takes about a second to import,
    # and most problems never need it
    from scipy.optimize import linprog

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


def risk_aversion_breakpoints(
    covariance: pd.DataFrame,
    alpha: pd.Series,
    constraints: pd.DataFrame,
    targets: pd.Series,
    lower: pd.Series,
    upper: pd.Series,
) -> pd.DataFrame:
    r"""The risk aversion at which each limit starts to bind, solved rather than searched.

    Without limits the KKT system of :func:`mean_variance` is linear in α and b, so its
    solution splits into a part that does not depend on λ and a part proportional to
    1/λ:

    .. math:: w(\lambda) = w_b + \frac{1}{\lambda}\, u, \qquad
       \begin{pmatrix} 2\Sigma & A^\top \\ A & 0 \end{pmatrix}
       \begin{pmatrix} w_b \\ \cdot \end{pmatrix} = \begin{pmatrix} 0 \\ b \end{pmatrix}, \quad
       \begin{pmatrix} 2\Sigma & A^\top \\ A & 0 \end{pmatrix}
       \begin{pmatrix} u \\ \cdot \end{pmatrix} = \begin{pmatrix} \alpha \\ 0 \end{pmatrix}.

    Stock i reaches a limit :math:`\ell_i` or :math:`u_i` where
    :math:`w_{b,i} + u_i / \lambda` equals it, at
    :math:`\lambda^\ast = u_i / (\text{limit} - w_{b,i})`. Returns one row per stock
    with the λ at which its lower and its upper limit is reached as λ falls from
    infinity (NaN when the path never reaches it). The largest entry is where the
    bounded problem first departs from the unbounded one; below it the active-set
    solution of :func:`mean_variance_bounded` takes over.
    """
    sigma, a, b = _problem(covariance, constraints, targets)
    lo, hi = _bounds(lower, upper, covariance.index)
    n = sigma.shape[0]
    w_b, _ = _solve_kkt(2.0 * sigma, np.zeros(n), a, b)
    u, _ = _solve_kkt(2.0 * sigma, _alpha(alpha, covariance.index), a, np.zeros(len(b)))
    if np.any(w_b < lo - 1e-12) or np.any(w_b > hi + 1e-12):
        raise ValueError("the limits already bind for a very large risk aversion: no breakpoint to find")
    result = {}
    for name, limit in (("lower", lo), ("upper", hi)):
        with np.errstate(divide="ignore", invalid="ignore"):
            lam = u / (limit - w_b)
        reached = np.isfinite(limit) & np.isfinite(lam) & (lam > 0)
        result[f"{name} limit reached at λ"] = np.where(reached, lam, np.nan)
    return pd.DataFrame(result, index=covariance.index)


def _single_thread() -> contextlib.AbstractContextManager:
    """Limit BLAS to one thread where threadpoolctl is installed (it comes with SciPy's
    usual companions); otherwise change nothing."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - the limit is an optimisation only
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _per_stock(values: pd.Series, stocks: pd.Index, name: str) -> np.ndarray:
    """One finite number per stock, aligned by label."""
    values = _checks.finite_series(values, name)
    _checks.same_labels(stocks, values.index, "stocks", name)
    return _checks.aligned(values, stocks, "stocks", name).to_numpy(dtype=float)


def mean_variance_with_costs(
    covariance: pd.DataFrame,
    alpha: pd.Series,
    constraints: pd.DataFrame,
    targets: pd.Series,
    risk_aversion: float,
    current: pd.Series,
    linear_cost: pd.Series,
    impact_cost: pd.Series,
    impact_power: float = 1.5,
    horizon: float = 1.0,
) -> pd.Series:
    r"""Mean–variance weights net of the cost of trading to them from ``current``.

    .. math:: \max_w\; \alpha^\top w - \lambda\, w^\top \Sigma w
       - \frac{1}{H} \sum_i \left( c_i\, |t_i| + k_i\, |t_i|^{p} \right),
       \qquad t = w - w_0, \quad A w = b,

    with :math:`c_i` the linear cost per unit traded (half the bid–ask spread plus
    commission; a turnover penalty is a linear cost with a chosen rate), :math:`k_i`
    the market-impact coefficient and p the impact power (3/2 for the square-root
    impact law, 2 for linear impact; p must exceed 1 so that the problem stays
    convex). Costs are paid once, alpha and risk are per year, so the costs are
    spread over a holding horizon of H years. Units: α annual, Σ annual, costs as a
    fraction of the amount traded.

    The kink of :math:`|t_i|` at zero is removed by splitting each trade into a
    purchase and a sale, :math:`t = p - s` with :math:`p, s \ge 0`; the smooth convex
    problem that remains is solved by sequential quadratic programming (SciPy's
    SLSQP) from the cost-free optimum. At the answer, a stock is left untraded when
    its marginal utility :math:`g_i = \alpha_i - 2\lambda(\Sigma w)_i - (A^\top\nu)_i`
    is within :math:`\pm c_i / H`: the no-trade band.
    """
    from scipy.optimize import minimize  # lazily, as in _feasible_start

    sigma, a, b = _problem(covariance, constraints, targets)
    lam = _risk_aversion(risk_aversion)
    stocks = covariance.index
    alpha_v = _alpha(alpha, stocks)
    w0 = _per_stock(current, stocks, "current weights")
    c = _per_stock(linear_cost, stocks, "linear costs")
    k = _per_stock(impact_cost, stocks, "impact costs")
    if np.any(c < 0) or np.any(k < 0):
        raise ValueError("trading costs must be non-negative")
    _checks.finite_array(impact_power, "impact power", ndim=0)
    if impact_power <= 1:
        raise ValueError(f"impact power must exceed 1 (convex costs), got {impact_power}")
    _checks.finite_array(horizon, "horizon", ndim=0)
    if horizon <= 0:
        raise ValueError(f"horizon must be positive, got {horizon}")
    n, p = len(stocks), float(impact_power)
    scale = 1.0 / float(horizon)

    def unpack(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        buy, sell = np.maximum(z[:n], 0.0), np.maximum(z[n:], 0.0)
        return buy, sell, w0 + buy - sell

    def objective(z: np.ndarray) -> tuple[float, np.ndarray]:
        buy, sell, w = unpack(z)
        sw = sigma @ w
        cost = scale * (c @ (buy + sell) + k @ (buy**p + sell**p))
        value = -alpha_v @ w + lam * w @ sw + cost
        grad_w = -alpha_v + 2.0 * lam * sw
        grad_buy = grad_w + scale * (c + p * k * buy ** (p - 1.0))
        grad_sell = -grad_w + scale * (c + p * k * sell ** (p - 1.0))
        return float(value), np.concatenate([grad_buy, grad_sell])

    start_w, _ = _solve_kkt(2.0 * lam * sigma, alpha_v, a, b)
    trade = start_w - w0
    start = np.concatenate([np.maximum(trade, 0.0), np.maximum(-trade, 0.0)])
    split = np.hstack([a, -a])
    # A problem this small runs fastest on one thread: multithreaded BLAS only adds
    # synchronisation to each of the solver's tiny matrix products.
    with _single_thread():
        result = minimize(
            objective,
            start,
            jac=True,
            method="SLSQP",
            bounds=[(0.0, None)] * (2 * n),
            constraints=[{"type": "eq", "fun": lambda z: split @ z - (b - a @ w0), "jac": lambda z: split}],
            options={"ftol": 1e-15, "maxiter": 2000},
        )
    if not result.success:
        raise ValueError(f"the optimiser with trading costs did not converge: {result.message}")
    return pd.Series(unpack(result.x)[2], index=stocks, name="weight")


def mean_variance_diagonal(
    alpha: pd.DataFrame,
    residual_var: pd.Series,
    risk_aversion: float,
    lower: pd.DataFrame | None = None,
    upper: pd.DataFrame | None = None,
) -> pd.DataFrame:
    r"""Active weights for many periods at once when risk is a diagonal (residual) matrix.

    Each period (row) solves

    .. math:: \max_w\; \alpha^\top w - \lambda \sum_i \omega_i^2 w_i^2
       \quad\text{s.t.}\quad \sum_i w_i = 0,\ \ \ell_i \le w_i \le u_i .

    With a diagonal risk matrix the KKT conditions separate stock by stock: for the
    budget multiplier ν,
    :math:`w_i(\nu) = \operatorname{clip}\!\big((\alpha_i - \nu) / (2\lambda\omega_i^2),\ \ell_i,\ u_i\big)`,
    and :math:`\sum_i w_i(\nu)` falls as ν rises, so ν is found by bisection
    (between the smallest and largest alpha). Without limits this is the closed form
    :math:`w_i = (\alpha_i - \nu)/(2\lambda\omega_i^2)`. ``alpha`` and the limits are
    periods × stocks (limits default to none; each must allow a zero position),
    ``residual_var`` one variance per stock, in the units of alpha.
    """
    alpha = _checks.finite_frame(alpha, "alpha")
    residual_var = _checks.finite_series(residual_var, "residual variance")
    _checks.same_labels(alpha.columns, residual_var.index, "stocks", "residual variance")
    if (residual_var <= 0).any():
        raise ValueError("residual variances must be positive")
    lam = _risk_aversion(risk_aversion)
    limits = []
    for bound, name, default in ((lower, "lower limits", -np.inf), (upper, "upper limits", np.inf)):
        if bound is None:
            limits.append(np.full(alpha.shape, default))
            continue
        if not isinstance(bound, pd.DataFrame):
            raise ValueError(f"{name} must be a DataFrame of periods × stocks")
        _checks.same_labels(alpha.index, bound.index, "periods", name)
        _checks.same_labels(alpha.columns, bound.columns, "stocks", name)
        values = bound.reindex(index=alpha.index, columns=alpha.columns).to_numpy(dtype=float)
        if np.any(np.isnan(values)):
            raise ValueError(f"{name} contain NaN; use -inf or +inf for 'no limit'")
        limits.append(values)
    lo, hi = limits
    if np.any(lo > 0) or np.any(hi < 0):
        raise ValueError("every limit must allow a zero position (lower <= 0 <= upper)")
    a = alpha.to_numpy()
    scale = 2.0 * lam * residual_var.reindex(alpha.columns).to_numpy()

    def weights(nu: np.ndarray) -> np.ndarray:
        return np.clip((a - nu[:, None]) / scale, lo, hi)

    low, high = a.min(axis=1), a.max(axis=1)  # sum of weights >= 0 at low, <= 0 at high
    for _ in range(64):  # 64 halvings take any float64 interval down to rounding
        middle = 0.5 * (low + high)
        positive = weights(middle).sum(axis=1) > 0
        low, high = np.where(positive, middle, low), np.where(positive, high, middle)
    return pd.DataFrame(weights(0.5 * (low + high)), index=alpha.index, columns=alpha.columns)


def alignment_exposures(alpha: np.ndarray, exposures: np.ndarray) -> np.ndarray:
    r"""The part of an alpha that the risk factors cannot reproduce, as a standardised exposure.

    .. math:: \alpha_\perp = \alpha - X (X^\top X)^{+} X^\top \alpha, \qquad
       y = \alpha_\perp / \operatorname{sd}(\alpha_\perp)

    (least squares per period, with :math:`(X^\top X)^{+}` the pseudo-inverse: when X
    carries a market factor and every industry, the market column is the sum of the
    industry columns and :math:`X^\top X` is singular, but the projection of α on the
    columns of X is still unique. It is computed from X's singular value decomposition,
    :math:`\alpha - U_r U_r^\top \alpha`, with :math:`U_r` the left singular vectors whose
    singular values exceed :math:`10^{-6}` times the largest, the book's one rule for a
    singular regression. The result has mean 0 when X spans a constant, as any
    model with a market factor does, and standard deviation 1 across stocks, like a
    style exposure). A risk model with exposures X sees only specific risk in the
    direction y, and that is the direction an optimiser loads on: the factor
    alignment problem. ``alpha`` is (N,) or (T, N), ``exposures`` (N, K) or (T, N, K).
    """
    a = _checks.finite_array(alpha, "alpha")
    x = _checks.finite_array(exposures, "exposures")
    if x.ndim != a.ndim + 1 or x.shape[:-1] != a.shape:
        raise ValueError(f"exposures {x.shape} must be alpha's shape {a.shape} plus a factor axis")
    # Solving the normal equations of a rank-deficient X returns coefficients made of
    # rounding error, and the residual then moved with the BLAS build (1e-5 of y).
    u, s, _ = np.linalg.svd(x, full_matrices=False)
    kept = s > s[..., :1] * np.sqrt(_checks.SINGULAR_RATIO)  # s² are X'X's eigenvalues
    u = u * kept[..., None, :]
    residual = a - (u @ (np.swapaxes(u, -1, -2) @ a[..., None]))[..., 0]
    spread = residual.std(axis=-1, keepdims=True)
    if np.any(spread < 1e-12 * np.maximum(np.abs(a).max(axis=-1, keepdims=True), 1e-300)):
        raise ValueError("the alpha lies within the span of the exposures: nothing is left to align")
    return residual / spread


def mean_variance_panel(
    exposures: np.ndarray,
    factor_cov: np.ndarray,
    specific_var: np.ndarray,
    alpha: np.ndarray,
    tracking_error: float,
) -> np.ndarray:
    r"""Mean–variance active weights for many periods, scaled to a forecast tracking error.

    For each period t, with :math:`\Sigma_t = X_t F_t X_t^\top + \Delta`, the
    maximiser of :math:`\alpha_t^\top w - \lambda w^\top \Sigma_t w` subject to
    :math:`\sum_i w_i = 0` is

    .. math:: w_t \propto \Sigma_t^{-1} (\alpha_t - \nu_t \mathbf 1), \qquad
       \nu_t = \frac{\mathbf 1^\top \Sigma_t^{-1} \alpha_t}{\mathbf 1^\top \Sigma_t^{-1} \mathbf 1},

    and λ only scales it; here it is scaled so that :math:`w_t^\top \Sigma_t w_t` equals
    ``tracking_error`` squared (the usual way to pick λ). :math:`\Sigma_t^{-1}` is
    applied through the Woodbury identity of :meth:`mini.risk_model.RiskModel.solve`,
    batched over periods. Shapes: exposures (T, N, K), factor_cov (T, K, K) or
    (K, K), specific_var (N,) or (T, N), alpha (T, N), all in the same (for example
    annual) units.
    """
    x = _checks.finite_array(exposures, "exposures", ndim=3)
    f = _checks.finite_array(factor_cov, "factor covariance")
    d = _checks.finite_array(specific_var, "specific variances")
    a = _checks.finite_array(alpha, "alpha", ndim=2)
    n_periods, n_stocks, n_factors = x.shape
    f = np.broadcast_to(f, (n_periods, n_factors, n_factors))
    d = np.broadcast_to(d, (n_periods, n_stocks))
    if a.shape != (n_periods, n_stocks):
        raise ValueError(f"alpha is {a.shape}, the exposures need {(n_periods, n_stocks)}")
    if np.any(d <= 0):
        raise ValueError("specific variances must be positive")
    _checks.finite_array(tracking_error, "tracking error", ndim=0)
    if tracking_error <= 0:
        raise ValueError(f"tracking error must be positive, got {tracking_error}")
    xt = np.swapaxes(x, 1, 2)
    d_inv = 1.0 / d
    inner = np.eye(n_factors) + f @ (xt @ (x * d_inv[:, :, None]))  # (T, K, K)

    def solve(v: np.ndarray) -> np.ndarray:
        scaled = d_inv * v
        correction = np.linalg.solve(inner, f @ (xt @ scaled[:, :, None]))
        return scaled - d_inv * (x @ correction)[:, :, 0]

    s_alpha, s_one = solve(a), solve(np.ones_like(a))
    nu = s_alpha.sum(axis=1) / s_one.sum(axis=1)
    w = s_alpha - nu[:, None] * s_one
    risk = np.einsum("tn,tn->t", w, a - nu[:, None])  # w'Σw, since Σw = α − ν1
    if np.any(risk <= 0):
        raise ValueError("the alpha is constant across stocks in some period: no active bet to make")
    return w * (tracking_error / np.sqrt(risk))[:, None]


def trading_margins(
    covariance: pd.DataFrame,
    alpha: pd.Series,
    constraints: pd.DataFrame,
    weights: pd.Series,
    risk_aversion: float,
    current: pd.Series,
    linear_cost: pd.Series,
    impact_cost: pd.Series,
    impact_power: float = 1.5,
    horizon: float = 1.0,
) -> pd.DataFrame:
    r"""The break-even test behind :func:`mean_variance_with_costs`, stock by stock.

    At weights w the marginal utility of one more unit of stock i, net of what the
    equality constraints force elsewhere, is
    :math:`g_i = \alpha_i - 2\lambda (\Sigma w)_i - (A^\top \nu)_i`, with the
    multipliers ν fitted by least squares on the traded stocks. A trade pays at the
    margin while :math:`|g_i|` exceeds its marginal cost
    :math:`(c_i + p\, k_i |t_i|^{p-1}) / H`; at the optimum the two are equal for every
    traded stock, and an untraded stock has :math:`|g_i| \le c_i / H` (the no-trade
    band, whose edge is the break-even for the first dollar). Returns the trade,
    :math:`g_i`, the band :math:`c_i / H` and the marginal cost, one row per stock.
    """
    sigma, a, _ = _problem(covariance, constraints, pd.Series(0.0, index=constraints.index))
    lam = _risk_aversion(risk_aversion)
    stocks = covariance.index
    w = _per_stock(weights, stocks, "weights")
    t = w - _per_stock(current, stocks, "current weights")
    c = _per_stock(linear_cost, stocks, "linear costs") / horizon
    k = _per_stock(impact_cost, stocks, "impact costs") / horizon
    gross = _alpha(alpha, stocks) - 2.0 * lam * sigma @ w
    traded = np.abs(t) > 1e-9
    marginal_cost = c + impact_power * k * np.abs(t) ** (impact_power - 1.0)
    if traded.sum() < a.shape[0]:
        raise ValueError("too few stocks are traded to pin down the constraint multipliers")
    target = gross[traded] - np.sign(t[traded]) * marginal_cost[traded]
    nu = np.linalg.lstsq(a[:, traded].T, target, rcond=None)[0]
    return pd.DataFrame(
        {
            "trade": t,
            "marginal utility": gross - a.T @ nu,
            "no-trade band": c,
            "marginal cost": marginal_cost,
        },
        index=stocks,
    )
