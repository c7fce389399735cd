r"""Estimating the factor covariance matrix F from a history of factor returns.

Rows of the input are periods (oldest first), columns are factors. All estimators
return per-period covariances; multiply by the number of periods per year to
annualise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mini import _checks


def _history(returns: pd.DataFrame, minimum: int = 2) -> pd.DataFrame:
    returns = _checks.finite_frame(returns, "factor returns")
    _checks.oldest_first(returns, "factor returns")
    if len(returns) < minimum:
        raise ValueError(f"need at least {minimum} periods of returns, got {len(returns)}")
    return returns


def decay_from_half_life(half_life: float) -> float:
    r"""EWMA decay per period, :math:`\lambda = 2^{-1/h}`: weights halve every h periods."""
    half_life = _checks.positive(half_life, "half-life", "a positive number of periods")
    return float(2.0 ** (-1.0 / half_life))


def ewma_weights(n_periods: int, half_life: float) -> np.ndarray:
    r"""Weights :math:`w_s \propto \lambda^{s}` for a sample whose last row is the most recent
    (s periods ago), normalised to sum to one."""
    if n_periods < 1:
        raise ValueError(f"need at least one period, got {n_periods}")
    decay = decay_from_half_life(half_life)
    weights = decay ** np.arange(n_periods - 1, -1, -1, dtype=float)
    return weights / weights.sum()


def effective_sample_size(weights: np.ndarray) -> float:
    r"""How many equally weighted observations the weights are worth, :math:`1 / \sum_s w_s^2`
    (weights normalised to sum to one). For long EWMA samples it tends to
    :math:`(1 + \lambda) / (1 - \lambda)`, about 2.9 half-lives."""
    w = _checks.finite_array(weights, "weights", ndim=1)
    if np.any(w < 0) or w.sum() <= 0:
        raise ValueError("weights must be non-negative and not all zero")
    w = w / w.sum()
    return float(1.0 / np.sum(w**2))


def sample_covariance(returns: pd.DataFrame) -> pd.DataFrame:
    r"""The equally weighted sample covariance, :math:`\frac{1}{T-1} \sum_t (f_t - \bar f)(f_t - \bar f)^\top`."""
    returns = _history(returns)
    return returns.cov(ddof=1)


def trailing_covariance(returns: pd.DataFrame, before: object, window: int) -> pd.DataFrame:
    r"""The sample covariance of the ``window`` periods just before period ``before``:

    .. math:: \hat F_\tau = \frac{1}{W-1} \sum_{t=\tau-W}^{\tau-1}
       (f_t - \bar f)(f_t - \bar f)^\top, \qquad
       \bar f = \frac{1}{W} \sum_{t=\tau-W}^{\tau-1} f_t ,

    where :math:`\tau` is the row labelled ``before`` and W is ``window``. Period
    :math:`\tau` itself is left out: this is what a forecaster could have estimated at
    the end of the previous period, so it can be set against what :math:`\tau` brought.
    """
    returns = _history(returns)
    window = _checks.whole(window, "window", 2)
    try:
        end = returns.index.get_loc(before)
    except (KeyError, TypeError):
        raise ValueError(f"period {before!r} is not in the factor returns") from None
    if not isinstance(end, int):
        raise ValueError(f"{before!r} does not name a single period of the factor returns")
    if end < window:
        raise ValueError(
            f"a {window}-period window needs {window} periods before {before!r}, there are {end}"
        )
    return sample_covariance(returns.iloc[end - window : end])


def _weighted_cov(values: np.ndarray, weights: np.ndarray, demean: bool) -> np.ndarray:
    centred = values - weights @ values if demean else values
    return (centred * weights[:, None]).T @ centred


def ewma_covariance(
    returns: pd.DataFrame, half_life: float, vol_half_life: float | None = None, demean: bool = False
) -> pd.DataFrame:
    r"""Exponentially weighted covariance :math:`\sum_s w_s f_{t-s} f_{t-s}^\top`.

    With ``vol_half_life`` the volatilities come from one half-life and the correlations
    from another: :math:`F = D_{\text{vol}}\, C_{\text{corr}}\, D_{\text{vol}}`. Risk models
    typically let volatilities react fast (short half-life) and estimate correlations,
    which need more data, slowly. Returns are not demeaned by default: over short
    horizons the mean is tiny and estimating it adds noise.
    """
    returns = _history(returns)
    values = returns.to_numpy()
    cov = _weighted_cov(values, ewma_weights(len(values), half_life), demean)
    if vol_half_life is not None:
        vols = np.sqrt(np.diag(_weighted_cov(values, ewma_weights(len(values), vol_half_life), demean)))
        corr_vols = np.sqrt(np.diag(cov))
        if np.any(corr_vols == 0):
            flat = list(returns.columns[corr_vols == 0])
            raise ValueError(f"factor returns of {flat} are all zero, so their correlations are undefined")
        cov = cov / np.outer(corr_vols, corr_vols) * np.outer(vols, vols)
    return pd.DataFrame(cov, index=returns.columns, columns=returns.columns)


def newey_west_covariance(returns: pd.DataFrame, lags: int, half_life: float | None = None) -> pd.DataFrame:
    r"""Per-period long-run covariance, corrected for serial correlation (Newey–West).

    .. math:: F_{NW} = \Gamma_0 + \sum_{l=1}^{L} \left(1 - \frac{l}{L+1}\right)
       \left(\Gamma_l + \Gamma_l^\top\right), \qquad
       \Gamma_l = \sum_{s} \sqrt{w_s\, w_{s-l}}\; f_s f_{s-l}^\top

    (s runs over the periods that have a period l earlier). With equal weights
    :math:`w_s = 1/T` this is the classic estimator, :math:`\Gamma_l = \frac1T
    \sum_s f_s f_{s-l}^\top`; ``half_life`` gives EWMA weights instead. Splitting each
    pair's weight as :math:`\sqrt{w_s w_{s-l}}` together with the Bartlett weights keeps
    the result positive semi-definite for any data. If returns are positively
    autocorrelated, the variance of a month of daily returns exceeds 21 times the
    daily variance, and :math:`\Gamma_0` alone under-forecasts it. The result is per
    period: the covariance of an h-period sum is about h times it.
    """
    lags = _checks.whole(lags, "lags", 0, "a non-negative integer")
    returns = _history(returns, minimum=lags + 2)
    values = returns.to_numpy()
    n = len(values)
    weights = np.full(n, 1.0 / n) if half_life is None else ewma_weights(n, half_life)
    scaled = values * np.sqrt(weights)[:, None]
    result = scaled.T @ scaled
    for lag in range(1, lags + 1):  # one term per lag: L is small
        gamma = scaled[lag:].T @ scaled[:-lag]
        result = result + (1.0 - lag / (lags + 1.0)) * (gamma + gamma.T)
    return pd.DataFrame(result, index=returns.columns, columns=returns.columns)


def shrink_covariance(
    covariance: pd.DataFrame, intensity: float, target: str = "constant correlation"
) -> pd.DataFrame:
    r"""Shrink a covariance S towards a structured target G: :math:`(1-\rho) S + \rho G`,
    with ρ = ``intensity``.

    ``target`` is "diagonal" (same variances, zero correlations) or "constant
    correlation" (same variances, every correlation equal to the average). Shrinkage
    trades a little bias for a large cut in estimation noise.
    """
    covariance = _checks.finite_frame(covariance, "covariance")
    _checks.symmetric(covariance.to_numpy(), "covariance")
    intensity = _checks.number(intensity, "shrinkage intensity", "a number in [0, 1]")
    if not 0.0 <= intensity <= 1.0:
        raise ValueError(f"shrinkage intensity must be in [0, 1], got {intensity}")
    if target not in ("diagonal", "constant correlation"):
        raise ValueError(f"unknown shrinkage target {target!r}; use 'diagonal' or 'constant correlation'")
    _checks.positive_variances(covariance, "covariance")
    s = covariance.to_numpy()
    vols = np.sqrt(np.diag(s))
    if target == "diagonal":
        structured = np.diag(np.diag(s))
    else:  # constant correlation
        corr = s / np.outer(vols, vols)
        k = len(s)
        average = (corr.sum() - k) / (k * (k - 1)) if k > 1 else 0.0
        structured = average * np.outer(vols, vols)
        np.fill_diagonal(structured, np.diag(s))
    return pd.DataFrame(
        (1 - intensity) * s + intensity * structured, index=covariance.index, columns=covariance.columns
    )


def eigenvalue_floor(covariance: pd.DataFrame, floor: float) -> pd.DataFrame:
    r"""Raise every eigenvalue below ``floor`` to ``floor``: :math:`V \max(\Lambda, \epsilon) V^\top`.

    Guarantees a positive definite matrix, so no portfolio looks risk-free because of
    noise in the smallest eigenvalues.
    """
    covariance = _checks.finite_frame(covariance, "covariance")
    _checks.symmetric(covariance.to_numpy(), "covariance")
    floor = _checks.positive(floor, "eigenvalue floor")
    values, vectors = np.linalg.eigh(covariance.to_numpy())
    floored = (vectors * np.maximum(values, floor)) @ vectors.T
    return pd.DataFrame((floored + floored.T) / 2, index=covariance.index, columns=covariance.columns)


def volatility_regime_adjustment(standardised_returns: pd.DataFrame, half_life: float) -> float:
    r"""Cross-sectional volatility multiplier from recent forecast errors.

    .. math:: \lambda_{VRA} = \sqrt{\sum_s w_s\, \overline{z^2}_{t-s}}

    where :math:`\overline{z^2}_t` is the mean over factors of the squared standardised
    returns :math:`z = f / \hat\sigma` (return over forecast volatility). When recent
    returns have been larger than forecast, the multiplier exceeds one and scales the
    whole covariance up.
    """
    z = _history(standardised_returns, minimum=1).to_numpy()
    mean_square = np.mean(z**2, axis=1)
    return float(np.sqrt(ewma_weights(len(mean_square), half_life) @ mean_square))


def _ewma_forecasts(values: np.ndarray, half_life: float, warmup: int, outer: bool) -> np.ndarray:
    """Shared recursion for variance (outer=False) and covariance (outer=True) forecasts."""
    decay = decay_from_half_life(half_life)
    square = (lambda v: np.einsum("...k,...l->...kl", v, v)) if outer else np.square
    running = np.mean(square(values[:warmup]), axis=0)
    forecasts = np.empty((len(values) - warmup, *running.shape))
    for t in range(warmup, len(values)):  # a recursion in time: each forecast needs the last
        forecasts[t - warmup] = running
        running = decay * running + (1.0 - decay) * square(values[t])
    return forecasts


def ewma_variance_forecasts(returns: pd.DataFrame, half_life: float, warmup: int) -> pd.DataFrame:
    r"""One-step-ahead EWMA variance forecasts for every period after a warm-up.

    .. math:: \hat\sigma^2_{t} = \lambda\, \hat\sigma^2_{t-1} + (1 - \lambda)\, f_{t-1}^2

    started from the mean square of the first ``warmup`` periods. Row t uses only
    returns before t, so it is a genuine forecast that can be compared with
    :math:`f_t` (see :mod:`mini.evaluation`). Returns rows ``warmup`` onwards.
    """
    warmup = _checks.whole(warmup, "warm-up", 1, "at least one period")
    returns = _history(returns, minimum=warmup + 1)
    forecasts = _ewma_forecasts(returns.to_numpy(), half_life, warmup, outer=False)
    return pd.DataFrame(forecasts, index=returns.index[warmup:], columns=returns.columns)


def ewma_covariance_forecasts(returns: pd.DataFrame, half_life: float, warmup: int) -> np.ndarray:
    r"""One-step-ahead EWMA covariance forecasts :math:`\hat F_t = \lambda \hat F_{t-1} +
    (1-\lambda) f_{t-1} f_{t-1}^\top`, as a (T − warmup, K, K) array for periods
    ``warmup`` onwards; each uses only earlier returns."""
    warmup = _checks.whole(warmup, "warm-up", 1, "at least one period")
    returns = _history(returns, minimum=warmup + 1)
    return _ewma_forecasts(returns.to_numpy(), half_life, warmup, outer=True)


# --- Production repairs of the factor covariance (USE4-style) ---------------------------


def _ewma_filter(values: np.ndarray, decay: float) -> np.ndarray:
    """Running EWMA along axis 0: row t is (1 - λ) Σ_{s ≤ t} λ^{t-s} x_s (not normalised)."""
    out = np.empty_like(values, dtype=float)
    running = np.zeros(values.shape[1:])
    for t in range(len(values)):  # a recursion in time: each row needs the last
        running = decay * running + (1.0 - decay) * values[t]
        out[t] = running
    return out


def newey_west_covariance_forecasts(
    returns: pd.DataFrame, half_life: float, lags: int, warmup: int
) -> np.ndarray:
    r"""One-step-ahead EWMA Newey–West covariance forecasts, (T − warmup, K, K).

    Row t (period ``warmup + t``) uses only earlier returns:

    .. math:: \hat F_t = \frac{1}{c_t}\Big[\Gamma_{0,t} + \sum_{l=1}^{L}
       \Big(1 - \frac{l}{L+1}\Big)\big(\Gamma_{l,t} + \Gamma_{l,t}^\top\big)\Big],
       \qquad \Gamma_{l,t} = (1-\lambda) \sum_{s<t} \lambda^{t-1-s} f_s f_{s-l}^\top

    with :math:`\lambda = 2^{-1/h}` and :math:`c_t = 1 - \lambda^{t}` the sum of the weights
    used so far (so early forecasts are not shrunk towards zero). With ``lags`` = 0 this is
    the EWMA covariance started from zero instead of from a warm-up mean. The result is a
    per-period covariance that already includes the serial correlation: the forecast for
    the sum of h periods is h times it.
    """
    if isinstance(lags, bool) or not isinstance(lags, (int, np.integer)) or lags < 0:
        raise ValueError(f"lags must be a non-negative integer, got {lags!r}")
    if isinstance(warmup, bool) or not isinstance(warmup, (int, np.integer)) or warmup <= lags:
        raise ValueError(
            f"warm-up must be an integer larger than the number of lags ({lags}), got {warmup!r}"
        )
    returns = _history(returns, minimum=warmup + 1)
    values = returns.to_numpy()
    n, k = values.shape
    decay = decay_from_half_life(half_life)
    total = np.zeros((n, k, k))
    for lag in range(lags + 1):  # one EWMA per lag: L is small
        products = np.zeros((n, k, k))
        products[lag:] = np.einsum("tk,tl->tkl", values[lag:], values[: n - lag])
        gamma = _ewma_filter(products.reshape(n, k * k), decay).reshape(n, k, k)
        if lag == 0:
            total += gamma
        else:
            total += (1.0 - lag / (lags + 1.0)) * (gamma + gamma.transpose(0, 2, 1))
    used = 1.0 - decay ** np.arange(1, n + 1)
    running = total / used[:, None, None]
    return running[warmup - 1 : n - 1]  # the forecast for period t uses returns up to t - 1


def simulated_eigen_bias(
    factor_cov: pd.DataFrame, n_periods: int, *, n_simulations: int = 1000, seed: int = 0
) -> pd.Series:
    r"""Simulated volatility bias of the eigenportfolios of an estimated covariance.

    Treat the estimate :math:`F_0 = U_0 D_0 U_0^\top` as the truth. In simulation m draw
    ``n_periods`` returns from :math:`N(0, F_0)`, estimate :math:`F_m = \frac1T \sum_t
    r_t r_t^\top = U_m D_m U_m^\top` (no demeaning, as the book's EWMA), and compare each
    simulated eigenportfolio's estimated variance :math:`D_m(k)` with its true variance
    :math:`\tilde D_m(k) = u_{mk}^\top F_0\, u_{mk}`. The bias of rank k (eigenvalues in
    ascending order, so rank 1 is the smallest) is

    .. math:: v(k) = \sqrt{\frac{1}{M} \sum_{m=1}^{M} \frac{\tilde D_m(k)}{D_m(k)}} .

    Values above one mean the estimate makes that direction look less risky than it is:
    the smallest eigenvalues are under-estimated, the largest slightly over-estimated.
    """
    factor_cov = _checks.finite_frame(factor_cov, "factor covariance")
    matrix = factor_cov.to_numpy()
    _checks.symmetric(matrix, "factor covariance")
    _checks.positive_definite(matrix, "factor covariance")
    if isinstance(n_periods, bool) or not isinstance(n_periods, (int, np.integer)):
        raise ValueError(f"n_periods must be an integer, got {n_periods!r}")
    k = len(matrix)
    if n_periods <= k:
        raise ValueError(
            f"need more periods than factors to simulate an estimate: {n_periods} periods, {k} factors"
        )
    if (
        isinstance(n_simulations, bool)
        or not isinstance(n_simulations, (int, np.integer))
        or n_simulations < 1
    ):
        raise ValueError(f"n_simulations must be a positive integer, got {n_simulations!r}")
    values, vectors = np.linalg.eigh(matrix)
    rng = np.random.default_rng(seed)
    ratio_sum = np.zeros(k)
    batch = max(1, int(2_000_000 // (n_periods * k)))  # a few MB of draws at a time
    done = 0
    while done < n_simulations:
        m = min(batch, n_simulations - done)
        # returns in the eigenbasis: independent, variances D_0; rotate back with U_0
        draws = rng.standard_normal((m, n_periods, k)) * np.sqrt(values)
        sims = draws @ vectors.T
        estimates = np.matmul(sims.transpose(0, 2, 1), sims) / n_periods
        sim_values, sim_vectors = np.linalg.eigh(estimates)
        true_values = np.sum(sim_vectors * np.matmul(matrix, sim_vectors), axis=1)
        ratio_sum += np.sum(true_values / sim_values, axis=0)
        done += m
    ranks = pd.Index(np.arange(1, k + 1), name="eigenvalue rank (1 = smallest)")
    return pd.Series(np.sqrt(ratio_sum / n_simulations), index=ranks, name="simulated bias")


def eigenfactor_adjustment(
    factor_cov: pd.DataFrame,
    n_periods: int,
    *,
    n_simulations: int = 1000,
    scale: float = 1.2,
    seed: int = 0,
) -> pd.DataFrame:
    r"""Eigenfactor risk adjustment (Menchero, Wang and Orr 2012).

    With :math:`v(k)` the simulated bias of :func:`simulated_eigen_bias` (``n_periods``
    is the number of periods behind the estimate; for an EWMA use its effective sample
    size), the eigenvalues of :math:`F_0 = U_0 D_0 U_0^\top` are rescaled:

    .. math:: \gamma(k) = a\,[v(k) - 1] + 1, \qquad
       \tilde F = U_0\, \operatorname{diag}\!\big(\gamma(k)^2 D_0(k)\big)\, U_0^\top ,

    with :math:`a` = ``scale``. The simulation assumes normal, stationary returns, which
    understates the bias in real data; an empirical :math:`a` a little above one (1.2 to
    1.4 in the literature) makes up for it. Eigenvectors are kept, so only the variances
    of the eigenportfolios change. Returns a symmetric positive definite matrix with the
    labels of ``factor_cov``.
    """
    if not (np.isfinite(scale) and scale >= 0):
        raise ValueError(f"scale must be a non-negative number, got {scale}")
    bias = simulated_eigen_bias(factor_cov, n_periods, n_simulations=n_simulations, seed=seed).to_numpy()
    values, vectors = np.linalg.eigh(factor_cov.to_numpy())
    gamma = scale * (bias - 1.0) + 1.0
    if np.any(gamma <= 0):
        raise ValueError("the scaled bias is not positive for every eigenvalue: use a smaller scale")
    adjusted = (vectors * (gamma**2 * values)) @ vectors.T
    return pd.DataFrame((adjusted + adjusted.T) / 2, index=factor_cov.index, columns=factor_cov.columns)


def cross_sectional_bias(
    standardised_returns: pd.DataFrame, weights: pd.DataFrame | None = None
) -> pd.Series:
    r"""The cross-sectional bias statistic of every period, squared:

    .. math:: B_t^2 = \sum_k c_{kt}\, z_{kt}^2, \qquad z_{kt} = \frac{f_{kt}}{\hat\sigma_{kt}}

    with :math:`c_{kt} = 1/K` (factors, ``weights`` None) or weights normalised to sum to one
    in each period (stocks: cap weights). Near one when forecasts are right on the day.
    """
    z = _history(standardised_returns, minimum=1)
    squares = z.to_numpy() ** 2
    if weights is None:
        return pd.Series(squares.mean(axis=1), index=z.index, name="B squared")
    weights = _checks.finite_frame(weights, "weights")
    if weights.shape != z.shape:
        raise ValueError(f"weights {weights.shape} and standardised returns {z.shape} differ in shape")
    _checks.same_labels(z.columns, weights.columns, "columns", "weights")
    _checks.same_labels(z.index, weights.index, "periods", "weights")
    w = weights.reindex(index=z.index, columns=z.columns).to_numpy()
    if np.any(w < 0) or np.any(w.sum(axis=1) <= 0):
        raise ValueError("weights must be non-negative with a positive sum in every period")
    return pd.Series(np.sum(w * squares, axis=1) / w.sum(axis=1), index=z.index, name="B squared")


def volatility_regime_multipliers(bias_squared: pd.Series, half_life: float) -> pd.Series:
    r"""One-step-ahead volatility regime multipliers :math:`\lambda_t^2` from the squared
    cross-sectional bias statistics :math:`B_s^2` of :func:`cross_sectional_bias`:

    .. math:: \lambda_t^2 = \frac{\sum_{s<t} \lambda_h^{\,t-1-s}\, B_s^2}{\sum_{s<t} \lambda_h^{\,t-1-s}}

    (an EWMA with half-life ``half_life`` of the periods before t; the first period, with
    no history, gets 1). The adjusted forecast of period t is :math:`\lambda_t^2 \hat F_t`
    for factors, and :math:`\lambda_t^2 \hat\delta_{it}` for specific variances. The
    same number computed at the end of a history is
    :func:`volatility_regime_adjustment` squared.
    """
    b2 = _checks.finite_series(bias_squared, "squared bias statistics")
    if (b2 < 0).any():
        raise ValueError("squared bias statistics cannot be negative")
    decay = decay_from_half_life(half_life)
    values = b2.to_numpy()
    running = _ewma_filter(values, decay) / (1.0 - decay ** np.arange(1, len(values) + 1))
    multipliers = np.concatenate([[1.0], running[:-1]])
    return pd.Series(multipliers, index=b2.index, name="lambda squared")


def eigenfactor_adjusted_forecasts(
    forecasts: np.ndarray,
    n_periods: int,
    *,
    every: int = 21,
    n_simulations: int = 200,
    scale: float = 1.2,
    seed: int = 0,
) -> np.ndarray:
    r"""Apply the eigenfactor adjustment to a (T, K, K) stack of forecasts.

    The simulated bias profile :math:`v(k)` of :func:`simulated_eigen_bias` is
    recomputed every ``every`` periods (from that period's forecast) and applied, rank by
    rank, to the eigenvalues of each forecast until the next recomputation:
    :math:`\tilde F_t = U_t \operatorname{diag}(\gamma(k)^2 D_t(k)) U_t^\top`,
    :math:`\gamma = a(v - 1) + 1`. Recomputing the profile daily changes little, because
    it depends mostly on the number of factors and the sample size.
    """
    f = _checks.finite_array(forecasts, "factor covariance forecasts", ndim=3)
    if f.shape[1] != f.shape[2]:
        raise ValueError(f"forecasts must be a stack of square matrices, got {f.shape}")
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
        raise ValueError(f"every must be a positive integer, got {every!r}")
    if not (np.isfinite(scale) and scale >= 0):
        raise ValueError(f"scale must be a non-negative number, got {scale}")
    labels = [str(k) for k in range(f.shape[1])]
    values, vectors = np.linalg.eigh(f)
    gamma = np.empty_like(values)
    for start in range(0, len(f), every):  # one simulation per block of periods
        frame = pd.DataFrame(f[start], index=labels, columns=labels)
        bias = simulated_eigen_bias(frame, n_periods, n_simulations=n_simulations, seed=seed + start)
        gamma[start : start + every] = scale * (bias.to_numpy() - 1.0) + 1.0
    if np.any(gamma <= 0):
        raise ValueError("the scaled bias is not positive for every eigenvalue: use a smaller scale")
    adjusted = np.einsum("tij,tj,tkj->tik", vectors, gamma**2 * values, vectors)
    return (adjusted + adjusted.transpose(0, 2, 1)) / 2
