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
``styles`` (T, N, S), ``returns`` and ``weights`` (T, N), ``industry_weights`` (T, J).
Everything is computed in float64, whatever the input's dtype. Tested equal to the
readable functions in ``tests/test_engine.py``.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from functools import cache

import numpy as np


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


def group_sums(codes: np.ndarray, planes: np.ndarray, n_groups: int) -> np.ndarray:
    r"""Per-period sums by group: :math:`out_{ctj} = \sum_{i: c_{ti} = j} v_{cti}`.

    ``codes`` is (T, N) integers in [0, ``n_groups``), ``planes`` (C, T, N), one
    contiguous plane per quantity to sum; returns (C, T, ``n_groups``). One
    ``bincount`` per plane.
    """
    n_planes, n_periods, _ = planes.shape
    flat = (codes + n_groups * np.arange(n_periods)[:, None]).ravel()
    out = np.empty((n_planes, n_periods * n_groups))
    for c in range(n_planes):
        out[c] = np.bincount(flat, weights=planes[c].ravel(), minlength=n_periods * n_groups)
    return out.reshape(n_planes, n_periods, n_groups)


def structured_gram(
    codes: np.ndarray,
    styles: np.ndarray,
    weights: np.ndarray,
    n_industries: int,
    returns: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    r"""Per-period :math:`G_t = X_t^\top W_t X_t` (T, K, K) and, with ``returns``,
    :math:`b_t = X_t^\top W_t r_t` (T, K), from the block structure in the module docstring.

    ``codes`` (T, N), ``styles`` (T, N, S), ``weights`` and ``returns`` (T, N)."""
    n_periods, n_stocks, n_styles = styles.shape
    j, k = n_industries, 1 + n_industries + n_styles
    ind, sty = slice(1, 1 + j), slice(1 + j, k)
    weighted = styles * weights[:, :, None]  # W S
    planes = np.empty((n_styles + (2 if returns is not None else 1), n_periods, n_stocks))
    planes[0] = weights
    planes[1 : 1 + n_styles] = np.moveaxis(weighted, 2, 0)
    if returns is not None:
        planes[-1] = weights * returns
    by_industry = group_sums(codes, planes, j)  # (C, T, J): sums of w, w s, (w r)
    gram = np.zeros((n_periods, k, k))
    omega = by_industry[0]
    gram[:, 0, 0] = omega.sum(axis=1)
    gram[:, 0, ind] = omega
    gram[:, ind, 0] = omega
    gram[:, ind, ind] = omega[:, :, None] * np.eye(j)
    industry_styles = np.moveaxis(by_industry[1 : 1 + n_styles], 0, 2)  # (T, J, S)
    gram[:, ind, sty] = industry_styles
    gram[:, sty, ind] = np.swapaxes(industry_styles, 1, 2)
    style_sums = industry_styles.sum(axis=1)
    gram[:, 0, sty] = style_sums
    gram[:, sty, 0] = style_sums
    gram[:, sty, sty] = np.swapaxes(weighted, 1, 2) @ styles  # S'WS, the only real product
    if returns is None:
        return gram, None
    cross = np.empty((n_periods, k))
    cross[:, ind] = by_industry[-1]
    cross[:, 0] = by_industry[-1].sum(axis=1)
    cross[:, sty] = (np.swapaxes(weighted, 1, 2) @ returns[:, :, None])[:, :, 0]
    return gram, cross


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
        raise ValueError(f"styles must be (periods, stocks, styles), got shape {styles.shape}")
    n_periods, n_stocks, n_styles = styles.shape
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
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with skfolio's scikit-learn
        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


_BLOCK_BYTES = 4_000_000  # a sub-block of periods whose styles and sums stay in cache


@cache
def _thread_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="mini-engine")


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
    n_periods, n_stocks, n_styles = styles.shape
    n_industries = industry_weights.shape[1]
    n_free = n_industries + n_styles
    w = weights / weights.mean(axis=1, keepdims=True)  # scale-free, as in panel_regression
    gram, cross = structured_gram(codes, styles, w, n_industries, returns)
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

    fitted = f[:, :1] + np.take_along_axis(f[:, 1 : 1 + n_industries], codes, axis=1)
    fitted += (styles @ f[:, 1 + n_industries :, None])[:, :, 0]
    resid = returns - fitted
    weighted_sq = np.sum(w * resid**2, axis=1)
    total_unc = np.sum(w * returns**2, axis=1)
    mean_w = np.sum(w * returns, axis=1) / w.sum(axis=1)
    total_c = np.sum(w * (returns - mean_w[:, None]) ** 2, axis=1)
    out.factor_returns[block] = f
    out.residuals[block] = resid
    out.r2_uncentred[block] = 1 - weighted_sq / total_unc
    out.r2_centred[block] = 1 - weighted_sq / total_c
    if out.t_stats is None:
        return
    meat_full, _ = structured_gram(codes, styles, (w * resid) ** 2, n_industries)
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
    sums = group_sums(np.asarray(codes), caps[None], n_industries)[0]
    return sums / caps.sum(axis=1, keepdims=True)
