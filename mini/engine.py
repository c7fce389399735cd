r"""A fast engine for the book's regression: exploit the shape of a fundamental model's exposures.

This module computes exactly what :func:`mini.regression.cross_sectional_regression`
teaches, period by period, but never forms the N × K exposure matrix. A fundamental
model's exposures have a fixed shape: a market column of ones, one industry dummy per
stock (a stock belongs to exactly one industry), and S dense style columns, so

.. math:: x_i = (1,\ e_{c_i},\ s_i), \qquad K = 1 + J + S,

with :math:`c_i` stock i's industry code and :math:`e_j` the j-th unit vector. The
weighted normal matrix :math:`G = X^\top W X` then has blocks that cost almost nothing:

.. math:: G = \begin{pmatrix} \sum_i w_i & \omega^\top & \sum_i w_i s_i^\top \\
   \omega & \operatorname{diag}(\omega) & H \\
   \sum_i w_i s_i & H^\top & S^\top W S \end{pmatrix},
   \qquad \omega_j = \sum_{i: c_i = j} w_i, \quad H_{j\cdot} = \sum_{i: c_i = j} w_i s_i^\top .

Only the style block :math:`S^\top W S` is a real matrix product (N S² operations
instead of N K²); the industry blocks are sums by group (N S operations). The cap-weighted
industry constraint :math:`\sum_j \pi_j f_j = 0` is imposed by the restriction matrix
of :mod:`mini.constraints` (last industry eliminated), exactly as
:func:`mini.constraints.industry_restrictions` builds it.

Arrays are batched over a block of periods: ``codes`` (T, N) integers in [0, J),
``styles`` (T, S, N) (each period's style exposures as S rows of N stocks, so that the
per-period products are plain BLAS calls), ``returns`` and ``weights`` (T, N),
``industry_weights`` (T, J).
Everything is computed in float64, whatever the input's dtype. Tested equal to the
readable functions in ``tests/test_engine.py``.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mini.regression import PanelFit

if TYPE_CHECKING:
    from mini.simulation import SimulatedMarket


@dataclass(frozen=True)
class BlockFit:
    """The regression of every period in a block, as plain arrays (T rows each).

    ``factor_returns`` and ``t_stats`` are (T, K) in the order market, industries,
    styles; ``residuals`` is (T, N); ``r2_uncentred`` and ``r2_centred`` are (T,).
    """

    factor_returns: np.ndarray
    residuals: np.ndarray
    r2_uncentred: np.ndarray
    r2_centred: np.ndarray
    t_stats: np.ndarray | None


def group_sums(
    codes: np.ndarray, planes: np.ndarray, n_groups: int, one_hot: np.ndarray | None = None
) -> np.ndarray:
    r"""Per-period sums by group: :math:`out_{tcj} = \sum_{i: c_{ti} = j} v_{tci}`.

    ``codes`` is (T, N) integers in [0, ``n_groups``), ``planes`` (T, C, N), C
    quantities per stock and period; returns (T, C, ``n_groups``), from one ``bincount``
    over the whole block. When every period has the same codes, ``one_hot`` (N,
    ``n_groups``), their indicator matrix, turns the sums into one BLAS product, faster
    for a few groups.
    """
    n_periods, n_planes, n_stocks = planes.shape
    if one_hot is not None:
        return (planes.reshape(n_periods * n_planes, n_stocks) @ one_hot).reshape(
            n_periods, n_planes, n_groups
        )
    offsets = n_groups * np.arange(n_periods * n_planes).reshape(n_periods, n_planes, 1)
    flat = (offsets + codes[:, None, :]).ravel()
    sums = np.bincount(flat, weights=planes.ravel(), minlength=n_periods * n_planes * n_groups)
    return sums.reshape(n_periods, n_planes, n_groups)


def _design(styles: np.ndarray, returns: np.ndarray) -> np.ndarray:
    """(T, S + 2, N): a row of ones, the style rows, the returns: every dense column of
    X (and r) for each period, stocks along the last axis."""
    n_periods, n_styles, n_stocks = styles.shape
    z = np.empty((n_periods, n_styles + 2, n_stocks))
    z[:, 0] = 1.0
    z[:, 1 : 1 + n_styles] = styles
    z[:, -1] = returns
    return z


def structured_gram(
    codes: np.ndarray,
    design: np.ndarray,
    weights: np.ndarray,
    n_industries: int,
    one_hot: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Per-period :math:`G_t = X_t^\top W_t X_t` (T, K, K), :math:`b_t = X_t^\top W_t r_t`
    (T, K) and :math:`r_t^\top W_t r_t` (T,), from the block structure in the module docstring.

    ``codes`` (T, N); ``design`` (T, S + 2, N) from :func:`_design` (ones, styles,
    returns); ``weights`` (T, N); ``one_hot`` as in :func:`group_sums`. One group sum and one BLAS product
    :math:`Z W Z^\top` per period give every block.
    """
    n_periods, n_rows, _ = design.shape
    n_styles = n_rows - 2
    j, k = n_industries, 1 + n_industries + n_styles
    ind, sty = slice(1, 1 + j), slice(1 + j, k)
    weighted = design * weights[:, None, :]  # Z W
    by_industry = group_sums(codes, weighted, j, one_hot)  # (T, S + 2, J): sums of w, w s, w r
    products = weighted @ np.swapaxes(design, 1, 2)  # (T, S + 2, S + 2): Z W Z'
    gram = np.zeros((n_periods, k, k))
    gram[:, :1, :1] = products[:, :1, :1]
    gram[:, 0, sty] = gram[:, sty, 0] = products[:, 0, 1:-1]
    gram[:, sty, sty] = products[:, 1:-1, 1:-1]  # S'WS, the only real product
    omega = by_industry[:, 0]
    gram[:, 0, ind] = gram[:, ind, 0] = omega
    gram[:, ind, ind] = omega[:, :, None] * np.eye(j)
    gram[:, ind, sty] = np.swapaxes(by_industry[:, 1:-1], 1, 2)
    gram[:, sty, ind] = by_industry[:, 1:-1]
    cross = np.empty((n_periods, k))
    cross[:, 0] = products[:, 0, -1]
    cross[:, ind] = by_industry[:, -1]
    cross[:, sty] = products[:, 1:-1, -1]
    return gram, cross, products[:, -1, -1]


def industry_restriction_block(industry_weights: np.ndarray, n_styles: int) -> np.ndarray:
    r"""Restriction matrices (T, K, K − 1) for :math:`\sum_j \pi_j f_j = 0`, last industry
    eliminated: :math:`f_J = -\sum_{j<J} (\pi_j / \pi_J) f_j`, factors ordered market,
    industries, styles (the same matrices as :func:`mini.constraints.industry_restrictions`)."""
    n_periods, j = industry_weights.shape
    k = 1 + j + n_styles
    free = [c for c in range(k) if c != j]  # column j is the last industry (index 1 + j - 1)
    restrictions = np.zeros((n_periods, k, k - 1))
    restrictions[:, free, np.arange(k - 1)] = 1.0
    restrictions[:, j, 1:j] = -industry_weights[:, :-1] / industry_weights[:, -1:]
    return restrictions


def structured_regression(
    codes: np.ndarray,
    styles: np.ndarray,
    returns: np.ndarray,
    weights: np.ndarray,
    industry_weights: np.ndarray,
    t_stats: bool = True,
) -> BlockFit:
    r"""Constrained WLS of every period in a block, for exposures (1, industry dummy, styles).

    Per period, with :math:`B = R^\top G R` and :math:`G, b` from :func:`structured_gram`:

    .. math:: \hat f = R\, B^{-1} R^\top b, \qquad e = r - X \hat f,

    and, with ``t_stats``, White (HC1) standard errors from
    :math:`R B^{-1} (R^\top M R) B^{-1} R^\top \cdot N / (N - p)`,
    :math:`M = \sum_i w_i^2 e_i^2 x_i x_i^\top` (the same structure, weights
    :math:`w_i^2 e_i^2`). Identical to :func:`mini.regression.panel_regression` on the
    dense exposures. Raises ``ValueError`` when an industry has no member in some period
    or the styles are collinear. Periods are independent, so they are processed in
    cache-sized sub-blocks shared among threads (numpy releases the GIL in its kernels).
    """
    codes = np.asarray(codes)
    styles = np.asarray(styles, dtype=float)
    returns = np.asarray(returns, dtype=float)
    weights = np.asarray(weights, dtype=float)
    industry_weights = np.asarray(industry_weights, dtype=float)
    if styles.ndim != 3:
        raise ValueError(f"styles must be (periods, styles, stocks), got shape {styles.shape}")
    n_periods, n_styles, n_stocks = styles.shape
    if industry_weights.ndim != 2 or industry_weights.shape[0] != n_periods:
        raise ValueError(f"industry weights must be (periods, industries) with {n_periods} periods")
    n_industries = industry_weights.shape[1]
    if codes.shape != (n_periods, n_stocks) or returns.shape != codes.shape or weights.shape != codes.shape:
        raise ValueError(
            f"codes {codes.shape}, returns {returns.shape} and weights {weights.shape} must all be "
            f"(periods, stocks) = {(n_periods, n_stocks)}, like the styles {styles.shape}"
        )
    if not np.issubdtype(codes.dtype, np.integer):
        raise ValueError(f"industry codes must be integers, got {codes.dtype}")
    if codes.size and (codes.min() < 0 or codes.max() >= n_industries):
        raise ValueError(f"industry codes must lie in [0, {n_industries})")
    for name, values in (("styles", styles), ("returns", returns), ("weights", weights)):
        if not np.all(np.isfinite(values)):
            raise ValueError(f"{name} contain NaN or infinite values")
    if np.any(weights <= 0):
        raise ValueError("regression weights must be positive")
    if np.any(industry_weights[:, -1] <= 0):
        raise ValueError("the eliminated (last) industry has zero weight in some period")
    n_free = n_industries + n_styles
    if n_stocks <= n_free:
        raise ValueError(
            f"regression is singular: {n_stocks} stocks cannot identify {n_free} free factor returns"
        )

    k = 1 + n_free
    out = BlockFit(
        factor_returns=np.empty((n_periods, k)),
        residuals=np.empty((n_periods, n_stocks)),
        r2_uncentred=np.empty(n_periods),
        r2_centred=np.empty(n_periods),
        t_stats=np.empty((n_periods, k)) if t_stats else None,
    )

    def one_block(block: slice) -> None:
        _regress_block(
            codes[block], styles[block], returns[block], weights[block], industry_weights[block], out, block
        )

    size = max(1, _BLOCK_BYTES // (8 * n_stocks * (n_styles + 2)))
    blocks = [slice(start, min(start + size, n_periods)) for start in range(0, n_periods, size)]
    with _single_threaded_blas():
        if len(blocks) == 1:
            one_block(blocks[0])
        else:
            for _ in _thread_pool().map(one_block, blocks):  # iterating re-raises a block's error
                pass
    return out


def _single_threaded_blas() -> AbstractContextManager[object]:
    """One BLAS thread per call while the engine's own threads share the blocks.

    The products here are many small ones (K × K per period); BLAS threads would only
    fight the block threads for the cores (and spin badly on a busy machine). Uses
    threadpoolctl when it is installed (it comes with scikit-learn), else does nothing.
    """
    controller = _blas_controller()
    return nullcontext() if controller is None else controller.limit(limits=1, user_api="blas")


@cache
def _blas_controller() -> object | None:
    """threadpoolctl's view of the loaded BLAS libraries (found once: the search is slow)."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl comes with skfolio's scikit-learn
        return None
    return ThreadpoolController()


_BLOCK_BYTES = 2_000_000  # a sub-block of periods whose styles and sums stay in cache


@cache
def _thread_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="mini-engine")


# A process forked after the pool started (multiprocessing on Linux, a test runner's
# workers) inherits the cached pool but not its threads: work sent to it would wait
# forever. The child forgets it and starts its own on first use.
os.register_at_fork(after_in_child=_thread_pool.cache_clear)


def _regress_block(
    codes: np.ndarray,
    styles: np.ndarray,
    returns: np.ndarray,
    weights: np.ndarray,
    industry_weights: np.ndarray,
    out: BlockFit,
    block: slice,
) -> None:
    """The regression of one sub-block of periods, written into ``out[block]``."""
    n_periods, n_styles, n_stocks = styles.shape
    n_industries = industry_weights.shape[1]
    n_free = n_industries + n_styles
    w = weights / weights.mean(axis=1, keepdims=True)  # scale-free, as in panel_regression
    design = _design(styles, returns)
    # static codes and few industries: sums by industry as a product with the indicator matrix
    one_hot = np.eye(n_industries)[codes[0]] if n_industries <= 24 and np.all(codes == codes[:1]) else None
    gram, cross, r_w_r = structured_gram(codes, design, w, n_industries, one_hot)
    empty = np.diagonal(gram, axis1=1, axis2=2)[:, 1 : 1 + n_industries] <= 0
    if np.any(empty):
        period, industry = np.argwhere(empty)[0]
        raise ValueError(
            f"regression is singular in period {block.start + period}: industry {industry} has no members"
        )
    restriction = industry_restriction_block(industry_weights, n_styles)
    r_t = np.swapaxes(restriction, 1, 2)
    normal = r_t @ gram @ restriction
    try:
        solved = np.linalg.solve(normal, r_t @ cross[:, :, None])
    except np.linalg.LinAlgError as error:
        raise ValueError("regression is singular in some period (collinear style exposures)") from error
    f = (restriction @ solved)[:, :, 0]

    if one_hot is None:
        fitted = np.take_along_axis(f[:, 1 : 1 + n_industries], codes, axis=1)
    else:
        fitted = f[:, 1 : 1 + n_industries] @ one_hot.T
    fitted += f[:, :1]
    fitted += (f[:, None, 1 + n_industries :] @ styles)[:, 0]
    resid = returns - fitted
    weighted_sq = np.einsum("tn,tn,tn->t", w, resid, resid)
    sum_w, sum_wr = gram[:, 0, 0], cross[:, 0]
    out.factor_returns[block] = f
    out.residuals[block] = resid
    out.r2_uncentred[block] = 1 - weighted_sq / r_w_r
    out.r2_centred[block] = 1 - weighted_sq / (r_w_r - sum_wr**2 / sum_w)
    if out.t_stats is None:
        return
    meat_full, _, _ = structured_gram(codes, design, (w * resid) ** 2, n_industries, one_hot)
    meat = r_t @ meat_full @ restriction * (n_stocks / (n_stocks - n_free))
    left = np.linalg.solve(normal, meat)  # B^-1 M
    cov_g = np.swapaxes(np.linalg.solve(normal, np.swapaxes(left, 1, 2)), 1, 2)  # B^-1 M B^-1
    var_f = np.sum((restriction @ cov_g) * restriction, axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        out.t_stats[block] = np.where(var_f > 0, f / np.sqrt(np.maximum(var_f, 0.0)), np.nan)


def industry_cap_weights(codes: np.ndarray, caps: np.ndarray, n_industries: int) -> np.ndarray:
    r"""Each industry's share of total cap in every period, :math:`\pi_{tj} = \sum_{c_{ti}=j}
    \mathrm{cap}_{ti} / \sum_i \mathrm{cap}_{ti}`: (T, J) from (T, N) codes and caps."""
    caps = np.asarray(caps, dtype=float)
    codes = np.asarray(codes)
    static = n_industries <= 24 and np.all(codes == codes[:1])
    one_hot = np.eye(n_industries)[codes[0]] if static else None
    sums = group_sums(codes, caps[:, None, :], n_industries, one_hot)[:, 0]
    return sums / caps.sum(axis=1, keepdims=True)


def structured_inputs(market: SimulatedMarket) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """A simulated market's exposures in the engine's form: (T, N) industry codes, the
    (T, S, N) style rows (a copy) and the factor names."""
    n_periods = len(market.periods)
    industries = list(market.industries)
    expected = [market.factors[0], *industries]
    if list(market.factors[: 1 + len(industries)]) != expected:
        raise ValueError(
            f"the engine needs factors ordered market, industries, styles; got {list(market.factors)}"
        )
    codes = pd.Index(industries).get_indexer(market.industry)
    if (codes < 0).any():
        raise ValueError("some stocks belong to no known industry")
    codes = np.broadcast_to(codes, (n_periods, len(codes)))
    styles = np.ascontiguousarray(np.swapaxes(market.exposures[:, :, 1 + len(industries) :], 1, 2))
    return codes, styles, list(market.factors)


def fit_simulated_market(market: SimulatedMarket, t_stats: bool = True) -> PanelFit:
    """:func:`mini.simulation.fit_cross_sections` (full model) computed by the engine:
    the same :class:`~mini.regression.PanelFit`, never forming the dense exposures."""
    codes, styles, factors = structured_inputs(market)
    caps = market.caps.to_numpy()
    pi = industry_cap_weights(codes, caps, len(market.industries))
    fit = structured_regression(codes, styles, market.returns.to_numpy(), np.sqrt(caps), pi, t_stats=t_stats)
    index = market.periods
    return PanelFit(
        factor_returns=pd.DataFrame(fit.factor_returns, index=index, columns=factors),
        residuals=pd.DataFrame(fit.residuals, index=index, columns=market.stocks),
        r2_uncentred=pd.Series(fit.r2_uncentred, index=index, name="R² (uncentred)"),
        r2_centred=pd.Series(fit.r2_centred, index=index, name="R² (centred)"),
        t_stats=pd.DataFrame(
            fit.t_stats if fit.t_stats is not None else np.full(fit.factor_returns.shape, np.nan),
            index=index,
            columns=factors,
        ),
    )
